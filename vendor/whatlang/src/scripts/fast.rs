//! Upstream's `raw_detect_script` with ASCII letters counted without the check chain
//! (skypile): the same counts and the same final order of the scripts, so the same main script
//! even on ties.
//!
//! Upstream runs every non-stop character through up to 25 checks called by pointer, moving the
//! script that matched one place forward. Most characters of the texts skypile hands it are
//! ASCII, and an ASCII letter is Latin and nothing else (`ascii_is_latin_only`): it is counted
//! at Latin's current place and moves Latin forward exactly as upstream's chain would. The one
//! other non-stop ASCII character, DEL, matches no script (same test), so it is skipped. Every
//! other character takes upstream's chain unchanged.

use super::detect::{RawScriptInfo, script_counters};
use super::script::Script;
use crate::utils::is_stop_char;

pub fn raw_detect_script(text: &str) -> RawScriptInfo {
    let mut counters = script_counters();
    // Latin's place in `counters`: upstream's moves, tracked.
    let mut latin = 0;
    debug_assert_eq!(counters[latin].0, Script::Latin);
    for ch in text.chars() {
        if ch.is_ascii() {
            if ch.is_ascii_alphabetic() {
                counters[latin].2 += 1;
                if latin > 0 {
                    counters.swap(latin - 1, latin);
                    latin -= 1;
                }
            }
            continue;
        }
        // upstream's chain (`is_stop_char` is false: stop characters are ASCII)
        debug_assert!(!is_stop_char(ch));
        let Some(i) = (0..counters.len()).find(|&i| (counters[i].1)(ch)) else {
            continue;
        };
        counters[i].2 += 1;
        if i > 0 {
            counters.swap(i - 1, i);
            if latin == i {
                latin -= 1;
            } else if latin == i - 1 {
                latin = i;
            }
        }
    }
    RawScriptInfo::new(counters.iter().map(|&(s, _, n)| (s, n)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the fast path assumes of ASCII: a letter is Latin only, every other non-stop
    /// character (DEL) no script at all.
    #[test]
    fn ascii_is_latin_only() {
        for b in 0u8..0x80 {
            let ch = b as char;
            if is_stop_char(ch) {
                continue;
            }
            let hits: Vec<Script> = script_counters()
                .iter()
                .filter(|c| (c.1)(ch))
                .map(|c| c.0)
                .collect();
            let want = if ch.is_ascii_alphabetic() {
                vec![Script::Latin]
            } else {
                vec![]
            };
            assert_eq!(hits, want, "{ch:?}");
        }
    }

    /// Same counters in the same order as upstream, on texts that move scripts past Latin and
    /// back (the order decides ties).
    #[test]
    fn same_counters_as_upstream() {
        let pieces = [
            "abc", "Z", "é", "ß", "я", "Жж", "ا", "ह", "ש", "中", "の", "カ", "한", "α", "\u{7f}",
            " ", "1", ",", "ə", "ǅ", "ⅰ", "ሀ", "ა",
        ];
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..3000 {
            let mut text = String::new();
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = (state % 40) as usize;
            let mut s = state;
            for _ in 0..len {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                text.push_str(pieces[(s >> 33) as usize % pieces.len()]);
            }
            let (fast, slow) = (
                raw_detect_script(&text),
                super::super::raw_detect_script(&text),
            );
            assert_eq!(fast.counters, slow.counters, "{text:?}");
        }
    }
}
