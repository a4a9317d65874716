//! JSON Lines input (`.jsonl`, `.jsonl.gz`, `.jsonl.zst`): one object per line with a text
//! field and optional id/url fields (names configurable). A bad line is skipped and counted.
//!
//! - Lines are read into a buffer of at most `max_doc_bytes`: a longer line (a multi-GB line, a
//!   gzip bomb without newlines) is skipped to its newline and counted as `bad_too_large`, so
//!   memory stays bounded whatever the input.
//! - The first read error (truncated or corrupt gzip/zstd, I/O error) ends the file with one
//!   event (`bad_gzip_truncated`, `bad_gzip`, `bad_zstd_truncated`, `bad_zstd`, `bad_read`);
//!   every complete line before it has been yielded, the cut line is dropped.

use std::io::{BufRead, ErrorKind};
use std::path::Path;
use std::sync::Arc;

use anyhow::Result;
use skypile_core::{Doc, DocKey};

use crate::{Event, Events, InputConfig};

pub fn read(path: &Path, file_idx: u32, cfg: &InputConfig) -> Result<Events> {
    Ok(Box::new(
        read_unparsed(path, file_idx, cfg)?.map(Unparsed::parse),
    ))
}

/// One item of [`read_unparsed`]: a line still to parse, or a skip found while splitting.
pub enum Unparsed {
    Line(RawLine),
    Event(Event),
}

/// A non-blank line of a JSONL file, not yet parsed.
pub struct RawLine {
    bytes: Vec<u8>,
    lineno: u64,
    file: Arc<FileCtx>,
}

/// What parsing a line of one file needs besides the line.
struct FileCtx {
    name: String,
    file_idx: u32,
    cfg: InputConfig,
}

impl Unparsed {
    /// The line's bytes (0 for a skip): what a batch of unparsed lines holds.
    pub fn len(&self) -> usize {
        match self {
            Unparsed::Line(l) => l.bytes.len(),
            Unparsed::Event(_) => 0,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The event [`read`] yields for this item: the parsed doc, or the skip.
    pub fn parse(self) -> Event {
        match self {
            Unparsed::Line(l) => {
                let f = &l.file;
                parse_line(&l.bytes, &f.name, f.file_idx, l.lineno, &f.cfg)
            }
            Unparsed::Event(e) => e,
        }
    }
}

/// The lines of a JSONL file, split but not parsed, in file order.
///
/// - Why: serde_json on the thread that reads the file was a serial part of every run on
///   JSONL (6% of a MinHash run's CPU beside the pool); the runner's reader now only splits
///   lines and its worker pool parses them ([`Unparsed::parse`]), which yields exactly what
///   [`read`] does.
pub fn read_unparsed(
    path: &Path,
    file_idx: u32,
    cfg: &InputConfig,
) -> Result<Box<dyn Iterator<Item = Unparsed> + Send>> {
    let mut lines = Lines {
        r: crate::open_decompressed(path)?,
        buf: Vec::new(),
        max: usize::try_from(cfg.max_doc_bytes).unwrap_or(usize::MAX),
        lineno: 0,
        done: false,
    };
    let file = Arc::new(FileCtx {
        name: path.display().to_string(),
        file_idx,
        cfg: cfg.clone(),
    });
    Ok(Box::new(std::iter::from_fn(move || {
        loop {
            let lineno = lines.lineno;
            let name = &file.name;
            match lines.next_line()? {
                Line::Text => {
                    let line = &lines.buf;
                    if line.iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    return Some(Unparsed::Line(RawLine {
                        bytes: line.clone(),
                        lineno,
                        file: Arc::clone(&file),
                    }));
                }
                Line::TooLong(n) => {
                    return Some(Unparsed::Event(Event::skip(
                        "bad_too_large",
                        lineno,
                        format!("{name}:{}: {n}+ byte line over max_doc_bytes", lineno + 1),
                    )));
                }
                Line::Error(e) => {
                    return Some(Unparsed::Event(Event::skip(
                        read_error_reason(name, &e),
                        lineno,
                        format!("{name}:{}: {e} (rest of the file skipped)", lineno + 1),
                    )));
                }
            }
        }
    })))
}

/// The counter for a read error that ends a file, by what the file is compressed with.
pub fn read_error_reason(name: &str, e: &std::io::Error) -> &'static str {
    let cut = e.kind() == ErrorKind::UnexpectedEof;
    match (name.ends_with(".gz"), name.ends_with(".zst"), cut) {
        (true, _, true) => "bad_gzip_truncated",
        (true, _, false) => "bad_gzip",
        (_, true, true) => "bad_zstd_truncated",
        (_, true, false) => "bad_zstd",
        _ => "bad_read",
    }
}

/// What [`Lines::next_line`] found.
enum Line {
    /// A line (without its newline) is in `Lines::buf`.
    Text,
    /// A line longer than the cap was skipped; it had this many bytes.
    TooLong(u64),
    /// The stream failed: the file ends here.
    Error(std::io::Error),
}

/// Newline-split lines with a bounded buffer.
///
/// Why not `BufRead::split`: it buffers a whole line however long, and after an error it keeps
/// returning the same error forever (the 13.6 M-warning loop of issue #15).
struct Lines {
    r: Box<dyn BufRead + Send>,
    buf: Vec<u8>,
    max: usize,
    /// 0-based number of the next line.
    lineno: u64,
    done: bool,
}

impl Lines {
    fn next_line(&mut self) -> Option<Line> {
        if self.done {
            return None;
        }
        self.buf.clear();
        let mut len = 0u64;
        loop {
            let chunk = match self.r.fill_buf() {
                Ok(c) => c,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.done = true;
                    return Some(Line::Error(e));
                }
            };
            if chunk.is_empty() {
                self.done = true;
                if len == 0 {
                    return None;
                }
                break;
            }
            let (take, newline) = match memchr::memchr(b'\n', chunk) {
                Some(i) => (i, true),
                None => (chunk.len(), false),
            };
            len += take as u64;
            if len <= self.max as u64 {
                self.buf
                    .extend_from_slice(chunk.get(..take).unwrap_or_default());
            } else if !self.buf.is_empty() {
                // Over the cap: keep counting to the newline, but hold no more bytes.
                self.buf = Vec::new();
            }
            self.r.consume(take + usize::from(newline));
            if newline {
                break;
            }
        }
        self.lineno += 1;
        Some(if len > self.max as u64 {
            Line::TooLong(len)
        } else {
            Line::Text
        })
    }
}

