//! Which web records become documents, and turning one HTTP payload into a [`Doc`].
//!
//! Shared by the WARC and ARC readers. Skip reasons are stable counter names:
//! `skipped_url`, `skipped_non_http`, `skipped_status_<code>`, `skipped_non_html`,
//! `skipped_empty`, `bad_too_large`, `bad_content_encoding`, `bad_undecodable`.

use std::borrow::Cow;

use anyhow::{Context, Result};
use regex::RegexSet;
use skypile_core::{Doc, DocKey, Raw};

use crate::{Event, InputConfig, charset, http};

/// [`InputConfig`]'s record selection, compiled once per file.
#[derive(Debug, Clone)]
pub struct Select {
    pub mime_types: Vec<String>,
    pub record_types: Vec<String>,
    include: Option<RegexSet>,
    exclude: Option<RegexSet>,
    pub max_payload: usize,
    pub defer_decode: bool,
}

impl Select {
    pub fn new(cfg: &InputConfig) -> Result<Select> {
        let set = |pats: &[String], what: &str| -> Result<Option<RegexSet>> {
            if pats.is_empty() {
                return Ok(None);
            }
            RegexSet::new(pats)
                .map(Some)
                .with_context(|| format!("bad regex in input.{what}: {pats:?}"))
        };
        Ok(Select {
            mime_types: cfg
                .mime_types
                .iter()
                .map(|m| m.trim().to_ascii_lowercase())
                .collect(),
            record_types: cfg
                .record_types
                .iter()
                .map(|m| m.trim().to_ascii_lowercase())
                .collect(),
            include: set(&cfg.url_include, "url_include")?,
            exclude: set(&cfg.url_exclude, "url_exclude")?,
            max_payload: usize::try_from(cfg.max_doc_bytes).unwrap_or(usize::MAX),
            defer_decode: cfg.defer_decode,
        })
    }

    pub fn wants_type(&self, t: &str) -> bool {
        self.record_types.iter().any(|r| r.eq_ignore_ascii_case(t))
    }

    pub fn url_ok(&self, url: &str) -> bool {
        self.include.as_ref().is_none_or(|s| s.is_match(url))
            && !self.exclude.as_ref().is_some_and(|s| s.is_match(url))
    }

    fn mime_ok(&self, mime: &str) -> bool {
        self.mime_types.iter().any(|m| m == mime || m == "*")
    }
}

/// Identity of a web record, filled by the reader.
pub struct RecordInfo<'a> {
    pub id: String,
    pub url: Option<&'a str>,
    pub date: Option<&'a str>,
    pub key: DocKey,
    pub source: String,
    /// Offset reported with skips (the record's compressed offset).
    pub offset: u64,
}

impl RecordInfo<'_> {
    pub fn skip(&self, reason: &str, why: impl std::fmt::Display) -> Event {
        Event::skip(reason, self.offset, format!("{}: {why}", self.source))
    }
}

/// A WARC `response` / ARC record payload: an HTTP message.
pub fn http_response(msg: &[u8], rec: &RecordInfo, sel: &Select) -> Event {
    let Some((head, body)) = http::parse(msg) else {
        return rec.skip("skipped_non_http", "payload has no HTTP status line");
    };
    if head.status != 200 {
        let reason = if head.status == 0 {
            "bad_http_status".to_string()
        } else {
            format!("skipped_status_{}", head.status)
        };
        return rec.skip(&reason, format!("HTTP status {}", head.status));
    }
    let body = if head.chunked {
        http::dechunk(body)
    } else {
        Cow::Borrowed(body)
    };
    // `Borrowed` from decode_content is the whole body unchanged: keep `body` (maybe owned)
    let body = match http::decode_content(&body, head.content_encoding, sel.max_payload) {
        Ok(Cow::Owned(b)) => Cow::Owned(b),
        Ok(Cow::Borrowed(_)) => body,
        Err(http::BodyError::TooLarge) => {
            return rec.skip(
                "bad_too_large",
                format!("decoded body over {} bytes", sel.max_payload),
            );
        }
        Err(e) => {
            return rec.skip(
                "bad_content_encoding",
                format!("{e:?} Content-Encoding {:?}", head.content_encoding),
            );
        }
    };
    html_doc(body, head.content_type, rec, sel)
}

