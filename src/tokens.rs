//! Token counting for the `token_count` column.
//!
//! The default is tiktoken's cl100k_base vocabulary, embedded in tiktoken-rs, so a run works
//! offline with no download; `o200k_base`, `r50k_base` and `p50k_base` are the other embedded
//! choices. Users who train with their own vocabulary can point at a local Hugging Face
//! `tokenizer.json` (`tokenizer.hf_json`; read from disk, never downloaded; needs the cargo
//! feature `hf-tokenizer`, which keeps the ~80 crates of `tokenizers` out of default builds).
//!
//! The count is tiktoken's `count_ordinary`, computed by our own [`BpeCounter`]: same
//! vocabulary, same pre-tokenisation patterns, same merge order, so the same number (the test
//! `counts_equal_tiktoken_on_shared_texts` checks every encoding on the shared zh and en texts),
//! 2.3–6.3× faster than tiktoken-rs (`scripts/bench/run.sh --only tokens`, README "Tokens").
//! Hand-written because:
//! - tiktoken-rs runs its pattern on fancy-regex's backtracking VM (the possessive quantifiers
//!   and the `(?!\S)` look-ahead force it there). cl100k, r50k and p50k are split by a
//!   hand-written scanner ([`pretok`], pieces checked against fancy-regex on tiktoken's pattern
//!   strings); o200k's pattern (cased letter classes with backtracking) runs on a lazy DFA
//!   (regex-automata) with the look-ahead emulated.
//! - bpe-openai (GitHub's rust-gems) does that emulation, but has only cl100k and o200k, and its
//!   backtracking encoder is slower than a hash lookup on the whole-token pieces that make up
//!   most of web text: on the shared texts it counted only ~1.5× faster than tiktoken-rs.
//! - a count needs no ids: pieces that are a token count 1 after one hash lookup; the rest are
//!   merged in tiktoken's rank order, counting parts, after cutting them at seams (`seams`; where
//!   no token can reach across, so merges never do: whole Chinese clauses fall into parts that
//!   repeat and hit the per-thread caches).

use std::cell::RefCell;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::OnceLock;

use anyhow::{Result, bail};
use regex_automata::hybrid::dfa::{Cache, DFA};
use regex_automata::{Anchored, Input, MatchKind};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use skypile_core::cpu::prefetch;
use tiktoken_rs::{CoreBPE, Rank};

use pretok::Scan;
pub use pretok::Split;
use ranks::Ranks;
use seams::Seams;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TokenizerConfig {
    /// `cl100k_base` (default), `o200k_base`, `r50k_base`, `p50k_base`, or `none` to skip
    /// counting (token_count = 0).
    pub encoding: String,
    /// A local Hugging Face `tokenizer.json`; when set it replaces `encoding`. Needs a build
    /// with `--features hf-tokenizer`.
    pub hf_json: Option<String>,
}

impl Default for TokenizerConfig {
    fn default() -> Self {
        TokenizerConfig {
            encoding: "cl100k_base".into(),
            hf_json: None,
        }
    }
}

pub enum Tokenizer {
    /// Loaded on first use (0.15–0.4 s): stages that count no tokens never pay for it.
    Bpe(fn() -> &'static BpeCounter),
    #[cfg(feature = "hf-tokenizer")]
    Hf(Box<tokenizers::Tokenizer>),
    None,
}

impl Tokenizer {
    pub fn new(cfg: &TokenizerConfig) -> Result<Tokenizer> {
        if let Some(path) = &cfg.hf_json {
            return hf_tokenizer(path);
        }
        Ok(match Encoding::named(&cfg.encoding) {
            Some(e) => Tokenizer::Bpe(e.counter),
            None if cfg.encoding == "none" => Tokenizer::None,
            None => bail!(
                "`tokenizer.encoding: {}` is unknown: allowed cl100k_base, o200k_base, r50k_base, p50k_base, none",
                cfg.encoding
            ),
        })
    }

