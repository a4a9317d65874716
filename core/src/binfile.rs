//! Checksummed binary intermediate files (spools, dedup signatures, buckets, clusters).
//!
//! Peers' intermediates fail silently ("hash order error" after a truncated file). Ours carry a
//! fixed header: magic, kind, format version, config hash, record count, payload length and an
//! xxh3-64 checksum of the payload. They are written to `*.tmp` and renamed only when complete;
//! a reader verifies everything before the first record is handed out (an object: the checksum
//! as the records stream, see [`Verify`]), and a mismatch is an error naming the file.
//! - The header is written last (at offset 0), so a writer needs a seekable local file: an
//!   object-store destination is staged in a local file and handed to a `publish` callback
//!   (skypile-storage uploads it; core cannot depend on storage). Readers take any
//!   `Read + Seek` source, e.g. a ranged-GET stream.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use xxhash_rust::xxh3::Xxh3;

use crate::durable::Writeback;

const MAGIC: &[u8; 8] = b"SKYPILE\x01";
pub const HEADER_LEN: u64 = 56;

/// Where a finished, fsynced local file goes instead of being renamed to its path (an upload).
pub type Publish = Box<dyn FnOnce(&Path) -> Result<()> + Send>;

/// A readable, seekable source of an intermediate (a file, or an object's ranged reads).
pub trait Source: Read + Seek + Send {}
impl<T: Read + Seek + Send> Source for T {}

pub struct BinWriter {
    out: BufWriter<File>,
    tmp: PathBuf,
    path: PathBuf,
    publish: Option<Publish>,
    kind: [u8; 8],
    version: u32,
    config_hash: u64,
    count: u64,
    len: u64,
    hasher: Xxh3,
    writeback: Writeback,
}

fn kind_bytes(kind: &str) -> [u8; 8] {
    let mut k = [0u8; 8];
    for (d, s) in k.iter_mut().zip(kind.bytes()) {
        *d = s;
    }
    k
}

/// The `*.tmp` sibling every output is first written to.
pub fn tmp_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".tmp");
    PathBuf::from(s)
}

impl BinWriter {
    pub fn create(path: &Path, kind: &str, version: u32, config_hash: u64) -> Result<Self> {
        Self::create_staged(path, &tmp_path(path), kind, version, config_hash, None)
    }

    /// Write to the local file `tmp`; at [`BinWriter::finish`] rename it to `path`, or, with
    /// `publish`, hand it to `publish` (which puts it at `path` and removes `tmp`).
    pub fn create_staged(
        path: &Path,
        tmp: &Path,
        kind: &str,
        version: u32,
        config_hash: u64,
        publish: Option<Publish>,
    ) -> Result<Self> {
        if let Some(dir) = tmp.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let tmp = tmp.to_path_buf();
        let f = File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
        let mut out = BufWriter::with_capacity(1 << 20, f);
        out.write_all(&[0u8; HEADER_LEN as usize])?;
        Ok(BinWriter {
            out,
            tmp,
            path: path.to_path_buf(),
            publish,
            kind: kind_bytes(kind),
            version,
            config_hash,
            count: 0,
            len: 0,
            hasher: Xxh3::new(),
            writeback: Writeback::default(),
        })
    }

    /// Append raw bytes (part of a record); call [`BinWriter::end_record`] per record.
    pub fn write(&mut self, bytes: &[u8]) -> Result<()> {
        self.hasher.update(bytes);
        self.put(bytes)
    }

    /// Bytes into the payload, outside the checksum.
    fn put(&mut self, bytes: &[u8]) -> Result<()> {
        self.len += bytes.len() as u64;
        self.out.write_all(bytes)?;
        let flushed = HEADER_LEN + self.len - self.out.buffer().len() as u64;
        self.writeback.advance(self.out.get_ref(), flushed);
        Ok(())
    }

    pub fn end_record(&mut self) {
        self.count += 1;
    }

    /// A length-prefixed record.
    pub fn write_record(&mut self, bytes: &[u8]) -> Result<()> {
        let n = u32::try_from(bytes.len()).context("record larger than 4 GiB")?;
        self.write(&n.to_le_bytes())?;
        self.write(bytes)?;
        self.end_record();
        Ok(())
    }

