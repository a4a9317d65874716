//! Facts about elements and text runs that the walk asks for: is it hidden, is this table data
//! or layout, is this form the whole page, and how whitespace collapses in CJK text.

use skypile_core::text;

use crate::tree::NodeRef;

/// Characters between which a line break or space is not a word separator: Chinese and
/// Japanese text. Not Hangul: Korean separates words with spaces.
pub(crate) fn is_wide(c: char) -> bool {
    text::is_han(c) || text::is_kana(c) || matches!(c as u32, 0x3000..=0x303F | 0xFF00..=0xFFEF)
}

/// Collapse whitespace runs to one space, drop it between CJK characters (Chinese source HTML
/// wraps lines anywhere) and drop zero-width spaces and BOMs.
pub fn collapse_ws(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    collapse_counted(s, &mut out, &mut Counts::default());
    out
}

/// [`collapse_ws`] of `s` appended to `out`, counting what it appends into `n` as
/// [`Counts::add`] would on the output.
/// * One pass instead of collapsing and then counting the copy (the two passes were ~10% of
///   the step): a run of printable ASCII is copied and classified in the same loop.
/// * Only the single spaces written out are gaps for `n`; a space dropped between CJK
///   characters is none, exactly as when counting the collapsed text.
pub(crate) fn collapse_counted(s: &str, out: &mut String, n: &mut Counts) {
    let mut space = false;
    let mut prev: Option<char> = None;
    let b = s.as_bytes();
    let mut i = 0;
    while let Some(&c0) = b.get(i) {
        // ASCII whitespace and controls byte by byte, without decoding
        if c0 < 0x21 || c0 == 0x7f {
            space |= matches!(c0, b'\t'..=b'\r' | b' ');
            i += 1;
            continue;
        }
        let Some(c) = s.get(i..).and_then(|r| r.chars().next()) else {
            break;
        };
        if c.is_whitespace() {
            space = true;
            i += c.len_utf8();
            continue;
        }
        // ZWNJ/ZWJ stay: they are spelling in Persian (می‌آیند) and Indic scripts
        if is_dropped(c) {
            i += c.len_utf8();
            continue;
        }
        if space {
            if let Some(p) = prev
                && !(is_wide(p) && is_wide(c))
            {
                out.push(' ');
                n.gap = true;
            }
            space = false;
        }
        // the run of visible characters from here is copied as one slice
        let start = i;
        (i, prev) = if c.is_ascii() {
            (ascii_run(b, i, n), Some('a'))
        } else {
            other_run(s, i, n)
        };
        out.push_str(s.get(start..i).unwrap_or_default());
    }
}

/// Characters [`collapse_ws`] leaves out (zero-width space, BOM, controls).
fn is_dropped(c: char) -> bool {
    matches!(c, '\u{200B}' | '\u{FEFF}') || c.is_control()
}

/// End of the run of printable ASCII (never "wide") at `i`, counted into `n`.
/// * Single spaces between ASCII words stay in the run: they collapse to themselves, so a
///   line of English is one copy instead of one per word.
fn ascii_run(b: &[u8], i: usize, n: &mut Counts) -> usize {
    let printable = |c: &u8| (0x21..0x7f).contains(c);
    let rest = b.get(i..).unwrap_or_default();
    let mut len = 0;
    loop {
        let tail = rest.get(len..).unwrap_or_default();
        len += tail
            .iter()
            .position(|c| !printable(c))
            .unwrap_or(tail.len());
        if rest.get(len) == Some(&b' ') && rest.get(len + 1).is_some_and(printable) {
            len += 1;
        } else {
            break;
        }
    }
    // printable ASCII is a digit, a letter or punctuation: vectorisable counts
    let run = rest.get(..len).unwrap_or_default();
    let spaces = run.iter().filter(|&&c| c == b' ').count() as u32;
    let digits = run.iter().filter(|c| c.is_ascii_digit()).count() as u32;
    let letters = run.iter().filter(|c| c.is_ascii_alphabetic()).count() as u32;
    n.chars += len as u32 - spaces;
    n.punct += len as u32 - spaces - digits - letters;
    n.digits += digits;
    (n.prev_no_space, n.gap) = (false, false);
    i + len
}

