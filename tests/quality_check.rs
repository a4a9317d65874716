//! Floors for the shipped quality model on its held-out check set (scripts/models/make_data.py:
//! held-out reference articles vs. junk from unseen templates, seeds and spam phrases), run
//! through the production pipeline as `scripts/models/check_quality.sh` does. Needs
//! `../shared/data` (`skypile_core::testdata`: skips without it, fails under SKYPILE_REQUIRE_DATA=1).

mod common;

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::process::Command;

fn kept_ids(out: &Path) -> HashSet<String> {
    common::string_rows(out, &["id"])
        .into_iter()
        .filter_map(|mut r| r.pop().flatten())
        .collect()
}

#[test]
fn shipped_model_drops_held_out_junk_and_keeps_held_out_articles() {
    let Some(root) = skypile_core::testdata::shared_data() else {
        return;
    };
    let Some(reference) = skypile_core::testdata::require(&root, "reference") else {
        return;
    };
    let dir = common::tmp("qcheck");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let st = Command::new("python3")
        .arg(root.join("scripts/models/make_data.py"))
        .arg(&reference)
        .arg(dir.join("data"))
        .status()
        .unwrap();
    assert!(st.success());
    common::run_ok(
        common::run_cmd(
            Path::new("pipelines/skypile.yaml"),
            &dir.join("data/check.jsonl"),
            &dir.join("out"),
        )
        .args(["--tasks", "1"]),
    );
    let kept = kept_ids(&dir.join("out"));
    // (lang, good?) -> (docs, docs handled right: good kept or junk dropped)
    let mut by: BTreeMap<(String, bool), (usize, usize)> = BTreeMap::new();
    let check = std::fs::read_to_string(dir.join("data/check.jsonl")).unwrap();
    for line in check.lines() {
        let d: serde_json::Value = serde_json::from_str(line).unwrap();
        let good = d["kind"] == "good";
        let e = by
            .entry((d["lang"].as_str().unwrap().to_string(), good))
            .or_default();
        e.0 += 1;
        e.1 += (kept.contains(d["id"].as_str().unwrap()) == good) as usize;
    }
    let pct = |k: (&str, bool)| {
        let (n, ok) = by[&(k.0.to_string(), k.1)];
        assert!(n >= 100, "{k:?}: only {n} docs in the check set");
        100.0 * ok as f64 / n as f64
    };
    // junk: the model's job (rules alone: ~92%); good: the bar (#17), en 95.7% and zh
    // 96.1% when set (zh needed C4's `{` test to skip `-{…}-` wiki markup and FineWeb to count
    // one-paragraph Chinese prose as punctuated)
    for (lang, junk_floor, good_floor) in [("en", 95.0, 95.0), ("zh", 97.0, 95.0)] {
        let (junk, good) = (pct((lang, false)), pct((lang, true)));
        assert!(
            junk >= junk_floor,
            "{lang}: junk dropped {junk:.1}% < {junk_floor}%"
        );
        assert!(
            good >= good_floor,
            "{lang}: good kept {good:.1}% < {good_floor}%"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
