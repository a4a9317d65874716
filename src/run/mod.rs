//! Running a pipeline: the stage plan, the runner over stages x ranks, one docs stage
//! (reader thread -> steps in a pool -> sinks), progress and per-rank logs.

pub(crate) mod docstage;
pub(crate) mod logging;
mod progress;
mod reader;
pub(crate) mod runner;
pub(crate) mod stages;

pub(crate) use progress::set_quiet;
pub(crate) use reader::{BATCH_BYTES, BATCH_DOCS};
pub(crate) use runner::{RunOpts, run};

/// Test hook: sleep `SKYPILE_TEST_THROTTLE_MS` (unset or 0: no sleep) at each batch of a docs
/// stage and between `stats.json` and `manifest.json` in the merge.
/// * tests/resume.rs slows its runs with it so that every kill -9 point is reached mid-run on
///   any machine; it changes timing only, never output. Not for production use.
pub(crate) fn test_throttle() {
    static MS: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    let ms = *MS.get_or_init(|| {
        std::env::var("SKYPILE_TEST_THROTTLE_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    });
    if ms > 0 {
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
}
