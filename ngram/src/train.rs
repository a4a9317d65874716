//! Training: count n-grams, estimate interpolated modified Kneser-Ney (Chen & Goodman 1998,
//! as KenLM's `lmplz` does) or stupid back-off (Brants et al. 2007), prune, and write the
//! back-off form every n-gram tool reads.
//!
//! - Units get ids by frequency (ties by text), at most 2^18 - 1 of them (the rarest beyond
//!   `max_vocab` become `<unk>`), so an n-gram of up to 7 units packs into a u128 key.
//! - Kneser-Ney uses raw counts at the highest order and continuation counts (distinct left
//!   neighbours) below it, except for n-grams starting with `<s>`; discounts D1, D2, D3+ per
//!   order from the count-of-counts.
//! - Pruning (`prune[k]`, KenLM's `--prune`): order-k n-grams (k ≥ 2) whose count is ≤ the
//!   threshold are dropped, and so is every n-gram whose prefix or suffix was dropped (the
//!   closure KenLM keeps, which lets scoring skip probes that cannot hit). Back-off weights
//!   are then recomputed so each context's distribution still sums to 1 (the pruned mass
//!   moves to the back-off), which the tests check.
//! - Every sum runs over key-sorted n-grams: the same text gives the same bytes.

use anyhow::{Result, bail};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::model::{BOS, EOS, Header, MAX_ORDER, Model, UNK, ngram_key, unit_hash};
use crate::units::Units;

const BITS: u32 = 18;
const MASK: u128 = (1 << BITS) - 1;
const UNK_ID: u32 = 0;
const BOS_ID: u32 = 1;
const EOS_ID: u32 = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Smoothing {
    KneserNey,
    StupidBackoff,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrainConfig {
    pub order: usize,
    /// Per-order count thresholds (index 0 = unigrams, ignored); missing orders repeat the last.
    pub prune: Vec<u64>,
    pub smoothing: Smoothing,
    pub max_vocab: usize,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            order: 5,
            prune: vec![0, 0, 1],
            smoothing: Smoothing::KneserNey,
            max_vocab: (1 << BITS) - 1,
        }
    }
}

impl TrainConfig {
    fn threshold(&self, order: usize) -> u64 {
        if order <= 1 {
            return 0;
        }
        let i = (order - 1).min(self.prune.len().saturating_sub(1));
        self.prune.get(i).copied().unwrap_or(0)
    }
}

/// Unit sequences of the training lines, with ids by frequency.
struct Corpus {
    vocab: Vec<String>,
    lines: Vec<Vec<u32>>,
    units: u64,
}

fn corpus(lines: &[&str], units: Units, max_vocab: usize) -> Corpus {
    let mut freq: FxHashMap<String, u64> = FxHashMap::default();
    let mut buf = String::new();
    for l in lines {
        units.for_each(l, &mut buf, |u| match freq.get_mut(u) {
            Some(c) => *c += 1,
            None => {
                freq.insert(u.to_string(), 1);
            }
        });
    }
    for s in [BOS, EOS, UNK] {
        freq.remove(s);
    }
    let mut by_freq: Vec<(String, u64)> = freq.into_iter().collect();
    by_freq.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    by_freq.truncate(max_vocab.min(MASK as usize).saturating_sub(3));
    let mut vocab: Vec<String> = [UNK, BOS, EOS].iter().map(|s| s.to_string()).collect();
    vocab.extend(by_freq.into_iter().map(|(s, _)| s));
    let ids: FxHashMap<&str, u32> = vocab
        .iter()
        .enumerate()
        .map(|(i, s)| (s.as_str(), i as u32))
        .collect();
    let mut out = Vec::with_capacity(lines.len());
    let mut total = 0;
    for l in lines {
        let mut seq = vec![BOS_ID];
        units.for_each(l, &mut buf, |u| {
            seq.push(ids.get(u).copied().unwrap_or(UNK_ID))
        });
        seq.push(EOS_ID);
        total += seq.len() as u64 - 1;
        out.push(seq);
    }
    Corpus {
        vocab: vocab.clone(),
        lines: out,
        units: total,
    }
}

fn first(key: u128, order: usize) -> u32 {
    (key >> (BITS * (order as u32 - 1))) as u32
}

fn suffix(key: u128, order: usize) -> u128 {
    key & ((1u128 << (BITS * (order as u32 - 1))) - 1)
}

