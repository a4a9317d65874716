//! The output folder's layout: where each rank leaves what, and how files get there.
//!
//! Everything that reads or writes `DIR/` by path goes through here (the runner, the stats
//! merge, `skypile stats`/`slurm`/`report`), so the layout is written down once:
//! ```text
//! DIR/run.json                     config hash + stage list; a different config is refused
//! DIR/data/part-<rank>-<n>.parquet kept docs           DIR/removed/docs<k>-<rank>-<n>.parquet
//! DIR/stats/<stage>/<rank>.json    counters of one rank (written before its completion marker)
//! DIR/completions/<stage>/<rank>   present = that rank is done and its outputs are in place
//! DIR/leases/<stage>/<rank>        held while a process runs that rank (a second one refuses)
//! DIR/work/                        spools and dedup intermediates (deleted after merge; only
//!                                  when `work/.skypile` says skypile made the folder); moved
//!                                  elsewhere by `work_dir:` / `--work-dir` ([`work_root`])
//! DIR/stats.json, DIR/manifest.json  merged, written by the `merge` stage
//! ```
//! `DIR` may be an object-store URL (`s3://bucket/run1`): then data/, removed/, stats/,
//! completions/ and the JSON files are objects (each written whole, the marker last), and
//! leases/ and logs/ live under a local scratch folder ([`local_root`]), as does work/ unless
//! `work_dir:` names another place (which may be an object-store prefix too). Each rank's log
//! is also uploaded to `DIR/logs/` when the rank ends.

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
    /// The expanded input list (path, size) the ranks were assigned from: a relaunch with
    /// another list would re-map `file % tasks` and skip or repeat files.
    #[serde(default)]
    pub inputs: Vec<(String, u64)>,
}

impl RunInfo {
    pub fn path(out: &Path) -> PathBuf {
        out.join("run.json")
    }

