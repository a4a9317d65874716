//! Where tests find the shared real-data corpus, and what they do when it is missing.
//!
//! - The corpus lives next to the workspace (`<workspace>/../shared/data`, see its
//!   `MANIFEST.md`) and is never copied into the repo.
//! - Locally a missing folder skips the test with a `SKIPPED:` line on stderr, written past
//!   libtest's output capture so it shows in `cargo test` output without `--nocapture`
//!   (`scripts/ci/test.sh` counts these lines in `target/test.log`).
//! - With `SKYPILE_REQUIRE_DATA=1` (exported by `scripts/ci/test.sh`, which CI runs) a missing
//!   folder or file panics instead, so CI can never pass on an empty set.
//!
//! Usage in a data-dependent test:
//! ```no_run
//! let Some(root) = skypile_core::testdata::shared_data() else { return };
//! let Some(gold) = skypile_core::testdata::require(&root, "extraction/en-dragnet-sample") else {
//!     return;
//! };
//! ```

use std::io::Write;
use std::path::{Path, PathBuf};

/// Environment variable that turns every skip into a failure (`1` = required).
pub const REQUIRE_ENV: &str = "SKYPILE_REQUIRE_DATA";

/// The shared data folder, or `None` after reporting the skip (panics when data is required).
pub fn shared_data() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data");
    found(
        root.is_dir().then_some(root),
        "../shared/data not found: put the shared data at <workspace>/../shared/data",
    )
}

/// `root/rel` if it exists, or `None` after reporting the skip (panics when data is required).
pub fn require(root: &Path, rel: &str) -> Option<PathBuf> {
    let p = root.join(rel);
    found(
        p.exists().then_some(p),
        &format!("{rel} not found under ../shared/data"),
    )
}

/// Reports a data-dependent skip for a reason other than a missing path (e.g. a set that loaded
/// empty): prints `SKIPPED:` or panics when data is required. Returns `None` for `let … else`.
pub fn skip<T>(why: &str) -> Option<T> {
    found(None, why)
}

/// Environment variables that name the test Python and make its absence a failure (both set by
/// `scripts/ci/test.sh`, which installs pyarrow, pandas, fasttext-numpy2 and zstandard).
pub const PYTHON_ENV: &str = "SKYPILE_PYTHON";
pub const REQUIRE_PYTHON_ENV: &str = "SKYPILE_REQUIRE_PYTHON";

/// `$SKYPILE_PYTHON` if it can `import` every module of `modules` (e.g. `"pandas"`,
/// `"fasttext"`), or `None` after a `SKIPPED:` line; a failure under SKYPILE_REQUIRE_PYTHON=1.
pub fn python(modules: &str) -> Option<String> {
    let py = std::env::var(PYTHON_ENV).ok().filter(|p| !p.is_empty());
    let ok = py.as_ref().is_some_and(|p| {
        std::process::Command::new(p)
            .args(["-c", &format!("import {modules}")])
            .status()
            .is_ok_and(|s| s.success())
    });
    if ok {
        return py;
    }
    let why = format!(
        "{PYTHON_ENV} ({py:?}) is not a python with {modules}: run scripts/ci/test.sh, which sets it"
    );
    let required = std::env::var(REQUIRE_PYTHON_ENV).is_ok_and(|v| v == "1");
    report(required, &why, REQUIRE_PYTHON_ENV);
    None
}

fn found<T>(v: Option<T>, why: &str) -> Option<T> {
    if v.is_none() {
        report(required(), why, REQUIRE_ENV);
    }
    v
}

fn required() -> bool {
    std::env::var(REQUIRE_ENV).is_ok_and(|v| v == "1")
}

/// - libtest names each test's thread after the test, so the line says which test skipped.
/// - `std::io::stderr()` (unlike `eprintln!`) is not captured by libtest.
fn report(required: bool, why: &str, switch: &str) {
    let test = std::thread::current()
        .name()
        .unwrap_or("<unnamed>")
        .to_string();
    if required {
        panic!("{test}: {why}, and {switch}=1 forbids skipping");
    }
    let _ = writeln!(std::io::stderr(), "{}", skip_line(&test, why, switch));
}

fn skip_line(test: &str, why: &str, switch: &str) -> String {
    format!("SKIPPED: {test}: {why} (set {switch}=1 to fail instead)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skip_line_names_the_test_and_the_switch() {
        let l = skip_line("a::b", "x not found", REQUIRE_ENV);
        assert!(l.starts_with("SKIPPED: a::b: x not found"), "{l}");
        assert!(l.contains(REQUIRE_ENV), "{l}");
    }

    #[test]
    #[should_panic(expected = "forbids skipping")]
    fn skip_panics_when_required() {
        report(true, "nothing to see", REQUIRE_ENV);
    }

    #[test]
    fn require_finds_existing_paths_only() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        assert_eq!(require(root, "src"), Some(root.join("src")));
        if !required() {
            assert_eq!(require(root, "no-such-dir"), None);
        }
    }
}
