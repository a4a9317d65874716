//! Parquet input: one document per row, text from a configurable column (`text_field`), optional
//! id/url columns; every other column goes into the `metadata` JSON column, as JSONL inputs'
//! other fields do. Read one row group at a time, in batches sized from the row group's
//! metadata, so memory stays near one batch.
//!
//! Damaged files (what is counted):
//! - a footer that does not parse (or panics the parquet crate) fails [`read`], which the runner
//!   counts as `ingest.bad_file`;
//! - a row group that fails to decode (error or panic inside the decoder) ends that row group
//!   with one `bad_parquet`; rows already read are kept and the next row group is read (its
//!   column chunks are located by the footer, so damage does not spread);
//! - a text cell over `max_doc_bytes` is `bad_too_large`, a null or non-string one `bad_no_text`.

use std::fs::File;
use std::io::Seek;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use arrow_array::{Array, ArrayRef, LargeStringArray, RecordBatch, StringArray, StringViewArray};
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder,
};
use skypile_core::{Doc, DocKey};

use crate::{Event, Events, InputConfig, guard};

/// Target decoded bytes per batch (a batch holds at most 1024 rows).
const BATCH_BYTES: i64 = 64 << 20;

pub fn read(path: &Path, file_idx: u32, cfg: &InputConfig) -> Result<Events> {
    let file = if skypile_storage::is_remote(path) {
        let len = skypile_storage::size(path)
            .with_context(|| format!("opening input {}", path.display()))?;
        Src::Remote(path.to_path_buf(), len)
    } else {
        Src::Local(File::open(path).with_context(|| format!("opening input {}", path.display()))?)
    };
    let meta = guard(|| Ok(ArrowReaderMetadata::load(&file, Default::default())?))
        .with_context(|| format!("{}: not a readable Parquet file", path.display()))?;
    let schema = meta.schema().clone();
    if schema.field_with_name(&cfg.text_field).is_err() {
        let cols: Vec<&String> = schema.fields().iter().map(|f| f.name()).collect();
        bail!(
            "{}: no column `{}` (set input.text_field; columns: {cols:?})",
            path.display(),
            cfg.text_field
        );
    }
    let name = path.display().to_string();
    let stem = name
        .rsplit('/')
        .next()
        .unwrap_or(&name)
        .split('.')
        .next()
        .unwrap_or("")
        .to_string();
    let mut groups = Groups {
        file,
        meta,
        next: 0,
        reader: None,
        row: 0,
        cells: Cells {
            fields: [
                cfg.text_field.clone(),
                cfg.id_field.clone(),
                cfg.url_field.clone(),
            ],
            name,
            stem,
            file_idx,
            max: usize::try_from(cfg.max_doc_bytes).unwrap_or(usize::MAX),
        },
    };
    let mut queue = std::collections::VecDeque::new();
    Ok(Box::new(std::iter::from_fn(move || {
        loop {
            if let Some(e) = queue.pop_front() {
                return Some(e);
            }
            queue.extend(groups.next_batch()?);
        }
    })))
}

/// The Parquet bytes: a local file, or an object read by ranged GETs (the footer, then one
/// GET per column chunk of the row groups read), so memory stays one row group.
enum Src {
    Local(File),
    Remote(PathBuf, u64),
}

impl Src {
    fn dup(&self) -> std::io::Result<Src> {
        Ok(match self {
            Src::Local(f) => Src::Local(f.try_clone()?),
            Src::Remote(p, n) => Src::Remote(p.clone(), *n),
        })
    }
}

impl parquet::file::reader::Length for Src {
    fn len(&self) -> u64 {
        match self {
            Src::Local(f) => f.len(),
            Src::Remote(_, n) => *n,
        }
    }
}

impl parquet::file::reader::ChunkReader for Src {
    type T = Box<dyn std::io::Read + Send>;

    fn get_read(&self, start: u64) -> parquet::errors::Result<Self::T> {
        match self {
            Src::Local(f) => Ok(Box::new(f.get_read(start)?)),
            Src::Remote(p, _) => {
                let mut r = skypile_storage::open(p).map_err(remote_err)?;
                r.seek(std::io::SeekFrom::Start(start))?;
                Ok(Box::new(r))
            }
        }
    }

    fn get_bytes(&self, start: u64, length: usize) -> parquet::errors::Result<bytes::Bytes> {
        match self {
            Src::Local(f) => f.get_bytes(start, length),
            Src::Remote(p, _) => skypile_storage::read_range(p, start..start + length as u64)
                .map(bytes::Bytes::from)
                .map_err(remote_err),
        }
    }
}

