//! The vocabulary as a rank lookup laid out for the counter's hot loop.
//!
//! Why not one `HashMap<Vec<u8>, Rank>`: every lookup then follows the key's heap pointer to
//! compare bytes, a second cache miss per piece in a ~100k-entry table, and perf showed that
//! compare as ~40% of counting. Here the keys of up to 15 bytes (almost every token) sit inline
//! in the table as one `u128`, 2-byte tokens in a direct table, and only longer tokens keep
//! byte keys.
//!
//! Most lookups while merging ask about byte strings that are not tokens (perf on Chinese text:
//! the rank lookup was the largest cost), and each was a cache miss into the big table; a
//! 256 KiB bit filter of the tokens' hashes answers nearly all of those from the CPU cache.
//! It only ever says "maybe" for a token, so the counts cannot change.

use rustc_hash::FxHashMap;
use tiktoken_rs::Rank;

/// Tokens up to this many bytes are keyed by [`pack`]ed integers.
pub(super) const INLINE: usize = 15;

pub(super) struct Ranks {
    /// Ranks of the 2-byte tokens by `b0 << 8 | b1`: the pair lookups that start every merge.
    pairs: Box<[Rank]>,
    /// Ranks of the tokens that are one 3-byte UTF-8 character (most of CJK), by code point:
    /// the lookups that complete every Han character while merging, without hashing.
    chars3: Box<[Rank]>,
    /// Tokens of 3 to [`INLINE`] bytes by [`pack`]ed key, open addressing (linear probing,
    /// at most half full): a lookup reads one 32-byte slot, where a `HashMap` read its control
    /// bytes and then the bucket, two cache misses (perf: the largest cost of counting in a
    /// run, whose other steps leave this table out of the CPU cache).
    short: Box<[Slot]>,
    long: FxHashMap<Box<[u8]>, Rank>,
    /// Two bits per token that is not 2 bytes long, set at [`filter_bits`] of its hash (a
    /// blocked Bloom filter with k = 2): a clear bit proves "not a token" without touching the tables.
    filter: Box<[u64]>,
    /// Bit n set when some token is n bytes long (n < 256), so longer pieces are rejected
    /// without hashing them.
    long_lens: [u64; 4],
}

/// A key of [`Ranks::short`] and its rank, one per 32 bytes (two per cache line); key 0 is
/// an empty slot (no packed key is 0: its top byte is the length).
#[derive(Clone, Copy)]
#[repr(C, align(32))]
struct Slot {
    key: u128,
    rank: Rank,
}

/// log2 of the filter's bits (2 Mi bits, 256 KiB: ~10 bits per token, ~1–2% false "maybe").
const FILTER_BITS: u32 = 21;

/// The filter word of a hash and the two bits in it (both in one word: one cache miss at most).
#[inline]
fn filter_bits(h: u64) -> (usize, u64) {
    // the high bits: those of a multiplicative hash mix every input bit
    let word = (h >> (64 - FILTER_BITS + 6)) as usize;
    (word, 1 << ((h >> 37) & 63) | 1 << ((h >> 43) & 63))
}

/// The 16 payload bits of `bytes` when they have the shape of a 3-byte UTF-8 character
/// (`1110xxxx 10xxxxxx 10xxxxxx`): one-to-one on that shape, so overlong or surrogate forms
/// get slots of their own (the table is built and read with this same test).
#[inline]
pub(super) fn char3(bytes: &[u8]) -> Option<usize> {
    let &[b0, b1, b2] = bytes else { return None };
    if b0 & 0xF0 != 0xE0 || b1 & 0xC0 != 0x80 || b2 & 0xC0 != 0x80 {
        return None;
    }
    Some(((b0 as usize & 0x0F) << 12) | ((b1 as usize & 0x3F) << 6) | (b2 as usize & 0x3F))
}

