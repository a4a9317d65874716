//! Reading a run's Parquet shards back (for `inspect` and `report`).

use std::path::{Path, PathBuf};

use anyhow::Result;
use arrow_array::{Array, RecordBatch, StringArray};

/// Parquet shards under `dir/sub`, sorted.
pub fn shards(dir: &Path, sub: &str) -> Result<Vec<PathBuf>> {
    let d = dir.join(sub);
    let mut v: Vec<PathBuf> = match std::fs::read_dir(&d) {
        Ok(rd) => rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
            .collect(),
        Err(_) => Vec::new(),
    };
    v.sort();
    Ok(v)
}

/// One cell as text (None when null or the column is absent).
pub fn cell(b: &RecordBatch, name: &str, row: usize) -> Option<String> {
    let col = b.column_by_name(name)?;
    if col.is_null(row) {
        return None;
    }
    Some(arrow_cast_free_format(col.as_ref(), row))
}

/// Format one cell without pulling in arrow-cast (161 s of a cold build, docs/notes.md): the
/// types we write.
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