    /// The run's info, or an error telling the user `out` is not an output folder.
    pub fn read(out: &Path) -> Result<RunInfo> {
        let path = Self::path(out);
        let bytes = skypile_storage::read(&path).with_context(|| {
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

/// One shard (Parquet or JSONL) a rank wrote, as the manifest lists it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ShardInfo {
    pub path: String,
    pub rows: u64,
    pub bytes: u64,
    pub tokens: u64,
    pub by_lang: BTreeMap<String, LangTotals>,
}

impl ShardInfo {
    /// A shard just opened at `path`: its file name (what the manifest lists), counts at zero.
    pub fn named(path: &Path) -> Self {
        ShardInfo {
            path: path
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into(),
            ..Default::default()
        }
    }
}

/// Docs a docs stage hands to the next one across a global step (`work` from [`work_root`]).
pub fn spool_path(work: &Path, segment: usize, task: usize) -> PathBuf {
    work.join(format!("spool-{segment}"))
        .join(format!("{task:05}.bin"))
}

/// Write bytes to `path` atomically and durably (local: unique temp name, fsync, rename, fsync
/// dir; object store: one PUT, which is atomic).
pub use skypile_storage::write_atomic;

/// Where the process-local parts of a run live (leases, logs, `work/`): `out` itself, or for
/// an object-store `out` a scratch folder named after its URL.
/// - Leases are file locks and logs are appended to, which objects cannot do; spools and dedup
///   intermediates are read back many times, which is cheaper from a local disk.
/// - `SKYPILE_SCRATCH` chooses the folder's parent (default: the system temp dir); a relaunch
///   on the same machine finds the same folder.
pub fn local_root(out: &Path) -> PathBuf {
    if !skypile_storage::is_remote(out) {
        return out.to_path_buf();
    }
    let url = out.to_string_lossy();
    let base = std::env::var_os("SKYPILE_SCRATCH")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let name: String = url
        .trim_end_matches('/')
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    base.join(format!("skypile-{name}"))
}

/// Held by the one process that runs rank `rank` of `stage` (see `skypile_core::lease`).
pub fn lease_path(out: &Path, stage: &str, rank: usize) -> PathBuf {
    local_root(out)
        .join("leases")
        .join(stage)
        .join(format!("{rank:05}"))
}

/// The folder or object prefix of spools and dedup intermediates: `work_dir` as configured
/// (a local folder or an object-store URL), else `work/` of [`local_root`].
/// - A remote `work_dir` lets Slurm elements on different nodes share intermediates without a
///   shared filesystem; its objects are written whole and read only after the writing rank's
///   completion marker exists, so a half-written attempt is never read, and its rerun
///   overwrites the same keys.
pub fn work_root(out: &Path, work_dir: &str) -> PathBuf {
    if work_dir.is_empty() {
        local_root(out).join("work")
    } else {
        PathBuf::from(work_dir)
    }
}

/// The file that marks `work` as made by skypile (only then may merge delete it).
pub fn work_marker(work: &Path) -> PathBuf {
    work.join(".skypile")
}

/// Everything a run writes in its output folder (what `--overwrite` removes; nothing else).
pub const RUN_ENTRIES: &[&str] = &[
    "data",
    "removed",
    "stats",
    "completions",
    "leases",
    "logs",
    "slurm",
    "run.json",
    "stats.json",
    "manifest.json",
    "report.html",
];

/// Remove `{prefix}*.tmp` files in `dir`: temp files a killed process left (their names are
/// unique per process, so a rerun never overwrites them). Call only while owning what they
/// belong to (the rank's lease, or the merge's).
pub fn remove_stale_tmps(dir: &Path, prefix: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(prefix) && name.ends_with(".tmp") {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// Size of one input as the pins record it (0 when it cannot be read, so it differs).
fn input_size(p: &Path) -> u64 {
    skypile_storage::size(p).unwrap_or(0)
}

/// (path, size) of each input, as `run.json` pins them: one stat per file, so only the launch
/// that claims the folder calls it (see `run::claim`).
pub fn input_pins(inputs: &[PathBuf]) -> Vec<(String, u64)> {
    inputs
        .iter()
        .map(|p| (p.to_string_lossy().into_owned(), input_size(p)))
        .collect()
}

/// What differs between the pinned list and this launch's `inputs` (empty: the same).
/// * Every path is compared, in memory: an added, missing or reordered file re-maps
///   `file % tasks` for every rank, so every launch sees it.
/// * Sizes are statted only for the inputs `mine(index)` selects: an array element checks the
///   files it reads, not all of them.
pub fn input_changes(
    old: &[(String, u64)],
    inputs: &[PathBuf],
    mine: impl Fn(usize) -> bool,
) -> Vec<String> {
    let pinned: BTreeMap<&str, u64> = old.iter().map(|(p, n)| (p.as_str(), *n)).collect();
    let now: Vec<String> = inputs
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let mut out = Vec::new();
    for (i, (name, path)) in now.iter().zip(inputs).enumerate() {
        match pinned.get(name.as_str()) {
            None => out.push(format!("added {name}")),
            Some(&was) if mine(i) => {
                let size = input_size(path);
                if size != was {
                    out.push(format!("{name} changed size ({was} -> {size} bytes)"));
                }
            }
            Some(_) => {}
        }
    }
    let listed: std::collections::BTreeSet<&str> = now.iter().map(String::as_str).collect();
    out.extend(
        pinned
            .keys()
            .filter(|p| !listed.contains(*p))
            .map(|p| format!("missing {p}")),
    );
    if out.is_empty() && !old.iter().map(|(p, _)| p).eq(now.iter()) {
        out.push("the same files in another order".into());
    }
    out
}

/// Paths (`steps[3].c4.min_words`) where two pipeline fingerprints differ, at most `max`.
pub fn config_changes(old: &serde_json::Value, new: &serde_json::Value, max: usize) -> Vec<String> {
    fn walk(a: &serde_json::Value, b: &serde_json::Value, path: &str, out: &mut Vec<String>) {
        use serde_json::Value::{Array, Object};
        match (a, b) {
            (Object(x), Object(y)) => {
                let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
                for k in keys {
                    let null = serde_json::Value::Null;
                    let p = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    walk(
                        x.get(k).unwrap_or(&null),
                        y.get(k).unwrap_or(&null),
                        &p,
                        out,
                    );
                }
            }
            (Array(x), Array(y)) if x.len() == y.len() => {
                for (i, (u, v)) in x.iter().zip(y).enumerate() {
                    walk(u, v, &format!("{path}[{i}]"), out);
                }
            }
            (x, y) if x != y => out.push(format!("{path}: {x} -> {y}")),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(old, new, "", &mut out);
    out.truncate(max);
    out
}

/// Test hook (here, at the bottom, so the merge in `output` and the docs stage in `run` can
/// both call it): sleep `SKYPILE_TEST_THROTTLE_MS` (unset or 0: no sleep) at each batch of a docs
/// stage and between `stats.json` and `manifest.json` in the merge.
/// * tests/resume.rs slows its runs with it so that every kill -9 point is reached mid-run on
///   any machine; it changes timing only, never output. Not for production use.
pub(crate) fn test_throttle() {
    static MS: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    throttle(&MS, "SKYPILE_TEST_THROTTLE_MS");
}

/// Test hook: sleep `SKYPILE_TEST_SINK_THROTTLE_MS` before the sink writes each batch, as a
/// slow disk or object store would make it wait.
/// * tests/plan_memory.rs fills every queue of a docs rank with it: `plan` must cover that
///   worst case, which a rank whose steps outrun its reader never reaches on its own.
pub(crate) fn test_sink_throttle() {
    static MS: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    throttle(&MS, "SKYPILE_TEST_SINK_THROTTLE_MS");
}

fn throttle(ms: &std::sync::OnceLock<u64>, var: &str) {
    let ms = *ms.get_or_init(|| {
        std::env::var(var)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    });
    if ms > 0 {
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_changes_name_added_missing_and_resized_files() {
        let d = std::env::temp_dir().join(format!("skypile-outdir-pins-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        let files: Vec<PathBuf> = ["a", "b", "c"].iter().map(|n| d.join(n)).collect();
        for (f, body) in files.iter().zip(["1", "22", "333"]) {
            std::fs::write(f, body).unwrap();
        }
        let pins = input_pins(&files);
        assert!(input_changes(&pins, &files, |_| true).is_empty());
        std::fs::write(&files[1], "2222").unwrap();
        let name = |i: usize| files[i].to_string_lossy().into_owned();
        let resized = format!("{} changed size (2 -> 4 bytes)", name(1));
        assert_eq!(input_changes(&pins, &files, |_| true), [resized]);
        // only the selected inputs are statted: another element's file is not this one's check
        assert!(input_changes(&pins, &files, |i| i != 1).is_empty());
        // paths are compared for every launch, statted or not
        let fewer = &files[..2];
        let more: Vec<PathBuf> = files.iter().cloned().chain([d.join("d")]).collect();
        assert_eq!(
            input_changes(&pins, fewer, |_| false),
            [format!("missing {}", name(2))]
        );
        assert_eq!(
            input_changes(&pins, &more, |_| false),
            [format!("added {}", d.join("d").display())]
        );
        let swapped = [files[1].clone(), files[0].clone(), files[2].clone()];
        assert_eq!(
            input_changes(&pins, &swapped, |_| false),
            ["the same files in another order"]
        );
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn config_changes_name_the_key() {
        let a = serde_json::json!({"steps": [{"c4": {"min_words": 5}}], "tasks": 2});
        let b = serde_json::json!({"steps": [{"c4": {"min_words": 6}}], "tasks": 2});
        assert_eq!(config_changes(&a, &b, 5), ["steps[0].c4.min_words: 5 -> 6"]);
    }
}
