//! Integration tier: every WARC/ARC/WET in ../shared/data/warc (see its MANIFEST.md).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use skypile_ingest::{Event, InputConfig};

fn data_dir() -> Option<PathBuf> {
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/warc");
    if d.is_dir() {
        Some(d)
    } else {
        eprintln!("skipping: ../shared/data not found");
        None
    }
}

/// Per file: docs, skip reasons with counts.
fn summarize(path: &Path) -> (usize, BTreeMap<String, usize>) {
    let cfg = InputConfig::default();
    let mut docs = 0;
    let mut skips = BTreeMap::new();
    for ev in skypile_ingest::open(path, 0, &cfg).unwrap() {
        match ev {
            Event::Doc(_) => docs += 1,
            Event::Skip { reason, .. } => *skips.entry(reason).or_insert(0) += 1,
        }
    }
    (docs, skips)
}

#[test]
fn dump_all() {
    let Some(dir) = data_dir() else { return };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .flat_map(|d| std::fs::read_dir(d.unwrap().path()).unwrap())
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for f in files {
        let n = f.to_string_lossy();
        if n.ends_with(".md") || n.ends_with(".compressed") {
            continue;
        }
        let (docs, skips) = summarize(&f);
        println!(
            "{}\tdocs={docs}\t{skips:?}",
            f.strip_prefix(&dir).unwrap().display()
        );
    }
}
