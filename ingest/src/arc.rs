//! ARC (Internet Archive, v1 and v2) reader, plain or one gzip member per record.
//!
//! The `warc` crate reads no ARC at all (0 records, no error), hence this small parser. A record
//! is one header line `URL IP date mime length` (v2 adds result code, checksum, location,
//! offset and filename before the length) and `length` bytes of HTTP response. The first
//! record, `filedesc://`, names the version. URLs may contain spaces, so fields are taken from
//! the end of the line.

use std::path::Path;

use anyhow::Result;

use crate::record::{Core, is_ws};
use crate::select;
use crate::{Events, InputConfig};

pub fn read(path: &Path, file_idx: u32, cfg: &InputConfig) -> Result<Events> {
    let mut core = Core::new(path, file_idx, cfg)?;
    let mut version = 1u8;
    Ok(Box::new(std::iter::from_fn(move || {
        core.next_event(|c| step(c, &mut version))
    })))
}

/// The parts of an ARC header line.
#[derive(Debug, PartialEq)]
struct Header {
    url: String,
    date: String,
    len: Option<u64>,
}

/// A header line, if the line looks like one (a URL first and a numeric date where the
/// version puts it). `len` is `None` when the length field is not a number.
fn parse_header(line: &[u8], version: u8) -> Option<Header> {
    let line = std::str::from_utf8(line)
        .ok()?
        .trim_end_matches(['\r', '\n']);
    let tokens: Vec<&str> = line.split(' ').filter(|t| !t.is_empty()).collect();
    let n = tokens.len();
    let (url_end, date_at) = if version >= 2 && n >= 10 {
        (n - 9, n - 8)
    } else {
        (n.checked_sub(4)?, n - 3)
    };
    if url_end == 0 {
        return None;
    }
    let url = tokens.get(..url_end)?.join(" ");
    let date = *tokens.get(date_at)?;
    let scheme = url.split(':').next().unwrap_or_default();
    let scheme_ok = url.contains(':')
        && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b));
    if !scheme_ok || date.len() < 8 || !date.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let len = tokens.last()?.parse().ok();
    Some(Header {
        url,
        date: iso_date(date),
        len,
    })
}

/// `20140216050221` → `2014-02-16T05:02:21Z` (WARC-Date style); other shapes stay as they are.
fn iso_date(d: &str) -> String {
    match (
        d.get(0..4),
        d.get(4..6),
        d.get(6..8),
        d.get(8..10),
        d.get(10..12),
        d.get(12..14),
    ) {
        (Some(y), Some(mo), Some(da), Some(h), Some(mi), Some(s)) if d.len() == 14 => {
            format!("{y}-{mo}-{da}T{h}:{mi}:{s}Z")
        }
        _ => d.to_string(),
    }
}

/// Longest ARC header line.
const MAX_LINE: usize = 8192;

fn line_end(d: &[u8]) -> Option<usize> {
    memchr::memchr(b'\n', d.get(..d.len().min(MAX_LINE))?).map(|i| i + 1)
}

/// Start of the first whole line after a newline in `d` (never 0) that is an ARC header.
fn find_header(d: &[u8], version: u8) -> Option<usize> {
    memchr::memchr_iter(b'\n', d)
        .map(|i| i + 1)
        .find(|&s| is_header(d.get(s..).unwrap_or_default(), version))
}

/// `d` starts with a whole ARC header line.
fn is_header(d: &[u8], version: u8) -> bool {
    line_end(d).is_some_and(|e| parse_header(d.get(..e).unwrap_or_default(), version).is_some())
}

