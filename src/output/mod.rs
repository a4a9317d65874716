//! What a run leaves in its output folder: shards of kept and removed docs (Parquet or JSONL,
//! and reading them back) and the merged stats and manifest.
//!
//! `writer.rs` holds the row model and the Parquet writer, `jsonl.rs` the JSONL one; the
//! [`ShardWriter`] here picks one by `output.format` (so neither imports the other).

use std::path::Path;

use anyhow::{Context, Result};
use skypile_core::Column;

use crate::config::{OutputConfig, OutputFormat};
use crate::outdir::ShardInfo;
use jsonl::JsonlShards;
use writer::{ParquetShards, Row};

pub(crate) mod chain;
pub(crate) mod jsonl;
pub(crate) mod shards;
pub(crate) mod stats;
pub(crate) mod writer;

/// Shards of kept or removed docs in the run's `output.format`.
pub enum ShardWriter<'p> {
    Parquet(ParquetShards<'p>),
    Jsonl(JsonlShards),
}

impl<'p> ShardWriter<'p> {
    /// Shards are `dir/<prefix>-<n:05>.<ext>`; `dir` is created here for both formats.
    pub fn new(dir: &Path, prefix: &str, cfg: &OutputConfig, columns: Vec<Column>) -> Result<Self> {
        // an object store has no folders: objects appear with their key
        if !skypile_storage::is_remote(dir) {
            std::fs::create_dir_all(dir).with_context(|| {
                format!(
                    "cannot create output directory {}: check permissions",
                    dir.display()
                )
            })?;
        }
        Ok(match cfg.format {
            OutputFormat::Parquet => Self::Parquet(ParquetShards::new(dir, prefix, cfg, columns)?),
            OutputFormat::Jsonl => Self::Jsonl(JsonlShards::new(dir, prefix, cfg, columns)?),
        })
    }

    /// Encode Parquet batches as jobs of `pool` (see [`chain::Chain`]); JSONL stays inline.
    pub fn encode_in(mut self, pool: &'p rayon::ThreadPool) -> Self {
        if let Self::Parquet(w) = &mut self {
            w.encode_in(pool);
        }
        self
    }

    pub fn write(&mut self, row: Row) -> Result<()> {
        match self {
            Self::Parquet(w) => w.write(row),
            Self::Jsonl(w) => w.write(row),
        }
    }

    /// Flush everything and close the last shard. Returns the shards written.
    pub fn finish(self) -> Result<Vec<ShardInfo>> {
        match self {
            Self::Parquet(w) => w.finish(),
            Self::Jsonl(w) => w.finish(),
        }
    }
}
