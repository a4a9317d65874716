//! The HTTP message inside a WARC `response` (or ARC) record: status line, headers, body.
//!
//! Archived HTTP is messy: CR CR LF or bare LF line ends, missing reason phrases, folded or
//! junk header lines, `Transfer-Encoding: chunked` on bodies that the crawler already
//! de-chunked (Webrecorder), `Content-Encoding` that lies. Everything here is lenient: a header
//! we cannot read is ignored, and a body is only de-chunked or decompressed when its bytes say so.

use std::borrow::Cow;
use std::io::Read;

/// The parts of an HTTP response we use.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Head<'a> {
    pub status: u16,
    pub content_type: Option<&'a str>,
    pub content_encoding: Option<&'a str>,
    pub chunked: bool,
}

/// Split an HTTP response into its head and body. `None` when it does not start with a status
/// line (then it is not HTTP: `dns:` records, bare resources).
pub fn parse(msg: &[u8]) -> Option<(Head<'_>, &[u8])> {
    let first_end = memchr::memchr(b'\n', msg)?;
    let status_line = msg.get(..first_end)?;
    if !status_line.starts_with(b"HTTP/") {
        return None;
    }
    let mut parts = status_line
        .split(|&b| b == b' ')
        .filter(|p| !p.is_empty())
        .skip(1);
    let status = parts
        .next()
        .and_then(|c| std::str::from_utf8(trim_cr(c)).ok())
        .and_then(|c| c.parse::<u16>().ok())
        .unwrap_or(0);
    let mut head = Head {
        status,
        ..Default::default()
    };
    let mut at = first_end + 1;
    loop {
        let rest = msg.get(at..).unwrap_or_default();
        let (line, next) = match memchr::memchr(b'\n', rest) {
            Some(i) => (rest.get(..i).unwrap_or_default(), at + i + 1),
            // No blank line: the whole message is headers (a HEAD response, a cut record).
            None => (rest, msg.len()),
        };
        let line = trim_cr(line);
        at = next;
        if line.is_empty() {
            break;
        }
        let Some(colon) = memchr::memchr(b':', line) else {
            continue;
        };
        let (name, value) = (
            line.get(..colon).unwrap_or_default(),
            line.get(colon + 1..).unwrap_or_default(),
        );
        let Ok(value) = std::str::from_utf8(value) else {
            continue;
        };
        let value = value.trim();
        let name = trim_ascii(name);
        if name.eq_ignore_ascii_case(b"content-type") {
            head.content_type = Some(value);
        } else if name.eq_ignore_ascii_case(b"content-encoding") {
            head.content_encoding = Some(value);
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            head.chunked |= value.to_ascii_lowercase().contains("chunked");
        }
        if at >= msg.len() {
            break;
        }
    }
    Some((head, msg.get(at..).unwrap_or_default()))
}

fn trim_cr(mut b: &[u8]) -> &[u8] {
    while let [rest @ .., b'\r'] = b {
        b = rest;
    }
    b
}

fn trim_ascii(b: &[u8]) -> &[u8] {
    b.trim_ascii()
}

/// The media type of a `Content-Type` value: lower case, without parameters.
pub fn mime_of(ct: &str) -> String {
    ct.split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// De-chunk a body if it really is chunked. Webrecorder keeps the header but stores the body
/// de-chunked, so the first line must be a hex size followed by CRLF, as warcio checks. A
/// chunk stream cut short keeps the chunks before the cut.
pub fn dechunk(body: &[u8]) -> Cow<'_, [u8]> {
    let Some(first) = chunk_size_line(body) else {
        return Cow::Borrowed(body);
    };
    let mut out = Vec::with_capacity(body.len());
    let mut next = Some(first);
    let mut at = 0usize;
    while let Some((size, line_len)) = next {
        if size == 0 {
            break;
        }
        let start = at + line_len;
        let end = start.saturating_add(size).min(body.len());
        out.extend_from_slice(body.get(start..end).unwrap_or_default());
        if end < start.saturating_add(size) {
            break;
        }
        at = end;
        // Chunk data ends with CRLF (some writers use a bare LF).
        for _ in 0..2 {
            if matches!(body.get(at), Some(b'\r' | b'\n')) {
                at += 1;
            }
        }
        next = chunk_size_line(body.get(at..).unwrap_or_default());
    }
    Cow::Owned(out)
}

