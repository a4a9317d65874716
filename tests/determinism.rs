//! Same input and config give the same output, whatever the worker or task count; and the
//! real-data tier: `extract.yaml` over every WARC/ARC in ../shared/data/warc.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::tmp;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn run(pipeline: &str, out: &Path, extra: &[&str]) {
    let _ = std::fs::remove_dir_all(out);
    let o = common::quiet()
        .args(["run", pipeline, "--output"])
        .arg(out)
        .args(extra)
        .output()
        .unwrap();
    // 3: complete, but damaged input was skipped (the shared WARCs hold broken files on purpose)
    assert!(
        matches!(o.status.code(), Some(0 | 3)),
        "{pipeline} {extra:?}: {:?} {}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
    common::assert_no_panics(out);
}

fn rows(dir: &Path) -> BTreeSet<(String, String)> {
    common::string_rows(dir, &["id", "text"])
        .into_iter()
        .map(|r| {
            (
                r[0].clone().unwrap_or_default(),
                r[1].clone().unwrap_or_default(),
            )
        })
        .collect()
}

/// Docs of the 1-vs-2-worker test: 8 batches of `BATCH_DOCS` (512), so each worker of two
/// gets several batches and shards/removed files are cut across batch boundaries.
const WORKER_DOCS: usize = 4 * 1024;

/// Every step that works on text, with the three dedup steps (spool, reduce, later stages).
const WORKER_STEPS: &str = "\
steps:
  - normalize: {}
  - lang: {}
  - zh_variant: {}
  - exact_dedup: {}
  - line_dedup: {max_occurrences: 10}
  - gopher_repetition: {}
  - gopher_quality: {}
  - c4: {}
  - fineweb: {}
  - zh_quality: {}
  - keywords: {}
  - pii: {}
  - minhash: {}
";

#[test]
fn one_and_two_workers_write_identical_files() {
    let root = tmp("workers");
    common::write_corpus(&root.join("input"), 4, WORKER_DOCS / 4);
    let pipeline = root.join("pipeline.yaml");
    let yaml = format!(
        "name: workers\ninput:\n  paths: [{}]\noutput:\n  write_removed: true\n  shard_max_rows: 300\n{WORKER_STEPS}",
        root.join("input").display()
    );
    std::fs::write(&pipeline, yaml).unwrap();
    let (a, b) = (root.join("w1"), root.join("w2"));
    run(pipeline.to_str().unwrap(), &a, &["--workers", "1"]);
    run(pipeline.to_str().unwrap(), &b, &["--workers", "2"]);
    let stats = common::json(&a.join("stats.json"));
    for st in stats["steps"].as_array().unwrap() {
        eprintln!(
            "{} in {} kept {} {}",
            st["label"], st["in"], st["kept"], st["dropped_reasons"]
        );
    }
    assert_eq!(stats["docs_in"].as_u64(), Some(WORKER_DOCS as u64));
    let out = stats["docs_out"].as_u64().unwrap();
    assert!(out * 2 > WORKER_DOCS as u64, "most docs kept: {out}");
    let n = common::assert_same_output(&a, &b, "1 vs 2 workers");
    assert!(n > 10, "several data/removed shards expected, got {n}");
    without_removed_the_same_docs_and_counts(&root, &pipeline, &b);
    let _ = std::fs::remove_dir_all(&root);
}

