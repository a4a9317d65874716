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
//!   numeric order is `Trigram`'s derived (char, char, char) order, and hashed by one multiply;
//! - the text's trigrams are ranked by (count, trigram) descending as upstream does; that order
//!   is total (the trigrams are distinct), so selecting the top 600 before sorting them gives
//!   the very list upstream's full sort + `take(600)` gives.
//! The languages then go, in profile-list order, through the same `detection::outcome` as
//! upstream's (its unstable sort decides the order of equal distances).

use std::hash::{BuildHasher, Hasher};
use std::sync::LazyLock;

use hashbrown::HashMap;

use super::detection::{RawOutcome, outcome, script_to_lang_profile_list};
use super::{MAX_TOTAL_DISTANCE, MAX_TRIGRAM_DISTANCE, TEXT_TRIGRAMS_SIZE};
use crate::Lang;
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
    let ranked = ranked_trigrams(text);
    let mut gains = vec![0i32; index.langs.len()];
    for (pos, &(_, trigram)) in ranked.iter().enumerate() {
        let Some(&(start, end)) = index.postings_of.get(&trigram) else {
            continue;
        };
        for p in &index.postings[start as usize..end as usize] {
            let dist = (pos as i32 - p.rank as i32).unsigned_abs();
            gains[p.lang as usize] += MAX_TRIGRAM_DISTANCE as i32 - dist as i32;
        }
    }
    let count = ranked.len() as u32;
    let lang_distances = index
        .langs
        .iter()
        .zip(&index.profile_lens)
        .zip(&gains)
        .filter(|((lang, _), _)| filter_list.is_allowed(**lang))
        .map(|((&lang, &len), &gain)| (lang, distance(len, gain, count)))
        .collect();
    outcome(lang_distances, ranked.len())
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

/// The text's top [`TEXT_TRIGRAMS_SIZE`] trigrams as (count, packed trigram), best first:
/// upstream's `utils::count` + `trigram_occurances_to_positions` on packed keys.
fn ranked_trigrams(text: &str) -> Vec<(u32, u64)> {
    let mut counts: HashMap<u64, u32, PackedHash> =
        HashMap::with_capacity_and_hasher(text.len().min(2048), PackedHash);
    let to_trigram_char = |ch: char| if is_stop_char(ch) { ' ' } else { ch };
    let mut chars = text.chars().map(to_trigram_char).chain(Some(' '));
    let mut c1 = ' ';
    // unwrap is safe: the chain always yields the final space
    let mut c2 = chars.next().unwrap();
    for c3 in chars {
        if !(c2 == ' ' && (c1 == ' ' || c3 == ' ')) {
            *counts.entry(pack(c1, c2, c3)).or_insert(0) += 1;
        }
        c1 = c2;
        c2 = c3;
    }
    let mut ranked: Vec<(u32, u64)> = counts.into_iter().map(|(t, n)| (n, t)).collect();
    let best_first = |a: &(u32, u64), b: &(u32, u64)| b.cmp(a);
    if ranked.len() > TEXT_TRIGRAMS_SIZE {
        ranked.select_nth_unstable_by(TEXT_TRIGRAMS_SIZE - 1, best_first);
        ranked.truncate(TEXT_TRIGRAMS_SIZE);
    }
    ranked.sort_unstable_by(best_first);
    ranked
}

/// Three code points (21 bits each), the first highest: numeric order = `Trigram` order.
fn pack(c1: char, c2: char, c3: char) -> u64 {
    (u64::from(c1) << 42) | (u64::from(c2) << 21) | u64::from(c3)
}

/// One language's trigram at one rank of its profile.
#[derive(Clone, Copy)]
struct Posting {
    /// Position of the language in the script's profile list.
    lang: u16,
    rank: u16,
}

/// The profiles of one script as postings per trigram.
struct Index {
    /// Packed trigram → its range in `postings`.
    postings_of: HashMap<u64, (u32, u32), PackedHash>,
    postings: Vec<Posting>,
    /// The languages and their profile lengths, in profile-list order.
    langs: Vec<Lang>,
    profile_lens: Vec<u32>,
}

fn index_of(script: MultiLangScript) -> &'static Index {
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

impl Index {
    fn new(script: MultiLangScript) -> Index {
        let list = script_to_lang_profile_list(script);
        let mut by_trigram: HashMap<u64, Vec<Posting>, PackedHash> = HashMap::default();
        for (lang, (_, profile)) in list.iter().enumerate() {
            for (rank, t) in profile.iter().enumerate() {
                let posting = Posting {
                    lang: lang as u16,
                    rank: rank as u16,
                };
                by_trigram
                    .entry(pack(t.0, t.1, t.2))
                    .or_default()
                    .push(posting);
            }
        }
        let mut postings = Vec::with_capacity(by_trigram.values().map(Vec::len).sum());
        let mut postings_of = HashMap::with_capacity_and_hasher(by_trigram.len(), PackedHash);
        for (trigram, ps) in by_trigram {
            let start = postings.len() as u32;
            postings.extend(ps);
            postings_of.insert(trigram, (start, postings.len() as u32));
        }
        Index {
            postings_of,
            postings,
            langs: list.iter().map(|&(lang, _)| lang).collect(),
            profile_lens: list.iter().map(|(_, p)| p.len() as u32).collect(),
        }
    }
}

/// Hash of a packed trigram: one 64×64→128-bit multiply, folded (the high and low halves
/// mixed, so both hashbrown's bucket bits and its tag bits vary). Not DoS-resistant, and need
/// not be: a text has at most one trigram per character of a bounded sample, and a collision
/// costs time, never a different score.
#[derive(Clone, Copy, Default)]
struct PackedHash;

impl BuildHasher for PackedHash {
    type Hasher = PackedHasher;
    fn build_hasher(&self) -> PackedHasher {
        PackedHasher(0)
    }
}

struct PackedHasher(u64);

impl Hasher for PackedHasher {
    fn write(&mut self, bytes: &[u8]) {
        // not used (keys are u64), but correct for any key
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u64(&mut self, x: u64) {
        let m = u128::from(x ^ self.0) * 0x9E37_79B9_7F4A_7C15;
        self.0 = (m as u64) ^ ((m >> 64) as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}
