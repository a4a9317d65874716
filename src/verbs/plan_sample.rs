//! What `skypile plan` measures before it estimates: a sample of the input run through the
//! pipeline's own steps, in this process.
//!
//! - Docs per input byte: sampled docs over the (compressed) bytes read to get them, so the
//!   whole input's size gives the doc count whatever the format and compression.
//! - Per segment: how many docs reach it, the bytes a doc holds as the stage reads it (the raw
//!   body before extraction, the spool record after), what the steps keep and drop.
//! - The resident size after building every step and running them on the sample: binary,
//!   tokenizer, models, dictionaries and lazily loaded tables, which every rank holds.
//! - Nothing here matches step names: what a step does to a doc is measured on the doc.

use std::path::{Path, PathBuf};

use anyhow::Result;
use skypile_core::{Counters, Doc};

use crate::config::Pipeline;
use crate::run::stages::Plan;
use crate::tokens::Tokenizer;

/// Docs read for the doc count, and the cap on their bytes (whichever comes first); a quarter
/// of each per file, so the sample spans several files when files differ.
const SAMPLE_DOCS: u64 = 2000;
const SAMPLE_BYTES: u64 = 64 << 20;
/// Docs (and their bytes) also run through every step: enough for the keep/drop shares and the
/// lazily loaded tables, few enough to keep `plan` a few seconds.
const STEP_DOCS: u64 = 300;
const STEP_BYTES: u64 = 32 << 20;
/// The resident size is read after this many docs went through the steps: lazily loaded tables
/// are in, and little of the sample's own garbage is (the allocator keeps freed pages).
const WARM_DOCS: u64 = 24;

/// One segment of the pipeline (the steps between two global steps) as the sample saw it.
/// Averages are per doc entering the segment.
#[derive(Debug, Default, Clone)]
pub struct SegmentSample {
    /// Share of the input's docs that reach the segment (dedup drops not counted: a bound).
    pub reach: f64,
    /// Bytes a doc holds as the stage reads it: raw body and text, or the spool record.
    pub in_bytes: f64,
    /// The largest such doc of the sample.
    pub max_in_bytes: f64,
    /// Share of the docs entering that the segment's steps drop.
    pub drop_share: f64,
    /// Bytes a dropped doc holds when it is dropped (text and any raw page left).
    pub drop_bytes: f64,
    /// Text bytes of a dropped doc: what the `removed/` writer keeps of it (the sink sheds the
    /// raw page).
    pub drop_text: f64,
    /// Text bytes of a kept doc, all it holds after the steps (text and any raw page left, as
    /// a pipeline without `extract` keeps it), and its spool record (serde_json of the doc).
    pub text_bytes: f64,
    pub held_bytes: f64,
    pub spool_bytes: f64,
    /// Resident bytes of this process after the warm-up docs went through this segment and
    /// the ones before (what a rank of this stage holds before its first batch); 0 if unknown.
    pub resident: u64,
}

/// What the input looks like: file sizes, and what the sample measured.
#[derive(Debug, Default, Clone)]
pub struct InputEstimate {
    pub files: usize,
    pub bytes: u64,
    pub docs: u64,
    /// Docs the sample read (for the doc count) and ran through the steps.
    pub sampled: u64,
    pub stepped: u64,
    /// Biggest rank's share of the docs (files are dealt round-robin).
    pub max_rank_share: f64,
    /// One entry per segment of the plan.
    pub segments: Vec<SegmentSample>,
    /// The largest of the segments' resident sizes; 0 when the OS does not tell (then `plan`
    /// falls back to fixed sizes).
    pub resident: u64,
    /// The same before any doc: what a dedup reduce or merge rank starts from.
    pub resident_built: u64,
}

#[derive(Default)]
struct Acc {
    docs: u64,
    in_bytes: u64,
    max_in: u64,
    dropped: u64,
    drop_bytes: u64,
    drop_text: u64,
    kept_text: u64,
    kept_held: u64,
    kept_spool: u64,
}

