//! Hans/Hant on text whose script was NOT produced by OpenCC, apart from OpenCC-converted text.
//!
//! - `zh_variant`'s character sets come from OpenCC's tables, so text converted with OpenCC s2t
//!   (most of `accuracy.rs`'s Traditional docs) is labelled right by construction. This test
//!   measures the two apart:
//!   - native Traditional: Taiwan Wikipedia paragraphs (DRCD), UD Chinese-GSD sentences
//!     (written in Traditional; GSDSimp is their conversion), Big5 web pages and feeds
//!     (chardet), the uchardet Big5 sample, whatlang's `cmn` sentence (encoding_rs has no
//!     EUC-TW, so uchardet's EUC-TW sample is left out);
//!   - native Simplified: Chinese Wikipedia paragraphs (CMRC 2018) and XQuAD's professional
//!     translations, GB2312 web pages and feeds (chardet);
//!   - converted: OpenCC s2t of the native Simplified docs, and GSDSimp (UD's own conversion).
//! - Split: docs at odd positions of each source are held out, even positions are the tuning
//!   half. Nothing in `zh_variant` was fitted to these sets; the asserts use the held-out half.
//!   Measured (`cargo test -p skypile-lang --test zh_variant_native -- --nocapture`): see
//!   lang/README.md.

use std::path::Path;

use skypile_lang::zh_variant::classify;

/// Docs of ≥ 200 chars: a doc label is what the step decides on, not a single sentence.
const MIN_CHARS: usize = 200;

struct Doc {
    source: String,
    group: &'static str,
    expect: &'static str,
    text: String,
}

/// One paragraph/sentence per line, consecutive lines joined until ≥ `MIN_CHARS`.
fn lines_to_docs(path: &Path, group: &'static str, expect: &'static str) -> Vec<Doc> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut out = Vec::new();
    let mut cur = String::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        cur.push_str(line);
        if cur.chars().count() >= MIN_CHARS {
            out.push(Doc {
                source: format!("{}#{}", file_name(path), out.len()),
                group,
                expect,
                text: std::mem::take(&mut cur),
            });
        }
    }
    out
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn han_count(s: &str) -> usize {
    s.chars().filter(|&c| skypile_core::text::is_han(c)).count()
}

/// Files in `dir` decoded with `label`, markup dropped, kept if they hold ≥ `min_han` Han chars
/// (several chardet feeds are URLs and English titles with a few Chinese words).
fn legacy_docs(
    dir: &Path,
    label: &str,
    min_han: usize,
    group: &'static str,
    expect: &'static str,
) -> Vec<Doc> {
    let Some(enc) = encoding_rs::Encoding::for_label(label.as_bytes()) else {
        return Vec::new();
    };
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file() && file_name(p) != "LICENSE")
        .collect();
    files.sort();
    files
        .into_iter()
        .filter_map(|p| {
            let bytes = std::fs::read(&p).ok()?;
            let text = strip_tags(&enc.decode(&bytes).0);
            (han_count(&text) >= min_han).then(|| Doc {
                source: format!("{label}:{}", file_name(&p)),
                group,
                expect,
                text,
            })
        })
        .collect()
}

