//! The trigram scorer by inverted index (skypile): the same `RawOutcome` as `reference`,
//! upstream's scorer, bit for bit, at a fraction of its cost.
//!
//! Upstream measures, for each language of the script (37 for Latin), the distance of its
//! 300-trigram profile to the text's ranked trigrams with one hash lookup per profile trigram:
//! ~11,000 lookups per Latin text, ~85% of skypile's `lang` step. Here:
//! - the profiles are turned once into an index trigram → (language, rank) postings, so a text
//!   costs one lookup per text trigram (≤ 600) and only matching pairs are visited;
//! - a distance is `300 · profile length − Σ over matches (300 − |pos − rank|)`: upstream's sum
//!   (300 per missing trigram, |pos − rank| per present one) rearranged, in exact integers,
//!   then the same u32 steps as upstream (the `delta` subtraction and the clamp);
//! - a trigram is packed into a u64 (three 21-bit code points, first char highest), so its
//!   numeric order is `Trigram`'s derived (char, char, char) order; the text's counts are a
//!   flat open-addressing table on it (one multiply to hash, no SipHash/foldhash state), the
//!   index a compact one on 24-bit codes (`trigrams::index`);
//! - the text's trigrams are ranked by (count, trigram) descending as upstream does, as one
//!   primitive sort key per trigram (a u64 when the text's chars fit 16 bits, else a u128);
//!   that order is total (the trigrams are distinct), so selecting the top 600 before sorting
//!   them gives the very list upstream's full sort + `take(600)` gives;
//! - the buffers are reused from text to text (`Scratch`).
//! The languages then go, in profile-list order, through the same `detection::outcome` as
//! upstream's (its unstable sort decides the order of equal distances).

use std::cell::RefCell;

use super::detection::{RawOutcome, outcome};
use super::index::{AHEAD, Posting, index_of, prefetch};
use super::{MAX_TOTAL_DISTANCE, MAX_TRIGRAM_DISTANCE, TEXT_TRIGRAMS_SIZE};
use crate::core::FilterList;
use crate::scripts::grouping::MultiLangScript;
use crate::utils::is_stop_char;

