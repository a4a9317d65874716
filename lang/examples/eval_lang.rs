//! Language-ID and zh-variant accuracy on `../shared/data`, plus per-doc cost.
//! Run: `scripts/eval/lang.sh` (release build). Prints a report; exits 1 below the floors.

#[path = "common/corpus.rs"]
mod corpus;

use std::time::Instant;

use corpus::{Sample, Tally};
use skypile_core::{Counters, Doc, Step};
use skypile_lang::{
    LangConfig, LangFilterConfig, NormalizeConfig, ZhVariantConfig, detect, zh_variant,
};

const MIN_CHARS: usize = 200;
/// `LangConfig::default().sample_bytes`.
const SAMPLE: usize = 1000;

fn accuracy(name: &str, docs: &[Sample]) -> (f64, usize) {
    let t = Tally::of(docs, |text| detect(text, SAMPLE).lang.to_string());
    t.print(name);
    (t.min_acc(), t.count("ja", "zh"))
}

fn main() {
    let Some(data) = corpus::data_dir() else {
        println!("skipping: ../shared/data not found");
        return;
    };
    let lingua = corpus::lingua_docs(&data, MIN_CHARS);
    let zh = corpus::zh_real_docs(&data, MIN_CHARS);
    let en = corpus::en_real_docs(&data, MIN_CHARS);
    let charset = corpus::charset_docs(&data, MIN_CHARS);
    let (lingua_min, lingua_ja_zh) = accuracy(
        "lingua sentences joined to ≥200 chars (16 languages)",
        &lingua,
    );
    let real = [zh, en].concat();
    let (real_min, _) = accuracy(
        "real web/news text (ChineseWebText, SogouCS, dolma, Dragnet)",
        &real,
    );
    for (lang, min) in &LangFilterConfig::default().languages {
        let docs: Vec<&Sample> = real.iter().filter(|s| &s.expect == lang).collect();
        let kept = docs.iter().filter(|s| {
            let d = detect(&s.text, SAMPLE);
            d.lang == lang && d.score >= *min
        });
        println!(
            "  kept by the default lang_filter ({lang} ≥ {min}): {}/{}",
            kept.count(),
            docs.len()
        );
    }
    let (cs_min, cs_ja_zh) = accuracy(
        "chardet files decoded by folder label (markup stripped, ≥200 CJK chars)",
        &charset,
    );
    accuracy(
        "whatlang examples (single sentences, 69 languages; informative only)",
        &corpus::whatlang_examples(&data),
    );
    let short = corpus::lingua_docs(&data, 50);
    accuracy(
        "lingua sentences joined to ≥50 chars (informative only)",
        &short,
    );

    let single_ja = corpus::lingua_docs(&data, 1)
        .into_iter()
        .filter(|s| s.expect == "ja");
    let (n, as_zh) = single_ja.fold((0, 0), |(n, z), s| {
        (n + 1, z + (detect(&s.text, SAMPLE).lang == "zh") as usize)
    });
    println!(
        "\n== single Japanese sentences (kanji-only headlines included) labelled zh: {as_zh}/{n}"
    );

    let variants = corpus::variant_docs(&data, MIN_CHARS);
    let t = Tally::of(&variants, |text| zh_variant::classify(text).0.to_string());
    t.print(
        "zh variant (Hans: zh docs as written; Hant: OpenCC s2t of them, Big5 files, whatlang cmn)",
    );
    for (src, e, g) in t.wrong.iter().take(20) {
        println!("  wrong: {src} {e}→{g}");
    }
    let variant_acc = t.min_acc();

    // Cost of the `lang` + `zh_variant` steps per doc, on the real docs (web-sized texts).
    let lang = LangConfig::default()
        .build(|p| p.into())
        .map_err(|e| e.to_string());
    let zhv = ZhVariantConfig::default()
        .build()
        .map_err(|e| e.to_string());
    if let (Ok(lang), Ok(zhv)) = (lang, zhv) {
        let real: Vec<Sample> = [
            corpus::zh_real_docs(&data, 1),
            corpus::en_real_docs(&data, 1),
        ]
        .concat();
        let bytes: usize = real.iter().map(|s| s.text.len()).sum();
        let mut docs: Vec<Doc> = real
            .iter()
            .map(|s| Doc::from_text("d", s.text.clone()))
            .collect();
        let mut st = Counters::default();
        let rounds = 20;
        let t0 = Instant::now();
        for _ in 0..rounds {
            for d in docs.iter_mut() {
                lang.process(d, &mut st);
                zhv.process(d, &mut st);
            }
        }
        let elapsed = t0.elapsed().as_secs_f64();
        let per_doc = elapsed * 1e6 / (rounds * docs.len()) as f64;
        let norm = NormalizeConfig::default()
            .build()
            .map_err(|e| e.to_string());
        if let Ok(norm) = norm {
            let t1 = Instant::now();
            for _ in 0..rounds {
                for s in &real {
                    std::hint::black_box(norm.apply(&s.text, &mut st));
                }
            }
            let n = t1.elapsed().as_secs_f64() * 1e6 / (rounds * real.len()) as f64;
            println!("\n== cost: normalize {n:.1} µs/doc");
        }
        println!(
            "== cost: lang+zh_variant {per_doc:.1} µs/doc over {} real docs (avg {:.1} KB), {:.0} MB/s",
            docs.len(),
            bytes as f64 / docs.len().max(1) as f64 / 1024.0,
            (bytes * rounds) as f64 / elapsed / 1e6
        );
    }

    let pass = lingua_min >= 0.98
        && real_min >= 0.98
        && cs_min >= 0.98
        && lingua_ja_zh + cs_ja_zh == 0
        && variant_acc >= 0.95;
    println!(
        "\nfloors (each language ≥98%, no ja→zh, variants ≥95%): {}",
        if pass { "PASS" } else { "FAIL" }
    );
    if !pass {
        std::process::exit(1);
    }
}
