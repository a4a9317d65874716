//! Running a pipeline: stages x ranks, completion markers, resume, merge.
//!
//! Every (stage, rank) leaves its outputs, stats and completion marker in the output folder
//! (layout in [`crate::outdir`]; datatrove's model, with its known faults fixed).
//! A rank's outputs are renamed into place before its stats and marker are written, and a rank
//! that is rerun first deletes whatever an interrupted attempt left, so a relaunch after
//! `kill -9` gives exactly the output of an uninterrupted run.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use rayon::prelude::*;
use skypile_core::{Counters, StageCtx};

use super::docstage::{self, DocStageCtx};
use super::logging;
use super::stages::{Plan, Stage, StageKind};
use crate::config::Pipeline;
use crate::outdir::{RankStats, RunInfo, completion_path, spool_path, stats_path, write_atomic};
use crate::output::stats;
use crate::tokens::Tokenizer;

#[derive(Debug, Clone, Default)]
pub struct RunOpts {
    /// Run only this rank (of every runnable stage, or of `stage`).
    pub task: Option<usize>,
    /// Run only this stage.
    pub stage: Option<String>,
}

pub fn is_done(out: &Path, stage: &Stage, rank: usize) -> bool {
    completion_path(out, &stage.name, rank).exists()
}

fn all_done(out: &Path, stage: &Stage) -> bool {
    (0..stage.ranks).all(|r| is_done(out, stage, r))
}

pub fn run(p: &Pipeline, opts: &RunOpts) -> Result<()> {
    if p.output.dir.is_empty() {
        bail!("no output directory: set `output.dir` in the pipeline or pass --output DIR");
    }
    let out = PathBuf::from(&p.output.dir);
    let plan = Plan::build(p)?;
    let inputs = skypile_ingest::list_inputs(&p.input.paths)?;
    std::fs::create_dir_all(&out).with_context(|| {
        format!(
            "cannot create output directory {}: choose a writable --output",
            out.display()
        )
    })?;
    check_run_info(&out, p, &plan)?;

    let tokenizer = Tokenizer::new(&p.tokenizer)?;
    let workers = if p.workers == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        p.workers
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(workers)
        .build()?;

    let stages: Vec<&Stage> = match &opts.stage {
        Some(name) => vec![plan.stage(name)?],
        None => plan.stages.iter().collect(),
    };
    let mut docs_ranks_run = 0usize;
    for stage in stages {
        if let Some(prev) = plan.previous(&stage.name) {
            if !all_done(&out, prev) {
                let missing: Vec<usize> = (0..prev.ranks)
                    .filter(|r| !is_done(&out, prev, *r))
                    .collect();
                if opts.stage.is_some() {
                    bail!(
                        "stage `{}` needs every rank of `{}` to be complete; missing ranks {missing:?}",
                        stage.name,
                        prev.name
                    );
                }
                log::info!(
                    "stage {} waits for ranks {missing:?} of {}; stopping here",
                    stage.name,
                    prev.name
                );
                return Ok(());
            }
        }
        let ranks: Vec<usize> = match opts.task {
            Some(r) if stage.kind == StageKind::Merge => {
                // Any rank may finish last; whoever sees everything complete merges.
                let _ = r;
                vec![0]
            }
            Some(r) if r >= stage.ranks => {
                if opts.stage.is_some() {
                    bail!(
                        "--task {r} is out of range: stage `{}` has {} ranks",
                        stage.name,
                        stage.ranks
                    );
                }
                vec![]
            }
            Some(r) => vec![r],
            None => (0..stage.ranks).collect(),
        };
        // Ranks of a reduce stage are independent: run them side by side in the pool (their
        // memory adds up; `skypile plan` shows it per rank).
        if let StageKind::Reduce(k, name) = &stage.kind {
            let pending: Vec<usize> = ranks
                .iter()
                .copied()
                .filter(|r| !is_done(&out, stage, *r))
                .collect();
            if workers > 1 && pending.len() > 1 {
                logging::set_rank_log(Some(&out.join("logs").join(&stage.name).join("ranks.log")));
                pool.install(|| {
                    pending.par_iter().try_for_each(|&rank| {
                        reduce_rank(&out, &plan, stage, *k, name, rank, workers)
                    })
                })?;
                logging::set_rank_log(None);
                continue;
            }
        }
        for rank in ranks {
            if stage.kind != StageKind::Merge && is_done(&out, stage, rank) {
                log::info!("{} rank {rank}: already complete, skipping", stage.name);
                continue;
            }
            let t = Instant::now();
            logging::set_rank_log(Some(
                &out.join("logs")
                    .join(&stage.name)
                    .join(format!("{rank:05}.log")),
            ));
            log::info!("{} rank {rank}/{}: start", stage.name, stage.ranks);
            let rs = match &stage.kind {
                StageKind::Docs(k) => {
                    clean_rank_outputs(&out, &plan, *k, rank)?;
                    // Steps may keep per-instance state (seen-sets, once-only counters): every
                    // rank gets fresh instances, as a Slurm array element does, so stats never
                    // depend on how ranks were grouped into processes.
                    let fresh;
                    let rank_plan = if docs_ranks_run == 0 {
                        &plan
                    } else {
                        fresh = Plan::build(p)?;
                        &fresh
                    };
                    docs_ranks_run += 1;
                    let ctx = DocStageCtx {
                        plan: rank_plan,
                        pipeline: p,
                        out: &out,
                        segment: *k,
                        task: rank,
                        tasks: stage.ranks,
                        inputs: &inputs,
                        tokenizer: &tokenizer,
                        pool: &pool,
                    };
                    let r = docstage::run(&ctx)
                        .with_context(|| format!("stage {} rank {rank}", stage.name))?;
                    RankStats {
                        counters: r.counters,
                        shards: r.shards,
                        removed: r.removed,
                        ..Default::default()
                    }
                }
                StageKind::Reduce(k, name) => {
                    pool.install(|| reduce_rank(&out, &plan, stage, *k, name, rank, workers))?;
                    logging::set_rank_log(None);
                    continue;
                }
                StageKind::Merge => {
                    stats::merge(&out)?;
                    if !p.output.keep_work {
                        let _ = std::fs::remove_dir_all(out.join("work"));
                    }
                    log::info!("run complete: {}", out.display());
                    continue;
                }
            };
            finish_rank(&out, stage, rank, rs, t)?;
            logging::set_rank_log(None);
        }
    }
    Ok(())
}