/// Raw counts per order (index k-1 holds k-grams), keyed by packed unit ids.
fn count(c: &Corpus, order: usize) -> Vec<FxHashMap<u128, u64>> {
    let mut counts = vec![FxHashMap::default(); order];
    for seq in &c.lines {
        for i in 1..seq.len() {
            let mut key = 0u128;
            for k in 1..=order.min(i + 1) {
                key |= (seq[i + 1 - k] as u128) << (BITS * (k as u32 - 1));
                *counts[k - 1].entry(key).or_insert(0) += 1;
            }
        }
    }
    counts
}

/// Kneser-Ney's adjusted counts: continuation counts below the highest order.
fn adjust(mut counts: Vec<FxHashMap<u128, u64>>) -> Vec<FxHashMap<u128, u64>> {
    for k in (1..counts.len()).rev() {
        let mut cont: FxHashMap<u128, u64> = FxHashMap::default();
        for &g in counts[k].keys() {
            *cont.entry(suffix(g, k + 1)).or_insert(0) += 1;
        }
        for (g, c) in counts[k - 1].iter_mut() {
            if k == 1 || first(*g, k) != BOS_ID {
                *c = cont.get(g).copied().unwrap_or(*c);
            }
        }
    }
    counts
}

/// Sorted (key, count) per order: every later sum runs in this order.
fn sorted(counts: &[FxHashMap<u128, u64>]) -> Vec<Vec<(u128, u64)>> {
    counts
        .iter()
        .map(|m| {
            let mut v: Vec<(u128, u64)> = m.iter().map(|(&k, &c)| (k, c)).collect();
            v.sort_unstable_by_key(|e| e.0);
            v
        })
        .collect()
}

/// Modified KN discounts D1, D2, D3+ from count-of-counts; the fallback for tiny corpora
/// (where n1..n4 are not all positive) is the classic 0.5/1.0/1.5.
fn discounts(grams: &[(u128, u64)]) -> [f64; 4] {
    let mut n = [0f64; 5];
    for &(_, c) in grams {
        if (1..=4).contains(&c) {
            n[c as usize] += 1.0;
        }
    }
    let y = n[1] / (n[1] + 2.0 * n[2]);
    let d = [
        0.0,
        1.0 - 2.0 * y * n[2] / n[1],
        2.0 - 3.0 * y * n[3] / n[2],
        3.0 - 4.0 * y * n[4] / n[3],
    ];
    let ok = d[1..]
        .iter()
        .enumerate()
        .all(|(i, &x)| x > 0.0 && x < (i + 1) as f64);
    if ok { d } else { [0.0, 0.5, 1.0, 1.5] }
}

/// Model under construction: natural probability and back-off per packed key, per order.
type Stage = Vec<FxHashMap<u128, (f64, f64)>>;

fn query(m: &Stage, gram: &[u32]) -> f64 {
    let n = gram.len();
    let mut backoff = 1.0;
    for k in (1..=n).rev() {
        let g = &gram[n - k..];
        if let Some(&(p, _)) = m[k - 1].get(&pack(g)) {
            return p * backoff;
        }
        if k > 1 {
            backoff *= m[k - 2].get(&pack(&g[..k - 1])).map_or(1.0, |e| e.1);
        }
    }
    m[0].get(&(UNK_ID as u128)).map_or(0.0, |e| e.0) * backoff
}

fn pack(g: &[u32]) -> u128 {
    g.iter().fold(0u128, |k, &u| (k << BITS) | u as u128)
}

fn unpack(key: u128, order: usize) -> Vec<u32> {
    (0..order)
        .rev()
        .map(|i| ((key >> (BITS * i as u32)) & MASK) as u32)
        .collect()
}

/// Call `f` with each context's run of n-grams (keys sharing all but the last unit).
fn for_each_context(grams: &[(u128, u64)], mut f: impl FnMut(&[(u128, u64)])) {
    let mut i = 0;
    while i < grams.len() {
        let ctx = grams[i].0 >> BITS;
        let j = i + grams[i..].iter().take_while(|g| g.0 >> BITS == ctx).count();
        f(&grams[i..j]);
        i = j;
    }
}

