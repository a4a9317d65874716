//! A loaded back-off n-gram model: n-gram keys hashed to 64 bits, each with a log10
//! probability and a log10 back-off weight, in one hash table (KenLM's "probing" layout).
//!
//! - Scoring a unit is the ARPA back-off rule: the longest stored n-gram ending in the unit
//!   gives the probability, plus the back-off weights of every longer context that was not
//!   found. Units never seen in training score as `<unk>`.
//! - The file is a checksummed skypile binary (`skypile_core::binfile`, kind `ngram-lm`):
//!   a JSON header record, then the sorted keys, probabilities and back-offs as three records.
//!   Keys are sorted, so regenerating a model gives the same bytes.
//! - Hashes instead of strings: no vocabulary to store and one probe per order. A 64-bit key
//!   collision among ~10^6 n-grams has probability ~10^-8; training counts and reports them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, Weak};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use skypile_core::binfile::{BinReader, BinWriter};
use skypile_core::text::line_ranges;
use xxhash_rust::xxh3::xxh3_64;

use crate::table::Table;
use crate::units::Units;

pub const KIND: &str = "ngram-lm";
pub const VERSION: u32 = 1;
pub const BOS: &str = "<s>";
pub const EOS: &str = "</s>";
pub const UNK: &str = "<unk>";
/// Longest order the trainer supports (7 units of 18 bits fit a 128-bit training key).
pub const MAX_ORDER: usize = 7;

/// What the model is: stored as the file's first record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    pub lang: String,
    pub units: Units,
    pub order: usize,
    /// `kneser_ney`, `stupid_backoff` or `arpa`.
    pub smoothing: String,
    /// Stored n-grams per order (1-based order at index 0).
    pub ngrams: Vec<u64>,
    /// Training units (tokens) and lines, 0 for a converted ARPA file.
    pub train_units: u64,
    pub train_lines: u64,
    /// Free text: where the training text came from (kept in the file for the data card).
    pub source: String,
}

#[derive(Debug, Default, Clone, Copy)]
pub struct LineScore {
    pub log10: f64,
    pub unigram_log10: f64,
    pub units: u64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DocScore {
    pub perplexity: f64,
    /// Perplexity under the model's unigrams alone (no context).
    pub unigram_perplexity: f64,
    pub units: u64,
}

impl DocScore {
    /// Perplexity relative to the context-free one: how much the context helps. Real text
    /// is far more predictable in context; salad made of real characters is not.
    pub fn ratio(&self) -> f64 {
        self.perplexity / self.unigram_perplexity
    }
}

pub struct Model {
    pub header: Header,
    table: Table,
    unk: u64,
    unk_log10: f32,
}

/// Units ahead of the one being scored whose n-gram slots [`Model::score_line`] prefetches.
const AHEAD: usize = 4;

/// Scratch space of [`Model::score_line`], reused across lines and docs.
#[derive(Default)]
pub struct LineScratch {
    /// Normalised text of the current unit.
    buf: String,
    /// Unit hashes of the line, `<s>` first and `</s>` last; `<unk>` for unseen units.
    hashes: Vec<u64>,
    /// Unigram log10 probability of each unit (0 for `<s>`, which is never scored).
    uni: Vec<f32>,
    /// Key of the k-gram ending at unit e at `keys[e * row + k - 1]`.
    keys: Vec<u64>,
    row: usize,
}

/// Keys stored per unit: one per n-gram length up to the order (at least the unigram).
fn order_row(order: usize) -> usize {
    order.max(1)
}

/// splitmix64's finaliser: spreads every input bit over the key.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Hash of one unit's text.
pub fn unit_hash(unit: &str) -> u64 {
    xxh3_64(unit.as_bytes())
}

/// Key of an n-gram given its unit hashes, left to right.
pub fn ngram_key(units: &[u64]) -> u64 {
    units
        .iter()
        .fold(0x9E37_79B9_7F4A_7C15, |h, &u| mix(h.rotate_left(23) ^ u))
}

impl Model {
    /// Build from (key, log10 prob, log10 back-off) entries, sorted by key.
    pub fn from_entries(header: Header, entries: &[(u64, f32, f32)]) -> Result<Model> {
        if header.order > MAX_ORDER {
            bail!(
                "n-gram model of order {}: at most {MAX_ORDER} is supported; retrain it",
                header.order
            );
        }
        let mut table = Table::with_capacity(entries.len());
        for &(k, p, b) in entries {
            table.insert(k, p, b);
        }
        let unk = unit_hash(UNK);
        let Some((unk_log10, _)) = table.get(ngram_key(&[unk])) else {
            bail!("n-gram model has no <unk> unigram: it cannot score unseen units");
        };
        Ok(Model {
            header,
            table,
            unk,
            unk_log10,
        })
    }