    /// A length-prefixed record whose xxh3-64 the caller computed (in parallel, in the pool):
    /// the payload checksum is then over the records' hashes ([`RecordSums`]), not their bytes.
    /// - Why: hashing a 400 MB spool on the one thread that reads it bound the stage after a
    ///   dedup step; record hashes are checked in the pool, beside decoding.
    /// - A file's records are all written one way; its readers know which (by kind and version).
    pub fn write_hashed_record(&mut self, bytes: &[u8], hash: u64) -> Result<()> {
        let n = u32::try_from(bytes.len()).context("record larger than 4 GiB")?;
        self.put(&n.to_le_bytes())?;
        self.put(bytes)?;
        self.hasher.update(&hash.to_le_bytes());
        self.end_record();
        Ok(())
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    /// Write the header and rename into place (fsynced by `durable::sync_pending`), or publish.
    pub fn finish(mut self) -> Result<u64> {
        self.out.flush()?;
        let mut f = self.out.into_inner().map_err(|e| e.into_error())?;
        f.seek(SeekFrom::Start(0))?;
        let mut h = Vec::with_capacity(HEADER_LEN as usize);
        h.extend_from_slice(MAGIC);
        h.extend_from_slice(&self.kind);
        h.extend_from_slice(&self.version.to_le_bytes());
        h.extend_from_slice(&0u32.to_le_bytes());
        h.extend_from_slice(&self.config_hash.to_le_bytes());
        h.extend_from_slice(&self.count.to_le_bytes());
        h.extend_from_slice(&self.len.to_le_bytes());
        h.extend_from_slice(&self.hasher.digest().to_le_bytes());
        f.write_all(&h)?;
        drop(f);
        match self.publish.take() {
            // an upload reads the staged file back: no fsync needed for that
            Some(publish) => {
                publish(&self.tmp).with_context(|| format!("publishing {}", self.path.display()))?
            }
            // made durable with the rank's other files before its completion marker
            None => crate::durable::commit_deferred(&self.tmp, &self.path)?,
        }
        Ok(self.count)
    }
}

/// When [`BinReader::from_source`] checks the payload's checksum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verify {
    /// Before the first record (local files: a second read is cheap).
    First,
    /// While the records are read (objects: one GET).
    Streaming,
}

pub struct BinReader {
    inp: BufReader<Box<dyn Source>>,
    pub path: PathBuf,
    pub count: u64,
    pub len: u64,
    remaining: u64,
    /// Checksum still to verify while reading (streamed sources), and the header's value.
    pending: Option<(Xxh3, u64)>,
}

impl std::fmt::Debug for BinReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BinReader")
            .field("path", &self.path)
            .field("count", &self.count)
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

impl BinReader {
    /// Open and fully verify a file: kind, version, config hash, length and checksum.
    pub fn open(path: &Path, kind: &str, version: u32, config_hash: u64) -> Result<Self> {
        Self::open_verified(path, kind, version, config_hash, Verify::First)
    }

    /// [`BinReader::open`], with the checksum checked first or as the records stream.
    pub fn open_verified(
        path: &Path,
        kind: &str,
        version: u32,
        config_hash: u64,
        verify: Verify,
    ) -> Result<Self> {
        let f = File::open(path).with_context(|| {
            format!(
                "intermediate file {} is missing: rerun the stage that writes it",
                path.display()
            )
        })?;
        let size = f.metadata()?.len();
        Self::from_source(Box::new(f), size, path, kind, version, config_hash, verify)
    }

    /// [`BinReader::open`] over any source of `size` bytes; `path` names it in errors.
    /// * Header, kind, version, config hash and length are checked here.
    /// * `Verify::First`: the checksum pass reads the source once before the first record
    ///   (twice in all).
    /// * `Verify::Streaming`: the checksum is verified while the records are read and the last
    ///   read fails on a mismatch. For objects: one GET instead of two. A corrupted object can
    ///   then hand out records before the error, which is safe because a rank commits nothing
    ///   (no marker) when it fails.
    pub fn from_source(
        f: Box<dyn Source>,
        size: u64,
        path: &Path,
        kind: &str,
        version: u32,
        config_hash: u64,
        verify: Verify,
    ) -> Result<Self> {
        let mut r = Self::checked_header(f, size, path, kind, version, config_hash)?;
        if verify == Verify::Streaming {
            return Ok(r);
        }
        let Some((mut hasher, sum)) = r.pending.take() else {
            return Ok(r);
        };
        let f = r.inp.get_mut();
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = f.read(&mut buf)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
        if hasher.digest() != sum {
            bail!(
                "{}: checksum mismatch (file corrupted); rerun the stage that writes it",
                path.display()
            );
        }
        f.seek(SeekFrom::Start(HEADER_LEN))?;
        Ok(r)
    }

