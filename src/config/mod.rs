//! Pipeline YAML: loading with strict validation.
//!
//! Unknown keys, wrong types and bad values are errors that name the file, the line and the key
//! (serde-saphyr keeps locations; why that crate: docs/notes.md), so `skypile validate` catches
//! a typo before a cluster run.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use skypile_ingest::InputConfig;

pub(crate) mod overrides;
pub(crate) mod schema;
pub(crate) mod slurm;
pub(crate) mod steps;

use crate::tokens::TokenizerConfig;
use steps::{BuildCtx, StepConfig};

/// A skypile pipeline: inputs, steps in order, output, and cluster settings.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Pipeline {
    /// Free-form name, shown in logs and the manifest.
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub input: InputConfig,
    #[serde(default)]
    pub output: OutputConfig,
    #[serde(default)]
    #[schemars(schema_with = "schema::from_default::<TokenizerConfig>")]
    pub tokenizer: TokenizerConfig,
    /// Worker threads per task; 0 = all cores.
    #[serde(default)]
    pub workers: usize,
    /// Number of tasks (ranks) the input is split into; each leaves its own outputs,
    /// completion marker and stats, so a relaunch redoes only unfinished ranks.
    #[serde(default = "one")]
    pub tasks: usize,
    #[serde(default)]
    pub steps: Vec<StepConfig>,
    /// Cluster settings for `skypile slurm`.
    #[serde(default)]
    pub slurm: slurm::SlurmConfig,
    /// How to reach object stores for `s3://` (etc.) inputs and outputs: endpoint, region,
    /// addressing; never credentials (those come from the environment). Not in the config hash.
    #[serde(default)]
    pub storage: skypile_storage::StorageConfig,
    /// Where spools and dedup intermediates go: a local folder or an object-store prefix
    /// (`s3://bucket/tmp/run1`, so Slurm nodes share them without a shared filesystem).
    /// Empty: `DIR/work` (for an object-store DIR, `work/` in the local scratch). Not in the
    /// config hash: it moves intermediates, never changes the output. `--work-dir` replaces it.
    #[serde(default)]
    pub work_dir: String,
    /// Where the YAML was read from (for relative paths); not a YAML key.
    #[serde(skip)]
    #[schemars(skip)]
    pub base_dir: PathBuf,
}

fn one() -> usize {
    1
}

/// The `output:` section: where and how Parquet shards are written.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct OutputConfig {
    pub dir: String,
    /// Also write dropped docs, with `drop_reason` and `drop_step`, under `DIR/removed/`.
    pub write_removed: bool,
    /// A shard is closed after this many rows or bytes (whichever first).
    pub shard_max_rows: usize,
    pub shard_max_bytes: u64,
    /// Row groups are flushed when their buffered size reaches this (default 128 MiB), so a
    /// reader never needs more memory than one row group per column.
    pub row_group_max_bytes: usize,
    /// zstd level for Parquet pages.
    pub zstd_level: i32,
    /// Keep `DIR/work/` (spools, dedup intermediates) after a successful run.
    pub keep_work: bool,
    /// Shard format of `data/` and `removed/`: `parquet` (default) or `jsonl` (one JSON object
    /// per line with the same fields, as dolma/datatrove write).
    pub format: OutputFormat,
    /// Compression of JSONL shards: `gzip` (`.jsonl.gz`, default), `zstd` (`.jsonl.zst`) or
    /// `none` (`.jsonl`). Parquet pages are always zstd (`zstd_level`).
    pub compression: JsonlCompression,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum OutputFormat {
    #[default]
    Parquet,
    Jsonl,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum JsonlCompression {
    #[default]
    Gzip,
    Zstd,
    None,
}

impl Default for OutputConfig {
    fn default() -> Self {
        OutputConfig {
            dir: String::new(),
            write_removed: false,
            shard_max_rows: 250_000,
            shard_max_bytes: 1 << 30,
            row_group_max_bytes: 128 << 20,
            zstd_level: 3,
            keep_work: false,
            format: OutputFormat::Parquet,
            compression: JsonlCompression::Gzip,
        }
    }
}

/// A bad command line or configuration (exit status 2), as opposed to a failure while running
/// (exit status 1).
#[derive(Debug)]
pub struct UsageError(pub anyhow::Error);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:#}", self.0)
    }
}

