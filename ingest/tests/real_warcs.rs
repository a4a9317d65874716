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

#[test]
fn dump_charsets() {
    let Some(dir) = data_dir() else { return };
    for f in [
        "resiliparse/warcfile.warc.gz",
        "servo-warc-tests/qq-rec-20180222114434301946-paragon.warc.gz",
        "servo-warc-tests/JD-rec-20180405000106248848-userland.warc.gz",
        "servo-warc-tests/Sina-rec-20180808064152840331-anjiadeMacBook-Pro.local.warc.gz",
        "resiliparse/clueweb-quirk.warc.gz",
    ] {
        for ev in skypile_ingest::open(&dir.join(f), 0, &InputConfig::default()).unwrap() {
            if let Event::Doc(d) = ev {
                let html = &d.raw.as_ref().unwrap().html;
                let bad = html.matches('\u{FFFD}').count();
                let zh = html
                    .chars()
                    .filter(|c| ('\u{4e00}'..='\u{9fff}').contains(c))
                    .count();
                println!(
                    "CS {} {:?} {:?} {:?} fffd={bad} han={zh} len={}",
                    d.source.rsplit('/').next().unwrap(),
                    d.url,
                    d.meta_str("charset"),
                    d.meta_str("charset_source"),
                    html.len()
                );
            }
        }
    }
}

#[test]
fn dump_gold() {
    let Some(dir) = data_dir() else { return };
    let x = dir.join("../extraction/zh-web-content-extraction");
    let mut files: Vec<PathBuf> = std::fs::read_dir(x.join("original"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for f in files {
        let bytes = std::fs::read(&f).unwrap();
        let d = skypile_ingest::charset::decode_html(&bytes, None);
        let stem = f.file_stem().unwrap().to_string_lossy().to_string();
        let gold = std::fs::read_to_string(x.join("cleaned").join(format!("{stem}.txt")))
            .unwrap_or_default();
        let probe: String = gold
            .chars()
            .filter(|c| ('\u{4e00}'..='\u{9fff}').contains(c))
            .take(6)
            .collect();
        let found = d.text.contains(&probe);
        let han: String = d
            .text
            .chars()
            .filter(|c| ('\u{4e00}'..='\u{9fff}').contains(c))
            .collect();
        let gold_han: String = gold
            .chars()
            .filter(|c| ('\u{4e00}'..='\u{9fff}').contains(c))
            .collect();
        let found2 = han.contains(&gold_han.chars().take(10).collect::<String>());
        println!(
            "GOLD {stem} {} {} fffd={} probe={probe} found={found} found2={found2}",
            d.charset,
            d.source,
            d.text.matches('\u{FFFD}').count()
        );
    }
}
