//! Hand-written pre-tokenisers for the cl100k and GPT-2 (r50k, p50k) patterns.
//!
//! Why hand-written: no crate splits text by these patterns fast. tiktoken-rs runs them on
//! fancy-regex's backtracking VM; the lazy DFA this counter used before (regex-automata, still
//! the path for o200k) walks one state per byte and must restart at every piece, which perf
//! showed as most of counting once merges were cached. These patterns are simple enough to
//! read as a few branches on the class of the next one or two characters:
//! - classes (letter `\p{L}`, number `\p{N}`, space `\s`, other) come from regex-syntax's own
//!   Unicode tables, the ones the regex crates use, in a two-level table; so the Unicode
//!   version cannot drift from the reference;
//! - each branch below is one alternative of the pattern, in the pattern's order (leftmost-first);
//!   the tests compare every piece with fancy-regex running tiktoken's pattern string.

use std::collections::HashMap;
use std::sync::OnceLock;

use regex_syntax::hir::{Class, HirKind};

/// Which pattern a scanner implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    /// `'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s`
    Cl100k,
    /// `'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s`
    Gpt2,
}

const OTHER: u8 = 0;
const LETTER: u8 = 1;
const NUMBER: u8 = 2;
const SPACE: u8 = 3;

/// The class of every code point: `index[cp >> 8]` names a block of 256 classes.
struct Classes {
    index: Box<[u16]>,
    blocks: Vec<[u8; 256]>,
    /// The classes of ASCII, read without decoding or the two-level walk (most of web text).
    ascii: [u8; 128],
}

fn classes() -> &'static Classes {
    static C: OnceLock<Classes> = OnceLock::new();
    C.get_or_init(|| {
        let mut all = vec![OTHER; 0x11_0000];
        for (class, pattern) in [(LETTER, r"\p{L}"), (NUMBER, r"\p{N}"), (SPACE, r"\s")] {
            let hir = regex_syntax::parse(pattern).expect("valid class");
            let HirKind::Class(Class::Unicode(set)) = hir.kind() else {
                unreachable!("{pattern} is a Unicode class")
            };
            for r in set.ranges() {
                all[r.start() as usize..=r.end() as usize].fill(class);
            }
        }
        let mut blocks: Vec<[u8; 256]> = Vec::new();
        let mut seen: HashMap<[u8; 256], u16> = HashMap::new();
        let index = all
            .chunks_exact(256)
            .map(|chunk| {
                let block: [u8; 256] = chunk.try_into().expect("256 classes");
                *seen.entry(block).or_insert_with(|| {
                    blocks.push(block);
                    (blocks.len() - 1) as u16
                })
            })
            .collect();
        let ascii = std::array::from_fn(|b| all[b]);
        Classes {
            index,
            blocks,
            ascii,
        }
    })
}

/// The code point at byte `i` of valid UTF-8 and its length.
#[inline]
fn decode(t: &[u8], i: usize) -> (u32, usize) {
    let b0 = t[i] as u32;
    let cont = |k: usize| (t[i + k] & 0x3F) as u32;
    match b0 {
        0..0x80 => (b0, 1),
        0..0xE0 => ((b0 & 0x1F) << 6 | cont(1), 2),
        0..0xF0 => ((b0 & 0x0F) << 12 | cont(1) << 6 | cont(2), 3),
        _ => (
            (b0 & 0x07) << 18 | cont(1) << 12 | cont(2) << 6 | cont(3),
            4,
        ),
    }
}

/// A scanner over one text.
pub(super) struct Scan<'a> {
    t: &'a [u8],
    c: &'static Classes,
}

