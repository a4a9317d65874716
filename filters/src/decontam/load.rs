//! Reading benchmark files (JSONL, JSON, CSV, Parquet) into items, at build time.
//!
//! Every problem is an error naming the file, the line (or record) and the field, raised before
//! any document is processed: a benchmark silently read as empty would make decontamination a
//! no-op nobody notices.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow, bail};
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::Field;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// From the extension: `.jsonl`/`.ndjson`, `.json`, `.csv`, `.parquet`.
    #[default]
    Auto,
    Jsonl,
    Json,
    Csv,
    Parquet,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BenchmarkSpec {
    /// Used in the drop reason `decontam:<name>` and counters: letters, digits, `_`, `-`.
    pub name: String,
    pub path: String,
    #[serde(default)]
    pub format: Format,
    /// Fields whose values (strings, numbers, lists) form the item text, in order.
    pub fields: Vec<String>,
    /// Field holding the item id; without it the id is `line N` / `record N` / `row N`.
    #[serde(default)]
    pub id_field: Option<String>,
}

/// Read every configured benchmark (names checked: they become counter names and drop reasons).
pub fn read_benchmarks(
    specs: &[BenchmarkSpec],
    resolve: impl Fn(&str) -> PathBuf,
) -> Result<Vec<(String, Vec<Item>)>> {
    let mut loaded = Vec::new();
    for (b, spec) in specs.iter().enumerate() {
        let ok = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
        if spec.name.is_empty() || !spec.name.chars().all(ok) {
            bail!(
                "decontam: benchmark name {:?} must be letters, digits, `_` or `-`",
                spec.name
            );
        }
        if specs.iter().take(b).any(|o| o.name == spec.name) {
            bail!("decontam: benchmark name {:?} is used twice", spec.name);
        }
        let items = read_items(
            &resolve(&spec.path),
            spec.format,
            &spec.fields,
            spec.id_field.as_deref(),
        )?;
        loaded.push((spec.name.clone(), items));
    }
    Ok(loaded)
}

/// One benchmark item: its id (from `id_field`, else its line/record number) and its text.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub id: String,
    pub text: String,
}

/// Read all items of one file; `fields` are joined in order with newlines.
pub fn read_items(
    path: &Path,
    format: Format,
    fields: &[String],
    id_field: Option<&str>,
) -> Result<Vec<Item>> {
    let shown = path.display();
    if fields.is_empty() {
        bail!("benchmark file {shown}: `fields` is empty: name the fields that form the item text");
    }
    let format = match format {
        Format::Auto => detect(path)?,
        f => f,
    };
    let file = File::open(path).map_err(|e| anyhow!("benchmark file {shown}: cannot open: {e}"))?;
    let mut items = Vec::new();
    let mut seen = vec![false; fields.len()];
    let mut push = |loc: String, rec: &Map<String, Value>| -> Result<()> {
        for (s, f) in seen.iter_mut().zip(fields) {
            *s |= rec.contains_key(f);
        }
        items.push(
            item_of(rec, fields, id_field, &loc)
                .map_err(|e| anyhow!("benchmark file {shown}, {loc}: {e}"))?,
        );
        Ok(())
    };
    match format {
        Format::Jsonl | Format::Auto => {
            for (i, line) in BufReader::new(file).lines().enumerate() {
                let line = line.map_err(|e| {
                    anyhow!("benchmark file {shown}, line {}: unreadable: {e}", i + 1)
                })?;
                if line.trim().is_empty() {
                    continue;
                }
                let v: Value = serde_json::from_str(&line).map_err(|e| {
                    anyhow!(
                        "benchmark file {shown}, line {}: not valid JSON: {e}",
                        i + 1
                    )
                })?;
                let Value::Object(rec) = v else {
                    bail!(
                        "benchmark file {shown}, line {}: expected a JSON object per line",
                        i + 1
                    )
                };
                push(format!("line {}", i + 1), &rec)?;
            }
        }
        Format::Json => {
            let v: Value = serde_json::from_reader(BufReader::new(file)).map_err(|e| {
                anyhow!(
                    "benchmark file {shown}: not valid JSON ({e}); JSON lines need format: jsonl"
                )
            })?;
            // Either a top-level array or an object holding exactly one array (`{"data": [...]}`).
            let arr = match v {
                Value::Array(a) => a,
                Value::Object(m) if m.values().filter(|v| v.is_array()).count() == 1 => m
                    .into_iter()
                    .find_map(|(_, v)| {
                        if let Value::Array(a) = v {
                            Some(a)
                        } else {
                            None
                        }
                    })
                    .unwrap_or_default(),
                _ => bail!("benchmark file {shown}: expected an array of objects at the top level"),
            };
            for (i, v) in arr.iter().enumerate() {
                let Value::Object(rec) = v else {
                    bail!("benchmark file {shown}, record {}: not an object", i + 1)
                };
                push(format!("record {}", i + 1), rec)?;
            }
        }
        Format::Csv => {
            let mut rdr = csv::Reader::from_reader(file);
            let headers = rdr
                .headers()
                .map_err(|e| anyhow!("benchmark file {shown}: bad CSV header: {e}"))?
                .clone();
            check_columns(path, headers.iter(), fields)?;
            for row in rdr.records() {
                let row = row.map_err(|e| anyhow!("benchmark file {shown}: bad CSV row: {e}"))?;
                let line = row.position().map_or(0, |p| p.line());
                let rec = headers
                    .iter()
                    .zip(row.iter())
                    .map(|(h, v)| (h.to_string(), Value::from(v)))
                    .collect();
                push(format!("line {line}"), &rec)?;
            }
        }
        Format::Parquet => {
            let reader = SerializedFileReader::new(file)
                .map_err(|e| anyhow!("benchmark file {shown}: not Parquet: {e}"))?;
            let schema = reader.metadata().file_metadata().schema_descr_ptr();
            check_columns(
                path,
                schema.root_schema().get_fields().iter().map(|f| f.name()),
                fields,
            )?;
            let rows = reader
                .get_row_iter(None)
                .map_err(|e| anyhow!("benchmark file {shown}: unreadable rows: {e}"))?;
            for (i, row) in rows.enumerate() {
                let row = row.map_err(|e| {
                    anyhow!("benchmark file {shown}, row {}: unreadable: {e}", i + 1)
                })?;
                let rec = row
                    .get_column_iter()
                    .map(|(k, f)| (k.clone(), json_of(f)))
                    .collect();
                push(format!("row {}", i + 1), &rec)?;
            }
        }
    }
    if items.is_empty() {
        bail!("benchmark file {shown}: no items");
    }
    // A field no record has is a typo in the YAML, not a sparse column.
    if let Some((f, _)) = fields.iter().zip(&seen).find(|(_, s)| !**s) {
        bail!("benchmark file {shown}: field `{f}` is in no record");
    }
    Ok(items)
}

