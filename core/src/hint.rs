//! CPU hints shared by the table-heavy steps (token counting, n-gram scoring).

/// Ask the CPU to bring `x` into the cache (a hint: no effect on results).
/// - The n-gram and token tables are far bigger than the caches and probed at random: issuing
///   the probes of the next few units early overlaps their misses.
#[inline(always)]
pub fn prefetch<T>(x: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch never faults and reads nothing visible; `x` is a valid reference anyway.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
            (x as *const T).cast(),
        )
    };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = x;
}
