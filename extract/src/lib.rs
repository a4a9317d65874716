//! skypile-extract: main-text extraction from HTML ("structural extraction", SkyPile §3.1).
//!
//! One html5ever parse (our tokenizer and tree, [`tokenize`], [`tree`]), one walk that turns the DOM into text blocks while
//! skipping invisible and non-content subtrees ([`dom`]), then block classification and
//! content-region selection ([`score`]). Tuned for Chinese portals, news and forums as much as
//! for English: full-width punctuation, pinyin class names and Chinese boilerplate phrases are
//! first-class signals. See `README.md` for measured quality and speed against trafilatura and
//! resiliparse.

pub mod budget;
mod charref;
pub mod dom;
pub mod hints;
pub mod markup;
pub mod metrics;
pub mod score;
pub mod step;
pub mod thread;
pub mod tokenize;
pub mod tree;

use serde::{Deserialize, Deserializer, Serialize};

pub use step::Extract;

/// Which way to lean when a block is borderline (trafilatura's `favor_precision` /
/// `favor_recall`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Favor {
    Precision,
    #[default]
    Balanced,
    Recall,
}

/// Main text of an HTML page with boilerplate removed (zh + en hints).
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ExtractConfig {
    pub favor: Favor,
    /// Keep data tables (row by row, cells joined by ` | `). Layout tables are always walked.
    pub include_tables: bool,
    /// Keep user comments (elements named `comment`, `pinglun`, …).
    pub include_comments: bool,
    /// Write links as `[text](url)` instead of plain anchor text.
    pub include_links: bool,
    /// Results shorter than this many characters (CJK characters count 3, as in
    /// [`dom::Block::eff_len`]) are empty (`extract_empty`).
    /// * The default 1 drops only pages with no main text at all, as trafilatura's
    ///   `MIN_OUTPUT_SIZE = 1`: how short is too short is the quality filters' decision
    ///   (Gopher's word counts), and a short note that is the whole page is still its text.
    pub min_text_len: usize,
    /// Larger pages are dropped before parsing (`extract_too_large`).
    pub max_html_bytes: usize,
    /// Per-document work budget, deterministic (never wall clock, so the output does not depend
    /// on machine load): start tags read by the pre-scan and nodes visited by the walk. A page is
    /// cut after this many start tags (the text before the cut is kept, counter
    /// `extract_truncated_nodes`); every later pass is linear in the blocks found.
    pub max_nodes: usize,
    /// Removed (it was a wall-clock budget): setting it is an error naming `max_nodes`.
    #[serde(skip_serializing)]
    #[schemars(skip)]
    pub max_millis: RemovedMaxMillis,
    /// Deeper elements are flattened to their text instead of walked.
    pub max_depth: usize,
    /// Estimated open-element depth at which the page is cut before parsing (html5ever is
    /// quadratic in it); the text before the cut is still extracted.
    pub max_open_elements: usize,
}

impl Default for ExtractConfig {
    fn default() -> Self {
        ExtractConfig {
            favor: Favor::Balanced,
            include_tables: true,
            include_comments: false,
            include_links: false,
            min_text_len: 1,
            max_html_bytes: 8 << 20,
            // a 8 MiB page of real markup has ~150k start tags; pathological pages stop here
            max_nodes: 400_000,
            max_millis: RemovedMaxMillis,
            max_depth: 256,
            max_open_elements: 3_000,
        }
    }
}

/// The old `max_millis` key: accepted by nobody, explained to everybody.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RemovedMaxMillis;

impl<'de> Deserialize<'de> for RemovedMaxMillis {
    fn deserialize<D: Deserializer<'de>>(_: D) -> Result<Self, D::Error> {
        Err(serde::de::Error::custom(
            "`extract.max_millis` was removed: the per-page budget is now a deterministic count of \
             HTML nodes so that results do not depend on machine load; delete the key or set \
             `max_nodes` (default 400000) instead",
        ))
    }
}

/// Which guard cut a page before parsing (its text before the cut is still extracted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cut {
    None,
    /// Nesting deeper than `max_open_elements` (counter `extract_truncated_deep`).
    Depth,
    /// More than `max_nodes` start tags (counter `extract_truncated_nodes`).
    Nodes,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    /// Nothing (or too little) that looks like main text: home pages, link lists, search pages.
    Empty,
    TooLarge,
    /// JSON, JSONP or JavaScript served as `text/html` (API and ad endpoints in real crawls).
    NotHtml,
}