/// Scores of `text` (already lower-cased) for the languages of `script`; see the module doc.
pub(crate) fn calculate_scores(
    text: &str,
    filter_list: &FilterList,
    script: MultiLangScript,
) -> RawOutcome {
    let index = index_of(script);
    SCRATCH.with_borrow_mut(|scratch| {
        scratch.rank_trigrams(text);
        let gains = index.gains(&scratch.ranked, &mut scratch.hits);
        let count = scratch.ranked.len();
        let lang_distances = index
            .langs
            .iter()
            .zip(&index.profile_lens)
            .zip(&gains)
            .filter(|((lang, _), _)| filter_list.is_allowed(**lang))
            .map(|((&lang, &len), &gain)| (lang, distance(len, gain, count as u32)))
            .collect();
        outcome(lang_distances, count)
    })
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// Buffers a thread reuses from text to text: fresh ones were ~30 KB of allocations per text,
/// which glibc's malloc served by its slow path inside a pipeline (after extraction's large
/// frees): ~14% of skypile's `lang` step there.
#[derive(Default)]
struct Scratch {
    /// Trigram counts of the text being ranked; all slots empty between texts.
    counts: Table,
    /// The text's trigrams, in text order.
    trigrams: Vec<u64>,
    /// Slots of `counts` in use, in first-seen order.
    seen: Vec<u32>,
    keys16: Vec<u64>,
    keys: Vec<u128>,
    /// The text's top trigrams, best first.
    ranked: Vec<u64>,
    /// (place in `ranked`, postings) of the ranked trigrams that some profile has.
    hits: Vec<(u32, &'static [Posting])>,
}

/// Upstream's `calculate_distance` from the matches' gain: `total_dist` is its sum (never
/// negative: every term is), then its own u32 subtraction and clamp.
fn distance(profile_len: u32, gain: i32, text_trigrams: u32) -> u32 {
    let mut total_dist = (i64::from(MAX_TRIGRAM_DISTANCE * profile_len) - i64::from(gain)) as u32;
    if MAX_TRIGRAM_DISTANCE > text_trigrams {
        let delta = MAX_TRIGRAM_DISTANCE - text_trigrams;
        total_dist -= delta * MAX_TRIGRAM_DISTANCE;
    }
    total_dist.clamp(0, MAX_TOTAL_DISTANCE)
}

impl Scratch {
    /// `ranked` := the text's top [`TEXT_TRIGRAMS_SIZE`] packed trigrams, best first:
    /// upstream's `utils::count` + `trigram_occurances_to_positions`.
    fn rank_trigrams(&mut self, text: &str) {
        // The text's trigrams in order, then counted: the count table is cold in a pipeline,
        // so each insert prefetches the slot of the one AHEAD inserts on (same inserts, same
        // order, so the same first-seen order).
        let trigrams = &mut self.trigrams;
        trigrams.clear();
        let to_trigram_char = |ch: char| if is_stop_char(ch) { ' ' } else { ch };
        let mut chars = text.chars().map(to_trigram_char).chain(Some(' '));
        let mut c1 = ' ';
        // unwrap is safe: the chain always yields the final space
        let mut c2 = chars.next().unwrap();
        // every char of the trigrams OR-ed: whether all fit 16 bits
        let mut all_chars = c2 as u32;
        for c3 in chars {
            all_chars |= c3 as u32;
            if !(c2 == ' ' && (c1 == ' ' || c3 == ' ')) {
                trigrams.push(pack(c1, c2, c3));
            }
            c1 = c2;
            c2 = c3;
        }
        self.counts.make_room_for(trigrams.len());
        let (counts, seen) = (&mut self.counts, &mut self.seen);
        seen.clear();
        for (i, &key) in trigrams.iter().enumerate() {
            if let Some(&ahead) = trigrams.get(i + AHEAD) {
                let home = counts.home(ahead);
                prefetch(&counts.keys[home]);
                prefetch(&counts.vals[home]);
            }
            let slot = counts.slot_of(key);
            if counts.keys[slot] == 0 {
                counts.keys[slot] = key;
                seen.push(slot as u32);
            }
            counts.vals[slot] += 1;
        }
        // (trigram, count) in first-seen order, each slot emptied for the next text
        let entries = seen.iter().map(|&slot| {
            let slot = slot as usize;
            let entry = (counts.keys[slot], counts.vals[slot]);
            (counts.keys[slot], counts.vals[slot]) = (0, 0);
            entry
        });
        self.ranked.clear();
        // a count is at most the number of trigrams
        if all_chars <= 0xFFFF && self.trigrams.len() <= 0xFFFF {
            self.keys16.clear();
            self.keys16.extend(entries.map(|(t, n)| sort_key_16(t, n)));
            let top = top_by_count(&mut self.keys16);
            self.ranked
                .extend(top.iter().map(|&k| unpack_sort_key_16(k)));
        } else {
            self.keys.clear();
            self.keys.extend(entries.map(|(t, n)| sort_key(t, n)));
            let top = top_by_count(&mut self.keys);
            self.ranked.extend(top.iter().map(|&k| k as u64));
        }
        self.trim();
    }

    /// Drops the buffers a long text (`sample_bytes: 0`) grew beyond what a 1 KB sample
    /// needs, so a thread keeps ~100 KB between texts, never a whole document's worth.
    fn trim(&mut self) {
        const KEEP: usize = KEEP_SLOTS * 2;
        if self.counts.keys.len() > KEEP_SLOTS {
            self.counts = Table::default();
        }
        if self.trigrams.capacity() > KEEP {
            self.trigrams = Vec::new();
        }
        if self.seen.capacity() > KEEP {
            self.seen = Vec::new();
        }
        if self.keys16.capacity() > KEEP {
            self.keys16 = Vec::new();
        }
        if self.keys.capacity() > KEEP {
            self.keys = Vec::new();
        }
    }
}

/// The keys ranked as upstream ranks its trigrams, best first, the first
/// [`TEXT_TRIGRAMS_SIZE`] only: a sort key holds the count above the packed trigram, so
/// descending keys are descending (count, trigram), and distinct trigrams make the order total.
fn top_by_count<K: Ord + Copy>(keys: &mut Vec<K>) -> &[K] {
    // descending order with `select_nth_unstable`, `sort_unstable`: by reversed keys
    let by_rev = |a: &K, b: &K| b.cmp(a);
    if keys.len() > TEXT_TRIGRAMS_SIZE {
        keys.select_nth_unstable_by(TEXT_TRIGRAMS_SIZE - 1, by_rev);
        keys.truncate(TEXT_TRIGRAMS_SIZE);
    }
    keys.sort_unstable_by(by_rev);
    keys
}

/// A trigram and its count as one sort key: the count above the 63-bit packed trigram.
fn sort_key(trigram: u64, count: u32) -> u128 {
    (u128::from(count) << 64) | u128::from(trigram)
}

/// [`sort_key`] in a u64 when the three chars and the count fit 16 bits each (nearly every
/// text: no chars beyond the BMP), a cheaper sort: the chars repacked 16 bits apart keep
/// their order.
fn sort_key_16(trigram: u64, count: u32) -> u64 {
    const CHAR: u64 = (1 << 21) - 1;
    let (c1, c2, c3) = (trigram >> 42, (trigram >> 21) & CHAR, trigram & CHAR);
    (u64::from(count) << 48) | (c1 << 32) | (c2 << 16) | c3
}

/// The packed trigram of a [`sort_key_16`].
fn unpack_sort_key_16(key: u64) -> u64 {
    let (c1, c2, c3) = ((key >> 32) & 0xFFFF, (key >> 16) & 0xFFFF, key & 0xFFFF);
    (c1 << 42) | (c2 << 21) | c3
}

/// Three code points (21 bits each), the first highest: numeric order = `Trigram` order.
/// Never 0: a trigram always has a non-space char, and `'\0'` is a stop char (a space).
pub(super) fn pack(c1: char, c2: char, c3: char) -> u64 {
    (u64::from(c1) << 42) | (u64::from(c2) << 21) | u64::from(c3)
}

/// Slots a reused [`Table`] may keep between texts: 96 KB, 4 times what a 1 KB sample of
/// ASCII text needs.
const KEEP_SLOTS: usize = 8192;

/// An open-addressing table keyed by packed trigrams (key 0 = empty slot), linear probing,
/// at most half full: the text's counts and the index's posting ranges. Keys and values in
/// separate arrays: a probe reads only keys (8 per cache line).
#[derive(Default)]
struct Table {
    keys: Vec<u64>,
    vals: Vec<u32>,
    /// 64 − log2(slots): the hash is the top bits of one multiply (Fibonacci hashing).
    shift: u32,
}

impl Table {
    /// Ready for `n` keys, all slots empty: kept when it is large enough (a text's table is
    /// emptied slot by slot after use, which costs what it held; `Scratch::trim` drops a
    /// large one).
    fn make_room_for(&mut self, n: usize) {
        let size = Self::size_for(n);
        if self.keys.len() < size {
            *self = Table::with_room_for(n);
        }
        debug_assert!(self.keys.iter().all(|&k| k == 0));
    }

    fn size_for(n: usize) -> usize {
        (2 * n).next_power_of_two().max(16)
    }

    fn with_room_for(n: usize) -> Self {
        let size = Self::size_for(n);
        Table {
            keys: vec![0; size],
            vals: vec![0; size],
            shift: 64 - size.trailing_zeros(),
        }
    }

    /// Where the probe for `key` starts.
    fn home(&self, key: u64) -> usize {
        (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.shift) as usize
    }

    /// The slot of `key`, or the empty slot where it would go (the caller keeps the table at
    /// most half full, so there is one).
    fn slot_of(&self, key: u64) -> usize {
        let mask = self.keys.len() - 1;
        let mut i = self.home(key);
        while self.keys[i] != key && self.keys[i] != 0 {
            i = (i + 1) & mask;
        }
        i
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trigrams::Trigram;
    use crate::trigrams::detection::script_to_lang_profile_list;

    /// `distance` equals upstream's u32 arithmetic only if no subtraction can wrap, which
    /// holds when every profile has 300 distinct trigrams (a text trigram then matches at
    /// most one entry per profile).
    #[test]
    fn profiles_have_300_distinct_trigrams() {
        for script in [
            MultiLangScript::Latin,
            MultiLangScript::Cyrillic,
            MultiLangScript::Arabic,
            MultiLangScript::Devanagari,
            MultiLangScript::Hebrew,
        ] {
            for (lang, profile) in script_to_lang_profile_list(script) {
                let mut t: Vec<&Trigram> = profile.iter().collect();
                t.sort();
                t.dedup();
                assert_eq!((t.len(), profile.len()), (300, 300), "{lang:?}");
            }
        }
    }

    /// The 16-bit sort keys order (count, trigram) pairs as the wide ones do, and give the
    /// trigram back.
    #[test]
    fn narrow_sort_keys_keep_the_order() {
        let chars = [' ', 'a', 'z', 'é', 'я', 'ह', '\u{FFFF}'];
        let mut pairs = Vec::new();
        for count in [1, 2, 255, 256, 0xFFFE] {
            for &a in &chars {
                for &b in &chars {
                    for &c in &chars {
                        pairs.push((pack(a, b, c), count));
                    }
                }
            }
        }
        for &(t, n) in &pairs {
            assert_eq!(unpack_sort_key_16(sort_key_16(t, n)), t);
            for &(u, m) in &pairs {
                let (wide, narrow) = (
                    sort_key(t, n).cmp(&sort_key(u, m)),
                    sort_key_16(t, n).cmp(&sort_key_16(u, m)),
                );
                assert_eq!(wide, narrow, "{t:x} {n} / {u:x} {m}");
            }
        }
    }

    #[test]
    fn packed_order_is_trigram_order() {
        let chars = [' ', 'a', 'z', 'é', 'ß', 'я', 'ا', 'ह', 'ש', '\u{10FFFF}'];
        let all: Vec<Trigram> = chars
            .iter()
            .flat_map(|&a| {
                chars
                    .iter()
                    .flat_map(move |&b| chars.map(|c| Trigram(a, b, c)))
            })
            .collect();
        for x in &all {
            for y in &all {
                let (px, py) = (pack(x.0, x.1, x.2), pack(y.0, y.1, y.2));
                assert_eq!(x.cmp(y), px.cmp(&py), "{x:?} {y:?}");
            }
        }
    }
}
