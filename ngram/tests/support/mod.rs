//! Shared by the data-tier tests: where `../shared/data` is.

use std::path::{Path, PathBuf};

/// `../shared/data/<sub>`, or `None` (with a printed reason) when it is missing; a missing
/// folder fails instead under `SKYPILE_REQUIRE_DATA=1`, as CI sets it.
pub fn shared_data(sub: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data")
        .join(sub);
    if p.is_dir() {
        return Some(p);
    }
    assert!(
        std::env::var("SKYPILE_REQUIRE_DATA").is_err(),
        "SKYPILE_REQUIRE_DATA=1 but {} is missing",
        p.display()
    );
    eprintln!("skipping: {} not found", p.display());
    None
}