    /// Entries sorted by key (the on-disk order).
    pub fn entries(&self) -> Vec<(u64, f32, f32)> {
        let mut v: Vec<_> = self.table.iter().collect();
        v.sort_unstable_by_key(|e| e.0);
        v
    }

    pub fn len(&self) -> usize {
        self.table.len()
    }

    pub fn is_empty(&self) -> bool {
        self.table.len() == 0
    }

    /// Bytes the loaded table takes (its slots: keys and values).
    pub fn memory_bytes(&self) -> u64 {
        self.table.memory_bytes()
    }

    pub fn unk_log10(&self) -> f32 {
        self.unk_log10
    }

    /// log10 P(unit | context); `window` holds the context's unit hashes then the unit's,
    /// oldest first (at most `order` of them are used).
    pub fn log10_prob(&self, window: &[u64]) -> f32 {
        self.log10_prob_from(window, window.len().saturating_sub(1))
            .0
    }

    /// [`Model::log10_prob`] knowing that only the last `known` context units form a stored
    /// n-gram (KenLM's state): longer n-grams cannot be stored, because stored n-grams have
    /// stored prefixes and suffixes, so they are not probed. Returns the probability and the
    /// length of the longest stored n-gram ending in the unit (the next state).
    pub fn log10_prob_from(&self, window: &[u64], known: usize) -> (f32, usize) {
        let n = window.len().min(self.header.order).min(known + 1);
        let w = &window[window.len() - n..];
        let unigram = w
            .last()
            .and_then(|&h| self.table.get(ngram_key(&[h])))
            .map(|e| e.0);
        self.backoff_search(
            n,
            |k| ngram_key(&w[n - k..]),
            |k| ngram_key(&w[n - k..n - 1]),
            unigram,
        )
    }

    /// The ARPA back-off rule for a unit whose context allows n-grams of at most `n` units:
    /// the longest stored n-gram ending in the unit (`gram(k)`: key of the k-gram) gives the
    /// probability, plus the back-offs of the contexts of the longer ones (`context(k)`: key
    /// of the k-gram's first k-1 units). Returns the log10 probability and the n-gram length.
    #[inline(always)]
    fn backoff_search(
        &self,
        n: usize,
        gram: impl Fn(usize) -> u64,
        context: impl Fn(usize) -> u64,
        unigram: Option<f32>,
    ) -> (f32, usize) {
        let mut backoff = 0.0f32;
        for k in (2..=n).rev() {
            if let Some((p, _)) = self.table.get(gram(k)) {
                return (p + backoff, k);
            }
            backoff += self.table.get(context(k)).map_or(0.0, |e| e.1);
        }
        match unigram {
            Some(p) if n >= 1 => (p + backoff, 1),
            _ => (self.unk_log10 + backoff, 0),
        }
    }

    /// Sums of log10 probabilities of one line's units and its `</s>` under the model and
    /// under its unigrams alone, and the unit count (including `</s>`, as CCNet counts).
    /// - Done in passes over the line so that table probes, which miss the caches, overlap:
    ///   unit hashes (prefetching their unigrams), `<unk>` for unseen units, every n-gram key
    ///   ending at every unit, then the back-off search with the slots of the n-grams
    ///   [`AHEAD`] units on prefetched.
    /// - The same probes in the same order as one unit at a time, so the same sums bit for
    ///   bit (`tests/score_identity.rs` compares with that scorer on the shared texts).
    pub fn score_line(&self, line: &str, s: &mut LineScratch) -> LineScore {
        let order = self.header.order;
        let keep = order.max(1) - 1;
        self.line_units(line, s);
        let w = s.row;
        let (keys, uni) = (&s.keys, &s.uni);
        let mut out = LineScore::default();
        let mut known = 1;
        for e in 1..uni.len() {
            if let Some(row) = keys.get((e + AHEAD) * w..(e + AHEAD + 1) * w) {
                row.iter()
                    .take(e + AHEAD + 1)
                    .skip(1)
                    .for_each(|&k| self.table.prefetch(k));
            }
            let n = (e + 1).min(order).min(known + 1);
            let (p, k) = self.backoff_search(
                n,
                |k| keys[e * w + k - 1],
                |k| keys[(e - 1) * w + k - 2],
                Some(uni[e]),
            );
            known = k.min(keep);
            out.log10 += p as f64;
            out.unigram_log10 += uni[e] as f64;
            out.units += 1;
        }
        out
    }