/// The hash of an inline key (both halves mixed, as for [`slot`]).
#[inline]
fn hash_key(key: u128) -> u64 {
    ((key as u64) ^ ((key >> 64) as u64).rotate_left(29)).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// The hash of a long token's bytes.
#[inline]
fn hash_long(bytes: &[u8]) -> u64 {
    use std::hash::{BuildHasher, BuildHasherDefault};
    BuildHasherDefault::<rustc_hash::FxHasher>::default().hash_one(bytes)
}

/// `bytes` (at most [`INLINE`]) little-endian with the length in the top byte, so keys that
/// differ only by trailing zero bytes stay distinct.
///
/// Built from two overlapping fixed-size loads (the overlap ORs equal bytes onto themselves):
/// a `copy_from_slice` of variable length was a `memmove` call per lookup, ~8% of counting.
#[inline]
fn pack(bytes: &[u8]) -> u128 {
    let n = bytes.len();
    let v = match n {
        8.. => {
            let lo = u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes")) as u128;
            let hi = u64::from_le_bytes(bytes[n - 8..].try_into().expect("8 bytes")) as u128;
            lo | hi << (8 * (n - 8))
        }
        4.. => {
            let lo = u32::from_le_bytes(bytes[..4].try_into().expect("4 bytes")) as u128;
            let hi = u32::from_le_bytes(bytes[n - 4..].try_into().expect("4 bytes")) as u128;
            lo | hi << (8 * (n - 4))
        }
        1.. => {
            bytes[0] as u128
                | (bytes[n / 2] as u128) << (8 * (n / 2))
                | (bytes[n - 1] as u128) << (8 * (n - 1))
        }
        0 => 0,
    };
    debug_assert!(n <= INLINE);
    v | (n as u128) << 120
}

/// The inline key of a piece of at most [`INLINE`] bytes (never 0: pieces are not empty).
#[inline]
pub(super) fn key(piece: &[u8]) -> Option<u128> {
    (piece.len() <= INLINE).then(|| pack(piece))
}

/// A slot in a table of `2^bits` for `key` (multiplicative hashing of both halves).
#[inline]
pub(super) fn slot(key: u128, bits: u32) -> usize {
    (hash_key(key) >> (64 - bits)) as usize
}

impl Ranks {
    pub(super) fn new(tokens: &[(&[u8], Rank)]) -> Ranks {
        let mut r = Ranks {
            pairs: vec![Rank::MAX; 1 << 16].into_boxed_slice(),
            chars3: vec![Rank::MAX; 1 << 16].into_boxed_slice(),
            // sized once: growing by rehashing was a third of loading the vocabulary
            // a power of two at least twice the tokens: probes stay short
            short: vec![
                Slot {
                    key: 0,
                    rank: Rank::MAX
                };
                (2 * tokens.len()).next_power_of_two()
            ]
            .into_boxed_slice(),
            long: FxHashMap::default(),
            filter: vec![0; 1 << (FILTER_BITS - 6)].into_boxed_slice(),
            long_lens: [0; 4],
        };
        for &(bytes, rank) in tokens {
            let h = match bytes.len() {
                2 => {
                    r.pairs[(bytes[0] as usize) << 8 | bytes[1] as usize] = rank;
                    continue;
                }
                n if n <= INLINE => {
                    if let Some(cp) = char3(bytes) {
                        r.chars3[cp] = rank;
                    }
                    let key = pack(bytes);
                    let mut i = r.short_slot(key);
                    while r.short[i].key != 0 {
                        i = (i + 1) & (r.short.len() - 1);
                    }
                    r.short[i] = Slot { key, rank };
                    hash_key(key)
                }
                n => {
                    let h = hash_long(bytes);
                    r.long_lens[n.min(255) / 64] |= 1 << (n.min(255) % 64);
                    r.long.insert(bytes.into(), rank);
                    h
                }
            };
            let (word, bits) = filter_bits(h);
            r.filter[word] |= bits;
        }
        r
    }

    /// False when the filter proves that a string of this hash is no token.
    #[inline]
    fn maybe(&self, h: u64) -> bool {
        let (word, bits) = filter_bits(h);
        self.filter[word] & bits == bits
    }

    /// [`Ranks::get`] for 3 to [`INLINE`] bytes.
    #[inline]
    fn short(&self, bytes: &[u8]) -> Rank {
        let key = pack(bytes);
        if !self.maybe(hash_key(key)) {
            return Rank::MAX;
        }
        let mut i = self.short_slot(key);
        loop {
            let slot = self.short[i];
            if slot.key == key {
                return slot.rank;
            }
            if slot.key == 0 {
                return Rank::MAX;
            }
            i = (i + 1) & (self.short.len() - 1);
        }
    }

    /// The first slot to probe for `key` in [`Ranks::short`].
    #[inline]
    fn short_slot(&self, key: u128) -> usize {
        slot(key, self.short.len().trailing_zeros())
    }

    /// Brings the first slot of `key` in [`Ranks::short`] into the CPU cache (a hint).
    #[inline]
    pub(super) fn prefetch(&self, key: u128) {
        super::prefetch(&self.short[self.short_slot(key)]);
    }

    /// The rank of the token `bytes`, `Rank::MAX` when it is not one.
    #[inline]
    pub(super) fn get(&self, bytes: &[u8]) -> Rank {
        match bytes.len() {
            2 => self.pairs[(bytes[0] as usize) << 8 | bytes[1] as usize],
            3 => match char3(bytes) {
                Some(cp) => self.chars3[cp],
                None => self.short(bytes),
            },
            n if n <= INLINE => self.short(bytes),
            n if n > 255 || self.long_lens[n / 64] & (1 << (n % 64)) == 0 => Rank::MAX,
            _ if !self.maybe(hash_long(bytes)) => Rank::MAX,
            _ => self.long.get(bytes).copied().unwrap_or(Rank::MAX),
        }
    }
}

#[cfg(test)]
mod tests {
    /// The byte-by-byte layout `pack` must equal for every length and byte pattern.
    fn pack_slow(bytes: &[u8]) -> u128 {
        let mut b = [0u8; 16];
        b[..bytes.len()].copy_from_slice(bytes);
        b[15] = bytes.len() as u8;
        u128::from_le_bytes(b)
    }

    #[test]
    fn pack_equals_bytewise_layout() {
        let src: Vec<u8> = (0..40u32).map(|i| (i * 37 + 11) as u8 | 1).collect();
        for start in 0..8 {
            for n in 0..=super::INLINE {
                let bytes = &src[start..start + n];
                assert_eq!(super::pack(bytes), pack_slow(bytes), "{bytes:?}");
            }
        }
    }
}
