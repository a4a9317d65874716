//! Command-line interface (clap derive). Each verb is a thin call into its module.

use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand};

use crate::config::Pipeline;
use crate::run::stages::Plan;
use crate::run::{self, RunOpts};
pub(crate) use crate::verbs::{RunArgs, load};
use crate::verbs::{inspect, plan, report, slurm, stats, train};

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
    Inspect(inspect::InspectArgs),
    /// Write a self-contained HTML report of a run.
    Report {
        dir: PathBuf,
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Write (and submit) Slurm job arrays for a pipeline.
    Slurm(slurm::SlurmArgs),
    /// Train a model (`classifier`: fastText-compatible quality or language-ID classifier).
    #[command(subcommand)]
    Train(train::TrainCmd),
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
    run::logging::init(level);
    match dispatch(cli.cmd) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {e:#}");
            2
        }
    }
}

fn dispatch(cmd: Cmd) -> Result<()> {
    match cmd {
        Cmd::Run(args) => {
            let p = load(&args)?;
            run::run(
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
            for w in p.warnings() {
                eprintln!("warning: {w}"); // h/dedup (#23)
            }
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
            plan::print(&p)
        }
        Cmd::Stats { dir, json } => {
            let (rs, _) = crate::output::stats::merge(&dir)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&rs)?);
            } else {
                print!("{}", stats::render(&rs));
            }
            Ok(())
        }
        Cmd::Inspect(args) => inspect::run(&args),
        Cmd::Report { dir, output } => report::run(&dir, output.as_deref()),
        Cmd::Slurm(args) => slurm::run(&args),
        Cmd::Train(cmd) => train::run(&cmd),
    }
}
