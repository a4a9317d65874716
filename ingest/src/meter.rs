//! Bytes read from input files by this process, as stored on disk (compressed), so the runner
//! can show input bytes read against the inputs' total size, with a rate and an ETA.
//!
//! - One process-wide counter: readers stay plain iterators, and a docs stage reads one file at a
//!   time, so the runner takes the difference over a file (clamped to the file's size).
//! - For display only: it never feeds a decision or an output (those stay deterministic).

use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};

static BYTES_READ: AtomicU64 = AtomicU64::new(0);

/// Input bytes read so far by this process (all readers, all files).
pub fn bytes_read() -> u64 {
    BYTES_READ.load(Ordering::Relaxed)
}

pub(crate) fn count(n: u64) {
    BYTES_READ.fetch_add(n, Ordering::Relaxed);
}

/// A reader whose bytes are added to [`bytes_read`].
pub(crate) struct Metered<R>(pub R);

impl<R: Read> Read for Metered<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.0.read(buf)?;
        count(n as u64);
        Ok(n)
    }
}

#[cfg(test)]
#[test]
fn reads_are_counted() {
    let before = bytes_read();
    let mut s = String::new();
    Metered("12345".as_bytes()).read_to_string(&mut s).unwrap();
    // other tests may read in parallel: at least our 5 bytes
    assert!(bytes_read() - before >= 5);
}
