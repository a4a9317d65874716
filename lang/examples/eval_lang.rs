//! Language-ID and zh-variant accuracy on `../shared/data`, plus per-doc cost.
//! Run: `scripts/eval_lang.sh` (release build). Prints a report; exits 1 below the floors.

#[path = "common/corpus.rs"]
mod corpus;

use std::collections::BTreeMap;
use std::time::Instant;

use corpus::Sample;
use skypile_core::{Counters, Doc, Step};
use skypile_lang::{
    LangConfig, LangFilterConfig, NormalizeConfig, ZhVariantConfig, detect, zh_variant,
};

const MIN_CHARS: usize = 200;
const SAMPLE: usize = 3000;

fn accuracy(name: &str, docs: &[Sample]) -> (f64, usize) {
    let mut per: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut confusion: BTreeMap<(String, String), usize> = BTreeMap::new();
    for s in docs {
        let got = detect(&s.text, SAMPLE).lang;
        let e = per.entry(s.expect.as_str()).or_default();
        e.1 += 1;
        if got == s.expect {
            e.0 += 1;
        } else {
            *confusion
                .entry((s.expect.clone(), got.to_string()))
                .or_default() += 1;
        }
    }
    let (ok, n) = per.values().fold((0, 0), |a, v| (a.0 + v.0, a.1 + v.1));
    println!(
        "\n== {name}: {ok}/{n} = {:.2}%",
        100.0 * ok as f64 / n.max(1) as f64
    );
    for (l, (ok, n)) in &per {
        println!(
            "  {l:>3}  {ok:>5}/{n:<5} {:6.2}%",
            100.0 * *ok as f64 / (*n).max(1) as f64
        );
    }
    if !confusion.is_empty() {
        let c: Vec<String> = confusion
            .iter()
            .map(|((e, g), n)| format!("{e}→{g}:{n}"))
            .collect();
        println!("  errors: {}", c.join(" "));
    }
    let min = per
        .values()
        .map(|(ok, n)| *ok as f64 / (*n).max(1) as f64)
        .fold(1.0, f64::min);
    (
        min,
        confusion
            .iter()
            .filter(|((e, g), _)| e == "ja" && g == "zh")
            .map(|(_, n)| n)
            .sum(),
    )
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
    let mut per: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut wrong = Vec::new();
    for s in &variants {
        let (got, t, si) = zh_variant::classify(&s.text);
        let e = per.entry(s.expect.as_str()).or_default();
        e.1 += 1;
        if got == s.expect {
            e.0 += 1;
        } else {
            wrong.push(format!("{} {}→{got} (t={t} s={si})", s.source, s.expect));
        }
    }
    let (ok, n) = per.values().fold((0, 0), |a, v| (a.0 + v.0, a.1 + v.1));
    println!(
        "\n== zh variant (Hans: zh docs as written; Hant: OpenCC s2t of them, Big5 files, whatlang cmn): {ok}/{n} = {:.2}%",
        100.0 * ok as f64 / n.max(1) as f64
    );
    for (l, (ok, n)) in &per {
        println!(
            "  {l}  {ok}/{n} {:.2}%",
            100.0 * *ok as f64 / (*n).max(1) as f64
        );
    }
    for w in wrong.iter().take(20) {
        println!("  wrong: {w}");
    }
    let variant_acc = ok as f64 / n.max(1) as f64;

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
