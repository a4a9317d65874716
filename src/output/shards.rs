//! Reading a run's shards back (for `inspect` and `report`): Parquet, or JSONL
//! (`output.format: jsonl`) turned into the same Arrow batches, so the verbs have one code path;
//! from a local folder or an object-store prefix.

use std::fs::File;
use std::io::{BufRead, Read};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use arrow_array::{
    Array, ArrayRef, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray,
};
use arrow_schema::{Field, Schema};
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ParquetRecordBatchReaderBuilder};
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
        let (shard, meta) = open_parquet(path).with_context(ctx)?;
        let r = ParquetRecordBatchReaderBuilder::new_with_metadata(shard, meta)
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
        let (_, meta) = open_parquet(path)?;
        let md = meta.metadata();
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

/// A Parquet shard for the reader: the local file, or an object read by ranged GETs.
pub enum Shard {
    Local(File),
    Remote(RemoteShard),
}

pub fn open_shard(p: &Path) -> Result<Shard> {
    Ok(if skypile_storage::is_remote(p) {
        Shard::Remote(RemoteShard {
            path: p.to_path_buf(),
            len: skypile_storage::size(p)?,
            columns: Vec::new(),
            cache: Default::default(),
        })
    } else {
        Shard::Local(File::open(p).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?)
    })
}

/// A shard with its footer read: ready for a reader, which touches only its row groups.
pub fn open_parquet(p: &Path) -> Result<(Shard, ArrowReaderMetadata)> {
    let mut shard = open_shard(p)?;
    let meta = ArrowReaderMetadata::load(&shard, Default::default())?;
    if let Shard::Remote(r) = &mut shard {
        r.layout(meta.metadata());
    }
    Ok((shard, meta))
}

/// An object-store shard, fetched one column chunk at a time, so memory is one row group
/// (bounded by the writer's row-group size) whatever the shard's size.
/// - The footer costs two ranged GETs; a column chunk one, on its first page: the reader asks
///   for every page (header, then body) separately, which would be two round trips a page.
/// - Only the current row group's chunks are kept: the arrow reader finishes one row group
///   before it starts the next.
pub struct RemoteShard {
    path: PathBuf,
    len: u64,
    /// (row group, byte range) of every column chunk, sorted by offset.
    columns: Vec<(usize, Range<u64>)>,
    cache: Mutex<Vec<(usize, u64, bytes::Bytes)>>,
}

/// Bytes past an offset outside every column chunk read by one `get_read` (the footer's
/// length field is read that way).
const LOOSE_READ: u64 = 64 << 10;

impl RemoteShard {
    fn layout(&mut self, md: &parquet::file::metadata::ParquetMetaData) {
        for (g, rg) in md.row_groups().iter().enumerate() {
            for c in rg.columns() {
                let (start, n) = c.byte_range();
                self.columns.push((g, start..start + n));
            }
        }
        self.columns.sort_by_key(|(_, r)| r.start);
    }

    fn fetch(&self, r: Range<u64>) -> parquet::errors::Result<bytes::Bytes> {
        skypile_storage::read_range(&self.path, r)
            .map(bytes::Bytes::from)
            .map_err(|e| parquet::errors::ParquetError::General(format!("{e:#}")))
    }

    /// Bytes from `start` to the end of its column chunk (fetched on first use) when the
    /// chunk holds `need` bytes from there; else `outside` bytes from `start` (the footer).
    fn from(&self, start: u64, need: u64, outside: u64) -> parquet::errors::Result<bytes::Bytes> {
        let i = self.columns.partition_point(|(_, r)| r.start <= start);
        let col = i.checked_sub(1).map(|i| &self.columns[i]);
        let Some((g, r)) = col.filter(|(_, r)| start + need <= r.end) else {
            return self.fetch(start..(start + outside).min(self.len));
        };
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        let hit = cache
            .iter()
            .find(|(_, s, _)| *s == r.start)
            .map(|c| c.2.clone());
        let chunk = match hit {
            Some(b) => b,
            None => {
                let b = self.fetch(r.clone())?;
                cache.retain(|(cg, _, _)| cg == g);
                cache.push((*g, r.start, b.clone()));
                b
            }
        };
        Ok(chunk.slice((start - r.start) as usize..))
    }
}

impl Length for Shard {
    fn len(&self) -> u64 {
        match self {
            Shard::Local(f) => f.len(),
            Shard::Remote(r) => r.len,
        }
    }
}

impl ChunkReader for Shard {
    type T = Box<dyn Read + Send>;

    fn get_read(&self, start: u64) -> parquet::errors::Result<Self::T> {
        Ok(match self {
            Shard::Local(f) => Box::new(f.get_read(start)?),
            Shard::Remote(r) => Box::new(bytes::Buf::reader(r.from(start, 1, LOOSE_READ)?)),
        })
    }

    fn get_bytes(&self, start: u64, length: usize) -> parquet::errors::Result<bytes::Bytes> {
        match self {
            Shard::Local(f) => f.get_bytes(start, length),
            Shard::Remote(r) => {
                let n = length as u64;
                Ok(r.from(start, n, n)?.slice(..length))
            }
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