/// End of the run of visible non-ASCII characters at `i` and its last character, counted
/// into `n`.
fn other_run(s: &str, i: usize, n: &mut Counts) -> (usize, Option<char>) {
    let (mut end, mut last) = (i, None);
    for c in s.get(i..).unwrap_or_default().chars() {
        if c.is_ascii() || c.is_whitespace() || is_dropped(c) {
            break;
        }
        n.add(c);
        (end, last) = (end + c.len_utf8(), Some(c));
    }
    (end, last)
}

/// Scripts written without spaces between words (Thai, Lao, Myanmar, Khmer): a space there
/// separates phrases or sentences, so it counts as punctuation.
fn no_space_script(c: char) -> bool {
    matches!(c as u32, 0x0E00..=0x0EFF | 0x1000..=0x109F | 0x1780..=0x17FF)
}

/// Sentence marks of scripts that `text::is_punct` does not know (Arabic/Persian/Urdu,
/// Devanagari, Myanmar, Khmer, Ethiopic, Armenian).
fn is_other_mark(c: char) -> bool {
    matches!(
        c,
        '\u{060C}'
            | '\u{061B}'
            | '\u{061F}'
            | '\u{06D4}'
            | '\u{0964}'
            | '\u{0965}'
            | '\u{104A}'
            | '\u{104B}'
            | '\u{17D4}'
            | '\u{17D5}'
            | '\u{1362}'
            | '\u{0589}'
    )
}

/// Non-whitespace characters, CJK characters, punctuation and digits of a block's text.
/// Length is counted in characters for every script, so pages in scripts without spaces are
/// measured like any other.
#[derive(Default, Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Counts {
    pub chars: u32,
    pub cjk: u32,
    pub punct: u32,
    pub digits: u32,
    prev_no_space: bool,
    gap: bool,
}

impl Counts {
    /// Count one character of any script.
    pub(crate) fn add(&mut self, c: char) {
        // the common Han block first: a CJK letter of a script with spaces, nothing else
        if matches!(c as u32, 0x4E00..=0x9FFF) {
            (self.chars, self.cjk) = (self.chars + 1, self.cjk + 1);
            (self.prev_no_space, self.gap) = (false, false);
        } else {
            self.add_any(c);
        }
    }

    /// [`Counts::add`] without its fast path.
    fn add_any(&mut self, c: char) {
        if c.is_whitespace() {
            self.gap = true;
            return;
        }
        self.chars += 1;
        let ns = no_space_script(c);
        if ns && self.prev_no_space && self.gap {
            self.punct += 1;
        }
        (self.prev_no_space, self.gap) = (ns, false);
        if c.is_ascii() {
            if c.is_ascii_punctuation() {
                self.punct += 1;
            } else if c.is_ascii_digit() {
                self.digits += 1;
            }
        } else if text::is_cjk(c) {
            self.cjk += 1;
        } else if text::is_punct(c) || is_other_mark(c) {
            self.punct += 1;
        }
    }
}

pub(crate) fn is_hidden_style(v: &str) -> bool {
    if !(v.contains("none") || v.contains("hidden") || v.contains("NONE") || v.contains("HIDDEN")) {
        return false;
    }
    let compact: String = v
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect();
    compact.contains("display:none") || compact.contains("visibility:hidden")
}

