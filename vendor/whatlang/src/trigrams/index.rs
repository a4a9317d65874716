//! The profiles of a script as an inverted index: trigram → (language, rank) postings
//! (skypile, for `trigrams::fast`).
//!
//! Compact, because a pipeline reads it cold (the steps before `lang` evict it) and every
//! cache line it touches is a miss: a script's profiles use few chars (Latin's 37 profiles:
//! 99), so each profile char gets an 8-bit code and a profile trigram a 24-bit code; one u64
//! slot holds that code with its postings' start and length. Latin's 4,143 trigrams fit 8,192
//! slots (64 KB) and a lookup reads one slot line, where 63-bit keys and separate values took
//! 192 KB and two lines. A text trigram with a char no profile uses has no code and is
//! rejected without touching the table.

use std::sync::LazyLock;

use super::MAX_TRIGRAM_DISTANCE;
use super::detection::script_to_lang_profile_list;
use crate::Lang;
use crate::scripts::grouping::MultiLangScript;

/// One language's trigram at one rank of its profile.
#[derive(Clone, Copy)]
pub(super) struct Posting {
    /// Position of the language in the script's profile list.
    lang: u16,
    rank: u16,
}

/// Languages of the largest profile list (Latin has 37); checked when an index is built.
pub(super) const MAX_LANGS: usize = 64;

/// Chars below this get their code from a table; the others by binary search.
const TABLE_CHARS: usize = 0x800;

/// The profiles of one script as postings per trigram.
pub(super) struct Index {
    /// Code (1..=255) of each char below [`TABLE_CHARS`] that some profile uses, else 0.
    low_codes: Box<[u8; TABLE_CHARS]>,
    /// The same for the other profile chars, sorted by char.
    high_codes: Vec<(u32, u8)>,
    /// Open addressing, linear probing, at most 3/4 full: trigram code << 40 | postings
    /// start << 8 | postings length (0: empty; a code is never 0).
    slots: Vec<u64>,
    /// 64 − log2(slots.len()): the hash is the top bits of one multiply.
    shift: u32,
    postings: Vec<Posting>,
    /// The languages and their profile lengths, in profile-list order.
    pub(super) langs: Vec<Lang>,
    pub(super) profile_lens: Vec<u32>,
}

pub(super) fn index_of(script: MultiLangScript) -> &'static Index {
    static INDEXES: [LazyLock<Index>; 5] = [
        LazyLock::new(|| Index::new(MultiLangScript::Latin)),
        LazyLock::new(|| Index::new(MultiLangScript::Cyrillic)),
        LazyLock::new(|| Index::new(MultiLangScript::Arabic)),
        LazyLock::new(|| Index::new(MultiLangScript::Devanagari)),
        LazyLock::new(|| Index::new(MultiLangScript::Hebrew)),
    ];
    let i = match script {
        MultiLangScript::Latin => 0,
        MultiLangScript::Cyrillic => 1,
        MultiLangScript::Arabic => 2,
        MultiLangScript::Devanagari => 3,
        MultiLangScript::Hebrew => 4,
    };
    &INDEXES[i]
}

/// The three chars of a packed trigram (`fast::pack`: 21 bits each, first highest).
fn unpack(trigram: u64) -> [u32; 3] {
    const CHAR: u64 = (1 << 21) - 1;
    [trigram >> 42, (trigram >> 21) & CHAR, trigram & CHAR].map(|c| c as u32)
}

impl Index {
    fn new(script: MultiLangScript) -> Index {
        let list = script_to_lang_profile_list(script);
        assert!(list.len() <= MAX_LANGS, "raise MAX_LANGS");
        let mut chars: Vec<u32> = list
            .iter()
            .flat_map(|(_, p)| p.iter().flat_map(|t| [t.0, t.1, t.2]))
            .map(u32::from)
            .collect();
        chars.sort_unstable();
        chars.dedup();
        assert!(chars.len() < 256, "profile chars must fit 8-bit codes");
        let mut low_codes = Box::new([0u8; TABLE_CHARS]);
        let mut high_codes = Vec::new();
        for (i, &c) in chars.iter().enumerate() {
            let code = i as u8 + 1;
            match low_codes.get_mut(c as usize) {
                Some(slot) => *slot = code,
                None => high_codes.push((c, code)),
            }
        }
        // (trigram, lang, rank) sorted by trigram: each trigram's postings side by side, in
        // profile-list order (the order does not matter to the sums, only to the reader)
        let mut all: Vec<(u64, Posting)> = Vec::new();
        for (lang, (_, profile)) in list.iter().enumerate() {
            for (rank, t) in profile.iter().enumerate() {
                let posting = Posting {
                    lang: lang as u16,
                    rank: rank as u16,
                };
                all.push((super::fast::pack(t.0, t.1, t.2), posting));
            }
        }
        all.sort_by_key(|&(t, p)| (t, p.lang, p.rank));
        let distinct = all.chunk_by(|a, b| a.0 == b.0).count();
        // at most 3/4 full (Latin: 4,143 in 8,192), so probes end and stay short
        let size = (distinct + distinct / 2).next_power_of_two();
        let mut index = Index {
            low_codes,
            high_codes,
            slots: vec![0; size],
            shift: 64 - size.trailing_zeros(),
            postings: Vec::with_capacity(all.len()),
            langs: list.iter().map(|&(lang, _)| lang).collect(),
            profile_lens: list.iter().map(|(_, p)| p.len() as u32).collect(),
        };
        for run in all.chunk_by(|a, b| a.0 == b.0) {
            let code = index.code(run[0].0).expect("profile chars have codes");
            let start = index.postings.len() as u64;
            assert!(start < 1 << 32, "postings start must fit 32 bits");
            let slot = index.slot_of(code);
            index.slots[slot] = (code << 40) | (start << 8) | run.len() as u64;
            index.postings.extend(run.iter().map(|&(_, p)| p));
        }
        index
    }

