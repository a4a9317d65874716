//! Sharded Parquet output with one explicit schema per run.
//!
//! The schema is the base columns plus every column the configured steps declare, so all
//! shards of a run agree and pandas reads a directory without schema merging. Shards are
//! written as `*.tmp` and renamed when closed: a killed run never leaves a truncated
//! `*.parquet` that looks complete.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Result;
use arrow_array::builder::{
    BooleanBuilder, Float32Builder, Float64Builder, Int64Builder, StringBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use skypile_core::{ColType, Column, Doc, Value};

use super::chain::Chain;
use crate::config::OutputConfig;
use crate::outdir::ShardInfo;

/// Columns every output has, in this order, before the step columns.
pub fn base_columns() -> Vec<Column> {
    [
        ("id", ColType::Utf8),
        ("url", ColType::Utf8),
        ("text", ColType::Utf8),
        ("lang", ColType::Utf8),
        ("lang_score", ColType::Float32),
        ("token_count", ColType::Int64),
        ("source", ColType::Utf8),
        ("title", ColType::Utf8),
        ("date", ColType::Utf8),
        ("charset", ColType::Utf8),
        ("charset_source", ColType::Utf8),
        // an input's other fields (JSONL, Parquet), one JSON object; null when there are none
        ("metadata", ColType::Utf8),
    ]
    .into_iter()
    .map(|(n, t)| Column::new(n, t))
    .collect()
}

/// Extra columns of `removed/` shards.
pub fn removed_columns() -> Vec<Column> {
    vec![
        Column::new("drop_step", ColType::Utf8),
        Column::new("drop_reason", ColType::Utf8),
    ]
}

fn arrow_type(t: ColType) -> DataType {
    match t {
        ColType::Bool => DataType::Boolean,
        ColType::Int64 => DataType::Int64,
        ColType::Float32 => DataType::Float32,
        ColType::Float64 => DataType::Float64,
        ColType::Utf8 => DataType::Utf8,
    }
}

pub fn schema_of(columns: &[Column]) -> SchemaRef {
    let fields: Vec<Field> = columns
        .iter()
        .map(|c| Field::new(&c.name, arrow_type(c.ty), is_nullable(&c.name)))
        .collect();
    Arc::new(Schema::new(fields))
}

/// One row as it leaves the pipeline.
pub struct Row {
    pub doc: Doc,
    pub tokens: i64,
    /// For removed docs: which step dropped it and why.
    pub dropped: Option<Dropped>,
}

/// Why a doc left the pipeline: the `drop_step` and `drop_reason` columns of `removed/`.
#[derive(Debug, Clone, PartialEq)]
pub struct Dropped {
    /// The step's label, e.g. `04.gopher_quality` (`00.ingest` for the reader).
    pub step: String,
    pub reason: String,
}

/// Parquet shards of one rank. Batches (arrow arrays, page encoding, zstd: the sink thread's
/// main cost) are encoded by pool jobs, one at a time in order, on one `ArrowWriter`.
pub struct ParquetShards<'p> {
    layout: Arc<Layout>,
    dir: PathBuf,
    prefix: String,
    /// The open shard and the closed ones, behind the batch being encoded.
    out: Chain<'p, Out>,
    /// Rows handed to the current shard, including a batch still being encoded.
    in_shard: usize,
    next_index: usize,
    pending: Vec<Row>,
    /// Text bytes of `pending`: a batch is cut before its string offsets could pass i32.
    pending_bytes: usize,
}

/// What every encoding job needs, shared with the jobs.
struct Layout {
    cfg: OutputConfig,
    columns: Vec<Column>,
    schema: SchemaRef,
}

#[derive(Default)]
struct Out {
    open: Option<Open>,
    closed: Vec<ShardInfo>,
}

struct Open {
    writer: ArrowWriter<skypile_storage::Writer>,
    info: ShardInfo,
}

const BATCH_ROWS: usize = 1024;
/// Batches are also cut at 1 MiB of text (and so stay far below the 2 GiB that Arrow's i32
/// string offsets allow; one doc is capped by ingest's `max_doc_bytes`).
/// - Why: rows are encoded as they arrive. A stage that keeps few docs (788 of 51k after
///   MinHash) held them all for one batch at its end: ~50 ms of encoding and zstd on one
///   thread after its last read, with the other workers idle.
/// - Row groups and shards are cut as before.
const BATCH_BYTES: usize = 1 << 20;
/// Data pages grow to 4 MiB (parquet's default limit is 1 MB): zstd sees more text at once
/// (production run: data/ 1.7%, removed/ 10% smaller), for the compression of the last page
/// after the last batch (~25 ms per shard).
const PAGE_BYTES: usize = 4 << 20;

