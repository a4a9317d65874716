//! fastText's dictionary: words and labels with counts, and the ids a line of text turns into.
//!
//! - Ids `0..nwords` are words, then `nbuckets` hashed character n-grams and word n-grams
//!   (`nwords + hash % bucket`), exactly as fastText's `Dictionary::getLine` builds them, so a
//!   model trained here and one trained by fastText see the same features for the same text.
//! - Hashes are FNV-1a over bytes sign-extended from `int8_t`, and word n-gram hashes are
//!   combined from sign-extended 32-bit word hashes: both are quirks of the C++ code that a
//!   compatible reader must repeat, or non-ASCII text gets different buckets.
//! - A `.ftz` may carry a pruned bucket table (`pruneidx`): hashed ids are remapped through it
//!   and n-grams it dropped are skipped.

use std::collections::HashMap;

use anyhow::{Result, bail};

use crate::args::Args;
use crate::io::{Reader, Writer, size};

/// fastText's end-of-sentence token: every line of training text ends with one.
pub const EOS: &[u8] = b"</s>";
pub const LABEL_PREFIX: &str = "__label__";

#[derive(Debug, Clone)]
pub struct Entry {
    pub word: Vec<u8>,
    pub count: i64,
    pub is_label: bool,
}

#[derive(Debug, Clone)]
pub struct Dict {
    pub entries: Vec<Entry>,
    pub nwords: i32,
    pub nlabels: i32,
    pub ntokens: i64,
    /// Open-addressing table of entry ids keyed by the fastText hash every token needs
    /// anyway (as fastText's `word2int_`), so a lookup costs no second hash of the word.
    table: Vec<i32>,
    /// -1: not pruned; otherwise the number of (bucket -> row) pairs in `prune`.
    prune_size: i64,
    prune: HashMap<i32, i32>,
    /// Per word: its own id, then its character n-gram ids (fastText's `subwords_`).
    subwords: Vec<Vec<i32>>,
    minn: i32,
    maxn: i32,
    bucket: i32,
    word_ngrams: i32,
}

/// fastText's `Dictionary::hash`: 32-bit FNV-1a over bytes read as signed chars.
pub fn hash(s: &[u8]) -> u32 {
    let mut h: u32 = 2166136261;
    for &b in s {
        h ^= b as i8 as i32 as u32;
        h = h.wrapping_mul(16777619);
    }
    h
}

/// fastText's tokeniser: split on ASCII whitespace and NUL. The caller appends [`EOS`].
pub fn whitespace_tokens(text: &str) -> impl Iterator<Item = &[u8]> {
    text.as_bytes()
        .split(|b| matches!(b, b' ' | b'\n' | b'\r' | b'\t' | 0x0b | 0x0c | 0))
        .filter(|t| !t.is_empty())
}

impl Dict {
    /// Entries must be in fastText order: words (by count, descending), then labels.
    pub fn new(entries: Vec<Entry>, ntokens: i64, args: &Args) -> Dict {
        let nwords = entries.iter().filter(|e| !e.is_label).count() as i32;
        let nlabels = entries.len() as i32 - nwords;
        let mut d = Dict {
            table: Vec::new(),
            entries,
            nwords,
            nlabels,
            ntokens,
            prune_size: -1,
            prune: HashMap::new(),
            subwords: Vec::new(),
            minn: args.minn,
            maxn: args.maxn,
            bucket: args.bucket,
            word_ngrams: args.word_ngrams,
        };
        d.init();
        d
    }

