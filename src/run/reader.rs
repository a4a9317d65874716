//! The reader thread of a docs stage: input files (or the previous stage's spool) -> bounded
//! batches of docs on a channel, with the ingest counters.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Result;
use rayon::prelude::*;
use skypile_core::binfile::RecordSums;
use skypile_core::binmap::{MappedBin, MappedRecords};
use skypile_core::{Applier, Counters, Doc};
use skypile_ingest::jsonl::Unparsed;

use super::progress::Progress;

pub(super) const SPOOL_KIND: &str = "spool";
/// 2: docs in [`skypile_core::doc_codec`]'s layout (1 was JSON). 3: the payload checksum is
/// over the records' hashes ([`skypile_core::binfile::RecordSums`]), computed in the pool.
pub(super) const SPOOL_VERSION: u32 = 3;
/// A batch is cut at this many docs or bytes of text/HTML, whichever comes first.
pub const BATCH_DOCS: usize = 512;
pub const BATCH_BYTES: usize = 16 << 20;

/// Docs in a reader's n-th batch: 16, 32, 64, … up to [`BATCH_DOCS`].
/// - Why: the pool waits for a reader's first batch. A whole one is up to 16 MB of inflated
///   HTML, and perf showed the pool idle ~0.1 s at the start of every WARC rank (~4% of the
///   production run with 1 worker); 16 docs come in a few ms.
/// - Batch sizes change no output: rows, spools and observations keep input order.
fn batch_docs(sent: usize) -> usize {
    BATCH_DOCS.min(16 << sent.min(16))
}

/// Where a reader cuts its batches: at [`batch_docs`] docs or [`BATCH_BYTES`], whichever
/// comes first (the one rule of the WARC, JSONL and spool readers).
#[derive(Default)]
struct BatchCut {
    /// Bytes held in the batch being filled.
    bytes: usize,
    /// Batches cut so far.
    sent: usize,
}

impl BatchCut {
    /// A doc of `bytes` joined the batch, which now holds `docs`: true when the batch is cut
    /// after it.
    fn add(&mut self, docs: usize, bytes: usize) -> bool {
        self.bytes += bytes;
        if docs < batch_docs(self.sent) && self.bytes < BATCH_BYTES {
            return false;
        }
        self.bytes = 0;
        self.sent += 1;
        true
    }
}

/// Where a docs stage reads from.
pub(super) enum Source {
    Files(Vec<(u32, PathBuf)>),
    /// The previous docs stage's spool (path, config hash), and the applier whose key-decided
    /// drops are decoded head only (`None` when `removed/` is written: it needs the text).
    Spool(PathBuf, u64, Option<Arc<dyn Applier>>),
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
    match source {
        Source::Files(files) => {
            let mut b = Batcher {
                c: Counters::default(),
                batch: Vec::new(),
                cut: BatchCut::default(),
                n: 0,
                limit: cfg.limit,
                tx,
            };
            'files: for (idx, path) in files {
                let mut meter = FileMeter::new(&path, progress);
                // JSONL: lines are split here and parsed in the pool
                if let Some(lines) = skypile_ingest::open_unparsed(&path, idx, cfg) {
                    let Some(lines) = b.opened(lines, &path) else {
                        continue;
                    };
                    if !read_unparsed(pool, lines, &path, &mut b, &mut meter) {
                        break 'files;
                    }
                    continue;
                }
                let Some(mut events) = b.opened(skypile_ingest::open(&path, idx, cfg), &path)
                else {
                    continue;
                };
                let mut warnings = skypile_ingest::Warnings::new(&path);
                while let Some(ev) = next_guarded(&mut events, &path, &mut b.c) {
                    if !b.event(ev, &mut meter, &mut warnings) {
                        break 'files;
                    }
                }
            }
            if !b.batch.is_empty() {
                b.send();
            }
            b.c
        }
        Source::Spool(path, hash, skip) => read_spool(pool, &path, hash, skip, tx, progress),
    }
}

/// Docs of the input files, in order, cut into batches, with the ingest counters.
struct Batcher {
    c: Counters,
    batch: Vec<Doc>,
    cut: BatchCut,
    /// Docs read so far, and the configured cap (`input.limit`, 0 = none).
    n: u64,
    limit: u64,
    tx: crossbeam_channel::Sender<Result<Vec<Doc>>>,
}

impl Batcher {
    /// A file's reader, or `None` (logged and counted) when it cannot be opened.
    fn opened<T>(&mut self, r: Result<T>, path: &std::path::Path) -> Option<T> {
        match r {
            Ok(r) => {
                self.c.inc("ingest.files");
                Some(r)
            }
            Err(e) => {
                log::warn!("skipping input {}: {e:#}", path.display());
                self.c.inc("ingest.bad_file");
                None
            }
        }
    }