fn detect(path: &Path) -> Result<Format> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    Ok(match ext.as_str() {
        "jsonl" | "ndjson" => Format::Jsonl,
        "json" => Format::Json,
        "csv" => Format::Csv,
        "parquet" => Format::Parquet,
        _ => bail!(
            "benchmark file {}: unknown extension; set `format: jsonl|json|csv|parquet`",
            path.display()
        ),
    })
}

/// Tabular files: a field missing from the header is an error for the whole file, up front.
fn check_columns<'a>(
    path: &Path,
    cols: impl Iterator<Item = &'a str>,
    fields: &[String],
) -> Result<()> {
    let cols: Vec<&str> = cols.collect();
    if let Some(f) = fields.iter().find(|f| !cols.contains(&f.as_str())) {
        bail!(
            "benchmark file {}: field `{f}` is not a column (columns: {})",
            path.display(),
            cols.join(", ")
        );
    }
    Ok(())
}

fn item_of(
    rec: &Map<String, Value>,
    fields: &[String],
    id_field: Option<&str>,
    loc: &str,
) -> Result<Item> {
    let mut parts = Vec::new();
    for f in fields {
        if let Some(v) = rec.get(f) {
            flatten(v, &mut parts);
        }
    }
    if parts.is_empty() {
        let keys: Vec<&str> = rec.keys().map(String::as_str).collect();
        bail!(
            "none of the fields {} has text (keys present: {})",
            fields.join(", "),
            keys.join(", ")
        );
    }
    let id = match id_field {
        Some(f) => match rec.get(f) {
            Some(Value::String(s)) => s.clone(),
            Some(v @ Value::Number(_)) => v.to_string(),
            _ => bail!("id field `{f}` is missing or not a string/number"),
        },
        None => loc.to_string(),
    };
    Ok(Item {
        id,
        text: parts.join("\n"),
    })
}

fn flatten(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) if !s.trim().is_empty() => out.push(s.clone()),
        Value::Number(_) | Value::Bool(_) => out.push(v.to_string()),
        Value::Array(a) => a.iter().for_each(|x| flatten(x, out)),
        Value::Object(m) => m.values().for_each(|x| flatten(x, out)),
        _ => {}
    }
}