    pub fn count(&self, text: &str) -> usize {
        match self {
            // Special-token strings in web text are plain text, never control tokens.
            Tokenizer::Bpe(bpe) => bpe().count(text),
            // No special tokens: we count the document's own tokens.
            #[cfg(feature = "hf-tokenizer")]
            Tokenizer::Hf(t) => t.encode_fast(text, false).map_or(0, |e| e.len()),
            Tokenizer::None => 0,
        }
    }
}

#[cfg(feature = "hf-tokenizer")]
fn hf_tokenizer(path: &str) -> Result<Tokenizer> {
    let t = tokenizers::Tokenizer::from_file(path).map_err(|e| {
        anyhow::anyhow!(
            "`tokenizer.hf_json: {path}` cannot be loaded ({e}): give the path of a local tokenizer.json"
        )
    })?;
    Ok(Tokenizer::Hf(Box::new(t)))
}

#[cfg(not(feature = "hf-tokenizer"))]
fn hf_tokenizer(path: &str) -> Result<Tokenizer> {
    bail!(
        "`tokenizer.hf_json: {path}` needs skypile built with the `hf-tokenizer` feature \
         (cargo build --release --features hf-tokenizer), or use `tokenizer.encoding`"
    )
}

/// One embedded tiktoken vocabulary and the pre-tokenisation patterns of tiktoken-rs 0.12.
pub struct Encoding {
    pub name: &'static str,
    /// The counter, built on first use.
    pub counter: fn() -> &'static BpeCounter,
    /// tiktoken-rs's own encoder (the reference the tests compare against).
    pub reference: fn() -> &'static CoreBPE,
}

macro_rules! encoding {
    ($name:literal, $single:path, $pats:expr, $split:expr) => {
        Encoding {
            name: $name,
            counter: || {
                static C: OnceLock<BpeCounter> = OnceLock::new();
                C.get_or_init(|| BpeCounter::new(vocab::table!($name), $pats, $split))
            },
            reference: $single,
        }
    };
}

/// Every supported encoding.
pub const ENCODINGS: [Encoding; 4] = [
    encoding!(
        "cl100k_base",
        tiktoken_rs::cl100k_base_singleton,
        &CL100K,
        Some(Split::Cl100k)
    ),
    encoding!(
        "o200k_base",
        tiktoken_rs::o200k_base_singleton,
        &O200K,
        None
    ),
    encoding!(
        "r50k_base",
        tiktoken_rs::r50k_base_singleton,
        &GPT2,
        Some(Split::Gpt2)
    ),
    encoding!(
        "p50k_base",
        tiktoken_rs::p50k_base_singleton,
        &GPT2,
        Some(Split::Gpt2)
    ),
];

impl Encoding {
    pub fn named(name: &str) -> Option<&'static Encoding> {
        ENCODINGS.iter().find(|e| e.name == name)
    }
}

