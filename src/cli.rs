//! Command-line interface (clap derive). Each verb is a thin call into its module.

use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand};

use crate::config::Pipeline;
use crate::runner::{self, RunOpts};
use crate::stages::Plan;

#[derive(Parser, Debug)]
#[command(
    name = "skypile",
    version,
    about = "Web archives -> clean, deduplicated, token-counted bilingual (zh+en) Parquet"
)]
pub struct Cli {
    /// More log output (-v info is the default; -vv debug).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Only warnings and errors.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    #[command(subcommand)]
    pub cmd: Cmd,
}

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

#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// Run a pipeline (all stages, resuming where a previous attempt stopped).
    Run(RunArgs),
    /// Check a pipeline YAML (keys, types, values, files it names) without running it.
    Validate { pipeline: PathBuf },
    /// Print stages, tasks and resource estimates before a run.
    Plan(RunArgs),
    /// Merge per-rank stats of an output directory and print the funnel.
    Stats {
        dir: PathBuf,
        /// Print the merged JSON instead of the table.
        #[arg(long)]
        json: bool,
    },
    /// Show the schema, shards and sample documents of an output directory.
    Inspect(crate::inspect::InspectArgs),
    /// Write a self-contained HTML report of a run.
    Report {
        dir: PathBuf,
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Write (and submit) Slurm job arrays for a pipeline.
    Slurm(crate::slurm::SlurmArgs),
    /// Train a model (`classifier`: fastText-compatible quality or language-ID classifier).
    #[command(subcommand)]
    Train(crate::train::TrainCmd),
}

pub fn main() -> i32 {
    let cli = Cli::parse();
    let level = if cli.quiet {
        "warn"
    } else {
        match cli.verbose {
            0 | 1 => "info",
            _ => "debug",
        }
    };
    crate::logging::init(level);
    match dispatch(cli.cmd) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {e:#}");
            2
        }
    }
}

pub fn load(args: &RunArgs) -> Result<Pipeline> {
    let mut p = Pipeline::load(&args.pipeline)?;
    p.override_with(
        &args.input,
        args.output.as_deref(),
        args.workers,
        args.tasks,
    );
    p.check()?;
    Ok(p)
}

fn dispatch(cmd: Cmd) -> Result<()> {
    match cmd {
        Cmd::Run(args) => {
            let p = load(&args)?;
            runner::run(
                &p,
                &RunOpts {
                    task: args.task,
                    stage: args.stage.clone(),
                },
            )
        }
        Cmd::Validate { pipeline } => {
            let p = Pipeline::load(&pipeline)?;
            let plan = Plan::build(&p)?;
            println!(
                "{}: OK ({} steps, {} stages, {} output columns)",
                pipeline.display(),
                p.steps.len(),
                plan.stages.len(),
                plan.columns.len()
            );
            Ok(())
        }
        Cmd::Plan(args) => {
            let p = load(&args)?;
            crate::plan::print(&p)
        }
        Cmd::Stats { dir, json } => {
            let (rs, _) = crate::stats::merge(&dir)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&rs)?);
            } else {
                print!("{}", crate::stats::render(&rs));
            }
            Ok(())
        }
        Cmd::Inspect(args) => crate::inspect::run(&args),
        Cmd::Report { dir, output } => crate::report::run(&dir, output.as_deref()),
        Cmd::Slurm(args) => crate::slurm::run(&args),
        Cmd::Train(cmd) => crate::train::run(&cmd),
    }
}
