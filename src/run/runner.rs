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
use skypile_core::lease::Lease;
use skypile_core::{Counters, StageCtx};

use super::claim::{
    check_run_info, claim_work_dir, own_inputs, prepare, remove_previous_run, remove_work,
};
use super::docstage::{self, DocStageCtx};
use super::logging;
use super::progress::{Progress, stage_bytes};
use super::stages::{Plan, Stage, StageKind};
use crate::config::Pipeline;
use crate::outdir::{
    RankStats, completion_path, lease_path, local_root, remove_stale_tmps, spool_path, stats_path,
    work_root,
};
use crate::output::stats::{self, RunStats};
use crate::tokens::Tokenizer;

#[derive(Debug, Clone, Default)]
pub struct RunOpts {
    /// Run only this rank (of every runnable stage, or of `stage`).
    pub task: Option<usize>,
    /// Run only this stage.
    pub stage: Option<String>,
    /// Delete a previous run's files in the output folder first (`--overwrite`).
    pub overwrite: bool,
}

/// Whether the rank's marker exists (an unreachable store is an error, never "not done").
fn is_done(out: &Path, stage: &Stage, rank: usize) -> Result<bool> {
    skypile_storage::exists(&completion_path(out, &stage.name, rank))
}

/// Run the selected stages; the merged stats when this process ran the `merge` stage.
pub fn run(p: &Pipeline, opts: &RunOpts) -> Result<Option<RunStats>> {
    let mut env = RunEnv::open(p, opts)?;
    let explicit = opts.stage.is_some();
    for i in selected_stages(&env.plan, opts.stage.as_deref())? {
        let stage = env.plan.stages[i].clone();
        let missing = missing_before(&env.out, &env.plan, &stage)?;
        if let Some(prev) = env
            .plan
            .previous(&stage.name)
            .filter(|_| !missing.is_empty())
        {
            if explicit {
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
            return Ok(None);
        }
        let ranks = ranks_to_run(&stage, opts.task, explicit)?;
        env.run_stage(&stage, &ranks)?;
    }
    Ok(env.merged)
}

/// Indices of the stages to run: the one named, or all in order.
fn selected_stages(plan: &Plan, name: Option<&str>) -> Result<Vec<usize>> {
    match name {
        Some(n) => {
            let s = plan.stage(n)?;
            Ok(plan
                .stages
                .iter()
                .position(|x| x.name == s.name)
                .into_iter()
                .collect())
        }
        None => Ok((0..plan.stages.len()).collect()),
    }
}

/// Ranks of the stage before `stage` without a completion marker (empty: `stage` may start).
fn missing_before(out: &Path, plan: &Plan, stage: &Stage) -> Result<Vec<usize>> {
    let Some(prev) = plan.previous(&stage.name) else {
        return Ok(Vec::new());
    };
    let mut missing = Vec::new();
    for r in 0..prev.ranks {
        if !is_done(out, prev, r)? {
            missing.push(r);
        }
    }
    Ok(missing)
}

/// Which ranks of `stage` this process runs: all of them, or `--task R`.
/// - Any rank may finish last, so whichever array element reaches `merge` runs its one rank.
/// - A rank beyond this stage's count is an error when the stage was named, else nothing to do
///   (stages have different rank counts; `--task` alone walks all of them).
fn ranks_to_run(stage: &Stage, task: Option<usize>, explicit: bool) -> Result<Vec<usize>> {
    Ok(match task {
        Some(_) if stage.kind == StageKind::Merge => vec![0],
        Some(r) if r >= stage.ranks && explicit => bail!(
            "--task {r} is out of range: stage `{}` has {} ranks",
            stage.name,
            stage.ranks
        ),
        Some(r) if r >= stage.ranks => vec![],
        Some(r) => vec![r],
        None => (0..stage.ranks).collect(),
    })
}

/// The ranks of `ranks` not complete yet (a relaunch skips the others).
fn pending(out: &Path, stage: &Stage, ranks: &[usize]) -> Result<Vec<usize>> {
    let mut todo = Vec::new();
    for &r in ranks {
        if is_done(out, stage, r)? {
            log::info!("{} rank {r}: already complete, skipping", stage.name);
        } else {
            todo.push(r);
        }
    }
    Ok(todo)
}

/// What every stage of one run shares.
struct RunEnv<'a> {
    p: &'a Pipeline,
    out: PathBuf,
    /// Spools and dedup intermediates ([`work_root`]): local or an object-store prefix.
    work: PathBuf,
    plan: Plan,
    inputs: Vec<PathBuf>,
    tokenizer: Tokenizer,
    pool: rayon::ThreadPool,
    workers: usize,
    /// Docs ranks this process has run (every one after the first gets fresh step instances).
    docs_ranks_run: usize,
    /// Set by the `merge` stage.
    merged: Option<RunStats>,
}