    fn checked_header(
        mut f: Box<dyn Source>,
        size: u64,
        path: &Path,
        kind: &str,
        version: u32,
        config_hash: u64,
    ) -> Result<Self> {
        let name = path.display();
        let mut h = [0u8; HEADER_LEN as usize];
        f.read_exact(&mut h)
            .with_context(|| format!("{name}: truncated header"))?;
        if &h[0..8] != MAGIC {
            bail!("{name}: not a skypile intermediate (bad magic)");
        }
        if h[8..16] != kind_bytes(kind) {
            bail!(
                "{name}: holds {:?}, expected {kind}",
                String::from_utf8_lossy(&h[8..16])
            );
        }
        let u64at = |i: usize| u64::from_le_bytes(h[i..i + 8].try_into().unwrap_or([0; 8]));
        let ver = u32::from_le_bytes([h[16], h[17], h[18], h[19]]);
        if ver != version {
            bail!("{name}: format version {ver}, this build reads {version}: rerun its stage");
        }
        if u64at(24) != config_hash {
            bail!(
                "{name}: written under a different config (hash {:016x} != {config_hash:016x}); delete the work dir or rerun its stage",
                u64at(24)
            );
        }
        let (count, len, sum) = (u64at(32), u64at(40), u64at(48));
        let actual = size;
        if actual != HEADER_LEN + len {
            bail!(
                "{name}: truncated or padded ({actual} bytes, header says {})",
                HEADER_LEN + len
            );
        }
        let mut r = BinReader {
            inp: BufReader::with_capacity(1 << 20, f),
            path: path.into(),
            count,
            len,
            remaining: len,
            pending: Some((Xxh3::new(), sum)),
        };
        r.check_at_end()?; // an empty payload
        Ok(r)
    }

    pub fn read_exact(&mut self, buf: &mut [u8]) -> Result<()> {
        self.inp
            .read_exact(buf)
            .with_context(|| format!("{}: short read", self.path.display()))?;
        self.consumed(buf)
    }

    /// Account for payload bytes just read: what remains, and the streamed checksum.
    fn consumed(&mut self, buf: &[u8]) -> Result<()> {
        self.remaining = self.remaining.saturating_sub(buf.len() as u64);
        if let Some((h, _)) = &mut self.pending {
            h.update(buf);
            self.check_at_end()?;
        }
        Ok(())
    }

    /// Once the whole payload went through a streamed reader, compare its checksum.
    fn check_at_end(&mut self) -> Result<()> {
        if self.remaining > 0 {
            return Ok(());
        }
        match self.pending.take() {
            Some((h, sum)) => check_sum(h.digest(), sum, &self.path),
            None => Ok(()),
        }
    }

    /// The header's checksum, for a caller that verifies it itself ([`RecordSums`]); reads
    /// then hash nothing. `None`: already verified (an empty payload, or `Verify::First`).
    pub fn take_checksum(&mut self) -> Option<u64> {
        self.pending.take().map(|(_, sum)| sum)
    }

    pub fn at_end(&self) -> bool {
        self.remaining == 0
    }

    /// Next length-prefixed record, or None at the end.
    pub fn read_record(&mut self) -> Result<Option<Vec<u8>>> {
        if self.at_end() {
            return Ok(None);
        }
        let mut n = [0u8; 4];
        self.read_exact(&mut n)?;
        let n = u32::from_le_bytes(n) as u64;
        if n > self.remaining {
            bail!("{}: record length {n} past the end", self.path.display());
        }
        // Read into spare capacity: `vec![0; n]` zeroed every record before overwriting it,
        // which perf put at half of the spool reader thread's time (it is serial).
        let mut v = Vec::with_capacity(n as usize);
        let got = (&mut self.inp)
            .take(n)
            .read_to_end(&mut v)
            .with_context(|| format!("{}: read failed", self.path.display()))?;
        if got as u64 != n {
            bail!("{}: short read", self.path.display());
        }
        self.consumed(&v)?;
        Ok(Some(v))
    }
}

