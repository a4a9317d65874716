//! MinHash LSH near-duplicate removal in four stages that exchange flat checksummed files,
//! after Broder (1997) and FineWeb/datatrove's 4-stage `minhash` (signatures → buckets →
//! clusters → filter).
//!
//! 1. Doc stage: shingles per language after normalisation (lower case, digits → 0,
//!    full-width folded, punctuation dropped). English and other space-delimited text: word
//!    5-grams (FineWeb). Chinese: character 5-grams by default, not whitespace tokens (which is
//!    what peers do and what makes a Chinese page one "word"); characters need no dictionary,
//!    cost nothing and are robust to segmentation ambiguity; `zh_unit: words` uses jieba words.
//!    Each shingle is hashed once (xxh3-64), and the `bands × rows` min-hashes come from
//!    multiply-add-shift permutations `(a·h + b) >> 32` (Dietzfelbinger), which the compiler
//!    vectorises. The observation is one xxh3 per band.
//! 2. `minhash_buckets` (one rank per band), 3. `minhash_cluster` (one rank), see
//!    [`crate::cluster`]. 4. The applier drops all but the first doc (smallest `DocKey`) of
//!    each cluster and writes `minhash_cluster_size` (1 for docs without near-duplicates).
//!
//! Default 14 bands × 8 rows = 112 hashes, FineWeb's setting: the S-curve's threshold
//! (1/b)^(1/r) is J ≈ 0.72, detection is 0.77 at J = 0.75 and 0.99 at J = 0.85, and an unrelated pair
//! (J < 0.3) collides with probability < 0.1%. 20×10 (threshold 0.74) misses a third of the
//! pairs at J = 0.75 for 200 hashes.

use std::collections::HashMap;

use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};
use skypile_core::binfile::config_hash;
use skypile_core::text::{fold_fullwidth, is_cjk, normalize_for_hash, word_ranges};
use skypile_core::{
    Applier, ColType, Collector, Column, Counters, Doc, DocKey, GlobalStep, StageCtx, Verdict,
};
use xxhash_rust::xxh3::xxh3_64_with_seed;

use crate::cluster::{self, BASE_BYTES, KIND, band_path, keys_path};
use crate::files::{RecWriter, write_info};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ZhUnit {
    Chars,
    Words,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Keep {
    /// The doc with the smallest `DocKey` (input file order, then offset).
    First,
}

/// Near-duplicates by MinHash LSH: one doc kept per cluster.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct MinhashConfig {
    pub bands: usize,
    pub rows: usize,
    /// Shingle length in words for non-Chinese text.
    pub ngram_en: usize,
    /// Shingle length in `zh_unit`s for Chinese text.
    pub ngram_zh: usize,
    pub zh_unit: ZhUnit,
    pub seed: u64,
    pub keep: Keep,
}

impl Default for MinhashConfig {
    fn default() -> Self {
        MinhashConfig {
            bands: 14,
            rows: 8,
            ngram_en: 5,
            ngram_zh: 5,
            zh_unit: ZhUnit::Chars,
            seed: 1,
            keep: Keep::First,
        }
    }
}

/// Probability that a pair of Jaccard similarity J shares at least one band, J = 0.5…1.0.
pub fn s_curve(bands: usize, rows: usize) -> Vec<(f64, f64)> {
    (0..=10)
        .map(|i| {
            let j = 0.5 + 0.05 * i as f64;
            (j, detection_probability(j, bands, rows))
        })
        .collect()
}

pub fn detection_probability(j: f64, bands: usize, rows: usize) -> f64 {
    1.0 - (1.0 - j.powi(rows as i32)).powi(bands as i32)
}

/// Peak bytes of one minhash reduce rank for `docs` documents (see [`crate::cluster`]): the
/// union-find's 20·N (a band's bucket sort needs 16·N) plus fixed buffers. Ranks run in
/// parallel in one process add up. The doc stage needs only `bands + 1` 1 MiB write buffers
/// per task. Per-doc costs do not depend on bands × rows: one band is sorted at a time.
pub fn estimate_memory(docs: u64, _cfg: &MinhashConfig) -> u64 {
    20 * docs + BASE_BYTES
}

pub struct Minhash {
    cfg: MinhashConfig,
    hash: u64,
    a: Vec<u64>,
    b: Vec<u64>,
}

fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Minhash {
    pub fn new(cfg: MinhashConfig) -> Result<Self> {
        if cfg.bands == 0 || cfg.rows == 0 || cfg.bands * cfg.rows > 1024 || cfg.bands > 999 {
            bail!(
                "minhash: bands×rows must be between 1 and 1024 (got {}×{})",
                cfg.bands,
                cfg.rows
            );
        }
        if cfg.ngram_en == 0 || cfg.ngram_zh == 0 {
            bail!("minhash: ngram sizes must be at least 1");
        }
        let mut s = cfg.seed;
        let k = cfg.bands * cfg.rows;
        let a = (0..k).map(|_| splitmix(&mut s) | 1).collect();
        let b = (0..k).map(|_| splitmix(&mut s)).collect();
        let hash = config_hash(&("minhash", &cfg));
        Ok(Minhash { cfg, hash, a, b })
    }

    pub fn config(&self) -> &MinhashConfig {
        &self.cfg
    }

    /// Shingle hashes of a doc (with repeats), per the language rules above.
    pub fn shingles(&self, doc: &Doc) -> Vec<u64> {
        let mut buf = String::with_capacity(doc.text().len());
        let mut units: Vec<(u32, u32)> = Vec::new();
        let (mut cjk, mut other) = (0usize, 0usize);
        let mut word_start: Option<usize> = None;
        let close = |buf: &String,
                     ws: &mut Option<usize>,
                     units: &mut Vec<(u32, u32)>,
                     other: &mut usize| {
            if let Some(s) = ws.take() {
                units.push((s as u32, buf.len() as u32));
                *other += 1;
            }
        };
        for c in doc.text().chars() {
            let c = fold_fullwidth(c);
            if is_cjk(c) {
                close(&buf, &mut word_start, &mut units, &mut other);
                let s = buf.len();
                buf.push(c);
                units.push((s as u32, buf.len() as u32));
                cjk += 1;
            } else if c.is_alphanumeric() {
                if word_start.is_none() {
                    if !buf.is_empty() {
                        buf.push(' ');
                    }
                    word_start = Some(buf.len());
                }
                if c.is_ascii() {
                    buf.push(c.to_ascii_lowercase());
                } else if c.is_numeric() {
                    buf.push('0');
                } else {
                    buf.extend(c.to_lowercase());
                }
            } else {
                close(&buf, &mut word_start, &mut units, &mut other);
            }
        }
        close(&buf, &mut word_start, &mut units, &mut other);
        let zh = doc.is_zh() || (doc.lang.is_empty() && cjk > other);
        if zh && self.cfg.zh_unit == ZhUnit::Words {
            buf.clear();
            units.clear();
            for r in word_ranges(doc.text(), true) {
                let w = normalize_for_hash(doc.text().get(r).unwrap_or_default());
                if !w.is_empty() {
                    let s = buf.len();
                    buf.push_str(&w);
                    units.push((s as u32, buf.len() as u32));
                    buf.push(' ');
                }
            }
        }
        let n = if zh {
            self.cfg.ngram_zh
        } else {
            self.cfg.ngram_en
        };
        let span = |i: usize, j: usize| -> &[u8] {
            match (units.get(i), units.get(j)) {
                (Some(a), Some(b)) => buf
                    .as_bytes()
                    .get(a.0 as usize..b.1 as usize)
                    .unwrap_or_default(),
                _ => &[],
            }
        };
        if units.is_empty() {
            Vec::new()
        } else if units.len() < n {
            vec![xxh3_64_with_seed(span(0, units.len() - 1), self.cfg.seed)]
        } else {
            (0..=units.len() - n)
                .map(|i| xxh3_64_with_seed(span(i, i + n - 1), self.cfg.seed))
                .collect()
        }
    }

    /// `bands × rows` min-hashes of a shingle list (all `u32::MAX` if it is empty).
    pub fn signature(&self, shingles: &[u64]) -> Vec<u32> {
        let mut sig = vec![u32::MAX; self.a.len()];
        for &h in shingles {
            for ((s, a), b) in sig.iter_mut().zip(&self.a).zip(&self.b) {
                *s = (*s).min((a.wrapping_mul(h).wrapping_add(*b) >> 32) as u32);
            }
        }
        sig
    }

    pub fn band_hashes(&self, sig: &[u32]) -> Vec<u64> {
        sig.chunks_exact(self.cfg.rows)
            .enumerate()
            .map(|(i, rows)| {
                let bytes: Vec<u8> = rows.iter().flat_map(|r| r.to_le_bytes()).collect();
                xxh3_64_with_seed(&bytes, i as u64)
            })
            .collect()
    }
}

struct MinhashCollector {
    ctx: StageCtx,
    bands: Vec<RecWriter>,
    keys: RecWriter,
    idx: u64,
}

