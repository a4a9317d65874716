//! The alphabet scores with a table instead of a binary search per character (skypile).
//!
//! Upstream finds each character of the text in the script's sorted alphabet map by binary
//! search (8 steps over Latin's 167 characters), ~15% of skypile's `lang` step. Every map
//! character but Vietnamese's precomposed vowels (U+1EA0…) lies below U+0500, so a 1.25 KB
//! table gives the place of those directly; others still take the binary search. Same places,
//! so the very scores of `common::generic_alphabet_calculate_scores`, which runs the same
//! scoring code (`common::alphabet_scores_by`).

use std::sync::LazyLock;

use super::common::alphabet_scores_by;
use super::{RawOutcome, cyrillic, detection, latin};
use crate::Script;
use crate::core::InternalQuery;
use crate::scripts::grouping::MultiLangScript as MLS;

/// Characters below this have their place in the table.
const TABLE_END: usize = 0x500;
/// No place: the character is in no alphabet of the script.
const NONE: u8 = u8::MAX;

/// The place of each character below [`TABLE_END`] in a map's sorted characters.
struct Places {
    table: [u8; TABLE_END],
    chars: &'static [char],
}

impl Places {
    fn new(chars: &'static [char]) -> Places {
        assert!(chars.len() < NONE as usize, "places must fit a u8");
        let mut table = [NONE; TABLE_END];
        for (i, &c) in chars.iter().enumerate() {
            if let Some(slot) = table.get_mut(c as usize) {
                *slot = i as u8;
            }
        }
        Places { table, chars }
    }

    #[inline]
    fn of(&self, ch: char) -> Option<usize> {
        match self.table.get(ch as usize) {
            Some(&NONE) => None,
            Some(&p) => Some(p as usize),
            None => self.chars.binary_search(&ch).ok(),
        }
    }
}

static LATIN: LazyLock<Places> = LazyLock::new(|| Places::new(&latin::ALPHABET_LANG_MAP.0));
static CYRILLIC: LazyLock<Places> =
    LazyLock::new(|| Places::new(&cyrillic::CYRILLIC_ALPHABET_LANG_MAP.0));

/// `detection::raw_detect` with the table; the scripts without alphabets go to it unchanged.
pub fn raw_detect(iquery: &InternalQuery) -> RawOutcome {
    let (script, map, places) = match iquery.multi_lang_script {
        MLS::Latin => (Script::Latin, &latin::ALPHABET_LANG_MAP, &*LATIN),
        MLS::Cyrillic => (
            Script::Cyrillic,
            &cyrillic::CYRILLIC_ALPHABET_LANG_MAP,
            &*CYRILLIC,
        ),
        MLS::Arabic | MLS::Devanagari | MLS::Hebrew => return detection::raw_detect(iquery),
    };
    let text = iquery.text.lowercase();
    alphabet_scores_by(script, map, &text, iquery.filter_list, |ch| places.of(ch))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table gives the binary search's answer for every character.
    #[test]
    fn places_are_the_binary_search() {
        for (places, chars) in [
            (&*LATIN, &latin::ALPHABET_LANG_MAP.0),
            (&*CYRILLIC, &cyrillic::CYRILLIC_ALPHABET_LANG_MAP.0),
        ] {
            for ch in (0..=0x10FFFF).filter_map(char::from_u32) {
                assert_eq!(places.of(ch), chars.binary_search(&ch).ok(), "{ch:?}");
            }
        }
    }
}