pub(crate) fn find_head(root: NodeRef<'_>) -> Option<NodeRef<'_>> {
    let html = root
        .children()
        .find(|c| c.value().as_element().is_some_and(|e| e.name() == "html"))?;
    html.children()
        .find(|c| c.value().as_element().is_some_and(|e| e.name() == "head"))
}

/// Search boxes, login and comment forms are small; ASP.NET wraps whole pages in one `<form>`.
pub(crate) fn form_is_small(node: NodeRef<'_>) -> bool {
    let mut n = 0usize;
    for d in node.descendants() {
        if let Some(t) = d.value().as_text() {
            let in_code = d
                .parent()
                .and_then(|p| {
                    p.value()
                        .as_element()
                        .map(|e| matches!(e.name(), "script" | "style"))
                })
                .unwrap_or(false);
            if !in_code {
                n += t.chars().filter(|c| !c.is_whitespace()).count();
                if n >= 500 {
                    return false;
                }
            }
        }
    }
    true
}

/// A data table has at least two cells and no block structure inside; anything else is a
/// layout table (whole pages of old Chinese portals are nested layout tables).
pub(crate) fn is_data_table(node: NodeRef<'_>) -> bool {
    let mut cells = 0;
    for (i, d) in node.descendants().skip(1).enumerate() {
        if i > 20_000 {
            return false;
        }
        let Some(e) = d.value().as_element() else {
            continue;
        };
        match e.name() {
            "td" | "th" => cells += 1,
            "table" | "p" | "div" | "ul" | "ol" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6"
            | "blockquote" | "pre" | "section" | "article" | "form" | "dl" | "li" => return false,
            _ => {}
        }
    }
    cells >= 2
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Counts of a text without any fast path: every char through `Counts::add`.
    fn count_by_char(text: &str) -> Counts {
        let mut n = Counts::default();
        text.chars().for_each(|c| n.add_any(c));
        n
    }

    /// [`collapse_ws`] without its fast paths: char by char.
    fn collapse_by_char(s: &str) -> String {
        let (mut out, mut space, mut prev) = (String::new(), false, None::<char>);
        for c in s.chars() {
            if c.is_whitespace() {
                space = true;
                continue;
            }
            if matches!(c, '\u{200B}' | '\u{FEFF}') || c.is_control() {
                continue;
            }
            if space && prev.is_some_and(|p| !(is_wide(p) && is_wide(c))) {
                out.push(' ');
            }
            space = false;
            out.push(c);
            prev = Some(c);
        }
        out
    }

    /// The fused pass counts exactly what counting its output char by char counts, also when
    /// appending to text counted before (the `<pre>` lines of a block).
    #[test]
    fn collapsing_counts_like_the_char_loop_on_its_output() {
        let texts = [
            "Plain text, 42 words!\t\u{0B}\u{0C}\r\n\u{1}end",
            "中文，混合 English 和数字123。ภาษาไทย คำ ກາ ລາວ",
            "\u{A0}\u{3000}全角　空格\u{85}x\u{2028}y – «quotes» ¿qué?",
            " ภาษา  ไทย \n ຄຳ\u{200B} ລາວ  ",
            "中文\u{200B} 中文\u{7F}x\u{1F} y\u{0}\u{85}中 é\u{FEFF}é\t\u{3000}",
            "一丁\u{4DFF}\u{9FFF}\u{A000} 龥 ไทย 㐀",
            "a b  c d\te f \u{A0}g h 中 i j ไทย k l!",
            "",
        ];
        for t in texts {
            let (mut out, mut n) = (String::new(), Counts::default());
            collapse_counted(t, &mut out, &mut n);
            assert_eq!(out, collapse_by_char(t), "{t:?}");
            assert_eq!(n, count_by_char(&out), "{t:?}");
        }
        let (mut out, mut n) = (String::from("ไทย"), count_by_char("ไทย"));
        out.push('\n');
        n.add('\n');
        collapse_counted(" ภาษา x", &mut out, &mut n);
        assert_eq!(n, count_by_char(&out), "{out:?}");
    }

    #[test]
    fn whitespace_collapses_and_vanishes_between_cjk() {
        assert_eq!(collapse_ws("  a \n b\u{200B}c  "), "a bc");
        assert_eq!(
            collapse_ws("中文\n  分行，\u{3000}继续 English  words"),
            "中文分行，继续 English words"
        );
        assert_eq!(collapse_ws("日本語の\n文章"), "日本語の文章");
        assert_eq!(
            collapse_ws("김장 문화,\n 함께 나누는"),
            "김장 문화, 함께 나누는",
            "Korean keeps its spaces"
        );
    }
}
