//! Logging to stderr and, while a rank runs, also to `DIR/logs/<stage>/<rank>.log`, so every
//! rank leaves its own log whether it ran locally or as a Slurm array element. With an
//! object-store `DIR` the file lives in the local scratch and is uploaded to `DIR/logs/` when
//! the rank ends ([`end_rank_log`]), so the logs of nodes without a shared filesystem survive.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

static RANK_LOG: Mutex<Option<File>> = Mutex::new(None);

struct Tee;

impl Write for Tee {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut g) = RANK_LOG.lock()
            && let Some(f) = g.as_mut()
        {
            // A full disk must not stop the run: the log line still reaches stderr.
            let _ = f.write_all(buf);
        }
        // a progress bar on the terminal is cleared around the line instead of garbling it
        super::progress::suspend(|| std::io::stderr().write_all(buf))?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

/// Log to stderr: `level` from -q/-v when given, else `RUST_LOG`, else info for skypile.
/// Noisy HTML-parser crates stay at errors either way.
pub fn init(level: Option<&str>, color: clap::ColorChoice) {
    let quiet_deps = "html5ever=error,markup5ever=error,selectors=error";
    let filter = match (level, std::env::var("RUST_LOG")) {
        (Some(l), _) => format!("{l},{quiet_deps}"),
        (None, Ok(env)) if !env.trim().is_empty() => env,
        (None, _) => format!("info,{quiet_deps}"),
    };
    let style = match color {
        clap::ColorChoice::Always => env_logger::WriteStyle::Always,
        clap::ColorChoice::Never => env_logger::WriteStyle::Never,
        clap::ColorChoice::Auto => env_logger::WriteStyle::Auto,
    };
    env_logger::Builder::new()
        .parse_filters(&filter)
        .write_style(style)
        .format_target(false)
        .target(env_logger::Target::Pipe(Box::new(Tee)))
        .init();
}

/// Start appending log lines to `path` (None stops).
pub fn set_rank_log(path: Option<&Path>) {
    let file = path.and_then(|p| {
        std::fs::create_dir_all(p.parent()?).ok()?;
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(p)
            .ok()
    });
    if let Ok(mut g) = RANK_LOG.lock() {
        *g = file;
    }
}

/// Stop teeing a rank's log to `local`; with `remote`, upload the whole file there. The
/// rank's result passes through, and an error is appended to the file first (it is printed
/// to stderr only once, by `main`), so a failed element's log says why.
/// * The text is what stderr shows: storage errors name URLs without credentials.
/// * A failed upload is a warning: the rank's own result decides the exit status.
pub fn end_rank_log<T>(
    local: &Path,
    remote: Option<PathBuf>,
    r: anyhow::Result<T>,
) -> anyhow::Result<T> {
    if let (Err(e), Ok(mut g)) = (&r, RANK_LOG.lock())
        && let Some(f) = g.as_mut()
    {
        let _ = writeln!(f, "error: {e:#}");
    }
    set_rank_log(None);
    if let Some(dest) = remote {
        let up = std::fs::read(local)
            .map_err(anyhow::Error::from)
            .and_then(|bytes| skypile_storage::write_atomic(&dest, &bytes));
        if let Err(e) = up {
            log::warn!("could not upload the rank log {}: {e:#}", local.display());
        }
    }
    r
}
