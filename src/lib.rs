//! skypile: the pipeline runner, Parquet writer and CLI verbs. Steps live in the workspace
//! crates (`skypile-ingest`, `-extract`, `-lang`, `-filters`, `-dedup`).

pub mod cli;
pub mod config;
pub mod docstage;
pub mod inspect;
pub mod logging;
pub mod plan;
pub mod progress;
pub mod report;
pub mod report_html;
pub mod runner;
pub mod slurm;
pub mod stages;
pub mod stats;
pub mod steps;
pub mod tokens;
pub mod train;
pub mod writer;
