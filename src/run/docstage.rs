//! One rank of a docs stage: read -> steps (in parallel, order kept) -> sinks.
//!
//! A reader thread fills bounded batches; a rayon pool runs every step on a batch; the calling
//! thread drains results in input order into the sinks (collector + spool for a following global
//! step, or the Parquet writer), so memory is bounded by batch size and the output is the same
//! for any worker count.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use rayon::prelude::*;
use skypile_core::binfile::BinWriter;
use skypile_core::cpu::thread_cpu_ns;
use skypile_core::{Applier, Collector, Counters, Doc, Verdict};

use super::progress::Progress;
use super::reader::{SPOOL_KIND, SPOOL_VERSION, Source, read_batches};
use super::stages::{NamedGlobal, NamedStep, Plan};
use crate::outdir::{ShardInfo, spool_path};
use crate::output::ShardWriter;
use crate::output::chain::Chain;
use crate::output::writer::{Dropped, Row};
use crate::tokens::Tokenizer;

pub struct DocStageCtx<'a> {
    pub plan: &'a Plan,
    pub pipeline: &'a crate::config::Pipeline,
    pub out: &'a Path,
    /// The work folder or object prefix (`outdir::work_root`): spools, dedup intermediates.
    pub work: &'a Path,
    pub segment: usize,
    pub task: usize,
    pub tasks: usize,
    pub inputs: &'a [PathBuf],
    pub tokenizer: &'a Tokenizer,
    pub pool: &'a rayon::ThreadPool,
    /// The stage's progress (shared by its ranks in this process).
    pub progress: &'a Progress,
}

#[derive(Default)]
pub struct DocStageResult {
    pub counters: Counters,
    pub shards: Vec<ShardInfo>,
    pub removed: Vec<ShardInfo>,
}

/// A global step's intermediates under the work folder `work`.
pub fn global_dir(work: &Path, g: &NamedGlobal) -> PathBuf {
    work.join(&g.label)
}

/// A batch's outcomes in input order, with their counters summed.
type Processed = (Vec<Outcome>, Counters);

/// What happened to one doc in the parallel part.
struct Outcome {
    doc: Doc,
    dropped: Option<Dropped>,
    /// Filled by [`count_tokens`] for a [`written`] doc.
    tokens: i64,
    observation: Option<Vec<u8>>,
    /// The doc serialised for the spool, and its hash (done in parallel, not in the serial
    /// sink: see [`BinWriter::write_hashed_record`]).
    spooled: Option<(Vec<u8>, u64)>,
    counters: Counters,
}

