//! Text views and character classes shared by every step.
//!
//! Chinese is first-class: words come from jieba (one process-wide dictionary, loaded once),
//! punctuation classes include full-width forms, and every range is a UTF-8 byte range on char
//! boundaries.

use std::ops::Range;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

use jieba_rs::Jieba;
use unicode_segmentation::UnicodeSegmentation;

static JIEBA: OnceLock<Jieba> = OnceLock::new();
static USER_DICT: Mutex<Option<PathBuf>> = Mutex::new(None);

/// Register a user dictionary (jieba format: `word [freq] [tag]` per line) before first use.
/// Returns an error naming the file if it cannot be read.
pub fn set_user_dict(path: PathBuf) -> anyhow::Result<()> {
    let f = std::fs::File::open(&path)
        .map_err(|e| anyhow::anyhow!("jieba user dictionary {}: {e}", path.display()))?;
    let mut j = Jieba::new();
    j.load_dict(&mut std::io::BufReader::new(f))
        .map_err(|e| anyhow::anyhow!("jieba user dictionary {}: {e}", path.display()))?;
    // One dictionary per process: a second, different one would make words depend on which
    // step was built first, so it is an error rather than silently ignored.
    let mut g = USER_DICT
        .lock()
        .map_err(|_| anyhow::anyhow!("jieba user dictionary lock poisoned"))?;
    if JIEBA.set(j).is_err() && g.as_ref() != Some(&path) {
        anyhow::bail!(
            "jieba user dictionary {}: the segmenter is already in use{}; set one dictionary per run",
            path.display(),
            g.as_ref()
                .map(|p| format!(" with {}", p.display()))
                .unwrap_or_default()
        );
    }
    *g = Some(path);
    Ok(())
}

/// The process-wide segmenter (0.16 s and ~32 MB to load, docs/notes.md: done once, shared by
/// all workers).
pub fn jieba() -> &'static Jieba {
    JIEBA.get_or_init(Jieba::new)
}

/// Han ideographs (CJK Unified Ideographs and extensions, compatibility ideographs).
pub fn is_han(c: char) -> bool {
    matches!(c as u32,
        0x4E00..=0x9FFF | 0x3400..=0x4DBF | 0x20000..=0x2A6DF | 0x2A700..=0x2EBEF
        | 0x30000..=0x3134F | 0xF900..=0xFAFF | 0x2F800..=0x2FA1F | 0x3007)
}

pub fn is_kana(c: char) -> bool {
    matches!(c as u32, 0x3040..=0x30FF | 0x31F0..=0x31FF | 0xFF66..=0xFF9D)
}

pub fn is_hangul(c: char) -> bool {
    matches!(c as u32, 0xAC00..=0xD7AF | 0x1100..=0x11FF | 0x3130..=0x318F)
}

/// Any CJK letter (Han, kana, Hangul).
pub fn is_cjk(c: char) -> bool {
    is_han(c) || is_kana(c) || is_hangul(c)
}

/// Punctuation including CJK and full-width forms (。，、！？；：「」『』《》…).
pub fn is_punct(c: char) -> bool {
    c.is_ascii_punctuation()
        || matches!(c as u32, 0x2000..=0x206F | 0x3000..=0x303F | 0xFF00..=0xFF0F | 0xFF1A..=0xFF20
            | 0xFF3B..=0xFF40 | 0xFF5B..=0xFF65 | 0xFE30..=0xFE4F | 0xFE10..=0xFE1F | 0x00A1..=0x00BF)
            && !c.is_alphanumeric()
}

/// Sentence-final punctuation in both languages (C4's "terminal punctuation", extended).
pub fn is_terminal_punct(c: char) -> bool {
    matches!(
        c,
        '.' | '!'
            | '?'
            | '"'
            | '\''
            | '。'
            | '！'
            | '？'
            | '…'
            | '”'
            | '」'
            | '』'
            | '）'
            | '；'
            | '．'
    )
}

