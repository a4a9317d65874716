//! A local intermediate read through a memory map: records are ranges of the mapping, not
//! copies.
//! - Why: the stage after a dedup step was bound by its one reader thread copying the spool
//!   out of the page cache twice (a read into a buffer, then a `Vec` per record) and hashing
//!   it: 0.15 s of a 0.19 s stage for 400 MB (MinHash bench, 2 workers). Mapped, the thread
//!   only finds record boundaries; the pool decodes straight from the mapping.
//! - For files written with [`crate::binfile::BinWriter::write_hashed_record`]: the caller
//!   hashes the records where it decodes them and folds the hashes in file order
//!   ([`crate::binfile::RecordSums`], against [`MappedRecords::checksum`]); a mismatch fails
//!   the rank, which then commits nothing. Header, kind, version, config hash and length are
//!   checked at open.
//! - Mapping is sound while nobody truncates the file: intermediates are written once, renamed
//!   into place and later only deleted (an unlinked file stays mapped), all under the run's
//!   lease. Object-store intermediates are streamed ([`crate::binfile::BinReader`]) instead.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};

use crate::binfile::{BinReader, HEADER_LEN};

/// The mapping, shared by the batches being decoded; unmapped when the last one is done.
pub struct MappedBin {
    map: memmap2::Mmap,
    /// For dropping released pages from the page cache.
    file: std::fs::File,
}

impl MappedBin {
    pub fn bytes(&self, r: Range<usize>) -> &[u8] {
        &self.map[r]
    }

    /// Unmap the whole pages inside `r` from this process once they were decoded, and drop
    /// them from the page cache.
    /// - Unmapped: otherwise the whole spool would count in the process's RSS (~400 MB on the
    ///   MinHash bench), growing with the input instead of staying bounded.
    /// - Dropped from the cache (`POSIX_FADV_DONTNEED`; the file was made durable before its
    ///   reader started, so its pages are clean): no reader comes back to them, and deleting
    ///   the file at the run's end freed them all at once, serially (~30 ms of a 70 ms unlink
    ///   for a 400 MB spool). Here that work is spread over the pool as batches are decoded.
    pub fn release(&self, r: Range<usize>) {
        // SAFETY: sysconf has no preconditions
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) }.max(1) as usize;
        let (start, end) = (r.start.div_ceil(page) * page, (r.end / page) * page);
        if end > start {
            // SAFETY: a read-only shared mapping of a file nobody modifies: a later access to
            // these pages (none is made) would fault the same bytes back in from the file
            let _ = unsafe {
                self.map.unchecked_advise_range(
                    memmap2::UncheckedAdvice::DontNeed,
                    start,
                    end - start,
                )
            };
            #[cfg(target_os = "linux")]
            {
                use std::os::fd::AsRawFd;
                // SAFETY: a valid open fd; the advice only drops clean cached pages of the range
                unsafe {
                    libc::posix_fadvise(
                        self.file.as_raw_fd(),
                        start as libc::off_t,
                        (end - start) as libc::off_t,
                        libc::POSIX_FADV_DONTNEED,
                    );
                }
            }
        }
    }
}

/// The records of a mapped intermediate, in order.
pub struct MappedRecords {
    bin: Arc<MappedBin>,
    path: PathBuf,
    pos: usize,
    /// The header's checksum over the records' hashes (`None`: an empty payload, verified).
    checksum: Option<u64>,
}

impl MappedRecords {
    pub fn open(path: &Path, kind: &str, version: u32, config_hash: u64) -> Result<Self> {
        let f = std::fs::File::open(path).with_context(|| {
            format!(
                "intermediate file {} is missing: rerun the stage that writes it",
                path.display()
            )
        })?;
        // SAFETY: see the module docs: the file is never modified or truncated once in place.
        let map = unsafe { memmap2::Mmap::map(&f) }
            .with_context(|| format!("{}: cannot map it", path.display()))?;
        let _ = map.advise(memmap2::Advice::Sequential);
        let head = map.get(..HEADER_LEN as usize).unwrap_or(&map[..]).to_vec();
        // the header's checks are BinReader's (it reads only the header here)
        let mut r = BinReader::from_source(
            Box::new(std::io::Cursor::new(head)),
            map.len() as u64,
            path,
            kind,
            version,
            config_hash,
            crate::binfile::Verify::Streaming,
        )?;
        Ok(MappedRecords {
            bin: Arc::new(MappedBin { map, file: f }),
            path: path.to_path_buf(),
            pos: HEADER_LEN as usize,
            checksum: r.take_checksum(),
        })
    }

    /// The header's checksum, for [`crate::binfile::RecordSums::new`].
    pub fn checksum(&self) -> Option<u64> {
        self.checksum
    }

    pub fn bin(&self) -> &Arc<MappedBin> {
        &self.bin
    }