    /// One reader event, in input order. False when reading is over: the pool hung up, or
    /// `input.limit` docs were read.
    fn event(
        &mut self,
        ev: skypile_ingest::Event,
        meter: &mut FileMeter,
        warnings: &mut skypile_ingest::Warnings,
    ) -> bool {
        match ev {
            skypile_ingest::Event::Doc(d) => {
                self.c.inc("ingest.docs");
                meter.poll();
                let bytes = doc_bytes(&d);
                self.batch.push(*d);
                self.n += 1;
                if self.cut.add(self.batch.len(), bytes) && !self.send() {
                    return false;
                }
                self.limit == 0 || self.n < self.limit
            }
            skypile_ingest::Event::Skip {
                reason,
                offset,
                detail,
            } => {
                self.c.inc(&format!("ingest.{reason}"));
                warnings.skip(&reason, offset, &detail);
                true
            }
        }
    }

    fn send(&mut self) -> bool {
        self.tx.send(Ok(std::mem::take(&mut self.batch))).is_ok()
    }
}

/// The next item of a file's reader. A reader bug on some odd file must not take the whole
/// run down: a panic ends that file (`None`), counted and logged, and the next file is read.
fn next_guarded<T>(
    it: &mut dyn Iterator<Item = T>,
    path: &std::path::Path,
    c: &mut Counters,
) -> Option<T> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| it.next())) {
        Ok(item) => item,
        Err(_) => {
            reader_panicked(path, c);
            None
        }
    }
}

fn reader_panicked(path: &std::path::Path, c: &mut Counters) {
    log::error!(
        "reader panicked in {}: rest of the file skipped (please report this input)",
        path.display()
    );
    c.inc("ingest.bad_reader_panic");
}

/// A JSONL file: this thread only splits lines; the pool parses them a batch at a time and
/// their events are handled here in file order, so counters, batches and docs are the same as
/// parsing each line here. False when reading is over ([`Batcher::event`]).
///
/// - One parse batch is always queued ahead: the pool parses batch k+1 while this thread hands
///   out the docs of batch k, so the pool never waits for a parse between doc batches.
fn read_unparsed(
    pool: &rayon::ThreadPool,
    mut lines: Box<dyn Iterator<Item = Unparsed> + Send>,
    path: &std::path::Path,
    b: &mut Batcher,
    meter: &mut FileMeter,
) -> bool {
    let mut warnings = skypile_ingest::Warnings::new(path);
    let mut pending: Vec<Unparsed> = Vec::new();
    let mut cut = BatchCut::default();
    let mut ahead: Option<Parsing> = None;
    loop {
        let next = next_guarded(&mut lines, path, &mut b.c);
        let end = next.is_none();
        if let Some(u) = next {
            let bytes = u.len();
            pending.push(u);
            if !cut.add(pending.len(), bytes) {
                continue;
            }
        }
        // queue this batch, then hand out the one queued before it (at the end: both)
        let queued = (!pending.is_empty()).then(|| parse_in(pool, std::mem::take(&mut pending)));
        let mut due: Vec<Parsing> = std::mem::replace(&mut ahead, queued).into_iter().collect();
        if end {
            due.extend(ahead.take());
        }
        for parsed in due {
            // a parse job that never answers is a bug: end the file as a reader panic does
            let Ok(events) = parsed.recv() else {
                reader_panicked(path, &mut b.c);
                return true;
            };
            for ev in events {
                let Some(ev) = ev else {
                    reader_panicked(path, &mut b.c);
                    return true;
                };
                if !b.event(ev, meter, &mut warnings) {
                    return false;
                }
            }
        }
        if end {
            return true;
        }
    }
}

/// The events of a batch of lines being parsed in the pool (`None`: the parser panicked).
type Parsing = crossbeam_channel::Receiver<Vec<Option<skypile_ingest::Event>>>;

fn parse_in(pool: &rayon::ThreadPool, lines: Vec<Unparsed>) -> Parsing {
    map_in_pool(pool, lines, |u| {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| u.parse())).ok()
    })
}

/// `f` over `items` in the pool, in order, without waiting: the results arrive on the receiver
/// (the readers queue a batch ahead of the one they hand out).
fn map_in_pool<T: Send + 'static, R: Send + 'static>(
    pool: &rayon::ThreadPool,
    items: Vec<T>,
    f: impl Fn(T) -> R + Send + Sync + 'static,
) -> crossbeam_channel::Receiver<Vec<R>> {
    let (tx, rx) = crossbeam_channel::bounded(1);
    pool.spawn(move || {
        let _ = tx.send(items.into_par_iter().map(f).collect());
    });
    rx
}

