//! The one document type that flows through every step.
//!
//! A `Doc` starts life in a reader (raw HTML bytes or plain text), is turned into text by the
//! extractor, labelled, filtered and finally written. Derived views of the text (lines, words)
//! are computed lazily once and cached; any change of the text goes through [`Doc::set_text`],
//! which drops the caches so no step ever sees a stale view.

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::text;

/// Deterministic position of a document in the whole run: the index of its input file in the
/// sorted input list, then its record offset (byte offset or line number) in that file.
/// Dedup keeps "the first" doc by this order, whatever the worker count.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
pub struct DocKey {
    pub file: u32,
    pub offset: u64,
}

impl DocKey {
    pub fn new(file: u32, offset: u64) -> Self {
        DocKey { file, offset }
    }
    /// A single u128 that sorts like the key (for compact binary intermediates).
    pub fn as_u128(self) -> u128 {
        ((self.file as u128) << 64) | self.offset as u128
    }
    pub fn from_u128(v: u128) -> Self {
        DocKey {
            file: (v >> 64) as u32,
            offset: v as u64,
        }
    }
}

/// A metadata value; each becomes a typed Parquet column declared by the step that writes it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
}

impl Value {
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            Value::Bool(b) => Some(*b as i64 as f64),
            Value::Str(_) => None,
        }
    }
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Float(v)
    }
}
impl From<f32> for Value {
    fn from(v: f32) -> Self {
        Value::Float(v as f64)
    }
}
impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}
impl From<usize> for Value {
    fn from(v: usize) -> Self {
        Value::Int(v as i64)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Str(v.to_string())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Str(v)
    }
}

/// The raw HTTP payload of a web record, before extraction.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Raw {
    /// Decoded (de-chunked, de-compressed) HTML, converted to UTF-8 by ingest.
    pub html: String,
    /// The media type from the HTTP header (e.g. `text/html`), lower case, without parameters.
    pub mime: Option<String>,
    /// The body bytes while charset decoding is still to do: the runner defers it from the
    /// single reader thread to the worker pool (`skypile_ingest::decode_deferred`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bytes: Vec<u8>,
    /// The charset the HTTP header declared, for the deferred decoding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_charset: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Doc {
    pub id: String,
    pub url: Option<String>,
    /// Human-readable origin, `path:offset`.
    pub source: String,
    pub key: DocKey,
    /// Present for web records until the extractor has consumed it.
    pub raw: Option<Raw>,
    text: String,
    pub title: Option<String>,
    /// ISO 639-1 code (or 639-3 where no 639-1 exists); empty until the lang step ran.
    pub lang: String,
    pub lang_score: f32,
    /// Columns written by steps (scores, labels, counters), sorted by name.
    pub meta: BTreeMap<String, Value>,
    #[serde(skip)]
    cache: Cache,
}

#[derive(Debug, Default)]
struct Cache {
    lines: OnceLock<Vec<Range<usize>>>,
    words: OnceLock<Vec<Range<usize>>>,
}

impl Clone for Doc {
    fn clone(&self) -> Self {
        Doc {
            id: self.id.clone(),
            url: self.url.clone(),
            source: self.source.clone(),
            key: self.key,
            raw: self.raw.clone(),
            text: self.text.clone(),
            title: self.title.clone(),
            lang: self.lang.clone(),
            lang_score: self.lang_score,
            meta: self.meta.clone(),
            cache: Cache::default(),
        }
    }
}

impl Doc {
    /// A plain-text document (JSONL, WET, Parquet input, tests).
    pub fn from_text(id: impl Into<String>, text: impl Into<String>) -> Self {
        Doc {
            id: id.into(),
            text: text.into(),
            ..Default::default()
        }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// Replace the text; cached views are dropped so they are recomputed on next use.
    pub fn set_text(&mut self, text: String) {
        self.text = text;
        self.cache = Cache::default();
    }

    /// The language was (re)assigned: word units depend on it, so the word cache is dropped.
    pub fn set_lang(&mut self, lang: &str, score: f32) {
        if self.lang != lang {
            self.cache.words = OnceLock::new();
        }
        self.lang = lang.to_string();
        self.lang_score = score;
    }

    pub fn is_zh(&self) -> bool {
        self.lang == "zh"
    }

    /// Non-empty lines after trimming, as byte ranges into `text()` (trimmed).
    pub fn line_ranges(&self) -> &[Range<usize>] {
        self.cache
            .lines
            .get_or_init(|| text::line_ranges(&self.text))
    }

    pub fn lines(&self) -> impl Iterator<Item = &str> + '_ {
        self.line_ranges()
            .iter()
            .map(move |r| &self.text[r.clone()])
    }

    /// Words in the unit right for the document's language: jieba words for Chinese,
    /// Unicode (UAX #29) words otherwise. Computed once per doc and shared by every step.
    pub fn word_ranges(&self) -> &[Range<usize>] {
        self.cache
            .words
            .get_or_init(|| text::word_ranges(&self.text, self.is_zh()))
    }