impl<'a> RunEnv<'a> {
    /// Check the output folder against the pipeline and load what the stages share.
    fn open(p: &'a Pipeline, opts: &RunOpts) -> Result<Self> {
        let (out, plan, inputs) = prepare(p)?;
        let work = work_root(&out, &p.work_dir);
        if opts.overwrite {
            remove_previous_run(&out, &work)?;
        }
        claim_work_dir(&work)?;
        check_run_info(&out, p, &plan, &inputs, own_inputs(&plan, opts.task))?;
        let workers = if p.workers == 0 {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        } else {
            p.workers
        };
        Ok(RunEnv {
            p,
            tokenizer: Tokenizer::new(&p.tokenizer)?,
            pool: rayon::ThreadPoolBuilder::new()
                .num_threads(workers)
                .build()?,
            out,
            work,
            plan,
            inputs,
            workers,
            docs_ranks_run: 0,
            merged: None,
        })
    }

    fn run_stage(&mut self, stage: &Stage, ranks: &[usize]) -> Result<()> {
        match &stage.kind {
            StageKind::Merge => {
                let work = (!self.p.output.keep_work).then_some(self.work.as_path());
                self.merged = Some(merge_run(&self.out, work)?);
                Ok(())
            }
            StageKind::Reduce { segment, name } => self.reduce_stage(stage, *segment, name, ranks),
            StageKind::Docs { segment } => {
                let todo = pending(&self.out, stage, ranks)?;
                let total = stage_bytes(&self.work, &self.inputs, *segment, stage.ranks, &todo);
                let progress = Progress::new(&stage.name, total);
                for rank in todo {
                    let out = self.out.clone();
                    with_rank_log(&out, stage, rank, || {
                        self.docs_rank(stage, *segment, rank, &progress)
                    })
                    .inspect_err(|_| progress.finish())?;
                }
                progress.finish();
                Ok(())
            }
        }
    }

    fn docs_rank(
        &mut self,
        stage: &Stage,
        segment: usize,
        rank: usize,
        progress: &Progress,
    ) -> Result<()> {
        let t = Instant::now();
        let Some(lease) = take_rank(&self.out, stage, rank)? else {
            return Ok(());
        };
        clean_rank_outputs(&self.out, &self.work, &self.plan, segment, rank)?;
        // Steps may keep per-instance state (seen-sets, once-only counters): every rank gets
        // fresh instances, as a Slurm array element does, so stats never depend on how ranks
        // were grouped into processes.
        let fresh;
        let rank_plan = if self.docs_ranks_run == 0 {
            &self.plan
        } else {
            fresh = Plan::build(self.p)?;
            &fresh
        };
        self.docs_ranks_run += 1;
        let ctx = DocStageCtx {
            plan: rank_plan,
            pipeline: self.p,
            out: &self.out,
            work: &self.work,
            segment,
            task: rank,
            tasks: stage.ranks,
            inputs: &self.inputs,
            tokenizer: &self.tokenizer,
            pool: &self.pool,
            progress,
        };
        let r = docstage::run(&ctx).with_context(|| format!("stage {} rank {rank}", stage.name))?;
        let rs = RankStats {
            counters: r.counters,
            shards: r.shards,
            removed: r.removed,
            ..Default::default()
        };
        finish_rank(&self.out, stage, rank, rs, t, &lease)
    }

