//! The CLI's verbs besides `run`: each reads a pipeline or an output folder and prints or writes.

use std::path::PathBuf;

use anyhow::Result;

use crate::config::Pipeline;

pub(crate) mod inspect;
pub(crate) mod plan;
mod plan_sample;
pub(crate) mod report;
mod report_html;
pub(crate) mod slurm;
pub(crate) mod stats;
pub(crate) mod steps;
pub(crate) mod summary;
pub(crate) mod train;
pub(crate) mod train_lm;

/// Arguments shared by `run`, `plan` and `slurm`.
#[derive(clap::Args, Debug, Clone)]
pub struct RunArgs {
    /// Pipeline YAML (see pipelines/). May also come last, after the --input values.
    #[arg(value_name = "PIPELINE.yaml")]
    pub pipeline: Option<PathBuf>,
    /// Input files, folders or globs, or `-` for JSONL on stdin (replace `input.paths`).
    #[arg(long, num_args = 1.., value_name = "PATH")]
    pub input: Vec<String>,
    /// Output directory (replaces `output.dir`).
    #[arg(long, value_name = "DIR")]
    pub output: Option<String>,
    /// Spools and dedup intermediates go here: a folder or `s3://bucket/prefix` (replaces
    /// `work_dir`; default DIR/work).
    #[arg(long, value_name = "DIR|URL")]
    pub work_dir: Option<String>,
    /// Worker threads per task (0 = all cores).
    #[arg(long)]
    pub workers: Option<usize>,
    /// Split the input into N tasks (ranks).
    #[arg(long, value_name = "N")]
    pub tasks: Option<usize>,
    /// Run only rank R (0-based) of each runnable stage, as one Slurm array element does.
    #[arg(long, value_name = "R")]
    pub task: Option<usize>,
    /// Run only this stage (see `skypile plan`).
    #[arg(long)]
    pub stage: Option<String>,
    /// Read at most N documents per task: a quick look at a crawl or a new config.
    #[arg(long, value_name = "N")]
    pub limit: Option<u64>,
    /// Override any YAML key: `--set tasks=4`, `--set output.format=jsonl`,
    /// `--set steps.c4.min_words=3` (first step with that key) or `steps.5.c4.min_words=3`.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Delete a previous run's files in the output folder first (only skypile's own files).
    #[arg(long)]
    pub overwrite: bool,
}

impl RunArgs {
    /// The pipeline path: the positional, or a `*.yaml` that a greedy `--input` swallowed
    /// (`run --input a.warc p.yaml`).
    pub fn pipeline(&mut self) -> Result<PathBuf> {
        if let Some(p) = &self.pipeline {
            return Ok(p.clone());
        }
        let is_yaml = |s: &String| s.ends_with(".yaml") || s.ends_with(".yml");
        match self.input.iter().rposition(is_yaml) {
            Some(i) => {
                let p = PathBuf::from(self.input.remove(i));
                self.pipeline = Some(p.clone());
                Ok(p)
            }
            None => Err(crate::config::usage_error(anyhow::anyhow!(
                "no pipeline given: `skypile run PIPELINE.yaml [--input PATH...]` (see pipelines/)"
            ))),
        }
    }
}

/// The pipeline with the command line's overrides applied and checked.
pub fn load(args: &mut RunArgs) -> Result<Pipeline> {
    let path = args.pipeline()?;
    let mut p = Pipeline::load_with(&path, &args.set)?;
    p.override_with(
        &args.input,
        args.output.as_deref(),
        args.workers,
        args.tasks,
    );
    if let Some(n) = args.limit {
        p.input.limit = n;
    }
    if let Some(w) = &args.work_dir {
        p.work_dir = w.clone();
        p.check_work_dir("--work-dir")
            .map_err(crate::config::usage_error)?;
    }
    p.check()
        .map_err(|e| crate::config::usage_error(anyhow::anyhow!("{}: {e}", path.display())))?;
    for w in p.warnings() {
        log::warn!("{w}");
    }
    Ok(p)
}