pub fn estimate_input(p: &Pipeline, plan: &Plan) -> Result<InputEstimate> {
    let inputs: Vec<PathBuf> = skypile_ingest::list_inputs(&p.input.paths)?;
    let sizes: Vec<u64> = inputs
        .iter()
        .map(|f| skypile_storage::size(f).unwrap_or(0)) // a local file or an object
        .collect();
    let mut e = InputEstimate {
        files: inputs.len(),
        bytes: sizes.iter().sum(),
        max_rank_share: max_rank_share(&sizes, p.tasks),
        ..Default::default()
    };
    let mut stepper = Stepper {
        plan,
        tokenizer: Tokenizer::new(&p.tokenizer)?,
        acc: plan.segments.iter().map(|_| Acc::default()).collect(),
        warm: Vec::new(),
        resident: Vec::new(),
        counters: Counters::default(),
    };
    e.resident_built = resident_bytes().unwrap_or(0);
    let (mut n, mut read_bytes, mut doc_bytes) = (0u64, 0u64, 0u64);
    let mut cfg = p.input.clone();
    cfg.defer_decode = true; // as the runner reads: the body stays undecoded in the batches
    let mut meter = ReadMeter::default();
    for (i, f) in inputs.iter().enumerate() {
        meter.take(); // reads before this file (steps, the previous file) are not its bytes
        let Ok(events) = skypile_ingest::open(f, i as u32, &cfg) else {
            continue;
        };
        let (mut complete, mut file_docs, mut file_bytes, mut file_read) = (true, 0, 0, Some(0));
        for ev in events {
            file_read = file_read.zip(meter.take()).map(|(a, b)| a + b);
            let skypile_ingest::Event::Doc(d) = ev else {
                continue;
            };
            n += 1;
            file_docs += 1;
            let bytes = crate::run::doc_bytes(&d) as u64;
            doc_bytes += bytes;
            file_bytes += bytes;
            if e.stepped < STEP_DOCS && doc_bytes <= STEP_BYTES {
                e.stepped += 1;
                stepper.push(*d, bytes);
                meter.take(); // a step loading a table is not input
            }
            if file_docs >= SAMPLE_DOCS / 4 || file_bytes >= SAMPLE_BYTES / 4 {
                complete = false;
                break;
            }
        }
        let size = sizes.get(i).copied().unwrap_or(0);
        read_bytes += match (complete, file_read) {
            (true, _) => size,
            (false, Some(r)) => r.min(size),
            // No per-thread I/O counters: assume the docs are half the file (WARC request and
            // metadata records, headers) and the file compressed 4:1 if it is compressed.
            (false, None) => (file_bytes * 2 / compression_factor(f)).min(size),
        };
        if n >= SAMPLE_DOCS || doc_bytes >= SAMPLE_BYTES {
            break;
        }
    }
    e.sampled = n;
    e.docs = if read_bytes == 0 {
        n
    } else {
        (n as f64 * e.bytes as f64 / read_bytes as f64).round() as u64
    };
    e.segments = stepper.finish();
    e.resident = e.segments.iter().map(|s| s.resident).max().unwrap_or(0);
    Ok(e)
}

/// Runs sampled docs through the pipeline's steps as a rank would (decoding, steps, spool
/// record, dedup observation, token count), skipping the dedup decisions (every doc is unique).
/// The first `WARM_DOCS` go segment by segment, the resident size read after each, so a docs
/// stage is charged only the tables its own and earlier segments load; the rest doc by doc.
struct Stepper<'a> {
    plan: &'a Plan,
    tokenizer: Tokenizer,
    acc: Vec<Acc>,
    /// Docs (and their bytes as read) waiting for the warm-up pass.
    warm: Vec<(Doc, u64)>,
    /// Resident size after the warm-up docs went through segments 0..=k; empty before.
    resident: Vec<u64>,
    counters: Counters,
}

