//! What the WARC and ARC readers share: the stream, the event queue, resynchronisation over
//! garbage, record locations, and the checks that a record was complete and intact.

use std::collections::VecDeque;
use std::path::Path;

use anyhow::{Context, Result};
use skypile_core::DocKey;

use crate::select::{RecordInfo, Select};
use crate::stream::Stream;
use crate::{Event, InputConfig};

/// Longest header block we accept before calling it garbage.
pub const MAX_HEADER: usize = 64 << 10;

pub struct Core {
    pub s: Stream,
    pub name: String,
    pub stem: String,
    pub file_idx: u32,
    pub sel: Select,
    pub out: VecDeque<Event>,
    pub done: bool,
    /// A run of unparseable bytes being skipped: (compressed offset, decompressed start, bytes).
    garbage: Option<(u64, u64, u64)>,
}

pub fn is_ws(b: u8) -> bool {
    matches!(b, b'\r' | b'\n' | 0 | b' ' | b'\t')
}

impl Core {
    pub fn new(path: &Path, file_idx: u32, cfg: &InputConfig) -> Result<Core> {
        let s = Stream::open(path).with_context(|| format!("opening input {}", path.display()))?;
        let name = path.display().to_string();
        let base = name.rsplit('/').next().unwrap_or(&name);
        let stem = base.split('.').next().unwrap_or(base).to_string();
        Ok(Core {
            s,
            name,
            stem,
            file_idx,
            sel: Select::new(cfg)?,
            out: VecDeque::new(),
            done: false,
            garbage: None,
        })
    }

    pub fn next_event(&mut self, mut step: impl FnMut(&mut Core)) -> Option<Event> {
        loop {
            if let Some(e) = self.out.pop_front() {
                return Some(e);
            }
            if self.done {
                return None;
            }
            step(self);
        }
    }

    /// Skip whitespace and NUL padding between records. False when the data ran out (the break
    /// or end has then been handled).
    pub fn skip_ws(&mut self) -> bool {
        loop {
            let d = self.s.data();
            let n = d.iter().take_while(|&&b| is_ws(b)).count();
            let all = n == d.len();
            self.s.consume(n);
            if !all {
                return true;
            }
            if !self.s.fill() {
                self.end_of_data();
                return false;
            }
        }
    }

    /// No data before a break or the end: report the break and go on after it, or finish.
    pub fn end_of_data(&mut self) {
        self.flush_garbage();
        if let Some(b) = self.s.cross_break() {
            self.out.push_back(Event::skip(
                b.reason,
                b.comp,
                format!("{}: {}", self.name, b.detail),
            ));
        } else if self.s.exhausted() {
            self.done = true;
        }
    }

    /// Report a run of skipped bytes once, before the next record's events.
    pub fn flush_garbage(&mut self) {
        if let Some((comp, _, n)) = self.garbage.take() {
            let at = self.source_of(comp);
            self.out.push_back(Event::skip(
                "bad_garbage",
                comp,
                format!("{at}: {n} bytes between records"),
            ));
        }
    }

    /// Count `n` unparseable bytes at the current position and drop them.
    pub fn drop_garbage(&mut self, n: usize) {
        let dec = self.s.offset();
        let g = match self.garbage.take() {
            Some(g) => g,
            None => {
                let (comp, _) = self.s.locate(dec);
                (comp, dec, 0)
            }
        };
        self.garbage = Some((g.0, g.1, g.2 + n as u64));
        self.s.consume(n);
    }

    /// Drop bytes until `find` points at a plausible record start (it must not return 0).
    /// `tail` bytes stay buffered so a start cut by the buffer end is still found.
    pub fn skip_garbage(&mut self, find: impl Fn(&[u8]) -> Option<usize>, tail: usize) {
        loop {
            let d = self.s.data();
            if let Some(i) = find(d) {
                self.drop_garbage(i.max(1));
                return;
            }
            let n = d.len().saturating_sub(tail);
            self.drop_garbage(n);
            if !self.s.fill() {
                let rest = self.s.data().len();
                self.drop_garbage(rest);
                return;
            }
        }
    }

