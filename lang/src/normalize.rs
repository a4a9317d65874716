//! The `normalize` step: make equal text look equal before anything counts or hashes it.
//!
//! Passes, in order, each switchable and each counted (`normalize_<pass>` = docs it changed):
//! 1. `mojibake`: UTF-8 that was decoded as windows-1252/Latin-1 (`Ã©`→`é`, `â€™`→`’`,
//!    `ä¸­æ–‡`→`中文`), repaired by re-encoding the run and decoding it as UTF-8 — the core
//!    idea of ftfy, restricted to the lead bytes where false positives are rare (see `fix_seq`).
//! 2. `invisible`: zero-width and format characters (ZWSP, word joiner, BOM, soft hyphen) and
//!    control characters; CR/CRLF and U+2028/2029 become `\n`. ZWJ/ZWNJ stay: Persian, Indic
//!    scripts and emoji need them.
//! 3. `unicode`: NFKC (default) or NFC. NFKC is applied "where safe": CJK and full-width
//!    punctuation (，。！？（）…), superscripts and fractions are left alone, because NFKC
//!    would turn `，` into `,`, `……` into `......` and `m²` into `m2`.
//! 4. `fullwidth_ascii`: full-width letters and digits (ＡＢＣ１２３) to ASCII, also under NFC.
//!    Full-width *punctuation* is never converted: it is correct Chinese typography.
//! 5. `whitespace`: runs of spaces/tabs (incl. NBSP, ideographic space) inside a line become one
//!    space, lines are trimmed, and more than one blank line in a row becomes one.

use serde::{Deserialize, Serialize};
use skypile_core::text::is_punct;
use skypile_core::{Counters, Doc, Step, Verdict};
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick, is_nfkc_quick};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum UnicodeForm {
    Nfkc,
    Nfc,
    None,
}

/// Repairs mojibake, invisible chars, full-width alnum and whitespace; safe NFKC.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct NormalizeConfig {
    pub mojibake: bool,
    pub invisible: bool,
    pub unicode: UnicodeForm,
    pub fullwidth_ascii: bool,
    pub whitespace: bool,
}

impl Default for NormalizeConfig {
    fn default() -> Self {
        NormalizeConfig {
            mojibake: true,
            invisible: true,
            unicode: UnicodeForm::Nfkc,
            fullwidth_ascii: true,
            whitespace: true,
        }
    }
}

impl NormalizeConfig {
    pub fn build(&self) -> anyhow::Result<Normalize> {
        Ok(Normalize { cfg: self.clone() })
    }
}

pub struct Normalize {
    cfg: NormalizeConfig,
}

impl Normalize {
    /// The normalised text, or `None` when nothing changed.
    pub fn apply(&self, text: &str, stats: &mut Counters) -> Option<String> {
        let c = &self.cfg;
        let passes: [(bool, &str, fn(&str) -> Option<String>); 5] = [
            (c.mojibake, "normalize_mojibake", fix_mojibake),
            (c.invisible, "normalize_invisible", remove_invisible),
            (
                c.unicode == UnicodeForm::Nfkc,
                "normalize_unicode",
                nfkc_safe,
            ),
            (c.unicode == UnicodeForm::Nfc, "normalize_unicode", nfc),
            (c.fullwidth_ascii, "normalize_fullwidth", fullwidth_alnum),
        ];
        let mut cur: Option<String> = None;
        for (on, counter, pass) in passes.into_iter().chain([(
            c.whitespace,
            "normalize_whitespace",
            collapse_whitespace as fn(&str) -> Option<String>,
        )]) {
            if !on {
                continue;
            }
            if let Some(next) = pass(cur.as_deref().unwrap_or(text)) {
                stats.inc(counter);
                cur = Some(next);
            }
        }
        cur
    }
}

impl Step for Normalize {
    fn name(&self) -> &str {
        "normalize"
    }

    fn process(&self, doc: &mut Doc, stats: &mut Counters) -> Verdict {
        if let Some(t) = self.apply(doc.text(), stats) {
            stats.inc("normalize_changed");
            doc.set_text(t);
        }
        Verdict::Keep
    }
}

fn changed(orig: &str, new: String) -> Option<String> {
    (new != orig).then_some(new)
}

