//! The `lang` step: label every document with its language, main script and CJK share.
//!
//! Labels every language whatlang knows (plus `und` for text without letters) and never drops:
//! choosing languages is [`crate::lang_filter`]'s job, so `extract.yaml` can label and keep all.
//! An empty or letterless document is kept as `und` (score 0) rather than dropped here, so the
//! removal shows up once, as `lang_filter.dropped_lang`, with the other unwanted languages.
//! Detection logic and its thresholds: [`crate::detect`].

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use skypile_core::{ColType, Column, Counters, Doc, Step, Verdict};

use crate::detect::detect;

/// Language ID from script ratios and whatlang trigrams: sets `lang`, `lang_score`.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct LangConfig {
    /// How many bytes of a long document whatlang reads (start + middle); script ratios read
    /// at most `SCAN_SAMPLES` (4) times as much, so the cost per doc is bounded (0: whole text).
    /// 3 KB keeps whatlang at ~0.1–0.3 ms per doc.
    pub sample_bytes: usize,
    /// A jieba user dictionary (`word [freq] [tag]` per line), loaded once per process before
    /// the first Chinese doc is segmented. Relative paths resolve against the pipeline YAML.
    pub jieba_user_dict: Option<String>,
}

impl Default for LangConfig {
    fn default() -> Self {
        LangConfig {
            sample_bytes: 3000,
            jieba_user_dict: None,
        }
    }
}

impl LangConfig {
    /// `resolve` maps a config path to a file (the runner's `BuildCtx::resolve`).
    pub fn build(&self, resolve: impl Fn(&str) -> PathBuf) -> anyhow::Result<LangId> {
        if let Some(p) = &self.jieba_user_dict {
            skypile_core::text::set_user_dict(resolve(p))?;
        }
        Ok(LangId {
            sample_bytes: self.sample_bytes,
        })
    }
}

pub struct LangId {
    sample_bytes: usize,
}

impl Step for LangId {
    fn name(&self) -> &str {
        "lang"
    }

    fn columns(&self) -> Vec<Column> {
        vec![
            Column::new("script", ColType::Utf8),
            Column::new("cjk_share", ColType::Float32),
        ]
    }

    fn process(&self, doc: &mut Doc, stats: &mut Counters) -> Verdict {
        let d = detect(doc.text(), self.sample_bytes);
        if d.lang == "und" {
            stats.inc("lang_und");
        }
        doc.set_lang(d.lang, d.score);
        doc.set_meta("script", d.script);
        doc.set_meta("cjk_share", d.cjk_share);
        Verdict::Keep
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_keeps_every_language() {
        let step = LangConfig::default().build(|p| PathBuf::from(p)).unwrap();
        let mut stats = Counters::default();
        let cases = [
            (
                "我们在北京大学学习自然语言处理，这是一个很有意思的研究方向。",
                "zh",
                "Hani",
            ),
            (
                "Der schnelle braune Fuchs springt über den faulen Hund, während der Bauer zusieht.",
                "de",
                "Latn",
            ),
            ("", "und", "Zyyy"),
        ];
        for (text, lang, script) in cases {
            let mut d = Doc::from_text("t", text);
            assert_eq!(step.process(&mut d, &mut stats), Verdict::Keep);
            assert_eq!(
                (d.lang.as_str(), d.meta_str("script")),
                (lang, Some(script))
            );
            assert!(d.meta_f64("cjk_share").is_some());
        }
        assert_eq!(stats.get("lang_und"), 1);
    }

    #[test]
    fn relabelling_resets_the_word_view() {
        let step = LangConfig::default().build(|p| PathBuf::from(p)).unwrap();
        let mut d = Doc::from_text("t", "自然语言处理是人工智能的一个重要方向");
        let chars_as_words = d.word_count();
        step.process(&mut d, &mut Counters::default());
        assert!(d.is_zh());
        assert!(
            d.word_count() < chars_as_words,
            "jieba words after the label"
        );
    }

    #[test]
    fn missing_user_dict_is_a_config_error() {
        let cfg = LangConfig {
            jieba_user_dict: Some("/nonexistent/dict.txt".into()),
            ..Default::default()
        };
        let err = cfg
            .build(|p| PathBuf::from(p))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("dict.txt"), "{err}");
    }
}
