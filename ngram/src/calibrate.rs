//! Held-out split, generated junk and the choice of per-language cut-offs.
//!
//! - Split: paragraph `i` of every training file (0-based) is held out when `i % 10 == 9`.
//!   By index, not by hash, so parallel files (UD GSD and GSDSimp hold the same sentences in
//!   the same order) land in the same split and no sentence leaks into training in the other
//!   script.
//! - Eval docs: consecutive held-out paragraphs of one file, joined until ≥ 1,000 bytes (the
//!   scale of a short article).
//! - Junk, generated from each eval doc with a fixed seed: Chinese character salad (the doc's
//!   characters shuffled: same unigram mix as real text), chunk salad (2–4-character chunks
//!   shuffled), English word salad (words shuffled) and keyword spam (5 of the doc's words or
//!   chunks repeated in random order to the doc's length).
//! - Cut-off: the highest value that still drops ≥ 95 % of every salad kind (keyword spam is
//!   reported, not calibrated on: see [`SALAD`]), but never below the good docs' 99th
//!   percentile. Generous to good text on purpose: real web articles (news, recipes, fiction,
//!   old vernacular) score well above held-out Wikipedia, so a cut at the reference's 95th
//!   percentile drops ~8 % of real zh articles (measured by `skypile train lm --check-dir`).

use std::collections::BTreeMap;

use crate::model::{DocScore, Model};

pub const HOLDOUT_EVERY: usize = 10;
pub const DOC_BYTES: usize = 1000;
pub const SEED: u64 = 17;

pub fn is_heldout(paragraph: usize) -> bool {
    paragraph % HOLDOUT_EVERY == HOLDOUT_EVERY - 1
}

/// Training paragraphs and held-out eval docs of one file's paragraphs.
pub fn split(paragraphs: &[String]) -> (Vec<&str>, Vec<String>) {
    let (mut train, mut docs, mut cur) = (Vec::new(), Vec::new(), String::new());
    for (i, p) in paragraphs.iter().map(String::as_str).enumerate() {
        if !is_heldout(i) {
            train.push(p);
            continue;
        }
        if !cur.is_empty() {
            cur.push('\n');
        }
        cur.push_str(p);
        if cur.len() >= DOC_BYTES {
            docs.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        docs.push(cur);
    }
    (train, docs)
}

/// The workspace's seeded generator (one copy, in `skypile_core::rng`); re-exported here for
/// this crate's callers.
pub use skypile_core::rng::Rng;

/// 2–4-character chunks of a line's non-space characters.
fn chunks(line: &str, rng: &mut Rng) -> Vec<String> {
    let chars: Vec<char> = line.chars().filter(|c| !c.is_whitespace()).collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let n = 2 + rng.below(3);
        out.push(chars[i..(i + n).min(chars.len())].iter().collect());
        i += n;
    }
    out
}

fn per_line(doc: &str, mut f: impl FnMut(&str) -> String) -> String {
    doc.lines().map(&mut f).collect::<Vec<_>>().join("\n")
}

/// Junk docs made from `doc`: (kind, text) for the kinds of `lang`.
pub fn junk(lang: &str, doc: &str, rng: &mut Rng) -> Vec<(&'static str, String)> {
    let zh = lang == "zh";
    let mut out = Vec::new();
    if zh {
        out.push((
            "char_salad",
            per_line(doc, |l| {
                let mut c: Vec<char> = l.chars().filter(|c| !c.is_whitespace()).collect();
                rng.shuffle(&mut c);
                c.into_iter().collect()
            }),
        ));
        out.push((
            "chunk_salad",
            per_line(doc, |l| {
                let mut c = chunks(l, rng);
                rng.shuffle(&mut c);
                c.concat()
            }),
        ));
    } else {
        out.push((
            "word_salad",
            per_line(doc, |l| {
                let mut w: Vec<&str> = l.split_whitespace().collect();
                rng.shuffle(&mut w);
                w.join(" ")
            }),
        ));
    }
    let pool: Vec<String> = if zh {
        doc.lines().flat_map(|l| chunks(l, rng)).collect()
    } else {
        doc.split_whitespace().map(str::to_string).collect()
    };
    if !pool.is_empty() {
        let keys: Vec<&String> = (0..5).map(|_| &pool[rng.below(pool.len())]).collect();
        let spam = per_line(doc, |l| {
            let n = if zh {
                l.chars().count() / 3
            } else {
                l.split_whitespace().count()
            };
            (0..n.max(1))
                .map(|_| keys[rng.below(keys.len())].as_str())
                .collect::<Vec<_>>()
                .join(" ")
        });
        out.push(("keyword_spam", spam));
    }
    out
}

