//! The quickstart against the ground truth of sample_data/MANIFEST.md (written by
//! scripts/sample/make_sample_data.py): good articles are kept, junk, foreign-language pages and
//! leaks are dropped, and exactly one document of every duplicate cluster survives.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

struct Row {
    key: String, // url (WARC) or id (JSONL)
    cluster: String,
    expect: String,
    reason: String,
}

fn manifest_rows(root: &Path) -> Vec<Row> {
    let text = std::fs::read_to_string(root.join("sample_data/MANIFEST.md"))
        .expect("sample_data/MANIFEST.md");
    let mut rows = Vec::new();
    let mut header: Vec<String> = Vec::new();
    for line in text.lines() {
        if !line.starts_with('|') {
            header.clear();
            continue;
        }
        let cells: Vec<String> = line
            .trim_matches('|')
            .split('|')
            .map(|c| c.trim().to_string())
            .collect();
        if cells.first().is_some_and(|c| c == "#") {
            header = cells;
            continue;
        }
        if header.is_empty() || cells.iter().all(|c| c.chars().all(|x| x == '-')) {
            continue;
        }
        let get = |name: &str| {
            header
                .iter()
                .position(|h| h == name)
                .and_then(|i| cells.get(i))
                .cloned()
                .unwrap_or_default()
        };
        let key = if header.iter().any(|h| h == "url") {
            get("url")
        } else {
            get("id")
        };
        if get("expect").is_empty() {
            continue;
        }
        rows.push(Row {
            key,
            cluster: get("cluster"),
            expect: get("expect"),
            reason: get("reason"),
        });
    }
    rows
}

fn kept(out: &Path) -> (BTreeSet<String>, BTreeMap<String, String>) {
    let mut keys = BTreeSet::new();
    let mut texts = BTreeMap::new();
    for r in common::string_rows(out, &["id", "url", "text"]) {
        let text = r[2].clone().unwrap_or_default();
        for k in r[..2].iter().flatten() {
            keys.insert(k.clone());
            texts.insert(k.clone(), text.clone());
        }
    }
    (keys, texts)
}

#[test]
fn quickstart_keeps_good_drops_junk_and_one_per_cluster() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let rows = manifest_rows(root);
    assert!(rows.len() > 80, "manifest parsed {} rows", rows.len());
    let out = common::tmp("expect");
    common::run_ok(
        common::quiet()
            .args(["run", "pipelines/quickstart.yaml", "--output"])
            .arg(&out),
    );
    common::assert_no_panics(&out);
    let (keys, texts) = kept(&out);

    let mut errors = Vec::new();
    let mut clusters: BTreeMap<&str, Vec<&Row>> = BTreeMap::new();
    for r in &rows {
        match r.expect.as_str() {
            "keep" if !keys.contains(&r.key) => {
                errors.push(format!("good doc dropped: {} ({})", r.key, r.reason))
            }
            "drop" if keys.contains(&r.key) => {
                errors.push(format!("junk kept: {} ({})", r.key, r.reason))
            }
            "keep-one" => clusters.entry(r.cluster.as_str()).or_default().push(r),
            _ => {}
        }
    }
    for (c, members) in &clusters {
        let n = members.iter().filter(|r| keys.contains(&r.key)).count();
        if n != 1 {
            let names: Vec<&str> = members.iter().map(|r| r.key.as_str()).collect();
            errors.push(format!(
                "cluster {c}: {n} of {names:?} kept, expected exactly 1"
            ));
        }
    }
    assert!(
        errors.is_empty(),
        "{} mismatches:\n{}",
        errors.len(),
        errors.join("\n")
    );

    // PII is redacted in the kept page, and no planted value survives anywhere.
    let all: String = texts.values().cloned().collect();
    for planted in ["13812345678", "110105195610234513", "203.0.113.45"] {
        assert!(!all.contains(planted), "{planted} not redacted");
    }
    assert!(
        all.contains("<PHONE>") || all.contains("<ID_NUMBER>"),
        "redaction placeholders present"
    );
}
