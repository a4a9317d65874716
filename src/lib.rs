//! skypile: the pipeline runner, Parquet writer and CLI verbs. Steps live in the workspace
//! crates (`skypile-ingest`, `-extract`, `-lang`, `-filters`, `-dedup`).
//!
//! Layers, each importing only from the ones below it (checked by `tests/layers.rs`):
//! ```text
//! cli.rs      the command line: parses, dispatches to a verb or the runner
//! verbs/      plan, slurm, stats, inspect, report
//! run/        runner (stages x ranks), stage plan, docs stage, reader, progress, logs
//! output/     Parquet writer, shard reading, stats merge
//! outdir.rs   the output folder: paths, atomic writes, rank stats, run info
//! config/     pipeline YAML, output and slurm settings, the step registry; tokens.rs
//! ```

pub mod cli;
pub(crate) mod config;
pub(crate) mod outdir;
pub(crate) mod output;
pub(crate) mod run;
pub mod tokens;
pub(crate) mod verbs;