fn json_of(f: &Field) -> Value {
    match f {
        Field::Null => Value::Null,
        Field::Str(s) => Value::from(s.as_str()),
        Field::Bytes(b) => Value::from(String::from_utf8_lossy(b.data()).into_owned()),
        Field::ListInternal(l) => Value::Array(l.elements().iter().map(json_of).collect()),
        other => Value::from(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str, body: &str) -> std::path::PathBuf {
        let dir =
            std::env::temp_dir().join(format!("skypile-decontam-load-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let p = dir.join(name);
        let _ = std::fs::write(&p, body);
        p
    }
    fn f(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn jsonl_json_csv_read_the_same_items() {
        let fields = f(&["question", "choices"]);
        let a = tmp(
            "a.jsonl",
            "{\"id\":1,\"question\":\"Q one\",\"choices\":[\"x\",\"y\"]}\n\n{\"id\":\"b\",\"question\":\"Q two\"}\n",
        );
        let items = read_items(&a, Format::Auto, &fields, Some("id")).unwrap_or_default();
        assert_eq!(
            items,
            vec![
                Item {
                    id: "1".into(),
                    text: "Q one\nx\ny".into()
                },
                Item {
                    id: "b".into(),
                    text: "Q two".into()
                }
            ]
        );
        let j = tmp(
            "a.json",
            "{\"data\": [{\"question\":\"Q one\",\"choices\":[\"x\",\"y\"]}]}",
        );
        let items = read_items(&j, Format::Auto, &fields, None).unwrap_or_default();
        assert_eq!(
            items,
            vec![Item {
                id: "record 1".into(),
                text: "Q one\nx\ny".into()
            }]
        );
        let c = tmp("a.csv", "question,choices,id\n\"Q, one\",x,7\n");
        let items = read_items(&c, Format::Auto, &fields, Some("id")).unwrap_or_default();
        assert_eq!(
            items,
            vec![Item {
                id: "7".into(),
                text: "Q, one\nx".into()
            }]
        );
    }

    #[test]
    fn bad_files_name_file_line_and_field() {
        let fields = f(&["question", "A"]);
        let err = |p: &Path, fmt| {
            read_items(p, fmt, &fields, None)
                .err()
                .map(|e| format!("{e:#}"))
                .unwrap_or_default()
        };
        let missing = Path::new("/nonexistent/bench.jsonl");
        assert!(err(missing, Format::Auto).contains("/nonexistent/bench.jsonl"));
        let bad = tmp("bad.jsonl", "{\"question\":\"ok\"}\n{\"question\": oops}\n");
        let e = err(&bad, Format::Auto);
        assert!(
            e.contains("bad.jsonl") && e.contains("line 2") && e.contains("not valid JSON"),
            "{e}"
        );
        let nofield = tmp(
            "nofield.jsonl",
            "{\"question\":\"ok\"}\n{\"prompt\":\"x\"}\n",
        );
        let e = err(&nofield, Format::Auto);
        assert!(
            e.contains("nofield.jsonl")
                && e.contains("line 2")
                && e.contains("question, A")
                && e.contains("prompt"),
            "{e}"
        );
        let csv = tmp("nofield.csv", "prompt,B\nx,y\n");
        let e = err(&csv, Format::Auto);
        assert!(e.contains("nofield.csv") && e.contains("`question`"), "{e}");
        let ext = tmp("bench.txt", "x");
        assert!(err(&ext, Format::Auto).contains("unknown extension"));
        let e = read_items(&nofield, Format::Jsonl, &fields, Some("id"))
            .err()
            .map(|e| format!("{e:#}"))
            .unwrap_or_default();
        assert!(e.contains("line 1") && e.contains("`id`"), "{e}");
        let typo = tmp("typo.jsonl", "{\"question\":\"ok\"}\n");
        let e = read_items(&typo, Format::Jsonl, &fields, None)
            .err()
            .map(|e| format!("{e:#}"))
            .unwrap_or_default();
        assert!(
            e.contains("typo.jsonl") && e.contains("`A`") && e.contains("no record"),
            "{e}"
        );
    }

    #[test]
    fn parquet_reads_string_columns_and_checks_the_schema() {
        use std::sync::Arc;

        use parquet::data_type::{ByteArray, ByteArrayType};
        use parquet::file::writer::SerializedFileWriter;
        use parquet::schema::parser::parse_message_type;

        let path = tmp("bench.parquet", "");
        let schema = "message m { required binary id (UTF8); required binary question (UTF8); }";
        let Ok(schema) = parse_message_type(schema) else {
            panic!("schema")
        };
        let Ok(file) = File::create(&path) else {
            panic!("create")
        };
        let Ok(mut w) = SerializedFileWriter::new(file, Arc::new(schema), Default::default())
        else {
            panic!("writer")
        };
        let Ok(mut rg) = w.next_row_group() else {
            panic!("row group")
        };
        for col in [["q1", "q2"], ["第一题的题干", "Second question"]] {
            let Ok(Some(mut c)) = rg.next_column() else {
                panic!("column")
            };
            let vals: Vec<ByteArray> = col.iter().map(|s| ByteArray::from(*s)).collect();
            assert!(
                c.typed::<ByteArrayType>()
                    .write_batch(&vals, None, None)
                    .is_ok()
            );
            assert!(c.close().is_ok());
        }
        assert!(rg.close().is_ok() && w.close().is_ok());
        let items =
            read_items(&path, Format::Auto, &f(&["question"]), Some("id")).unwrap_or_default();
        assert_eq!(
            items,
            vec![
                Item {
                    id: "q1".into(),
                    text: "第一题的题干".into()
                },
                Item {
                    id: "q2".into(),
                    text: "Second question".into()
                }
            ]
        );
        let e = read_items(&path, Format::Auto, &f(&["prompt"]), None)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("bench.parquet") && e.contains("`prompt`"), "{e}");
    }
}