pub fn run(ctx: &DocStageCtx) -> Result<DocStageResult> {
    let k = ctx.segment;
    let seg = &ctx.plan.segments[k];
    let prev_global = if k == 0 { None } else { ctx.plan.global(k - 1) };
    let next_global = seg.global.as_ref();
    let cfg_hash = ctx.plan.config_hash;

    let applier: Option<Arc<dyn Applier>> = match prev_global {
        Some(g) => Some(Arc::from(g.step.applier(&stage_ctx(ctx, g))?)),
        None => None,
    };
    let write_removed = ctx.pipeline.output.write_removed;
    let source = if k == 0 {
        let mine: Vec<(u32, PathBuf)> = ctx
            .inputs
            .iter()
            .enumerate()
            .filter(|(i, _)| i % ctx.tasks == ctx.task)
            .map(|(i, p)| (i as u32, p.clone()))
            .collect();
        Source::Files(mine)
    } else {
        let skip = applier.clone().filter(|_| !write_removed);
        Source::Spool(spool_path(ctx.work, k - 1, ctx.task), cfg_hash, skip)
    };
    let collector: Option<Box<dyn Collector>> = match next_global {
        Some(g) => {
            // an object prefix needs no folder
            if !skypile_storage::is_remote(ctx.work) {
                std::fs::create_dir_all(global_dir(ctx.work, g))?;
            }
            Some(g.step.collector(&stage_ctx(ctx, g))?)
        }
        None => None,
    };
    let spool = match next_global {
        Some(_) => Some(skypile_storage::bin_create(
            &spool_path(ctx.work, k, ctx.task),
            SPOOL_KIND,
            SPOOL_VERSION,
            cfg_hash,
        )?),
        None => None,
    };
    let shards = |dir: &str, prefix: String, columns: &[skypile_core::Column]| {
        ShardWriter::new(
            &ctx.out.join(dir),
            &prefix,
            &ctx.pipeline.output,
            columns.to_vec(),
        )
        .map(|w| w.encode_in(ctx.pool))
    };
    let data = match next_global {
        None => Some(shards(
            "data",
            format!("part-{:05}", ctx.task),
            &ctx.plan.columns,
        )?),
        Some(_) => None,
    };
    let removed = if write_removed {
        let prefix = format!("docs{k}-{:05}", ctx.task);
        Some(shards("removed", prefix, &ctx.plan.removed_columns)?)
    } else {
        None
    };
    let mut sinks = Sinks {
        spooling: spool.is_some(),
        intermediates: Chain::new(Some(ctx.pool), Intermediates { collector, spool }),
        data,
        removed,
        counters: Counters::default(),
    };

    // Three stages overlap: the reader thread fills batches, the pool runs the steps on one
    // batch while the sink thread hands the previous one to in-order pool jobs (Parquet
    // encoding, spool, dedup observations: see `Chain`), so writing neither idles the workers
    // nor runs on a thread outside the pool.
    let (tx, rx) = crossbeam_channel::bounded::<Result<Vec<Doc>>>(2);
    let (otx, orx) = crossbeam_channel::bounded::<Processed>(1);
    let mut input_cfg = ctx.pipeline.input.clone();
    input_cfg.defer_decode = true;
    let result = std::thread::scope(|scope| -> Result<Sinks> {
        // named, so per-thread CPU (top -H, /proc/*/task) tells the serial threads apart
        let reader = std::thread::Builder::new()
            .name("reader".into())
            .spawn_scoped(scope, move || -> Counters {
                read_batches(ctx.pool, source, &input_cfg, tx, ctx.progress)
            })?;
        let sink = std::thread::Builder::new()
            .name("sink".into())
            .spawn_scoped(scope, move || -> Result<Sinks> {
                for outcomes in orx {
                    crate::outdir::test_sink_throttle();
                    sinks.write(outcomes)?;
                }
                Ok(sinks)
            })?;
        let failed = process_batches(ctx, rx, &otx, |batch| {
            process(batch, ctx, applier.as_deref(), next_global, write_removed)
        });
        drop(otx);
        let mut sinks = sink
            .join()
            .map_err(|_| anyhow::anyhow!("sink thread panicked (a bug)"))??;
        let read_counters = reader
            .join()
            .map_err(|_| anyhow::anyhow!("reader thread panicked (a bug)"))?;
        if let Some(e) = failed {
            return Err(e);
        }
        sinks.counters.merge(&read_counters);
        Ok(sinks)
    });
    result?.finish()
}

/// Batches in flight in the pool at once: a worker that finishes its share of one batch takes
/// docs of the next instead of idling until the batch's slowest doc is done (a barrier per
/// batch), while memory stays bounded by a few batches.
const IN_FLIGHT: usize = 2;