    fn init(&mut self) {
        let size = (self.entries.len() * 2).next_power_of_two().max(16);
        self.table = vec![-1; size];
        for i in 0..self.entries.len() {
            let w = &self.entries[i].word;
            let mut slot = hash(w) as usize & (size - 1);
            while self.table[slot] >= 0 {
                if self.entries[self.table[slot] as usize].word == *w {
                    break; // a duplicate word in a damaged file: the first one wins
                }
                slot = (slot + 1) & (size - 1);
            }
            if self.table[slot] < 0 {
                self.table[slot] = i as i32;
            }
        }
        self.subwords = (0..self.nwords as usize)
            .map(|i| {
                let mut ids = vec![i as i32];
                let w = &self.entries[i].word;
                if w.as_slice() != EOS {
                    self.char_ngrams(w, &mut ids);
                }
                ids
            })
            .collect();
    }

    pub fn read(r: &mut Reader, args: &Args) -> Result<Dict> {
        let n = r.i32("dictionary size")?;
        let nwords = r.i32("dictionary nwords")?;
        let nlabels = r.i32("dictionary nlabels")?;
        let ntokens = r.i64("dictionary ntokens")?;
        let prune_size = r.i64("dictionary pruneidx size")?;
        let mut entries = Vec::with_capacity(size(n as i64, "dictionary size")?.min(1 << 16));
        for _ in 0..n {
            let word = r.cstr("a dictionary word")?.to_vec();
            let count = r.i64("a word count")?;
            let is_label = r.u8("a word type")? == 1;
            entries.push(Entry {
                word,
                count,
                is_label,
            });
        }
        let real_labels = entries.iter().filter(|e| e.is_label).count() as i32;
        if real_labels != nlabels || nwords + nlabels != n {
            bail!("dictionary counts disagree ({nwords} words + {nlabels} labels != {n})");
        }
        let mut prune = HashMap::new();
        for _ in 0..prune_size.max(0) {
            let from = r.i32("pruneidx key")?;
            let to = r.i32("pruneidx value")?;
            if to < 0 {
                bail!("negative pruned bucket {to}: damaged model file");
            }
            prune.insert(from, to);
        }
        let mut d = Dict::new(entries, ntokens, args);
        d.prune_size = prune_size;
        d.prune = prune;
        d.init();
        Ok(d)
    }

    pub fn write(&self, w: &mut Writer) {
        w.i32(self.entries.len() as i32);
        w.i32(self.nwords);
        w.i32(self.nlabels);
        w.i64(self.ntokens);
        w.i64(self.prune_size);
        for e in &self.entries {
            w.buf.extend_from_slice(&e.word);
            w.u8(0);
            w.i64(e.count);
            w.u8(e.is_label as u8);
        }
        let mut pairs: Vec<_> = self.prune.iter().collect();
        pairs.sort();
        for (k, v) in pairs {
            w.i32(*k);
            w.i32(*v);
        }
    }

    /// Rows the input matrix needs for every id this dictionary can produce.
    pub fn input_rows(&self) -> usize {
        let buckets = if self.is_pruned() {
            self.prune
                .values()
                .map(|&v| v as i64 + 1)
                .max()
                .unwrap_or(0)
        } else {
            self.bucket as i64
        };
        self.nwords as usize + buckets.max(0) as usize
    }

    /// The entry id of `word`, whose fastText hash is `h`.
    fn find(&self, word: &[u8], h: u32) -> Option<i32> {
        let mask = self.table.len() - 1;
        let mut slot = h as usize & mask;
        loop {
            let id = self.table[slot];
            if id < 0 {
                return None;
            }
            if self.entries[id as usize].word == word {
                return Some(id);
            }
            slot = (slot + 1) & mask;
        }
    }

    pub fn is_pruned(&self) -> bool {
        self.prune_size >= 0
    }

    /// Label `i` without the `__label__` prefix.
    pub fn label(&self, i: usize) -> String {
        let w = &self.entries[self.nwords as usize + i].word;
        let s = String::from_utf8_lossy(w);
        s.strip_prefix(LABEL_PREFIX).unwrap_or(&s).to_string()
    }