/// windows-1252 (and Latin-1 C1 controls) character → byte, from encoding_rs's own table.
fn cp1252_byte(c: char) -> Option<u8> {
    use std::sync::OnceLock;
    static MAP: OnceLock<Vec<(char, u8)>> = OnceLock::new();
    let map = MAP.get_or_init(|| {
        let bytes: Vec<u8> = (0x80..=0xFF).collect();
        let (s, _, _) = encoding_rs::WINDOWS_1252.decode(&bytes);
        let mut m: Vec<(char, u8)> = s.chars().zip(bytes.iter().copied()).collect();
        m.extend((0x80u8..=0x9F).map(|b| (b as char, b)));
        m.sort_unstable();
        m.dedup_by_key(|p| p.0);
        m
    });
    if c.is_ascii() {
        return None;
    }
    map.binary_search_by_key(&c, |p| p.0)
        .ok()
        .and_then(|i| map.get(i))
        .map(|p| p.1)
}

/// Lead bytes whose mojibake is fixed: C2/C3 (Latin-1 letters: `Ã©`, `Â `), E0–EF (three-byte:
/// punctuation `â€™` and all of CJK `ä¸­`), F0–F4 (emoji `ðŸ˜€`). Other two-byte leads (Ä…ß) are
/// left alone: an upper-case accented letter before a symbol (`CAFÉ…`) is legitimate text.
fn seq_len(lead: u8) -> Option<usize> {
    match lead {
        0xC2 | 0xC3 => Some(2),
        0xE0..=0xEF => Some(3),
        0xF0..=0xF4 => Some(4),
        _ => None,
    }
}

fn fix_mojibake(text: &str) -> Option<String> {
    if !any_char(text, |_| false, MOJIBAKE_LEADS, is_mojibake_lead) {
        return None;
    }
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut fixed = false;
    while let Some(&c) = chars.get(i) {
        if let Some((s, n)) = fix_seq(&chars[i..]) {
            out.push(s);
            i += n;
            fixed = true;
        } else {
            out.push(c);
            i += 1;
        }
    }
    fixed.then_some(out)
}

/// The character that `chars[..n]` is the windows-1252 misreading of, and `n`.
fn fix_seq(chars: &[char]) -> Option<(char, usize)> {
    let n = seq_len(cp1252_byte(*chars.first()?)?)?;
    let mut bytes = [0u8; 4];
    for (k, b) in bytes.iter_mut().enumerate().take(n) {
        *b = cp1252_byte(*chars.get(k)?)?;
        if k > 0 && !(0x80..=0xBF).contains(b) {
            return None;
        }
    }
    let s = std::str::from_utf8(&bytes[..n]).ok()?;
    s.chars().next().filter(|c| !c.is_control()).map(|c| (c, n))
}

fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}' | '\u{180E}' | '\u{FFFC}'
    ) || (c.is_control() && c != '\n' && c != '\t')
}

fn remove_invisible(text: &str) -> Option<String> {
    let ascii = |b: u8| b.is_ascii_control() && b != b'\n' && b != b'\t';
    if !any_char(text, ascii, INVISIBLE_LEADS, is_invisible_or_break) {
        return None;
    }
    let t = text.replace("\r\n", "\n");
    Some(
        t.chars()
            .filter_map(|c| match c {
                '\r' | '\u{2028}' | '\u{2029}' => Some('\n'),
                c if is_invisible(c) => None,
                c => Some(c),
            })
            .collect(),
    )
}

/// Characters NFKC must not touch (see the module doc).
fn nfkc_protected(c: char) -> bool {
    (!c.is_ascii() && is_punct(c))
        || c == '\u{3000}'
        || matches!(c, '\u{00B2}' | '\u{00B3}' | '\u{00B9}' | '\u{00BC}'..='\u{00BE}' | '\u{2070}'..='\u{209F}' | '\u{2150}'..='\u{215F}')
}

/// Chars the quick check may skip: common Han is NFKC-stable and a starter, and leaving a
/// starter out of the check can only turn its answer from Yes into No or Maybe, after which
/// the full pass below compares the output with the text anyway.
fn nfkc_skip(c: char) -> bool {
    ('\u{4E00}'..='\u{9FFF}').contains(&c) || nfkc_protected(c)
}

fn nfkc_safe(text: &str) -> Option<String> {
    if text.is_ascii()
        || is_nfkc_quick(text.chars().filter(|&c| !nfkc_skip(c))) == IsNormalized::Yes
    {
        return None;
    }
    nfkc_outside_protected(text)
}

/// NFKC of the text between protected chars; `None` if that changes nothing.
fn nfkc_outside_protected(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut start = 0;
    for (i, c) in text.char_indices().filter(|&(_, c)| nfkc_protected(c)) {
        out.extend(text[start..i].nfkc());
        out.push(c);
        start = i + c.len_utf8();
    }
    out.extend(text[start..].nfkc());
    changed(text, out)
}