impl Collector for MinhashCollector {
    fn push(&mut self, key: DocKey, obs: Vec<u8>) -> Result<()> {
        if self.idx > u32::MAX as u64 {
            bail!(
                "minhash task {}: more than 2^32 docs in one task; use more tasks",
                self.ctx.task
            );
        }
        let node = ((self.ctx.task as u64) << 32) | self.idx;
        self.idx += 1;
        self.keys.put(&key.as_u128().to_le_bytes())?;
        if obs.len() == self.bands.len() * 8 {
            for (w, h) in self.bands.iter_mut().zip(obs.chunks_exact(8)) {
                let mut rec = [0u8; 16];
                rec[..8].copy_from_slice(h);
                rec[8..].copy_from_slice(&node.to_le_bytes());
                w.put(&rec)?;
            }
        }
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<()> {
        for w in self.bands {
            w.finish()?;
        }
        self.keys.finish()?;
        write_info(&self.ctx, KIND, self.idx)
    }
}

struct MinhashApplier {
    decisions: HashMap<u128, u32>,
}

impl Applier for MinhashApplier {
    fn drops_key(&self, key: DocKey) -> Option<&'static str> {
        matches!(self.decisions.get(&key.as_u128()), Some(0)).then_some("minhash_duplicate")
    }

    fn apply(&self, key: DocKey, doc: &mut Doc, _stats: &mut Counters) -> Verdict {
        match self.decisions.get(&key.as_u128()) {
            Some(0) => Verdict::drop("minhash_duplicate"),
            Some(&n) => {
                doc.set_meta("minhash_cluster_size", n as i64);
                Verdict::Keep
            }
            None => {
                doc.set_meta("minhash_cluster_size", 1i64);
                Verdict::Keep
            }
        }
    }
}

impl GlobalStep for Minhash {
    fn name(&self) -> &str {
        "minhash"
    }

    /// One u64 per band, plus the doc key.
    fn observation_bytes(&self, docs: u64, _text_bytes: f64) -> u64 {
        docs * (self.cfg.bands as u64 * 8 + 16)
    }

    fn reduce_memory(&self, _stage: &str, docs: u64, _ranks: usize) -> u64 {
        estimate_memory(docs, &self.cfg)
    }

    /// The S-curve: how likely a pair of given Jaccard similarity is found with these bands.
    fn plan_notes(&self) -> String {
        let curve = s_curve(self.cfg.bands, self.cfg.rows);
        let row = |f: &dyn Fn(&(f64, f64)) -> f64| {
            curve
                .iter()
                .map(|x| format!("{:>5.2}", f(x)))
                .collect::<String>()
        };
        format!(
            "minhash {}x{}: probability that a pair of Jaccard similarity J is found\n  J {}\n  P {}\n",
            self.cfg.bands,
            self.cfg.rows,
            row(&|x| x.0),
            row(&|x| x.1)
        )
    }

    fn columns(&self) -> Vec<Column> {
        vec![Column::new("minhash_cluster_size", ColType::Int64)]
    }

    fn config_hash(&self) -> u64 {
        self.hash
    }

    fn observe(&self, doc: &Doc) -> Vec<u8> {
        let sh = self.shingles(doc);
        if sh.is_empty() {
            return Vec::new();
        }
        self.band_hashes(&self.signature(&sh))
            .iter()
            .flat_map(|h| h.to_le_bytes())
            .collect()
    }

    fn collector(&self, ctx: &StageCtx) -> Result<Box<dyn Collector>> {
        let bands = (0..self.cfg.bands)
            .map(|b| {
                RecWriter::create(&band_path(&ctx.dir, ctx.task, b), "mhband", ctx.config_hash)
            })
            .collect::<Result<Vec<_>>>()?;
        let keys = RecWriter::create(&keys_path(&ctx.dir, ctx.task), "mhkeys", ctx.config_hash)?;
        Ok(Box::new(MinhashCollector {
            ctx: ctx.clone(),
            bands,
            keys,
            idx: 0,
        }))
    }

    fn reduce_stages(&self, _tasks: usize) -> Vec<(String, usize)> {
        vec![
            ("minhash_buckets".into(), self.cfg.bands),
            ("minhash_cluster".into(), 1),
        ]
    }

    fn reduce(&self, stage: &str, ctx: &StageCtx) -> Result<Counters> {
        match stage {
            "minhash_buckets" => cluster::buckets(&ctx.dir, ctx.task, ctx.config_hash),
            "minhash_cluster" => cluster::cluster(&ctx.dir, self.cfg.bands, ctx.config_hash),
            _ => bail!(
                "minhash has no reduce stage {stage:?} (stages: minhash_buckets, minhash_cluster)"
            ),
        }
    }

    fn applier(&self, ctx: &StageCtx) -> Result<Box<dyn Applier>> {
        let decisions = cluster::read_decisions(&ctx.dir, ctx.task, ctx.config_hash)?
            .into_iter()
            .collect();
        Ok(Box::new(MinhashApplier { decisions }))
    }
}

#[cfg(test)]
mod tests;
