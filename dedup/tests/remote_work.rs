//! A work folder on an object store (`work_dir: s3://...`) gives the decisions of a local one:
//! every intermediate goes through skypile-storage (staged, uploaded whole, ranged reads).
//! The store is object_store's in-memory one (the S3 server tier is tests/object_store_work.rs
//! of the root crate).

use std::path::Path;

use skypile_core::{Doc, DocKey, GlobalStep};
use skypile_dedup::harness::{Order, Outcome, reduce, run, tmpdir};
use skypile_dedup::{
    ExactDedup, ExactDedupConfig, LineDedup, LineDedupConfig, Minhash, MinhashConfig,
};

/// 24 originals of 6 lines; every third is copied exactly, every fourth with one word changed,
/// and one boilerplate line recurs in half of them.
fn corpus() -> Vec<Doc> {
    let mut seed = 11u64;
    let mut word = || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        format!("w{}", (seed >> 33) % 5000)
    };
    let mut docs = Vec::new();
    for i in 0..24 {
        let mut lines: Vec<String> = (0..6)
            .map(|_| (0..14).map(|_| word()).collect::<Vec<_>>().join(" "))
            .collect();
        if i % 2 == 0 {
            lines.push("subscribe to our newsletter for weekly updates today".into());
        }
        let text = lines.join("\n");
        docs.push((format!("d{i}"), text.clone()));
        if i % 3 == 0 {
            docs.push((format!("d{i}-copy"), text.clone()));
        }
        if i % 4 == 0 {
            docs.push((format!("d{i}-near"), text.replacen(' ', " changed ", 1)));
        }
    }
    docs.into_iter()
        .enumerate()
        .map(|(n, (id, text))| {
            let mut d = Doc::from_text(id, text);
            d.key = DocKey::new((n / 5) as u32, n as u64);
            d
        })
        .collect()
}

/// Kept docs with their (possibly rewritten) text, drops, and the counters of both phases.
fn summary(o: &Outcome) -> (Vec<String>, Vec<(String, String)>, String) {
    let kept = o
        .kept
        .iter()
        .map(|d| format!("{}: {}", d.id, d.text()))
        .collect();
    let counters = format!("{:?} {:?}", o.reduce, o.apply);
    (kept, o.dropped_ids.clone(), counters)
}

/// The step run with 3 tasks in a local folder and under `s3://dedup-<name>/work` (a bucket
/// per test: tests run in parallel and each registers its own store).
fn local_and_remote(step: &dyn GlobalStep, name: &str) {
    skypile_storage::serve_from_memory(&format!("s3://dedup-{name}"));
    let local = run(step, corpus(), 3, &tmpdir(name), Order::Forward).unwrap();
    let url = format!("s3://dedup-{name}/work");
    let remote = run(step, corpus(), 3, Path::new(&url), Order::Forward).unwrap();
    let acted = !local.dropped_ids.is_empty() || !local.apply.0.is_empty();
    assert!(acted, "{name}: nothing dropped or rewritten");
    assert_eq!(summary(&local), summary(&remote), "{name}");
    let objects = skypile_storage::list_prefix(Path::new(&url)).unwrap();
    let infos = objects
        .iter()
        .filter(|(p, _)| p.to_string_lossy().ends_with(".info"))
        .count();
    assert_eq!(
        infos, 3,
        "{name}: one info object per doc task: {objects:?}"
    );
    // a missing intermediate is an error naming its URL, never an empty input
    let info = &objects
        .iter()
        .find(|(p, _)| p.to_string_lossy().ends_with("t00001.info"))
        .unwrap()
        .0;
    skypile_storage::remove(info).unwrap();
    let e = format!(
        "{:#}",
        reduce(step, 3, Path::new(&url), Order::Forward).unwrap_err()
    );
    assert!(e.contains(&*info.to_string_lossy()), "{e}");
}

#[test]
fn exact_dedup_decides_the_same_with_an_object_store_work_dir() {
    local_and_remote(&ExactDedup::new(ExactDedupConfig::default()), "exact");
}

#[test]
fn minhash_decides_the_same_with_an_object_store_work_dir() {
    local_and_remote(&Minhash::new(MinhashConfig::default()).unwrap(), "minhash");
}

#[test]
fn line_dedup_decides_the_same_with_an_object_store_work_dir() {
    let cfg = LineDedupConfig {
        max_occurrences: 3,
        min_sites: 1,
        ..Default::default()
    };
    local_and_remote(&LineDedup::new(cfg), "lines");
}
