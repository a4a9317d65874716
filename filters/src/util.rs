//! Text statistics shared by several filters (duplicate lines, n-gram repetition, score columns).

use rustc_hash::{FxBuildHasher, FxHashMap, FxHashSet};
use skypile_core::{ColType, Column, Doc, Value};
use xxhash_rust::xxh3::xxh3_64;

pub fn char_len(s: &str) -> usize {
    s.chars().count()
}

/// Number of repeated items (second and later occurrences) and their total chars, in the
/// sense of Gopher's `find_duplicates` (datatrove `gopher_repetition_filter.py`).
pub fn find_duplicates<'a>(items: impl Iterator<Item = &'a str>) -> (usize, usize) {
    let mut seen: FxHashSet<&str> = FxHashSet::default();
    let (mut n, mut chars) = (0, 0);
    for it in items {
        if !seen.insert(it) {
            n += 1;
            chars += char_len(it);
        }
    }
    (n, chars)
}

/// A token for n-gram statistics: a hash of its text and its length in chars.
#[derive(Clone, Copy, Debug)]
pub struct Unit {
    pub hash: u64,
    pub chars: u32,
}

pub fn units<'a>(tokens: impl Iterator<Item = &'a str>) -> Vec<Unit> {
    tokens
        .map(|t| Unit {
            hash: xxh3_64(t.as_bytes()),
            chars: char_len(t) as u32,
        })
        .collect()
}

fn ngram_hash(window: &[Unit]) -> u64 {
    // Order-sensitive combination; FxHash-like multiply-rotate over already-uniform hashes.
    window.iter().fold(0x9E37_79B9_7F4A_7C15u64, |h, u| {
        (h.rotate_left(5) ^ u.hash).wrapping_mul(0x51_7C_C1_B7_27_22_0A_95)
    })
}

fn ngram_chars(window: &[Unit]) -> usize {
    window.iter().map(|u| u.chars as usize).sum()
}

/// Chars covered by the most frequent n-gram (count × its length), as in Gopher's top n-gram
/// fraction. 0 when there are fewer than `n` units.
pub fn top_ngram_chars(units: &[Unit], n: usize) -> usize {
    if n == 0 || units.len() < n {
        return 0;
    }
    let mut counts: FxHashMap<u64, (u32, usize)> =
        FxHashMap::with_capacity_and_hasher(units.len(), FxBuildHasher);
    for w in units.windows(n) {
        let e = counts.entry(ngram_hash(w)).or_insert((0, ngram_chars(w)));
        e.0 += 1;
    }
    // Ties broken by length so the result does not depend on hash-map order.
    counts
        .values()
        .map(|&(c, l)| (c, l))
        .max()
        .map(|(c, l)| if c > 1 { c as usize * l } else { 0 })
        .unwrap_or(0)
}

/// Chars inside repeated n-grams, counting each repeated span once (Gopher's
/// `find_all_duplicate`: after a repeat, jump past it).
pub fn dup_ngram_chars(units: &[Unit], n: usize) -> usize {
    if n == 0 || units.len() < n {
        return 0;
    }
    let mut seen: FxHashSet<u64> = FxHashSet::with_capacity_and_hasher(units.len(), FxBuildHasher);
    let (mut idx, mut dup) = (0, 0);
    while let Some(w) = units.get(idx..idx + n) {
        if seen.insert(ngram_hash(w)) {
            idx += 1;
        } else {
            dup += ngram_chars(w);
            idx += n;
        }
    }
    dup
}

/// Sentence-final punctuation: core's set plus the full-width full stop `．` (U+FF0E) and the
/// half-width ideographic one `｡`, which Chinese news (e.g. SogouCS) uses for `……` as `．．．`.
pub fn is_terminal(c: char) -> bool {
    skypile_core::text::is_terminal_punct(c) || matches!(c, '．' | '｡')
}

/// Ratio guarded against an empty denominator.
pub fn ratio(num: usize, den: usize) -> f64 {
    if den == 0 {
        0.0
    } else {
        num as f64 / den as f64
    }
}

pub fn float_columns(names: &[&str]) -> Vec<Column> {
    names
        .iter()
        .map(|n| Column::new(*n, ColType::Float32))
        .collect()
}

/// Writes score columns only when the step keeps scores; values are written in one place so
/// every filter rounds and names them the same way.
pub struct Scores<'a> {
    pub doc: &'a mut Doc,
    pub keep: bool,
}

impl Scores<'_> {
    pub fn set(&mut self, name: &str, v: impl Into<Value>) {
        if self.keep {
            self.doc.set_meta(name, v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_count_later_occurrences() {
        assert_eq!(
            find_duplicates(["a", "bb", "a", "bb", "a"].into_iter()),
            (3, 4)
        );
    }

    #[test]
    fn ngram_stats_match_gopher_definitions() {
        let u = units("a b a b a b c".split(' '));
        // "a b" occurs 3 times, 2 chars each.
        assert_eq!(top_ngram_chars(&u, 2), 6);
        // windows: ab ba [ab→dup, jump 2] [ab→dup at idx 4? "a b" idx4..6 dup] ...
        assert_eq!(dup_ngram_chars(&u, 2), 4);
        assert_eq!(top_ngram_chars(&units("x y z".split(' ')), 2), 0);
        assert_eq!(dup_ngram_chars(&u, 9), 0);
    }
}
