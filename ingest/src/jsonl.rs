//! JSON Lines input (`.jsonl`, `.jsonl.gz`, `.jsonl.zst`): one object per line with a text
//! field and optional id/url fields (names configurable). A bad line is skipped and counted.

use std::io::BufRead;
use std::path::Path;

use anyhow::Result;
use skypile_core::{Doc, DocKey};

use crate::{Event, Events, InputConfig};

pub fn read(path: &Path, file_idx: u32, cfg: &InputConfig) -> Result<Events> {
    let reader = crate::open_decompressed(path)?;
    let name = path.display().to_string();
    let cfg = cfg.clone();
    let mut lines = reader.split(b'\n').enumerate();
    Ok(Box::new(std::iter::from_fn(move || {
        loop {
            let (lineno, line) = lines.next()?;
            let line = match line {
                Ok(l) => l,
                // A read error (e.g. truncated gzip) ends the file: report it once and stop.
                Err(e) => {
                    return Some(Event::skip(
                        "bad_read",
                        lineno as u64,
                        format!("{name}: {e}"),
                    ));
                }
            };
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            return Some(parse_line(&line, &name, file_idx, lineno as u64, &cfg));
        }
    })))
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
    Event::Doc(Box::new(doc))
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
    }
}
