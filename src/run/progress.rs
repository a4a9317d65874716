//! Progress of a docs stage: on a terminal an indicatif bar of input bytes read against the
//! stage's total (input files or spools), with the rate and an ETA; otherwise (batch jobs, CI)
//! a plain log line every 10 s, so Slurm output files stay readable. `-q` hides both.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use indicatif::{HumanBytes, HumanDuration, ProgressBar, ProgressStyle};

use crate::outdir::spool_path;

/// Shared by the reader thread (bytes) and the stage loop (docs), hence atomics.
pub struct Progress {
    label: String,
    bar: Option<ProgressBar>,
    /// Input bytes of the stage (0: unknown, e.g. stdin).
    total: u64,
    start: Instant,
    bytes: AtomicU64,
    docs: AtomicU64,
    last_log: Mutex<Instant>,
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

/// Input bytes of the given ranks of a docs stage: their input files (`segment` 0, rank `r`
/// reads files `i % tasks == r`) or their spools from the segment before. `None` when an input
/// is stdin (`-`), whose size is unknown. `work` is the work folder (`outdir::work_root`).
pub fn stage_bytes(
    work: &Path,
    inputs: &[PathBuf],
    segment: usize,
    tasks: usize,
    ranks: &[usize],
) -> Option<u64> {
    // a local stat, or one HEAD per remote spool or input (0 when unreadable: only a bar)
    let size = |p: &Path| skypile_storage::size(p).unwrap_or(0);
    if segment > 0 {
        return Some(
            ranks
                .iter()
                .map(|&r| size(&spool_path(work, segment - 1, r)))
                .sum(),
        );
    }
    if inputs.iter().any(|p| p == Path::new("-")) {
        return None;
    }
    let mine = |i: usize| ranks.contains(&(i % tasks.max(1)));
    Some(
        inputs
            .iter()
            .enumerate()
            .filter(|(i, _)| mine(*i))
            .map(|(_, p)| size(p))
            .sum(),
    )
}

impl Progress {
    /// A bar only on a terminal and without `-q`; `total` from [`stage_bytes`].
    pub fn new(label: &str, total: Option<u64>) -> Self {
        let quiet = QUIET.load(Ordering::Relaxed);
        let total = total.unwrap_or(0);
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let b = bar(total);
            b.set_prefix(label.to_string());
            b.enable_steady_tick(Duration::from_millis(200));
            if let Ok(mut g) = BAR.lock() {
                *g = Some(b.clone());
            }
            b
        });
        let now = Instant::now();
        Progress {
            label: label.to_string(),
            bar,
            total,
            start: now,
            bytes: AtomicU64::new(0),
            docs: AtomicU64::new(0),
            last_log: Mutex::new(now),
        }
    }

    /// `n` more input bytes read (the reader thread).
    pub fn read(&self, n: u64) {
        self.bytes.fetch_add(n, Ordering::Relaxed);
        if let Some(b) = &self.bar {
            b.inc(n);
        }
    }

    /// `n` more docs processed (the stage loop); a log line now and then without a bar.
    pub fn docs(&self, n: u64) {
        let docs = self.docs.fetch_add(n, Ordering::Relaxed) + n;
        if let Some(b) = &self.bar {
            b.set_message(format!("{docs} docs"));
            return;
        }
        if QUIET.load(Ordering::Relaxed) {
            return;
        }
        let Ok(mut last) = self.last_log.lock() else {
            return;
        };
        if last.elapsed() >= LOG_EVERY {
            *last = Instant::now();
            log::info!("{}: {}", self.label, self.line());
        }
    }

    /// `1.2 GiB / 3.4 GiB (35%), 12 MiB/s, ETA 3 minutes, 12345 docs` (the log line).
    fn line(&self) -> String {
        let (bytes, docs) = (
            self.bytes.load(Ordering::Relaxed),
            self.docs.load(Ordering::Relaxed),
        );
        let s = self.start.elapsed().as_secs_f64().max(1e-3);
        let rate = bytes as f64 / s;
        let mut out = format!("{}", HumanBytes(bytes));
        if self.total > 0 {
            let pct = 100.0 * bytes as f64 / self.total as f64;
            out += &format!(" / {} ({pct:.0}%)", HumanBytes(self.total));
        }
        out += &format!(", {}/s", HumanBytes(rate as u64));
        if self.total > bytes && rate > 0.0 {
            let eta = Duration::from_secs_f64((self.total - bytes) as f64 / rate);
            out += &format!(", ETA {}", HumanDuration(eta));
        }
        out + &format!(", {docs} docs ({:.0} docs/s)", docs as f64 / s)
    }

    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            if let Ok(mut g) = BAR.lock() {
                *g = None;
            }
            b.finish_and_clear();
        }
        log::debug!("{}: done, {}", self.label, self.line());
    }
}

/// A bar of `total` bytes with rate and ETA; a spinner when the total is unknown.
fn bar(total: u64) -> ProgressBar {
    let (b, template) = if total > 0 {
        (
            ProgressBar::new(total),
            "{prefix} [{wide_bar}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta} {msg}",
        )
    } else {
        (
            ProgressBar::new_spinner(),
            "{spinner} {prefix} {bytes} {bytes_per_sec} {msg} [{elapsed}]",
        )
    };
    let style = ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
    b.set_style(style);
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let d =
            std::env::temp_dir().join(format!("skypile-progress-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn the_total_is_the_size_of_the_ranks_inputs_or_spools() {
        let d = scratch("total");
        let inputs: Vec<PathBuf> = (0..5)
            .map(|i| {
                let p = d.join(format!("in{i}.jsonl"));
                std::fs::write(&p, vec![b'x'; 100 + 37 * i]).unwrap();
                p
            })
            .collect();
        let len = |p: &Path| std::fs::metadata(p).unwrap().len();
        let all: u64 = inputs.iter().map(|p| len(p)).sum();
        assert_eq!(stage_bytes(&d, &inputs, 0, 2, &[0, 1]), Some(all));
        // rank 1 of 2 reads files 1 and 3
        let odd = len(&inputs[1]) + len(&inputs[3]);
        assert_eq!(stage_bytes(&d, &inputs, 0, 2, &[1]), Some(odd));
        let mut with_stdin = inputs.clone();
        with_stdin.push(PathBuf::from("-"));
        assert_eq!(stage_bytes(&d, &with_stdin, 0, 1, &[0]), None);
        // after a global step: the previous segment's spools of those ranks
        let spool = spool_path(&d, 0, 1);
        std::fs::create_dir_all(spool.parent().unwrap()).unwrap();
        std::fs::write(&spool, vec![0u8; 4321]).unwrap();
        assert_eq!(stage_bytes(&d, &inputs, 1, 2, &[0, 1]), Some(len(&spool)));
    }

    #[test]
    fn the_log_line_has_the_total_share_and_docs() {
        let p = Progress::new("docs-0", Some(4000));
        p.read(1000);
        p.docs(7);
        let line = p.line();
        for want in [
            format!("{} / {} (25%)", HumanBytes(1000), HumanBytes(4000)),
            "ETA".into(),
            "7 docs".into(),
        ] {
            assert!(line.contains(&want), "{line:?} lacks {want:?}");
        }
        p.finish();
    }
}