fn remote_err(e: anyhow::Error) -> parquet::errors::ParquetError {
    parquet::errors::ParquetError::General(format!("{e:#}"))
}

/// Reads the file one row group at a time so a damaged group costs only itself.
struct Groups {
    file: Src,
    meta: ArrowReaderMetadata,
    /// Next row group to open.
    next: usize,
    reader: Option<ParquetRecordBatchReader>,
    /// Row number (in the file) of the next row.
    row: u64,
    cells: Cells,
}

impl Groups {
    /// Events of the next batch; `None` after the last row group.
    fn next_batch(&mut self) -> Option<Vec<Event>> {
        if self.reader.is_none() {
            let g = self.next;
            if g >= self.meta.metadata().num_row_groups() {
                return None;
            }
            self.next += 1;
            self.row = self.group_start(g);
            match guard(|| self.open_group(g)) {
                Ok(r) => self.reader = Some(r),
                Err(e) => return Some(vec![self.bad(g, e)]),
            }
        }
        let reader = self.reader.as_mut()?;
        match guard(|| reader.next().transpose().map_err(anyhow::Error::from)) {
            Ok(Some(batch)) => {
                let out = self.cells.events(&batch, self.row);
                self.row += batch.num_rows() as u64;
                Some(out)
            }
            Ok(None) => {
                self.reader = None;
                Some(Vec::new())
            }
            Err(e) => {
                self.reader = None;
                Some(vec![self.bad(self.next - 1, e)])
            }
        }
    }

    fn open_group(&self, g: usize) -> Result<ParquetRecordBatchReader> {
        let rg = self.meta.metadata().row_group(g);
        // progress: a row group's bytes count as read when it opens
        crate::meter::count(rg.compressed_size().max(0) as u64);
        // Rows per batch from the group's decoded size, so a group of megabyte cells does not
        // become a gigabyte batch.
        let bytes: i64 = rg
            .columns()
            .iter()
            .map(|c| c.uncompressed_size().max(0))
            .fold(0i64, i64::saturating_add);
        Ok(
            ParquetRecordBatchReaderBuilder::new_with_metadata(self.file.dup()?, self.meta.clone())
                .with_row_groups(vec![g])
                .with_batch_size(batch_rows(bytes, rg.num_rows()))
                .build()?,
        )
    }

    /// File row number of the first row of group `g` (from the footer, so keys stay stable
    /// when an earlier group is damaged).
    fn group_start(&self, g: usize) -> u64 {
        let groups = self.meta.metadata().row_groups();
        groups
            .get(..g)
            .unwrap_or_default()
            .iter()
            .map(|rg| rg.num_rows().max(0) as u64)
            .fold(0u64, u64::saturating_add)
    }

    fn bad(&self, g: usize, e: anyhow::Error) -> Event {
        Event::skip(
            "bad_parquet",
            self.row,
            format!(
                "{}: row group {g} from row {}: {e:#} (rest of the row group skipped)",
                self.cells.name, self.row
            ),
        )
    }
}

/// Rows per batch for a row group of `rows` rows whose read columns decode to `bytes`:
/// about [`BATCH_BYTES`] per batch, 1 to 1024 rows (the footer's sizes may be damaged).
fn batch_rows(bytes: i64, rows: i64) -> usize {
    let per_row = (bytes.max(0) / rows.max(1)).max(1);
    (BATCH_BYTES / per_row).clamp(1, 1024) as usize
}

/// Turns a batch's cells into events.
struct Cells {
    /// Text, id and url column names.
    fields: [String; 3],
    name: String,
    stem: String,
    file_idx: u32,
    max: usize,
}

fn column(batch: &RecordBatch, name: &str) -> Option<ArrayRef> {
    batch.column_by_name(name).cloned()
}

/// A string cell of any Arrow string layout; numbers are rendered (ids are often integers).
fn cell(col: &Option<ArrayRef>, i: usize) -> Option<String> {
    let col = col.as_ref()?;
    if col.is_null(i) {
        return None;
    }
    let any = col.as_any();
    if let Some(a) = any.downcast_ref::<StringArray>() {
        return Some(a.value(i).to_string());
    }
    if let Some(a) = any.downcast_ref::<LargeStringArray>() {
        return Some(a.value(i).to_string());
    }
    if let Some(a) = any.downcast_ref::<StringViewArray>() {
        return Some(a.value(i).to_string());
    }
    if let Some(a) = any.downcast_ref::<arrow_array::Int64Array>() {
        return Some(a.value(i).to_string());
    }
    if let Some(a) = any.downcast_ref::<arrow_array::Int32Array>() {
        return Some(a.value(i).to_string());
    }
    None
}