fn parse_line(line: &[u8], name: &str, file_idx: u32, lineno: u64, cfg: &InputConfig) -> Event {
    let v: serde_json::Value = match serde_json::from_slice(line) {
        Ok(v) => v,
        Err(e) => return Event::skip("bad_json", lineno, format!("{name}:{}: {e}", lineno + 1)),
    };
    let Some(text) = v.get(&cfg.text_field).and_then(|t| t.as_str()) else {
        return Event::skip(
            "bad_no_text",
            lineno,
            format!(
                "{name}:{}: no string field `{}`",
                lineno + 1,
                cfg.text_field
            ),
        );
    };
    let id = match v.get(&cfg.id_field) {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Number(n)) => n.to_string(),
        _ => format!("{}/{}", file_stem(name), lineno),
    };
    let mut doc = Doc::from_text(id, text);
    doc.url = v
        .get(&cfg.url_field)
        .and_then(|u| u.as_str())
        .map(str::to_string);
    doc.key = DocKey::new(file_idx, lineno);
    doc.source = format!("{name}:{}", lineno + 1);
    let fields = [&cfg.text_field, &cfg.id_field, &cfg.url_field].map(String::as_str);
    if let Some(extra) = extra_fields(v, fields) {
        doc.meta.insert(METADATA.into(), extra.into());
    }
    Event::Doc(Box::new(doc))
}

/// The output column that carries an input's other fields.
pub const METADATA: &str = "metadata";

/// Every field but text, id and url (`fields`), as one JSON object (datatrove keeps them as
/// `metadata`); `None` when there are none. Nested values stay as they were. Parquet inputs
/// use it too, so both give the same column.
pub(crate) fn extra_fields(v: serde_json::Value, fields: [&str; 3]) -> Option<String> {
    let serde_json::Value::Object(mut m) = v else {
        return None;
    };
    for f in fields {
        m.remove(f);
    }
    (!m.is_empty()).then(|| serde_json::Value::Object(m).to_string())
}

#[cfg(test)]
#[test]
fn other_fields_are_kept_as_metadata() {
    let line = br#"{"text":"t","id":"a","url":"u","source":"cc","timestamp":1700000000,"meta":{"k":[1,2]}}"#;
    let Event::Doc(d) = parse_line(line, "x.jsonl", 0, 0, &InputConfig::default()) else {
        panic!("not a doc");
    };
    let m = d.meta.get(METADATA).and_then(|v| v.as_str()).unwrap();
    let v: serde_json::Value = serde_json::from_str(m).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"source": "cc", "timestamp": 1700000000, "meta": {"k": [1, 2]}})
    );
}

