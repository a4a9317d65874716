//! The CLI's verbs besides `run`: each reads a pipeline or an output folder and prints or writes.

use std::path::PathBuf;

use anyhow::Result;

use crate::config::Pipeline;

pub(crate) mod inspect;
pub(crate) mod plan;
pub(crate) mod report;
mod report_html;
pub(crate) mod slurm;
pub(crate) mod stats;
pub(crate) mod train;

/// Arguments shared by `run`, `plan` and `slurm`.
#[derive(clap::Args, Debug, Clone)]
pub struct RunArgs {
    /// Pipeline YAML.
    pub pipeline: PathBuf,
    /// Input files, folders or globs (replace `input.paths`).
    #[arg(long, num_args = 1..)]
    pub input: Vec<String>,
    /// Output directory (replaces `output.dir`).
    #[arg(long)]
    pub output: Option<String>,
    /// Worker threads per task (0 = all cores).
    #[arg(long)]
    pub workers: Option<usize>,
    /// Split the input into N tasks (ranks).
    #[arg(long)]
    pub tasks: Option<usize>,
    /// Run only rank R (0-based) of each runnable stage, as one Slurm array element does.
    #[arg(long)]
    pub task: Option<usize>,
    /// Run only this stage (see `skypile plan`).
    #[arg(long)]
    pub stage: Option<String>,
}

/// The pipeline with the command line's overrides applied and checked.
pub fn load(args: &RunArgs) -> Result<Pipeline> {
    let mut p = Pipeline::load(&args.pipeline)?;
    p.override_with(
        &args.input,
        args.output.as_deref(),
        args.workers,
        args.tasks,
    );
    p.check()?;
    for w in p.warnings() {
        log::warn!("{w}");
    }
    Ok(p)
}