/// Non-empty, trimmed lines as byte ranges.
pub fn line_ranges(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        let end = start + line.len();
        let body = line.trim_end_matches(['\n', '\r']);
        let lead = body.len() - body.trim_start().len();
        let t = body.trim();
        if !t.is_empty() {
            out.push(start + lead..start + lead + t.len());
        }
        start = end;
    }
    out
}

/// Words as byte ranges. Chinese: jieba with HMM, dropping whitespace and pure-punctuation
/// tokens. Other languages: UAX #29 word boundaries (which already skip punctuation).
pub fn word_ranges(text: &str, chinese: bool) -> Vec<Range<usize>> {
    if chinese {
        jieba()
            .cut(text, true)
            .into_iter()
            .filter(|w| has_alphanumeric(w.word))
            .map(|w| w.byte_start..w.byte_end)
            .collect()
    } else {
        uax29_word_ranges(text)
    }
}

/// Whether `word` has a letter or digit (`char::is_alphanumeric`), answered without Unicode
/// table lookups for the main CJK block, where most Chinese words start: all of it is letters
/// (`tests::main_cjk_block_is_alphanumeric`).
fn has_alphanumeric(word: &str) -> bool {
    word.chars()
        .any(|c| ('\u{4E00}'..='\u{9FFF}').contains(&c) || c.is_alphanumeric())
}

/// UAX #29 words of `text`, exactly `text.unicode_word_indices()`, cut into pieces so that the
/// crate's all-ASCII fast path runs on the ASCII stretches of a mixed text.
/// - unicode-segmentation takes its byte-level ASCII path only when the whole string is ASCII;
///   one curly quote or dash sends an English page through the general state machine (the
///   word view was a third of `gopher_repetition`'s time in `perf`).
/// - Pieces end at points where UAX #29 always breaks and looks no further back: after a LF
///   (WB3a), or after a space followed by an ASCII char other than a space (WB999: no rule
///   joins a space to an ASCII char that is not one, and ASCII has no Extend/Format/ZWJ).
/// - `tests::uax29_pieces_match_the_crate` compares it with the crate on the shared texts and
///   on random strings rich in the classes these rules name.
fn uax29_word_ranges(text: &str) -> Vec<Range<usize>> {
    uax29_pieces(text, MIN_ASCII_PIECE)
}

/// [`uax29_word_ranges`] with ASCII stretches shorter than `min_piece` bytes left inside the
/// general pieces around them (tests use 0 to cut wherever allowed).
fn uax29_pieces(text: &str, min_piece: usize) -> Vec<Range<usize>> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut push = |r: Range<usize>| {
        let piece = text.get(r.clone()).unwrap_or("");
        out.extend(
            piece
                .unicode_word_indices()
                .map(|(i, w)| r.start + i..r.start + i + w.len()),
        );
    };
    let mut pos = 0;
    while pos < b.len() {
        let Some(k) = next_non_ascii(b, pos) else {
            push(pos..b.len());
            break;
        };
        let start = (pos + 1..=k).rev().find(|&i| is_cut(b, i)).unwrap_or(pos);
        push(pos..start);
        // Non-ASCII chars close together share one general piece: fewer, longer pieces.
        let mut end = next_cut(b, k);
        while let Some(k2) = b
            .get(end..b.len().min(end + min_piece))
            .and_then(|s| s.iter().position(|c| !c.is_ascii()))
        {
            end = next_cut(b, end + k2);
        }
        push(start..end);
        pos = end;
    }
    out
}

/// Shortest ASCII stretch worth its own piece (bytes).
const MIN_ASCII_PIECE: usize = 32;

fn next_non_ascii(b: &[u8], from: usize) -> Option<usize> {
    b.get(from..)?
        .iter()
        .position(|c| !c.is_ascii())
        .map(|i| from + i)
}

/// Whether UAX #29 breaks before byte `i` whatever precedes it (see [`uax29_word_ranges`]).
fn is_cut(b: &[u8], i: usize) -> bool {
    match (b.get(i.wrapping_sub(1)), b.get(i)) {
        (Some(b'\n'), _) => true,
        (Some(b' '), Some(&c)) => c.is_ascii() && c != b' ',
        _ => false,
    }
}