/// A spool: records are parsed in the pool, a batch at a time: serde_json on one thread was
/// the serial part of every docs stage after a dedup step.
/// - One parse batch is always queued ahead (as in [`read_unparsed`]): this thread reads batch
///   k+1 while the pool parses batch k. Waiting for each parse left reading serial (a stage after
///   MinHash on 50k docs took as long with 2 workers as with 1).
/// - A local spool is mapped, not copied ([`skypile_core::binmap`]); an object's is streamed.
fn read_spool(
    pool: &rayon::ThreadPool,
    path: &std::path::Path,
    hash: u64,
    skip: Option<Arc<dyn Applier>>,
    tx: crossbeam_channel::Sender<Result<Vec<Doc>>>,
    progress: &Progress,
) -> Counters {
    let mut r = match SpoolRecords::open(path, hash) {
        Ok(r) => r,
        Err(e) => {
            let _ = tx.send(Err(e));
            return Counters::default();
        }
    };
    let mut recs = r.batch();
    let mut cut = BatchCut::default();
    let mut ahead: Option<SpoolParsing> = None;
    // the records' hashes, folded in file order as their batches are handed out
    let mut sums = RecordSums::new(r.checksum());
    // hand out the batch parsed before; false when the stage stopped listening
    let mut forward = |parsed: Option<SpoolParsing>| -> bool {
        let Some(parsed) = parsed else { return true };
        let docs = parsed.recv().map_or_else(
            |_| {
                Err(anyhow::anyhow!(
                    "{}: spool parse panicked (a bug)",
                    path.display()
                ))
            },
            |docs| {
                docs.into_iter()
                    .map(|d| {
                        d.map(|(doc, hash)| {
                            sums.add(hash);
                            doc
                        })
                    })
                    .collect()
            },
        );
        tx.send(docs).is_ok()
    };
    loop {
        let bytes = match r.next_into(&mut recs) {
            Ok(bytes) => bytes,
            Err(e) => {
                // the batch before still goes first: the stage fails on this error after it
                if forward(ahead.take()) {
                    let _ = tx.send(Err(e));
                }
                return Counters::default();
            }
        };
        if let Some(bytes) = bytes {
            progress.read(4 + bytes as u64); // length prefix + record
            if !cut.add(recs.len(), bytes) {
                continue;
            }
        }
        let queued = (recs.len() > 0)
            .then(|| parse_spool_in(pool, std::mem::replace(&mut recs, r.batch()), path, &skip));
        if !forward(std::mem::replace(&mut ahead, queued)) {
            return Counters::default();
        }
        if bytes.is_none() {
            // the stage fails (commits nothing) on a mismatch, after the docs handed out
            if forward(ahead.take())
                && let Err(e) = sums.check(path)
            {
                let _ = tx.send(Err(e));
            }
            return Counters::default();
        }
    }
}

/// A spool's records: a local file's mapping, or an object's stream.
enum SpoolRecords {
    Mapped(MappedRecords),
    Streamed(Box<skypile_core::binfile::BinReader>),
}

/// A batch of spool records: ranges of the mapping, or copies.
enum SpoolBatch {
    Mapped(Arc<MappedBin>, Vec<std::ops::Range<usize>>),
    Owned(Vec<Vec<u8>>),
}

impl SpoolRecords {
    fn open(path: &std::path::Path, hash: u64) -> Result<Self> {
        Ok(if skypile_storage::is_remote(path) {
            SpoolRecords::Streamed(Box::new(skypile_storage::bin_stream(
                path,
                SPOOL_KIND,
                SPOOL_VERSION,
                hash,
            )?))
        } else {
            SpoolRecords::Mapped(MappedRecords::open(path, SPOOL_KIND, SPOOL_VERSION, hash)?)
        })
    }

    fn batch(&self) -> SpoolBatch {
        match self {
            SpoolRecords::Mapped(m) => SpoolBatch::Mapped(m.bin().clone(), Vec::new()),
            SpoolRecords::Streamed(_) => SpoolBatch::Owned(Vec::new()),
        }
    }

    /// The header's checksum, for [`RecordSums`]: records are hashed in the pool, not here
    /// (a streamed reader stops hashing what it reads).
    fn checksum(&mut self) -> Option<u64> {
        match self {
            SpoolRecords::Mapped(m) => m.checksum(),
            SpoolRecords::Streamed(s) => s.take_checksum(),
        }
    }