    /// The pending ranks of a reduce stage. They are independent: with several workers they
    /// run side by side in the pool (their memory adds up; `skypile plan` shows it per rank).
    fn reduce_stage(
        &self,
        stage: &Stage,
        segment: usize,
        name: &str,
        ranks: &[usize],
    ) -> Result<()> {
        let todo = pending(&self.out, stage, ranks)?;
        let one = |rank: usize| {
            reduce_rank(
                (&self.out, &self.work),
                &self.plan,
                stage,
                segment,
                name,
                rank,
                self.workers,
            )
        };
        if self.workers > 1 && todo.len() > 1 {
            let log = rank_log(&self.out, &stage.name, "ranks.log");
            logging::set_rank_log(Some(&log));
            let r = self
                .pool
                .install(|| todo.par_iter().try_for_each(|&rank| one(rank)));
            return logging::end_rank_log(&log, remote_log(&self.out, &stage.name, "ranks.log"), r);
        }
        for rank in todo {
            with_rank_log(&self.out, stage, rank, || self.pool.install(|| one(rank)))?;
        }
        Ok(())
    }
}

fn rank_log(out: &Path, stage: &str, file: &str) -> PathBuf {
    local_root(out).join("logs").join(stage).join(file)
}

/// Where a rank's log is uploaded when it ends: `DIR/logs/...` of an object-store `DIR`
/// (locally the log already is there).
fn remote_log(out: &Path, stage: &str, file: &str) -> Option<PathBuf> {
    skypile_storage::is_remote(out).then(|| out.join("logs").join(stage).join(file))
}

/// Run one rank with its log lines teed to its log file (uploaded when it ends).
fn with_rank_log(
    out: &Path,
    stage: &Stage,
    rank: usize,
    f: impl FnOnce() -> Result<()>,
) -> Result<()> {
    let file = format!("{rank:05}.log");
    let log = rank_log(out, &stage.name, &file);
    logging::set_rank_log(Some(&log));
    log::info!("{} rank {rank}/{}: start", stage.name, stage.ranks);
    let r = f();
    logging::end_rank_log(&log, remote_log(out, &stage.name, &file), r)
}

/// The `merge` stage: totals from every completed rank, then drop the work folder when
/// `work` is given (not `output.keep_work`; only when skypile made it, see `remove_work`).
fn merge_run(out: &Path, work: Option<&Path>) -> Result<RunStats> {
    let _lease = Lease::acquire(&lease_path(out, "merge", 0), "stage merge")?;
    let (rs, _) = stats::merge(out)?;
    if let Some(work) = work
        && let Err(e) = remove_work(work)
    {
        // the corpus is complete; leftovers cost space, not correctness
        log::warn!("could not delete the work folder: {e:#}");
    }
    // every rank is complete: leases and temp files left by killed processes are stale now
    let _ = std::fs::remove_dir_all(local_root(out).join("leases"));
    for f in ["stats.json.", "manifest.json.", "run.json."] {
        remove_stale_tmps(out, f);
    }
    log::debug!("run complete: {}", out.display());
    Ok(rs)
}

/// Take the lease of a rank, or `None` when another process completed it meanwhile.
fn take_rank(out: &Path, stage: &Stage, rank: usize) -> Result<Option<Lease>> {
    let what = format!("stage {} rank {rank}", stage.name);
    let lease = Lease::acquire(&lease_path(out, &stage.name, rank), &what)?;
    if is_done(out, stage, rank)? {
        log::info!("{what}: completed by another process, skipping");
        return Ok(None);
    }
    let mine = format!("{rank:05}.");
    for dir in ["completions", "stats"] {
        remove_stale_tmps(&out.join(dir).join(&stage.name), &mine);
    }
    Ok(Some(lease))
}

/// One rank of a global step's reduce stage (`dirs`: the output and the work folder).
fn reduce_rank(
    (out, work): (&Path, &Path),
    plan: &Plan,
    stage: &Stage,
    segment: usize,
    name: &str,
    rank: usize,
    workers: usize,
) -> Result<()> {
    let t = Instant::now();
    let Some(lease) = take_rank(out, stage, rank)? else {
        return Ok(());
    };
    let g = plan
        .global(segment)
        .context("internal: reduce stage without a global step")?;
    let ctx = StageCtx {
        dir: docstage::global_dir(work, g),
        task: rank,
        tasks: stage.ranks,
        workers,
        config_hash: g.step.config_hash(),
    };
    let c = g
        .step
        .reduce(name, &ctx)
        .with_context(|| format!("stage {} rank {rank}", stage.name))?;
    let rs = RankStats {
        counters: labelled(&g.label, c),
        ..Default::default()
    };
    finish_rank(out, stage, rank, rs, t, &lease)
}