/// An HTML (or other selected type) body with its `Content-Type`, if any.
/// A body already de-chunked or decompressed is moved into the doc, not copied.
pub fn html_doc(
    body: Cow<'_, [u8]>,
    content_type: Option<&str>,
    rec: &RecordInfo,
    sel: &Select,
) -> Event {
    let mime = match content_type.map(http::mime_of).filter(|m| !m.is_empty()) {
        Some(m) => m,
        None if http::sniff_html(&body) => "text/html".to_string(),
        None => {
            return rec.skip(
                "skipped_non_html",
                "no Content-Type and the body is not HTML",
            );
        }
    };
    if !sel.mime_ok(&mime) {
        return rec.skip("skipped_non_html", format!("media type {mime}"));
    }
    if body.trim_ascii().is_empty() {
        return rec.skip("skipped_empty", "empty body");
    }
    let mut doc = Doc::from_text(rec.id.clone(), String::new());
    doc.url = rec.url.map(str::to_string);
    doc.key = rec.key;
    doc.source = rec.source.clone();
    doc.raw = Some(Raw {
        mime: Some(mime),
        bytes: body.into_owned(),
        http_charset: content_type
            .and_then(charset::charset_from_content_type)
            .map(str::to_string),
        ..Default::default()
    });
    if let Some(d) = rec.date {
        doc.set_meta("date", d);
    }
    if !sel.defer_decode {
        if let Err((reason, detail)) = decode_deferred(&mut doc) {
            return rec.skip(reason, detail);
        }
    }
    Event::Doc(Box::new(doc))
}

/// Decode `doc.raw.bytes` to `doc.raw.html` (HTTP charset, BOM, `<meta>`, detection) and record
/// `charset`/`charset_source`. A no-op when there is nothing left to decode. Binary served as
/// text/html, or a page in an encoding nothing recognises (more than ~3% of the text would be
/// U+FFFD, which no later step can use), is an error `("bad_undecodable", detail)`.
pub fn decode_deferred(doc: &mut Doc) -> Result<(), (&'static str, String)> {
    let Some(raw) = doc.raw.as_mut() else {
        return Ok(());
    };
    if raw.bytes.is_empty() {
        return Ok(());
    }
    let bytes = Cow::Owned(std::mem::take(&mut raw.bytes));
    let dec = charset::decode_html_cow(bytes, raw.http_charset.as_deref(), doc.url.as_deref());
    let bad = memchr::memmem::find_iter(dec.text.as_bytes(), "\u{FFFD}".as_bytes()).count();
    if bad * 30 > dec.text.len() {
        return Err((
            "bad_undecodable",
            format!(
                "{bad} U+FFFD after decoding as {} ({})",
                dec.charset, dec.source
            ),
        ));
    }
    raw.html = dec.text;
    doc.set_meta("charset", dec.charset);
    doc.set_meta("charset_source", dec.source);
    Ok(())
}

