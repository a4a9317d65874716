//! The output folder's layout: where each rank leaves what, and how files get there.
//!
//! Everything that reads or writes `DIR/` by path goes through here (the runner, the stats
//! merge, `skypile stats`/`slurm`/`report`), so the layout is written down once:
//! ```text
//! DIR/run.json                     config hash + stage list; a different config is refused
//! DIR/data/part-<rank>-<n>.parquet kept docs           DIR/removed/docs<k>-<rank>-<n>.parquet
//! DIR/stats/<stage>/<rank>.json    counters of one rank (written before its completion marker)
//! DIR/completions/<stage>/<rank>   present = that rank is done and its outputs are in place
//! DIR/work/                        spools and dedup intermediates (deleted after merge)
//! DIR/stats.json, DIR/manifest.json  merged, written by the `merge` stage
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use skypile_core::Counters;

/// What one (stage, rank) leaves in `stats/<stage>/<rank>.json`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RankStats {
    pub stage: String,
    pub rank: usize,
    pub counters: Counters,
    pub shards: Vec<ShardInfo>,
    pub removed: Vec<ShardInfo>,
    pub elapsed_s: f64,
}

/// `DIR/run.json`: which pipeline (config hash) and stages the folder belongs to.
#[derive(Debug, Serialize, Deserialize)]
pub struct RunInfo {
    pub name: String,
    pub config_hash: String,
    pub stages: Vec<(String, usize)>,
    /// The configuration that produced the output (steps and thresholds, for reports).
    #[serde(default)]
    pub pipeline: serde_json::Value,
}

impl RunInfo {
    pub fn path(out: &Path) -> PathBuf {
        out.join("run.json")
    }

    /// The run's info, or an error telling the user `out` is not an output folder.
    pub fn read(out: &Path) -> Result<RunInfo> {
        let path = Self::path(out);
        let bytes = std::fs::read(&path).with_context(|| {
            format!(
                "{} is not a skypile output directory (no run.json)",
                out.display()
            )
        })?;
        serde_json::from_slice(&bytes).with_context(|| {
            format!(
                "{} is corrupt: delete the output directory and rerun",
                path.display()
            )
        })
    }
}

/// Present once rank `rank` of `stage` is complete with its outputs in place.
pub fn completion_path(out: &Path, stage: &str, rank: usize) -> PathBuf {
    out.join("completions")
        .join(stage)
        .join(format!("{rank:05}"))
}

/// Counters of one (stage, rank): a [`RankStats`] as JSON.
pub fn stats_path(out: &Path, stage: &str, rank: usize) -> PathBuf {
    out.join("stats")
        .join(stage)
        .join(format!("{rank:05}.json"))
}

/// Docs, tokens and characters of one language in a shard (summed into the manifest).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct LangTotals {
    pub docs: u64,
    pub tokens: u64,
    pub chars: u64,
}

/// One Parquet shard a rank wrote, as the manifest lists it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ShardInfo {
    pub path: String,
    pub rows: u64,
    pub bytes: u64,
    pub tokens: u64,
    pub by_lang: BTreeMap<String, LangTotals>,
}

/// Docs a docs stage hands to the next one across a global step.
pub fn spool_path(out: &Path, segment: usize, task: usize) -> PathBuf {
    out.join("work")
        .join(format!("spool-{segment}"))
        .join(format!("{task:05}.bin"))
}

/// Write bytes to `path` atomically (unique tmp name, so concurrent ranks never collide).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d)
            .with_context(|| format!("cannot create {}: check permissions", d.display()))?;
    }
    let tmp = PathBuf::from(format!("{}.{}.tmp", path.display(), std::process::id()));
    std::fs::write(&tmp, bytes).with_context(|| {
        format!(
            "cannot write {}: check permissions and disk space",
            tmp.display()
        )
    })?;
    std::fs::rename(&tmp, path).with_context(|| format!("renaming {}", tmp.display()))?;
    Ok(())
}
