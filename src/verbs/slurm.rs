//! `skypile slurm`: run the same pipeline as Slurm job arrays, one array per stage.
//!
//! Every stage of the plan (`docs-0`, the dedup reduce stages, `docs-1`, ..., `merge`) becomes
//! one sbatch array whose element runs `skypile run PIPELINE --stage S --task R`, exactly what a
//! local run does rank by rank, so the same YAML gives the same output on a laptop and on a
//! cluster. Stages are chained with `afterok` (a global step needs every rank of the stage
//! before it) and `--kill-on-invalid-dep=yes`, so a failed rank cancels what depends on it
//! instead of leaving it pending forever. A relaunch submits only the ranks without a
//! completion marker (datatrove's model); `merge` always runs last and rebuilds the totals from
//! per-rank stats, so nothing is double counted.
//!
//! Logs: `DIR/logs/<stage>/<rank>.log` per rank, `DIR/logs/<stage>/slurm-<job>_<elem>.out` per
//! array element; the scripts are kept in `DIR/slurm/` and the job ids in `DIR/slurm/jobs.json`.
//! For an object-store DIR these live in the local scratch (`outdir::local_root`); rank logs
//! are also uploaded to `DIR/logs/`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use crate::config::Pipeline;
use crate::outdir::{completion_path, local_root, write_atomic};
use crate::run::stages::{Plan, Stage, StageKind};

#[derive(clap::Args, Debug, Clone)]
pub struct SlurmArgs {
    #[command(flatten)]
    pub run: super::RunArgs,
    /// Print the sbatch scripts instead of submitting them.
    #[arg(long)]
    pub dry_run: bool,
}

