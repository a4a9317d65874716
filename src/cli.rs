//! Command-line interface (clap derive). Each verb is a thin call into its module.

use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand};

use crate::config::Pipeline;
use crate::run::stages::Plan;
use crate::run::{self, RunOpts};
pub(crate) use crate::verbs::{RunArgs, load};
use crate::verbs::{inspect, plan, report, slurm, stats, steps, summary, train};

const EXAMPLES: &str = "\
Examples:
  skypile run pipelines/quickstart.yaml
  skypile run pipelines/skypile.yaml --input 'crawl/*.warc.gz' --output out/run1 --tasks 8
  skypile run pipelines/extract.yaml --input big.warc.gz --limit 100 --set output.format=jsonl
  zcat docs.jsonl.gz | skypile run pipelines/dedup.yaml --input - --output out/dd
  skypile stats out/run1; skypile report out/run1; skypile inspect out/run1 --lang zh

Exit status: 0 success, 1 runtime error, 2 usage or configuration error,
3 run complete but damaged input was skipped (counted as ingest.bad_* in stats.json).";

#[derive(Parser, Debug)]
#[command(
    name = "skypile",
    version,
    about = "Web archives -> clean, deduplicated, token-counted bilingual (zh+en) Parquet",
    after_help = EXAMPLES
)]
pub struct Cli {
    /// More log output: -v debug, -vv trace (flags win over RUST_LOG).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Only warnings and errors: no progress bar, no run summary.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Colour in log lines.
    #[arg(long, value_enum, default_value_t = clap::ColorChoice::Auto, global = true)]
    pub color: clap::ColorChoice,
    #[command(subcommand)]
    pub cmd: Cmd,
}

#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// Run a pipeline (all stages, resuming where a previous attempt stopped).
    Run(RunArgs),
    /// Check a pipeline YAML (keys, types, values, files and inputs it names) without running it.
    Validate {
        /// Pipeline YAML.
        #[arg(value_name = "PIPELINE.yaml")]
        pipeline: PathBuf,
        /// Inputs to check instead of `input.paths`.
        #[arg(long, num_args = 1.., value_name = "PATH")]
        input: Vec<String>,
    },
    /// Print stages, tasks and resource estimates before a run.
    Plan(RunArgs),
    /// Merge per-rank stats of an output directory and print the funnel.
    Stats {
        /// Output folder of a run.
        dir: PathBuf,
        /// Print the merged JSON instead of the table.
        #[arg(long)]
        json: bool,
    },
    /// Show the schema, shards and sample documents of an output directory.
    Inspect(inspect::InspectArgs),
    /// Write a self-contained HTML report of a run.
    Report {
        /// Output folder of a run.
        dir: PathBuf,
        /// Where to write the HTML (default DIR/report.html).
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Write (and submit) Slurm job arrays for a pipeline.
    Slurm(slurm::SlurmArgs),
    /// Train a model: `classifier` (fastText-compatible quality or language ID), `lm` (n-gram
    /// LM for the `perplexity` step).
    #[command(subcommand)]
    Train(train::TrainCmd),
    /// Print a shell completion script: `skypile completions bash > /etc/bash_completion.d/skypile`.
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
    /// List every step by stage, or show one step's options, types, defaults and docs.
    Steps {
        /// A step's YAML key, e.g. `gopher_quality`.
        name: Option<String>,
    },
    /// Print the JSON Schema of a pipeline YAML (for editors: yaml-language-server etc.).
    Schema,
}

pub fn main() -> i32 {
    let cli = Cli::parse();
    // -q / -v decide; RUST_LOG only when neither is given
    let level = match (cli.quiet, cli.verbose) {
        (true, _) => Some("warn"),
        (false, 0) => None,
        (false, 1) => Some("debug"),
        _ => Some("trace"),
    };
    run::logging::init(level, cli.color);
    run::set_quiet(cli.quiet);
    // files committed outside a rank (a trained model, an n-gram LM) are made durable here
    let done = dispatch(cli.cmd, cli.quiet)
        .and_then(|code| skypile_core::durable::sync_pending().map(|()| code));
    match done {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            if e.downcast_ref::<crate::config::UsageError>().is_some() {
                2
            } else {
                1
            }
        }
    }
}

fn dispatch(cmd: Cmd, quiet: bool) -> Result<i32> {
    match cmd {
        Cmd::Run(mut args) => {
            let t = std::time::Instant::now();
            let p = load(&mut args)?;
            let opts = RunOpts {
                task: args.task,
                stage: args.stage.clone(),
                overwrite: args.overwrite,
            };
            let Some(rs) = run::run(&p, &opts)? else {
                return Ok(0);
            };
            if !quiet {
                let jsonl = p.output.format == crate::config::OutputFormat::Jsonl;
                print!(
                    "{}",
                    summary::render(&rs, &p.output.dir, t.elapsed().as_secs_f64(), jsonl)
                );
            }
            Ok(if summary::damaged(&rs).is_empty() {
                0
            } else {
                summary::EXIT_DAMAGED
            })
        }
        Cmd::Validate { pipeline, input } => {
            let mut p = Pipeline::load(&pipeline).map_err(crate::config::usage_error)?;
            p.override_with(&input, None, None, None);
            let plan = Plan::build(&p).map_err(crate::config::usage_error)?;
            for w in p.warnings() {
                eprintln!("warning: {w}");
            }
            let inputs = if p.input.paths.is_empty() {
                eprintln!("warning: no inputs: set `input.paths` or pass --input to `run`");
                0
            } else {
                skypile_ingest::list_inputs(&p.input.paths)
                    .map_err(crate::config::usage_error)?
                    .len()
            };
            println!(
                "{}: OK ({} steps, {} stages, {} output columns, {inputs} input files)",
                pipeline.display(),
                p.steps.len(),
                plan.stages.len(),
                plan.columns.len()
            );
            Ok(0)
        }
        Cmd::Plan(mut args) => {
            let p = load(&mut args)?;
            plan::print(&p).map(|_| 0)
        }
        Cmd::Stats { dir, json } => {
            let (rs, _) = crate::output::stats::merge(&dir)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&rs)?);
            } else {
                print!("{}", stats::render(&rs));
            }
            Ok(0)
        }
        Cmd::Inspect(args) => inspect::run(&args).map(|_| 0),
        Cmd::Report { dir, output } => report::run(&dir, output.as_deref()).map(|_| 0),
        Cmd::Slurm(args) => slurm::run(&args).map(|_| 0),
        Cmd::Train(cmd) => train::run(&cmd).map(|_| 0),
        Cmd::Completions { shell } => {
            use clap::CommandFactory;
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "skypile",
                &mut std::io::stdout(),
            );
            Ok(0)
        }
        Cmd::Steps { name: None } => {
            print!("{}", steps::list());
            Ok(0)
        }
        Cmd::Steps { name: Some(n) } => {
            print!("{}", steps::show(&n).map_err(crate::config::usage_error)?);
            Ok(0)
        }
        Cmd::Schema => {
            println!("{}", steps::schema_json()?);
            Ok(0)
        }
    }
}