impl Cells {
    fn events(&self, batch: &RecordBatch, row0: u64) -> Vec<Event> {
        let [text_f, id_f, url_f] = &self.fields;
        let text = column(batch, text_f);
        let id = column(batch, id_f);
        let url = column(batch, url_f);
        let text_is_str = text.as_ref().is_some_and(|t| {
            let any: &dyn std::any::Any = t.as_any();
            any.is::<StringArray>() || any.is::<LargeStringArray>() || any.is::<StringViewArray>()
        });
        let name = &self.name;
        let extra: Vec<(&String, &ArrayRef)> = batch
            .schema_ref()
            .fields()
            .iter()
            .map(|f| f.name())
            .zip(batch.columns())
            .filter(|(n, _)| !self.fields.contains(n))
            .collect();
        (0..batch.num_rows())
            .map(|i| {
                let row = row0 + i as u64;
                let Some(t) = cell(&text, i).filter(|_| text_is_str) else {
                    return Event::skip(
                        "bad_no_text",
                        row,
                        format!("{name}: row {row}: `{text_f}` is null or not a string"),
                    );
                };
                if t.len() > self.max {
                    return Event::skip(
                        "bad_too_large",
                        row,
                        format!(
                            "{name}: row {row}: {} byte text over max_doc_bytes",
                            t.len()
                        ),
                    );
                }
                let id = cell(&id, i).unwrap_or_else(|| format!("{}/{row}", self.stem));
                let mut doc = Doc::from_text(id, t);
                doc.url = cell(&url, i);
                doc.key = DocKey::new(self.file_idx, row);
                doc.source = format!("{name}:{row}");
                let m: serde_json::Map<String, serde_json::Value> = extra
                    .iter()
                    .map(|(n, c)| (n.to_string(), crate::arrow_json::cell(c.as_ref(), i)))
                    .collect();
                let fields = self.fields.each_ref().map(String::as_str);
                if let Some(meta) = crate::jsonl::extra_fields(serde_json::Value::Object(m), fields)
                {
                    doc.meta.insert(crate::jsonl::METADATA.into(), meta.into());
                }
                Event::Doc(Box::new(doc))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::Int64Array;
    use arrow_schema::{DataType, Field, Schema};
    use std::sync::Arc;

    #[test]
    fn batches_are_cut_by_decoded_bytes() {
        assert_eq!(
            batch_rows(1000 * 1024, 1000),
            1024,
            "small rows: full batches"
        );
        assert_eq!(batch_rows(100 << 20, 100), 64, "1 MiB rows: 64 MiB batches");
        assert_eq!(batch_rows(10 << 30, 2), 1, "5 GiB rows: one at a time");
        assert_eq!(batch_rows(-5, 0), 1024, "damaged sizes stay in range");
    }

    #[test]
    fn reads_text_column_in_batches() {
        let dir = std::env::temp_dir().join(format!("skypile-pq-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("a.parquet");
        let schema = Arc::new(Schema::new(vec![
            Field::new("content", DataType::Utf8, true),
            Field::new("id", DataType::Int64, false),
            Field::new("other", DataType::Utf8, true),
        ]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(StringArray::from(vec![Some("中文"), None, Some("hello")])),
                Arc::new(Int64Array::from(vec![10, 11, 12])),
                Arc::new(StringArray::from(vec![Some("x"), Some("y"), Some("z")])),
            ],
        )
        .unwrap();
        let mut w =
            parquet::arrow::ArrowWriter::try_new(std::fs::File::create(&p).unwrap(), schema, None)
                .unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
        let cfg = InputConfig {
            text_field: "content".into(),
            ..Default::default()
        };
        let ev: Vec<Event> = read(&p, 3, &cfg).unwrap().collect();
        assert_eq!(ev.len(), 3);
        assert!(
            matches!(&ev[0], Event::Doc(d) if d.text() == "中文" && d.id == "10" && d.key == DocKey::new(3, 0) && d.url.is_none())
        );
        assert!(matches!(&ev[1], Event::Skip { reason, .. } if reason == "bad_no_text"));
        assert!(matches!(&ev[2], Event::Doc(d) if d.text() == "hello"));
        let Event::Doc(d) = &ev[2] else { panic!() };
        let meta = d.meta.get(crate::jsonl::METADATA).and_then(|v| v.as_str());
        assert_eq!(
            meta,
            Some(r#"{"other":"z"}"#),
            "other columns kept as metadata"
        );
        assert!(
            read(&p, 0, &InputConfig::default()).is_err(),
            "no `text` column is a config error"
        );
    }
}
