//! Durable, atomic file commits: unique temp names, fsync of the file and its folder.
//!
//! - A temp name carries host, pid and a per-process counter, so two processes (a Slurm requeue
//!   on another node, or a second launch) never write the same `*.tmp`.
//! - `commit` fsyncs the file, renames it into place and fsyncs the folder, so a marker written
//!   after it never points at data a power cut can take back.
//! - Every temp name ends in `.tmp`: cleanup and readers skip them by that suffix alone.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context, Result};

/// This machine's host name (`/proc/sys/kernel/hostname`, then `$HOSTNAME`, then `localhost`).
pub fn hostname() -> &'static str {
    static HOST: OnceLock<String> = OnceLock::new();
    HOST.get_or_init(|| {
        std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .or_else(|| std::env::var("HOSTNAME").ok())
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "localhost".into())
    })
}

/// A temp sibling of `path` that no other process or call uses: `{path}.{host}-{pid}-{n}.tmp`.
pub fn unique_tmp_path(path: &Path) -> PathBuf {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let n = SEQ.fetch_add(1, Ordering::Relaxed);
    let mut s = path.as_os_str().to_owned();
    // host names may hold dots; keep the name one path component
    let host: String = hostname()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    s.push(format!(".{host}-{}-{n}.tmp", std::process::id()));
    PathBuf::from(s)
}

/// fsync a folder so a rename or create inside it survives a crash (no-op where unsupported).
pub fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Rename a finished, already fsynced temp file into place and fsync its folder.
pub fn commit(tmp: &Path, path: &Path) -> Result<()> {
    std::fs::rename(tmp, path)
        .with_context(|| format!("renaming {} to {}", tmp.display(), path.display()))?;
    if let Some(d) = path.parent() {
        sync_dir(d);
    }
    Ok(())
}

/// Write `bytes` to `path` atomically and durably: unique temp, fsync, rename, fsync folder.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d)
            .with_context(|| format!("cannot create {}: check permissions", d.display()))?;
    }
    let tmp = unique_tmp_path(path);
    let write = || -> std::io::Result<()> {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()
    };
    if let Err(e) = write() {
        let _ = std::fs::remove_file(&tmp);
        return Err(e).with_context(|| {
            format!(
                "cannot write {}: check permissions and disk space",
                tmp.display()
            )
        });
    }
    commit(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_names_are_unique_and_end_in_tmp() {
        let p = Path::new("/x/data/part-00000-00000.parquet");
        let (a, b) = (unique_tmp_path(p), unique_tmp_path(p));
        assert_ne!(a, b);
        for t in [&a, &b] {
            let s = t.to_string_lossy();
            assert!(s.starts_with("/x/data/part-00000-00000.parquet."), "{s}");
            assert!(s.ends_with(".tmp"), "{s}");
            assert!(s.contains(&format!("-{}-", std::process::id())), "{s}");
        }
    }

    #[test]
    fn write_atomic_leaves_only_the_file() {
        let d = std::env::temp_dir().join(format!("skypile-durable-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        let p = d.join("sub/a.json");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        let names: Vec<_> = std::fs::read_dir(d.join("sub"))
            .unwrap()
            .flatten()
            .collect();
        assert_eq!(names.len(), 1, "temp files left behind");
        let _ = std::fs::remove_dir_all(&d);
    }
}