    /// Skip the content of a record (starting at decompressed `start`) whose length cannot be
    /// trusted or is over the cap, up to the next plausible record start: the next gzip member
    /// (per-record gzip) or a position `find` returns in the data (never 0; the byte before
    /// the current position must be the end of the record's header line). `tail` bytes stay
    /// buffered so a start cut by the buffer end is still found. Returns the bytes skipped and
    /// whether a start was found (false at a break, which stays pending, or at the end).
    ///
    /// - Why not skip Content-Length bytes: one bogus `Content-Length: 99999999999` would
    ///   swallow every record after it (issue #15).
    pub fn resync(
        &mut self,
        start: u64,
        find: impl Fn(&[u8]) -> Option<usize>,
        tail: usize,
    ) -> (u64, bool) {
        let mut skipped = 0u64;
        loop {
            let off = self.s.offset();
            let d = self.s.data();
            let member = self
                .s
                .member_after(start)
                .and_then(|m| usize::try_from(m.checked_sub(off)?).ok())
                .filter(|&m| m <= d.len());
            let at = match (member, find(d)) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            if let Some(at) = at {
                self.s.consume(at);
                return (skipped + at as u64, true);
            }
            let n = d.len().saturating_sub(tail);
            self.s.consume(n);
            skipped += n as u64;
            if !self.s.fill() {
                let rest = self.s.data().len();
                self.s.consume(rest);
                return (skipped + rest as u64, false);
            }
        }
    }

    /// One gzip member per record: a record that starts a member and whose `need` bytes run
    /// past the start of another member where `is_start` sees a record had a wrong length.
    /// Returns that member's index in the data (the record starts at the current offset).
    pub fn member_inside(
        &mut self,
        start: u64,
        need: usize,
        is_start: impl Fn(&[u8]) -> bool,
    ) -> Option<usize> {
        if !self.s.gzip || self.s.locate(start).1 != 0 {
            return None;
        }
        let m = self.s.member_after(start)?;
        let i = usize::try_from(m.checked_sub(self.s.offset())?).ok()?;
        (i < need && is_start(self.s.data().get(i..)?)).then_some(i)
    }

    /// After a record's content ends at `p` (an index into the buffered data): is there only
    /// whitespace/NUL padding, then what `looks(rest, at_end)` accepts? `looks` returns `None`
    /// when it needs more bytes (never when `at_end`).
    pub fn followed_by_record(
        &mut self,
        mut p: usize,
        looks: impl Fn(&[u8], bool) -> Option<bool>,
    ) -> bool {
        let end = p;
        loop {
            // Megabytes of padding: not worth buffering; the next step skips it.
            if p - end > 1 << 20 {
                return true;
            }
            let d = self.s.data();
            while d.get(p).is_some_and(|&b| is_ws(b)) {
                p += 1;
            }
            if let Some(v) = d.get(p..).and_then(|r| looks(r, false)) {
                return v;
            }
            if !self.s.fill() {
                let rest = self.s.data().get(p..).unwrap_or_default();
                return looks(rest, true).unwrap_or(true);
            }
        }
    }