    /// The 24-bit code of a packed trigram, `None` when some char of it is in no profile.
    #[inline]
    fn code(&self, trigram: u64) -> Option<u64> {
        let mut code = 0;
        for c in unpack(trigram) {
            let byte = match self.low_codes.get(c as usize) {
                Some(&b) => b,
                None => match self.high_codes.binary_search_by_key(&c, |&(c, _)| c) {
                    Ok(i) => self.high_codes[i].1,
                    Err(_) => 0,
                },
            };
            if byte == 0 {
                return None;
            }
            code = (code << 8) | u64::from(byte);
        }
        Some(code)
    }

    /// Where the probe for `code` starts.
    #[inline]
    fn home(&self, code: u64) -> usize {
        (code.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.shift) as usize
    }

    /// The slot holding `code`, or the empty slot where it would go (there is one).
    #[inline]
    fn slot_of(&self, code: u64) -> usize {
        let mask = self.slots.len() - 1;
        let mut i = self.home(code);
        while self.slots[i] != 0 && self.slots[i] >> 40 != code {
            i = (i + 1) & mask;
        }
        i
    }

    /// Each language's gain (see `fast::distance`) from the ranked trigrams: Σ over the
    /// profile trigrams the text has of 300 − |position − rank|. `hits` is scratch.
    pub(super) fn gains(
        &'static self,
        ranked: &[u64],
        hits: &mut Vec<(u32, &'static [Posting])>,
    ) -> [i32; MAX_LANGS] {
        // Look up every trigram first, prefetching the slot AHEAD trigrams on and each hit's
        // postings (independent misses overlap instead of queueing), then add up.
        hits.clear();
        for (pos, &trigram) in ranked.iter().enumerate() {
            if let Some(code) = ranked.get(pos + AHEAD).and_then(|&t| self.code(t)) {
                prefetch(&self.slots[self.home(code)]);
            }
            let postings = self.postings(trigram);
            if let (Some(first), Some(last)) = (postings.first(), postings.last()) {
                prefetch(first);
                prefetch(last);
                hits.push((pos as u32, postings));
            }
        }
        let mut gains = [0i32; MAX_LANGS];
        for &(pos, postings) in hits.iter() {
            for p in postings {
                let dist = (pos as i32 - p.rank as i32).unsigned_abs();
                gains[p.lang as usize] += MAX_TRIGRAM_DISTANCE as i32 - dist as i32;
            }
        }
        gains
    }

    /// The postings of a packed trigram (none when no profile of the script has it).
    fn postings(&self, trigram: u64) -> &[Posting] {
        let Some(code) = self.code(trigram) else {
            return &[];
        };
        let slot = self.slots[self.slot_of(code)];
        let start = ((slot >> 8) & 0xFFFF_FFFF) as usize;
        &self.postings[start..start + (slot & 0xFF) as usize]
    }
}

/// Trigrams looked up ahead of the one being read (here and in `fast`'s counts).
pub(super) const AHEAD: usize = 8;

/// Ask the CPU to bring `x` into the cache (a hint: no effect on results).
#[inline]
pub(super) fn prefetch<T>(x: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch never faults and reads nothing visible; `x` is a valid reference.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
            (x as *const T).cast(),
        )
    };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = x;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trigrams::fast::pack;

    /// Every profile trigram of every script finds exactly its (language, rank) entries, and
    /// trigrams of chars no profile has, or of profile chars in no profile's order, find none.
    #[test]
    fn index_finds_each_profile_trigram_and_nothing_else() {
        for script in [
            MultiLangScript::Latin,
            MultiLangScript::Cyrillic,
            MultiLangScript::Arabic,
            MultiLangScript::Devanagari,
            MultiLangScript::Hebrew,
        ] {
            let index = index_of(script);
            let list = script_to_lang_profile_list(script);
            let mut want: Vec<(u64, u16, u16)> = Vec::new();
            for (lang, (_, profile)) in list.iter().enumerate() {
                for (rank, t) in profile.iter().enumerate() {
                    want.push((pack(t.0, t.1, t.2), lang as u16, rank as u16));
                }
            }
            want.sort_unstable();
            let mut got: Vec<(u64, u16, u16)> = Vec::new();
            let mut trigrams: Vec<u64> = want.iter().map(|w| w.0).collect();
            trigrams.dedup();
            for &t in &trigrams {
                got.extend(index.postings(t).iter().map(|p| (t, p.lang, p.rank)));
            }
            got.sort_unstable();
            assert_eq!(got, want, "{script:?}");
            // reversed profile trigrams that are not profile trigrams themselves
            for &t in &trigrams {
                let [a, b, c] = unpack(t).map(|c| char::from_u32(c).unwrap());
                let r = pack(c, b, a);
                if trigrams.binary_search(&r).is_err() {
                    assert!(index.postings(r).is_empty(), "{script:?} {c}{b}{a}");
                }
            }
            for odd in [
                pack('\u{1}', 'a', 'b'),
                pack('€', '😀', ' '),
                pack('ж', 'e', 'ש'),
            ] {
                let trigram_is_profiles = trigrams.binary_search(&odd).is_ok();
                assert_eq!(index.postings(odd).is_empty(), !trigram_is_profiles);
            }
        }
    }
}
