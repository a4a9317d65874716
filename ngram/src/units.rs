//! The units an n-gram model counts, per language.
//!
//! - `zh_chars` (Chinese, CCNet's choice for scripts without spaces): every CJK character and
//!   every punctuation mark is one unit; runs of other letters/digits (Latin words inside
//!   Chinese text, numbers) are one unit each.
//! - `words` (English and other spaced scripts): the project's word view (UAX #29 words,
//!   `skypile_core::text::word_ranges`), which skips punctuation.
//!
//! Both fold full-width ASCII, lower-case, and fold every digit to `0` (as CCNet's
//! normalisation does), so "2012年" and "1999年" are the same units. One line is one sentence:
//! `<s>` before its first unit, `</s>` after its last.

use serde::{Deserialize, Serialize};
use skypile_core::text::{fold_fullwidth, is_cjk, is_punct, word_ranges};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Units {
    ZhChars,
    Words,
}

impl Units {
    /// The default units of a language: characters for Chinese, words otherwise.
    pub fn for_lang(lang: &str) -> Units {
        match lang.split(['-', '_']).next().unwrap_or("") {
            "zh" => Units::ZhChars,
            _ => Units::Words,
        }
    }

    /// Call `f` with each normalised unit of `line`, in order. `buf` is scratch space.
    pub fn for_each(self, line: &str, buf: &mut String, mut f: impl FnMut(&str)) {
        match self {
            Units::ZhChars => zh_chars(line, buf, &mut f),
            Units::Words => {
                for r in word_ranges(line, false) {
                    buf.clear();
                    line.get(r)
                        .unwrap_or("")
                        .chars()
                        .for_each(|c| push_norm(buf, c));
                    f(buf);
                }
            }
        }
    }

    /// Convenience for tests and tools: the units of a line as owned strings.
    pub fn split(self, line: &str) -> Vec<String> {
        let mut out = Vec::new();
        self.for_each(line, &mut String::new(), |u| out.push(u.to_string()));
        out
    }
}

fn push_norm(buf: &mut String, c: char) {
    // ASCII first: the general path's Unicode table lookups give the same for it (no
    // full-width form, digits are the only numerics, lower-casing is ASCII's).
    if c.is_ascii() {
        buf.push(if c.is_ascii_digit() {
            '0'
        } else {
            c.to_ascii_lowercase()
        });
        return;
    }
    push_norm_unicode(buf, c);
}

fn push_norm_unicode(buf: &mut String, c: char) {
    let c = fold_fullwidth(c);
    if c.is_numeric() {
        buf.push('0');
    } else {
        buf.extend(c.to_lowercase());
    }
}

fn zh_chars(line: &str, buf: &mut String, f: &mut impl FnMut(&str)) {
    let mut word = String::new();
    let mut one = [0u8; 4];
    for c in line.chars() {
        // The main CJK block first: always a unit of its own and its own normal form (no
        // numerics, no case), which the general path finds through Unicode table lookups.
        if ('\u{4E00}'..='\u{9FFF}').contains(&c) {
            if !word.is_empty() {
                f(&word);
                word.clear();
            }
            f(c.encode_utf8(&mut one));
            continue;
        }
        let c = fold_fullwidth(c);
        if c.is_alphanumeric() && !is_cjk(c) {
            push_norm(&mut word, c);
            continue;
        }
        if !word.is_empty() {
            f(&word);
            word.clear();
        }
        if c.is_whitespace() || c.is_control() {
            continue;
        }
        if is_cjk(c) || is_punct(c) || !c.is_alphanumeric() {
            buf.clear();
            push_norm(buf, c);
            f(buf);
        }
    }
    if !word.is_empty() {
        f(&word);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_is_characters_with_latin_words_and_folded_digits() {
        assert_eq!(
            Units::ZhChars.split("２０１２年，Apple 发布了iPhone5。"),
            [
                "0000", "年", ",", "apple", "发", "布", "了", "iphone0", "。"
            ]
        );
    }

    #[test]
    fn fast_paths_give_what_the_unicode_path_gives() {
        for c in (0..128u8).map(char::from) {
            let (mut fast, mut general) = (String::new(), String::new());
            push_norm(&mut fast, c);
            push_norm_unicode(&mut general, c);
            assert_eq!(fast, general, "{c:?}");
        }
        // What `zh_chars` would do with a main-block CJK char without its fast path.
        for c in '\u{4E00}'..='\u{9FFF}' {
            let mut general = String::new();
            push_norm_unicode(&mut general, c);
            assert!(is_cjk(c) && !c.is_whitespace() && !c.is_control(), "{c:?}");
            assert_eq!(general, c.to_string(), "{c:?}");
        }
        assert_eq!(Units::ZhChars.split("a中Ｂ2文"), ["a", "中", "b0", "文"]);
    }

    #[test]
    fn english_is_lowercased_words_without_punctuation() {
        assert_eq!(
            Units::Words.split("The 3 Cats, it's 2024!"),
            ["the", "0", "cats", "it's", "0000"]
        );
        assert_eq!(Units::for_lang("zh-Hant"), Units::ZhChars);
        assert_eq!(Units::for_lang("en"), Units::Words);
    }
}