/// `(size, length of the size line including its line end)` when `b` starts with a chunk size.
fn chunk_size_line(b: &[u8]) -> Option<(usize, usize)> {
    let nl = memchr::memchr(b'\n', b.get(..b.len().min(64))?)?;
    let line = trim_cr(b.get(..nl)?);
    let hex = line.split(|&c| c == b';').next()?.trim_ascii();
    if hex.is_empty() || hex.len() > 12 || !hex.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    let size = usize::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?;
    Some((size, nl + 1))
}

/// Why a body could not be decoded.
#[derive(Debug, PartialEq, Eq)]
pub enum BodyError {
    /// Decoded size over the cap (a decompression bomb or a huge page).
    TooLarge,
    /// The encoding's data is broken and nothing could be recovered.
    Corrupt,
    /// An encoding we do not know (`compress`, `zstd`, …).
    Unsupported,
}

/// Undo `Content-Encoding` (gzip, deflate, brotli; stacked ones in reverse order), capping the
/// output at `max` bytes. Bodies that are not actually encoded (archives that stored the
/// decoded body, keeping the header) pass through. A stream cut short keeps what decoded.
pub fn decode_content<'a>(
    body: &'a [u8],
    encoding: Option<&str>,
    max: usize,
) -> Result<Cow<'a, [u8]>, BodyError> {
    let mut data = Cow::Borrowed(body);
    let Some(encoding) = encoding else {
        return Ok(data);
    };
    for enc in encoding.rsplit(',') {
        let enc = enc.trim().to_ascii_lowercase();
        data = match enc.as_str() {
            "" | "identity" | "none" | "null" | "utf-8" | "binary" => data,
            "gzip" | "x-gzip" => {
                if !data.starts_with(&[0x1f, 0x8b]) {
                    data
                } else {
                    Cow::Owned(read_capped(
                        flate2::read::MultiGzDecoder::new(&data[..]),
                        max,
                    )?)
                }
            }
            "deflate" => {
                // RFC says zlib-wrapped; many servers send raw deflate.
                let zlib = matches!(data.get(..2), Some(&[a, b]) if a & 0x0f == 8 && u16::from_be_bytes([a, b]) % 31 == 0);
                if zlib {
                    Cow::Owned(read_capped(flate2::read::ZlibDecoder::new(&data[..]), max)?)
                } else {
                    Cow::Owned(read_capped(
                        flate2::read::DeflateDecoder::new(&data[..]),
                        max,
                    )?)
                }
            }
            "br" => Cow::Owned(read_capped(
                brotli_decompressor::Decompressor::new(&data[..], 1 << 16),
                max,
            )?),
            _ => return Err(BodyError::Unsupported),
        };
    }
    Ok(data)
}

fn read_capped(r: impl Read, max: usize) -> Result<Vec<u8>, BodyError> {
    let mut out = Vec::new();
    let mut limited = r.take(max as u64 + 1);
    let res = limited.read_to_end(&mut out);
    if out.len() > max {
        return Err(BodyError::TooLarge);
    }
    match res {
        Ok(_) => Ok(out),
        Err(_) if !out.is_empty() => Ok(out),
        Err(_) => Err(BodyError::Corrupt),
    }
}

