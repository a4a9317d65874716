//! Streaming an object: sequential ranged GETs with read-ahead, as a blocking `Read + Seek`.
//!
//! - Memory is bounded: at most `read_ahead` chunks in flight plus the one being read
//!   (`storage.read_chunk_mib` × (`read_ahead` + 1) per open input), whatever the object's size.
//! - A failed chunk is fetched again with exponential backoff (on top of the client's own
//!   per-request retries), so a dropped connection mid-file costs a retry, not the file.
//! - A seek inside the current chunk is free; elsewhere it drops the read-ahead and restarts
//!   there (the gzip resync in skypile-ingest seeks back a little at a time).

use std::collections::VecDeque;
use std::io::{self, Read, Seek, SeekFrom};
use std::time::Duration;

use bytes::Bytes;
use object_store::ObjectStoreExt;
use tokio::task::JoinHandle;

use crate::stores::{Remote, explain, runtime};

type Chunk = JoinHandle<object_store::Result<Bytes>>;

pub struct RangeReader {
    r: Remote,
    size: u64,
    pos: u64,
    cur: Bytes,
    cur_start: u64,
    ahead: VecDeque<(u64, Chunk)>,
    next_req: u64,
    chunk: u64,
    depth: usize,
    retries: usize,
}

impl RangeReader {
    pub(crate) fn new(r: Remote, size: u64) -> Self {
        let cfg = crate::config::current();
        RangeReader {
            r,
            size,
            pos: 0,
            cur: Bytes::new(),
            cur_start: 0,
            ahead: VecDeque::new(),
            next_req: 0,
            chunk: (cfg.read_chunk_mib.max(1) as u64) << 20,
            depth: cfg.read_ahead.max(1),
            retries: cfg.retries,
        }
    }

    fn spawn(&self, start: u64) -> Chunk {
        let (store, key) = (self.r.store.clone(), self.r.key.clone());
        let end = (start + self.chunk).min(self.size);
        runtime().spawn(async move { store.get_range(&key, start..end).await })
    }

    fn reset(&mut self, at: u64) {
        for (_, h) in self.ahead.drain(..) {
            h.abort();
        }
        self.next_req = at;
    }

    /// Make `cur` hold `pos` (which is below `size`).
    fn fetch(&mut self) -> io::Result<()> {
        if self.ahead.front().is_none_or(|(s, _)| *s != self.pos) {
            self.reset(self.pos);
        }
        while self.ahead.len() < self.depth && self.next_req < self.size {
            let h = self.spawn(self.next_req);
            self.ahead.push_back((self.next_req, h));
            self.next_req += self.chunk;
        }
        let Some((start, h)) = self.ahead.pop_front() else {
            return Ok(());
        };
        let mut got = runtime()
            .block_on(h)
            .unwrap_or_else(|e| Err(object_store::Error::JoinError { source: e }));
        let mut wait = Duration::from_millis(500);
        for _ in 0..self.retries {
            if got.is_ok() {
                break;
            }
            log::warn!(
                "{}: chunk at {start} failed, retrying in {wait:?}",
                self.r.url
            );
            std::thread::sleep(wait);
            wait = (wait * 2).min(Duration::from_secs(10));
            got = runtime()
                .block_on(self.spawn(start))
                .unwrap_or_else(|e| Err(object_store::Error::JoinError { source: e }));
        }
        let bytes = got.map_err(|e| io::Error::other(explain(&self.r.url, "read", &e)))?;
        if bytes.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("{}: object shorter than its listed size", self.r.url),
            ));
        }
        self.cur = bytes;
        self.cur_start = start;
        Ok(())
    }
}

impl Read for RangeReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.size || buf.is_empty() {
            return Ok(0);
        }
        let in_cur =
            self.pos >= self.cur_start && self.pos < self.cur_start + self.cur.len() as u64;
        if !in_cur {
            self.fetch()?;
        }
        let off = (self.pos - self.cur_start) as usize;
        let n = buf.len().min(self.cur.len() - off);
        buf[..n].copy_from_slice(&self.cur[off..off + n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for RangeReader {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let p = match to {
            SeekFrom::Start(p) => p as i128,
            SeekFrom::Current(d) => self.pos as i128 + d as i128,
            SeekFrom::End(d) => self.size as i128 + d as i128,
        };
        if p < 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek before start",
            ));
        }
        self.pos = p as u64;
        Ok(self.pos)
    }
}

impl Drop for RangeReader {
    fn drop(&mut self) {
        self.reset(0);
    }
}