fn nfc(text: &str) -> Option<String> {
    if is_nfc_quick(text.chars()) == IsNormalized::Yes {
        return None;
    }
    changed(text, text.nfc().collect())
}

fn is_fw(c: char) -> bool {
    matches!(c, '０'..='９' | 'Ａ'..='Ｚ' | 'ａ'..='ｚ')
}

fn fullwidth_alnum(text: &str) -> Option<String> {
    if !any_char(text, |_| false, &[0xEF], is_fw) {
        return None;
    }
    Some(
        text.chars()
            .map(|c| {
                if is_fw(c) {
                    char::from_u32(c as u32 - 0xFEE0).unwrap_or(c)
                } else {
                    c
                }
            })
            .collect(),
    )
}

/// True when [`collapse_whitespace`] would return the text unchanged: only single spaces
/// between words and `\n` as whitespace, no blank line at either end or two in a row.
/// One byte scan instead of rebuilding every (mostly clean, extracted) text to compare it.
fn already_collapsed(text: &str) -> bool {
    // as if after two line breaks: a leading space or line break fails
    let (mut prev, mut breaks) = (b'\n', 2);
    for (i, &b) in text.as_bytes().iter().enumerate() {
        let bad = match b {
            b' ' => matches!(prev, b' ' | b'\n'),
            b'\n' => prev == b' ' || breaks == 2,
            b'\t' | 0x0B | 0x0C | b'\r' => true,
            _ => lead_char(text, i, SPACE_LEADS).is_some_and(char::is_whitespace),
        };
        if bad {
            return false;
        }
        breaks = if b == b'\n' { breaks + 1 } else { 0 };
        prev = b;
    }
    text.is_empty() || !matches!(prev, b' ' | b'\n')
}

/// UTF-8 lead bytes of every non-ASCII char the prefilter tests accept (checked over all
/// chars by `lead_bytes_cover_every_char_the_tests_accept`).
const MOJIBAKE_LEADS: &[u8] = &[0xC3];
const INVISIBLE_LEADS: &[u8] = &[0xC2, 0xE1, 0xE2, 0xEF];
const SPACE_LEADS: &[u8] = &[0xC2, 0xE1, 0xE2, 0xE3];

fn is_mojibake_lead(c: char) -> bool {
    matches!(c, '\u{C2}' | '\u{C3}' | '\u{E0}'..='\u{F4}')
}

fn is_invisible_or_break(c: char) -> bool {
    is_invisible(c) || matches!(c, '\u{2028}' | '\u{2029}')
}

/// The char starting at byte `i` if that byte is one of `leads`.
fn lead_char(text: &str, i: usize, leads: &[u8]) -> Option<char> {
    let b = *text.as_bytes().get(i)?;
    if !leads.contains(&b) {
        return None;
    }
    text.get(i..)?.chars().next()
}

/// Whether any char passes a prefilter: ASCII bytes by `ascii`, other chars by `test`, decoded
/// only at the lead bytes `test` can accept, so most text is a byte scan.
fn any_char(text: &str, ascii: fn(u8) -> bool, leads: &[u8], test: fn(char) -> bool) -> bool {
    text.bytes().enumerate().any(|(i, b)| {
        if b.is_ascii() {
            ascii(b)
        } else {
            lead_char(text, i, leads).is_some_and(test)
        }
    })
}

fn collapse_whitespace(text: &str) -> Option<String> {
    if already_collapsed(text) {
        return None;
    }
    rebuild_whitespace(text)
}