/// Bodies served without a usable `Content-Type`: does it look like HTML?
pub fn sniff_html(body: &[u8]) -> bool {
    let head = body.get(..body.len().min(512)).unwrap_or_default();
    let head = head
        .strip_prefix(&[0xEF, 0xBB, 0xBF])
        .unwrap_or(head)
        .trim_ascii_start();
    let lower = head
        .get(..head.len().min(16))
        .unwrap_or_default()
        .to_ascii_lowercase();
    [
        "<!doctype html",
        "<html",
        "<head",
        "<body",
        "<meta",
        "<title",
    ]
    .iter()
    .any(|p| lower.starts_with(p.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn status_and_headers_tolerate_bad_lines() {
        let msg = b"HTTP/1.1 200\r\r\nContent-Type: text/html; charset=gbk\r\r\nbroken line\r\n\xff\xfe: x\r\nTransfer-Encoding:  Chunked\r\n\r\nBODY";
        let (h, body) = parse(msg).unwrap();
        assert_eq!(h.status, 200);
        assert_eq!(h.content_type, Some("text/html; charset=gbk"));
        assert!(h.chunked);
        assert_eq!(body, b"BODY");
        let (h, body) = parse(b"HTTP/1.0 404 Not Found\nServer: x\n\n<html>").unwrap();
        assert_eq!((h.status, body), (404, &b"<html>"[..]));
        assert!(parse(b"not http\r\n\r\n").is_none());
        let (h, body) = parse(b"HTTP/1.1 301 Moved\r\nLocation: /x").unwrap();
        assert_eq!((h.status, body), (301, &b""[..]));
        assert_eq!(mime_of("Text/HTML ; charset=x"), "text/html");
    }

    #[test]
    fn dechunk_only_real_chunks() {
        assert_eq!(
            &*dechunk(b"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n"),
            b"hello world"
        );
        assert_eq!(
            &*dechunk(b"<html>already de-chunked"),
            b"<html>already de-chunked"
        );
        // Cut in the middle of a chunk: keep what is there.
        assert_eq!(&*dechunk(b"5\r\nhello\r\n10\r\nabc"), b"helloabc");
        assert_eq!(&*dechunk(b"ffffffffffff\r\nab"), b"ab");
    }

    #[test]
    fn content_encodings_and_bomb_cap() {
        let text = b"The quick brown fox jumps over the lazy dog. ".repeat(100);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&text).unwrap();
        let gz = gz.finish().unwrap();
        assert_eq!(
            &*decode_content(&gz, Some("gzip"), 1 << 20).unwrap(),
            &text[..]
        );
        assert_eq!(
            decode_content(&gz, Some("gzip"), 100),
            Err(BodyError::TooLarge)
        );
        // Header says gzip, bytes are plain: pass through.
        assert_eq!(
            &*decode_content(b"<html>", Some("gzip"), 100).unwrap(),
            b"<html>"
        );
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(&text).unwrap();
        assert_eq!(
            &*decode_content(&z.finish().unwrap(), Some("deflate"), 1 << 20).unwrap(),
            &text[..]
        );
        let mut d = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        d.write_all(&text).unwrap();
        assert_eq!(
            &*decode_content(&d.finish().unwrap(), Some("deflate"), 1 << 20).unwrap(),
            &text[..]
        );
        // Cut gzip keeps its decoded prefix; garbage is corrupt; unknown codings are reported.
        let cut = decode_content(gz.get(..gz.len() / 2).unwrap(), Some("gzip"), 1 << 20).unwrap();
        assert!(text.starts_with(&cut));
        assert_eq!(
            decode_content(b"\x1f\x8b\x08\x00garbage", Some("gzip"), 100),
            Err(BodyError::Corrupt)
        );
        assert_eq!(
            decode_content(b"x", Some("compress"), 100),
            Err(BodyError::Unsupported)
        );
    }

    #[test]
    fn brotli_bomb_from_pywb_is_capped() {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/data/warc/pywb/quickfox_repeated.compressed");
        let Ok(data) = std::fs::read(&p) else {
            eprintln!("skipping: ../shared/data not found");
            return;
        };
        let full = decode_content(&data, Some("br"), 1 << 20).unwrap();
        assert_eq!(full.len(), 176_128);
        assert!(full.starts_with(b"The quick brown fox"));
        assert_eq!(
            decode_content(&data, Some("br"), 10_000),
            Err(BodyError::TooLarge)
        );
    }

    #[test]
    fn sniffs_html() {
        assert!(sniff_html(b"\xef\xbb\xbf  <!DOCTYPE html><html>"));
        assert!(sniff_html(b"\n<HTML>"));
        assert!(!sniff_html(b"{\"json\": 1}"));
    }
}