/// A step's own counters under its label (`03.minhash.clusters`), as the stats merge reads them.
fn labelled(label: &str, c: Counters) -> Counters {
    let mut counters = Counters::default();
    for (key, n) in c.0 {
        counters.merge_one(&format!("{label}.{key}"), n);
    }
    counters
}

/// A rank is done: its stats, then its completion marker (outputs are already in place).
fn finish_rank(
    out: &Path,
    stage: &Stage,
    rank: usize,
    mut rs: RankStats,
    t: Instant,
    lease: &Lease,
) -> Result<()> {
    rs.stage = stage.name.clone();
    rs.rank = rank;
    rs.elapsed_s = t.elapsed().as_secs_f64();
    // never mark complete what another process may have overwritten meanwhile
    lease.check()?;
    skypile_storage::write_deferred(
        &stats_path(out, &stage.name, rank),
        &serde_json::to_vec_pretty(&rs)?,
    )?;
    // every file the rank wrote, made durable at once: the marker must not outlive them
    skypile_core::durable::sync_pending()?;
    lease.check()?;
    // the marker is flushed by the next sync (the next rank's, or at exit): a power cut before
    // then loses only the marker, and the rank reruns
    skypile_storage::write_deferred(&completion_path(out, &stage.name, rank), b"")?;
    log::debug!(
        "{} rank {rank}: complete in {:.1}s",
        stage.name,
        rs.elapsed_s
    );
    Ok(())
}

