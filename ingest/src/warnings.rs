//! Rate-limited warnings for the `bad_*` events of one input file.
//!
//! - A damaged file can yield millions of identical events (one per bad line); logging each one
//!   buried the run's log (issue #15: 1.4 GB of `bad_read`). The counters still count every
//!   event; the log shows the first [`FIRST`] of each reason per file, then one summary line.

use std::collections::BTreeMap;
use std::path::Path;

/// Warnings logged per reason and file before the rest are only counted.
pub const FIRST: u64 = 5;

/// The warning log of one input file; logs its summary when dropped.
pub struct Warnings {
    file: String,
    seen: BTreeMap<String, u64>,
}

impl Warnings {
    pub fn new(path: &Path) -> Self {
        Warnings {
            file: path.display().to_string(),
            seen: BTreeMap::new(),
        }
    }

    /// Log a reader's skip if it is a `bad_*` reason not yet seen [`FIRST`] times in this file.
    pub fn skip(&mut self, reason: &str, offset: u64, detail: &str) {
        if self.note(reason) {
            log::warn!("{}:{offset}: {reason}: {detail}", self.file);
        }
    }

    /// Count one event; true when it should be logged.
    fn note(&mut self, reason: &str) -> bool {
        if !reason.starts_with("bad_") {
            return false;
        }
        let n = self.seen.entry(reason.to_string()).or_default();
        *n += 1;
        *n <= FIRST
    }

    /// The reasons whose events were not all logged, with how many were not.
    fn unlogged(&self) -> impl Iterator<Item = (&str, u64)> {
        self.seen
            .iter()
            .filter(|(_, n)| **n > FIRST)
            .map(|(r, n)| (r.as_str(), n - FIRST))
    }
}

impl Drop for Warnings {
    fn drop(&mut self) {
        for (reason, n) in self.unlogged() {
            log::warn!(
                "{}: {n} more {reason} not shown (counted as ingest.{reason})",
                self.file
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logs_the_first_of_each_reason_then_counts() {
        let mut w = Warnings::new(Path::new("f.jsonl"));
        let logged = (0..1000).filter(|_| w.note("bad_json")).count();
        assert_eq!(logged as u64, FIRST);
        assert!(w.note("bad_too_large"), "another reason has its own budget");
        assert!(
            !w.note("skipped_url"),
            "skips that are not damage are never logged"
        );
        assert_eq!(
            w.unlogged().collect::<Vec<_>>(),
            vec![("bad_json", 1000 - FIRST)]
        );
    }
}
