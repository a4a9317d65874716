//! Drives a [`GlobalStep`] through its three phases the way the runner does: doc stage per task
//! (observe in parallel, push in key order), reduce stages in order with their ranks, then an
//! applier per task over the same docs. Used by the tests and the quality/benchmark examples.

use std::path::{Path, PathBuf};

use anyhow::Result;
use rayon::prelude::*;
use skypile_core::{Counters, Doc, GlobalStep, StageCtx, Verdict};

/// In which order the ranks of a reduce stage run (they must be independent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    Forward,
    Reverse,
}

#[derive(Debug, Default)]
pub struct Outcome {
    /// Kept docs (possibly rewritten), sorted by key.
    pub kept: Vec<Doc>,
    /// Dropped docs' ids with their reason, sorted by key.
    pub dropped_ids: Vec<(String, String)>,
    /// Drop reasons counted.
    pub dropped: Counters,
    /// Counters returned by the reduce stages.
    pub reduce: Counters,
    /// Counters the appliers wrote.
    pub apply: Counters,
}

pub fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("skypile-dedup-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    let _ = std::fs::create_dir_all(&d);
    d
}

fn ctx(step: &dyn GlobalStep, dir: &Path, task: usize, tasks: usize) -> StageCtx {
    StageCtx {
        dir: dir.to_path_buf(),
        task,
        tasks,
        workers: 1,
        config_hash: step.config_hash(),
    }
}

/// Docs are dealt round-robin by key to `tasks` tasks, so tasks interleave in key order.
fn split(mut docs: Vec<Doc>, tasks: usize) -> Vec<Vec<Doc>> {
    docs.sort_by_key(|d| d.key);
    let mut out: Vec<Vec<Doc>> = (0..tasks).map(|_| Vec::new()).collect();
    for (i, d) in docs.into_iter().enumerate() {
        if let Some(v) = out.get_mut(i % tasks) {
            v.push(d);
        }
    }
    out
}

pub fn collect(step: &dyn GlobalStep, tasks: &[Vec<Doc>], dir: &Path) -> Result<()> {
    for (t, docs) in tasks.iter().enumerate() {
        let mut c = step.collector(&ctx(step, dir, t, tasks.len()))?;
        let obs: Vec<Vec<u8>> = docs.par_iter().map(|d| step.observe(d)).collect();
        for (d, o) in docs.iter().zip(obs) {
            c.push(d.key, o)?;
        }
        c.finish()?;
    }
    Ok(())
}

pub fn reduce(step: &dyn GlobalStep, tasks: usize, dir: &Path, order: Order) -> Result<Counters> {
    reduce_with(step, tasks, dir, order, &mut || Ok(()))
}

/// [`reduce`] with a hook run after each stage.
pub fn reduce_with(
    step: &dyn GlobalStep,
    tasks: usize,
    dir: &Path,
    order: Order,
    after_stage: &mut dyn FnMut() -> Result<()>,
) -> Result<Counters> {
    let mut total = Counters::default();
    for (stage, ranks) in step.reduce_stages(tasks) {
        let mut rs: Vec<usize> = (0..ranks).collect();
        if order == Order::Reverse {
            rs.reverse();
        }
        for r in rs {
            total.merge(&step.reduce(&stage, &ctx(step, dir, r, ranks))?);
        }
        after_stage()?;
    }
    Ok(total)
}

pub fn apply(
    step: &dyn GlobalStep,
    tasks: Vec<Vec<Doc>>,
    dir: &Path,
    out: &mut Outcome,
) -> Result<()> {
    let n = tasks.len();
    for (t, docs) in tasks.into_iter().enumerate() {
        let a = step.applier(&ctx(step, dir, t, n))?;
        for mut d in docs {
            // the stage trusts `drops_key` instead of `apply` (and may not read the doc)
            let by_key = a.drops_key(d.key);
            let v = a.apply(d.key, &mut d, &mut out.apply);
            if let Some(r) = by_key {
                assert_eq!(
                    v,
                    Verdict::drop(r),
                    "{}: drops_key disagrees with apply",
                    d.id
                );
            }
            match v {
                Verdict::Keep => out.kept.push(d),
                Verdict::Drop(r) => {
                    out.dropped.inc(&r);
                    out.dropped_ids.push((d.id.clone(), r));
                }
            }
        }
    }
    out.kept.sort_by_key(|d| d.key);
    Ok(())
}

/// All three phases with `tasks` doc tasks.
pub fn run(
    step: &dyn GlobalStep,
    docs: Vec<Doc>,
    tasks: usize,
    dir: &Path,
    order: Order,
) -> Result<Outcome> {
    let tasks = split(docs, tasks.max(1));
    collect(step, &tasks, dir)?;
    let mut out = Outcome {
        reduce: reduce(step, tasks.len(), dir, order)?,
        ..Default::default()
    };
    apply(step, tasks, dir, &mut out)?;
    Ok(out)
}

/// Cut the last byte off `file` (or half its header if it has no payload).
pub fn truncate(file: &Path) -> Result<()> {
    let b = std::fs::read(file)?;
    let keep = if b.len() as u64 > skypile_core::binfile::HEADER_LEN {
        b.len() - 1
    } else {
        b.len() / 2
    };
    std::fs::write(file, b.get(..keep).unwrap_or_default())?;
    Ok(())
}

/// Run with one task, truncating `file` as soon as it exists (after the doc stage or after the
/// reduce stage that writes it): the stage or applier that reads it next must fail.
pub fn run_corrupting(
    step: &dyn GlobalStep,
    docs: Vec<Doc>,
    dir: &Path,
    file: &Path,
) -> Result<Outcome> {
    let tasks = split(docs, 1);
    collect(step, &tasks, dir)?;
    let mut done = false;
    let mut hook = || -> Result<()> {
        if !done && file.exists() {
            done = true;
            truncate(file)?;
        }
        Ok(())
    };
    hook()?;
    let reduced = reduce_with(step, 1, dir, Order::Forward, &mut hook)?;
    let mut out = Outcome {
        reduce: reduced,
        ..Default::default()
    };
    apply(step, tasks, dir, &mut out)?;
    Ok(out)
}

/// The error of a run that must fail (tests), without printing the whole outcome otherwise.
pub fn err_of(r: Result<Outcome>) -> String {
    match r {
        Ok(o) => panic!("expected an error, the run kept {} docs", o.kept.len()),
        Err(e) => format!("{e:#}"),
    }
}
