//! Claiming an output folder for a run: `run.json` pins the pipeline and the input list, a
//! relaunch that differs is refused, `--overwrite` clears what a previous run left.
//!
//! The pins are written once, by whoever claims the folder first: `skypile slurm` at submit
//! (so no array element has to), or the first local `skypile run`. A launch that finds them
//! compares every path (in memory) but stats only the inputs it reads itself (issue #15 and
//! #19: 100k inputs cost an array element 100k/tasks stats, not 100k).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use super::stages::Plan;
use crate::config::Pipeline;
use crate::outdir::{
    RUN_ENTRIES, RunInfo, config_changes, input_changes, input_pins, local_root, work_marker,
    write_atomic,
};

/// The output folder (created), the stage plan and the expanded input list of a launch.
pub(crate) fn prepare(p: &Pipeline) -> Result<(PathBuf, Plan, Vec<PathBuf>)> {
    if p.output.dir.is_empty() {
        bail!("no output directory: set `output.dir` in the pipeline or pass --output DIR");
    }
    let out = PathBuf::from(&p.output.dir);
    let plan = Plan::build(p)?;
    let inputs = skypile_ingest::list_inputs(&p.input.paths).map_err(crate::config::usage_error)?;
    // an object-store output has no folder to make; its local scratch (leases, logs, work/) does
    std::fs::create_dir_all(local_root(&out)).with_context(|| {
        format!(
            "cannot create output directory {}: choose a writable --output",
            local_root(&out).display()
        )
    })?;
    Ok((out, plan, inputs))
}

/// `skypile slurm`, before it submits: pin the run (every input statted here, once) or check
/// a relaunch against the pins, so the array elements only compare their own files.
pub(crate) fn pin_for_submit(p: &Pipeline, overwrite: bool) -> Result<()> {
    let (out, plan, inputs) = prepare(p)?;
    if overwrite {
        remove_previous_run(&out, &crate::outdir::work_root(&out, &p.work_dir))?;
    }
    check_run_info(&out, p, &plan, &inputs, |_| true)
}

/// The inputs a launch stats against the pins: rank `task`'s share of `docs-0` (what an array
/// element reads), or every file when it runs every rank.
pub(crate) fn own_inputs(plan: &Plan, task: Option<usize>) -> impl Fn(usize) -> bool {
    let ranks = plan.stage("docs-0").map_or(1, |s| s.ranks.max(1));
    move |i| task.is_none_or(|t| i % ranks == t)
}

/// Make sure the work folder (`DIR/work/` or `work_dir:`) is skypile's: create it with its
/// marker, or refuse a foreign one.
pub(crate) fn claim_work_dir(work: &Path) -> Result<()> {
    let marker = work_marker(work);
    if skypile_storage::exists(&marker)? {
        return Ok(());
    }
    // a kill while the marker was being written leaves only its `*.tmp` (never the user's)
    let is_tmp = |name: &str| name.ends_with(".tmp");
    let foreign = if skypile_storage::is_remote(work) {
        let objects = skypile_storage::list_prefix(work)?;
        objects.iter().any(|(p, _)| !is_tmp(&p.to_string_lossy()))
    } else {
        std::fs::read_dir(work).is_ok_and(|d| {
            d.flatten()
                .any(|e| !is_tmp(&e.file_name().to_string_lossy()))
        })
    };
    if foreign {
        bail!(
            "{} exists and was not made by skypile: choose an empty or new --output folder, or \
             another `work_dir` / --work-dir",
            skypile_storage::redact(&work.to_string_lossy())
        );
    }
    write_atomic(
        &marker,
        b"made by skypile; deleted after merge unless output.keep_work\n",
    )
}

/// `--overwrite`: remove what a previous run left (only skypile's own entries, never the rest).
pub(crate) fn remove_previous_run(out: &Path, work: &Path) -> Result<()> {
    if !skypile_storage::exists(&RunInfo::path(out))? {
        return Ok(());
    }
    log::info!(
        "--overwrite: removing the previous run in {}",
        out.display()
    );
    for name in RUN_ENTRIES {
        let p = out.join(name);
        // a file or a folder; on an object store an object (run.json) or a prefix (data/)
        let r = if skypile_storage::is_remote(&p) {
            skypile_storage::remove(&p).and_then(|_| skypile_storage::remove_all(&p))
        } else if p.is_dir() {
            skypile_storage::remove_all(&p)
        } else {
            skypile_storage::remove(&p)
        };
        r.context("--overwrite")?;
    }
    remove_work(work).context("--overwrite")
}

/// Delete the work folder or prefix, only when its marker says skypile made it (`--output ~`
/// must never delete a `~/work` of the user's).
pub(crate) fn remove_work(work: &Path) -> Result<()> {
    if skypile_storage::exists(&work_marker(work))? {
        skypile_storage::remove_all(work)?;
    }
    Ok(())
}

/// Pin the folder to this pipeline and input list, or refuse a launch that differs, saying what.
/// * Only the inputs `mine` selects are statted when the pins exist (see the module doc).
pub(crate) fn check_run_info(
    out: &Path,
    p: &Pipeline,
    plan: &Plan,
    inputs: &[PathBuf],
    mine: impl Fn(usize) -> bool,
) -> Result<()> {
    let path = RunInfo::path(out);
    let mut info = RunInfo {
        name: p.name.clone(),
        config_hash: format!("{:016x}", plan.config_hash),
        stages: plan
            .stages
            .iter()
            .map(|s| (s.name.clone(), s.ranks))
            .collect(),
        pipeline: p.fingerprint(),
        inputs: Vec::new(),
    };
    // an unreadable run.json (a kill during its first write) is written anew
    let Ok(old) = RunInfo::read(out) else {
        info.inputs = input_pins(inputs);
        return write_atomic(&path, &serde_json::to_vec_pretty(&info)?);
    };
    let fix = "use the same pipeline and inputs, another --output, or --overwrite to start over";
    if old.config_hash != info.config_hash {
        let mut what = config_changes(&old.pipeline, &info.pipeline, 8);
        if what.is_empty() {
            what.push("stage list or task count".into());
        }
        bail!(
            "{} holds a run of a different configuration; changed: {}: {fix}",
            out.display(),
            what.join("; ")
        );
    }
    // runs made before inputs were pinned have none to compare
    if old.inputs.is_empty() {
        return Ok(());
    }
    let changes = input_changes(&old.inputs, inputs, mine);
    if !changes.is_empty() {
        let n = changes.len();
        let shown: Vec<&str> = changes.iter().take(8).map(String::as_str).collect();
        bail!(
            "{} was started with another input list ({n} change(s): {}{}): files map to ranks by \
             position, so this launch would skip or repeat files; {fix}",
            out.display(),
            shown.join("; "),
            if n > 8 { "; ..." } else { "" }
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_element_stats_only_its_share_of_docs_0() {
        let p = Pipeline::parse("tasks: 3\nsteps:\n  - exact_dedup: {}\n").unwrap();
        let plan = Plan::build(&p).unwrap();
        let one = own_inputs(&plan, Some(1));
        let picked: Vec<usize> = (0..7).filter(|&i| one(i)).collect();
        assert_eq!(picked, [1, 4]);
        let all = own_inputs(&plan, None);
        assert!((0..7).all(all));
    }
}
