//! Where a piece can be cut in two without changing its BPE count ("seams").
//!
//! Why: a Chinese piece is a whole clause (`\p{L}+` takes every Han character up to the next
//! punctuation), so it never repeats and every one was merged byte by byte (perf: most of
//! counting Chinese text). Cut at seams, it falls into words and characters that do repeat,
//! and that the per-thread caches already count.
//! - Every part BPE builds is a token. If no token of the vocabulary can cover the boundary
//!   between two characters, the pair across it is never merged, and the merges on each side
//!   run exactly as they would on that side alone (tiktoken picks the lowest rank, leftmost on
//!   ties; neither choice can see across a pair that is never a token). So the count of the
//!   piece is the sum of the counts of its sides.
//! - Checked here for two 3-byte UTF-8 characters `A|B` (CJK, kana, Hangul, Thai, full-width
//!   punctuation), from two bits per character: `A` is right-open when some token holds a
//!   suffix of `A`'s bytes followed by the start of a 3-byte character, `B` left-open when
//!   some token holds the end of a 3-byte character followed by a prefix of `B`'s bytes. A
//!   seam needs one of them closed. The bits over-approximate "some token covers `A|B`", so a
//!   seam is never wrong; on cl100k about half the Han boundaries of Chinese text are seams.

use super::ranks::char3;

/// `A` can be followed inside a token by a 3-byte character.
const RIGHT_OPEN: u8 = 1;
/// `B` can be preceded inside a token by a 3-byte character.
const LEFT_OPEN: u8 = 2;

/// The open bits of every 3-byte character, by its 16 payload bits ([`char3`]).
pub(super) struct Seams {
    open: Box<[u8]>,
}

fn is_cont(b: u8) -> bool {
    b & 0xC0 == 0x80
}

/// The 3 bytes of the 3-byte character with these payload bits.
fn bytes3(p: usize) -> [u8; 3] {
    [
        0xE0 | (p >> 12) as u8,
        0x80 | ((p >> 6) & 0x3F) as u8,
        0x80 | (p & 0x3F) as u8,
    ]
}

/// The slot of a one- or two-byte part of a character in a table of `256 + 2^16`.
fn part_index(part: &[u8]) -> usize {
    match *part {
        [b] => b as usize,
        [a, b] => 256 + ((a as usize) << 8 | b as usize),
        _ => unreachable!("parts of a 3-byte character shown are 1 or 2 bytes"),
    }
}

impl Seams {
    /// From every token of the vocabulary.
    pub(super) fn new<'a>(tokens: impl Iterator<Item = &'a [u8]>) -> Seams {
        // What a token shows of A (left of an inner character boundary) and of B (right of
        // it): the whole character, by payload ([`char3`]), or only its last (first) one or
        // two bytes, by [`part_index`].
        let mut right_full = vec![false; 1 << 16];
        let mut right_end = vec![false; 256 + (1 << 16)];
        let mut left_full = vec![false; 1 << 16];
        let mut left_start = vec![false; 256 + (1 << 16)];
        for t in tokens {
            for k in 1..t.len() {
                if is_cont(t[k]) || !(0xE0..0xF0).contains(&t[k]) {
                    continue; // not the start of a 3-byte B
                }
                let (left, right) = t.split_at(k);
                let lead = left.iter().rposition(|&b| !is_cont(b));
                let a_ok = match lead {
                    Some(i) => match char3(&left[i..]) {
                        Some(p) => {
                            right_full[p] = true;
                            true
                        }
                        None => false, // A is not a 3-byte character there
                    },
                    None if left.len() <= 2 => {
                        right_end[part_index(left)] = true;
                        true
                    }
                    None => false,
                };
                if !a_ok {
                    continue;
                }
                match right.get(..3).and_then(char3) {
                    Some(p) => left_full[p] = true,
                    None if right.len() < 3 => left_start[part_index(right)] = true,
                    None => {}
                }
            }
        }
        let open = (0..1 << 16)
            .map(|p| {
                let [b0, b1, b2] = bytes3(p);
                let right = right_full[p]
                    || right_end[part_index(&[b2])]
                    || right_end[part_index(&[b1, b2])];
                let left = left_full[p]
                    || left_start[part_index(&[b0])]
                    || left_start[part_index(&[b0, b1])];
                (right as u8 * RIGHT_OPEN) | (left as u8 * LEFT_OPEN)
            })
            .collect();
        Seams { open }
    }

    /// Calls `part` with the pieces of `piece` between its seams, in order; false (and no
    /// call) when it has none.
    #[inline]
    pub(super) fn split(&self, piece: &[u8], mut part: impl FnMut(&[u8])) -> bool {
        if piece.len() < 6 || !piece.iter().any(|&b| b >= 0xE0) {
            return false;
        }
        let (mut start, mut i, mut prev) = (0, 0, None);
        while i < piece.len() {
            let b = piece[i];
            let len = match b {
                0..0x80 => 1,
                0x80..0xE0 => 2,
                0xE0..0xF0 => 3,
                _ => 4,
            };
            let cur = (len == 3)
                .then(|| char3(&piece[i..(i + 3).min(piece.len())]))
                .flatten();
            if let (Some(a), Some(c)) = (prev, cur)
                && (self.open[a] & RIGHT_OPEN == 0 || self.open[c] & LEFT_OPEN == 0)
            {
                part(&piece[start..i]);
                start = i;
            }
            prev = cur;
            i += len;
        }
        if start == 0 {
            return false;
        }
        part(&piece[start..]);
        true
    }
}