/// The first cut point after byte `k`, or the end of the text.
fn next_cut(b: &[u8], k: usize) -> usize {
    (k + 1..b.len()).find(|&i| is_cut(b, i)).unwrap_or(b.len())
}

/// Normalisation used for hashing and n-grams (exact dedup, line dedup, decontamination):
/// lower case, digits folded to 0, punctuation and whitespace removed, full-width ASCII folded.
pub fn normalize_for_hash(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    normalize_for_hash_into(s, &mut out);
    out
}

/// [`normalize_for_hash`] appended to `out`, so callers hashing many lines reuse one buffer.
/// - Each char maps on its own, so a text's normalisation is its lines' normalisations joined.
/// - ASCII goes through [`HASH_ASCII`] a run at a time (most web text, and every line break of
///   Chinese text); other chars take the general chain, [`normalize_char`].
pub fn normalize_for_hash_into(s: &str, out: &mut String) {
    let mut rest = s;
    while !rest.is_empty() {
        let run = rest
            .bytes()
            .position(|b| !b.is_ascii())
            .unwrap_or(rest.len());
        let (ascii, tail) = rest.split_at(run);
        out.reserve(ascii.len());
        for b in ascii.bytes() {
            let m = HASH_ASCII[b as usize];
            if m != 0 {
                out.push(m as char);
            }
        }
        let mut chars = tail.chars();
        if let Some(c) = chars.next() {
            normalize_char(c, out);
        }
        rest = chars.as_str();
    }
}

/// One char of [`normalize_for_hash`]: dropped, folded to `0`, or lower-cased.
fn normalize_char(c: char, out: &mut String) {
    // common Han (Lo: no case, not numeric) needs none of the class tests
    if ('\u{4E00}'..='\u{9FFF}').contains(&c) {
        out.push(c);
        return;
    }
    let c = fold_fullwidth(c);
    if c.is_whitespace() || is_punct(c) || c.is_control() {
        return;
    }
    if c.is_numeric() {
        out.push('0');
    } else {
        c.to_lowercase().for_each(|l| out.push(l));
    }
}

/// [`normalize_char`] of every ASCII byte, 0 for a dropped one (ASCII has no multi-char lower
/// case); the test `ascii_hash_table_matches_the_chain` checks it against the chain.
static HASH_ASCII: [u8; 128] = {
    let mut t = [0u8; 128];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        // tab, line feed, 0x0B, form feed and carriage return are controls
        let dropped = c == b' ' || c.is_ascii_punctuation() || c.is_ascii_control();
        t[b] = if dropped {
            0
        } else if c.is_ascii_digit() {
            b'0'
        } else {
            c.to_ascii_lowercase()
        };
        b += 1;
    }
    t
};

/// Full-width ASCII variants (U+FF01..U+FF5E) and the ideographic space to their ASCII forms.
pub fn fold_fullwidth(c: char) -> char {
    match c as u32 {
        0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        0x3000 => ' ',
        _ => c,
    }
}

/// Shares of characters by class, over non-whitespace characters.
#[derive(Debug, Default, Clone, Copy)]
pub struct ScriptCounts {
    pub total: usize,
    pub han: usize,
    pub kana: usize,
    pub hangul: usize,
    pub latin: usize,
    pub cyrillic: usize,
    pub arabic: usize,
    pub other_alpha: usize,
    pub digit: usize,
    pub punct: usize,
}

/// Letters, digits and (non-whitespace) others of a run of ASCII bytes, as the general chain
/// classes them: `char::is_whitespace` is 0x09..=0x0D and 0x20 (not `u8::is_ascii_whitespace`,
/// which leaves out 0x0B), digits are `is_numeric`, and everything else (controls included) is
/// neither alphabetic nor numeric, hence punct. Branch-free, so the loop vectorises.
fn count_ascii(run: &[u8]) -> (usize, usize, usize) {
    let (mut latin, mut digit, mut space) = (0usize, 0usize, 0usize);
    // u8 counters over chunks of 255 bytes cannot overflow and fill 16 SIMD lanes.
    for chunk in run.chunks(255) {
        let (mut l, mut d, mut s) = (0u8, 0u8, 0u8);
        for &b in chunk {
            l += u8::from((b | 0x20).wrapping_sub(b'a') < 26);
            d += u8::from(b.wrapping_sub(b'0') < 10);
            s += u8::from(b == b' ' || b.wrapping_sub(0x09) < 5);
        }
        (latin, digit, space) = (latin + l as usize, digit + d as usize, space + s as usize);
    }
    (latin, digit, run.len() - latin - digit - space)
}