impl std::error::Error for UsageError {}

/// Mark an error as the user's configuration or command line (exit status 2).
pub fn usage_error(e: anyhow::Error) -> anyhow::Error {
    anyhow::Error::new(UsageError(e))
}

impl Pipeline {
    /// Load a pipeline YAML with `--set KEY=VALUE` overrides applied (errors are usage errors).
    pub fn load_with(path: &Path, sets: &[String]) -> Result<Pipeline> {
        if sets.is_empty() {
            return Self::load(path).map_err(usage_error);
        }
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read pipeline {}: check the path", path.display()))
            .map_err(usage_error)?;
        let mut tree: serde_json::Value = serde_saphyr::from_str(&text)
            .map_err(|e| usage_error(anyhow::anyhow!("{}: {e}", path.display())))?;
        overrides::apply(&mut tree, sets).map_err(usage_error)?;
        let mut p: Pipeline = serde_json::from_value(tree).map_err(|e| {
            usage_error(anyhow::anyhow!(
                "{} with --set overrides: {e}",
                path.display()
            ))
        })?;
        p.base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        p.check()
            .map_err(|e| usage_error(anyhow::anyhow!("{}: {e}", path.display())))?;
        skypile_storage::configure(&p.storage);
        Ok(p)
    }

    pub fn load(path: &Path) -> Result<Pipeline> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read pipeline {}: check the path", path.display()))?;
        let mut p = Self::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        p.base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        p.check()
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        skypile_storage::configure(&p.storage);
        Ok(p)
    }

    pub fn parse(text: &str) -> Result<Pipeline> {
        serde_saphyr::from_str::<Pipeline>(text).map_err(|e| {
            let msg = e.to_string();
            anyhow::anyhow!(
                "{}",
                msg.strip_prefix("error: ")
                    .unwrap_or(&msg)
                    .replace("<input>", "pipeline")
            )
        })
    }

    /// Checks serde cannot express: values in range, combinations that make sense.
    pub fn check(&self) -> Result<()> {
        if self.tasks == 0 {
            bail!("`tasks` must be at least 1");
        }
        let o = &self.output;
        if o.shard_max_rows == 0 || o.shard_max_bytes == 0 || o.row_group_max_bytes == 0 {
            bail!(
                "`output.shard_max_rows`, `output.shard_max_bytes` and `output.row_group_max_bytes` must be > 0"
            );
        }
        if !(1..=22).contains(&o.zstd_level) {
            bail!("`output.zstd_level` is {}: allowed 1..=22", o.zstd_level);
        }
        self.check_work_dir("`work_dir`")
    }

    /// `work_dir` (named `key` in the message: the YAML key or `--work-dir`) is a folder or
    /// the URL of a writable object store.
    pub fn check_work_dir(&self, key: &str) -> Result<()> {
        let w = self.work_dir.as_str();
        let shown = skypile_storage::redact(w);
        if skypile_storage::is_url(w) && w.starts_with("http") {
            bail!(
                "{key} is {shown}: http(s) locations are read-only; use s3://, gs://, az:// or a folder"
            );
        }
        if !skypile_storage::is_url(w) && w.contains("://") {
            bail!(
                "{key} is {shown}: not a supported URL (schemes: {}) or a folder",
                skypile_storage::SCHEMES.join(", ")
            );
        }
        Ok(())
    }

    /// Step orders that run but work against a step (h/dedup, #23): recurrent-line counting
    /// before exact/URL dedup sees every recrawled or mirrored copy. `validate` prints these and
    /// `run` logs them.
    pub fn warnings(&self) -> Vec<String> {
        let pos = |key: &str| self.steps.iter().position(|s| s.key() == key);
        let Some(line) = pos("line_dedup") else {
            return Vec::new();
        };
        ["exact_dedup", "url_dedup"]
            .into_iter()
            .filter_map(|k| pos(k).filter(|&i| i > line).map(|i| (k, i)))
            .map(|(k, i)| {
                format!(
                    "step {} `line_dedup` runs before step {} `{k}`: copies of a page (recrawls, \
                     several snapshots) reach line counting; move `{k}` before `line_dedup` \
                     (see pipelines/skypile.yaml)",
                    line + 1,
                    i + 1
                )
            })
            .collect()
    }

    /// Everything that changes the output: a rerun into the same directory must match it.
    pub fn fingerprint(&self) -> serde_json::Value {
        let o = &self.output;
        serde_json::json!({
            "input": self.input,
            "tokenizer": self.tokenizer,
            "tasks": self.tasks,
            "steps": self.steps,
            "output": [o.write_removed, o.shard_max_rows, o.shard_max_bytes, o.row_group_max_bytes, o.zstd_level],
            "format": [o.format, o.compression],
        })
    }

    pub fn build_ctx(&self) -> BuildCtx {
        BuildCtx {
            base_dir: self.base_dir.clone(),
        }
    }

    /// Apply command-line overrides (flags beat the YAML).
    pub fn override_with(
        &mut self,
        inputs: &[String],
        output: Option<&str>,
        workers: Option<usize>,
        tasks: Option<usize>,
    ) {
        if !inputs.is_empty() {
            self.input.paths = inputs.to_vec();
        } else {
            // Relative input paths in the YAML are taken from where the user runs, as datatrove
            // does; fall back to the YAML's folder so pipelines/ can ship working examples.
            let base = self.base_dir.clone();
            for p in &mut self.input.paths {
                if !Path::new(p).exists() && !p.contains(['*', '?']) && base.join(&*p).exists() {
                    *p = base.join(&*p).to_string_lossy().into_owned();
                }
            }
        }
        if let Some(o) = output {
            self.output.dir = o.to_string();
        }
        if let Some(w) = workers {
            self.workers = w;
        }
        if let Some(t) = tasks {
            self.tasks = t;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn misspelled_key_names_the_key_and_line() {
        let y = "name: x\ninput:\n  paths: [a]\noutput:\n  dir: out\n  writ_removed: true\n";
        let e = Pipeline::parse(y).unwrap_err().to_string();
        assert!(e.contains("writ_removed"), "{e}");
        assert!(
            e.contains("line 6") || e.contains(":6:") || e.contains("6:"),
            "{e}"
        );
    }

    #[test]
    fn wrong_type_is_an_error() {
        let e = Pipeline::parse("tasks: many\n").unwrap_err().to_string();
        assert!(
            e.contains("tasks") || e.contains("integer") || e.contains("many"),
            "{e}"
        );
    }

    #[test]
    fn line_counting_before_exact_dedup_is_warned() {
        let bad = "steps:\n  - line_dedup: {}\n  - exact_dedup: {}\n";
        let w = Pipeline::parse(bad).unwrap().warnings();
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(w[0].contains("step 1 `line_dedup`") && w[0].contains("step 2 `exact_dedup`"));
        let good = "steps:\n  - exact_dedup: {}\n  - url_dedup: {}\n  - line_dedup: {}\n";
        assert!(Pipeline::parse(good).unwrap().warnings().is_empty());
    }

    #[test]
    fn a_bad_work_dir_is_refused_naming_the_key() {
        for (w, why) in [
            ("https://x.org/tmp", "read-only"),
            ("s4://bucket/tmp", "not a supported URL"),
        ] {
            let p = Pipeline::parse(&format!("work_dir: '{w}'\n")).unwrap();
            let e = p.check().unwrap_err().to_string();
            assert!(
                e.contains("`work_dir`") && e.contains(w) && e.contains(why),
                "{e}"
            );
        }
        for ok in ["s3://bucket/tmp/run1", "/scratch/work", "rel/work", ""] {
            let p = Pipeline::parse(&format!("work_dir: '{ok}'\n")).unwrap();
            assert!(p.check().is_ok(), "{ok}");
        }
    }

    #[test]
    fn defaults_are_sane() {
        let p = Pipeline::parse("output: {dir: o}\n").unwrap();
        assert_eq!(p.tasks, 1);
        assert!(p.check().is_ok());
        assert!(Pipeline::parse("tasks: 0\n").unwrap().check().is_err());
    }
}