    /// Fill `s` for one line: the unigram log10 probability of each unit (`<s>` first, then
    /// the line's units and `</s>`), and the key of every n-gram ending at each of them.
    fn line_units(&self, line: &str, s: &mut LineScratch) {
        let table = &self.table;
        let hashes = &mut s.hashes;
        hashes.clear();
        hashes.push(unit_hash(BOS));
        let mut push = |h: u64| {
            table.prefetch(ngram_key(&[h]));
            hashes.push(h);
        };
        self.header
            .units
            .for_each(line, &mut s.buf, |u| push(unit_hash(u)));
        push(unit_hash(EOS));
        s.uni.clear();
        s.uni.push(0.0); // `<s>` is context only
        for h in &mut s.hashes[1..] {
            let uni = match table.get(ngram_key(&[*h])) {
                Some(e) => e.0,
                None => {
                    *h = self.unk;
                    self.unk_log10
                }
            };
            s.uni.push(uni);
        }
        // keys[e * row + k - 1]: the k-gram ending at unit e, extended from the (k-1)-gram
        // ending at e - 1 exactly as `ngram_key` folds it.
        let row = order_row(self.header.order);
        s.row = row;
        s.keys.clear();
        s.keys.resize(s.hashes.len() * row, 0);
        for (e, &h) in s.hashes.iter().enumerate() {
            s.keys[e * row] = ngram_key(&[h]);
            for k in 2..=row.min(e + 1) {
                s.keys[e * row + k - 1] = mix(s.keys[(e - 1) * row + k - 2].rotate_left(23) ^ h);
            }
        }
    }

    /// Scores of a text, line by line, over at most its first `max_bytes` bytes (cut at a
    /// line, or inside the last line at a char boundary). `None` if it has no units.
    pub fn score(&self, text: &str, max_bytes: usize) -> Option<DocScore> {
        let mut scratch = LineScratch::default();
        let mut sum = LineScore::default();
        for r in line_ranges(text) {
            if r.start >= max_bytes {
                break;
            }
            let mut end = r.end.min(max_bytes);
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            let s = self.score_line(&text[r.start..end], &mut scratch);
            sum.log10 += s.log10;
            sum.unigram_log10 += s.unigram_log10;
            sum.units += s.units;
        }
        let n = sum.units as f64;
        (sum.units > 0).then(|| DocScore {
            perplexity: 10f64.powf(-sum.log10 / n),
            unigram_perplexity: 10f64.powf(-sum.unigram_log10 / n),
            units: sum.units,
        })
    }

    /// CCNet's perplexity of a text and the units scored (see [`Model::score`]).
    pub fn perplexity(&self, text: &str, max_bytes: usize) -> Option<(f64, u64)> {
        self.score(text, max_bytes).map(|s| (s.perplexity, s.units))
    }

    pub fn save(&self, path: &Path) -> Result<()> {
        let mut w = BinWriter::create(path, KIND, VERSION, 0)?;
        w.write_record(&serde_json::to_vec(&self.header)?)?;
        let e = self.entries();
        let mut rec = Vec::with_capacity(e.len() * 8);
        rec.extend(e.iter().flat_map(|x| x.0.to_le_bytes()));
        w.write_record(&rec)?;
        for value in [|x: &(u64, f32, f32)| x.1, |x: &(u64, f32, f32)| x.2] {
            rec.clear();
            rec.extend(e.iter().flat_map(|x| value(x).to_le_bytes()));
            w.write_record(&rec)?;
        }
        w.finish()?;
        Ok(())
    }

    pub fn load(path: &Path) -> Result<Model> {
        let name = path.display();
        let mut r = BinReader::open(path, KIND, VERSION, 0)
            .with_context(|| format!("n-gram model {name}: train one with `skypile train lm`"))?;
        let mut next = |what: &str| {
            r.read_record()?
                .with_context(|| format!("{name}: missing {what} record"))
        };
        let header: Header = serde_json::from_slice(&next("header")?)
            .with_context(|| format!("{name}: bad header"))?;
        let (keys, probs, backs) = (next("keys")?, next("probs")?, next("backoffs")?);
        if keys.len() != 2 * probs.len() || probs.len() != backs.len() {
            bail!("{name}: key and value records differ in length");
        }
        let f32s = |b: &[u8]| -> Vec<f32> {
            b.chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect()
        };
        let (p, b) = (f32s(&probs), f32s(&backs));
        let entries: Vec<(u64, f32, f32)> = keys
            .chunks_exact(8)
            .zip(p.into_iter().zip(b))
            .map(|(k, (p, b))| (u64::from_le_bytes(k.try_into().unwrap_or([0; 8])), p, b))
            .collect();
        Model::from_entries(header, &entries).with_context(|| format!("{name}"))
    }

    /// Load a model once per process: every step and worker naming the same file shares it.
    pub fn load_shared(path: &Path) -> Result<Arc<Model>> {
        static CACHE: OnceLock<Mutex<HashMap<PathBuf, Weak<Model>>>> = OnceLock::new();
        let key = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
        let cache = CACHE.get_or_init(Default::default);
        let mut g = cache
            .lock()
            .map_err(|_| anyhow::anyhow!("n-gram model cache lock poisoned"))?;
        if let Some(m) = g.get(&key).and_then(Weak::upgrade) {
            return Ok(m);
        }
        let m = Arc::new(Model::load(path)?);
        g.insert(key, Arc::downgrade(&m));
        Ok(m)
    }
}
