//! Quality and cost report for the filters (driven by `scripts/eval/filters.sh`).
//!
//! 1. Real text from `../shared/data` (ChineseWebText, SogouCS, dolma CC, extraction gold):
//!    keep rate per set and language, and the first drop reason per doc.
//! 2. Labelled check set (`tests/support/heldout.rs`), held-out and tuning halves: good articles
//!    (gold texts, SogouCS news, reference prose) must be kept, junk (generated nav dumps,
//!    keyword stuffing, gibberish, lorem ipsum, mojibake; real spam pages of the shared WARC and
//!    ChineseWebText; stuffing with phrases in no keyword list) dropped.
//! 3. Cost: µs/doc of all filters together and per step (words are segmented once per doc,
//!    inside the first step that needs them, as in the pipeline).
//!
//! Usage: `cargo run -p skypile-filters --example eval_filters [-- --show N] [--dump ID]`

#[path = "../tests/support/evalset.rs"]
mod evalset;
#[path = "../tests/support/heldout.rs"]
mod heldout;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use skypile_core::{Counters, Verdict};

fn pct(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        100.0 * a as f64 / b as f64
    }
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let show: usize = args
        .iter()
        .position(|a| a == "--show")
        .and_then(|i| args.get(i + 1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let Some(root) = evalset::data_root() else {
        return Ok(());
    };
    let steps = evalset::all_filters()?;

    // --- 1. real text
    let real = evalset::real_text(&root);
    let mut per_set: BTreeMap<(String, &str), (usize, usize, BTreeMap<String, usize>)> =
        BTreeMap::new();
    let mut per_lang: BTreeMap<String, (usize, usize, BTreeMap<String, usize>)> = BTreeMap::new();
    let mut step_time: Vec<Duration> = vec![Duration::ZERO; steps.len()];
    let mut total = Duration::ZERO;
    let mut seg = Duration::ZERO;
    let mut per_doc: Vec<f64> = Vec::new();
    let mut bytes = 0usize;
    let mut stats = Counters::default();
    // Three passes for timing stability; verdicts from the first.
    for pass in 0..3 {
        for s in &real {
            let mut d = s.doc.clone();
            bytes += d.text().len();
            let t0 = Instant::now();
            // Segmentation is shared with the tokenizer/dedup steps; time it apart.
            d.word_count();
            seg += t0.elapsed();
            let mut reason = None;
            for (i, st) in steps.iter().enumerate() {
                let ts = Instant::now();
                let v = st.process(&mut d, &mut stats);
                if let Some(t) = step_time.get_mut(i) {
                    *t += ts.elapsed();
                }
                if let Verdict::Drop(r) = v {
                    reason = Some(r);
                    break;
                }
            }
            total += t0.elapsed();
            per_doc.push(t0.elapsed().as_secs_f64() * 1e6);
            if pass > 0 {
                continue;
            }
            for e in [
                per_set.entry((s.doc.lang.clone(), s.set)).or_default(),
                per_lang.entry(s.doc.lang.clone()).or_default(),
            ] {
                e.0 += 1;
                match &reason {
                    None => e.1 += 1,
                    Some(r) => *e.2.entry(r.clone()).or_default() += 1,
                }
            }
        }
    }
    println!("== real text (../shared/data), all filters, default thresholds");
    println!(
        "{:<4} {:<22} {:>5} {:>7}  drop reasons",
        "lang", "set", "docs", "kept%"
    );
    for ((lang, set), (n, k, reasons)) in &per_set {
        println!(
            "{lang:<4} {set:<22} {n:>5} {:>6.1}%  {reasons:?}",
            pct(*k, *n)
        );
    }
    for (lang, (n, k, reasons)) in &per_lang {
        println!(
            "{lang:<4} {:<22} {n:>5} {:>6.1}%  {reasons:?}",
            "ALL",
            pct(*k, *n)
        );
    }
    let n_runs = real.len() * 3;
    println!(
        "\n== cost: {:.0} µs/doc for all filters ({} docs × 3 passes, mean {:.1} KB/doc, {:.1} MB/s; includes jieba for zh)",
        total.as_secs_f64() * 1e6 / n_runs.max(1) as f64,
        real.len(),
        bytes as f64 / n_runs.max(1) as f64 / 1024.0,
        bytes as f64 / total.as_secs_f64().max(1e-9) / 1e6
    );
    per_doc.sort_by(f64::total_cmp);
    let q = |f: f64| {
        per_doc
            .get(((per_doc.len() as f64 - 1.0) * f) as usize)
            .copied()
            .unwrap_or(0.0)
    };
    println!(
        "   per doc: median {:.0} µs, p90 {:.0} µs, max {:.0} µs",
        q(0.5),
        q(0.9),
        q(1.0)
    );
    println!(
        "   {:<18} {:>7.1} µs/doc (first word segmentation, jieba for zh)",
        "words()",
        seg.as_secs_f64() * 1e6 / n_runs.max(1) as f64
    );
    for (st, t) in steps.iter().zip(&step_time) {
        println!(
            "   {:<18} {:>7.1} µs/doc",
            st.name(),
            t.as_secs_f64() * 1e6 / n_runs.max(1) as f64
        );
    }
    let pii: Vec<String> = stats
        .0
        .iter()
        .filter(|(k, _)| k.starts_with("pii_") || k.starts_with("c4_lines"))
        .map(|(k, v)| format!("{k}={}", v / 3))
        .collect();
    println!("   counters: {}", pii.join(" "));

    // --- 2. check set: held-out half first (what the test asserts), then the tuning half.
    let run = heldout::evaluate(&root, &steps);
    println!("\n== labelled check set (held-out = xxh3(id) odd; unseen = added after tuning)");
    for half in ["held-out", "tuning"] {
        for (k, (ok, n)) in run.tally.iter().filter(|(k, _)| k.starts_with(half)) {
            let what = if k.contains(" good") {
                "kept"
            } else {
                "dropped"
            };
            println!("{k:<44} {what:>7} {ok:>4}/{n:<4} = {:5.1}%", pct(*ok, *n));
        }
    }
    for g in &run.gone {
        println!("  spam page dropped by extraction (not counted): {g}");
    }
    for w in run.wrong.iter().take(show) {
        println!("  held-out mistake: {w}");
    }
    let (good, _) = evalset::check_set(&root, &steps);
    let bad_drops: Vec<(&str, &str)> = good
        .iter()
        .filter_map(|o| Some((o.id.as_str(), o.reason.as_deref()?)))
        .collect();
    // `--dump ID`: full text, and each step's verdict and scores run on its own.
    if let Some(id) = args
        .iter()
        .position(|a| a == "--dump")
        .and_then(|i| args.get(i + 1))
    {
        // `--dump dropped`: verdicts of every dropped good article, without the text.
        let ids: Vec<&str> = if id == "dropped" {
            bad_drops.iter().map(|b| b.0).collect()
        } else {
            vec![id.as_str()]
        };
        let all = evalset::good_articles(&root);
        for s in all.iter().filter(|s| ids.contains(&s.doc.id.as_str())) {
            let text = if id == "dropped" { "" } else { s.doc.text() };
            println!("\n== {}\n{text}\n==", s.doc.id);
            for st in &steps {
                let mut d = s.doc.clone();
                let v = st.process(&mut d, &mut Counters::default());
                println!("{:<18} {v:?} {:?}", st.name(), d.meta);
            }
        }
    }
    Ok(())
}