/// Interpolated KN probabilities of every counted n-gram (before pruning).
fn kn_probs(adj: &[Vec<(u128, u64)>], vocab_size: usize) -> Vec<FxHashMap<u128, f64>> {
    let mut probs: Vec<FxHashMap<u128, f64>> = Vec::new();
    for (k0, grams) in adj.iter().enumerate() {
        let d = discounts(grams);
        let disc = |c: u64| d[c.min(3) as usize];
        let mut p = FxHashMap::default();
        for_each_context(grams, |run| {
            let total = run.iter().map(|g| g.1).sum::<u64>() as f64;
            let gamma = run.iter().map(|g| disc(g.1)).sum::<f64>() / total;
            for &(g, c) in run {
                let lower = match probs.last() {
                    None => 1.0 / vocab_size as f64,
                    Some(l) => l.get(&suffix(g, k0 + 1)).copied().unwrap_or(0.0),
                };
                p.insert(g, (c as f64 - disc(c)) / total + gamma * lower);
            }
            if k0 == 0 {
                p.entry(UNK_ID as u128).or_insert(gamma / vocab_size as f64);
            }
        });
        probs.push(p);
    }
    probs
}

/// Stupid back-off's relative frequencies of raw counts.
fn sb_probs(raw: &[Vec<(u128, u64)>]) -> Vec<FxHashMap<u128, f64>> {
    let mut probs = Vec::new();
    for grams in raw {
        let mut p = FxHashMap::default();
        for_each_context(grams, |run| {
            let total = run.iter().map(|g| g.1).sum::<u64>() as f64;
            for &(g, c) in run {
                p.insert(g, c as f64 / total);
            }
        });
        if let Some(&m) = grams.iter().map(|g| &g.1).min() {
            let total = grams.iter().map(|g| g.1).sum::<u64>() as f64;
            // <unk>: half the mass of the rarest unit.
            p.entry(UNK_ID as u128).or_insert(0.5 * m as f64 / total);
        }
        probs.push(p);
    }
    probs
}

/// A trained model in packed-id form, before hashing (it can still be written as ARPA).
pub struct Trained {
    pub header: Header,
    vocab: Vec<String>,
    stage: Stage,
    /// n-grams that collided with another one after hashing (kept: the first by key).
    pub collisions: u64,
}

const SB_BACKOFF: f64 = 0.4;

/// Train a model on lines of text (one sentence or paragraph per line).
pub fn train(
    lines: &[&str],
    lang: &str,
    units: Units,
    cfg: &TrainConfig,
    source: &str,
) -> Result<Trained> {
    if !(1..=MAX_ORDER).contains(&cfg.order) {
        bail!(
            "n-gram order {} is out of range: use 1 to {MAX_ORDER}",
            cfg.order
        );
    }
    let c = corpus(lines, units, cfg.max_vocab);
    if c.units == 0 {
        bail!("no training text: the input files are empty");
    }
    let raw = count(&c, cfg.order);
    let kn = cfg.smoothing == Smoothing::KneserNey;
    let counts = sorted(&if kn { adjust(raw) } else { raw });
    let vocab_size = counts[0].len() + counts[0].iter().all(|g| g.0 != UNK_ID as u128) as usize;
    let probs = if kn {
        kn_probs(&counts, vocab_size)
    } else {
        sb_probs(&counts)
    };
    let init_backoff = if kn { 1.0 } else { SB_BACKOFF };
    let mut stage: Stage = vec![FxHashMap::default(); cfg.order];
    for (&g, &p) in &probs[0] {
        stage[0].insert(g, (p, init_backoff));
    }
    stage[0].insert(BOS_ID as u128, (0.0, init_backoff));
    for order in 2..=cfg.order {
        let min = cfg.threshold(order);
        let kept: Vec<u128> = counts[order - 1]
            .iter()
            .filter(|g| {
                let lower = &stage[order - 2];
                g.1 > min
                    && lower.contains_key(&(g.0 >> BITS))
                    && lower.contains_key(&suffix(g.0, order))
            })
            .map(|g| g.0)
            .collect();
        for &g in &kept {
            let p = probs[order - 1].get(&g).copied().unwrap_or(0.0);
            stage[order - 1].insert(g, (p, init_backoff));
        }
        if kn {
            renormalise(&mut stage, &kept, order);
        }
    }
    let ngrams = stage.iter().map(|m| m.len() as u64).collect();
    let header = Header {
        lang: lang.to_string(),
        units,
        order: cfg.order,
        smoothing: if kn { "kneser_ney" } else { "stupid_backoff" }.into(),
        ngrams,
        train_units: c.units,
        train_lines: lines.len() as u64,
        source: source.to_string(),
    };
    Ok(Trained {
        header,
        vocab: c.vocab,
        stage,
        collisions: 0,
    })
}