impl<'a> Scan<'a> {
    pub(super) fn new(text: &'a str) -> Scan<'a> {
        Scan {
            t: text.as_bytes(),
            c: classes(),
        }
    }

    /// (code point, class, byte length) of the character at `i` (`i` < text length).
    #[inline]
    fn at(&self, i: usize) -> (u32, u8, usize) {
        let b = self.t[i];
        if b < 0x80 {
            return (b as u32, self.c.ascii[b as usize], 1);
        }
        let (cp, len) = decode(self.t, i);
        let class = self.c.blocks[self.c.index[(cp >> 8) as usize] as usize][(cp & 0xFF) as usize];
        (cp, class, len)
    }

    /// The class of the character at `i`, `None` at the end.
    #[inline]
    fn class(&self, i: usize) -> Option<u8> {
        (i < self.t.len()).then(|| self.at(i).1)
    }

    /// The end of the run of `class` characters starting at `i`.
    #[inline]
    fn run(&self, mut i: usize, class: u8) -> usize {
        while i < self.t.len() {
            // ASCII stays in this tight loop; anything else takes one step of `at`
            let b = self.t[i];
            if b < 0x80 {
                if self.c.ascii[b as usize] != class {
                    break;
                }
                i += 1;
                continue;
            }
            let (_, c, len) = self.at(i);
            if c != class {
                break;
            }
            i += len;
        }
        i
    }

    /// Where the piece starting at `pos` (< text length) ends.
    pub(super) fn piece_end(&self, split: Split, pos: usize) -> usize {
        match split {
            Split::Cl100k => self.cl100k(pos),
            Split::Gpt2 => self.gpt2(pos),
        }
    }

    /// The end of a contraction `'s 'd 'm 't 'll 've 're` at `pos` (which holds `'`).
    fn contraction(&self, pos: usize, ignore_case: bool) -> Option<usize> {
        let fold = |i: usize| -> Option<(u32, usize)> {
            if i >= self.t.len() {
                return None;
            }
            let (cp, _, len) = self.at(i);
            // (?i) folds by Unicode simple case folding: only `s` has a non-ASCII partner
            // among these letters (U+017F LATIN SMALL LETTER LONG S).
            let cp = match cp {
                0x17F if ignore_case => 's' as u32,
                0x41..=0x5A if ignore_case => cp | 0x20,
                _ => cp,
            };
            Some((cp, len))
        };
        let (c1, l1) = fold(pos + 1)?;
        let c1 = char::from_u32(c1)?;
        if matches!(c1, 's' | 'd' | 'm' | 't') {
            return Some(pos + 1 + l1);
        }
        let (c2, l2) = fold(pos + 1 + l1)?;
        let pair = (c1, char::from_u32(c2)?);
        matches!(pair, ('l', 'l') | ('v', 'e') | ('r', 'e')).then_some(pos + 1 + l1 + l2)
    }

    /// The end of the whitespace alternatives starting at `pos` (a space): `\s++$`, then
    /// (cl100k only) `\s*[\r\n]`, then `\s+(?!\S)`, then `\s`.
    fn spaces(&self, pos: usize, first_len: usize, newlines: bool) -> usize {
        let (mut i, mut last_start, mut after_newline) = (pos, pos, None);
        while i < self.t.len() {
            let (cp, c, len) = self.at(i);
            if c != SPACE {
                break;
            }
            if cp == '\r' as u32 || cp == '\n' as u32 {
                after_newline = Some(i + len);
            }
            last_start = i;
            i += len;
        }
        if i == self.t.len() {
            return i; // \s++$
        }
        match after_newline {
            Some(end) if newlines => end, // \s*[\r\n]: the longest run ending in one
            // \s+(?!\S): all but the last space, which stays for the next piece
            _ if last_start > pos => last_start,
            _ => pos + first_len, // \s
        }
    }

    fn cl100k(&self, pos: usize) -> usize {
        let (cp, class, len) = self.at(pos);
        if cp == '\'' as u32
            && let Some(end) = self.contraction(pos, true)
        {
            return end;
        }
        // [^\r\n\p{L}\p{N}]?+\p{L}++
        if class == LETTER {
            return self.run(pos + len, LETTER);
        }
        let newline = cp == '\r' as u32 || cp == '\n' as u32;
        if class != NUMBER && !newline && self.class(pos + len) == Some(LETTER) {
            return self.run(pos + len, LETTER);
        }
        // \p{N}{1,3}+
        if class == NUMBER {
            let mut end = pos + len;
            for _ in 0..2 {
                match end < self.t.len() && self.at(end).1 == NUMBER {
                    true => end += self.at(end).2,
                    false => break,
                }
            }
            return end;
        }
        // ` ?[^\s\p{L}\p{N}]++[\r\n]*+`
        let start = if cp == ' ' as u32 && self.class(pos + 1) == Some(OTHER) {
            pos + 1
        } else {
            pos
        };
        if self.class(start) == Some(OTHER) {
            let mut end = self.run(start, OTHER);
            while end < self.t.len() && matches!(self.t[end], b'\r' | b'\n') {
                end += 1;
            }
            return end;
        }
        self.spaces(pos, len, true)
    }

    fn gpt2(&self, pos: usize) -> usize {
        let (cp, class, len) = self.at(pos);
        if cp == '\'' as u32
            && let Some(end) = self.contraction(pos, false)
        {
            return end;
        }
        // ` ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++`
        let (start, class) = match (cp == ' ' as u32).then(|| self.class(pos + 1)).flatten() {
            Some(next) if next != SPACE => (pos + 1, next),
            _ => (pos, class),
        };
        if class != SPACE {
            return self.run(start, class);
        }
        self.spaces(pos, len, false)
    }
}
