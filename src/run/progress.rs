//! Progress: an indicatif spinner with docs/s and MB/s on a terminal, plain periodic log lines
//! otherwise (batch jobs, CI), so logs stay readable in Slurm output files.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

pub struct Progress {
    label: String,
    bar: Option<ProgressBar>,
    start: Instant,
    last_log: Instant,
    docs: u64,
    bytes: u64,
}

const LOG_EVERY: Duration = Duration::from_secs(10);

/// `-q`: no bar and no periodic progress lines.
static QUIET: AtomicBool = AtomicBool::new(false);
/// The bar on screen, so log lines can clear it while they print.
static BAR: Mutex<Option<ProgressBar>> = Mutex::new(None);

pub fn set_quiet(q: bool) {
    QUIET.store(q, Ordering::Relaxed);
}

/// Run `f` (a write to stderr) with the progress bar hidden, then redraw it.
pub fn suspend<T>(f: impl FnOnce() -> T) -> T {
    let bar = BAR.lock().ok().and_then(|g| g.clone());
    match bar {
        Some(b) => b.suspend(f),
        None => f(),
    }
}

impl Progress {
    pub fn new(label: &str) -> Self {
        let quiet = QUIET.load(Ordering::Relaxed);
        let bar = if !quiet && std::io::stderr().is_terminal() {
            let b = ProgressBar::new_spinner();
            b.set_style(
                ProgressStyle::with_template("{spinner} {prefix} {msg} [{elapsed}]")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            b.set_prefix(label.to_string());
            b.enable_steady_tick(Duration::from_millis(200));
            if let Ok(mut g) = BAR.lock() {
                *g = Some(b.clone());
            }
            Some(b)
        } else {
            None
        };
        let now = Instant::now();
        Progress {
            label: label.to_string(),
            bar,
            start: now,
            last_log: now,
            docs: 0,
            bytes: 0,
        }
    }

    pub fn tick(&mut self, docs: u64, bytes: u64) {
        self.docs += docs;
        self.bytes += bytes;
        if let Some(b) = &self.bar {
            b.set_message(self.rate());
        } else if !QUIET.load(Ordering::Relaxed) && self.last_log.elapsed() >= LOG_EVERY {
            self.last_log = Instant::now();
            log::info!("{}: {}", self.label, self.rate());
        }
    }

    fn rate(&self) -> String {
        let s = self.start.elapsed().as_secs_f64().max(1e-3);
        format!(
            "{} docs, {:.0} docs/s, {:.1} MB/s",
            self.docs,
            self.docs as f64 / s,
            self.bytes as f64 / s / 1e6
        )
    }

    pub fn finish(&mut self) {
        if let Some(b) = self.bar.take() {
            if let Ok(mut g) = BAR.lock() {
                *g = None;
            }
            b.finish_and_clear();
        }
        log::debug!("{}: done, {}", self.label, self.rate());
    }
}
