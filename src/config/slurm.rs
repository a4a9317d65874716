//! The `slurm:` section of a pipeline (read by `skypile slurm` and `skypile plan`).

use serde::{Deserialize, Serialize};

/// The `slurm:` section of a pipeline.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct SlurmConfig {
    pub partition: Option<String>,
    /// Wall time per array element, Slurm syntax (e.g. `4:00:00`).
    pub time: String,
    /// Memory per array element (e.g. `8G`); `skypile plan` prints what a rank needs.
    pub mem: String,
    pub cpus_per_task: usize,
    /// At most this many array elements run at once (`--array=0-N%W`); 0 = no limit.
    pub max_parallel: usize,
    /// Ranks run one after the other by one array element: fewer, longer jobs when the
    /// scheduler dislikes big arrays (the per-rank completion markers stay the same).
    pub tasks_per_job: usize,
    /// Extra `#SBATCH` lines, verbatim (`--account=x` or `#SBATCH --account=x`).
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
            tasks_per_job: 1,
            sbatch_args: Vec::new(),
        }
    }
}