impl<'p> ParquetShards<'p> {
    /// Shards are `dir/<prefix>-<n:05>.parquet`.
    pub fn new(dir: &Path, prefix: &str, cfg: &OutputConfig, columns: Vec<Column>) -> Result<Self> {
        Ok(ParquetShards {
            layout: Arc::new(Layout {
                cfg: cfg.clone(),
                schema: schema_of(&columns),
                columns,
            }),
            dir: dir.to_path_buf(),
            prefix: prefix.to_string(),
            out: Chain::new(None, Out::default()),
            in_shard: 0,
            next_index: 0,
            pending: Vec::new(),
            pending_bytes: 0,
        })
    }

    /// Encode batches as jobs of `pool` from now on (see [`Chain`]: same bytes, row groups and
    /// shards as inline, for any worker count).
    pub fn encode_in(&mut self, pool: &'p rayon::ThreadPool) {
        self.out.set_pool(pool);
    }

    pub fn write(&mut self, row: Row) -> Result<()> {
        self.pending_bytes += row.doc.text().len();
        self.pending.push(row);
        if self.pending.len() >= BATCH_ROWS || self.pending_bytes >= BATCH_BYTES {
            return self.flush_pending();
        }
        // Flush exactly where the current shard reaches its row limit. `in_shard` counts a
        // batch still encoding, which may yet close the shard by bytes (then the room is a
        // whole new shard): wait for it before deciding, so the cut never depends on timing.
        let max = self.layout.cfg.shard_max_rows;
        if self.pending.len() >= max.saturating_sub(self.in_shard).max(1) {
            self.in_shard = self
                .out
                .get()?
                .open
                .as_ref()
                .map_or(0, |o| o.info.rows as usize);
            if self.pending.len() >= max.saturating_sub(self.in_shard).max(1) {
                self.flush_pending()?;
            }
        }
        Ok(())
    }

    fn flush_pending(&mut self) -> Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let rows = std::mem::take(&mut self.pending);
        self.pending_bytes = 0;
        let open = match self.out.get()?.open.take() {
            Some(open) => open,
            None => {
                self.in_shard = 0;
                self.open_shard()?
            }
        };
        self.in_shard += rows.len();
        let layout = self.layout.clone();
        self.out.submit(move |mut out| {
            encode_batch(&layout, &mut out, open, &rows)?;
            Ok(out)
        })
    }

    fn open_shard(&mut self) -> Result<Open> {
        let path = self
            .dir
            .join(format!("{}-{:05}.parquet", self.prefix, self.next_index));
        self.next_index += 1;
        let cfg = &self.layout.cfg;
        // local: a unique temp renamed at finish; object store: an upload completed at finish
        let f = skypile_storage::create(&path)?;
        let props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::try_new(cfg.zstd_level)?))
            .set_max_row_group_bytes(Some(cfg.row_group_max_bytes))
            .set_data_page_size_limit(PAGE_BYTES)
            .set_max_row_group_row_count(Some(cfg.shard_max_rows.clamp(1, 1 << 20)))
            .build();
        let writer = ArrowWriter::try_new(f, self.layout.schema.clone(), Some(props))?;
        let info = ShardInfo::named(&path);
        Ok(Open { writer, info })
    }

    /// Flush everything and close the last shard. Returns the shards written.
    pub fn finish(mut self) -> Result<Vec<ShardInfo>> {
        self.flush_pending()?;
        let mut out = self.out.into_inner()?;
        if let Some(open) = out.open.take() {
            out.closed.push(close_shard(open)?);
        }
        Ok(out.closed)
    }
}

/// Encode one batch into the open shard (a pool job); close the shard at its row or byte limit.
fn encode_batch(layout: &Layout, out: &mut Out, mut open: Open, rows: &[Row]) -> Result<()> {
    let arrays: Vec<ArrayRef> = layout
        .columns
        .iter()
        .map(|c| column_array(c, rows))
        .collect();
    let batch = RecordBatch::try_new(layout.schema.clone(), arrays)?;
    open.writer.write(&batch)?;
    for r in rows {
        count_row(&mut open.info, r);
    }
    let written = open.writer.bytes_written() as u64 + open.writer.in_progress_size() as u64;
    if open.info.rows as usize >= layout.cfg.shard_max_rows || written >= layout.cfg.shard_max_bytes
    {
        out.closed.push(close_shard(open)?);
    } else {
        out.open = Some(open);
    }
    Ok(())
}

fn close_shard(open: Open) -> Result<ShardInfo> {
    let mut info = open.info;
    info.bytes = open.writer.into_inner()?.finish()?;
    Ok(info)
}

/// Add one row to a shard's totals (rows, tokens, per-language docs/tokens/chars).
pub(crate) fn count_row(info: &mut ShardInfo, r: &Row) {
    info.rows += 1;
    info.tokens += r.tokens.max(0) as u64;
    let lang = if r.doc.lang.is_empty() {
        "und"
    } else {
        r.doc.lang.as_str()
    };
    let t = info.by_lang.entry(lang.to_string()).or_default();
    t.docs += 1;
    t.tokens += r.tokens.max(0) as u64;
    t.chars += r.doc.text().chars().count() as u64;
}

