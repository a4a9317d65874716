//! Integration tier: accuracy floors on the real data in `../shared/data` (skipped without it).

#[path = "../examples/common/corpus.rs"]
mod corpus;
#[path = "../examples/common/seg.rs"]
mod seg;

use std::collections::BTreeMap;

use corpus::Sample;
use skypile_lang::{detect, zh_variant};

fn data() -> Option<std::path::PathBuf> {
    let d = corpus::data_dir();
    if d.is_none() {
        println!("skipping: ../shared/data not found");
    }
    d
}

/// Per expected language: (correct, total), and the mislabels.
fn score(docs: &[Sample]) -> (BTreeMap<String, (usize, usize)>, Vec<String>) {
    let mut per: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut wrong = Vec::new();
    for s in docs {
        let got = detect(&s.text, 3000).lang;
        let e = per.entry(s.expect.clone()).or_default();
        e.1 += 1;
        if got == s.expect {
            e.0 += 1;
        } else {
            wrong.push(format!("{}: {}→{got}", s.source, s.expect));
        }
    }
    (per, wrong)
}

fn assert_floor(per: &BTreeMap<String, (usize, usize)>, wrong: &[String], floor: f64) {
    for (lang, (ok, n)) in per {
        let acc = *ok as f64 / (*n).max(1) as f64;
        assert!(
            acc >= floor,
            "{lang}: {ok}/{n} = {acc:.4} < {floor}; errors: {wrong:?}"
        );
    }
}

#[test]
fn sixteen_languages_at_least_98_percent_on_200_char_docs() {
    let Some(d) = data() else { return };
    let docs = corpus::lingua_docs(&d, 200);
    let (per, wrong) = score(&docs);
    assert_eq!(per.len(), 16, "{per:?}");
    assert_floor(&per, &wrong, 0.98);
    assert!(
        !wrong.iter().any(|w| w.contains("ja→zh")),
        "Japanese labelled zh: {wrong:?}"
    );
}

#[test]
fn real_chinese_and_english_web_text() {
    let Some(d) = data() else { return };
    let docs = [corpus::zh_real_docs(&d, 200), corpus::en_real_docs(&d, 200)].concat();
    assert!(docs.len() > 250, "{}", docs.len());
    let (per, wrong) = score(&docs);
    assert_floor(&per, &wrong, 0.98);
}

#[test]
fn legacy_charsets_decode_to_the_right_language() {
    let Some(d) = data() else { return };
    let docs = corpus::charset_docs(&d, 200);
    let (per, wrong) = score(&docs);
    for lang in ["ja", "ko", "zh"] {
        assert!(
            per.get(lang).is_some_and(|(_, n)| *n >= 3),
            "{lang}: {per:?}"
        );
    }
    assert!(wrong.is_empty(), "{wrong:?}");
}

#[test]
fn simplified_and_traditional_at_least_95_percent() {
    let Some(d) = data() else { return };
    let docs = corpus::variant_docs(&d, 200);
    let mut ok: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for s in &docs {
        let e = ok.entry(s.expect.as_str()).or_default();
        e.1 += 1;
        e.0 += (zh_variant::classify(&s.text).0 == s.expect) as usize;
    }
    for (v, (good, n)) in &ok {
        assert!(
            *n >= 50 && *good as f64 / *n as f64 >= 0.95,
            "{v}: {good}/{n}"
        );
    }
    assert!(ok.contains_key("hans") && ok.contains_key("hant"));
}

#[test]
fn segmentation_f1_on_pku_is_at_jieba_level() {
    let Some(d) = data() else { return };
    let Some((all, view)) = seg::score_pku(&d, usize::MAX) else {
        return;
    };
    assert!(
        all.f1() >= 0.78 && view.f1() >= 0.78,
        "bakeoff F1 {:.4}, words view F1 {:.4}",
        all.f1(),
        view.f1()
    );
}
