//! Sharded JSONL output (`output.format: jsonl`), for dolma/datatrove users.
//!
//! - Same rows, fields, sharding (rows/bytes), manifest info and resume semantics as the Parquet
//!   writer: one JSON object per line with every column of the run's schema, in schema order.
//! - Compression per `output.compression`: `gzip` (`.jsonl.gz`, datatrove's default), `zstd`
//!   (`.jsonl.zst`) or `none` (`.jsonl`).
//! - Written to a unique `*.tmp`, renamed into place when the shard closes (made durable with the
//!   rank's other files before its marker).

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Result;
use skypile_core::{ColType, Column, Value};

use super::writer::{Row, cell, count_row, is_nullable, value_string};
use crate::config::{JsonlCompression, OutputConfig};
use crate::outdir::ShardInfo;

/// Counts the bytes that reach the file (after compression), for `shard_max_bytes`.
struct Counting {
    f: BufWriter<skypile_storage::Writer>,
    n: u64,
}

impl Write for Counting {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        let k = self.f.write(b)?;
        self.n += k as u64;
        Ok(k)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.f.flush()
    }
}

enum Enc {
    Plain(Counting),
    Gzip(flate2::write::GzEncoder<Counting>),
    Zstd(zstd::Encoder<'static, Counting>),
}

impl Enc {
    fn out(&mut self) -> &mut dyn Write {
        match self {
            Enc::Plain(w) => w,
            Enc::Gzip(w) => w,
            Enc::Zstd(w) => w,
        }
    }
    fn written(&self) -> u64 {
        match self {
            Enc::Plain(w) => w.n,
            Enc::Gzip(w) => w.get_ref().n,
            Enc::Zstd(w) => w.get_ref().n,
        }
    }
    /// Close the stream and commit the file or object; its size in bytes.
    fn finish(self) -> Result<u64> {
        let c = match self {
            Enc::Plain(w) => w,
            Enc::Gzip(w) => w.finish()?,
            Enc::Zstd(w) => w.finish()?,
        };
        c.f.into_inner().map_err(|e| e.into_error())?.finish()
    }
}

/// The file extension of JSONL shards with this compression.
pub fn extension(c: JsonlCompression) -> &'static str {
    match c {
        JsonlCompression::Zstd => "jsonl.zst",
        JsonlCompression::None => "jsonl",
        JsonlCompression::Gzip => "jsonl.gz",
    }
}

pub struct JsonlShards {
    dir: PathBuf,
    prefix: String,
    cfg: OutputConfig,
    columns: Vec<Column>,
    current: Option<(Enc, ShardInfo)>,
    next_index: usize,
    line: Vec<u8>,
    pub shards: Vec<ShardInfo>,
}

impl JsonlShards {
    /// Shards are `dir/<prefix>-<n:05>.jsonl[.gz|.zst]`.
    pub fn new(dir: &Path, prefix: &str, cfg: &OutputConfig, columns: Vec<Column>) -> Result<Self> {
        Ok(JsonlShards {
            dir: dir.to_path_buf(),
            prefix: prefix.to_string(),
            cfg: cfg.clone(),
            columns,
            current: None,
            next_index: 0,
            line: Vec::new(),
            shards: Vec::new(),
        })
    }

    pub fn write(&mut self, row: Row) -> Result<()> {
        self.line.clear();
        row_json(&self.columns, &row, &mut self.line)?;
        self.line.push(b'\n');
        if self.current.is_none() {
            self.open_shard()?;
        }
        let Some((enc, info)) = self.current.as_mut() else {
            return Ok(());
        };
        enc.out().write_all(&self.line)?;
        count_row(info, &row);
        let full = info.rows as usize >= self.cfg.shard_max_rows
            || enc.written() >= self.cfg.shard_max_bytes;
        if full {
            self.close_shard()?;
        }
        Ok(())
    }

    fn open_shard(&mut self) -> Result<()> {
        let ext = extension(self.cfg.compression);
        let path = self
            .dir
            .join(format!("{}-{:05}.{ext}", self.prefix, self.next_index));
        self.next_index += 1;
        // local: a unique temp renamed at finish; object store: an upload completed at finish
        let f = skypile_storage::create(&path)?;
        let c = Counting {
            f: BufWriter::with_capacity(1 << 20, f),
            n: 0,
        };
        let enc = match self.cfg.compression {
            JsonlCompression::Zstd => Enc::Zstd(zstd::Encoder::new(c, self.cfg.zstd_level)?),
            JsonlCompression::None => Enc::Plain(c),
            JsonlCompression::Gzip => Enc::Gzip(flate2::write::GzEncoder::new(
                c,
                flate2::Compression::new(6),
            )),
        };
        let info = ShardInfo::named(&path);
        self.current = Some((enc, info));
        Ok(())
    }

    fn close_shard(&mut self) -> Result<()> {
        if let Some((enc, mut info)) = self.current.take() {
            info.bytes = enc.finish()?;
            self.shards.push(info);
        }
        Ok(())
    }

    /// Close the last shard. Returns the shards written.
    pub fn finish(mut self) -> Result<Vec<ShardInfo>> {
        self.close_shard()?;
        Ok(self.shards)
    }
}

/// One row as a JSON object: every column in schema order, typed as in the Parquet schema.
fn row_json(columns: &[Column], row: &Row, out: &mut Vec<u8>) -> Result<()> {
    out.push(b'{');
    for (i, c) in columns.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        serde_json::to_writer(&mut *out, &c.name)?;
        out.push(b':');
        let v = cell(&c.name, row);
        let j = match (c.ty, v.as_deref()) {
            (ColType::Utf8, Some(Value::Str(s))) => serde_json::Value::from(s.as_str()),
            (ColType::Utf8, Some(other)) => serde_json::Value::from(value_string(other)),
            (ColType::Int64, Some(v)) => match v {
                Value::Int(i) => (*i).into(),
                Value::Float(f) => (*f as i64).into(),
                Value::Bool(b) => (*b as i64).into(),
                Value::Str(_) => serde_json::Value::Null,
            },
            (ColType::Float32, Some(v)) => v.as_f64().map(|f| f as f32 as f64).into(),
            (ColType::Float64, Some(v)) => v.as_f64().into(),
            (ColType::Bool, Some(v)) => match v {
                Value::Bool(b) => (*b).into(),
                other => (other.as_f64().unwrap_or(0.0) != 0.0).into(),
            },
            (t, None) if !is_nullable(&c.name) => match t {
                ColType::Utf8 => "".into(),
                ColType::Int64 => 0.into(),
                ColType::Bool => false.into(),
                ColType::Float32 | ColType::Float64 => 0.0.into(),
            },
            (_, None) => serde_json::Value::Null,
        };
        serde_json::to_writer(&mut *out, &j)?;
    }
    out.push(b'}');
    Ok(())
}