/// A WET `conversion` record (or any plain-text record): the text as is.
pub fn text_doc(body: &[u8], rec: &RecordInfo) -> Event {
    if body.trim_ascii().is_empty() {
        return rec.skip("skipped_empty", "empty text");
    }
    let dec = charset::decode_html_hinted(body, Some("utf-8"), rec.url);
    let mut doc = Doc::from_text(rec.id.clone(), dec.text);
    doc.url = rec.url.map(str::to_string);
    doc.key = rec.key;
    doc.source = rec.source.clone();
    if let Some(d) = rec.date {
        doc.set_meta("date", d);
    }
    Event::Doc(Box::new(doc))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec() -> RecordInfo<'static> {
        RecordInfo {
            id: "<urn:uuid:1>".into(),
            url: Some("http://example.cn/a"),
            date: Some("2020-01-01T00:00:00Z"),
            key: DocKey::new(0, 7),
            source: "f:7".into(),
            offset: 7,
        }
    }

    /// A GB18030 page declared as gb2312, read with or without deferred decoding.
    fn gb_page(defer_decode: bool) -> Box<Doc> {
        let sel = Select::new(&InputConfig {
            defer_decode,
            ..Default::default()
        })
        .unwrap();
        let body = encoding_rs::GB18030
            .encode("<html><body>中文网页</body></html>")
            .0;
        let mut msg =
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=gb2312\r\n\r\n".to_vec();
        msg.extend_from_slice(&body);
        let Event::Doc(d) = http_response(&msg, &rec(), &sel) else {
            panic!()
        };
        d
    }

    #[test]
    fn deferred_decoding_gives_the_same_doc_later() {
        let mut d = gb_page(true);
        assert!(d.raw.as_ref().unwrap().html.is_empty() && d.meta_str("charset").is_none());
        decode_deferred(&mut d).unwrap();
        assert_eq!(
            d.raw.as_ref().unwrap().html,
            "<html><body>中文网页</body></html>"
        );
        assert!(d.raw.as_ref().unwrap().bytes.is_empty());
        assert_eq!(
            (d.meta_str("charset"), d.meta_str("charset_source")),
            (Some("GB18030"), Some("http"))
        );
        decode_deferred(&mut d).unwrap(); // idempotent
    }

    fn reason(e: &Event) -> &str {
        match e {
            Event::Skip { reason, .. } => reason,
            Event::Doc(_) => "doc",
        }
    }

    #[test]
    fn response_becomes_a_doc_with_charset_columns() {
        let d = gb_page(false);
        let raw = d.raw.as_ref().unwrap();
        assert_eq!(raw.html, "<html><body>中文网页</body></html>");
        assert_eq!(raw.mime.as_deref(), Some("text/html"));
        assert_eq!(d.meta_str("charset"), Some("GB18030"));
        assert_eq!(d.meta_str("charset_source"), Some("http"));
        assert_eq!(d.meta_str("date"), Some("2020-01-01T00:00:00Z"));
        assert_eq!(
            (d.url.as_deref(), d.key, d.source.as_str()),
            (Some("http://example.cn/a"), DocKey::new(0, 7), "f:7")
        );
    }

    #[test]
    fn skip_reasons() {
        let mut cfg = InputConfig {
            url_exclude: vec!["\\.cn/".into()],
            ..Default::default()
        };
        let sel = Select::new(&InputConfig::default()).unwrap();
        assert_eq!(
            reason(&http_response(
                b"HTTP/1.1 404 Not Found\r\n\r\n<html>",
                &rec(),
                &sel
            )),
            "skipped_status_404"
        );
        assert_eq!(
            reason(&http_response(b"HTTP/1.1 abc\r\n\r\n<html>", &rec(), &sel)),
            "bad_http_status"
        );
        assert_eq!(
            reason(&http_response(b"dns answer", &rec(), &sel)),
            "skipped_non_http"
        );
        assert_eq!(
            reason(&http_response(
                b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n\r\n\x89PNG",
                &rec(),
                &sel
            )),
            "skipped_non_html"
        );
        assert_eq!(
            reason(&http_response(
                b"HTTP/1.1 200 OK\r\n\r\n<html>hi",
                &rec(),
                &sel
            )),
            "doc"
        );
        assert_eq!(
            reason(&http_response(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n  ",
                &rec(),
                &sel
            )),
            "skipped_empty"
        );
        let gz = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\n\r\n\x1f\x8b\x08\x00junk";
        assert_eq!(
            reason(&http_response(gz, &rec(), &sel)),
            "bad_content_encoding"
        );
        let excl = Select::new(&cfg).unwrap();
        assert!(!excl.url_ok("http://example.cn/a") && excl.url_ok("http://example.com/"));
        cfg.url_include = vec!["^https://".into()];
        let incl = Select::new(&cfg).unwrap();
        assert!(!incl.url_ok("http://example.com/") && incl.url_ok("https://example.com/"));
        cfg.url_include = vec!["(".into()];
        assert!(Select::new(&cfg).is_err());
    }
}
