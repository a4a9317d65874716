//! WARC (0.17, 0.18, 1.0, 1.1) and WET reader: plain, one gzip member per record, or one
//! gzip stream for the whole file.
//!
//! Why our own parser and not the `warc` crate (0.4): it cannot resynchronise after a cut gzip
//! member (every later read fails, losing the rest of a multi-GB file), returns garbage records
//! from flipped bytes, knows no ARC, and its libflate path is 2.7× slower than flate2/zlib-rs
//! (measured: docs/notes.md, "The warc crate"). Here a record is only yielded once its
//! Content-Length bytes are complete, the bytes after it look like the next record (or the end),
//! and its gzip member passed its CRC check; anything else is skipped with a reason and we
//! resynchronise on the next `WARC/` line.

use std::path::Path;

use anyhow::Result;

use crate::record::{Core, header_len};
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
        // a value becomes a String only for the fields we keep (no allocation per header line)
        let value = || {
            String::from_utf8_lossy(line.get(colon + 1..).unwrap_or_default().trim_ascii())
                .into_owned()
        };
        let is = |n: &str| name.eq_ignore_ascii_case(n.as_bytes());
        if is("warc-type") {
            f.typ = value().to_ascii_lowercase();
        } else if is("content-length") {
            f.len = value().parse().ok();
        } else if is("warc-target-uri") {
            f.url = Some(
                value()
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_string(),
            );
        } else if is("warc-record-id") {
            f.id = Some(value());
        } else if is("warc-date") {
            f.date = Some(value());
        } else if is("content-type") {
            f.content_type = Some(value());
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
            if let Some(rec) = c.header_failed(start, reason, "header cut off") {
                c.out
                    .push_back(rec.skip(reason, "no end of the WARC header"));
                c.s.consume(5);
            }
            return;
        }
    };
    // A header that runs into another `WARC/` line lost its blank line: resync on that line.
    if let Some(i) = c.s.data().get(..hlen).and_then(find_warc) {
        c.flush_garbage();
        let rec = c.info(start, None, None, None);
        c.out
            .push_back(rec.skip("bad_header", "WARC header without an end"));
        c.s.consume(i);
        return;
    }
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
        // Resync on the next member or `WARC/` line, not after `len` bytes (which may be bogus).
        // Leave the header's last newline so `find_warc` sees a `WARC/` right after it.
        c.s.consume(hlen.saturating_sub(1));
        let (skipped, found) = c.resync(start, find_warc, 6);
        if !found && skipped.saturating_sub(1) < len {
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
    if let Some(i) = c.member_inside(start, need, |d| d.starts_with(b"WARC/")) {
        c.out.push_back(rec.skip(
            "bad_length",
            "Content-Length runs into the next gzip member",
        ));
        c.s.consume(i);
        return;
    }
    // A record ends in CRLF CRLF. One whose length ends anywhere else (in the padding before
    // a later record, say) and whose content holds a `WARC/` line most likely swallowed
    // records: resume at that line (found by tests/fuzz_inputs.rs: a length landing in a later
    // record's trailer passed `next_is_record` and lost the records in between).
    c.s.ensure(need + 4);
    let standard_end = c.s.data().get(need..need + 4) == Some(b"\r\n\r\n");
    if !standard_end || !next_is_record(c, need) {
        // The `WARC/` may start inside the content and end after it.
        let found = c.s.data().get(hlen..).and_then(find_warc);
        if let Some(i) = found.filter(|&i| i < need - hlen) {
            c.out
                .push_back(rec.skip("bad_length", "Content-Length runs into the next record"));
            c.s.consume(hlen + i);
            return;
        }
        // Otherwise the record is whole and garbage follows: the next step counts it.
    }
    if c.skip_tainted(&rec, start, start + need as u64) {
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
            _ => select::html_doc(payload.into(), f.content_type.as_deref(), &rec, &c.sel),
        }
    };
    c.out.push_back(ev);
    c.s.consume(need);
}

