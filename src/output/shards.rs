//! Reading a run's shards back (for `inspect` and `report`): Parquet, or JSONL
//! (`output.format: jsonl`) turned into the same Arrow batches, so the verbs have one code path;
//! from a local folder or an object-store prefix.

use std::fs::File;
use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use arrow_array::{
    Array, ArrayRef, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray,
};
use arrow_schema::{Field, Schema};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::file::reader::{ChunkReader, Length};
use serde_json::Value;

/// Shards under `dir/sub` (`*.parquet`, `*.jsonl`, `*.jsonl.gz`, `*.jsonl.zst`), sorted: a local
/// folder's files, or the objects under the prefix `dir/sub/`.
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
    v.retain(|p| is_parquet(p) || is_jsonl(p));
    v.sort();
    Ok(v)
}

fn is_parquet(p: &Path) -> bool {
    p.extension().is_some_and(|x| x == "parquet")
}

fn is_jsonl(p: &Path) -> bool {
    let n = p.file_name().unwrap_or_default().to_string_lossy();
    [".jsonl", ".jsonl.gz", ".jsonl.zst"]
        .iter()
        .any(|e| n.ends_with(e))
}

pub type Batches = Box<dyn Iterator<Item = Result<RecordBatch>>>;

/// The rows of one shard in batches of at most `rows` rows, whatever its format.
pub fn batches(path: &Path, rows: usize) -> Result<Batches> {
    let ctx = || format!("reading {}", path.display());
    if is_parquet(path) {
        let r = ParquetRecordBatchReaderBuilder::try_new(open_shard(path).with_context(ctx)?)
            .with_context(ctx)?
            .with_batch_size(rows)
            .build()?;
        let p = path.to_path_buf();
        return Ok(Box::new(r.map(move |b| {
            b.with_context(|| format!("reading {}", p.display()))
        })));
    }
    let mut lines = skypile_ingest::open_decompressed(path)
        .with_context(ctx)?
        .lines()
        .enumerate();
    let p = path.to_path_buf();
    Ok(Box::new(std::iter::from_fn(move || {
        let mut chunk = Vec::new();
        for (i, line) in lines.by_ref() {
            let row = line
                .map_err(anyhow::Error::from)
                .and_then(|l| serde_json::from_str::<Row>(&l).map_err(anyhow::Error::from));
            match row {
                Ok(r) => chunk.push(r.0),
                Err(e) => return Some(Err(e.context(format!("{}:{}", p.display(), i + 1)))),
            }
            if chunk.len() >= rows {
                break;
            }
        }
        (!chunk.is_empty()).then(|| json_batch(&chunk))
    })))
}

/// Rows and row groups (`None` for JSONL) of a shard.
pub fn shard_rows(path: &Path) -> Result<(u64, Option<usize>)> {
    if is_parquet(path) {
        let b = ParquetRecordBatchReaderBuilder::try_new(open_shard(path)?)?;
        let md = b.metadata();
        return Ok((
            md.file_metadata().num_rows().max(0) as u64,
            Some(md.num_row_groups()),
        ));
    }
    let mut n = 0u64;
    for b in batches(path, 4096)? {
        n += b?.num_rows() as u64;
    }
    Ok((n, None))
}

/// One JSONL line with its keys in file order (the writer's schema order).
/// - serde_json's `Map` sorts keys unless its `preserve_order` feature is on for every crate.
struct Row(Vec<(String, Value)>);

impl<'de> serde::Deserialize<'de> for Row {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Row;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object per line")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut m: A) -> Result<Row, A::Error> {
                let mut v = Vec::new();
                while let Some(kv) = m.next_entry()? {
                    v.push(kv);
                }
                Ok(Row(v))
            }
        }
        d.deserialize_map(V)
    }
}

/// JSONL rows -> one batch; columns in the first row's order, typed from their values (all
/// booleans: Boolean; all integers: Int64; all numbers: Float64; else Utf8, with non-string
/// values as JSON text), so Parquet and JSONL runs read back alike.
fn json_batch(rows: &[Vec<(String, Value)>]) -> Result<RecordBatch> {
    let mut names: Vec<&str> = Vec::new();
    for r in rows {
        for (k, _) in r {
            if !names.contains(&k.as_str()) {
                names.push(k);
            }
        }
    }
    fn get<'a>(r: &'a [(String, Value)], n: &str) -> Option<&'a Value> {
        r.iter()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v)
            .filter(|v| !v.is_null())
    }
    let mut fields = Vec::new();
    let mut cols: Vec<ArrayRef> = Vec::new();
    for n in &names {
        let vals: Vec<Option<&Value>> = rows.iter().map(|r| get(r, n)).collect();
        let all = |f: fn(&Value) -> bool| vals.iter().flatten().all(|v| f(v));
        let col: ArrayRef = if all(Value::is_boolean) && vals.iter().any(Option::is_some) {
            Arc::new(BooleanArray::from_iter(
                vals.iter().map(|v| v.and_then(Value::as_bool)),
            ))
        } else if all(|v| v.is_i64()) && vals.iter().any(Option::is_some) {
            Arc::new(Int64Array::from_iter(
                vals.iter().map(|v| v.and_then(Value::as_i64)),
            ))
        } else if all(Value::is_number) && vals.iter().any(Option::is_some) {
            Arc::new(Float64Array::from_iter(
                vals.iter().map(|v| v.and_then(Value::as_f64)),
            ))
        } else {
            Arc::new(StringArray::from_iter(vals.iter().map(|v| {
                v.map(|v| match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
            })))
        };
        fields.push(Field::new(*n, col.data_type().clone(), true));
        cols.push(col);
    }
    Ok(RecordBatch::try_new(Arc::new(Schema::new(fields)), cols)?)
}

/// A Parquet shard for the reader: the local file, or a fetched object.
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

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_schema::DataType;

    #[test]
    fn jsonl_rows_become_typed_columns_in_file_order() {
        let rows: Vec<Vec<(String, Value)>> = [
            r#"{"z":1,"b":null,"c":1.5,"d":true,"e":{"x":1}}"#,
            r#"{"z":2,"b":"s","c":2,"d":null,"e":null}"#,
        ]
        .iter()
        .map(|l| serde_json::from_str::<Row>(l).unwrap().0)
        .collect();
        let b = json_batch(&rows).unwrap();
        let types: Vec<(String, DataType)> = b
            .schema()
            .fields()
            .iter()
            .map(|f| (f.name().clone(), f.data_type().clone()))
            .collect();
        let want = [
            ("z", DataType::Int64),
            ("b", DataType::Utf8),
            ("c", DataType::Float64),
            ("d", DataType::Boolean),
            ("e", DataType::Utf8),
        ];
        assert_eq!(types, want.map(|(n, t)| (n.to_string(), t)));
        assert_eq!(cell(&b, "e", 0).as_deref(), Some(r#"{"x":1}"#));
        assert_eq!(cell(&b, "c", 1).as_deref(), Some("2.0000"));
        assert_eq!((cell(&b, "b", 0), cell(&b, "d", 1)), (None, None));
    }
}
