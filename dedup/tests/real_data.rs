//! Integration tier on real text from `../shared/data` (skipped when it is missing).

use std::path::Path;

use skypile_core::{Doc, DocKey};
use skypile_dedup::harness::{Order, run, tmpdir};
use skypile_dedup::{Minhash, MinhashConfig};

fn data() -> Option<std::path::PathBuf> {
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data");
    if d.exists() {
        Some(d)
    } else {
        println!("skipping: ../shared/data not found");
        None
    }
}

/// Clough & Stevenson: answers that copy their Wikipedia source almost verbatim go, answers
/// written independently ("non") stay, whatever the task count.
#[test]
fn plagiarised_answers_cluster_with_their_source_and_independent_ones_do_not() {
    let Some(data) = data() else { return };
    let dir = data.join("neardup/clough-stevenson");
    let info = std::fs::read_to_string(dir.join("file_information.csv")).unwrap();
    let read = |f: &str| String::from_utf8_lossy(&std::fs::read(dir.join(f)).unwrap()).into_owned();
    let mut docs = Vec::new();
    let mut class = std::collections::HashMap::new();
    for (i, line) in info.lines().skip(1).enumerate() {
        let f: Vec<&str> = line.split(',').collect();
        let name = if f[2] == "orig" {
            format!("orig_task{}.txt", f[1])
        } else {
            f[0].to_string()
        };
        let mut d = Doc::from_text(name.clone(), read(&name));
        // sources first, so the answers are the later copies
        d.key = DocKey::new(if f[2] == "orig" { 0 } else { 1 }, i as u64);
        class.insert(name, f[2].to_string());
        docs.push(d);
    }
    let mh = Minhash::new(MinhashConfig::default()).unwrap();
    let mut prev = None;
    for tasks in [1, 3] {
        let out = run(
            &mh,
            docs.clone(),
            tasks,
            &tmpdir(&format!("clough-{tasks}")),
            Order::Reverse,
        )
        .unwrap();
        let dropped: Vec<String> = out.dropped_ids.iter().map(|(id, _)| id.clone()).collect();
        assert!(
            dropped
                .iter()
                .all(|d| class[d] != "non" && class[d] != "orig"),
            "{dropped:?}"
        );
        assert!(
            dropped
                .iter()
                .filter(|d| class[d.as_str()] == "cut")
                .count()
                >= 2,
            "{dropped:?}"
        );
        let mut sorted = dropped.clone();
        sorted.sort();
        if let Some(p) = &prev {
            assert_eq!(p, &sorted);
        }
        prev = Some(sorted);
    }
}
