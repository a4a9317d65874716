//! Units, n-gram hashes and the compact read-only index behind the `decontam` step.
//!
//! One unit stream serves both languages: every Han/kana/Hangul character is a unit (Chinese is
//! compared by characters), every other run of letters/digits is a unit (English by words).
//! Units are normalised exactly like [`skypile_core::text::normalize_for_hash`] (full-width
//! folded, lower case, digits to 0, whitespace and punctuation dropped), so spacing, punctuation
//! and width changes do not hide a leak.

use std::ops::Range;

use skypile_core::text::{fold_fullwidth, is_cjk, is_han};
use xxhash_rust::xxh3::xxh3_64;

/// The units of a text: their xxh3 hashes as consecutive little-endian u64 (so an n-gram is a
/// plain byte window), and optionally the normalised text (units concatenated, no separators).
#[derive(Default)]
pub(crate) struct Units {
    pub bytes: Vec<u8>,
    /// Per unit: is it a Han character (its window is `n_zh` long, else `n_en`).
    pub han: Vec<bool>,
    pub normalized: String,
}

impl Units {
    pub fn of(text: &str, keep_normalized: bool) -> Units {
        // Upper bounds (a Han char is 3 bytes → 8 hash bytes) so the hot loop never reallocates.
        let mut u = Units {
            bytes: Vec::with_capacity(text.len() * 3 + 8),
            han: Vec::with_capacity(text.len() / 2 + 1),
            normalized: String::new(),
        };
        let mut word = String::new();
        for c in text.chars() {
            // ASCII first: most of any page, and the Unicode tables below are the slow path.
            let c = if c.is_ascii() { c } else { fold_fullwidth(c) };
            if c.is_ascii() {
                if c.is_ascii_digit() {
                    word.push('0');
                } else if c.is_ascii_alphabetic() {
                    word.push(c.to_ascii_lowercase());
                } else {
                    u.flush(&mut word, keep_normalized);
                }
            } else if is_cjk(c) && c != '〇' {
                u.flush(&mut word, keep_normalized);
                let mut b = [0u8; 4];
                u.push_unit(c.encode_utf8(&mut b), keep_normalized);
                if let Some(h) = u.han.last_mut() {
                    *h = is_han(c);
                }
            } else if c.is_numeric() {
                word.push('0');
            } else if c.is_alphanumeric() {
                word.extend(c.to_lowercase());
            } else {
                u.flush(&mut word, keep_normalized);
            }
        }
        u.flush(&mut word, keep_normalized);
        u
    }

    fn flush(&mut self, word: &mut String, keep_normalized: bool) {
        if !word.is_empty() {
            let w = std::mem::take(word);
            self.push_unit(&w, keep_normalized);
            *word = w;
            word.clear();
        }
    }

    fn push_unit(&mut self, unit: &str, keep_normalized: bool) {
        self.bytes
            .extend_from_slice(&xxh3_64(unit.as_bytes()).to_le_bytes());
        self.han.push(false);
        if keep_normalized {
            self.normalized.push_str(unit);
        }
    }

    /// Hashes of the window starting at every unit: `n_zh` units when that unit is a Han
    /// character, else `n_en` (Chinese by characters, other text by words, mixed text too).
    pub fn ngrams(&self, n_en: usize, n_zh: usize) -> impl Iterator<Item = u64> + '_ {
        self.han.iter().enumerate().filter_map(move |(i, &h)| {
            let n = if h { n_zh } else { n_en };
            if n == 0 {
                return None;
            }
            self.bytes.get(i * 8..(i + n) * 8).map(xxh3_64)
        })
    }
}

/// A sorted multimap n-gram hash → item index with a radix directory on the top bits:
/// 12 bytes per entry (no load-factor slack like a hash table), two cache misses per lookup,
/// immutable once built so all workers share it without locks.
pub(crate) struct NgramIndex {
    keys: Vec<u64>,
    items: Vec<u32>,
    dir: Vec<u32>,
    shift: u32,
    /// One bit per low-bits hash value, ~8 bits per entry: most windows of a clean doc stop
    /// at this small array instead of touching the directory and the key array.
    filter: Vec<u64>,
    filter_mask: u64,
    /// Distinct indexed n-grams per item (the denominator of `min_share`).
    pub per_item: Vec<u32>,
    /// N-grams left out because more than `max_items` items share them (boilerplate).
    pub boilerplate: usize,
}

