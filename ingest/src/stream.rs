//! A buffered, decompressed byte stream over one archive file that survives broken gzip.
//!
//! Why not `flate2::read::MultiGzDecoder` (or the `warc` crate, which wraps the same idea over
//! libflate): after a gzip member that is cut or corrupt, every later read fails, so the rest of
//! a multi-GB Common Crawl file is lost, and they cannot tell which compressed member a record
//! came from. Here each member is decoded by its own `flate2::bufread::GzDecoder` (which checks
//! CRC and length at the member's end); a failed member becomes a *break* in the stream, and we
//! seek back and scan for the next `1f 8b 08` header, so the record parser above resynchronises
//! on the next complete record. Uncompressed files go through the same buffer without a decoder.

use std::collections::VecDeque;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use flate2::bufread::GzDecoder;

const CHUNK: usize = 1 << 18;

/// Counts the bytes consumed from the file so members can be located and re-scanned.
struct Counting {
    inner: BufReader<Box<dyn skypile_storage::ReadSeek>>,
    pos: u64,
}

impl Read for Counting {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.pos += n as u64;
        crate::meter::count(n as u64);
        Ok(n)
    }
}

impl BufRead for Counting {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, amt: usize) {
        self.inner.consume(amt);
        self.pos += amt as u64;
        crate::meter::count(amt as u64);
    }
}

impl Counting {
    /// A reader with nothing behind it, parked in the spare decoder between members (a `Box`
    /// of the zero-sized `io::Empty` and a 0-byte buffer: no allocation).
    fn parked() -> Counting {
        Counting {
            inner: BufReader::with_capacity(0, Box::new(io::empty())),
            pos: 0,
        }
    }

    fn seek_to(&mut self, pos: u64) -> io::Result<()> {
        self.inner.seek(SeekFrom::Start(pos))?;
        self.pos = pos;
        Ok(())
    }
}

enum Gz {
    Idle(Counting),
    Member(Box<GzDecoder<Counting>>, u64),
    Done,
}

enum Src {
    Plain(Counting),
    Gzip(Gz),
}

/// What one read from the source gave.
enum Got {
    Data(usize),
    /// The data just before this point came from a member that failed (`what`), and the
    /// source has moved on to the next candidate member.
    Break {
        reason: &'static str,
        detail: String,
        comp: u64,
        member_failed: bool,
    },
    Eof,
}

/// A break in the decompressed stream: bytes of a failed gzip member end at `at`.
#[derive(Debug, Clone)]
pub struct Break {
    /// Decompressed offset where the failed member's output started and ended.
    pub member_start: u64,
    pub at: u64,
    pub reason: &'static str,
    pub detail: String,
    /// Compressed offset of the failed member (or of the garbage).
    pub comp: u64,
}

pub struct Stream {
    src: Src,
    /// Storage; `buf[pos..end]` is the unconsumed data, `buf[end..]` scratch space (kept
    /// allocated and initialised so a fill does not zero it again).
    buf: Vec<u8>,
    end: usize,
    /// Consumed prefix of `buf`.
    pos: usize,
    /// Decompressed offset of `buf[0]`.
    base: u64,
    /// `(decompressed start, compressed start)` of recent gzip members, oldest first.
    members: VecDeque<(u64, u64)>,
    /// Set when the source broke: no more data is buffered past `brk.at` until [`cross_break`].
    brk: Option<Break>,
    eof: bool,
    /// Scanning for a new member after a failure: further failures are part of the same break.
    resyncing: bool,
    /// An I/O error happened: once its break is crossed the stream ends (a failing disk
    /// would fail every later read too, one event each, forever).
    dead: bool,
    /// The decoder of the last finished gzip member, reset and kept for the next one.
    /// * Common Crawl gzips each record alone: a fresh decoder per member allocated and
    ///   first-touched a new inflate state and 32 KiB window every record (~20% of the reader
    ///   thread's page faults). `GzDecoder::reset` keeps them; flate2 still parses each
    ///   member's header and checks its CRC and length, so failures and resyncs are unchanged.
    spare: Option<Box<GzDecoder<Counting>>>,
    pub gzip: bool,
}

