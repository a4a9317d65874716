//! WARC (0.17, 0.18, 1.0, 1.1) and WET reader: plain, one gzip member per record, or one
//! gzip stream for the whole file.
//!
//! Why our own parser and not the `warc` crate (0.4): it cannot resynchronise after a cut gzip
//! member (every later read fails, losing the rest of a multi-GB file), returns garbage records
//! from flipped bytes, knows no ARC, and its libflate path is 2.7× slower than flate2/zlib-rs
//! (see ../shared/notes/crates.md). Here a record is only yielded once its Content-Length bytes
//! are complete, the bytes after it look like the next record (or the end), and its gzip member
//! passed its CRC check; anything else is skipped with a reason and we resynchronise on the
//! next `WARC/` line.

use std::path::Path;

use anyhow::Result;

use crate::record::{Core, header_len, is_ws};
use crate::select;
use crate::{Events, InputConfig};

pub fn read(path: &Path, file_idx: u32, cfg: &InputConfig) -> Result<Events> {
    let mut core = Core::new(path, file_idx, cfg)?;
    Ok(Box::new(std::iter::from_fn(move || core.next_event(step))))
}

/// The WARC header fields we use.
#[derive(Default)]
struct Fields {
    typ: String,
    len: Option<u64>,
    url: Option<String>,
    id: Option<String>,
    date: Option<String>,
    content_type: Option<String>,
}

fn parse_fields(h: &[u8]) -> Fields {
    let mut f = Fields::default();
    for line in h.split(|&b| b == b'\n').skip(1) {
        let Some(colon) = memchr::memchr(b':', line) else {
            continue;
        };
        let name = line.get(..colon).unwrap_or_default().trim_ascii();
        let value = String::from_utf8_lossy(line.get(colon + 1..).unwrap_or_default().trim_ascii())
            .into_owned();
        let is = |n: &str| name.eq_ignore_ascii_case(n.as_bytes());
        if is("warc-type") {
            f.typ = value.to_ascii_lowercase();
        } else if is("content-length") {
            f.len = value.parse().ok();
        } else if is("warc-target-uri") {
            f.url = Some(
                value
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_string(),
            );
        } else if is("warc-record-id") {
            f.id = Some(value);
        } else if is("warc-date") {
            f.date = Some(value);
        } else if is("content-type") {
            f.content_type = Some(value);
        }
    }
    f
}

/// Next `WARC/<digit>` at the start of a line, after position 0.
fn find_warc(d: &[u8]) -> Option<usize> {
    let mut from = 1;
    loop {
        let i = memchr::memmem::find(d.get(from..)?, b"WARC/")? + from;
        let line_start = d
            .get(i - 1)
            .is_some_and(|&b| b == b'\n' || b == b'\r' || b == 0);
        if line_start && d.get(i + 5).is_none_or(u8::is_ascii_digit) {
            return Some(i);
        }
        from = i + 1;
    }
}

fn step(c: &mut Core) {
    if !c.skip_ws() {
        return;
    }
    c.s.ensure(6);
    if !c.s.data().starts_with(b"WARC/") {
        c.skip_garbage(find_warc, 6);
        return;
    }
    let start = c.s.offset();
    let hlen = match c.header(header_len) {
        Ok(h) => h,
        Err(reason) => {
            c.flush_garbage();
            let rec = c.info(start, None, None, None);
            if reason == "bad_truncated" {
                c.truncated(&rec, "header cut off");
            } else {
                c.out
                    .push_back(rec.skip(reason, "no end of the WARC header"));
                c.s.consume(5);
            }
            return;
        }
    };
    let f = parse_fields(c.s.data().get(..hlen).unwrap_or_default());
    c.flush_garbage();
    let typ = Core::counter_name(&f.typ);
    let rec = c.info(start, f.id.clone(), f.url.as_deref(), f.date.as_deref());
    let Some(len) = f.len else {
        c.out
            .push_back(rec.skip("bad_length", "missing or bad Content-Length"));
        c.s.consume(hlen);
        return;
    };
    let doc_type = typ == "conversion" || c.sel.wants_type(&typ);
    if len > c.sel.max_payload as u64 {
        c.s.consume(hlen);
        let got = c.s.skip(len);
        if got < len {
            c.truncated(&rec, "record cut off");
        } else if doc_type {
            c.out
                .push_back(rec.skip("bad_too_large", format!("{len} byte record")));
        } else {
            c.out.push_back(rec.skip(&format!("skipped_{typ}"), ""));
        }
        return;
    }
    let need = hlen + len as usize;
    if c.s.ensure(need) < need {
        // Cut short. If another record starts inside, the length was wrong (NUL-padded,
        // truncated writes): resume there.
        if let Some(i) = c.s.data().get(hlen..).and_then(find_warc) {
            c.out
                .push_back(rec.skip("bad_length", "Content-Length runs into the next record"));
            c.s.consume(hlen + i);
        } else {
            c.truncated(&rec, "record cut off");
        }
        return;
    }
    if !next_is_record(c, need) {
        if let Some(i) = c.s.data().get(hlen..need).and_then(find_warc) {
            c.out
                .push_back(rec.skip("bad_length", "Content-Length runs into the next record"));
            c.s.consume(hlen + i);
            return;
        }
        // Otherwise the record is whole and garbage follows: the next step counts it.
    }
    if let Some((reason, detail)) = c.tainted(start, start + need as u64) {
        c.out.push_back(rec.skip(reason, detail));
        let n = c.s.data().len();
        c.s.consume(n);
        return;
    }
    let payload = c.s.data().get(hlen..need).unwrap_or_default();
    let ev = if !doc_type {
        rec.skip(&format!("skipped_{typ}"), "")
    } else if rec.url.is_some_and(|u| !c.sel.url_ok(u)) {
        rec.skip("skipped_url", rec.url.unwrap_or_default())
    } else {
        match typ.as_str() {
            "conversion" => select::text_doc(payload, &rec),
            "response" => select::http_response(payload, &rec, &c.sel),
            _ => select::html_doc(payload, f.content_type.as_deref(), &rec, &c.sel),
        }
    };
    c.out.push_back(ev);
    c.s.consume(need);
}

/// After a record's content: only whitespace/NUL padding, then `WARC/` or the end?
fn next_is_record(c: &mut Core, mut p: usize) -> bool {
    let end = p;
    loop {
        // Megabytes of padding: not worth buffering; the next step skips it.
        if p - end > 1 << 20 {
            return true;
        }
        let d = c.s.data();
        while d.get(p).is_some_and(|&b| is_ws(b)) {
            p += 1;
        }
        if d.len() >= p + 5 {
            return d.get(p..p + 5) == Some(b"WARC/");
        }
        if !c.s.fill() {
            let d = c.s.data();
            return b"WARC/".starts_with(d.get(p..).unwrap_or_default());
        }
    }
}