    /// Buffer until `header_len` finds the end of a header block. `Err(reason)` when there is
    /// none: cut by the end or a break (`bad_truncated`), or longer than [`MAX_HEADER`].
    pub fn header(
        &mut self,
        header_len: impl Fn(&[u8]) -> Option<usize>,
    ) -> Result<usize, &'static str> {
        loop {
            let d = self.s.data();
            if let Some(h) = header_len(d.get(..d.len().min(MAX_HEADER)).unwrap_or(d)) {
                return Ok(h);
            }
            if d.len() > MAX_HEADER {
                return Err("bad_header");
            }
            if !self.s.fill() {
                return Err("bad_truncated");
            }
        }
    }

    /// No header block for the record at `start` ([`Core::header`] gave `reason`): a cut one is
    /// reported as truncated (`cut` says what) and `None` returned; otherwise the record's
    /// identity, for the format's own skip (WARC and ARC recover differently).
    pub fn header_failed(
        &mut self,
        start: u64,
        reason: &str,
        cut: &str,
    ) -> Option<RecordInfo<'static>> {
        self.flush_garbage();
        let rec = self.info(start, None, None, None);
        if reason == "bad_truncated" {
            self.truncated(&rec, cut);
            return None;
        }
        Some(rec)
    }

    pub fn source_of(&self, comp: u64) -> String {
        format!("{}:{comp}", self.name)
    }

    /// Identity of the record starting at decompressed offset `dec`. The key uses the
    /// decompressed offset (unique even when several records share one gzip member); the source
    /// names the gzip member's offset, which is what seeking tools and CDX indexes use.
    pub fn info<'a>(
        &mut self,
        dec: u64,
        id: Option<String>,
        url: Option<&'a str>,
        date: Option<&'a str>,
    ) -> RecordInfo<'a> {
        let (comp, delta) = self.s.locate(dec);
        let source = if delta == 0 {
            format!("{}:{comp}", self.name)
        } else {
            format!("{}:{comp}+{delta}", self.name)
        };
        RecordInfo {
            id: id.unwrap_or_else(|| format!("{}/{dec}", self.stem)),
            url,
            date,
            key: DocKey::new(self.file_idx, dec),
            source,
            offset: comp,
        }
    }

    /// After a record's last byte at decompressed offset `end`: if the gzip member holding it
    /// failed its CRC/length check, the record is not trustworthy. Returns the reason and
    /// crosses the break (it is then reported through this record only).
    ///
    /// - A member cut short by the end of the file is not corrupt: what inflated before the
    ///   cut is intact, so whole records in it are kept (a cut whole-file `.warc.gz` keeps
    ///   every record before the cut).
    fn tainted(&mut self, start: u64, end: u64) -> Option<(&'static str, String)> {
        let b = self.s.pending_break()?;
        if b.reason == "bad_gzip_truncated" && end <= b.at {
            return None;
        }
        if b.member_start < end && b.at > start && b.member_start < b.at {
            let r = (b.reason, b.detail.clone());
            self.s.cross_break();
            return Some(r);
        }
        None
    }

    /// [`Core::tainted`] for the record `rec` spanning `start..end`: when it is, the record is
    /// skipped with its member's reason and the rest of the buffer dropped. True when skipped.
    pub fn skip_tainted(&mut self, rec: &RecordInfo, start: u64, end: u64) -> bool {
        let Some((reason, detail)) = self.tainted(start, end) else {
            return false;
        };
        self.out.push_back(rec.skip(reason, detail));
        let n = self.s.data().len();
        self.s.consume(n);
        true
    }

    /// The record's content could not be read completely. A break is consumed silently: this
    /// record's skip reports it.
    pub fn truncated(&mut self, rec: &RecordInfo, what: &str) {
        let reason = self.s.pending_break().map_or("bad_truncated", |b| b.reason);
        let detail = self
            .s
            .pending_break()
            .map(|b| b.detail.clone())
            .unwrap_or_default();
        self.out
            .push_back(rec.skip(reason, format!("{what} {detail}")));
        let n = self.s.data().len();
        self.s.consume(n);
        self.s.cross_break();
    }

    /// A record type or name fit for a counter (`skipped_<type>`).
    pub fn counter_name(t: &str) -> String {
        let ok = !t.is_empty()
            && t.len() <= 24
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok {
            t.to_ascii_lowercase().replace('-', "_")
        } else {
            "unknown".into()
        }
    }
}

/// Length of a header block including its blank line; lines may end in LF, CRLF or CR CR LF.
pub fn header_len(d: &[u8]) -> Option<usize> {
    if let Some(i) = memchr::memmem::find(d, b"\r\n\r\n") {
        // The common case; still make sure no earlier blank line in another style came first.
        let early = d.get(..i).and_then(|h| {
            memchr::memmem::find(h, b"\n\n").or_else(|| memchr::memmem::find(h, b"\n\r\r\n"))
        });
        if early.is_none() {
            return Some(i + 4);
        }
    }
    let mut at = 0;
    loop {
        let nl = memchr::memchr(b'\n', d.get(at..)?)? + at;
        if at > 0 && d.get(at..nl)?.iter().all(|&b| b == b'\r') {
            return Some(nl + 1);
        }
        at = nl + 1;
    }
}
