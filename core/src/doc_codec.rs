//! A compact binary form of [`Doc`] for the spools between docs stages.
//!
//! Why not serde_json, which the spools used before:
//! - perf on the production pipeline put JSON at ~4% of the run's CPU (escaping the text on
//!   the way out, unescaping it and trying `Value`'s untagged variants one by one on the way
//!   in); here the text is one length and a copy.
//! - JSON turns a NaN `lang_score` into `null`, which then fails to parse; floats here keep
//!   their bits.
//!
//! Layout (little-endian): strings are a u32 byte length and UTF-8, optional fields a 0/1 byte
//! first, meta a u32 count of (name, tag, value). The file around the records (magic, kind,
//! version, config hash, checksum) is [`crate::binfile`]'s; bump the spool version when this
//! layout changes.

use std::collections::BTreeMap;

use crate::doc::{Doc, DocKey, Raw, Value};

/// Append `doc` to `out`. Cached views (lines, words) are not kept: the next stage recomputes
/// what it uses.
pub fn encode(doc: &Doc, out: &mut Vec<u8>) {
    let mut w = Writer(out);
    w.str(&doc.id);
    w.opt(doc.url.as_deref());
    w.str(&doc.source);
    w.u32(doc.key.file);
    w.u64(doc.key.offset);
    match &doc.raw {
        None => w.u8(0),
        Some(raw) => {
            w.u8(1);
            w.str(&raw.html);
            w.opt(raw.mime.as_deref());
            w.bytes(&raw.bytes);
            w.opt(raw.http_charset.as_deref());
        }
    }
    w.str(doc.text());
    w.opt(doc.title.as_deref());
    w.str(&doc.lang);
    w.u32(doc.lang_score.to_bits());
    w.u32(doc.meta.len() as u32);
    for (name, value) in &doc.meta {
        w.str(name);
        match value {
            Value::Bool(b) => {
                w.u8(0);
                w.u8(u8::from(*b));
            }
            Value::Int(i) => {
                w.u8(1);
                w.u64(*i as u64);
            }
            Value::Float(f) => {
                w.u8(2);
                w.u64(f.to_bits());
            }
            Value::Str(s) => {
                w.u8(3);
                w.str(s);
            }
        }
    }
}

/// A doc written by [`encode`]; an error (never a panic) for bytes that are not one.
pub fn decode(bytes: &[u8]) -> Result<Doc, String> {
    decode_unless(bytes, |_| false)
}

/// Like [`decode`], but only the head (id, url, source, key) of a doc whose key `skip`s: its
/// text stays empty and the rest of the record is neither read nor checked.
/// - For a stage that drops such docs by key alone ([`crate::Applier::drops_key`]) and writes
///   no `removed/`: validating and copying texts it throws away was most of its time.
pub fn decode_unless(bytes: &[u8], skip: impl Fn(DocKey) -> bool) -> Result<Doc, String> {
    let mut r = Reader { bytes, pos: 0 };
    let id = r.string()?;
    let url = r.opt()?;
    let source = r.string()?;
    let key = DocKey::new(r.u32()?, r.u64()?);
    if skip(key) {
        let mut doc = Doc::from_text(id, String::new());
        doc.url = url;
        doc.source = source;
        doc.key = key;
        return Ok(doc);
    }
    let raw = match r.u8()? {
        0 => None,
        _ => Some(Raw {
            html: r.string()?,
            mime: r.opt()?,
            bytes: r.take_len()?.to_vec(),
            http_charset: r.opt()?,
        }),
    };
    let mut doc = Doc::from_text(id, r.string()?);
    doc.url = url;
    doc.source = source;
    doc.key = key;
    doc.raw = raw;
    doc.title = r.opt()?;
    doc.lang = r.string()?;
    doc.lang_score = f32::from_bits(r.u32()?);
    let mut meta = BTreeMap::new();
    for _ in 0..r.u32()? {
        let name = r.string()?;
        let value = match r.u8()? {
            0 => Value::Bool(r.u8()? != 0),
            1 => Value::Int(r.u64()? as i64),
            2 => Value::Float(f64::from_bits(r.u64()?)),
            3 => Value::Str(r.string()?),
            t => return Err(format!("unknown value tag {t} of column {name}")),
        };
        meta.insert(name, value);
    }
    doc.meta = meta;
    if r.pos != bytes.len() {
        return Err(format!("{} bytes after the doc", bytes.len() - r.pos));
    }
    Ok(doc)
}

struct Writer<'a>(&'a mut Vec<u8>);