impl Stream {
    pub fn open(path: &Path) -> io::Result<Stream> {
        let mut inner = Counting {
            // a local file, or an object read by ranged GETs (seekable for the resync)
            inner: BufReader::with_capacity(
                CHUNK,
                skypile_storage::open(path).map_err(io::Error::other)?,
            ),
            pos: 0,
        };
        let head = inner.fill_buf()?;
        let gzip = head.starts_with(&[0x1f, 0x8b]);
        let src = if gzip {
            Src::Gzip(Gz::Idle(inner))
        } else {
            Src::Plain(inner)
        };
        Ok(Stream {
            src,
            buf: vec![0; CHUNK * 2],
            end: 0,
            pos: 0,
            base: 0,
            members: VecDeque::new(),
            brk: None,
            eof: false,
            resyncing: false,
            dead: false,
            spare: None,
            gzip,
        })
    }

    /// Unconsumed, buffered bytes (up to the next break or the end).
    pub fn data(&self) -> &[u8] {
        self.buf.get(self.pos..self.end).unwrap_or_default()
    }

    /// Decompressed offset of the first unconsumed byte.
    pub fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    pub fn consume(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.end);
    }

    /// No more data will come before [`Stream::cross_break`] (a break) or at all (the end).
    pub fn exhausted(&self) -> bool {
        self.brk.is_some() || self.eof
    }

    pub fn pending_break(&self) -> Option<&Break> {
        self.brk.as_ref()
    }

    /// Drop what is buffered before the pending break and continue with the data after it.
    pub fn cross_break(&mut self) -> Option<Break> {
        let b = self.brk.take()?;
        self.pos = self.end;
        Some(b)
    }

    /// Read more data; false when nothing more can come before a break or the end.
    pub fn fill(&mut self) -> bool {
        if self.exhausted() {
            return false;
        }
        if self.dead {
            self.eof = true;
            return false;
        }
        if self.pos > 0 && (self.pos >= self.end / 2 || self.end + CHUNK > self.buf.len()) {
            self.buf.copy_within(self.pos..self.end, 0);
            self.end -= self.pos;
            self.base += self.pos as u64;
            self.pos = 0;
        }
        if self.members.len() > 64 {
            self.locate(self.offset());
        }
        let len = self.end;
        if self.buf.len() < len + CHUNK {
            self.buf.resize(len + CHUNK, 0);
        }
        let got = self.read_src(len);
        match got {
            Got::Data(n) => {
                self.end = (len + n).min(self.buf.len());
                true
            }
            Got::Eof => {
                self.eof = true;
                false
            }
            Got::Break {
                reason,
                detail,
                comp,
                member_failed,
            } => {
                let at = self.base + len as u64;
                self.dead = reason == "bad_read";
                let member_start = if member_failed {
                    self.members.back().map_or(at, |m| m.0)
                } else {
                    at
                };
                self.brk = Some(Break {
                    member_start,
                    at,
                    reason,
                    detail,
                    comp,
                });
                false
            }
        }
    }

    /// Make at least `n` unconsumed bytes available if the stream has them; returns how many are.
    pub fn ensure(&mut self, n: usize) -> usize {
        while self.data().len() < n && self.fill() {}
        self.data().len()
    }

    /// Skip `n` bytes without keeping them; returns how many could be skipped.
    pub fn skip(&mut self, mut n: u64) -> u64 {
        let mut done = 0;
        loop {
            let have = self.data().len() as u64;
            let take = have.min(n);
            self.consume(take as usize);
            done += take;
            n -= take;
            if n == 0 || !self.fill() {
                return done;
            }
        }
    }

    /// The compressed offset of the gzip member holding decompressed offset `dec`, and how far
    /// into that member's output `dec` lies. For plain files: `(dec, 0)`.
    pub fn locate(&mut self, dec: u64) -> (u64, u64) {
        if !self.gzip {
            return (dec, 0);
        }
        while self.members.len() > 1 && self.members.get(1).is_some_and(|m| m.0 <= dec) {
            self.members.pop_front();
        }
        match self.members.front() {
            Some(&(d, c)) if d <= dec => (c, dec - d),
            _ => (dec, 0),
        }
    }

    /// Decompressed offset where the first gzip member starting after `dec` begins, if the
    /// stream has reached one (a record boundary in per-record gzip files).
    pub fn member_after(&self, dec: u64) -> Option<u64> {
        self.members.iter().map(|m| m.0).find(|&m| m > dec)
    }

    fn read_src(&mut self, at: usize) -> Got {
        let out = match self.buf.get_mut(at..) {
            Some(o) => o,
            None => return Got::Eof,
        };
        match &mut self.src {
            Src::Plain(r) => match r.read(out) {
                Ok(0) => Got::Eof,
                Ok(n) => Got::Data(n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => Got::Data(0),
                Err(e) => Got::Break {
                    reason: "bad_read",
                    detail: e.to_string(),
                    comp: r.pos,
                    member_failed: false,
                },
            },
            Src::Gzip(gz) => {
                let dec_pos = self.base + at as u64;
                loop {
                    match std::mem::replace(gz, Gz::Done) {
                        Gz::Done => return Got::Eof,
                        Gz::Idle(mut r) => {
                            let head = match r.fill_buf() {
                                Ok(h) => h,
                                Err(e) => {
                                    return Got::Break {
                                        reason: "bad_read",
                                        detail: e.to_string(),
                                        comp: r.pos,
                                        member_failed: false,
                                    };
                                }
                            };
                            if head.is_empty() {
                                return Got::Eof;
                            }
                            if !is_member_start(head) {
                                // Bytes between members that are not gzip: find the next member.
                                let from = r.pos;
                                let (next, scanned) = match scan_member(&mut r) {
                                    Ok(v) => v,
                                    Err(e) => {
                                        return Got::Break {
                                            reason: "bad_read",
                                            detail: e.to_string(),
                                            comp: from,
                                            member_failed: false,
                                        };
                                    }
                                };
                                *gz = if next { Gz::Idle(r) } else { Gz::Done };
                                if self.resyncing {
                                    continue;
                                }
                                self.resyncing = true;
                                return Got::Break {
                                    reason: "bad_gzip_garbage",
                                    detail: format!("{scanned} bytes of non-gzip data at {from}"),
                                    comp: from,
                                    member_failed: false,
                                };
                            }
                            let start = r.pos;
                            self.members.push_back((dec_pos, start));
                            let d = match self.spare.take() {
                                Some(mut d) => {
                                    d.reset(r);
                                    d
                                }
                                None => Box::new(GzDecoder::new(r)),
                            };
                            *gz = Gz::Member(d, start);
                        }
                        Gz::Member(mut d, start) => match d.read(out) {
                            Ok(0) => *gz = Gz::Idle(park(d, &mut self.spare)),
                            Ok(n) => {
                                self.resyncing = false;
                                *gz = Gz::Member(d, start);
                                return Got::Data(n);
                            }
                            Err(e) if e.kind() == io::ErrorKind::Interrupted => {
                                *gz = Gz::Member(d, start)
                            }
                            Err(e) => {
                                let mut r = park(d, &mut self.spare);
                                // Rescan from just after this member's header byte: the failed
                                // decoder may have read into the next member.
                                let rescan = r.seek_to(start + 1).and_then(|_| scan_member(&mut r));
                                *gz = match rescan {
                                    Ok((true, _)) => Gz::Idle(r),
                                    _ => Gz::Done,
                                };
                                let produced = self.members.back().is_some_and(|m| m.0 < dec_pos);
                                if self.resyncing && !produced {
                                    continue;
                                }
                                self.resyncing = true;
                                let reason = if e.kind() == io::ErrorKind::UnexpectedEof {
                                    "bad_gzip_truncated"
                                } else {
                                    "bad_gzip"
                                };
                                return Got::Break {
                                    reason,
                                    detail: format!("gzip member at {start}: {e}"),
                                    comp: start,
                                    member_failed: true,
                                };
                            }
                        },
                    }
                }
            }
        }
    }
}

