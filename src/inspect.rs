//! `skypile inspect`: schema, shards and sample documents of an output directory.

use std::path::PathBuf;

use anyhow::{Result, bail};

#[derive(clap::Args, Debug, Clone)]
pub struct InspectArgs {
    pub dir: PathBuf,
    #[arg(long)]
    pub lang: Option<String>,
    #[arg(long)]
    pub removed: bool,
    #[arg(long)]
    pub reason: Option<String>,
    #[arg(short, default_value_t = 5)]
    pub n: usize,
}

pub fn run(_args: &InspectArgs) -> Result<()> {
    bail!("inspect is being written (issue 10)")
}