/// Without `removed/`, the stages after a dedup step read only the head of a doc its key drops
/// (`Applier::drops_key`): `data/` and every step's counts must not change.
fn without_removed_the_same_docs_and_counts(root: &Path, pipeline: &Path, with: &Path) {
    let yaml = std::fs::read_to_string(pipeline).unwrap();
    let lean = root.join("lean.yaml");
    std::fs::write(
        &lean,
        yaml.replace("write_removed: true", "write_removed: false"),
    )
    .unwrap();
    let c = root.join("lean");
    run(lean.to_str().unwrap(), &c, &["--workers", "2"]);
    let data = |d: &Path| {
        common::tree(d)
            .into_iter()
            .filter(|p| p.starts_with("data/"))
    };
    let (da, dc): (Vec<_>, Vec<_>) = (data(with).collect(), data(&c).collect());
    assert_eq!(da, dc, "the same data/ shards with and without removed/");
    for rel in &da {
        let same = std::fs::read(with.join(rel)).unwrap() == std::fs::read(c.join(rel)).unwrap();
        assert!(same, "{rel} differs without removed/");
    }
    assert!(!c.join("removed").exists() || common::files(&c.join("removed")).is_empty());
    let counts = |d: &Path| -> Vec<String> {
        let st = common::json(&d.join("stats.json"));
        let steps = st["steps"].as_array().unwrap();
        let dedup_drops: u64 = steps
            .iter()
            .filter(|s| {
                s["label"].as_str().unwrap().contains("dedup")
                    || s["label"].as_str().unwrap().contains("minhash")
            })
            .filter_map(|s| s["dropped"].as_u64())
            .sum();
        assert!(
            dedup_drops > 0,
            "the corpus has duplicates for the dedup steps to drop"
        );
        steps
            .iter()
            .map(|s| {
                format!(
                    "{} {} {} {}",
                    s["label"], s["in"], s["kept"], s["dropped_reasons"]
                )
            })
            .collect()
    };
    assert_eq!(
        counts(with),
        counts(&c),
        "step counts with and without removed/"
    );
}

#[test]
fn one_and_three_tasks_keep_the_same_documents() {
    let (a, b) = (tmp("t1"), tmp("t3"));
    run("pipelines/dedup.yaml", &a, &["--tasks", "1"]);
    run("pipelines/dedup.yaml", &b, &["--tasks", "3"]);
    let ra = rows(&a);
    assert!(ra.len() > 20);
    assert_eq!(
        ra,
        rows(&b),
        "dedup keeps the same docs whatever the task count"
    );
}

#[test]
fn extract_pipeline_reads_every_shared_warc() {
    let data = root().join("../shared/data/warc");
    if !data.exists() {
        eprintln!("skipping: ../shared/data not found");
        return;
    }
    let out = tmp("shared-warc");
    run(
        "pipelines/extract.yaml",
        &out,
        &["--input", data.to_str().unwrap()],
    );
    let stats: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("stats.json")).unwrap()).unwrap();
    let docs_in = stats["docs_in"].as_u64().unwrap();
    let docs_out = stats["docs_out"].as_u64().unwrap();
    assert!(
        docs_in >= 150,
        "{docs_in} HTML responses read from the shared WARCs"
    );
    assert!(
        docs_out * 10 >= docs_in * 5,
        "extract.yaml keeps most pages: {docs_out}/{docs_in}"
    );
    let by_lang = &stats["by_lang"];
    for l in ["zh", "en", "ja", "ru", "de"] {
        assert!(
            by_lang[l]["docs"].as_u64().unwrap_or(0) > 0,
            "no {l} docs labelled: {by_lang}"
        );
    }
    // Every kept Chinese page decoded cleanly: no replacement characters.
    for r in common::string_rows(&out, &["lang", "text", "source"]) {
        let (lang, text, src) = (
            r[0].as_deref(),
            r[1].as_deref().unwrap_or(""),
            r[2].as_deref().unwrap_or(""),
        );
        if lang == Some("zh") {
            let bad = text.matches('\u{FFFD}').count();
            assert!(bad * 1000 <= text.chars().count(), "{src}: {bad} U+FFFD");
        }
    }
}

/// The shared no-panic check fails on each kind of panic counter a run can write.
#[test]
fn the_no_panic_check_sees_step_and_reader_panics() {
    let dir = tmp("panic-check");
    let check = |counters: serde_json::Value| {
        let stats = serde_json::json!({"counters": counters, "steps": []});
        std::fs::write(dir.join("stats.json"), stats.to_string()).unwrap();
        std::panic::catch_unwind(|| common::assert_no_panics(&dir)).is_ok()
    };
    assert!(check(
        serde_json::json!({"02.lang.kept": 3, "02.lang.dropped_panic": 0})
    ));
    assert!(!check(serde_json::json!({"02.lang.dropped_panic": 1})));
    assert!(!check(serde_json::json!({"ingest.bad_reader_panic": 2})));
    assert!(!check(serde_json::json!({"03.minhash.panic": 1})));
    let _ = std::fs::remove_dir_all(&dir);
}
