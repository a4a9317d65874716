//! The model's n-gram table: 64-bit n-gram keys to (log10 prob, log10 back-off), open
//! addressing with linear probing, key and values side by side in one 16-byte slot.
//!
//! Hand-written instead of `std::collections::HashMap` because scoring is a stream of random
//! probes into a table far larger than the caches (issue #21: `Model::probe` was the top
//! symbol of the production profile):
//! - a probe reads one slot, so one cache line, where a SwissTable reads its control bytes
//!   and then its bucket array, two lines far apart;
//! - a caller can [`Table::prefetch`] the slot of a key it will probe soon (the scorer
//!   computes a whole line's n-gram keys first, then prefetches a few units ahead).
//!
//! Keys are already uniform 64-bit hashes (`model::ngram_key`), so their high bits index the
//! table directly (multiply-shift onto any table size, so the table is sized to the model, not
//! rounded up to a power of two). Key 0 marks an empty slot; a real key 0 is kept apart.

/// One entry: key (0 = empty), log10 probability, log10 back-off.
#[derive(Clone, Copy, Default)]
#[repr(C, align(16))]
struct Slot {
    key: u64,
    prob: f32,
    backoff: f32,
}

/// Most slots in use, in fifths: at a load of 0.6 linear probing reads ~1.8 slots for a
/// stored key and ~3.6 for an absent one (Knuth), mostly within one or two cache lines.
const MAX_LOAD_FIFTHS: usize = 3;

pub(crate) struct Table {
    slots: Vec<Slot>,
    /// Occupied slots, plus one if `zero` is set.
    len: usize,
    /// The values of key 0, which cannot sit in a slot.
    zero: Option<(f32, f32)>,
}

impl Table {
    /// A table that holds `n` entries without growing.
    pub(crate) fn with_capacity(n: usize) -> Table {
        let slots = (n * 5 / MAX_LOAD_FIFTHS + 1).max(16);
        Table {
            slots: vec![Slot::default(); slots],
            len: 0,
            zero: None,
        }
    }

    #[inline(always)]
    fn home(&self, key: u64) -> usize {
        ((key as u128 * self.slots.len() as u128) >> 64) as usize
    }

    /// The slot after `i`, wrapping around.
    #[inline(always)]
    fn next(&self, i: usize) -> usize {
        if i + 1 == self.slots.len() { 0 } else { i + 1 }
    }

    /// Insert or replace the values of `key`.
    pub(crate) fn insert(&mut self, key: u64, prob: f32, backoff: f32) {
        if key == 0 {
            self.len += usize::from(self.zero.is_none());
            self.zero = Some((prob, backoff));
            return;
        }
        if (self.len + 1) * 5 > self.slots.len() * MAX_LOAD_FIFTHS {
            self.grow();
        }
        let mut i = self.home(key);
        while self.slots[i].key != 0 && self.slots[i].key != key {
            i = self.next(i);
        }
        self.len += usize::from(self.slots[i].key == 0);
        self.slots[i] = Slot { key, prob, backoff };
    }

    fn grow(&mut self) {
        let mut bigger = Table::with_capacity(self.slots.len() * 2 * MAX_LOAD_FIFTHS / 5 + 1);
        bigger.zero = self.zero;
        bigger.len = usize::from(self.zero.is_some());
        for (k, p, b) in self.iter() {
            bigger.insert(k, p, b);
        }
        *self = bigger;
    }

    /// `(log10 prob, log10 back-off)` of `key`.
    #[inline(always)]
    pub(crate) fn get(&self, key: u64) -> Option<(f32, f32)> {
        if key == 0 {
            return self.zero;
        }
        let mut i = self.home(key);
        loop {
            let s = &self.slots[i];
            if s.key == key {
                return Some((s.prob, s.backoff));
            }
            if s.key == 0 {
                return None;
            }
            i = self.next(i);
        }
    }

    /// Ask the CPU to bring the home slot of `key` into the cache (a hint: results unchanged).
    #[inline(always)]
    pub(crate) fn prefetch(&self, key: u64) {
        skypile_core::cpu::prefetch(&self.slots[self.home(key)]);
    }

    /// Every entry as `(key, log10 prob, log10 back-off)`, in no particular order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u64, f32, f32)> + '_ {
        let zero = self.zero.map(|(p, b)| (0, p, b));
        zero.into_iter().chain(
            self.slots
                .iter()
                .filter(|s| s.key != 0)
                .map(|s| (s.key, s.prob, s.backoff)),
        )
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Bytes the slots take.
    pub(crate) fn memory_bytes(&self) -> u64 {
        (self.slots.len() * std::mem::size_of::<Slot>()) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn behaves_like_a_map_through_growth_collisions_and_key_zero() {
        let mut t = Table::with_capacity(1);
        let mut m = HashMap::new();
        // Keys sharing their low bits collide in the home slot; 0 and u64::MAX are edge keys.
        let keys = (0..300u64)
            .map(|i| i << 40)
            .chain((0..300u64).map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15)))
            .chain([0, u64::MAX, 7, 7]);
        for (n, k) in keys.enumerate() {
            t.insert(k, n as f32, -(n as f32));
            m.insert(k, (n as f32, -(n as f32)));
        }
        assert_eq!(t.len(), m.len());
        for k in m.keys().copied().chain([1, 3 << 40, 12345]) {
            assert_eq!(t.get(k), m.get(&k).copied(), "key {k}");
        }
        let mut all: Vec<_> = t.iter().collect();
        all.sort_by_key(|e| e.0);
        let mut want: Vec<_> = m.iter().map(|(&k, &(p, b))| (k, p, b)).collect();
        want.sort_by_key(|e| e.0);
        assert_eq!(all, want);
    }
}