impl Stepper<'_> {
    fn push(&mut self, doc: Doc, in_bytes: u64) {
        if self.resident.is_empty() {
            self.warm.push((doc, in_bytes));
            if self.warm.len() as u64 >= WARM_DOCS {
                self.warm_up();
            }
            return;
        }
        let mut cur = Some((doc, in_bytes));
        for k in 0..self.plan.segments.len() {
            cur = cur.and_then(|(d, b)| self.segment(k, d, b));
        }
    }

    fn warm_up(&mut self) {
        let mut docs = std::mem::take(&mut self.warm);
        for k in 0..self.plan.segments.len() {
            docs = docs
                .into_iter()
                .filter_map(|(d, b)| self.segment(k, d, b))
                .collect();
            self.resident.push(resident_bytes().unwrap_or(0));
        }
    }

    /// Segment `k` on one doc of `in_bytes` as the stage reads it: the doc and its spool
    /// record's size when it goes on to the next segment.
    fn segment(&mut self, k: usize, mut doc: Doc, in_bytes: u64) -> Option<(Doc, u64)> {
        let seg = &self.plan.segments[k];
        let a = &mut self.acc[k];
        a.docs += 1;
        a.in_bytes += in_bytes;
        a.max_in = a.max_in.max(in_bytes);
        let c = &mut self.counters;
        let kept = (k > 0 || skypile_ingest::decode_deferred(&mut doc).is_ok())
            && seg.steps.iter().all(|s| {
                crate::run::guarded(|| s.step.process(&mut doc, c)).is_ok_and(|v| v.is_keep())
            });
        if !kept {
            a.dropped += 1;
            a.drop_bytes += crate::run::doc_bytes(&doc) as u64;
            a.drop_text += doc.text().len() as u64;
            self.tokenizer.count(doc.text());
            return None;
        }
        a.kept_text += doc.text().len() as u64;
        a.kept_held += crate::run::doc_bytes(&doc) as u64;
        let Some(g) = seg.global.as_ref() else {
            self.tokenizer.count(doc.text()); // the last segment writes the kept docs
            return None;
        };
        let _ = g.step.observe(&doc);
        let spooled = serde_json::to_vec(&doc).map_or(0, |j| j.len() as u64);
        a.kept_spool += spooled;
        Some((doc, spooled))
    }

    fn finish(mut self) -> Vec<SegmentSample> {
        if self.resident.is_empty() {
            self.warm_up();
        }
        let mut out = segment_samples(&self.acc);
        for (s, r) in out.iter_mut().zip(&self.resident) {
            s.resident = *r;
        }
        out
    }
}

fn segment_samples(acc: &[Acc]) -> Vec<SegmentSample> {
    let first = acc.first().map_or(0, |a| a.docs).max(1) as f64;
    let per = |x: u64, n: u64| if n == 0 { 0.0 } else { x as f64 / n as f64 };
    acc.iter()
        .map(|a| {
            let kept = a.docs - a.dropped;
            SegmentSample {
                reach: a.docs as f64 / first,
                in_bytes: per(a.in_bytes, a.docs),
                max_in_bytes: a.max_in as f64,
                drop_share: per(a.dropped, a.docs),
                drop_bytes: per(a.drop_bytes, a.dropped),
                drop_text: per(a.drop_text, a.dropped),
                text_bytes: per(a.kept_text, kept),
                held_bytes: per(a.kept_held, kept),
                spool_bytes: per(a.kept_spool, kept),
                resident: 0,
            }
        })
        .collect()
}

