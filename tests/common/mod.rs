//! Helpers shared by the integration tests.

use std::fs::File;
use std::path::{Path, PathBuf};

use arrow_array::{Array, StringArray};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

/// Files of a directory, sorted (empty if it does not exist).
pub fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|r| r.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

/// The named string columns of every row of `out/data/*.parquet`, in shard and row order.
pub fn string_rows(out: &Path, cols: &[&str]) -> Vec<Vec<Option<String>>> {
    let mut rows = Vec::new();
    for p in files(&out.join("data")) {
        let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(&p).unwrap())
            .unwrap()
            .build()
            .unwrap();
        for b in reader {
            let b = b.unwrap();
            let arrays: Vec<&StringArray> = cols
                .iter()
                .map(|c| {
                    b.column_by_name(c)
                        .unwrap_or_else(|| panic!("no column {c}"))
                        .as_any()
                        .downcast_ref::<StringArray>()
                        .unwrap()
                })
                .collect();
            for i in 0..b.num_rows() {
                rows.push(
                    arrays
                        .iter()
                        .map(|a| (!a.is_null(i)).then(|| a.value(i).to_string()))
                        .collect(),
                );
            }
        }
    }
    rows
}