/// One rank of a global step's reduce stage.
fn reduce_rank(
    out: &Path,
    plan: &Plan,
    stage: &Stage,
    k: usize,
    name: &str,
    rank: usize,
    workers: usize,
) -> Result<()> {
    let t = Instant::now();
    let g = plan
        .global(k)
        .context("internal: reduce stage without a global step")?;
    let ctx = StageCtx {
        dir: docstage::global_dir(out, g),
        task: rank,
        tasks: stage.ranks,
        workers,
        config_hash: g.step.config_hash(),
    };
    let c = g
        .step
        .reduce(name, &ctx)
        .with_context(|| format!("stage {} rank {rank}", stage.name))?;
    let mut counters = Counters::default();
    for (key, n) in c.0 {
        counters.merge_one(&format!("{}.{key}", g.label), n);
    }
    finish_rank(
        out,
        stage,
        rank,
        RankStats {
            counters,
            ..Default::default()
        },
        t,
    )
}

/// A rank is done: its stats, then its completion marker (outputs are already in place).
fn finish_rank(
    out: &Path,
    stage: &Stage,
    rank: usize,
    mut rs: RankStats,
    t: Instant,
) -> Result<()> {
    rs.stage = stage.name.clone();
    rs.rank = rank;
    rs.elapsed_s = t.elapsed().as_secs_f64();
    write_atomic(
        &stats_path(out, &stage.name, rank),
        &serde_json::to_vec_pretty(&rs)?,
    )?;
    write_atomic(&completion_path(out, &stage.name, rank), b"")?;
    log::info!(
        "{} rank {rank}: complete in {:.1}s",
        stage.name,
        rs.elapsed_s
    );
    Ok(())
}

/// Remove what an interrupted attempt of this rank may have left, so its rerun starts clean.
fn clean_rank_outputs(out: &Path, plan: &Plan, k: usize, rank: usize) -> Result<()> {
    let last = k + 1 == plan.segments.len();
    let mut patterns = vec![(out.join("removed"), format!("docs{k}-{rank:05}-"))];
    if last {
        patterns.push((out.join("data"), format!("part-{rank:05}-")));
    }
    for (dir, prefix) in patterns {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            if e.file_name().to_string_lossy().starts_with(&prefix) {
                std::fs::remove_file(e.path())
                    .with_context(|| format!("removing stale {}", e.path().display()))?;
            }
        }
    }
    let _ = std::fs::remove_file(spool_path(out, k, rank));
    Ok(())
}

fn check_run_info(out: &Path, p: &Pipeline, plan: &Plan) -> Result<()> {
    let path = out.join("run.json");
    let info = RunInfo {
        name: p.name.clone(),
        config_hash: format!("{:016x}", plan.config_hash),
        stages: plan
            .stages
            .iter()
            .map(|s| (s.name.clone(), s.ranks))
            .collect(),
        pipeline: p.fingerprint(),
    };
    if let Ok(bytes) = std::fs::read(&path) {
        if let Ok(old) = serde_json::from_slice::<RunInfo>(&bytes) {
            if old.config_hash != info.config_hash {
                bail!(
                    "{} already holds a run of a different pipeline config (or input list or task count): \
                     use another --output, or delete the directory to start over",
                    out.display()
                );
            }
            return Ok(());
        }
    }
    write_atomic(&path, &serde_json::to_vec_pretty(&info)?)
}
