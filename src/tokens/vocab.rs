//! The vocabularies' ordinary tokens as build.rs wrote them (see there for why and the format).

use tiktoken_rs::Rank;

/// `(bytes, rank)` of every ordinary token of one embedded table, in rank order.
pub(super) fn tokens(table: &'static [u8]) -> Vec<(&'static [u8], Rank)> {
    let mut out = Vec::with_capacity(table.len() / 8);
    let mut rest = table;
    while let [r0, r1, r2, r3, l0, l1, tail @ ..] = rest {
        let rank = Rank::from_le_bytes([*r0, *r1, *r2, *r3]);
        let len = u16::from_le_bytes([*l0, *l1]) as usize;
        let (bytes, next) = tail.split_at(len);
        out.push((bytes, rank));
        rest = next;
    }
    debug_assert!(rest.is_empty(), "a table ends after a whole token");
    out
}

/// The table build.rs wrote for `$name` (`cl100k_base`, ...).
macro_rules! table {
    ($name:literal) => {
        include_bytes!(concat!(env!("OUT_DIR"), "/", $name, ".vocab"))
    };
}
pub(super) use table;