/// The `q` quantile (nearest rank) of unsorted values.
pub fn quantile(v: &[f64], q: f64) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    if s.is_empty() {
        return f64::NAN;
    }
    s[((q * s.len() as f64).ceil() as usize).clamp(1, s.len()) - 1]
}

pub fn share_above(v: &[f64], cut: f64) -> f64 {
    v.iter().filter(|&&x| x > cut).count() as f64 / v.len().max(1) as f64
}

/// Junk kinds the cut-off is chosen on. Keyword spam (a few real, in-domain words repeated)
/// is measured and reported, but it is the repetition filters' job (Gopher's top and
/// duplicate n-gram rules): pulling the cut down for it would drop real list-like pages.
pub const SALAD: [&str; 3] = ["char_salad", "chunk_salad", "word_salad"];

/// See the module docs: the highest cut dropping ≥ 95 % of every salad kind, never below the
/// good docs' 99th percentile.
pub fn choose_cut(good: &[f64], junk: &BTreeMap<&str, Vec<f64>>) -> f64 {
    let floor = quantile(good, 0.99);
    let salad_p5 = junk
        .iter()
        .filter(|(k, _)| SALAD.contains(k))
        .map(|(_, v)| quantile(v, 0.05))
        .fold(f64::INFINITY, f64::min);
    // Just below the salad's 5th percentile, so that value itself counts as dropped.
    if salad_p5.is_finite() {
        (salad_p5 * 0.999).max(floor)
    } else {
        floor
    }
}

/// Perplexities of good docs and of each junk kind made from them.
pub fn measure(
    model: &Model,
    lang: &str,
    good: &[String],
    metric: impl Fn(&DocScore) -> f64,
    max_bytes: usize,
) -> (Vec<f64>, BTreeMap<&'static str, Vec<f64>>) {
    let mut rng = Rng::new(SEED);
    let mut g = Vec::new();
    let mut j: BTreeMap<&'static str, Vec<f64>> = BTreeMap::new();
    for d in good {
        if let Some(s) = model.score(d, max_bytes) {
            g.push(metric(&s));
        }
        for (kind, t) in junk(lang, d, &mut rng) {
            if let Some(s) = model.score(&t, max_bytes) {
                j.entry(kind).or_default().push(metric(&s));
            }
        }
    }
    (g, j)
}

/// A printable table: quantiles per set and what the cut keeps / drops.
pub fn table(sets: &[(&str, &[f64])], cut: f64, good_sets: usize) -> String {
    let mut s = format!(
        "{:<26} {:>5} {:>8} {:>8} {:>8} {:>8}  at cut {cut:.3}\n",
        "set", "docs", "p5", "p50", "p95", "p99"
    );
    for (i, (name, v)) in sets.iter().enumerate() {
        let what = if i < good_sets {
            format!("kept {:.1}%", 100.0 * (1.0 - share_above(v, cut)))
        } else {
            format!("dropped {:.1}%", 100.0 * share_above(v, cut))
        };
        s += &format!(
            "{name:<26} {:>5} {:>8.3} {:>8.3} {:>8.3} {:>8.3}  {what}\n",
            v.len(),
            quantile(v, 0.05),
            quantile(v, 0.5),
            quantile(v, 0.95),
            quantile(v, 0.99)
        );
    }
    s
}
