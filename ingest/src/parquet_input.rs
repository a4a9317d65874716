//! Parquet input: one document per row, text from a configurable column (`text_field`), optional
//! id/url columns. Only those columns are read, in batches, so memory stays at one row group.

use std::path::Path;

use anyhow::{Context, Result, bail};
use arrow_array::{Array, ArrayRef, LargeStringArray, RecordBatch, StringArray, StringViewArray};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use skypile_core::{Doc, DocKey};

use crate::{Event, Events, InputConfig};

pub fn read(path: &Path, file_idx: u32, cfg: &InputConfig) -> Result<Events> {
    let file =
        std::fs::File::open(path).with_context(|| format!("opening input {}", path.display()))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file)
        .with_context(|| format!("{}: not a readable Parquet file", path.display()))?;
    let schema = builder.schema().clone();
    let index = |name: &str| schema.fields().iter().position(|f| f.name() == name);
    let Some(text_idx) = index(&cfg.text_field) else {
        let cols: Vec<&String> = schema.fields().iter().map(|f| f.name()).collect();
        bail!(
            "{}: no column `{}` (set input.text_field; columns: {cols:?})",
            path.display(),
            cfg.text_field
        );
    };
    let wanted: Vec<usize> = [Some(text_idx), index(&cfg.id_field), index(&cfg.url_field)]
        .into_iter()
        .flatten()
        .collect();
    let mask = ProjectionMask::roots(builder.parquet_schema(), wanted);
    let reader = builder
        .with_projection(mask)
        .with_batch_size(1024)
        .build()?;
    let name = path.display().to_string();
    let stem = name
        .rsplit('/')
        .next()
        .unwrap_or(&name)
        .split('.')
        .next()
        .unwrap_or("")
        .to_string();
    let (text_f, id_f, url_f) = (
        cfg.text_field.clone(),
        cfg.id_field.clone(),
        cfg.url_field.clone(),
    );
    let mut row = 0u64;
    let batches = reader.flat_map(move |batch| -> Vec<Event> {
        let batch = match batch {
            Ok(b) => b,
            Err(e) => {
                return vec![Event::skip(
                    "bad_parquet",
                    row,
                    format!("{name}: row {row}: {e}"),
                )];
            }
        };
        let out = batch_events(
            &batch,
            (&text_f, &id_f, &url_f),
            &name,
            &stem,
            file_idx,
            row,
        );
        row += batch.num_rows() as u64;
        out
    });
    Ok(Box::new(batches))
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

fn batch_events(
    batch: &RecordBatch,
    fields: (&str, &str, &str),
    name: &str,
    stem: &str,
    file_idx: u32,
    row0: u64,
) -> Vec<Event> {
    let text = column(batch, fields.0);
    let id = column(batch, fields.1);
    let url = column(batch, fields.2);
    let text_is_str = text.as_ref().is_some_and(|t| {
        let any: &dyn std::any::Any = t.as_any();
        any.is::<StringArray>() || any.is::<LargeStringArray>() || any.is::<StringViewArray>()
    });
    (0..batch.num_rows())
        .map(|i| {
            let row = row0 + i as u64;
            let Some(t) = cell(&text, i).filter(|_| text_is_str) else {
                return Event::skip(
                    "bad_no_text",
                    row,
                    format!("{name}: row {row}: `{}` is null or not a string", fields.0),
                );
            };
            let mut doc =
                Doc::from_text(cell(&id, i).unwrap_or_else(|| format!("{stem}/{row}")), t);
            doc.url = cell(&url, i);
            doc.key = DocKey::new(file_idx, row);
            doc.source = format!("{name}:{row}");
            Event::Doc(Box::new(doc))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::Int64Array;
    use arrow_schema::{DataType, Field, Schema};
    use std::sync::Arc;

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
        assert!(
            read(&p, 0, &InputConfig::default()).is_err(),
            "no `text` column is a config error"
        );
    }
}
