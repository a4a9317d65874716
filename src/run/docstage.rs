//! One rank of a docs stage: read -> steps (in parallel, order kept) -> sinks.
//!
//! A reader thread fills bounded batches; a rayon pool runs every step on a batch; the calling
//! thread drains results in input order into the sinks (collector + spool for a following global
//! step, or the Parquet writer), so memory is bounded by batch size and the output is the same
//! for any worker count.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Result;
use skypile_core::binfile::BinWriter;
use skypile_core::{Applier, Collector, Counters, Doc};

use super::passes::{Passes, Processed};
use super::progress::Progress;
use super::reader::{SPOOL_KIND, SPOOL_VERSION, Source, read_batches};
use super::stages::{NamedGlobal, Plan};
use crate::outdir::{ShardInfo, spool_path};
use crate::output::ShardWriter;
use crate::output::chain::Chain;
use crate::output::writer::Row;
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
        let passes = Passes {
            plan: ctx.plan,
            segment: ctx.segment,
            tokenizer: ctx.tokenizer,
            applier: applier.as_deref(),
            next_global,
            write_removed,
        };
        let failed = process_batches(ctx, rx, &otx, |batch| passes.process(batch));
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
    each: impl Fn(Vec<Doc>) -> Processed + Sync,
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
                let _ = tx.send(each(batch));
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