fn strip_tags(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

fn native_docs(data: &Path) -> Vec<Doc> {
    let zh = data.join("reference/zh");
    let chardet = data.join("encoding/chardet");
    let uchardet = data.join("encoding/uchardet/zh");
    let mut v = Vec::new();
    v.extend(lines_to_docs(
        &zh.join("drcd_wikipedia_zh-hant.txt"),
        "native",
        "hant",
    ));
    v.extend(lines_to_docs(
        &zh.join("ud_gsd_wikipedia_zh-hant.txt"),
        "native",
        "hant",
    ));
    v.extend(legacy_docs(
        &chardet.join("Big5"),
        "big5",
        50,
        "native",
        "hant",
    ));
    // A short sample (a few sentences): kept whole, without the 200-char floor.
    if let Ok(b) = std::fs::read(uchardet.join("big5.txt")) {
        v.push(Doc {
            source: "uchardet:big5.txt".into(),
            group: "native",
            expect: "hant",
            text: encoding_rs::BIG5.decode(&b).0.into_owned(),
        });
    }
    let wl =
        std::fs::read_to_string(data.join("langid/whatlang-examples.json")).unwrap_or_default();
    if let Some(t) = serde_json::from_str::<serde_json::Value>(&wl)
        .ok()
        .and_then(|j| j.get("cmn")?.as_str().map(String::from))
    {
        v.push(Doc {
            source: "whatlang:cmn".into(),
            group: "native",
            expect: "hant",
            text: t,
        });
    }
    for f in [
        "cmrc2018_wikipedia_zh-hans.txt",
        "xquad_wikipedia_zh-hans.txt",
    ] {
        v.extend(lines_to_docs(&zh.join(f), "native", "hans"));
    }
    v.extend(legacy_docs(
        &chardet.join("GB2312"),
        "gbk",
        50,
        "native",
        "hans",
    ));
    v
}

fn converted_docs(data: &Path, native: &[Doc]) -> Vec<Doc> {
    let s2t = ferrous_opencc::OpenCC::from_config(ferrous_opencc::config::BuiltinConfig::S2t)
        .expect("OpenCC s2t is embedded in ferrous-opencc");
    let mut v: Vec<Doc> = native
        .iter()
        .filter(|d| d.expect == "hans")
        .map(|d| Doc {
            source: format!("s2t({})", d.source),
            group: "converted",
            expect: "hant",
            text: s2t.convert(&d.text),
        })
        .collect();
    v.extend(lines_to_docs(
        &data.join("reference/zh/ud_gsdsimp_wikipedia_zh-hans.txt"),
        "converted",
        "hans",
    ));
    v
}

/// (correct, total) per (group, expected label, half) and the docs labelled wrong.
type Tally = std::collections::BTreeMap<(&'static str, &'static str, &'static str), (usize, usize)>;

fn tally(docs: &[Doc]) -> (Tally, Vec<String>) {
    let mut t = Tally::new();
    let mut per_source: std::collections::BTreeMap<String, (usize, usize)> = Default::default();
    let mut wrong = Vec::new();
    // Position within each source file (the part of `source` before `#` / after `:`).
    let mut seen: std::collections::HashMap<String, usize> = Default::default();
    for d in docs {
        let key = d.source.split(['#', ':']).next().unwrap_or("").to_string();
        let pos = seen.entry(key.clone()).or_default();
        let half = if *pos % 2 == 1 { "held-out" } else { "tuning" };
        *pos += 1;
        let (got, trad, simp) = classify(&d.text);
        let src = per_source
            .entry(format!("{} {key} {}", d.group, d.expect))
            .or_default();
        src.0 += (got == d.expect) as usize;
        src.1 += 1;
        let e = t.entry((d.group, d.expect, half)).or_default();
        e.1 += 1;
        if got == d.expect {
            e.0 += 1;
        } else {
            let head: String = d.text.chars().take(40).collect();
            wrong.push(format!(
                "{half} {} expect {} got {got} (t {trad} / s {simp}): {head}",
                d.source, d.expect
            ));
        }
    }
    for (k, (ok, n)) in per_source {
        println!("  both halves: {k:<50} {ok}/{n}");
    }
    (t, wrong)
}

fn acc(t: &Tally, group: &str, expect: &str, half: &str) -> (f64, usize) {
    let (ok, n) = t
        .iter()
        .filter(|((g, e, h), _)| *g == group && *e == expect && *h == half)
        .fold((0, 0), |a, (_, v)| (a.0 + v.0, a.1 + v.1));
    (ok as f64 / n.max(1) as f64, n)
}

#[test]
fn native_traditional_measured_apart_from_opencc_output() {
    let Some(data) = skypile_core::testdata::shared_data() else {
        return;
    };
    let native = native_docs(&data);
    let converted = converted_docs(&data, &native);
    let (t, wrong) = tally(&native.into_iter().chain(converted).collect::<Vec<_>>());
    for ((g, e, h), (ok, n)) in &t {
        println!(
            "{g:<10} {e} {h:<9} {ok}/{n} = {:.2}%",
            100.0 * *ok as f64 / (*n).max(1) as f64
        );
    }
    for w in &wrong {
        println!("  wrong: {w}");
    }
    // Floors on the held-out half (measured, see lang/README.md), each on a set big enough to
    // mean something; an empty set fails.
    for (group, expect, floor, min_n) in [
        ("native", "hant", 0.99, 500),    // measured 1091/1091
        ("native", "hans", 0.99, 300),    // 650/650
        ("converted", "hant", 0.99, 300), // 650/650
        ("converted", "hans", 0.98, 40),  // 88/88
    ] {
        let (a, n) = acc(&t, group, expect, "held-out");
        assert!(n >= min_n, "{group} {expect}: only {n} held-out docs");
        assert!(
            a >= floor,
            "{group} {expect}: {:.2}% < {:.0}% held-out; wrong: {wrong:#?}",
            a * 100.0,
            floor * 100.0
        );
    }
}