fn file_stem(name: &str) -> &str {
    let base = name.rsplit('/').next().unwrap_or(name);
    base.split('.').next().unwrap_or(base)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_docs_and_counts_bad_lines() {
        let dir = std::env::temp_dir().join(format!("skypile-jsonl-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("a.jsonl");
        std::fs::write(&p, "{\"text\":\"hello\",\"id\":\"x1\",\"url\":\"http://a\"}\nnot json\n\n{\"id\":3}\n{\"text\":\"中文\",\"id\":7}\n").unwrap();
        let ev: Vec<Event> = read(&p, 2, &InputConfig::default()).unwrap().collect();
        assert_eq!(ev.len(), 4);
        match &ev[0] {
            Event::Doc(d) => {
                assert_eq!(
                    (d.id.as_str(), d.text(), d.url.as_deref()),
                    ("x1", "hello", Some("http://a"))
                );
                assert_eq!(d.key, DocKey::new(2, 0));
            }
            e => panic!("{e:?}"),
        }
        assert!(matches!(&ev[1], Event::Skip { reason, .. } if reason == "bad_json"));
        assert!(matches!(&ev[2], Event::Skip { reason, .. } if reason == "bad_no_text"));
        assert!(matches!(&ev[3], Event::Doc(d) if d.id == "7" && d.text() == "中文"));
        // no other fields: no metadata
        assert!(matches!(&ev[3], Event::Doc(d) if !d.meta.contains_key(METADATA)));
    }

    fn write(name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("skypile-jsonl-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    /// Reasons in order, "doc" for documents; at most 100k events (a looping reader fails).
    fn summary(p: &std::path::Path, cfg: &InputConfig) -> Vec<String> {
        read(p, 0, cfg)
            .unwrap()
            .take(100_000)
            .map(|e| match e {
                Event::Doc(_) => "doc".to_string(),
                Event::Skip { reason, .. } => reason,
            })
            .collect()
    }

    fn lines(n: usize) -> Vec<u8> {
        (0..n)
            .map(|i| {
                format!(
                    "{{\"id\":{i},\"text\":\"line {i} 第{i}行 {}\"}}\n",
                    "x".repeat(i % 97)
                )
            })
            .collect::<String>()
            .into_bytes()
    }

    /// Issue #15 case 1: a cut `.jsonl.gz` looped forever on `bad_read`. Now: every complete
    /// line before the cut, then one counted reason, then the end. Same for `.zst` and for
    /// corrupt deflate.
    #[test]
    fn truncated_or_corrupt_compressed_files_end_with_one_reason() {
        use std::io::Write;
        let plain = lines(20_000);
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(&plain).unwrap();
        let gz = e.finish().unwrap();
        let zst = zstd::encode_all(&plain[..], 3).unwrap();
        let cfg = InputConfig::default();
        for (name, bytes, reason) in [
            ("cut.jsonl.gz", &gz[..gz.len() / 2], "bad_gzip_truncated"),
            ("cut.jsonl.zst", &zst[..zst.len() / 2], "bad_zstd_truncated"),
        ] {
            let s = summary(&write(name, bytes), &cfg);
            assert_eq!(s.last().map(String::as_str), Some(reason), "{name}");
            let docs = s.iter().filter(|r| *r == "doc").count();
            assert!(
                docs > 100 && docs == s.len() - 1,
                "{name}: {docs} docs, {} events",
                s.len()
            );
        }
        let mut bad = gz.clone();
        for b in bad.iter_mut().skip(gz.len() / 2).take(64) {
            *b = 0xff;
        }
        let s = summary(&write("flip.jsonl.gz", &bad), &cfg);
        assert_eq!(
            s.last().map(String::as_str),
            Some("bad_gzip"),
            "{:?}",
            &s[s.len().saturating_sub(3)..]
        );
        assert!(s.len() < 20_000 && s.iter().filter(|r| *r == "doc").count() > 100);
    }

    /// Issue #15 case 4 (input side): a line over `max_doc_bytes` is skipped to its newline and
    /// counted, never held whole; the lines around it are read.
    #[test]
    fn over_long_lines_are_skipped_with_bounded_memory() {
        let mut f = lines(2);
        f.extend_from_slice(format!("{{\"text\":\"{}\"}}\n", "y".repeat(5000)).as_bytes());
        f.extend_from_slice(&lines(2));
        f.extend_from_slice("z".repeat(3000).as_bytes());
        let cfg = InputConfig {
            max_doc_bytes: 1000,
            ..Default::default()
        };
        let p = write("long.jsonl", &f);
        assert_eq!(
            summary(&p, &cfg),
            vec!["doc", "doc", "bad_too_large", "doc", "doc", "bad_too_large"]
        );
        let mut l = Lines {
            r: crate::open_decompressed(&p).unwrap(),
            buf: Vec::new(),
            max: 1000,
            lineno: 0,
            done: false,
        };
        let mut peak = 0;
        while l.next_line().is_some() {
            peak = peak.max(l.buf.capacity());
        }
        assert!(peak < 4096, "line buffer grew to {peak} bytes");
    }
}
