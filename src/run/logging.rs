//! Logging to stderr and, while a rank runs, also to `DIR/logs/<stage>/<rank>.log`, so every
//! rank leaves its own log whether it ran locally or as a Slurm array element.

use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

static RANK_LOG: Mutex<Option<File>> = Mutex::new(None);

struct Tee;

impl Write for Tee {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut g) = RANK_LOG.lock() {
            if let Some(f) = g.as_mut() {
                // A full disk must not stop the run: the log line still reaches stderr.
                let _ = f.write_all(buf);
            }
        }
        std::io::stderr().write_all(buf)?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

pub fn init(level: &str) {
    let filter = format!("{level},html5ever=error,markup5ever=error,selectors=error");
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or(filter))
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