/// Run `each` on every doc of every batch in the pool, [`IN_FLIGHT`] batches overlapping, and
/// send the outcomes to the sink in input order. Returns the reader's error, if any.
fn process_batches(
    ctx: &DocStageCtx,
    rx: crossbeam_channel::Receiver<Result<Vec<Doc>>>,
    otx: &crossbeam_channel::Sender<Processed>,
    each: impl Fn(Vec<Doc>) -> Vec<Outcome> + Sync,
) -> Option<anyhow::Error> {
    type Pending = crossbeam_channel::Receiver<Processed>;
    let each = &each;
    ctx.pool.in_place_scope(|scope| {
        let mut pending: std::collections::VecDeque<Pending> = Default::default();
        // The oldest batch to the sink; false when the sink (or a panicked batch) is gone.
        let forward = |pending: &mut std::collections::VecDeque<Pending>| -> bool {
            let Some(done) = pending.pop_front() else {
                return true;
            };
            let Ok(processed) = done.recv() else {
                return false; // the batch panicked: the scope re-raises it
            };
            let n = processed.0.len() as u64;
            if otx.send(processed).is_err() {
                return false; // the sink failed: its error is returned by the caller
            }
            ctx.progress.docs(n);
            true
        };
        for batch in &rx {
            let batch = match batch {
                Ok(b) => b,
                Err(e) => return Some(e),
            };
            crate::outdir::test_throttle();
            let (tx, done) = crossbeam_channel::bounded(1);
            scope.spawn(move |_| {
                let mut outcomes = each(batch);
                // summed here in the pool: merging per doc was serial work on the sink thread
                let mut counters = Counters::default();
                for o in &mut outcomes {
                    counters.merge(&std::mem::take(&mut o.counters));
                }
                let _ = tx.send((outcomes, counters));
            });
            pending.push_back(done);
            if pending.len() >= IN_FLIGHT && !forward(&mut pending) {
                return None;
            }
        }
        while !pending.is_empty() {
            if !forward(&mut pending) {
                return None;
            }
        }
        None
    })
}

/// Where processed docs go, in input order: dedup observations + spool (before a global
/// step), or the Parquet writer (last segment), and dropped docs to `removed/`.
struct Sinks<'p> {
    /// Observations and spool records are written by pool jobs, one batch at a time in order:
    /// copying the spool into the page cache was most of the sink thread's time.
    intermediates: Chain<'p, Intermediates>,
    /// Kept docs go to the spool (a global step follows).
    spooling: bool,
    data: Option<ShardWriter<'p>>,
    removed: Option<ShardWriter<'p>>,
    counters: Counters,
}

struct Intermediates {
    collector: Option<Box<dyn Collector>>,
    spool: Option<BinWriter>,
}

impl Sinks<'_> {
    fn write(&mut self, (outcomes, counters): Processed) -> Result<()> {
        self.counters.merge(&counters);
        let mut observed = Vec::new();
        let mut spooled = Vec::new();
        for mut o in outcomes {
            // The writers never read the page: shed it before the row waits in a pending batch
            // (without `extract`, 1,024 whole pages per writer).
            o.doc.raw = None;
            if let Some(dropped) = o.dropped {
                if let Some(w) = self.removed.as_mut() {
                    w.write(Row {
                        doc: o.doc,
                        tokens: o.tokens,
                        dropped: Some(dropped),
                    })?;
                }
                continue;
            }
            if let Some(obs) = o.observation {
                observed.push((o.doc.key, obs));
            }
            if let Some(rec) = o.spooled {
                spooled.push(rec);
            } else if self.spooling {
                anyhow::bail!("{}: a kept doc has no spool record (a bug)", o.doc.source);
            }
            if let Some(w) = self.data.as_mut() {
                self.counters.add("output.docs", 1);
                self.counters.add("output.tokens", o.tokens.max(0) as u64);
                w.write(Row {
                    doc: o.doc,
                    tokens: o.tokens,
                    dropped: None,
                })?;
            }
        }
        if observed.is_empty() && spooled.is_empty() {
            return Ok(());
        }
        self.intermediates.submit(move |mut i| {
            if let Some(c) = i.collector.as_mut() {
                for (key, obs) in observed {
                    c.push(key, obs)?;
                }
            }
            if let Some(s) = i.spool.as_mut() {
                for (rec, hash) in &spooled {
                    s.write_hashed_record(rec, *hash)?;
                }
            }
            Ok(i)
        })
    }

    fn finish(self) -> Result<DocStageResult> {
        let mut res = DocStageResult::default();
        let Intermediates { collector, spool } = self.intermediates.into_inner()?;
        // both end in a header write and a rename: the spool's (the largest file) runs beside
        // the collector's files instead of after them
        let finished = std::thread::scope(|s| -> Result<()> {
            let spool = s.spawn(move || spool.map(BinWriter::finish).transpose());
            if let Some(c) = collector {
                c.finish()?;
            }
            spool
                .join()
                .map_err(|_| anyhow::anyhow!("spool finish panicked (a bug)"))??;
            Ok(())
        });
        finished?;
        if let Some(w) = self.data {
            res.shards = w.finish()?;
        }
        if let Some(w) = self.removed {
            res.removed = w.finish()?;
        }
        res.counters = self.counters;
        Ok(res)
    }
}