/// tiktoken-rs 0.12's patterns split in three, tried in order at each position (leftmost-first):
/// 1. everything before `\s+(?!\S)`, with possessive quantifiers made greedy (each is followed
///    by nothing that could take back what it gave up, so they match the same) and `\s+$` where
///    `\s+(?!\S)` meets the end of the text;
/// 2. `\s+\s`, a look-ahead pattern: its last character is given back, which is `\s+(?!\S)`
///    (the longest run of spaces that is still followed by a space);
/// 3. the final alternative.
///
/// The bool says whether the pattern's last character is a look-ahead.
pub type Patterns = [(&'static str, bool); 3];

/// cl100k: `'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s`
const CL100K: Patterns = [
    (
        r"'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s+$|\s*[\r\n]",
        false,
    ),
    (r"\s+\s", true),
    (r"\s", false),
];

/// o200k: tiktoken-rs's `O200K_BASE_PAT_STR` (no possessive quantifiers).
const O200K: Patterns = [
    (
        concat!(
            r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
            r"|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
            r"|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+$",
        ),
        false,
    ),
    (r"\s+\s", true),
    (r"\s+", false),
];

/// r50k and p50k (GPT-2): `'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s`
const GPT2: Patterns = [
    (
        r"'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+$",
        false,
    ),
    (r"\s+\s", true),
    (r"\s", false),
];

/// log2 of the slots of the per-thread cache of short pieces (64 Ki slots, 1 MiB).
const HOT_BITS: u32 = 16;

/// Pieces split ahead of counting, whose hot slots are prefetched together.
const AHEAD: usize = 16;

/// Where a hot slot keeps its count: the top nibble of the key's length byte, free because
/// inline keys are at most 15 bytes long, and a count fits since a piece of at most 15 bytes
/// has at most 15 tokens.
const HOT_COUNT_SHIFT: u32 = 124;
const _: () = assert!(ranks::INLINE <= 15);

/// Pieces at least this long are merged with a heap (tiktoken switches at the same length).
const LARGE_PIECE: usize = 100;

/// Bytes of piece keys remembered per thread and counter before the memo starts over
/// (bounds its memory at a few times this).
const MEMO_BYTES: usize = 4 << 20;

/// tiktoken's count for one vocabulary, without building ids.
pub struct BpeCounter {
    ranks: Ranks,
    /// Where pieces can be cut without changing their count ([`seams`]).
    seams: Seams,
    pretok: Pretok,
    /// Identifies this counter's scratch in the thread-local list.
    id: usize,
}

/// How a counter splits text into pieces.
enum Pretok {
    /// The hand-written pre-tokeniser of this pattern ([`pretok`]).
    Hand(Split),
    /// The lazy DFA of patterns without one (o200k), compiled only for them: the Unicode
    /// classes took ~5 ms of every process's first count. `lookahead`: [`Patterns`]' flags.
    Dfa { dfa: Box<DFA>, lookahead: [bool; 3] },
}

/// Per-thread working state of one counter.
struct Scratch {
    id: usize,
    /// Counts of recent short pieces by [`ranks::key`], direct-mapped: the common words of a
    /// language stay in a table small enough for the CPU cache, where a vocabulary lookup is a
    /// cache miss whenever extraction ran in between (perf: most of counting in `skypile run`).
    /// Each slot is the key with the count in its top 4 bits (see [`HOT_COUNT_SHIFT`]): 16
    /// bytes instead of 32 for a `(u128, u32)`, so twice the slots per cache line.
    hot: Box<[u128]>,
    /// The lazy DFA's states ([`Pretok::Dfa`]), built once and reused across documents.
    dfa: Option<Cache>,
    /// Counts of pieces that are not one token (merging is most of the cost; boilerplate and
    /// common words repeat across documents). Cleared when its keys pass [`MEMO_BYTES`].
    memo: FxHashMap<Box<[u8]>, u32>,
    memo_bytes: usize,
}

thread_local! {
    static SCRATCH: RefCell<Vec<Scratch>> = const { RefCell::new(Vec::new()) };
}

impl BpeCounter {
    /// The counter for one of build.rs's tables of ordinary tokens (special tokens are left
    /// out: text that looks like `<|endoftext|>` is counted as plain text, as `count_ordinary`
    /// does).
    pub fn new(table: &'static [u8], patterns: &Patterns, split: Option<Split>) -> BpeCounter {
        let ranks = vocab::tokens(table);
        let pretok = split.map(Pretok::Hand).unwrap_or_else(|| {
            let dfa = DFA::builder()
                .configure(
                    DFA::config()
                        .match_kind(MatchKind::LeftmostFirst)
                        .cache_capacity(8 << 20),
                )
                .build_many(&patterns.map(|p| p.0))
                .expect("valid tokenizer patterns");
            Pretok::Dfa {
                dfa: Box::new(dfa),
                lookahead: patterns.map(|p| p.1),
            }
        });
        static NEXT_ID: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        BpeCounter {
            seams: Seams::new(ranks.iter().map(|(bytes, _)| *bytes)),
            ranks: Ranks::new(&ranks),
            pretok,
            id: NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        }
    }

    /// The number of tokens of `text` (tiktoken's `count_ordinary`).
    pub fn count(&self, text: &str) -> usize {
        SCRATCH.with(|all| {
            let mut all = all.borrow_mut();
            let at = match all.iter().position(|s| s.id == self.id) {
                Some(i) => i,
                None => {
                    all.push(Scratch {
                        id: self.id,
                        dfa: None,
                        memo: FxHashMap::default(),
                        memo_bytes: 0,
                        hot: vec![0; 1 << HOT_BITS].into_boxed_slice(),
                    });
                    all.len() - 1
                }
            };
            let s = &mut all[at];
            let (mut n, mut pos) = (0, 0);
            let scan = Scan::new(text);
            let mut ends = [0usize; AHEAD];
            while pos < text.len() {
                // Split up to AHEAD pieces and prefetch their hot slots (and their vocabulary
                // slots, read on a hot miss) before counting any: perf put most of counting on
                // those loads (cache misses whenever extraction ran in between); issued
                // together, the misses overlap.
                let (first, mut k) = (pos, 0);
                while k < AHEAD && pos < text.len() {
                    pos = match &self.pretok {
                        Pretok::Hand(split) => scan.piece_end(*split, pos),
                        Pretok::Dfa { dfa, lookahead } => {
                            let cache = s.dfa.get_or_insert_with(|| dfa.create_cache());
                            piece_end_dfa(dfa, cache, *lookahead, text, pos)
                        }
                    };
                    ends[k] = pos;
                    k += 1;
                }
                let mut start = first;
                for &end in &ends[..k] {
                    if let Some(key) = ranks::key(&text.as_bytes()[start..end]) {
                        prefetch(&s.hot[ranks::slot(key, HOT_BITS)]);
                        self.ranks.prefetch(key);
                    }
                    start = end;
                }
                let mut start = first;
                for &end in &ends[..k] {
                    n += self.piece_count(&text.as_bytes()[start..end], s, true);
                    start = end;
                }
            }
            n
        })
    }

    /// The count of one piece (`split`: may be cut at its seams first).
    fn piece_count(&self, piece: &[u8], s: &mut Scratch, split: bool) -> usize {
        let Some(key) = ranks::key(piece) else {
            return self.piece_count_cold(piece, s, split);
        };
        let slot = ranks::slot(key, HOT_BITS);
        let entry = s.hot[slot];
        if entry & !(0xF << HOT_COUNT_SHIFT) == key {
            return (entry >> HOT_COUNT_SHIFT) as usize;
        }
        let n = self.piece_count_cold(piece, s, split);
        s.hot[slot] = key | (n as u128) << HOT_COUNT_SHIFT;
        n
    }

    fn piece_count_cold(&self, piece: &[u8], s: &mut Scratch, split: bool) -> usize {
        if self.rank(piece) != Rank::MAX {
            return 1;
        }
        let mut n = 0;
        if split
            && self
                .seams
                .split(piece, |part| n += self.piece_count(part, s, false))
        {
            return n;
        }
        if let Some(&n) = s.memo.get(piece) {
            return n as usize;
        }
        let n = if piece.len() < LARGE_PIECE {
            self.merge_small(piece)
        } else {
            self.merge_large(piece)
        };
        if s.memo_bytes + piece.len() > MEMO_BYTES {
            s.memo.clear();
            s.memo_bytes = 0;
        }
        s.memo_bytes += piece.len();
        s.memo.insert(piece.into(), n as u32);
        n
    }

    #[inline]
    fn rank(&self, bytes: &[u8]) -> Rank {
        self.ranks.get(bytes)
    }

    /// tiktoken's `_byte_pair_merge`: repeatedly merge the lowest-ranked adjacent pair (the
    /// leftmost on ties). O(n²), which beats a heap on short pieces.
    /// - parts are linked in stack arrays indexed by their start byte, and a merged-away part
    ///   keeps rank MAX where it was: the `Vec<(usize, Rank)>` of tiktoken cost an allocation
    ///   per piece and a `memmove` per merge (perf: most of the time left after the lookups);
    ///   the min scan, in byte order, still finds the leftmost of equal ranks.
    fn merge_small(&self, piece: &[u8]) -> usize {
        debug_assert!(piece.len() < LARGE_PIECE);
        let n = piece.len();
        // next[i]: where the part starting at i ends; prev[i]: where the part before it starts
        let mut next = [0u8; LARGE_PIECE + 1];
        let mut prev = [0u8; LARGE_PIECE + 1];
        // rank[i]: the rank of the part at i merged with the next one
        let mut rank = [Rank::MAX; LARGE_PIECE];
        for i in 0..n {
            (next[i], prev[i + 1]) = (i as u8 + 1, i as u8);
        }
        for i in 0..n - 1 {
            rank[i] = self.rank(&piece[i..i + 2]);
        }
        let mut parts = n;
        loop {
            // two passes, min then its first position: the min runs vectorised
            let min = rank[..n].iter().copied().min().unwrap_or(Rank::MAX);
            if min == Rank::MAX {
                return parts;
            }
            let at = rank[..n].iter().position(|&r| r == min).unwrap_or(0);
            parts -= 1;
            let gone = next[at] as usize;
            rank[gone] = Rank::MAX;
            let end = next[gone] as usize;
            next[at] = end as u8;
            prev[end] = at as u8;
            let pair = |i: usize, j: usize| {
                if j < n {
                    self.rank(&piece[i..next[j] as usize])
                } else {
                    Rank::MAX
                }
            };
            rank[at] = pair(at, end);
            if at > 0 {
                let p = prev[at] as usize;
                rank[p] = pair(p, at);
            }
        }
    }

    /// tiktoken's `_byte_pair_merge_large`: the same merges with a heap of candidate pairs,
    /// O(n log n). `end[i]`/`next_end[i]`: the token starting at i and the one after it.
    fn merge_large(&self, piece: &[u8]) -> usize {
        let n = piece.len();
        let mut end: Vec<usize> = (1..=n).collect();
        let mut next_end: Vec<usize> = (2..=n + 1).collect();
        let mut prev: Vec<usize> = (0..n).map(|i| i.wrapping_sub(1)).collect();
        let mut next_rank = vec![Rank::MAX; n];
        let mut heap = BinaryHeap::with_capacity(n);
        for i in 0..n - 1 {
            let r = self.rank(&piece[i..i + 2]);
            if r != Rank::MAX {
                heap.push(Reverse((r, i)));
                next_rank[i] = r;
            }
        }
        let mut tokens = n;
        while let Some(Reverse((rank, left))) = heap.pop() {
            if rank != next_rank[left] {
                continue; // invalidated by an earlier merge
            }
            let right = end[left];
            let right_end = next_end[left];
            let right_next_end = next_end[right];
            end[left] = right_end;
            tokens -= 1;
            self.candidate(
                piece,
                left,
                right_next_end,
                &mut next_end,
                &mut next_rank,
                &mut heap,
            );
            if right_end < n {
                prev[right_end] = left;
            }
            if left > 0 {
                let p = prev[left];
                self.candidate(
                    piece,
                    p,
                    right_end,
                    &mut next_end,
                    &mut next_rank,
                    &mut heap,
                );
            }
            next_rank[right] = Rank::MAX;
        }
        tokens
    }

    /// The token at `start` now ends where the next one ends at `next`: queue their merge.
    fn candidate(
        &self,
        piece: &[u8],
        start: usize,
        next: usize,
        next_end: &mut [usize],
        next_rank: &mut [Rank],
        heap: &mut BinaryHeap<Reverse<(Rank, usize)>>,
    ) {
        next_end[start] = next;
        next_rank[start] = Rank::MAX;
        if next <= piece.len() {
            let r = self.rank(&piece[start..next]);
            if r != Rank::MAX {
                heap.push(Reverse((r, start)));
                next_rank[start] = r;
            }
        }
    }
}

/// Where the piece starting at `pos` ends, by the lazy DFA.
fn piece_end_dfa(
    dfa: &DFA,
    cache: &mut Cache,
    lookahead: [bool; 3],
    text: &str,
    pos: usize,
) -> usize {
    let input = Input::new(text).range(pos..).anchored(Anchored::Yes);
    // The lazy DFA cannot fail on these patterns (no Unicode word boundaries, no quit
    // bytes, no give-up threshold); every position matches one of them since together they
    // cover letters, numbers, spaces and everything else.
    let m = dfa
        .try_search_fwd(cache, &input)
        .ok()
        .flatten()
        .filter(|m| m.offset() > pos);
    let Some(m) = m else {
        // Unreachable (see above); one character keeps the walk linear if it ever happens.
        return pos + text[pos..].chars().next().map_or(1, char::len_utf8);
    };
    let mut end = m.offset();
    if lookahead[m.pattern().as_usize()] {
        end -= text[..end].chars().next_back().map_or(0, char::len_utf8);
    }
    end
}

mod pretok;
mod ranks;
mod seams;
#[cfg(test)]
mod tests;
mod vocab;
