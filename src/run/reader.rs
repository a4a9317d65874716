//! The reader thread of a docs stage: input files (or the previous stage's spool) -> bounded
//! batches of docs on a channel, with the ingest counters.

use std::path::PathBuf;

use anyhow::Result;
use rayon::prelude::*;
use skypile_core::{Counters, Doc};

use super::progress::Progress;

pub(super) const SPOOL_KIND: &str = "spool";
pub(super) const SPOOL_VERSION: u32 = 1;
/// A batch is cut at this many docs or bytes of text/HTML, whichever comes first.
pub const BATCH_DOCS: usize = 512;
pub const BATCH_BYTES: usize = 16 << 20;

/// Where a docs stage reads from.
pub(super) enum Source {
    Files(Vec<(u32, PathBuf)>),
    Spool(PathBuf, u64),
}

/// Bytes a doc holds: text, decoded HTML and the undecoded body (the reader defers charset
/// decoding to the pool, so until then the page is in `raw.bytes` and `raw.html` is empty:
/// counting only `html` let every batch grow to 512 whole pages, issue #15 item 9).
pub(crate) fn doc_bytes(d: &Doc) -> usize {
    d.text().len() + d.raw.as_ref().map_or(0, |r| r.html.len() + r.bytes.len())
}

/// The reader thread: files or spool -> bounded batches. Returns the ingest counters.
/// Input bytes go to `progress` as they are read.
pub(super) fn read_batches(
    pool: &rayon::ThreadPool,
    source: Source,
    cfg: &skypile_ingest::InputConfig,
    tx: crossbeam_channel::Sender<Result<Vec<Doc>>>,
    progress: &Progress,
) -> Counters {
    let mut c = Counters::default();
    let mut batch = Vec::new();
    let mut bytes = 0usize;
    let mut n = 0u64;
    let send = |batch: &mut Vec<Doc>, bytes: &mut usize| -> bool {
        *bytes = 0;
        tx.send(Ok(std::mem::take(batch))).is_ok()
    };
    match source {
        Source::Files(files) => {
            'files: for (idx, path) in files {
                let mut meter = FileMeter::new(&path, progress);
                let events = match skypile_ingest::open(&path, idx, cfg) {
                    Ok(e) => e,
                    Err(e) => {
                        log::warn!("skipping input {}: {e:#}", path.display());
                        c.inc("ingest.bad_file");
                        continue;
                    }
                };
                c.inc("ingest.files");
                let mut warnings = skypile_ingest::Warnings::new(&path);
                let mut events = events;
                loop {
                    // A reader bug on some odd file must not take the whole run down: the rest
                    // of that file is skipped, counted and logged, and the next file is read.
                    let ev = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        events.next()
                    })) {
                        Ok(Some(ev)) => ev,
                        Ok(None) => break,
                        Err(_) => {
                            log::error!(
                                "reader panicked in {}: rest of the file skipped (please report this input)",
                                path.display()
                            );
                            c.inc("ingest.bad_reader_panic");
                            break;
                        }
                    };
                    match ev {
                        skypile_ingest::Event::Doc(d) => {
                            c.inc("ingest.docs");
                            meter.poll();
                            bytes += doc_bytes(&d);
                            batch.push(*d);
                            n += 1;
                            if (batch.len() >= BATCH_DOCS || bytes >= BATCH_BYTES)
                                && !send(&mut batch, &mut bytes)
                            {
                                return c;
                            }
                            if cfg.limit > 0 && n >= cfg.limit {
                                break 'files;
                            }
                        }
                        skypile_ingest::Event::Skip {
                            reason,
                            offset,
                            detail,
                        } => {
                            c.inc(&format!("ingest.{reason}"));
                            warnings.skip(&reason, offset, &detail);
                        }
                    }
                }
            }
        }
        Source::Spool(path, hash) => {
            let mut r = match skypile_storage::bin_open(&path, SPOOL_KIND, SPOOL_VERSION, hash) {
                Ok(r) => r,
                Err(e) => {
                    let _ = tx.send(Err(e));
                    return c;
                }
            };
            // Records are parsed in the pool, a batch at a time: serde_json on one thread was
            // the serial part of every docs stage after a dedup step.
            let mut recs: Vec<Vec<u8>> = Vec::new();
            let mut rec_bytes = 0usize;
            let parse = |recs: &mut Vec<Vec<u8>>| -> Result<Vec<Doc>> {
                pool.install(|| {
                    recs.par_drain(..)
                        .map(|rec| {
                            serde_json::from_slice::<Doc>(&rec).map_err(|e| {
                                anyhow::anyhow!("{}: bad spool record: {e}", path.display())
                            })
                        })
                        .collect()
                })
            };
            loop {
                match r.read_record() {
                    Ok(Some(rec)) => {
                        progress.read(4 + rec.len() as u64); // length prefix + record
                        rec_bytes += rec.len();
                        recs.push(rec);
                        if recs.len() >= BATCH_DOCS || rec_bytes >= BATCH_BYTES {
                            rec_bytes = 0;
                            let docs = parse(&mut recs);
                            if tx.send(docs).is_err() {
                                return c;
                            }
                        }
                    }
                    Ok(None) => break,
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        return c;
                    }
                }
            }
            if !recs.is_empty() {
                let _ = tx.send(parse(&mut recs));
            }
            return c;
        }
    }
    if !batch.is_empty() {
        send(&mut batch, &mut bytes);
    }
    c
}

/// One input file's share of the progress: the bytes the readers read while it is open
/// ([`skypile_ingest::bytes_read`]), at most its size; the rest of its size when it is done
/// (also when skipped or cut short), so the stage total is reached. Stdin has no size: its
/// bytes are counted as read, unclamped.
struct FileMeter<'a> {
    progress: &'a Progress,
    size: Option<u64>,
    mark: u64,
    told: u64,
}

impl<'a> FileMeter<'a> {
    fn new(path: &std::path::Path, progress: &'a Progress) -> Self {
        let stdin = path == std::path::Path::new("-");
        FileMeter {
            progress,
            size: (!stdin).then(|| std::fs::metadata(path).map_or(0, |m| m.len())),
            mark: skypile_ingest::bytes_read(),
            told: 0,
        }
    }

    fn poll(&mut self) {
        let read = skypile_ingest::bytes_read().saturating_sub(self.mark);
        let now = self.size.map_or(read, |s| read.min(s));
        if now > self.told {
            self.progress.read(now - self.told);
            self.told = now;
        }
    }
}

impl Drop for FileMeter<'_> {
    fn drop(&mut self) {
        match self.size {
            Some(s) => self.progress.read(s.saturating_sub(self.told)),
            None => self.poll(),
        }
    }
}