/// After a record's content: only whitespace/NUL padding, then `WARC/` or the end?
fn next_is_record(c: &mut Core, p: usize) -> bool {
    c.followed_by_record(p, |d, at_end| {
        if at_end {
            Some(b"WARC/".starts_with(d))
        } else {
            d.get(..5).map(|h| h == b"WARC/")
        }
    })
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;
    use crate::Event;

    fn record(typ: &str, url: &str, payload: &[u8]) -> Vec<u8> {
        let mut r = format!(
            "WARC/1.0\r\nWARC-Type: {typ}\r\nWARC-Record-ID: <urn:uuid:{typ}-{url}>\r\nWARC-Target-URI: <{url}>\r\nWARC-Date: 2024-05-01T00:00:00Z\r\nContent-Type: application/http; msgtype=response\r\nContent-Length: {}\r\n\r\n",
            payload.len()
        )
        .into_bytes();
        r.extend_from_slice(payload);
        r.extend_from_slice(b"\r\n\r\n");
        r
    }

    fn page(body: &str) -> Vec<u8> {
        let mut p = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n".to_vec();
        p.extend_from_slice(body.as_bytes());
        p
    }

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn run(name: &str, bytes: &[u8], cfg: &InputConfig) -> Vec<Event> {
        let dir = std::env::temp_dir().join(format!("skypile-warc-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        read(&p, 1, cfg).unwrap().collect()
    }

    /// "doc:<url>" or the skip reason, in order.
    fn summary(ev: &[Event]) -> Vec<String> {
        ev.iter()
            .map(|e| match e {
                Event::Doc(d) => format!("doc:{}", d.url.as_deref().unwrap_or("")),
                Event::Skip { reason, .. } => reason.clone(),
            })
            .collect()
    }

    fn three() -> Vec<Vec<u8>> {
        vec![
            record("request", "http://a/", b"GET / HTTP/1.1\r\n\r\n"),
            record("response", "http://a/", &page("<html>第一页</html>")),
            record("response", "http://b/", &page("<html>second</html>")),
        ]
    }

    #[test]
    fn plain_per_record_gzip_and_whole_file_gzip_agree() {
        let recs = three();
        let want = vec!["skipped_request", "doc:http://a/", "doc:http://b/"];
        let plain = recs.concat();
        let per_member: Vec<u8> = recs.iter().flat_map(|r| gz(r)).collect();
        let whole = gz(&plain);
        let cfg = InputConfig::default();
        for (name, bytes) in [
            ("p.warc", &plain),
            ("m.warc.gz", &per_member),
            ("w.warc.gz", &whole),
        ] {
            let ev = run(name, bytes, &cfg);
            assert_eq!(summary(&ev), want, "{name}");
            let Event::Doc(d) = &ev[1] else { panic!() };
            assert_eq!(d.id, "<urn:uuid:response-http://a/>");
            assert_eq!(d.raw.as_ref().unwrap().html, "<html>第一页</html>");
            assert_eq!(d.meta_str("date"), Some("2024-05-01T00:00:00Z"));
            assert_eq!(d.meta_str("charset_source"), Some("http"));
            assert_eq!(d.key.file, 1);
        }
        // Per-member gzip: the source names the member's compressed offset.
        let ev = run("m2.warc.gz", &per_member, &cfg);
        let Event::Doc(d) = &ev[2] else { panic!() };
        let second_member = gz(&recs[0]).len() + gz(&recs[1]).len();
        assert!(
            d.source.ends_with(&format!(":{second_member}")),
            "{}",
            d.source
        );
        // Whole-file gzip: unique keys although all records share one member.
        let ev = run("w2.warc.gz", &whole, &cfg);
        let (Event::Doc(a), Event::Doc(b)) = (&ev[1], &ev[2]) else {
            panic!()
        };
        assert!(a.key < b.key && b.source.contains(":0+"));
    }

    #[test]
    fn cut_member_garbage_and_crc_errors_resync() {
        let recs = three();
        let members: Vec<Vec<u8>> = recs.iter().map(|r| gz(r)).collect();
        let cfg = InputConfig::default();
        // Second member cut in half, then the third intact.
        let mut f = members[0].clone();
        f.extend_from_slice(&members[1][..members[1].len() / 2]);
        f.extend_from_slice(&members[2]);
        let s = summary(&run("cut.warc.gz", &f, &cfg));
        assert_eq!(s.first().map(String::as_str), Some("skipped_request"));
        assert_eq!(s.last().map(String::as_str), Some("doc:http://b/"));
        assert!(s.iter().any(|r| r.starts_with("bad_gzip")), "{s:?}");
        // Garbage between members.
        let f = [
            members[0].clone(),
            b"\x00junk junk".to_vec(),
            members[1].clone(),
        ]
        .concat();
        let s = summary(&run("garbage.warc.gz", &f, &cfg));
        assert_eq!(
            s,
            vec!["skipped_request", "bad_gzip_garbage", "doc:http://a/"]
        );
        // A flipped CRC byte: the member's record is not yielded, the next one is.
        let mut bad = members[1].clone();
        let n = bad.len();
        bad[n - 6] ^= 0xff;
        let f = [members[0].clone(), bad, members[2].clone()].concat();
        let s = summary(&run("crc.warc.gz", &f, &cfg));
        assert_eq!(s, vec!["skipped_request", "bad_gzip", "doc:http://b/"]);
    }

    #[test]
    fn malformed_plain_records_are_counted_and_skipped() {
        let recs = three();
        let cfg = InputConfig::default();
        // Garbage between records, NUL padding, CR CR LF line ends.
        let crcrlf = String::from_utf8(recs[2].clone())
            .unwrap()
            .replace("\r\n", "\r\r\n")
            .into_bytes();
        let fixed_len = String::from_utf8(crcrlf).unwrap().replace(
            &format!("Content-Length: {}", page("<html>second</html>").len()),
            &format!("Content-Length: {}", page("<html>second</html>").len() + 3),
        );
        let f = [
            recs[0].clone(),
            b"garbage line\r\n".to_vec(),
            recs[1].clone(),
            vec![0; 100],
            fixed_len.into_bytes(),
        ]
        .concat();
        let s = summary(&run("messy.warc", &f, &cfg));
        assert_eq!(
            s,
            vec![
                "skipped_request",
                "bad_garbage",
                "doc:http://a/",
                "doc:http://b/"
            ]
        );
        // Content-Length too large: runs into the next record, which is still read.
        let long = String::from_utf8(recs[1].clone())
            .unwrap()
            .replace("Content-Length: ", "Content-Length: 1");
        let s = summary(&run(
            "long.warc",
            &[long.into_bytes(), recs[2].clone()].concat(),
            &cfg,
        ));
        assert_eq!(s, vec!["bad_length", "doc:http://b/"]);
        // A header without its blank line: the next record is still read.
        let nohead = String::from_utf8(recs[1].clone()).unwrap();
        let cut = nohead.find("\r\n\r\n").unwrap();
        let s = summary(&run(
            "nohead.warc",
            &[nohead[..cut + 2].as_bytes(), &recs[2]].concat(),
            &cfg,
        ));
        assert_eq!(s, vec!["bad_header", "doc:http://b/"]);
        // Missing Content-Length.
        let nolen = String::from_utf8(recs[1].clone())
            .unwrap()
            .replace("Content-Length", "X-Len");
        let s = summary(&run(
            "nolen.warc",
            &[nolen.into_bytes(), recs[2].clone()].concat(),
            &cfg,
        ));
        assert_eq!(s.first().map(String::as_str), Some("bad_length"));
        assert_eq!(s.last().map(String::as_str), Some("doc:http://b/"));
        // The file ends mid-record: complete records before it are all yielded.
        let all = recs.concat();
        let cut = &all[..all.len() - 10];
        let s = summary(&run("end.warc", cut, &cfg));
        assert_eq!(s, vec!["skipped_request", "doc:http://a/", "bad_truncated"]);
        let s = summary(&run(
            "end2.warc",
            &all[..all.len() - recs[2].len() + 20],
            &cfg,
        ));
        assert_eq!(s, vec!["skipped_request", "doc:http://a/", "bad_truncated"]);
    }

    #[test]
    fn size_cap_types_urls_and_wet() {
        let big = record("response", "http://big/", &page(&"x".repeat(5000)));
        let small = record("response", "http://s.cn/", &page("<html>hi</html>"));
        let cfg = InputConfig {
            max_doc_bytes: 1000,
            ..Default::default()
        };
        assert_eq!(
            summary(&run("big.warc", &[big, small.clone()].concat(), &cfg)),
            vec!["bad_too_large", "doc:http://s.cn/"]
        );
        let cfg = InputConfig {
            url_exclude: vec![r"\.cn/".into()],
            ..Default::default()
        };
        assert_eq!(summary(&run("url.warc", &small, &cfg)), vec!["skipped_url"]);
        let meta = record("metadata", "http://a/", b"x: y");
        let revisit = record("revisit", "http://a/", b"HTTP/1.1 200 OK\r\n\r\n");
        let odd = record("Über-Type", "http://a/", b"");
        let s = summary(&run(
            "types.warc",
            &[meta, revisit, odd].concat(),
            &InputConfig::default(),
        ));
        assert_eq!(
            s,
            vec!["skipped_metadata", "skipped_revisit", "skipped_unknown"]
        );
        let wet = record("conversion", "http://w/", "纯文本\nplain text".as_bytes());
        let ev = run("x.warc.wet", &wet, &InputConfig::default());
        assert!(
            matches!(&ev[0], Event::Doc(d) if d.text() == "纯文本\nplain text" && d.raw.is_none())
        );
        let res = String::from_utf8(record("resource", "http://r/", b"<html>r</html>"))
            .unwrap()
            .replace("application/http; msgtype=response", "text/html");
        let cfg = InputConfig {
            record_types: vec!["response".into(), "resource".into()],
            ..Default::default()
        };
        assert_eq!(
            summary(&run("res.warc", res.as_bytes(), &cfg)),
            vec!["doc:http://r/"]
        );
    }
}
