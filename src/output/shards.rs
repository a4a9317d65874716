//! Reading a run's Parquet shards back (for `inspect` and `report`), from a folder or an
//! object-store prefix.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::Result;
use arrow_array::{Array, RecordBatch, StringArray};
use parquet::file::reader::{ChunkReader, Length};

/// Parquet shards under `dir/sub`, sorted (a local folder's files, or the objects under the
/// prefix `dir/sub/`).
pub fn shards(dir: &Path, sub: &str) -> Result<Vec<PathBuf>> {
    let d = dir.join(sub);
    let mut v: Vec<PathBuf> = if skypile_storage::is_remote(&d) {
        skypile_storage::list_prefix(&d)?
            .into_iter()
            .map(|(p, _)| p)
            .filter(|p| p.parent() == Some(d.as_path()))
            .collect()
    } else {
        match std::fs::read_dir(&d) {
            Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
            Err(_) => Vec::new(),
        }
    };
    v.retain(|p| p.extension().is_some_and(|x| x == "parquet"));
    v.sort();
    Ok(v)
}

/// A shard for the Parquet reader: the local file, or a fetched object.
/// - The object is fetched whole (one GET): a shard is bounded by `output.shard_max_bytes`,
///   and the reader jumps footer -> row groups, where ranged GETs would cost a round trip each.
pub enum Shard {
    Local(File),
    Remote(bytes::Bytes),
}

pub fn open_shard(p: &Path) -> Result<Shard> {
    Ok(if skypile_storage::is_remote(p) {
        Shard::Remote(skypile_storage::read(p)?.into())
    } else {
        Shard::Local(File::open(p).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?)
    })
}

impl Length for Shard {
    fn len(&self) -> u64 {
        match self {
            Shard::Local(f) => f.len(),
            Shard::Remote(b) => b.len() as u64,
        }
    }
}

impl ChunkReader for Shard {
    type T = Box<dyn Read + Send>;

    fn get_read(&self, start: u64) -> parquet::errors::Result<Self::T> {
        Ok(match self {
            Shard::Local(f) => Box::new(f.get_read(start)?),
            Shard::Remote(b) => Box::new(b.get_read(start)?),
        })
    }

    fn get_bytes(&self, start: u64, length: usize) -> parquet::errors::Result<bytes::Bytes> {
        match self {
            Shard::Local(f) => f.get_bytes(start, length),
            Shard::Remote(b) => b.get_bytes(start, length),
        }
    }
}

/// One cell as text (None when null or the column is absent).
pub fn cell(b: &RecordBatch, name: &str, row: usize) -> Option<String> {
    let col = b.column_by_name(name)?;
    if col.is_null(row) {
        return None;
    }
    Some(arrow_cast_free_format(col.as_ref(), row))
}

/// Format one cell without pulling in arrow-cast (a big compile): the types we write.
fn arrow_cast_free_format(a: &dyn Array, row: usize) -> String {
    use arrow_array::{BooleanArray, Float32Array, Float64Array, Int64Array};
    let any = a.as_any();
    if let Some(x) = any.downcast_ref::<StringArray>() {
        x.value(row).to_string()
    } else if let Some(x) = any.downcast_ref::<Int64Array>() {
        x.value(row).to_string()
    } else if let Some(x) = any.downcast_ref::<Float32Array>() {
        format!("{:.4}", x.value(row))
    } else if let Some(x) = any.downcast_ref::<Float64Array>() {
        format!("{:.4}", x.value(row))
    } else if let Some(x) = any.downcast_ref::<BooleanArray>() {
        x.value(row).to_string()
    } else {
        format!("<{}>", a.data_type())
    }
}