/// Lines split into words and joined by one space, blank runs cut to one blank line.
fn rebuild_whitespace(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut blank_run = 0;
    for line in text.split('\n') {
        let mut words = line
            .split(|c: char| c.is_whitespace())
            .filter(|w| !w.is_empty())
            .peekable();
        if words.peek().is_none() {
            blank_run += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank_run > 0 { "\n\n" } else { "\n" });
        }
        blank_run = 0;
        for (k, w) in words.enumerate() {
            if k > 0 {
                out.push(' ');
            }
            out.push_str(w);
        }
    }
    changed(text, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(t: &str) -> (String, Counters) {
        let mut st = Counters::default();
        let n = NormalizeConfig::default().build().unwrap();
        let out = n.apply(t, &mut st).unwrap_or_else(|| t.to_string());
        (out, st)
    }

    #[test]
    fn chinese_punctuation_survives_nfkc() {
        let t = "你好，世界！这是“测试”……（完）面积10m²，ＡＢＣ１２３。";
        let (out, st) = norm(t);
        assert_eq!(out, "你好，世界！这是“测试”……（完）面积10m²，ABC123。");
        assert_eq!(
            st.get("normalize_fullwidth") + st.get("normalize_unicode"),
            1
        );
    }

    #[test]
    fn fixes_common_mojibake() {
        assert_eq!(
            norm("cafÃ© â€™quotedâ€™ ä¸\u{ad}æ–‡").0,
            "café ’quoted’ 中文"
        );
        assert_eq!(norm("naÃ¯ve rÃ©sumÃ©").0, "naïve résumé");
        // Legitimate text is left alone.
        for t in [
            "CAFÉ… à la carte",
            "São Paulo, NÃO, Ärger über Öl",
            "Â est une lettre",
        ] {
            assert_eq!(norm(t).0, t);
        }
    }

    #[test]
    fn removes_invisible_and_controls_keeps_zwj() {
        let (out, st) = norm("a\u{200B}b\u{FEFF}c\u{0007}d\r\ne\u{00AD}f 👨\u{200D}👩");
        assert_eq!(out, "abcd\nef 👨\u{200D}👩");
        assert_eq!(st.get("normalize_invisible"), 1);
    }

    #[test]
    fn collapses_whitespace_runs_and_blank_lines() {
        let (out, _) = norm("  a \t b\u{3000}\u{3000}c  \n\n\n\n\u{3000}\u{3000}段落\n");
        assert_eq!(out, "a b c\n\n段落");
    }

    #[test]
    fn clean_text_is_untouched_and_uncounted() {
        let mut st = Counters::default();
        let n = NormalizeConfig::default().build().unwrap();
        assert!(n.apply("Clean text.\n\n干净的文本。", &mut st).is_none());
        assert!(st.is_empty());
    }

    #[test]
    fn nfc_mode_composes_but_keeps_compatibility_forms() {
        let n = NormalizeConfig {
            unicode: UnicodeForm::Nfc,
            fullwidth_ascii: false,
            ..Default::default()
        }
        .build()
        .unwrap();
        let out = n
            .apply("e\u{0301} ﬁ ＡＢ", &mut Counters::default())
            .unwrap();
        assert_eq!(out, "é ﬁ ＡＢ");
    }

    /// Every string of up to 5 pieces from an alphabet of words and whitespace kinds.
    fn strings(pieces: &[&str], max: usize) -> Vec<String> {
        let mut all = vec![String::new()];
        let mut last = all.clone();
        for _ in 0..max {
            last = last
                .iter()
                .flat_map(|s| pieces.iter().map(move |p| format!("{s}{p}")))
                .collect();
            all.extend(last.iter().cloned());
        }
        all
    }

    /// The one-scan test says "unchanged" exactly when rebuilding the text changes nothing.
    #[test]
    fn collapsed_check_agrees_with_the_rebuild() {
        let pieces = ["a", "中", " ", "\n", "\t", "\u{3000}", "\u{a0}", "\r", "、"];
        for t in strings(&pieces, 5) {
            assert_eq!(
                already_collapsed(&t),
                rebuild_whitespace(&t).is_none(),
                "{t:?}"
            );
        }
    }

    /// Skipping Han and the ASCII shortcut in the quick check give the output of the full pass.
    #[test]
    fn nfkc_quick_skips_agree_with_the_full_pass() {
        let pieces = [
            "a", "中", "\u{301}", "\u{316}", "ﬁ", "①", "，", "Å", "\u{3000}",
        ];
        for t in strings(&pieces, 4) {
            assert_eq!(nfkc_safe(&t), nfkc_outside_protected(&t), "{t:?}");
        }
    }

    /// Every non-ASCII char a prefilter accepts starts with one of its lead bytes, so the
    /// byte scans see every char the char-by-char tests saw.
    #[test]
    fn lead_bytes_cover_every_char_the_tests_accept() {
        let sets: [(&[u8], fn(char) -> bool); 4] = [
            (MOJIBAKE_LEADS, is_mojibake_lead),
            (INVISIBLE_LEADS, is_invisible_or_break),
            (&[0xEF], is_fw),
            (SPACE_LEADS, char::is_whitespace),
        ];
        for (leads, test) in sets {
            for c in (0x80..=0x10FFFFu32)
                .filter_map(char::from_u32)
                .filter(|&c| test(c))
            {
                let lead = c.to_string().as_bytes()[0];
                assert!(leads.contains(&lead), "{c:?} starts with {lead:#x}");
            }
        }
    }
}
