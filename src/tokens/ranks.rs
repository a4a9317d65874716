//! The vocabulary as a rank lookup laid out for the counter's hot loop.
//!
//! Why not one `HashMap<Vec<u8>, Rank>`: every lookup then follows the key's heap pointer to
//! compare bytes, a second cache miss per piece in a ~100k-entry table, and perf showed that
//! compare as ~40% of counting. Here the keys of up to 15 bytes (almost every token) sit inline
//! in the table as one `u128`, 2-byte tokens in a direct table, and only longer tokens keep
//! byte keys.

use rustc_hash::FxHashMap;
use tiktoken_rs::Rank;

/// Tokens up to this many bytes are keyed by [`pack`]ed integers.
pub(super) const INLINE: usize = 15;

pub(super) struct Ranks {
    /// Ranks of the 2-byte tokens by `b0 << 8 | b1`: the pair lookups that start every merge.
    pairs: Box<[Rank]>,
    short: FxHashMap<u128, Rank>,
    long: FxHashMap<Box<[u8]>, Rank>,
}

/// `bytes` (at most [`INLINE`]) little-endian with the length in the top byte, so keys that
/// differ only by trailing zero bytes stay distinct.
#[inline]
fn pack(bytes: &[u8]) -> u128 {
    let mut b = [0u8; 16];
    b[..bytes.len()].copy_from_slice(bytes);
    b[15] = bytes.len() as u8;
    u128::from_le_bytes(b)
}

/// The inline key of a piece of at most [`INLINE`] bytes (never 0: pieces are not empty).
#[inline]
pub(super) fn key(piece: &[u8]) -> Option<u128> {
    (piece.len() <= INLINE).then(|| pack(piece))
}

/// A slot in a table of `2^bits` for `key` (multiplicative hashing of both halves).
#[inline]
pub(super) fn slot(key: u128, bits: u32) -> usize {
    let h =
        ((key as u64) ^ ((key >> 64) as u64).rotate_left(29)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (h >> (64 - bits)) as usize
}

impl Ranks {
    pub(super) fn new(tokens: impl IntoIterator<Item = (Vec<u8>, Rank)>) -> Ranks {
        let mut r = Ranks {
            pairs: vec![Rank::MAX; 1 << 16].into_boxed_slice(),
            short: FxHashMap::default(),
            long: FxHashMap::default(),
        };
        for (bytes, rank) in tokens {
            match bytes.len() {
                2 => r.pairs[(bytes[0] as usize) << 8 | bytes[1] as usize] = rank,
                n if n <= INLINE => _ = r.short.insert(pack(&bytes), rank),
                _ => _ = r.long.insert(bytes.into(), rank),
            }
        }
        r
    }

    /// The rank of the token `bytes`, `Rank::MAX` when it is not one.
    #[inline]
    pub(super) fn get(&self, bytes: &[u8]) -> Rank {
        match bytes.len() {
            2 => self.pairs[(bytes[0] as usize) << 8 | bytes[1] as usize],
            n if n <= INLINE => self.short.get(&pack(bytes)).copied().unwrap_or(Rank::MAX),
            _ => self.long.get(bytes).copied().unwrap_or(Rank::MAX),
        }
    }
}