    pub fn label_id(&self, label: &str) -> Option<usize> {
        let full = format!("{LABEL_PREFIX}{}", label.trim_start_matches(LABEL_PREFIX));
        let id = self.find(full.as_bytes(), hash(full.as_bytes()))?;
        (id >= self.nwords).then(|| (id - self.nwords) as usize)
    }

    pub fn label_counts(&self) -> Vec<i64> {
        self.entries[self.nwords as usize..]
            .iter()
            .map(|e| e.count)
            .collect()
    }

    /// fastText's `pushHash`: a bucket id, remapped (or dropped) by a pruned table.
    fn push_hash(&self, out: &mut Vec<i32>, mut id: i32) {
        if self.prune_size == 0 || id < 0 {
            return;
        }
        if self.prune_size > 0 {
            match self.prune.get(&id) {
                Some(&to) => id = to,
                None => return,
            }
        }
        out.push(self.nwords + id);
    }

    /// fastText's `computeSubwords` over `<word>`: n-grams of `minn..=maxn` UTF-8 characters,
    /// skipping the lone `<` and `>`.
    fn char_ngrams(&self, word: &[u8], out: &mut Vec<i32>) {
        if self.maxn <= 0 || self.bucket <= 0 {
            return;
        }
        let mut w = Vec::with_capacity(word.len() + 2);
        w.push(b'<');
        w.extend_from_slice(word);
        w.push(b'>');
        let cont = |b: u8| b & 0xC0 == 0x80;
        for i in 0..w.len() {
            if cont(w[i]) {
                continue;
            }
            let (mut j, mut n) = (i, 1);
            while j < w.len() && n <= self.maxn {
                j += 1;
                while j < w.len() && cont(w[j]) {
                    j += 1;
                }
                if n >= self.minn && !(n == 1 && (i == 0 || j == w.len())) {
                    let h = hash(&w[i..j]) % self.bucket as u32;
                    self.push_hash(out, h as i32);
                }
                n += 1;
            }
        }
    }

    /// Feature ids of one line (fastText's `getLine` + `addWordNgrams`). `tokens` should end
    /// with [`EOS`] as fastText's readers add it; tokens starting `__label__` are not words.
    /// Returns the label ids found among the tokens.
    pub fn line_ids<'t>(
        &self,
        tokens: impl IntoIterator<Item = &'t [u8]>,
        ids: &mut Vec<i32>,
    ) -> Vec<usize> {
        ids.clear();
        let mut labels = Vec::new();
        let mut hashes: Vec<i32> = Vec::new();
        for tok in tokens {
            let h = hash(tok);
            match self.find(tok, h) {
                Some(id) if id >= self.nwords => labels.push((id - self.nwords) as usize),
                // without character n-grams a word's features are just its id: skip the
                // per-word list (one cache miss less per token)
                Some(id) if self.maxn <= 0 => {
                    ids.push(id);
                    hashes.push(h as i32);
                }
                Some(id) => {
                    ids.extend_from_slice(&self.subwords[id as usize]);
                    hashes.push(h as i32);
                }
                None if tok.starts_with(LABEL_PREFIX.as_bytes()) => {}
                None => {
                    if tok != EOS {
                        self.char_ngrams(tok, ids);
                    }
                    hashes.push(h as i32);
                }
            }
            if tok == EOS {
                break;
            }
        }
        self.word_ngrams(&hashes, ids);
        labels
    }

    /// fastText's `addWordNgrams`: the 32-bit word hashes are sign-extended to 64 bits.
    fn word_ngrams(&self, hashes: &[i32], ids: &mut Vec<i32>) {
        if self.bucket <= 0 {
            return;
        }
        let n = self.word_ngrams.max(1) as usize;
        for i in 0..hashes.len() {
            let mut h = hashes[i] as i64 as u64;
            for &hj in hashes.iter().take(i + n).skip(i + 1) {
                h = h.wrapping_mul(116049371).wrapping_add(hj as i64 as u64);
                self.push_hash(ids, (h % self.bucket as u64) as i32);
            }
        }
    }
}