    pub fn words(&self) -> impl Iterator<Item = &str> + '_ {
        self.word_ranges()
            .iter()
            .map(move |r| &self.text[r.clone()])
    }

    pub fn word_count(&self) -> usize {
        self.word_ranges().len()
    }

    /// Set a column. A non-finite float (0/0 of an empty doc) becomes a null cell rather
    /// than a NaN that would poison averages and JSON spools.
    /// Keep only the lines of [`Doc::line_ranges`] whose flag in `keep` is true (missing flags
    /// keep the line), joined by `\n`, or by one blank line where the original had a paragraph
    /// break between them. Cached words are shifted, not recomputed: jieba is the most
    /// expensive view, and line cleaners (C4) would otherwise make every later step pay again.
    /// Returns the number of lines removed.
    pub fn retain_lines(&mut self, keep: &[bool]) -> usize {
        let lines = self.line_ranges().to_vec();
        let words = self.cache.words.take();
        let mut out = String::with_capacity(self.text.len());
        let mut new_lines = Vec::with_capacity(lines.len());
        let mut new_words = words.as_ref().map(|w| Vec::with_capacity(w.len()));
        let (mut removed, mut prev_end, mut wi) = (0, 0, 0);
        for (i, r) in lines.iter().enumerate() {
            let kept = keep.get(i).copied().unwrap_or(true);
            if !kept {
                removed += 1;
            } else {
                if !out.is_empty() {
                    let gap = self.text.get(prev_end..r.start).unwrap_or("");
                    out.push_str(if gap.matches('\n').count() >= 2 {
                        "\n\n"
                    } else {
                        "\n"
                    });
                }
                let start = out.len();
                out.push_str(self.text.get(r.clone()).unwrap_or(""));
                new_lines.push(start..out.len());
                prev_end = r.end;
            }
            // Words are sorted and never cross a line break: one merge pass maps them.
            if let (Some(old), Some(new)) = (words.as_ref(), new_words.as_mut()) {
                while let Some(w) = old.get(wi) {
                    if w.start >= r.end {
                        break;
                    }
                    if kept && w.start >= r.start && w.end <= r.end {
                        let base = new_lines.last().map_or(0, |l: &Range<usize>| l.start);
                        new.push(w.start - r.start + base..w.end - r.start + base);
                    }
                    wi += 1;
                }
            }
        }
        if removed == 0 && words.is_some() {
            // Nothing to do: restore the cache we took.
            self.cache.words = OnceLock::from(words.unwrap_or_default());
            return 0;
        }
        self.text = out;
        self.cache = Cache::default();
        let _ = self.cache.lines.set(new_lines);
        if let Some(w) = new_words {
            let _ = self.cache.words.set(w);
        }
        removed
    }

    pub fn set_meta(&mut self, key: &str, value: impl Into<Value>) {
        match value.into() {
            Value::Float(f) if !f.is_finite() => {
                self.meta.remove(key);
            }
            v => {
                self.meta.insert(key.to_string(), v);
            }
        }
    }

    pub fn meta_f64(&self, key: &str) -> Option<f64> {
        self.meta.get(key).and_then(Value::as_f64)
    }

    pub fn meta_str(&self, key: &str) -> Option<&str> {
        self.meta.get(key).and_then(Value::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_text_drops_cached_views() {
        let mut d = Doc::from_text("a", "one two\nthree");
        assert_eq!(d.word_count(), 3);
        assert_eq!(d.lines().count(), 2);
        d.set_text("four".into());
        assert_eq!(d.word_count(), 1);
        assert_eq!(d.lines().collect::<Vec<_>>(), vec!["four"]);
    }

    #[test]
    fn chinese_words_use_jieba_after_lang_is_set() {
        let mut d = Doc::from_text("z", "我们在北京大学学习自然语言处理。");
        let uax = d.word_count();
        d.set_lang("zh", 0.99);
        let words: Vec<&str> = d.words().collect();
        assert!(
            words.contains(&"北京大学") || words.contains(&"北京"),
            "{words:?}"
        );
        assert_ne!(
            uax,
            words.len(),
            "UAX#29 splits Han per character, jieba does not"
        );
        assert!(!words.contains(&"。"), "punctuation is not a word");
    }

    #[test]
    fn retain_lines_keeps_paragraphs_and_remaps_words_without_resegmenting() {
        let mut d = Doc::from_text(
            "z",
            "  第一行文字。\n\n删除这一行\n第三行 English words。\nlast line\n",
        );
        d.set_lang("zh", 1.0);
        let before: Vec<String> = d.words().map(str::to_string).collect();
        let removed = d.retain_lines(&[true, false, true]);
        assert_eq!(removed, 1);
        assert_eq!(
            d.text(),
            "第一行文字。\n\n第三行 English words。\nlast line"
        );
        let remapped: Vec<String> = d.words().map(str::to_string).collect();
        let mut fresh = Doc::from_text("z", d.text());
        fresh.set_lang("zh", 1.0);
        let recomputed: Vec<String> = fresh.words().map(str::to_string).collect();
        assert_eq!(
            remapped, recomputed,
            "remapped words equal a fresh segmentation"
        );
        assert!(before.len() > remapped.len());
        assert_eq!(
            d.lines().collect::<Vec<_>>(),
            vec!["第一行文字。", "第三行 English words。", "last line"]
        );
        // Without a cached word view the text is the same.
        let mut e = Doc::from_text("e", "a b\n\nc\nd");
        assert_eq!(e.retain_lines(&[false, true]), 1);
        assert_eq!(e.text(), "c\nd");
    }

    #[test]
    fn doc_key_u128_roundtrip_keeps_order() {
        let a = DocKey::new(1, 500);
        let b = DocKey::new(2, 3);
        assert!(a.as_u128() < b.as_u128());
        assert_eq!(DocKey::from_u128(b.as_u128()), b);
    }
}