/// Length of the ASCII prefix of `b`, eight bytes at a time.
fn ascii_prefix(b: &[u8]) -> usize {
    let mut n = 0;
    while let Some(w) = b.get(n..n + 8) {
        if u64::from_ne_bytes(w.try_into().unwrap_or([0x80; 8])) & 0x8080_8080_8080_8080 != 0 {
            break;
        }
        n += 8;
    }
    n + b[n..]
        .iter()
        .position(|&c| c >= 0x80)
        .unwrap_or(b.len() - n)
}

/// Non-ASCII punctuation of web text (dashes, quotes, bullets, CJK and full-width punctuation)
/// that the general chain classes as punct after up to nine checks, two of them Unicode
/// table lookups (`is_numeric`, `is_alphabetic`); `punct_ranges_match_the_chain` checks every
/// character of them.
const PUNCT_RANGES: [std::ops::RangeInclusive<u32>; 6] = [
    0x2010..=0x2027,
    0x2030..=0x205E,
    0x3001..=0x3004,
    0x3008..=0x3020,
    0xFF01..=0xFF0F,
    0xFF1A..=0xFF20,
];

impl ScriptCounts {
    /// One pass over the characters, as fast as the `lang` step needs (it scans up to 12 KB
    /// of every document).
    ///
    /// - ASCII runs (most bytes of any web page, CJK ones too: markup, digits, spaces) are
    ///   skipped 8 bytes at a time and counted without branches (`count_ascii`).
    /// - The general chain of range checks and Unicode property lookups runs only for the
    ///   other characters, common punctuation first checked by range (`PUNCT_RANGES`).
    /// - Same counts as the chain alone: `ascii_bytes_match_the_chain`,
    ///   `long_runs_match_the_chain`, `punct_ranges_match_the_chain`.
    pub fn of(text: &str) -> Self {
        let mut s = ScriptCounts::default();
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] < 0x80 {
                let run = &bytes[i..];
                let run = &run[..ascii_prefix(run)];
                let (latin, digit, punct) = count_ascii(run);
                s.latin += latin;
                s.digit += digit;
                s.punct += punct;
                s.total += latin + digit + punct;
                i += run.len();
                continue;
            }
            let c = text[i..].chars().next().unwrap_or(' ');
            i += c.len_utf8();
            if PUNCT_RANGES.iter().any(|r| r.contains(&(c as u32))) {
                s.total += 1;
                s.punct += 1;
            } else {
                s.add_non_ascii(c);
            }
        }
        s
    }

    /// The general chain for one character (any character; `of` sends it the non-ASCII ones).
    fn add_non_ascii(&mut self, c: char) {
        if c.is_whitespace() {
            return;
        }
        self.total += 1;
        if is_han(c) {
            self.han += 1
        } else if is_kana(c) {
            self.kana += 1
        } else if is_hangul(c) {
            self.hangul += 1
        } else if c.is_ascii_alphabetic() || ('\u{00C0}'..='\u{024F}').contains(&c) {
            self.latin += 1
        } else if ('\u{0400}'..='\u{04FF}').contains(&c) {
            self.cyrillic += 1
        } else if ('\u{0600}'..='\u{06FF}').contains(&c) {
            self.arabic += 1
        } else if c.is_numeric() {
            self.digit += 1
        } else if c.is_alphabetic() {
            self.other_alpha += 1
        } else {
            self.punct += 1
        }
    }

    pub fn share(&self, n: usize) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            n as f64 / self.total as f64
        }
    }
}

#[cfg(test)]
mod tests;