/// The value of a named column for one row (base fields first, then step metadata).
pub(crate) fn cell<'a>(name: &str, r: &'a Row) -> Option<std::borrow::Cow<'a, Value>> {
    use std::borrow::Cow::*;
    let d = &r.doc;
    Some(match name {
        "id" => Owned(Value::Str(d.id.clone())),
        "url" => Owned(Value::Str(d.url.clone()?)),
        "text" => Owned(Value::Str(d.text().to_string())),
        "lang" => Owned(Value::Str(if d.lang.is_empty() {
            "und".into()
        } else {
            d.lang.clone()
        })),
        "lang_score" => Owned(Value::Float(d.lang_score as f64)),
        "token_count" => Owned(Value::Int(r.tokens)),
        "source" => Owned(Value::Str(d.source.clone())),
        "title" => Owned(Value::Str(d.title.clone()?)),
        "drop_step" => Owned(Value::Str(r.dropped.as_ref()?.step.clone())),
        "drop_reason" => Owned(Value::Str(r.dropped.as_ref()?.reason.clone())),
        other => Borrowed(d.meta.get(other)?),
    })
}

/// A text cell, borrowed where the row has it as text: [`cell`] copies, and copying every
/// doc's text once more per batch was a sizeable part of encoding.
fn str_cell<'a>(name: &str, r: &'a Row) -> Option<std::borrow::Cow<'a, str>> {
    use std::borrow::Cow::*;
    let d = &r.doc;
    Some(match name {
        "id" => Borrowed(d.id.as_str()),
        "url" => Borrowed(d.url.as_deref()?),
        "text" => Borrowed(d.text()),
        "source" => Borrowed(d.source.as_str()),
        "title" => Borrowed(d.title.as_deref()?),
        _ => match cell(name, r)? {
            Borrowed(Value::Str(s)) => Borrowed(s.as_str()),
            v => Owned(value_string(&v)),
        },
    })
}

fn column_array(c: &Column, rows: &[Row]) -> ArrayRef {
    let vals = rows.iter().map(|r| cell(&c.name, r));
    match c.ty {
        ColType::Utf8 => {
            // sized up front: growing by doubling copied the text column several times
            let bytes: usize = rows
                .iter()
                .map(|r| str_cell(&c.name, r).map_or(0, |s| s.len()))
                .sum();
            let mut b = StringBuilder::with_capacity(rows.len(), bytes);
            for r in rows {
                match str_cell(&c.name, r).as_deref() {
                    Some(s) => b.append_value(s),
                    None if !is_nullable(&c.name) => b.append_value(""),
                    None => b.append_null(),
                }
            }
            Arc::new(b.finish())
        }
        ColType::Int64 => {
            let mut b = Int64Builder::new();
            for v in vals {
                let x = v.as_deref().and_then(|v| match v {
                    Value::Int(i) => Some(*i),
                    Value::Float(f) => Some(*f as i64),
                    Value::Bool(b) => Some(*b as i64),
                    Value::Str(_) => None,
                });
                append_or_default(&mut b, x, &c.name, 0);
            }
            Arc::new(b.finish())
        }
        ColType::Float32 => {
            let mut b = Float32Builder::new();
            for v in vals {
                append_or_default(
                    &mut b,
                    v.as_deref().and_then(Value::as_f64).map(|f| f as f32),
                    &c.name,
                    0.0,
                );
            }
            Arc::new(b.finish())
        }
        ColType::Float64 => {
            let mut b = Float64Builder::new();
            for v in vals {
                append_or_default(&mut b, v.as_deref().and_then(Value::as_f64), &c.name, 0.0);
            }
            Arc::new(b.finish())
        }
        ColType::Bool => {
            let mut b = BooleanBuilder::new();
            for v in vals {
                match v.as_deref() {
                    Some(Value::Bool(x)) => b.append_value(*x),
                    Some(other) => b.append_value(other.as_f64().unwrap_or(0.0) != 0.0),
                    None => b.append_null(),
                }
            }
            Arc::new(b.finish())
        }
    }
}

/// Base columns every row has a value for; the rest may be null.
pub(crate) fn is_nullable(name: &str) -> bool {
    !matches!(
        name,
        "id" | "text" | "lang" | "lang_score" | "token_count" | "source"
    )
}

trait Append<T> {
    fn value(&mut self, v: T);
    fn null(&mut self);
}
macro_rules! impl_append {
    ($b:ty, $t:ty) => {
        impl Append<$t> for $b {
            fn value(&mut self, v: $t) {
                self.append_value(v)
            }
            fn null(&mut self) {
                self.append_null()
            }
        }
    };
}
impl_append!(Int64Builder, i64);
impl_append!(Float32Builder, f32);
impl_append!(Float64Builder, f64);

fn append_or_default<T, B: Append<T>>(b: &mut B, v: Option<T>, name: &str, default: T) {
    match v {
        Some(v) => b.value(v),
        None if !is_nullable(name) => b.value(default),
        None => b.null(),
    }
}

pub(crate) fn value_string(v: &Value) -> String {
    match v {
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Str(s) => s.clone(),
    }
}