    /// Add the next record to `batch` (one of [`Self::batch`]); its length, `None` at the end.
    fn next_into(&mut self, batch: &mut SpoolBatch) -> Result<Option<usize>> {
        Ok(match (self, batch) {
            (SpoolRecords::Mapped(m), SpoolBatch::Mapped(_, ranges)) => m.next_range()?.map(|r| {
                ranges.push(r.clone());
                r.len()
            }),
            (SpoolRecords::Streamed(s), SpoolBatch::Owned(recs)) => s.read_record()?.map(|rec| {
                recs.push(rec);
                recs.last().map_or(0, Vec::len)
            }),
            _ => anyhow::bail!("a spool batch of the other kind (a bug)"),
        })
    }
}

impl SpoolBatch {
    fn len(&self) -> usize {
        match self {
            SpoolBatch::Mapped(_, ranges) => ranges.len(),
            SpoolBatch::Owned(recs) => recs.len(),
        }
    }
}

/// The docs of a batch of spool records being parsed in the pool.
type SpoolParsing = crossbeam_channel::Receiver<Vec<Result<(Doc, u64)>>>;

fn parse_spool_in(
    pool: &rayon::ThreadPool,
    batch: SpoolBatch,
    path: &std::path::Path,
    skip: &Option<Arc<dyn Applier>>,
) -> SpoolParsing {
    let (path, skip) = (path.to_path_buf(), skip.clone());
    let decode = move |rec: &[u8]| {
        let dropped = |key| skip.as_ref().is_some_and(|a| a.drops_key(key).is_some());
        skypile_core::doc_codec::decode_unless(rec, dropped)
            .map(|doc| (doc, RecordSums::hash(rec)))
            .map_err(|e| anyhow::anyhow!("{}: bad spool record: {e}", path.display()))
    };
    match batch {
        SpoolBatch::Mapped(bin, ranges) => {
            let span = ranges.first().map_or(0, |r| r.start)..ranges.last().map_or(0, |r| r.end);
            let (tx, rx) = crossbeam_channel::bounded(1);
            pool.spawn(move || {
                let docs = ranges
                    .into_par_iter()
                    .map(|r| decode(bin.bytes(r)))
                    .collect();
                bin.release(span);
                let _ = tx.send(docs);
            });
            rx
        }
        SpoolBatch::Owned(recs) => map_in_pool(pool, recs, move |rec| decode(&rec)),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// JSONL lines parsed in the pool give the docs, order, batches and counters of parsing
    /// each line on the reader (`skypile_ingest::open`), with bad lines, a line over the cap,
    /// more lines than one parse batch, and `input.limit` cutting inside a parse batch.
    #[test]
    fn jsonl_parsed_in_the_pool_reads_as_in_file_order() {
        let dir = std::env::temp_dir().join(format!("skypile-reader-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("a.jsonl");
        let mut f = String::new();
        for i in 0..1300 {
            match i % 97 {
                5 => f.push_str("not json\n"),
                6 => f.push_str("{\"id\":1}\n"),
                7 => f.push('\n'),
                8 => f.push_str(&format!("{{\"text\":\"{}\"}}\n", "y".repeat(3000))),
                _ => f.push_str(&format!(
                    "{{\"id\":\"d{i}\",\"text\":\"line {i} 第{i}行\"}}\n"
                )),
            }
        }
        std::fs::write(&path, f).unwrap();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        for limit in [0, 700] {
            let cfg = skypile_ingest::InputConfig {
                max_doc_bytes: 2000,
                limit,
                ..Default::default()
            };
            // what parsing on this thread gives
            let mut want = Counters::default();
            let mut ids = Vec::new();
            for ev in skypile_ingest::open(&path, 3, &cfg).unwrap() {
                match ev {
                    skypile_ingest::Event::Doc(d) => {
                        want.inc("ingest.docs");
                        ids.push((d.id.clone(), d.key));
                    }
                    skypile_ingest::Event::Skip { reason, .. } => {
                        want.inc(&format!("ingest.{reason}"))
                    }
                }
                if limit > 0 && ids.len() as u64 >= limit {
                    break;
                }
            }
            want.inc("ingest.files");
            let (tx, rx) = crossbeam_channel::unbounded();
            let progress = Progress::new("test", None);
            let files = Source::Files(vec![(3, path.clone())]);
            let got = read_batches(&pool, files, &cfg, tx, &progress);
            let batches: Vec<Vec<Doc>> = rx.iter().map(Result::unwrap).collect();
            let got_ids: Vec<_> = batches
                .iter()
                .flatten()
                .map(|d| (d.id.clone(), d.key))
                .collect();
            assert_eq!(got.0, want.0, "limit {limit}");
            assert_eq!(got_ids, ids, "limit {limit}");
            assert!(
                batches
                    .iter()
                    .all(|b| b.len() <= BATCH_DOCS && !b.is_empty())
            );
            assert!(batches.len() >= 2 && got.0.contains_key("ingest.bad_too_large"));
        }
    }
}