/// Take the reader out of a member's decoder and keep the decoder, reset, as the spare.
fn park(mut d: Box<GzDecoder<Counting>>, spare: &mut Option<Box<GzDecoder<Counting>>>) -> Counting {
    let r = d.reset(Counting::parked());
    *spare = Some(d);
    r
}

/// A gzip member header: magic, deflate method, no reserved flag bits.
fn is_member_start(b: &[u8]) -> bool {
    match b {
        [0x1f, 0x8b, 8, flags, ..] => flags & 0xe0 == 0,
        [0x1f, 0x8b, 8] | [0x1f, 0x8b] | [0x1f] => true,
        _ => false,
    }
}

/// Advance to the next plausible member header; returns (found, bytes skipped).
fn scan_member(r: &mut Counting) -> io::Result<(bool, u64)> {
    let mut skipped = 0u64;
    loop {
        let buf = r.fill_buf()?;
        if buf.is_empty() {
            return Ok((false, skipped));
        }
        let mut from = 0;
        let found = loop {
            match memchr::memchr(0x1f, buf.get(from..).unwrap_or_default()) {
                None => break None,
                Some(i) => {
                    let at = from + i;
                    let rest = buf.get(at..).unwrap_or_default();
                    // A header cut by the buffer end is a prefix `is_member_start` accepts; the
                    // decoder then reads on. (Stopping at any short tail looped forever on a
                    // file ending in `1f 00`: it is never a member, and no fill makes it one.)
                    if is_member_start(rest) {
                        break Some(at);
                    }
                    from = at + 1;
                }
            }
        };
        match found {
            Some(0) => return Ok((true, skipped)),
            Some(at) => {
                r.consume(at);
                skipped += at as u64;
            }
            None => {
                let n = buf.len();
                r.consume(n);
                skipped += n as u64;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn read_all(s: &mut Stream) -> (Vec<u8>, Vec<Break>) {
        let (mut out, mut brks) = (Vec::new(), Vec::new());
        loop {
            s.ensure(1);
            let d = s.data().to_vec();
            s.consume(d.len());
            out.extend_from_slice(&d);
            if let Some(b) = s.cross_break() {
                brks.push(b);
            } else if s.exhausted() {
                return (out, brks);
            }
        }
    }

    #[test]
    fn multi_member_with_a_cut_member_and_garbage_resyncs() {
        let dir = std::env::temp_dir().join(format!("skypile-stream-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("m.gz");
        let a = gz(b"first;");
        let b = gz(&b"second-member-that-gets-cut;".repeat(50));
        let c = gz(b"third;");
        let mut file = a.clone();
        file.extend_from_slice(&b[..b.len() / 2]);
        file.extend_from_slice(b"garbage");
        file.extend_from_slice(&c);
        std::fs::write(&p, &file).unwrap();
        let mut s = Stream::open(&p).unwrap();
        assert!(s.gzip);
        let (out, brks) = read_all(&mut s);
        // The failed member's partial output is dropped by flate2 along with the error.
        assert_eq!(out, b"first;third;");
        assert_eq!(brks.len(), 1, "{brks:?}");
        assert_eq!(brks[0].member_start, 6);
        assert_eq!(
            s.locate(out.len() as u64 - 1),
            (file.len() as u64 - c.len() as u64, 5)
        );
    }

    /// One decoder serves every member (reset between them): the members' bytes come out in
    /// order, a bad header after a good member is garbage, and a CRC error is still caught.
    #[test]
    fn one_decoder_is_reused_across_members() {
        let dir = std::env::temp_dir().join(format!("skypile-stream-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("reuse.gz");
        let parts: Vec<Vec<u8>> = (0..5)
            .map(|i| format!("member {i};").repeat(i + 1).into_bytes())
            .collect();
        let mut bad = gz(b"bad crc;");
        let n = bad.len();
        bad[n - 6] ^= 0xff;
        let file = [
            gz(&parts[0]),
            gz(&parts[1]),
            bad,
            gz(&parts[2]),
            b"\x1f\x8b\x09junk".to_vec(),
            gz(&parts[3]),
            gz(&parts[4]),
        ]
        .concat();
        std::fs::write(&p, &file).unwrap();
        let mut s = Stream::open(&p).unwrap();
        let (out, brks) = read_all(&mut s);
        // a CRC error is found after its member's bytes went out: the break marks them
        let want = [&parts[..2].concat()[..], b"bad crc;", &parts[2..].concat()].concat();
        assert_eq!(out, want);
        assert_eq!(
            brks[0].member_start,
            want.len() as u64 - 8 - parts[2..].concat().len() as u64
        );
        let reasons: Vec<_> = brks.iter().map(|b| b.reason).collect();
        assert_eq!(reasons, ["bad_gzip", "bad_gzip_garbage"]);
        assert!(s.spare.is_some(), "the last member's decoder is kept");
    }

    /// A file ending in a stray `1f` byte that is not a member header looped forever (found by
    /// tests/fuzz_inputs.rs on a cut real WARC).
    #[test]
    fn stray_gzip_magic_byte_at_the_end_is_garbage() {
        let dir = std::env::temp_dir().join(format!("skypile-stream-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for tail in [&b"\x1f\x00"[..], b"\x1f\x8b\x09", b"\x1f", b"\x1f\x8b"] {
            let p = dir.join("tail.gz");
            std::fs::write(&p, [gz(b"first;"), tail.to_vec()].concat()).unwrap();
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                let mut s = Stream::open(&p).unwrap();
                let _ = tx.send(read_all(&mut s));
            });
            let (out, brks) = rx
                .recv_timeout(std::time::Duration::from_secs(30))
                .unwrap_or_else(|_| panic!("tail {tail:?}: no end"));
            assert_eq!(out, b"first;");
            assert_eq!(brks.len(), 1, "tail {tail:?}: {brks:?}");
        }
    }
}
