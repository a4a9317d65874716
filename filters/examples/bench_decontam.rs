//! Cost of the `decontam` step with a large index: 100k synthetic benchmark items (half
//! Chinese, half English), real Chinese web docs from ../shared/data when present plus
//! synthetic English pages, 10% of docs with a planted item.
//!
//!   cargo run -p skypile-filters --example bench_decontam [--release] [-- ITEMS]
//!
//! Prints build time, index memory (own accounting and RSS delta), µs/doc, recall on planted
//! docs and false positives on the rest. The budget: < 10% of extraction (3–5 ms/doc).

use std::path::Path;
use std::time::Instant;

use skypile_core::rng::Rng;
use skypile_core::{Counters, Doc, Step};
use skypile_filters::decontam::{Decontam, DecontamConfig, Item};

fn zh_text(r: &mut Rng, chars: usize) -> String {
    (0..chars)
        .map(|i| {
            if i % 17 == 16 {
                '，'
            } else {
                char::from_u32(0x4E00 + r.below(3500) as u32).unwrap_or('中')
            }
        })
        .collect()
}

fn en_text(r: &mut Rng, vocab: &[String], words: usize) -> String {
    let mut s = String::new();
    for i in 0..words {
        s.push_str(&vocab[r.below(vocab.len())]);
        s.push(if i % 13 == 12 { '.' } else { ' ' });
    }
    s
}

fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn real_zh_docs() -> Vec<String> {
    let dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/text-zh/chinesewebtext");
    let mut out = Vec::new();
    for f in [
        "2021-43-cleared1.jsonl",
        "fasttext-clean.jsonl",
        "fasttext-dirty.jsonl",
    ] {
        let Ok(body) = std::fs::read_to_string(dir.join(f)) else {
            continue;
        };
        for line in body.lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap_or_default();
            if let Some(t) = ["raw_content", "text", "content"]
                .iter()
                .find_map(|k| v.get(*k)?.as_str())
            {
                out.push(t.to_string());
            }
        }
    }
    out
}

fn main() {
    let n_items: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let profile = if cfg!(debug_assertions) {
        "dev"
    } else {
        "release"
    };
    let mut r = Rng::new(0x9E37_79B9_7F4A_7C15);
    let vocab: Vec<String> = (0..5000)
        .map(|_| {
            (0..2 + r.below(3))
                .map(|_| {
                    [
                        "ka", "lo", "ter", "mi", "sun", "ble", "dor", "ra", "ven", "is",
                    ][r.below(10)]
                })
                .collect()
        })
        .collect();
    let (mut zh, mut en) = (Vec::new(), Vec::new());
    for i in 0..n_items {
        if i % 2 == 0 {
            let len = 30 + r.below(60);
            let q = zh_text(&mut r, len);
            let o: Vec<String> = (0..4).map(|_| zh_text(&mut r, 6)).collect();
            let t = format!(
                "{q}
A. {}
B. {}
C. {}
D. {}",
                o[0], o[1], o[2], o[3]
            );
            zh.push(Item {
                id: format!("zh-{i}"),
                text: t,
            });
        } else {
            let len = 25 + r.below(50);
            en.push(Item {
                id: format!("en-{i}"),
                text: en_text(&mut r, &vocab, len),
            });
        }
    }
    let rss0 = rss_kb();
    let t = Instant::now();
    let step = Decontam::from_items(
        DecontamConfig::default(),
        vec![
            ("zhbench".into(), zh.clone()),
            ("enbench".into(), en.clone()),
        ],
    );
    let build_s = t.elapsed().as_secs_f64();
    let rss1 = rss_kb();
    let st = step.build_stats().clone();

    let real = real_zh_docs();
    let han_per_word = {
        let (mut han, mut words) = (0usize, 0usize);
        for d in &real {
            for w in skypile_core::text::word_ranges(d, true) {
                let n = d.get(w).map_or(0, |w| {
                    w.chars().filter(|&c| skypile_core::text::is_han(c)).count()
                });
                han += n;
                words += (n > 0) as usize;
            }
        }
        han as f64 / words.max(1) as f64
    };
    let mut docs: Vec<(String, &str, Option<String>)> =
        real.iter().map(|t| (t.clone(), "zh", None)).collect();
    for _ in 0..200 {
        let len = 400 + r.below(600);
        docs.push((en_text(&mut r, &vocab, len), "en", None));
    }
    // Plant an item into every 10th doc, spaced differently and inside the page.
    for (k, d) in docs.iter_mut().enumerate().filter(|(k, _)| k % 10 == 0) {
        let item = if d.1 == "zh" {
            &zh[(k * 7919) % zh.len()]
        } else {
            &en[(k * 7919) % en.len()]
        };
        let cut =
            d.0.char_indices()
                .nth(d.0.chars().count() / 2)
                .map_or(0, |(i, _)| i);
        let planted = item.text.replace('\n', "  ").replace(". ", ", ");
        d.0.insert_str(cut, &format!("\n{planted}\n"));
        d.2 = Some(item.id.clone());
    }
    let bytes: usize = docs.iter().map(|d| d.0.len()).sum();

    let (mut found, mut planted, mut false_pos) = (0, 0, 0);
    let mut counters = Counters::default();
    let mut passes = 0;
    let t = Instant::now();
    while passes < 3 || t.elapsed().as_secs_f64() < 2.0 {
        for (text, lang, want) in &docs {
            let mut doc = Doc::from_text("d", text.as_str());
            doc.set_lang(lang, 1.0);
            let v = step.process(&mut doc, &mut counters);
            if passes == 0 {
                match want {
                    Some(id) => {
                        planted += 1;
                        found += (doc.meta_str("decontam_item") == Some(id.as_str())
                            && !v.is_keep()) as usize;
                    }
                    None => false_pos += !v.is_keep() as usize,
                }
            }
        }
        passes += 1;
    }
    let per_doc_us = t.elapsed().as_secs_f64() * 1e6 / (passes * docs.len()) as f64;
    println!("profile: {profile}");
    println!(
        "items: {n_items} ({} zh, {} en); n-grams indexed: {}; short items: {}; boilerplate n-grams: {}",
        zh.len(),
        en.len(),
        st.entries,
        st.short_items,
        st.boilerplate_ngrams
    );
    println!(
        "build: {build_s:.2} s; index memory: {:.1} MB (own accounting), RSS +{:.1} MB",
        st.index_bytes as f64 / 1e6,
        (rss1.saturating_sub(rss0)) as f64 / 1e3
    );
    println!(
        "docs: {} ({} real zh, avg {:.1} KB); passes: {passes}",
        docs.len(),
        real.len(),
        bytes as f64 / docs.len() as f64 / 1e3
    );
    println!(
        "cost: {per_doc_us:.1} µs/doc ({:.1}% of a 3 ms extraction)",
        per_doc_us / 30.0
    );
    println!(
        "recall on planted docs: {found}/{planted}; false positives: {false_pos}/{}",
        docs.len() - planted
    );
    println!(
        "jieba: {han_per_word:.2} Han chars per Chinese word on the real zh docs (13 words ≈ {:.0} chars)",
        13.0 * han_per_word
    );
}
