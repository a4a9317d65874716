//! The `extract` pipeline step: raw HTML in, main text and title out.

use skypile_core::{ColType, Column, Counters, Doc, Step, Verdict};

use crate::{Cut, ExtractConfig, extract};

/// Turns `doc.raw` into `doc.text` + `doc.title` and frees the raw HTML. Docs without raw HTML
/// (JSONL/WET/Parquet input) pass through untouched. Non-articles come out empty and are dropped
/// as `extract_empty`, so later filters never see navigation-only pages; pathological pages are
/// dropped as `extract_too_large` or cut after a deterministic node budget instead of stalling
/// a worker.
pub struct Extract {
    cfg: ExtractConfig,
}

impl Extract {
    pub fn new(cfg: ExtractConfig) -> Self {
        Extract { cfg }
    }
}

impl Step for Extract {
    fn name(&self) -> &str {
        "extract"
    }

    fn columns(&self) -> Vec<Column> {
        vec![Column::new("extract_link_density", ColType::Float32)]
    }

    fn process(&self, doc: &mut Doc, stats: &mut Counters) -> Verdict {
        let Some(raw) = doc.raw.take() else {
            return Verdict::Keep;
        };
        stats.add("extract_html_bytes", raw.html.len() as u64);
        let out = extract(&raw.html, &self.cfg);
        drop(raw);
        if let Some(reason) = out.status.reason() {
            return Verdict::drop(reason);
        }
        stats.add("extract_text_bytes", out.text.len() as u64);
        match out.cut {
            Cut::None => {}
            Cut::Depth => stats.inc("extract_truncated_deep"),
            Cut::Nodes => stats.inc("extract_truncated_nodes"),
        }
        if out.title.is_none() {
            stats.inc("extract_no_title");
        }
        doc.set_text(out.text);
        doc.title = out.title;
        doc.set_meta("extract_link_density", out.link_density);
        Verdict::Keep
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use skypile_core::Raw;

    fn html_doc(html: &str) -> Doc {
        let mut d = Doc::from_text("x", "");
        d.raw = Some(Raw {
            html: html.to_string(),
            mime: Some("text/html".into()),
            ..Default::default()
        });
        d
    }

    #[test]
    fn article_is_extracted_and_raw_freed() {
        let body = "这是一篇很长的新闻报道，讲述了今年春天发生在城市里的许多事情。".repeat(4);
        let html = format!(
            "<html><head><title>新闻标题</title></head><body><div class=nav><a href=/>首页</a></div>\
             <div class=article><p>{body}</p><p>{body}</p></div></body></html>"
        );
        let mut d = html_doc(&html);
        let mut st = Counters::default();
        let step = Extract::new(ExtractConfig::default());
        assert_eq!(step.process(&mut d, &mut st), Verdict::Keep);
        assert!(d.raw.is_none());
        assert_eq!(d.title.as_deref(), Some("新闻标题"));
        assert_eq!(d.lines().count(), 2);
        assert!(!d.text().contains("首页"));
        assert!(d.meta_f64("extract_link_density").is_some());
    }

    #[test]
    fn plain_text_passes_and_link_lists_drop() {
        let step = Extract::new(ExtractConfig::default());
        let mut st = Counters::default();
        let mut d = Doc::from_text("t", "already text");
        assert_eq!(step.process(&mut d, &mut st), Verdict::Keep);
        assert_eq!(d.text(), "already text");
        let links: String = (0..50)
            .map(|i| format!("<li><a href=/{i}>栏目链接{i}</a></li>"))
            .collect();
        let mut d = html_doc(&format!("<html><body><ul>{links}</ul></body></html>"));
        assert_eq!(
            step.process(&mut d, &mut st),
            Verdict::drop("extract_empty")
        );
    }

    #[test]
    fn oversized_page_is_dropped_with_reason() {
        let cfg = ExtractConfig {
            max_html_bytes: 1000,
            ..Default::default()
        };
        let mut d = html_doc(&"<p>x</p>".repeat(500));
        let v = Extract::new(cfg).process(&mut d, &mut Counters::default());
        assert_eq!(v, Verdict::drop("extract_too_large"));
    }
}
