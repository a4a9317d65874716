//! `skypile slurm`: run the same pipeline as Slurm job arrays, one array per stage.

use serde::{Deserialize, Serialize};

/// The `slurm:` section of a pipeline.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SlurmConfig {
    pub partition: Option<String>,
    /// Wall time per array element, Slurm syntax (e.g. `4:00:00`).
    pub time: String,
    /// Memory per array element (e.g. `8G`).
    pub mem: String,
    pub cpus_per_task: usize,
    /// At most this many array elements run at once (`--array=0-N%W`); 0 = no limit.
    pub max_parallel: usize,
    /// Extra `#SBATCH` lines, verbatim.
    pub sbatch_args: Vec<String>,
}

impl Default for SlurmConfig {
    fn default() -> Self {
        SlurmConfig {
            partition: None,
            time: "4:00:00".into(),
            mem: "8G".into(),
            cpus_per_task: 2,
            max_parallel: 0,
            sbatch_args: Vec::new(),
        }
    }
}

#[derive(clap::Args, Debug, Clone)]
pub struct SlurmArgs {
    #[command(flatten)]
    pub run: crate::cli::RunArgs,
    /// Print the sbatch scripts instead of submitting them.
    #[arg(long)]
    pub dry_run: bool,
}

pub fn run(_args: &SlurmArgs) -> anyhow::Result<()> {
    anyhow::bail!("slurm launcher is being written (issue 9)")
}