/// Back-off weights of the order-(k-1) contexts of the kept order-k n-grams (sorted keys):
/// whatever probability their pruned or unseen continuations lose moves to the back-off.
fn renormalise(stage: &mut Stage, kept: &[u128], order: usize) {
    let mut i = 0;
    while i < kept.len() {
        let ctx = kept[i] >> BITS;
        let j = i + kept[i..].iter().take_while(|&&g| g >> BITS == ctx).count();
        let (mut num, mut den) = (1.0f64, 1.0f64);
        for &g in &kept[i..j] {
            num -= stage[order - 1].get(&g).map_or(0.0, |e| e.0);
            let gram = unpack(g, order);
            den -= query(stage, &gram[1..]);
        }
        if let Some(e) = stage[order - 2].get_mut(&ctx) {
            e.1 = num.max(1e-12) / den.max(1e-12);
        }
        i = j;
    }
}

fn log10(x: f64) -> f32 {
    if x > 0.0 { x.log10() as f32 } else { -99.0 }
}

impl Trained {
    /// Hash the n-grams into a loadable model.
    pub fn to_model(&mut self) -> Result<Model> {
        let hashes: Vec<u64> = self.vocab.iter().map(|s| unit_hash(s)).collect();
        let mut entries: Vec<(u64, f32, f32)> = Vec::new();
        for (k0, m) in self.stage.iter().enumerate() {
            let mut keys: Vec<&u128> = m.keys().collect();
            keys.sort_unstable();
            for g in keys {
                let (p, b) = m[g];
                let units: Vec<u64> = unpack(*g, k0 + 1)
                    .iter()
                    .map(|&id| hashes[id as usize])
                    .collect();
                entries.push((ngram_key(&units), log10(p), log10(b)));
            }
        }
        let before = entries.len();
        // Stable sort, then keep the first of equal keys (lower order, smaller packed key).
        entries.sort_by_key(|e| e.0);
        entries.dedup_by_key(|e| e.0);
        self.collisions = (before - entries.len()) as u64;
        Model::from_entries(self.header.clone(), &entries)
    }

    /// Write the model as a KenLM/SRILM ARPA file (log10 probabilities and back-offs).
    pub fn write_arpa(&self, out: &mut impl std::io::Write) -> Result<()> {
        writeln!(out, "\\data\\")?;
        for (k0, m) in self.stage.iter().enumerate() {
            writeln!(out, "ngram {}={}", k0 + 1, m.len())?;
        }
        for (k0, m) in self.stage.iter().enumerate() {
            writeln!(out, "\n\\{}-grams:", k0 + 1)?;
            let mut keys: Vec<&u128> = m.keys().collect();
            keys.sort_unstable();
            for g in keys {
                let (p, b) = m[g];
                let words: Vec<&str> = unpack(*g, k0 + 1)
                    .iter()
                    .map(|&id| self.vocab[id as usize].as_str())
                    .collect();
                if k0 + 1 < self.stage.len() {
                    writeln!(out, "{}\t{}\t{}", log10(p), words.join(" "), log10(b))?;
                } else {
                    writeln!(out, "{}\t{}", log10(p), words.join(" "))?;
                }
            }
        }
        writeln!(out, "\n\\end\\")?;
        Ok(())
    }

    /// P(w | context) of the model before hashing, for every w of the vocabulary (tests).
    pub fn distribution(&self, context: &[&str]) -> Vec<(String, f64)> {
        let id = |s: &str| self.vocab.iter().position(|v| v == s).unwrap_or(0) as u32;
        let ctx: Vec<u32> = context.iter().map(|s| id(s)).collect();
        self.vocab
            .iter()
            .enumerate()
            .filter(|(i, _)| *i as u32 != BOS_ID)
            .map(|(i, w)| {
                let mut g = ctx.clone();
                g.push(i as u32);
                let n = g.len().min(self.stage.len());
                (w.clone(), query(&self.stage, &g[g.len() - n..]))
            })
            .collect()
    }
}