impl Writer<'_> {
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn bytes(&mut self, b: &[u8]) {
        self.u32(b.len() as u32);
        self.0.extend_from_slice(b);
    }
    fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }
    fn opt(&mut self, s: Option<&str>) {
        match s {
            None => self.u8(0),
            Some(s) => {
                self.u8(1);
                self.str(s);
            }
        }
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len());
        let end = end.ok_or_else(|| format!("cut short at byte {}", self.pos))?;
        let b = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(b)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], String> {
        let mut a = [0; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }
    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.array::<1>()?[0])
    }
    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    fn u64(&mut self) -> Result<u64, String> {
        Ok(u64::from_le_bytes(self.array()?))
    }
    fn take_len(&mut self) -> Result<&'a [u8], String> {
        let n = self.u32()? as usize;
        self.take(n)
    }
    fn string(&mut self) -> Result<String, String> {
        let at = self.pos;
        let b = self.take_len()?;
        // simdutf8: std's validation of the text was ~40% of reading a spool (perf, MinHash
        // bench); std is asked again only to describe an error
        match simdutf8::basic::from_utf8(b) {
            Ok(s) => Ok(s.to_owned()),
            Err(_) => Err(match std::str::from_utf8(b) {
                Err(e) => format!("string at byte {at} is not UTF-8: {e}"),
                Ok(_) => format!("string at byte {at} is not UTF-8"),
            }),
        }
    }
    fn opt(&mut self) -> Result<Option<String>, String> {
        match self.u8()? {
            0 => Ok(None),
            _ => self.string().map(Some),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full_doc() -> Doc {
        let mut d = Doc::from_text("id-1", "第一行。\nline two");
        d.url = Some("https://example.com/a".into());
        d.source = "in.warc.gz:123".into();
        d.key = DocKey::new(3, 1 << 40);
        d.raw = Some(Raw {
            html: "<p>x</p>".into(),
            mime: Some("text/html".into()),
            bytes: vec![0xff, 0, 1],
            http_charset: None,
        });
        d.title = Some("标题".into());
        d.set_lang("zh", 0.75);
        d.set_meta("a_bool", true);
        d.set_meta("b_int", -7i64);
        d.set_meta("c_float", 0.1f64);
        d.set_meta("d_str", "gb18030");
        d.set_meta("e_whole_float", 2.0f64);
        d
    }

    #[test]
    fn every_field_survives_a_round_trip() {
        for d in [full_doc(), Doc::from_text("", "")] {
            let mut buf = Vec::new();
            encode(&d, &mut buf);
            let back = decode(&buf).unwrap();
            // Doc has no PartialEq (its caches); its JSON names every field
            assert_eq!(
                serde_json::to_value(&back).unwrap(),
                serde_json::to_value(&d).unwrap()
            );
            assert_eq!(back.text(), d.text());
        }
    }

    #[test]
    fn floats_keep_their_bits_and_kind() {
        let mut d = full_doc();
        d.lang_score = f32::NAN;
        let mut buf = Vec::new();
        encode(&d, &mut buf);
        let back = decode(&buf).unwrap();
        assert!(back.lang_score.is_nan());
        assert_eq!(back.meta["e_whole_float"], Value::Float(2.0));
        assert_eq!(back.meta["b_int"], Value::Int(-7));
    }

    #[test]
    fn damaged_bytes_are_an_error_not_a_panic() {
        let mut buf = Vec::new();
        encode(&full_doc(), &mut buf);
        for cut in 0..buf.len() {
            assert!(decode(&buf[..cut]).is_err(), "cut at {cut}");
        }
        let mut long = buf.clone();
        long.push(0);
        assert!(decode(&long).unwrap_err().contains("after the doc"));
        // a huge length must not allocate or panic
        let mut huge = buf.clone();
        huge[..4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(decode(&huge).is_err());
        // bytes that are not UTF-8 in a string
        let mut bad = buf.clone();
        bad[4] = 0xff;
        assert!(decode(&bad).unwrap_err().contains("not UTF-8"));
    }

    #[test]
    fn a_skipped_key_decodes_only_the_head() {
        let d = full_doc();
        let mut buf = Vec::new();
        encode(&d, &mut buf);
        let head = decode_unless(&buf, |k| k == d.key).unwrap();
        assert_eq!((head.id.as_str(), head.key), ("id-1", d.key));
        assert_eq!((&head.url, &head.source), (&d.url, &d.source));
        assert!(head.text().is_empty() && head.raw.is_none() && head.meta.is_empty());
        // another key: the whole doc
        let whole = decode_unless(&buf, |k| k != d.key).unwrap();
        assert_eq!(whole.text(), d.text());
        assert_eq!(whole.meta.len(), d.meta.len());
    }
}
