//! What a run leaves in its output folder: Parquet shards (writer and reader) and the merged
//! stats and manifest.

pub(crate) mod jsonl;
pub(crate) mod shards;
pub(crate) mod stats;
pub(crate) mod writer;