impl NgramIndex {
    /// `pairs`: (n-gram hash, item) for every item window, in any order, duplicates allowed.
    pub fn build(mut pairs: Vec<(u64, u32)>, n_items: usize, max_items: usize) -> NgramIndex {
        pairs.sort_unstable();
        pairs.dedup();
        let mut keys = Vec::with_capacity(pairs.len());
        let mut items = Vec::with_capacity(pairs.len());
        let mut per_item = vec![0u32; n_items];
        let mut boilerplate = 0;
        for run in pairs.chunk_by(|a, b| a.0 == b.0) {
            if run.len() > max_items.max(1) {
                boilerplate += 1;
                continue;
            }
            for &(k, it) in run {
                keys.push(k);
                items.push(it);
                if let Some(c) = per_item.get_mut(it as usize) {
                    *c += 1;
                }
            }
        }
        // About two entries per bucket keeps the in-bucket search to one cache line.
        let bits = (usize::BITS - (keys.len() / 2).leading_zeros()).clamp(1, 26);
        let shift = 64 - bits;
        let mut dir = vec![0u32; (1usize << bits) + 1];
        for &k in &keys {
            if let Some(d) = dir.get_mut((k >> shift) as usize + 1) {
                *d += 1;
            }
        }
        for i in 1..dir.len() {
            dir[i] += dir[i - 1];
        }
        let fbits = (usize::BITS - keys.len().leading_zeros() + 3).clamp(9, 36);
        let filter_mask = (1u64 << fbits) - 1;
        let mut filter = vec![0u64; 1usize << (fbits - 6)];
        for &k in &keys {
            if let Some(w) = filter.get_mut(((k & filter_mask) >> 6) as usize) {
                *w |= 1 << (k & 63);
            }
        }
        keys.shrink_to_fit();
        items.shrink_to_fit();
        NgramIndex {
            keys,
            items,
            dir,
            shift,
            filter,
            filter_mask,
            per_item,
            boilerplate,
        }
    }

    /// Items containing this n-gram (empty for most windows of a clean doc).
    pub fn lookup(&self, key: u64) -> &[u32] {
        let word = self.filter.get(((key & self.filter_mask) >> 6) as usize);
        if word.is_none_or(|w| w >> (key & 63) & 1 == 0) {
            return &[];
        }
        let b = (key >> self.shift) as usize;
        let (Some(&lo), Some(&hi)) = (self.dir.get(b), self.dir.get(b + 1)) else {
            return &[];
        };
        let Some(bucket) = self.keys.get(lo as usize..hi as usize) else {
            return &[];
        };
        let start = bucket.partition_point(|&k| k < key);
        let end = start + bucket[start..].iter().take_while(|&&k| k == key).count();
        let r: Range<usize> = lo as usize + start..lo as usize + end;
        self.items.get(r).unwrap_or(&[])
    }

    pub fn entries(&self) -> usize {
        self.keys.len()
    }

    pub fn heap_bytes(&self) -> usize {
        self.keys.capacity() * 8
            + self.items.capacity() * 4
            + self.dir.capacity() * 4
            + self.filter.capacity() * 8
            + self.per_item.capacity() * 4
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_split_han_by_char_and_latin_by_word() {
        let a = Units::of("下列 说法，Which of the FOLLOWING 2024", true);
        assert_eq!(a.normalized, "下列说法whichofthefollowing0000");
        assert_eq!(a.han.len(), 4 + 4 + 1);
        assert_eq!(a.han.iter().filter(|&&h| h).count(), 4);
        let b = Units::of("下列说法 which-of the following　１９９９", false);
        assert_eq!(
            a.bytes, b.bytes,
            "space, punctuation, case, width and digits are normalised"
        );
    }

    #[test]
    fn ngrams_count_and_short_text() {
        let u = Units::of("a b c d e", false);
        assert_eq!(u.ngrams(3, 1).count(), 3);
        assert_eq!(u.ngrams(5, 1).count(), 1);
        assert_eq!(u.ngrams(6, 1).count(), 0);
        assert_eq!(u.ngrams(0, 1).count(), 0);
        // Windows from Han units are n_zh long, from words n_en long.
        let m = Units::of("中文 a b 字", false);
        assert_eq!(m.ngrams(2, 5).count(), 3, "中文ab字, a-b, b-字");
        assert_eq!(m.ngrams(2, 6).count(), 2, "no Han window fits in 5 units");
    }

    #[test]
    fn index_finds_all_items_and_drops_boilerplate() {
        let mut pairs = vec![(7u64, 0u32), (7, 1), (9, 1), (9, 1), (u64::MAX, 2)];
        pairs.extend((0..5).map(|i| (42u64, i)));
        let idx = NgramIndex::build(pairs, 5, 3);
        assert_eq!(idx.lookup(7), &[0, 1]);
        assert_eq!(idx.lookup(9), &[1]);
        assert_eq!(idx.lookup(u64::MAX), &[2]);
        assert!(idx.lookup(42).is_empty(), "shared by 5 > 3 items");
        assert!(idx.lookup(8).is_empty());
        assert_eq!(idx.per_item, vec![1, 2, 1, 0, 0]);
        assert_eq!(idx.boilerplate, 1);
    }
}
