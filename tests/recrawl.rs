//! Issue #23: a crawl read several times (the same snapshot listed again, overlapping
//! snapshots) keeps what one read keeps: one copy of each page, nothing erased as
//! "boilerplate" because it was seen again. The quickstart input is linked N times into a
//! temporary folder (symlinks, nothing copied) and run through the quickstart pipeline.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::{run_cmd, tmp};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A folder holding the quickstart input `n` times (`c00-…`, `c01-…`: read in that order).
fn copies(tag: &str, n: usize) -> PathBuf {
    let dir = tmp(&format!("{tag}-in{n}"));
    for c in 0..n {
        for f in ["web/sample.warc.gz", "text/sample.jsonl"] {
            let src = root().join("sample_data").join(f);
            let name = format!("c{c:02}-{}", f.rsplit('/').next().unwrap_or(f));
            std::os::unix::fs::symlink(&src, dir.join(name)).unwrap();
        }
    }
    dir
}

/// Kept docs as (id, text) → how many times each was written.
fn run(tag: &str, pipeline: &Path, n: usize) -> BTreeMap<(String, String), usize> {
    let input = copies(tag, n);
    let out = input.with_file_name(format!("{}-out", input.display()));
    let _ = std::fs::remove_dir_all(&out);
    let o = run_cmd(pipeline, &input, &out)
        .args(["--tasks", "3", "--workers", "2"])
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{n} copies: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    common::assert_no_panics(&out);
    let mut kept = BTreeMap::new();
    for r in common::string_rows(&out, &["id", "text"]) {
        let key = (
            r[0].clone().unwrap_or_default(),
            r[1].clone().unwrap_or_default(),
        );
        *kept.entry(key).or_insert(0) += 1;
    }
    let _ = std::fs::remove_dir_all(&out);
    let _ = std::fs::remove_dir_all(&input);
    kept
}

fn assert_same(tag: &str, pipeline: &Path, ns: &[usize]) {
    let once = run(tag, pipeline, 1);
    assert!(once.len() > 30, "the quickstart keeps {} docs", once.len());
    assert!(once.values().all(|&k| k == 1));
    for &n in ns {
        let many = run(tag, pipeline, n);
        let extra: Vec<_> = many.iter().filter(|(_, k)| **k > 1).collect();
        assert!(extra.is_empty(), "{n} copies: docs kept twice: {extra:?}");
        let lost: Vec<&String> = once
            .keys()
            .filter(|k| !many.contains_key(*k))
            .map(|k| &k.0)
            .collect();
        let new: Vec<&String> = many
            .keys()
            .filter(|k| !once.contains_key(*k))
            .map(|k| &k.0)
            .collect();
        assert!(
            lost.is_empty() && new.is_empty(),
            "{n} copies vs 1: lost {lost:?}, changed or new {new:?}"
        );
    }
}

#[test]
fn the_quickstart_read_1_2_12_and_40_times_keeps_the_same_documents() {
    assert_same(
        "qs",
        &root().join("pipelines/quickstart.yaml"),
        &[2, 12, 40],
    );
}

/// The counting, not the order, is what protects pages: with `line_dedup` moved before
/// exact and URL dedup (the order of issue #23), 12 reads still keep what one read keeps.
#[test]
fn line_counting_before_exact_dedup_is_not_fooled_by_copies() {
    let yaml = std::fs::read_to_string(root().join("pipelines/quickstart.yaml")).unwrap();
    let mut lines: Vec<String> = yaml
        .lines()
        .filter(|l| !l.contains("- url_dedup:") && !l.contains("- exact_dedup:"))
        .map(|l| {
            l.replace(
                "../sample_data",
                &root().join("sample_data").to_string_lossy(),
            )
        })
        .collect();
    let at = lines.iter().position(|l| l.contains("- minhash:")).unwrap();
    lines.insert(at, "  - exact_dedup: {}".into());
    let dir = tmp("yaml");
    let p = dir.join("late-exact.yaml");
    std::fs::write(&p, lines.join("\n")).unwrap();
    let v = common::bin().arg("validate").arg(&p).output().unwrap();
    let err = String::from_utf8_lossy(&v.stderr);
    assert!(v.status.success() && err.contains("warning: step"), "{err}");
    assert_same("late", &p, &[12]);
}
