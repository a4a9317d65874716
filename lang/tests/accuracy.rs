//! Integration tier: accuracy floors on the real data in `../shared/data` (skipped without it).

#[path = "../examples/common/corpus.rs"]
mod corpus;
#[path = "../examples/common/seg.rs"]
mod seg;

use corpus::{Sample, Tally};
use skypile_lang::{LangConfig, detect, zh_variant};

/// The shared data, or None (skip) when it is missing; a failure instead under
/// `SKYPILE_REQUIRE_DATA=1` (CI), so the floors below never pass on no data.
fn data() -> Option<std::path::PathBuf> {
    let d = corpus::data_dir();
    if d.is_none() {
        assert!(
            std::env::var("SKYPILE_REQUIRE_DATA").as_deref() != Ok("1"),
            "SKYPILE_REQUIRE_DATA=1 but ../shared/data is missing"
        );
        println!("skipping: ../shared/data not found");
    }
    d
}

fn score(docs: &[Sample]) -> Tally {
    Tally::of(docs, |text| {
        detect(text, LangConfig::default().sample_bytes)
            .lang
            .to_string()
    })
}

/// Every label at or above `floor`, on a non-empty set (an empty tally has no accuracy).
fn assert_floor(t: &Tally, floor: f64) {
    let n: usize = t.per.values().map(|(_, n)| n).sum();
    assert!(n > 0, "no documents scored");
    assert!(
        t.min_acc() >= floor,
        "per language {:?}; errors: {:?}",
        t.per,
        t.wrong
    );
}

#[test]
fn sixteen_languages_at_least_98_percent_on_200_char_docs() {
    let Some(d) = data() else { return };
    let docs = corpus::lingua_docs(&d, 200);
    let t = score(&docs);
    assert_eq!(t.per.len(), 16, "{:?}", t.per);
    assert_floor(&t, 0.98);
    assert_eq!(
        t.count("ja", "zh"),
        0,
        "Japanese labelled zh: {:?}",
        t.wrong
    );
}

#[test]
fn real_chinese_and_english_web_text() {
    let Some(d) = data() else { return };
    let docs = [corpus::zh_real_docs(&d, 200), corpus::en_real_docs(&d, 200)].concat();
    assert!(docs.len() > 250, "{}", docs.len());
    assert_floor(&score(&docs), 0.98);
}

#[test]
fn legacy_charsets_decode_to_the_right_language() {
    let Some(d) = data() else { return };
    let docs = corpus::charset_docs(&d, 200);
    let t = score(&docs);
    for lang in ["ja", "ko", "zh"] {
        assert!(
            t.per.get(lang).is_some_and(|(_, n)| *n >= 3),
            "{lang}: {:?}",
            t.per
        );
    }
    assert!(t.wrong.is_empty(), "{:?}", t.wrong);
}

#[test]
fn simplified_and_traditional_at_least_95_percent() {
    let Some(d) = data() else { return };
    let t = Tally::of(&corpus::variant_docs(&d, 200), |text| {
        zh_variant::classify(text).0.to_string()
    });
    for v in ["hans", "hant"] {
        assert!(
            t.per.get(v).is_some_and(|(_, n)| *n >= 50),
            "{v}: {:?}",
            t.per
        );
    }
    assert_floor(&t, 0.95);
}

#[test]
fn segmentation_f1_on_pku_is_at_jieba_level() {
    let Some(d) = data() else { return };
    let (all, view) =
        seg::score_pku(&d, usize::MAX).expect("segmentation/sighan2005-pku in the shared data");
    assert!(
        all.f1() >= 0.78 && view.f1() >= 0.78,
        "bakeoff F1 {:.4}, words view F1 {:.4}",
        all.f1(),
        view.f1()
    );
}