/// Remove what an interrupted attempt of this rank may have left, so its rerun starts clean.
fn clean_rank_outputs(out: &Path, work: &Path, plan: &Plan, k: usize, rank: usize) -> Result<()> {
    let last = k + 1 == plan.segments.len();
    let mut patterns = vec![(out.join("removed"), format!("docs{k}-{rank:05}-"))];
    if last {
        patterns.push((out.join("data"), format!("part-{rank:05}-")));
    }
    for (dir, prefix) in patterns {
        // local: the files of the folder; object store: the objects under the prefix
        for (p, _) in skypile_storage::list_prefix(&dir)? {
            let name = p.file_name().unwrap_or_default().to_string_lossy();
            if p.parent() == Some(dir.as_path()) && name.starts_with(&prefix) {
                skypile_storage::remove(&p)
                    .with_context(|| format!("removing stale {}", p.display()))?;
            }
        }
    }
    // a remote spool is one object, overwritten whole by the rerun; removed anyway so a
    // stale one is never read (the next stage also waits for this rank's marker)
    skypile_storage::remove(&spool_path(work, k, rank))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outdir::RunInfo;
    use crate::outdir::write_atomic;

    fn plan(yaml: &str) -> Plan {
        Plan::build(&Pipeline::parse(yaml).unwrap()).unwrap()
    }

    /// A fresh scratch folder for one test.
    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("skypile-runner-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn mark_done(out: &Path, stage: &str, rank: usize) {
        write_atomic(&completion_path(out, stage, rank), b"").unwrap();
    }

    #[test]
    fn a_task_runs_its_rank_of_each_stage_and_merge_once() {
        let pl = plan("tasks: 3\nsteps:\n  - exact_dedup: {}\n");
        let docs = pl.stage("docs-0").unwrap();
        let merge = pl.stage("merge").unwrap();
        assert_eq!(ranks_to_run(docs, None, false).unwrap(), vec![0, 1, 2]);
        assert_eq!(ranks_to_run(docs, Some(1), false).unwrap(), vec![1]);
        assert_eq!(ranks_to_run(merge, Some(2), false).unwrap(), vec![0]);
        // beyond a stage's rank count: nothing to do, unless that stage was asked for
        assert!(ranks_to_run(docs, Some(3), false).unwrap().is_empty());
        let e = ranks_to_run(docs, Some(3), true).unwrap_err().to_string();
        assert!(e.contains("--task 3") && e.contains("3 ranks"), "{e}");
    }

    #[test]
    fn a_stage_waits_for_every_rank_of_the_one_before() {
        let out = scratch("wait");
        let pl = plan("tasks: 3\nsteps:\n  - exact_dedup: {}\n");
        let reduce = pl.stages[1].clone();
        assert!(matches!(reduce.kind, StageKind::Reduce { segment: 0, .. }));
        assert_eq!(missing_before(&out, &pl, &reduce).unwrap(), vec![0, 1, 2]);
        mark_done(&out, "docs-0", 0);
        mark_done(&out, "docs-0", 2);
        assert_eq!(missing_before(&out, &pl, &reduce).unwrap(), vec![1]);
        assert_eq!(pending(&out, &pl.stages[0], &[0, 1, 2]).unwrap(), vec![1]);
        mark_done(&out, "docs-0", 1);
        assert!(missing_before(&out, &pl, &reduce).unwrap().is_empty());
        assert!(missing_before(&out, &pl, &pl.stages[0]).unwrap().is_empty());
        let _ = std::fs::remove_dir_all(&out);
    }

    #[test]
    fn stages_are_selected_by_name_or_all_in_order() {
        let pl = plan("tasks: 2\nsteps:\n  - exact_dedup: {}\n");
        let all = selected_stages(&pl, None).unwrap();
        assert_eq!(all, (0..pl.stages.len()).collect::<Vec<_>>());
        assert_eq!(selected_stages(&pl, Some("docs-1")).unwrap(), vec![2]);
        let e = selected_stages(&pl, Some("docs-9"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("docs-0, ") && e.contains("merge"), "{e}");
    }

    #[test]
    fn reduce_counters_go_under_the_steps_label_and_gauges_keep_the_max() {
        let mut c = Counters::default();
        c.add("clusters", 4);
        c.set_max("max_bucket", 9);
        let l = labelled("03.minhash", c);
        assert_eq!(l.get("03.minhash.clusters"), 4);
        assert_eq!(l.get("03.minhash.max_bucket"), 9);
        assert_eq!(l.0.len(), 2);
    }

    #[test]
    fn merge_totals_completed_ranks_and_drops_work_unless_kept() {
        let out = scratch("merge");
        let info = RunInfo {
            name: "t".into(),
            config_hash: "0".into(),
            stages: vec![("docs-0".into(), 2), ("merge".into(), 1)],
            pipeline: serde_json::Value::Null,
            inputs: Vec::new(),
        };
        write_atomic(&RunInfo::path(&out), &serde_json::to_vec(&info).unwrap()).unwrap();
        let stage = Stage {
            name: "docs-0".into(),
            ranks: 2,
            kind: StageKind::Docs { segment: 0 },
        };
        for (rank, docs) in [(0, 5), (1, 7)] {
            let mut rs = RankStats::default();
            rs.counters.add("ingest.docs", docs);
            let lease = take_rank(&out, &stage, rank).unwrap().unwrap();
            finish_rank(&out, &stage, rank, rs, Instant::now(), &lease).unwrap();
        }
        // a work folder skypile did not make is never deleted
        let work = work_root(&out, "");
        std::fs::create_dir_all(out.join("work/spool-0")).unwrap();
        merge_run(&out, Some(&work)).unwrap();
        assert!(out.join("work/spool-0").exists(), "deleted a foreign work/");
        assert!(
            claim_work_dir(&work).is_err(),
            "a foreign, non-empty work/ is refused"
        );
        std::fs::remove_dir_all(out.join("work")).unwrap();
        claim_work_dir(&work).unwrap();
        std::fs::create_dir_all(out.join("work/spool-0")).unwrap();
        merge_run(&out, None).unwrap();
        assert!(out.join("work").exists());
        merge_run(&out, Some(&work)).unwrap();
        assert!(!out.join("work").exists());
        let merged: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("stats.json")).unwrap()).unwrap();
        assert_eq!(merged["docs_in"], 12);
        assert_eq!(merged["complete"], true);
        assert!(out.join("manifest.json").exists());
        let _ = std::fs::remove_dir_all(&out);
    }
}