    /// The next record's bytes in [`MappedBin::bytes`], or `None` at the end.
    pub fn next_range(&mut self) -> Result<Option<Range<usize>>> {
        let end = self.bin.map.len();
        if self.pos == end {
            return Ok(None);
        }
        let name = || self.path.display();
        let Some(n) = self.bin.map.get(self.pos..self.pos + 4) else {
            bail!("{}: short read", name());
        };
        let n = u32::from_le_bytes([n[0], n[1], n[2], n[3]]) as usize;
        let (start, stop) = (self.pos + 4, self.pos + 4 + n);
        if stop > end {
            bail!("{}: record length {n} past the end", name());
        }
        self.pos = stop;
        Ok(Some(start..stop))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::binfile::{BinWriter, RecordSums};

    fn written(name: &str, recs: &[&[u8]]) -> PathBuf {
        let d = std::env::temp_dir().join(format!("skypile-binmap-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        let p = d.join("x.bin");
        let mut w = BinWriter::create(&p, "test", 1, 42).unwrap();
        for r in recs {
            w.write_hashed_record(r, RecordSums::hash(r)).unwrap();
        }
        w.finish().unwrap();
        p
    }

    /// The records, with their hashes checked as the spool reader checks them.
    fn all(p: &Path) -> Result<Vec<Vec<u8>>> {
        let mut r = MappedRecords::open(p, "test", 1, 42)?;
        let mut sums = RecordSums::new(r.checksum());
        let mut out = Vec::new();
        while let Some(range) = r.next_range()? {
            let rec = r.bin().bytes(range);
            sums.add(RecordSums::hash(rec));
            out.push(rec.to_vec());
        }
        sums.check(p)?;
        Ok(out)
    }

    #[test]
    fn records_read_back_as_written() {
        let p = written("rt", &[b"hello", b"", b"world"]);
        assert_eq!(
            all(&p).unwrap(),
            vec![b"hello".to_vec(), vec![], b"world".to_vec()]
        );
        assert!(all(&written("empty", &[])).unwrap().is_empty());
        let e = MappedRecords::open(&p, "test", 1, 43).err().unwrap();
        assert!(e.to_string().contains("different config"), "{e}");
    }

    /// Pages in the page cache of the file at `p` (Linux `mincore` on a fresh mapping).
    #[cfg(target_os = "linux")]
    fn cached_pages(p: &Path) -> usize {
        let f = std::fs::File::open(p).unwrap();
        let map = unsafe { memmap2::Mmap::map(&f) }.unwrap();
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize;
        let mut vec = vec![0u8; map.len().div_ceil(page)];
        let rc = unsafe { libc::mincore(map.as_ptr() as *mut _, map.len(), vec.as_mut_ptr()) };
        assert_eq!(rc, 0);
        vec.iter().filter(|v| *v & 1 == 1).count()
    }

    /// Released pages leave the page cache too: a reader's spool does not stay cached until
    /// the run deletes it.
    #[cfg(target_os = "linux")]
    #[test]
    fn released_pages_leave_the_page_cache() {
        let big = vec![7u8; 1 << 20];
        let p = written("cache", &[&big, &big, &big, &big]);
        let mut fs: libc::statfs = unsafe { std::mem::zeroed() };
        let c = std::ffi::CString::new(p.to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::statfs(c.as_ptr(), &mut fs) }, 0);
        if fs.f_type == libc::TMPFS_MAGIC {
            eprintln!(
                "skipping: {} is on tmpfs, whose pages are the file",
                p.display()
            );
            return;
        }
        crate::durable::sync_pending().unwrap(); // clean pages, as a spool's are when read
        let mut r = MappedRecords::open(&p, "test", 1, 42).unwrap();
        let mut ranges = Vec::new();
        while let Some(range) = r.next_range().unwrap() {
            assert!(r.bin().bytes(range.clone()).iter().all(|b| *b == 7));
            ranges.push(range);
        }
        let before = cached_pages(&p);
        assert!(before > 1000, "read pages are cached: {before}");
        r.bin().release(ranges[0].start..ranges[3].end);
        let after = cached_pages(&p);
        assert!(after <= 4, "{after} of {before} pages still cached");
    }

    #[test]
    fn corruption_and_truncation_are_errors() {
        let p = written("bad", &[b"hello", b"world"]);
        let mut bytes = std::fs::read(&p).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        std::fs::write(&p, &bytes).unwrap();
        assert!(all(&p).unwrap_err().to_string().contains("checksum"));
        std::fs::write(&p, &bytes[..bytes.len() - 3]).unwrap();
        let e = MappedRecords::open(&p, "test", 1, 42).err().unwrap();
        assert!(e.to_string().contains("truncated"), "{e}");
        // a record length past the end: an error before the checksum is reached
        let p = written("long", &[b"hello", b"world"]);
        let mut bytes = std::fs::read(&p).unwrap();
        let at = HEADER_LEN as usize + 4 + 5;
        bytes[at..at + 4].copy_from_slice(&1000u32.to_le_bytes());
        std::fs::write(&p, &bytes).unwrap();
        assert!(all(&p).unwrap_err().to_string().contains("past the end"));
    }
}