/// The payload checksum of a file written with [`BinWriter::write_hashed_record`], folded from
/// its records' hashes in file order.
pub struct RecordSums {
    hasher: Xxh3,
    expected: Option<u64>,
}

impl RecordSums {
    /// `expected`: the header's checksum ([`BinReader::take_checksum`]).
    pub fn new(expected: Option<u64>) -> Self {
        RecordSums {
            hasher: Xxh3::new(),
            expected,
        }
    }

    /// A record's hash: `xxh3_64` of its bytes.
    pub fn hash(record: &[u8]) -> u64 {
        xxhash_rust::xxh3::xxh3_64(record)
    }

    pub fn add(&mut self, record_hash: u64) {
        self.hasher.update(&record_hash.to_le_bytes());
    }

    /// After the last record: an error naming `path` on a mismatch.
    pub fn check(&self, path: &Path) -> Result<()> {
        match self.expected {
            Some(sum) => check_sum(self.hasher.digest(), sum, path),
            None => Ok(()),
        }
    }
}

/// A streamed checksum against the header's, as the last read of a file checks it.
fn check_sum(digest: u64, expected: u64, path: &Path) -> Result<()> {
    if digest != expected {
        bail!(
            "{}: checksum mismatch (corrupted); rerun the stage that writes it",
            path.display()
        );
    }
    Ok(())
}

/// Stable 64-bit hash of a config value (its JSON form), for intermediate headers.
pub fn config_hash<T: serde::Serialize>(cfg: &T) -> u64 {
    let s = serde_json::to_vec(cfg).unwrap_or_default();
    xxhash_rust::xxh3::xxh3_64(&s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmpdir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("skypile-binfile-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    /// Past [`crate::durable::WRITEBACK_BYTES`] the writer starts writeback as it goes; the
    /// file still reads back whole, header (written last, at offset 0) included.
    #[test]
    fn large_files_read_back_whole() {
        let d = tmpdir("large");
        let p = d.join("x.bin");
        let mut w = BinWriter::create(&p, "test", 1, 7).unwrap();
        let recs: Vec<Vec<u8>> = (0..300u32)
            .map(|i| vec![(i % 251) as u8; 60_000 + i as usize])
            .collect();
        for r in &recs {
            w.write_record(r).unwrap();
        }
        assert_eq!(w.finish().unwrap(), 300);
        assert!(std::fs::metadata(&p).unwrap().len() > 2 * crate::durable::WRITEBACK_BYTES);
        let mut r = BinReader::open(&p, "test", 1, 7).unwrap();
        for want in &recs {
            assert_eq!(&r.read_record().unwrap().unwrap(), want);
        }
        assert!(r.read_record().unwrap().is_none());
    }

    #[test]
    fn roundtrip_and_corruption_detected() {
        let d = tmpdir("rt");
        let p = d.join("x.bin");
        let mut w = BinWriter::create(&p, "test", 1, 42).unwrap();
        w.write_record(b"hello").unwrap();
        w.write_record(b"world").unwrap();
        assert!(
            tmp_path(&p).exists() && !p.exists(),
            "not visible before finish"
        );
        assert_eq!(w.finish().unwrap(), 2);
        let mut r = BinReader::open(&p, "test", 1, 42).unwrap();
        assert_eq!(r.count, 2);
        assert_eq!(r.read_record().unwrap().unwrap(), b"hello");
        assert_eq!(r.read_record().unwrap().unwrap(), b"world");
        assert!(r.read_record().unwrap().is_none());

        assert!(
            BinReader::open(&p, "test", 1, 43)
                .unwrap_err()
                .to_string()
                .contains("different config")
        );
        assert!(BinReader::open(&p, "other", 1, 42).is_err());
        // flip one payload byte
        let mut bytes = std::fs::read(&p).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        std::fs::write(&p, &bytes).unwrap();
        assert!(
            BinReader::open(&p, "test", 1, 42)
                .unwrap_err()
                .to_string()
                .contains("checksum")
        );
        // truncate
        std::fs::write(&p, &bytes[..bytes.len() - 3]).unwrap();
        assert!(
            BinReader::open(&p, "test", 1, 42)
                .unwrap_err()
                .to_string()
                .contains("truncated")
        );
    }
}