fn stage_ctx(ctx: &DocStageCtx, g: &NamedGlobal) -> skypile_core::StageCtx {
    skypile_core::StageCtx {
        dir: global_dir(ctx.work, g),
        task: ctx.task,
        tasks: ctx.tasks,
        workers: ctx.pool.current_num_threads(),
        config_hash: g.step.config_hash(),
    }
}

/// Run a batch through the segment, step by step: each step (then the observation, the spool
/// encoding and the token count) in a pass of its own over the docs still kept.
/// - Why step-major: a step's tables (whatlang's trigrams, the n-gram and fastText models,
///   jieba's dictionary, the token vocabulary) stay in the CPU cache from one doc to the next;
///   doc by doc, every doc found them evicted by the steps before (extraction above all).
///   Counting tokens in its own pass cut its in-run time by ~20% (0.32–0.44 → 0.26–0.27 s).
/// - Each doc still meets the same steps in the same order, so outputs are unchanged.
fn process(
    batch: Vec<Doc>,
    ctx: &DocStageCtx,
    applier: Option<&dyn Applier>,
    next_global: Option<&NamedGlobal>,
    write_removed: bool,
) -> Vec<Outcome> {
    let mut outcomes: Vec<Outcome> = batch
        .into_par_iter()
        .map(|doc| begin(doc, ctx, applier))
        .collect();
    for s in &ctx.plan.segments[ctx.segment].steps {
        outcomes
            .par_iter_mut()
            .filter(|o| o.dropped.is_none())
            .for_each(|o| run_step(o, s));
    }
    outcomes.par_iter_mut().for_each(|o| finish(o, next_global));
    outcomes
        .par_iter_mut()
        .filter(|o| written(o, next_global, write_removed))
        .for_each(|o| count_tokens(ctx.tokenizer, o));
    outcomes
}

/// A doc's start in the segment: charset decoding (first segment) and the previous global
/// step's decision.
fn begin(mut doc: Doc, ctx: &DocStageCtx, applier: Option<&dyn Applier>) -> Outcome {
    let mut counters = Counters::default();
    let mut local = Counters::default();
    let mut dropped = None;
    if ctx.segment == 0 {
        // Charset decoding was deferred from the reader thread to here (the pool).
        match skypile_ingest::decode_deferred(&mut doc) {
            Ok(()) => {
                // Which source decided the charset (http/bom/meta/detected/
                // detected_over_declared): the counter that shows wrong labels.
                if let Some(src) = doc.meta_str("charset_source") {
                    counters.inc(&format!("ingest.charset_{src}"));
                }
            }
            Err((reason, detail)) => {
                log::warn!("{}: {reason}: {detail}", doc.source);
                counters.inc(&format!("ingest.{reason}"));
                dropped = Some(Dropped {
                    step: "00.ingest".to_string(),
                    reason: reason.to_string(),
                });
            }
        }
    }
    let prev = if ctx.segment == 0 {
        None
    } else {
        ctx.plan.global(ctx.segment - 1)
    };
    if let (Some(a), Some(g), None) = (applier, prev, &dropped) {
        let t = Instant::now();
        // a key-decided drop is never `apply`ed: the reader may have left its text unread
        let v = match a.drops_key(doc.key) {
            Some(reason) => Verdict::drop(reason),
            None => guarded(|| a.apply(doc.key, &mut doc, &mut local))
                .unwrap_or_else(|msg| panicked(&g.label, &doc, &msg)),
        };
        dropped = account(&g.label, v, t.elapsed(), &mut local, &mut counters);
    }
    Outcome {
        doc,
        dropped,
        tokens: 0,
        observation: None,
        spooled: None,
        counters,
    }
}

/// One step on a doc that is still kept.
fn run_step(o: &mut Outcome, s: &NamedStep) {
    let mut local = Counters::default();
    let t = Instant::now();
    let v = guarded(|| s.step.process(&mut o.doc, &mut local))
        .unwrap_or_else(|msg| panicked(&s.label, &o.doc, &msg));
    o.dropped = account(&s.label, v, t.elapsed(), &mut local, &mut o.counters);
}