impl Status {
    /// The drop reason used by the pipeline step.
    pub fn reason(self) -> Option<&'static str> {
        match self {
            Status::Ok => None,
            Status::Empty => Some("extract_empty"),
            Status::TooLarge => Some("extract_too_large"),
            Status::NotHtml => Some("extract_not_html"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Extracted {
    /// One line per block (paragraph, heading, list item, table row).
    pub text: String,
    pub title: Option<String>,
    /// Share of the page's visible text that sits inside links (navigation-heavy pages → 1).
    pub link_density: f32,
    pub status: Status,
    /// The page was cut before parsing (pathological nesting or size).
    pub cut: Cut,
}

impl Extracted {
    fn failed(status: Status) -> Self {
        Extracted {
            text: String::new(),
            title: None,
            link_density: 0.0,
            status,
            cut: Cut::None,
        }
    }
}

/// Extract the main text of one HTML page.
pub fn extract(html: &str, cfg: &ExtractConfig) -> Extracted {
    extract_with(html, cfg, tokenize::parse)
}

/// [`extract`] with html5ever's own tokenizer: the reference that `tokenize` must match
/// (kept for `tests/same_tree.rs` and the A/B timing of `examples/extract_cpu.rs`).
#[doc(hidden)]
pub fn extract_html5ever(html: &str, cfg: &ExtractConfig) -> Extracted {
    extract_with(html, cfg, tree::parse_html5ever)
}

fn extract_with(html: &str, cfg: &ExtractConfig, parse: fn(&str) -> tree::Dom) -> Extracted {
    if html.len() > cfg.max_html_bytes {
        return Extracted::failed(Status::TooLarge);
    }
    if looks_like_code(html) {
        return Extracted::failed(Status::NotHtml);
    }
    let prepared = budget::prepare(html, cfg);
    let doc = parse(&prepared.html);
    drop(prepared.html);
    let page = dom::Walker::new(cfg).run(doc.root());
    let (mut all, mut links) = (0u64, 0u64);
    for b in &page.blocks {
        all += b.chars as u64;
        links += b.link_chars as u64;
    }
    let link_density = if all == 0 {
        0.0
    } else {
        links as f32 / all as f32
    };
    let kept = score::select(&page, cfg);
    let mut text = String::new();
    // a headline alone (over a link list) is no text
    let lone_heading = matches!(kept.as_slice(), [i] if page.blocks.get(*i)
        .is_some_and(|b| matches!(b.kind, dom::Kind::Heading(_))));
    let mut len = 0usize;
    for i in kept {
        let Some(b) = page.blocks.get(i) else {
            continue;
        };
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(&b.text);
        len += b.eff_len() as usize;
    }
    if lone_heading {
        len = 0;
    }
    let title = page.og_title.or(page.title);
    let status = if len < cfg.min_text_len.max(1) {
        Status::Empty
    } else {
        Status::Ok
    };
    if status == Status::Empty {
        text.clear();
    }
    Extracted {
        text,
        title,
        link_density,
        status,
        cut: prepared.cut,
    }
}

/// A payload that starts like JSON, JSONP or a script rather than markup or prose.
fn looks_like_code(html: &str) -> bool {
    let t = html.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{FEFF}');
    if t.starts_with(['{', '[']) || t.starts_with("//") || t.starts_with("/*") {
        return true;
    }
    for kw in [
        "try{",
        "try {",
        "var ",
        "let ",
        "const ",
        "function",
        "document.",
        "window.",
    ] {
        if t.starts_with(kw) {
            return true;
        }
    }
    // JSONP: `callbackName({...`
    let ident = t
        .bytes()
        .take(80)
        .take_while(|&c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'$' | b'.'))
        .count();
    ident > 0 && t.as_bytes().get(ident) == Some(&b'(')
}

/// Diagnostic dump of every block with its class and whether it was kept.
pub fn explain(html: &str, cfg: &ExtractConfig) -> String {
    let doc = tokenize::parse(&budget::prepare(html, cfg).html);
    let page = dom::Walker::new(cfg).run(doc.root());
    score::explain(&page, cfg)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex(html: &str) -> Extracted {
        extract(html, &ExtractConfig::default())
    }

    // Speed on pathological pages is measured by scripts/bench/run.sh and the fuzz test's watchdog,
    // not asserted here: a busy machine must not fail a unit test.
    #[test]
    fn deep_nesting_is_flattened_not_recursed() {
        let n = 100_000;
        let html = format!(
            "{}<p>深层嵌套的正文内容，仍然应该被提取出来。</p>{}",
            "<div>".repeat(n),
            "</div>".repeat(n)
        );
        assert_eq!(ex(&html).cut, Cut::Depth);
        let shallow = format!(
            "{}<p>深层嵌套的正文内容，仍然应该被提取出来，这一段足够长。</p>{}",
            "<div>".repeat(500),
            "</div>".repeat(500)
        );
        let e = ex(&shallow);
        assert!(e.cut == Cut::None && e.text.contains("深层嵌套"), "{e:?}");
    }

    #[test]
    fn tag_soup_is_bounded_by_the_node_budget() {
        let cfg = ExtractConfig {
            max_nodes: 10_000,
            ..Default::default()
        };
        let html = format!(
            "<body><p>{}</p>{}</body>",
            "Opening sentence of the page, long enough to be kept as text. ".repeat(3),
            "<span><a href=x>text</a></span> ".repeat(20_000)
        );
        let e = extract(&html, &cfg);
        assert_eq!(e.cut, Cut::Nodes);
        assert!(e.text.starts_with("Opening sentence"), "{e:?}");
        // the same page, twice: the budget is a count, so the output is identical
        assert_eq!(extract(&html, &cfg).text, e.text);
        let html = format!("<body>{}</body>", "<table><tr><td>".repeat(20_000));
        assert_eq!(ex(&html).status, Status::Empty);
        let html = format!("<body>{}</body>", "<a href=x><b><i>text ".repeat(20_000));
        assert_eq!(ex(&html).cut, Cut::Depth);
    }

    /// `<a href="javascript:...">` around a paragraph leads nowhere: the paragraph is text,
    /// not a link list (readability.js replaces such links by their content).
    #[test]
    fn javascript_pseudo_links_count_as_text() {
        let para = "A paragraph that a script turns into a button, long enough to be prose here.";
        for href in ["javascript:", " JavaScript:void(0)"] {
            let e = ex(&format!(
                "<body><a href=\"{href}\"><p>{para}</p></a></body>"
            ));
            assert_eq!((e.status, e.text.as_str()), (Status::Ok, para));
        }
        assert_eq!(
            ex(&format!("<body><a href=/x><p>{para}</p></a></body>")).status,
            Status::Empty
        );
    }

    /// A `<marquee>` is walked like any container: old guest-book pages scroll their whole
    /// text in one; a ticker of headlines is a link list and is dropped by density as usual.
    #[test]
    fn marquee_text_is_walked() {
        let para = "Dear family, I am so sorry to hear of your loss. She was a wonderful and strong person.";
        let e = ex(&format!(
            "<body><marquee><ul><li>{para}</li><li>{para}</li></ul></marquee></body>"
        ));
        assert_eq!(e.text.matches(para).count(), 2, "{e:?}");
    }

    #[test]
    fn the_removed_wall_clock_key_names_its_replacement() {
        let err = serde_json::from_str::<ExtractConfig>(r#"{"max_millis": 2000}"#)
            .expect_err("max_millis must be rejected");
        assert!(err.to_string().contains("max_nodes"), "{err}");
        let ok: ExtractConfig = serde_json::from_str(r#"{"max_nodes": 10}"#).expect("new key");
        assert_eq!(ok.max_nodes, 10);
    }

    #[test]
    fn json_and_scripts_served_as_html_are_not_pages() {
        for p in [
            "jsonpFocus({\"code\":0,\"data\":[1,2]})",
            " {\"a\": 1}",
            "try{window.cb({})}catch(e){}",
            "var x = 1;",
        ] {
            assert_eq!(ex(p).status, Status::NotHtml, "{p}");
        }
        let prose = "Plain text without any markup at all, but it is a real sentence. ".repeat(5);
        assert_eq!(ex(&prose).status, Status::Ok);
    }

    #[test]
    fn oversized_and_broken_pages() {
        let big = "x".repeat(50 << 20);
        assert_eq!(ex(&big).status, Status::TooLarge);
        let broken = "<html><body><p>Unclosed <b>bold <div>inside</p> </td></tr> <p>Broken & markup &#xZZ; <<<>>> text that goes on.".repeat(50);
        assert_eq!(ex(&broken).status, Status::Ok);
        assert_eq!(ex("").status, Status::Empty);
    }
}
