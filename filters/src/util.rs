//! Text statistics shared by several filters (duplicate lines, n-gram repetition, score columns).

use std::ops::Range;

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

/// Prefix sums for O(1) n-gram hashes and lengths: a polynomial hash over the unit hashes
/// (mod 2^64), so every n costs one pass whatever its size.
pub struct Ngrams {
    hash: Vec<u64>,
    chars: Vec<usize>,
}

const BASE: u64 = 0x9E37_79B9_7F4A_7C15 | 1;

impl Ngrams {
    pub fn new(units: &[Unit]) -> Self {
        let mut hash = Vec::with_capacity(units.len() + 1);
        let mut chars = Vec::with_capacity(units.len() + 1);
        let (mut h, mut c) = (0u64, 0usize);
        hash.push(h);
        chars.push(c);
        for u in units {
            h = h.wrapping_mul(BASE).wrapping_add(u.hash);
            c += u.chars as usize;
            hash.push(h);
            chars.push(c);
        }
        Ngrams { hash, chars }
    }

    /// Number of units.
    pub fn len(&self) -> usize {
        self.hash.len().saturating_sub(1)
    }

    /// Hash and char length of units `i..i + n` (`pow` = BASE^n).
    fn gram(&self, i: usize, n: usize, pow: u64) -> Option<(u64, usize)> {
        let (a, b) = (*self.hash.get(i)?, *self.hash.get(i + n)?);
        let (ca, cb) = (*self.chars.get(i)?, *self.chars.get(i + n)?);
        Some((b.wrapping_sub(a.wrapping_mul(pow)), cb - ca))
    }
}

fn base_pow(n: usize) -> u64 {
    (0..n).fold(1u64, |p, _| p.wrapping_mul(BASE))
}

/// Chars covered by the most frequent n-gram (count × its length), as in Gopher's top n-gram
/// fraction. 0 when there are fewer than `n` units or no n-gram repeats.
pub fn top_ngram_chars(p: &Ngrams, n: usize) -> usize {
    let units = p.len();
    if n == 0 || units < n {
        return 0;
    }
    let pow = base_pow(n);
    // 16-byte entries (count, chars as u32: an n-gram of 4G chars cannot occur in a doc held
    // in memory), so more of the table stays in cache than with a usize length.
    let mut counts: FxHashMap<u64, (u32, u32)> =
        FxHashMap::with_capacity_and_hasher(units, FxBuildHasher);
    for i in 0..=units - n {
        let Some((h, len)) = p.gram(i, n, pow) else {
            break;
        };
        let len = u32::try_from(len).unwrap_or(u32::MAX);
        counts.entry(h).or_insert((0, len)).0 += 1;
    }
    top_chars(counts.values().copied())
}

/// Chars of the most frequent gram among (count, chars) entries: count × chars, 0 when it
/// occurs once. Ties broken by length so the result does not depend on hash-map order.
fn top_chars(entries: impl Iterator<Item = (u32, u32)>) -> usize {
    entries
        .max()
        .map_or(0, |(c, l)| if c > 1 { c as usize * l as usize } else { 0 })
}

/// Chars inside repeated n-grams, counting each repeated span once (Gopher's
/// `find_all_duplicate`: after a repeat, jump past it).
pub fn dup_ngram_chars(p: &Ngrams, n: usize) -> usize {
    if n == 0 || p.len() < n {
        return 0;
    }
    dup_walk(p, n, p.len(), |_| true)
}

/// Top and duplicate n-gram chars ([`top_ngram_chars`], [`dup_ngram_chars`]) for several n at
/// once, hashing only the n-grams that can repeat.
/// - An n-gram occurs twice only if both its (n-1)-grams do: after one full pass for the
///   smallest n, each larger n counts only the positions whose two shorter grams repeat (in
///   prose few 2-grams repeat twice in a row, so the 3…10-gram passes shrink to a fraction).
/// - A gram that occurs once scores nothing as the top n-gram (a count of 1 gives 0) and is
///   never found in `dup_ngram_chars`'s seen set, nor looked up later: skipping it gives the
///   same numbers (`tests::ngram_stats_match_the_single_passes`).
#[derive(Default)]
pub struct NgramStats {
    top: Vec<(usize, usize)>,
    dup: Vec<(usize, usize)>,
}