/// Biggest share of the input bytes one rank gets when files are dealt `i % tasks`.
fn max_rank_share(sizes: &[u64], tasks: usize) -> f64 {
    let tasks = tasks.max(1);
    let mut per_rank = vec![0u64; tasks];
    for (i, s) in sizes.iter().enumerate() {
        per_rank[i % tasks] += s;
    }
    let total: u64 = sizes.iter().sum();
    if total == 0 {
        1.0
    } else {
        per_rank.iter().copied().max().unwrap_or(0) as f64 / total as f64
    }
}

fn compression_factor(f: &Path) -> u64 {
    let n = f.to_string_lossy();
    if n.ends_with(".gz") || n.ends_with(".zst") {
        4
    } else {
        1
    }
}

/// Compressed input bytes the readers consumed (`skypile_ingest::bytes_read`, the counter the
/// progress bar uses), whatever the format and wherever the input is (a file or an object).
/// * Only input readers count, so a step loading a table is not input.
#[derive(Default)]
struct ReadMeter {
    last: Option<u64>,
}

impl ReadMeter {
    /// Bytes read since the previous call (`None` on the first call).
    fn take(&mut self) -> Option<u64> {
        let now = skypile_ingest::bytes_read();
        let delta = self.last.map(|l| now.saturating_sub(l));
        self.last = Some(now);
        delta
    }
}

/// Resident set size of this process (Linux `/proc/self/status`).
pub fn resident_bytes() -> Option<u64> {
    proc_field("/proc/self/status", "VmRSS:").map(|kb| kb << 10)
}

fn proc_field(path: &str, key: &str) -> Option<u64> {
    field(&std::fs::read_to_string(path).ok()?, key)
}

fn field(s: &str, key: &str) -> Option<u64> {
    let line = s.lines().find(|l| l.starts_with(key))?;
    line[key.len()..].split_whitespace().next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_get_files_round_robin() {
        assert_eq!(max_rank_share(&[10, 10, 10, 10], 2), 0.5);
        assert_eq!(max_rank_share(&[30, 10], 4), 0.75);
        assert_eq!(max_rank_share(&[], 4), 1.0);
    }

    #[test]
    fn the_sample_counts_docs_per_byte_and_what_steps_keep() {
        let dir = std::env::temp_dir().join(format!("skypile-plan-sample-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // every fifth doc Chinese, the rest English
        let line = |i: usize| {
            let t = match i % 5 {
                0 => "这是一个用来测试语言识别的中文句子。".repeat(5 + i % 7),
                _ => "This is an English sentence for the language test. ".repeat(5 + i % 7),
            };
            format!("{{\"text\":\"{t}\"}}\n")
        };
        let body: String = (0..100).map(line).collect();
        std::fs::write(dir.join("a.jsonl"), &body).unwrap();
        std::fs::write(dir.join("b.jsonl"), &body).unwrap();
        let yaml = format!(
            "input: {{paths: [{}]}}\ntasks: 2\nsteps:\n  - lang: {{}}\n  - lang_filter: {{languages: {{zh: 0.5}}}}\n  - exact_dedup: {{}}\n",
            dir.display()
        );
        let p = Pipeline::parse(&yaml).unwrap();
        let plan = Plan::build(&p).unwrap();
        let e = estimate_input(&p, &plan).unwrap();
        assert_eq!((e.docs, e.sampled, e.stepped), (200, 200, 200));
        assert_eq!(e.max_rank_share, 0.5);
        let s0 = &e.segments[0];
        assert!((s0.drop_share - 0.8).abs() < 1e-9, "{s0:?}");
        assert!(
            (e.segments[1].reach - 0.2).abs() < 1e-9,
            "{:?}",
            e.segments[1]
        );
        // kept docs are the Chinese ones: their spool record holds the text and more
        assert!(
            s0.text_bytes > 5.0 * 54.0 && s0.spool_bytes > s0.text_bytes,
            "{s0:?}"
        );
        if cfg!(target_os = "linux") {
            assert!(e.resident > 1 << 20, "{}", e.resident);
        }
        std::fs::remove_dir_all(&dir).ok();
    }
}
