//! The CPU: a cache hint for the table-heavy steps (token counting, n-gram scoring), and the
//! calling thread's CPU time for the benchmark examples.

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

/// CPU nanoseconds the calling thread has used (one `clock_gettime`, ~0.5 µs here: a syscall,
/// unlike the monotonic clock's ~20 ns).
#[cfg(unix)]
pub fn thread_cpu_ns() -> u64 {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `t` is a valid timespec to write to, and the clock id is a constant libc knows.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    t.tv_sec as u64 * 1_000_000_000 + t.tv_nsec as u64
}

/// CPU seconds the calling thread has used: a pass's own time, steady on a machine shared with
/// other jobs, where wall time would measure their load too (the bench examples' clock).
#[cfg(unix)]
pub fn thread_cpu_secs() -> f64 {
    thread_cpu_ns() as f64 * 1e-9
}