impl NgramStats {
    pub fn new(p: &Ngrams, tops: &[usize], dups: &[usize]) -> Self {
        let mut out = NgramStats::default();
        let lo = tops.iter().chain(dups).copied().filter(|&n| n > 0).min();
        let hi = tops.iter().chain(dups).copied().max();
        let (Some(lo), Some(hi)) = (lo, hi) else {
            return out;
        };
        // `rep[i]`: the n-gram at i occurs more than once (None: every position may repeat).
        let mut rep: Option<Vec<bool>> = None;
        for n in lo..=hi.min(p.len()) {
            let pow = base_pow(n);
            let cand = |i: usize| rep.as_ref().is_none_or(|r| r[i] && r[i + 1]);
            let last = p.len() - n;
            let room = rep
                .as_ref()
                .map_or(last + 1, |r| r.iter().filter(|&&b| b).count());
            // Per gram: count, chars, first position (positions fit u32: a doc holds < 4G words).
            let mut counts: FxHashMap<u64, (u32, u32, u32)> =
                FxHashMap::with_capacity_and_hasher(room, FxBuildHasher);
            let mut now = vec![false; last + 1];
            for i in (0..=last).filter(|&i| cand(i)) {
                if let Some((h, len)) = p.gram(i, n, pow) {
                    let len = u32::try_from(len).unwrap_or(u32::MAX);
                    let e = counts.entry(h).or_insert((0, len, i as u32));
                    e.0 += 1;
                    if e.0 > 1 {
                        // Marked here, so no second pass looks the grams up again.
                        now[i] = true;
                        if let Some(first) = now.get_mut(e.2 as usize) {
                            *first = true;
                        }
                    }
                }
            }
            if tops.contains(&n) {
                out.top
                    .push((n, top_chars(counts.values().map(|&(c, l, _)| (c, l)))));
            }
            if dups.contains(&n) {
                let room = now.iter().filter(|&&b| b).count();
                out.dup.push((n, dup_walk(p, n, room, |i| now[i])));
            }
            rep = Some(now);
        }
        out
    }

    /// [`top_ngram_chars`] for `n` (0 for an n not asked for).
    pub fn top(&self, n: usize) -> usize {
        self.top.iter().find(|t| t.0 == n).map_or(0, |t| t.1)
    }

    /// [`dup_ngram_chars`] for `n` (0 for an n not asked for).
    pub fn dup(&self, n: usize) -> usize {
        self.dup.iter().find(|t| t.0 == n).map_or(0, |t| t.1)
    }
}

/// Gopher's duplicate walk over the n-grams of `p`, looking up only positions where
/// `may_repeat` holds (the others are known to occur once); `room`: expected lookups.
fn dup_walk(p: &Ngrams, n: usize, room: usize, may_repeat: impl Fn(usize) -> bool) -> usize {
    let pow = base_pow(n);
    let mut seen: FxHashSet<u64> = FxHashSet::with_capacity_and_hasher(room, FxBuildHasher);
    let (mut idx, mut dup) = (0, 0);
    while let Some((h, len)) = p.gram(idx, n, pow) {
        if may_repeat(idx) && !seen.insert(h) {
            dup += len;
            idx += n;
        } else {
            idx += 1;
        }
    }
    dup
}

/// Sentence-final punctuation: core's set plus the full-width full stop `．` (U+FF0E) and the
/// half-width ideographic one `｡`, which Chinese news (e.g. SogouCS) uses for `……` as `．．．`.
pub fn is_terminal(c: char) -> bool {
    skypile_core::text::is_terminal_punct(c) || matches!(c, '．' | '｡')
}

/// The doc's words with runs of full-width letters and digits joined into one word. jieba
/// keeps an ASCII run (`2000`, `http`) as one word but splits its full-width form (`２０００`,
/// usual in Chinese news) into one word per char, so a number would count as four
/// non-alphabetic words in Gopher's letter-word share and repeat as n-grams (`０ ０`).
pub fn joined_words(doc: &Doc) -> impl Iterator<Item = &str> + '_ {
    let text = doc.text();
    let fullwidth = |r: &Range<usize>| {
        text.get(r.clone()).is_some_and(|w| {
            w.chars()
                .all(|c| matches!(c, '０'..='９' | 'Ａ'..='Ｚ' | 'ａ'..='ｚ'))
        })
    };
    let mut it = doc.word_ranges().iter().peekable();
    std::iter::from_fn(move || {
        let r = it.next()?;
        let mut end = r.end;
        if fullwidth(r) {
            while let Some(n) = it.next_if(|n| n.start == end && fullwidth(n)) {
                end = n.end;
            }
        }
        text.get(r.start..end)
    })
}