/// One stage ready to submit.
#[derive(Debug, Clone)]
pub struct StageJob {
    pub stage: String,
    /// `--array` value without the `%W` throttle, e.g. `0-7` or `1,3-4`.
    pub array: String,
    pub script: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct Submitted {
    stage: String,
    job_id: String,
    array: String,
    script: String,
}

/// Values written into sbatch scripts must not carry control characters: a newline in `time`
/// or `name` would end the `#SBATCH` line and inject a shell command.
fn check_values(p: &Pipeline) -> Result<()> {
    let c = &p.slurm;
    let mut fields: Vec<(String, &str)> = vec![
        ("name".into(), p.name.as_str()),
        ("slurm.time".into(), c.time.as_str()),
        ("slurm.mem".into(), c.mem.as_str()),
    ];
    if let Some(part) = &c.partition {
        fields.push(("slurm.partition".into(), part));
    }
    for (i, a) in c.sbatch_args.iter().enumerate() {
        fields.push((format!("slurm.sbatch_args[{i}]"), a));
    }
    for (key, v) in fields {
        if v.chars().any(char::is_control) {
            bail!(crate::config::usage_error(anyhow::anyhow!(
                "`{key}` contains a control character (newline, tab, ...): {v:?}; write it on one line"
            )));
        }
    }
    Ok(())
}

/// Absolute paths and arguments every array element passes to `skypile run`.
pub struct Invocation {
    pub exe: PathBuf,
    /// As given on the command line (jobs run in `cwd`).
    pub pipeline: PathBuf,
    pub out: PathBuf,
    pub cwd: PathBuf,
    pub inputs: Vec<String>,
    pub workers: Option<usize>,
    /// `--set` overrides and `--limit`, passed on so every element runs the same pipeline.
    pub sets: Vec<String>,
    pub limit: Option<u64>,
    /// `--work-dir`, passed on (absolute when local).
    pub work_dir: Option<String>,
    /// Every node sees the same local scratch (`outdir::local_root`): a shared-filesystem DIR,
    /// or SKYPILE_SCRATCH set. False for an object-store DIR with an object-store `work_dir`,
    /// where each node keeps its own scratch (leases, log files).
    pub shared_scratch: bool,
}

pub fn run(args: &SlurmArgs) -> Result<()> {
    if args.run.task.is_some() {
        bail!(
            "`skypile slurm` submits every rank; --task is for `skypile run` (one array element)"
        );
    }
    let mut run = args.run.clone();
    let p = super::load(&mut run)?;
    check_values(&p)?;
    if p.output.dir.is_empty() {
        bail!("no output directory: set `output.dir` in the pipeline or pass --output DIR");
    }
    let cwd = std::env::current_dir().context("reading the current directory")?;
    let out = absolute(&cwd, &p.output.dir);
    let scratch_set = std::env::var_os("SKYPILE_SCRATCH").is_some();
    check_scratch(&out, scratch_set, &p.work_dir)?;
    let work_dir = run
        .work_dir
        .as_deref()
        .map(|w| absolute(&cwd, w).to_string_lossy().into_owned());
    let shared_scratch = !skypile_storage::is_remote(&out) || scratch_set;
    // Paths go to the jobs as the user gave them and jobs start in this directory, so they
    // resolve exactly as in a local run (the `source` column and the config hash stay equal).
    let inv = Invocation {
        exe: std::env::current_exe().context("locating the skypile executable")?,
        pipeline: run.pipeline()?,
        inputs: run.input.clone(),
        out,
        cwd,
        workers: run.workers,
        sets: run.set.clone(),
        limit: run.limit,
        work_dir,
        shared_scratch,
    };
    if !args.dry_run {
        // The pins are made (or checked) here, once: array elements then stat only the inputs
        // they read. `--overwrite` clears the previous run here, never in an element.
        crate::run::claim::pin_for_submit(&p, args.run.overwrite)?;
    }
    let plan = Plan::build(&p)?;
    let jobs = build_jobs(&p, &plan, &inv, args.run.stage.as_deref())?;
    if jobs.is_empty() {
        println!(
            "every stage of {} is complete: nothing to submit",
            inv.out.display()
        );
        return Ok(());
    }
    if args.dry_run {
        for (i, j) in jobs.iter().enumerate() {
            let dep = if i == 0 {
                String::new()
            } else {
                format!(" --dependency=afterok:<job of {}>", jobs[i - 1].stage)
            };
            println!("# ---- stage {}: sbatch --parsable{dep} <script>", j.stage);
            println!("{}", j.script);
        }
        return Ok(());
    }
    submit(&jobs, &inv.out)
}

fn absolute(cwd: &Path, p: &str) -> PathBuf {
    let path = Path::new(p);
    if path.is_absolute() || skypile_storage::is_remote(path) {
        path.to_path_buf()
    } else {
        cwd.join(path)
    }
}

/// An object-store DIR keeps leases, logs, scripts and by default `work/` in a local scratch
/// folder (`outdir::local_root`). The array elements run on other nodes and read each other's
/// intermediates, so either the scratch is a folder they all share (`SKYPILE_SCRATCH`; sbatch
/// passes the environment on), or `work_dir` names a place they all reach (an object-store
/// prefix, or a shared folder).
/// * Without a shared scratch the leases are node-local, so they no longer guard against a
///   second process on another node. What does: each (stage, rank) belongs to exactly one
///   array element (Slurm runs an element once), a rank whose completion marker exists is
///   skipped, and a relaunch submits only ranks without one. Do not submit the same DIR again
///   while its jobs still run.
fn check_scratch(out: &Path, scratch_set: bool, work_dir: &str) -> Result<()> {
    if skypile_storage::is_remote(out) && !scratch_set && work_dir.is_empty() {
        bail!(
            "{} is an object store: set `work_dir` / --work-dir to an object-store prefix (e.g. \
             s3://bucket/tmp/run1) or a shared folder for the dedup intermediates, or set \
             SKYPILE_SCRATCH to a folder every node shares, or use a shared-filesystem --output",
            skypile_storage::redact(&out.to_string_lossy())
        );
    }
    Ok(())
}

/// One job per stage that still has unfinished ranks (all of them when `only` is None).
pub fn build_jobs(
    p: &Pipeline,
    plan: &Plan,
    inv: &Invocation,
    only: Option<&str>,
) -> Result<Vec<StageJob>> {
    let cfg = &p.slurm;
    if cfg.tasks_per_job == 0 {
        bail!("`slurm.tasks_per_job` must be at least 1");
    }
    if let Some(s) = only {
        plan.stage(s)?;
    }
    let mut jobs = Vec::new();
    for stage in &plan.stages {
        if only.is_some_and(|s| s != stage.name) {
            continue;
        }
        let per = if stage.kind == StageKind::Merge {
            1
        } else {
            cfg.tasks_per_job
        };
        let groups: Vec<usize> = (0..stage.ranks.div_ceil(per))
            .filter(|g| {
                stage.kind == StageKind::Merge
                    || (g * per..((g + 1) * per).min(stage.ranks)).any(|r| {
                        !skypile_storage::exists(&completion_path(&inv.out, &stage.name, r))
                            .unwrap_or(false)
                    })
            })
            .collect();
        if groups.is_empty() {
            continue;
        }
        let array = array_spec(&groups);
        let script = script(p, stage, inv, &array, per);
        jobs.push(StageJob {
            stage: stage.name.clone(),
            array,
            script,
        });
    }
    Ok(jobs)
}

/// `[0,1,2,5,7,8]` -> `0-2,5,7-8`.
pub fn array_spec(ids: &[usize]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while let Some(&start) = ids.get(i) {
        let mut end = start;
        while ids.get(i + 1) == Some(&(end + 1)) {
            end += 1;
            i += 1;
        }
        parts.push(if end == start {
            start.to_string()
        } else {
            format!("{start}-{end}")
        });
        i += 1;
    }
    parts.join(",")
}

/// POSIX single-quoting.
fn q(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+=:,@%".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

fn script(p: &Pipeline, stage: &Stage, inv: &Invocation, array: &str, per: usize) -> String {
    let cfg = &p.slurm;
    let out = inv.out.to_string_lossy();
    let logs = local_root(&inv.out).join("logs").join(&stage.name);
    let logs = logs.to_string_lossy();
    let mut s = String::from("#!/bin/bash\n");
    let mut sb = |line: String| {
        let _ = writeln!(s, "#SBATCH {line}");
    };
    let name = if p.name.is_empty() {
        "skypile"
    } else {
        &p.name
    };
    sb(format!(
        "--job-name={}",
        q(&format!("{name}.{}", stage.name))
    ));
    let throttle = if cfg.max_parallel > 0 {
        format!("%{}", cfg.max_parallel)
    } else {
        String::new()
    };
    sb(format!("--array={array}{throttle}"));
    sb(format!("--time={}", q(&cfg.time)));
    sb(format!("--mem={}", q(&cfg.mem)));
    sb(format!("--cpus-per-task={}", cfg.cpus_per_task.max(1)));
    if let Some(part) = &cfg.partition {
        sb(format!("--partition={}", q(part)));
    }
    // Slurm opens --output before the script runs: without a shared scratch the folder would
    // be missing on the compute node, so the .out files go where Slurm puts them by default
    // (the job's working directory) and the rank logs reach DIR/logs/ by upload
    let slurm_out = if inv.shared_scratch {
        format!("{logs}/slurm-%A_%a.out")
    } else {
        format!("{}/slurm-%x-%A_%a.out", inv.cwd.to_string_lossy())
    };
    sb(format!("--output={}", q(&slurm_out)));
    sb(format!("--chdir={}", q(&inv.cwd.to_string_lossy())));
    sb("--kill-on-invalid-dep=yes".into());
    for extra in &cfg.sbatch_args {
        let e = extra.trim();
        sb(e.strip_prefix("#SBATCH").unwrap_or(e).trim().to_string());
    }
    let mut cmd = format!(
        "{} run {} --stage {} --task \"$rank\" --tasks {} --output {}",
        q(&inv.exe.to_string_lossy()),
        q(&inv.pipeline.to_string_lossy()),
        q(&stage.name),
        p.tasks,
        q(&out),
    );
    match inv.workers {
        Some(w) => {
            let _ = write!(cmd, " --workers {w}");
        }
        None if p.workers == 0 => cmd.push_str(" --workers \"${SLURM_CPUS_PER_TASK:-1}\""),
        None => {}
    }
    for kv in &inv.sets {
        let _ = write!(cmd, " --set {}", q(kv));
    }
    if let Some(n) = inv.limit {
        let _ = write!(cmd, " --limit {n}");
    }
    if let Some(w) = &inv.work_dir {
        let _ = write!(cmd, " --work-dir {}", q(w));
    }
    if !inv.inputs.is_empty() {
        cmd.push_str(" --input");
        for i in &inv.inputs {
            let _ = write!(cmd, " {}", q(i));
        }
    }
    let _ = write!(
        s,
        r#"set -euo pipefail
# stage {stage} of {name}: {ranks} ranks, {per} per array element
mkdir -p {logs_q}
first=$(( SLURM_ARRAY_TASK_ID * {per} ))
for rank in $(seq "$first" $(( first + {per} - 1 ))); do
  [ "$rank" -lt {ranks} ] || break
  log={logs_q}/$(printf %05d "$rank").log
  echo "== $(date -Is) stage {stage} rank $rank job ${{SLURM_JOB_ID:-?}} on $(hostname)" >>"$log"
  # skypile itself appends its log lines to $log; stderr also lands in the array's .out file
  {cmd} || {{ echo "rank $rank failed: see $log" >&2; exit 1; }}
done
"#,
        stage = stage.name,
        ranks = stage.ranks,
        logs_q = q(&logs),
    );
    s
}

fn submit(jobs: &[StageJob], out: &Path) -> Result<()> {
    // Scripts and Slurm logs live in the scratch; `skypile stats` takes the DIR itself (a URL
    // for an object store).
    let dir_arg = out;
    let out = &local_root(out);
    let dir = out.join("slurm");
    std::fs::create_dir_all(&dir).with_context(|| {
        format!(
            "cannot create {}: choose a writable --output",
            dir.display()
        )
    })?;
    let mut prev: Option<String> = None;
    let mut done = Vec::new();
    for (i, j) in jobs.iter().enumerate() {
        // Slurm cannot open an --output file in a missing folder (the element fails silently).
        let logs = out.join("logs").join(&j.stage);
        std::fs::create_dir_all(&logs)
            .with_context(|| format!("cannot create {}", logs.display()))?;
        let path = dir.join(format!("{i:02}-{}.sh", j.stage));
        std::fs::write(&path, &j.script)
            .with_context(|| format!("cannot write {}", path.display()))?;
        let mut cmd = Command::new("sbatch");
        cmd.arg("--parsable");
        if let Some(id) = &prev {
            cmd.arg(format!("--dependency=afterok:{id}"));
        }
        cmd.arg(&path);
        let o = cmd.output().map_err(|e| {
            anyhow::anyhow!(
                "cannot run sbatch ({e}): run this on a Slurm login node, or use --dry-run to see the scripts"
            )
        })?;
        if !o.status.success() {
            bail!(
                "sbatch refused {} (stage {}): {}{}",
                path.display(),
                j.stage,
                String::from_utf8_lossy(&o.stderr).trim(),
                if done.is_empty() {
                    String::new()
                } else {
                    format!("; already submitted: {}", summary(&done))
                }
            );
        }
        // `--parsable` prints `jobid` or `jobid;cluster`.
        let text = String::from_utf8_lossy(&o.stdout);
        let id = text.trim().split(';').next().unwrap_or("").to_string();
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_digit()) {
            bail!("sbatch printed no job id for stage {}: {text:?}", j.stage);
        }
        println!("stage {:<32} array {:<12} job {id}", j.stage, j.array);
        done.push(Submitted {
            stage: j.stage.clone(),
            job_id: id.clone(),
            array: j.array.clone(),
            script: path.to_string_lossy().into_owned(),
        });
        prev = Some(id);
    }
    write_atomic(&dir.join("jobs.json"), &serde_json::to_vec_pretty(&done)?)?;
    println!(
        "submitted {} jobs; follow with `squeue --me`, logs in {}/logs/, then `skypile stats {}`",
        done.len(),
        out.display(),
        dir_arg.display()
    );
    Ok(())
}

fn summary(done: &[Submitted]) -> String {
    done.iter()
        .map(|s| format!("{}={}", s.stage, s.job_id))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inv(out: &Path) -> Invocation {
        Invocation {
            exe: "/opt/bin/skypile".into(),
            pipeline: "/p/pipe line.yaml".into(),
            out: out.to_path_buf(),
            cwd: "/home/u".into(),
            inputs: vec!["/data/a.jsonl".into()],
            workers: None,
            sets: Vec::new(),
            limit: None,
            work_dir: None,
            shared_scratch: true,
        }
    }

    fn pipeline(y: &str) -> Pipeline {
        let mut p = Pipeline::parse(y).unwrap();
        p.output.dir = "/o".into();
        p
    }

    #[test]
    fn an_object_store_dir_stays_a_url_and_needs_a_shared_scratch() {
        let out = absolute(Path::new("/home/u"), "s3://corpus/run1");
        assert_eq!(out, Path::new("s3://corpus/run1"));
        let e = check_scratch(&out, false, "").unwrap_err().to_string();
        assert!(
            e.contains("SKYPILE_SCRATCH") && e.contains("s3://corpus/run1"),
            "{e}"
        );
        assert!(e.contains("work_dir"), "{e}");
        assert!(check_scratch(&out, true, "").is_ok());
        assert!(check_scratch(Path::new("/shared/run1"), false, "").is_ok());
        // intermediates on the object store: each node's own scratch is enough
        assert!(check_scratch(&out, false, "s3://corpus/tmp/run1").is_ok());
        // the jobs write to the URL; their Slurm logs go to the scratch, never to "s3:/..."
        let p = pipeline("name: t\ntasks: 2\n");
        let plan = Plan::build(&p).unwrap();
        let jobs = build_jobs(&p, &plan, &inv(&out), None).unwrap();
        let s = &jobs[0].script;
        assert!(s.contains("--output s3://corpus/run1"), "{s}");
        let logs = local_root(&out).join("logs").join("docs-0");
        assert!(s.contains(&*logs.to_string_lossy()), "{s}");
        // node-local scratch: --work-dir is passed on and Slurm's .out goes to the job's cwd
        let mut node_local = inv(&out);
        node_local.shared_scratch = false;
        node_local.work_dir = Some("s3://corpus/tmp/run1".into());
        let jobs = build_jobs(&p, &plan, &node_local, None).unwrap();
        let s = &jobs[0].script;
        assert!(s.contains("--work-dir s3://corpus/tmp/run1"), "{s}");
        assert!(
            s.contains("#SBATCH --output=/home/u/slurm-%x-%A_%a.out\n"),
            "{s}"
        );
        assert!(s.contains(&format!("mkdir -p {}", logs.display())), "{s}");
    }

    #[test]
    fn array_specs_compress_runs() {
        assert_eq!(array_spec(&[0, 1, 2, 5, 7, 8]), "0-2,5,7-8");
        assert_eq!(array_spec(&[3]), "3");
        assert_eq!(array_spec(&[]), "");
    }

    #[test]
    fn quoting_survives_spaces_and_quotes() {
        assert_eq!(q("/a/b.yaml"), "/a/b.yaml");
        assert_eq!(q("a b"), "'a b'");
        assert_eq!(q("it's"), r"'it'\''s'");
    }

    #[test]
    fn scripts_carry_array_resources_and_the_stage_command() {
        let p = pipeline(
            "name: t\ntasks: 10\nslurm: {partition: cpu, max_parallel: 4, mem: 3G, sbatch_args: ['--account=x']}\n",
        );
        let plan = Plan::build(&p).unwrap();
        let out = std::env::temp_dir().join(format!("skypile-slurm-t{}", std::process::id()));
        let jobs = build_jobs(&p, &plan, &inv(&out), None).unwrap();
        let names: Vec<&str> = jobs.iter().map(|j| j.stage.as_str()).collect();
        assert_eq!(names, ["docs-0", "merge"]);
        let s = &jobs[0].script;
        assert!(s.contains("#SBATCH --array=0-9%4\n"), "{s}");
        assert!(s.contains("#SBATCH --partition=cpu\n"));
        assert!(s.contains("#SBATCH --mem=3G\n"));
        assert!(s.contains("#SBATCH --account=x\n"));
        assert!(s.contains(
            "/opt/bin/skypile run '/p/pipe line.yaml' --stage docs-0 --task \"$rank\" --tasks 10"
        ));
        assert!(s.contains("--input /data/a.jsonl"));
        assert!(s.contains("--workers \"${SLURM_CPUS_PER_TASK:-1}\""));
        assert!(jobs[1].script.contains("--array=0%4") || jobs[1].script.contains("--array=0\n"));
    }

    #[test]
    fn relaunch_submits_only_unfinished_ranks() {
        let p = pipeline("tasks: 6\nslurm: {tasks_per_job: 2}\n");
        let plan = Plan::build(&p).unwrap();
        let out = std::env::temp_dir().join(format!("skypile-slurm-r{}", std::process::id()));
        for r in [0, 1, 2, 5] {
            write_atomic(&completion_path(&out, "docs-0", r), b"").unwrap();
        }
        let jobs = build_jobs(&p, &plan, &inv(&out), None).unwrap();
        // ranks 3 and 4 are missing: groups {2,3} -> 1 and {4,5} -> 2
        assert_eq!(jobs[0].array, "1-2");
        assert!(
            jobs[0]
                .script
                .contains("first=$(( SLURM_ARRAY_TASK_ID * 2 ))")
        );
        for r in [3, 4] {
            write_atomic(&completion_path(&out, "docs-0", r), b"").unwrap();
        }
        let jobs = build_jobs(&p, &plan, &inv(&out), None).unwrap();
        assert_eq!(jobs.len(), 1);
        assert_eq!(jobs[0].stage, "merge");
        let _ = std::fs::remove_dir_all(&out);
    }
}