fn step(c: &mut Core, version: &mut u8) {
    if !c.skip_ws() {
        return;
    }
    let start = c.s.offset();
    let lend = match c.header(line_end) {
        Ok(l) => l,
        Err(reason) => {
            if c.header_failed(start, reason, "header line cut off")
                .is_some()
            {
                c.skip_garbage(|d| memchr::memchr(b'\n', d.get(1..)?).map(|i| i + 2), 0);
            }
            return;
        }
    };
    let Some(h) = parse_header(c.s.data().get(..lend).unwrap_or_default(), *version) else {
        // Not a header: a line of garbage (the tail of a record whose length was wrong).
        c.drop_garbage(lend);
        return;
    };
    c.flush_garbage();
    let rec = c.info(start, None, Some(&h.url), Some(&h.date));
    let Some(len) = h.len else {
        c.out
            .push_back(rec.skip("bad_length", "ARC length is not a number"));
        c.s.consume(lend);
        return;
    };
    let need = lend.saturating_add(usize::try_from(len).unwrap_or(usize::MAX));
    let over = len > c.sel.max_payload as u64;
    if over || c.s.ensure(need) < need {
        // Over the cap, or cut short: resync on the next member or header line rather than
        // trusting `len` (a bogus length must not swallow the records after it). The header's
        // newline stays so `find_header` sees the line right after it.
        let v = *version;
        c.s.consume(lend - 1);
        let (skipped, found) = c.resync(start, |d| find_header(d, v), MAX_LINE);
        if over && (found || skipped > len) {
            c.out
                .push_back(rec.skip("bad_too_large", format!("{len} byte record")));
        } else if found {
            c.out
                .push_back(rec.skip("bad_length", "ARC length runs into the next record"));
        } else {
            c.truncated(&rec, "record cut off");
        }
        return;
    }
    let v = *version;
    if let Some(i) = c.member_inside(start, need, |d| is_header(d, v)) {
        c.out
            .push_back(rec.skip("bad_length", "ARC length runs into the next gzip member"));
        c.s.consume(i);
        return;
    }
    let next_ok = c.followed_by_record(need, |d, at_end| match line_end(d) {
        Some(e) => Some(parse_header(d.get(..e).unwrap_or_default(), v).is_some()),
        None if at_end => Some(d.is_empty()),
        None => (d.len() >= MAX_LINE).then_some(false),
    });
    // Records are separated by a newline: content running straight into a header line means
    // the length ended inside that line (a bogus length), not at a record boundary.
    let separated = c.s.data().get(need).is_none_or(|&b| is_ws(b));
    if !next_ok || !separated {
        // A length too long by a little runs into the next record: resume at its header.
        // The header may start inside the content and end after it.
        let found = c.s.data().get(lend - 1..).and_then(|d| find_header(d, v));
        if let Some(i) = found.filter(|&i| i < need - (lend - 1)) {
            c.out
                .push_back(rec.skip("bad_length", "ARC length runs into the next record"));
            c.s.consume(lend - 1 + i);
            return;
        }
    }
    if c.skip_tainted(&rec, start, start + need as u64) {
        return;
    }
    let body = c.s.data().get(lend..need).unwrap_or_default();
    let ev = if h.url.starts_with("filedesc:") {
        // Second line of the file header: `<major> <minor> <origin>`.
        if body.first() == Some(&b'2') {
            *version = 2;
        }
        rec.skip("skipped_filedesc", "")
    } else if !(h.url.starts_with("http:") || h.url.starts_with("https:")) {
        rec.skip("skipped_non_http", &h.url)
    } else if !c.sel.url_ok(&h.url) {
        rec.skip("skipped_url", &h.url)
    } else {
        select::http_response(body, &rec, &c.sel)
    };
    c.out.push_back(ev);
    c.s.consume(need);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_lines() {
        let h = parse_header(
            b"http://example.com/ 93.184.216.119 20140216050221 text/html 1591\n",
            1,
        )
        .unwrap();
        assert_eq!(
            (h.url.as_str(), h.date.as_str(), h.len),
            ("http://example.com/", "2014-02-16T05:02:21Z", Some(1591))
        );
        let h = parse_header(
            b"http://example.com/a b.html 1.2.3.4 20140216050221 text/html 10\n",
            1,
        )
        .unwrap();
        assert_eq!(h.url, "http://example.com/a b.html");
        let v2 = b"http://a.org/ 1.2.3.4 20080430204825 text/html 200 ABCDEF - 0 f.arc 512\n";
        let h = parse_header(v2, 2).unwrap();
        assert_eq!((h.url.as_str(), h.len), ("http://a.org/", Some(512)));
        assert_eq!(
            parse_header(
                b"http://example.com/ 93.184.216.119 201404010000000000 text/html abc",
                1
            )
            .unwrap()
            .len,
            None
        );
        assert_eq!(
            parse_header(b"<html><body>hello world</body></html>", 1),
            None
        );
        assert_eq!(parse_header(b"", 1), None);
    }
}