/// Whether a line ends a sentence: its last char is terminal punctuation, looking past one
/// trailing square-bracketed annotation of ≤ 12 chars. Such a tail is a citation mark, which
/// C4 cuts before its punctuation test (`[1]`, `[edit]`), or a link label standing after the
/// sentence it links from (`[more]`, `［详细］`, `【全文】`); a bracket after non-terminal text
/// (`Home | [Login]`) still fails.
pub fn ends_in_terminal(line: &str) -> bool {
    let line = line.trim_end();
    let body = strip_bracket_tail(line).unwrap_or(line).trim_end();
    body.chars().last().is_some_and(is_terminal)
}

fn strip_bracket_tail(line: &str) -> Option<&str> {
    let close = line.chars().last()?;
    let open = match close {
        ']' => '[',
        '］' => '［',
        '】' => '【',
        _ => return None,
    };
    let start = line.rfind(open)?;
    let inner = line.get(start + open.len_utf8()..line.len() - close.len_utf8())?;
    (inner.chars().count() <= 12)
        .then(|| line.get(..start))
        .flatten()
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
        let u = Ngrams::new(&units("a b a b a b c".split(' ')));
        // "a b" occurs 3 times, 2 chars each.
        assert_eq!(top_ngram_chars(&u, 2), 6);
        // windows: ab ba [ab→dup, jump 2] [ab→dup at idx 4? "a b" idx4..6 dup] ...
        assert_eq!(dup_ngram_chars(&u, 2), 4);
        assert_eq!(
            top_ngram_chars(&Ngrams::new(&units("x y z".split(' '))), 2),
            0
        );
        assert_eq!(dup_ngram_chars(&u, 9), 0);
    }

    /// Random unit sequences over small alphabets (so n-grams repeat at every n, in runs and
    /// overlaps) give the single-pass numbers for every n, with any set of n asked for.
    #[test]
    fn ngram_stats_match_the_single_passes() {
        let mut rng = skypile_core::rng::Rng::new(0x2545_F491_4F6C_DD1Du64);
        let mut next = move || rng.next_u64();
        let mut repeats = 0;
        for case in 0..3000 {
            let alphabet = 1 + next() % 12;
            let len = (next() % 120) as usize;
            let toks: Vec<String> = (0..len)
                .map(|_| "w".repeat(1 + (next() % alphabet) as usize))
                .collect();
            let p = Ngrams::new(&units(toks.iter().map(String::as_str)));
            let (tops, dups): (Vec<usize>, Vec<usize>) = if case % 2 == 0 {
                (vec![2, 3, 4], vec![5, 6, 7, 8, 9, 10])
            } else {
                (
                    (1..12).filter(|_| next() % 2 == 0).collect(),
                    (0..12).filter(|_| next() % 3 == 0).collect(),
                )
            };
            let st = NgramStats::new(&p, &tops, &dups);
            for &n in &tops {
                assert_eq!(st.top(n), top_ngram_chars(&p, n), "top {n} of {toks:?}");
            }
            for &n in &dups {
                assert_eq!(st.dup(n), dup_ngram_chars(&p, n), "dup {n} of {toks:?}");
                repeats += usize::from(dup_ngram_chars(&p, n) > 0);
            }
        }
        assert!(repeats > 1000, "the cases repeat n-grams");
    }

    #[test]
    fn fullwidth_runs_are_one_word() {
        let mut d = Doc::from_text("t", "捐款２０００元，网址ｓｏｈｕ．ｃｏｍ，2012年");
        d.set_lang("zh", 1.0);
        let w: Vec<&str> = joined_words(&d).collect();
        assert!(
            w.contains(&"２０００") && w.contains(&"ｓｏｈｕ") && w.contains(&"2012"),
            "{w:?}"
        );
        assert!(!w.contains(&"０"), "{w:?}");
    }

    #[test]
    fn terminal_lines_look_past_a_short_bracketed_tail() {
        for l in [
            "A sentence.",
            "引文结束。[1]",
            "更多内容请看．．．．．．［详细］",
            "他说。【全文】 ",
        ] {
            assert!(ends_in_terminal(l), "{l}");
        }
        for l in [
            "Home | News | [Login]",
            "首页［详细］",
            "A sentence. [a very long bracketed tail]",
            "]",
            "",
        ] {
            assert!(!ends_in_terminal(l), "{l}");
        }
    }
}