/// After the steps, for a doc that goes on to the next global step: its observation and its
/// spool record.
fn finish(o: &mut Outcome, next_global: Option<&NamedGlobal>) {
    let (None, Some(g)) = (&o.dropped, next_global) else {
        return;
    };
    let t = Instant::now();
    o.observation = Some(g.step.observe(&o.doc));
    o.counters.add(&format!("{}.observed", g.label), 1);
    o.counters.add(
        &format!("{}.observe_ns", g.label),
        t.elapsed().as_nanos() as u64,
    );
    let mut rec = Vec::with_capacity(o.doc.text().len() + 256);
    skypile_core::doc_codec::encode(&o.doc, &mut rec);
    let hash = skypile_core::binfile::RecordSums::hash(&rec);
    o.spooled = Some((rec, hash));
}

/// Tokens are counted for what is written: kept docs of the last segment, and dropped docs
/// when `removed/` is kept (so users see how many tokens each rule removed).
fn written(o: &Outcome, next_global: Option<&NamedGlobal>, write_removed: bool) -> bool {
    match (&o.dropped, next_global) {
        (None, None) => true,
        (Some(_), _) => write_removed,
        (None, Some(_)) => false,
    }
}

/// Count the tokens of a written doc, timed: counting is always on in production, so its cost
/// is reported (`counters["tokens.count_ns"]` in stats.json; the bench's lang-cost row reads it).
/// - In this thread's CPU time, not wall time like the steps: with 2 workers plus the reader
///   and sink threads on 2 cores, counting measured 0.58–0.65 s of wall time for 0.39–0.41 s
///   of CPU. Two clock reads (~0.5 µs each) per written doc are ~1% of counting; per step
///   they would cost ~20% of a cheap stage (the one applying MinHash removals).
fn count_tokens(tokenizer: &Tokenizer, o: &mut Outcome) {
    let t = thread_cpu_ns();
    o.tokens = tokenizer.count(o.doc.text()) as i64;
    o.counters
        .add("tokens.count_ns", thread_cpu_ns().saturating_sub(t));
}

/// Run one step on one doc, catching a panic. A panic is a bug, but real web input finds them:
/// the doc is dropped with reason `panic` and a log line naming it, instead of killing a run of
/// millions of docs.
pub(crate) fn guarded(f: impl FnOnce() -> Verdict) -> Result<Verdict, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|e| {
        e.downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| e.downcast_ref::<String>().cloned())
            .unwrap_or_default()
    })
}

fn panicked(label: &str, doc: &Doc, msg: &str) -> Verdict {
    log::error!(
        "{label} panicked on {}: {msg} (doc dropped; please report this input)",
        doc.source
    );
    Verdict::drop("panic")
}

/// Count in/kept/dropped_<reason>/time for one step; move its own counters under its label.
fn account(
    label: &str,
    v: Verdict,
    took: Duration,
    local: &mut Counters,
    counters: &mut Counters,
) -> Option<Dropped> {
    counters.add(&format!("{label}.in"), 1);
    counters.add(&format!("{label}.time_ns"), took.as_nanos() as u64);
    for (k, n) in std::mem::take(&mut local.0) {
        counters.merge_one(&format!("{label}.{k}"), n);
    }
    match v {
        Verdict::Keep => {
            counters.add(&format!("{label}.kept"), 1);
            None
        }
        Verdict::Drop(reason) => {
            counters.add(&format!("{label}.dropped"), 1);
            counters.add(&format!("{label}.dropped_{reason}"), 1);
            Some(Dropped {
                step: label.to_string(),
                reason,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panicking_step_becomes_a_drop() {
        let doc = Doc::from_text("x", "text");
        let v = guarded(|| panic!("bad input")).unwrap_or_else(|m| {
            assert_eq!(m, "bad input");
            panicked("01.test", &doc, &m)
        });
        assert_eq!(v, Verdict::drop("panic"));
        assert_eq!(guarded(|| Verdict::Keep), Ok(Verdict::Keep));
    }
}
