//! Rank ownership: one process at a time may run a (stage, rank) of an output folder.
//!
//! A Slurm requeue or a re-submitted array can start a second process on a rank that is still
//! running; without a lease the second deletes the first's shards and both write the same files.
//! - The lease is a file created with `O_EXCL` (`create_new`), holding host, pid and a token.
//! - The holder refreshes its mtime every [`HEARTBEAT`]; a heartbeat thread does it.
//! - A lease is stale (and taken over) when its holder is on this host and its pid is gone, or
//!   when it has not been refreshed for [`STALE_AFTER`] (a dead node cannot clean up).
//!   Only who may run is decided by time; what a run writes never is.
//! - Anyone else gets an error naming holder, file and what to do.
//! - Before writing a completion marker the holder checks that the lease is still its own.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use crate::durable::{hostname, sync_dir};

pub const HEARTBEAT: Duration = Duration::from_secs(20);
pub const STALE_AFTER: Duration = Duration::from_secs(180);

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
struct Holder {
    host: String,
    pid: u32,
    token: String,
}

/// A held lease; released (file removed) on drop.
pub struct Lease {
    path: PathBuf,
    holder: Holder,
    stop: Arc<AtomicBool>,
    beat: Option<std::thread::JoinHandle<()>>,
}

impl Lease {
    /// Take the lease at `path` for `what` (e.g. "stage docs-0 rank 3"), or say who holds it.
    pub fn acquire(path: &Path, what: &str) -> Result<Lease> {
        if let Some(d) = path.parent() {
            std::fs::create_dir_all(d)
                .with_context(|| format!("cannot create {}: check permissions", d.display()))?;
        }
        let holder = Holder {
            host: hostname().to_string(),
            pid: std::process::id(),
            token: format!("{:x}", unique_token()),
        };
        for _ in 0..3 {
            match publish(path, &serde_json::to_vec(&holder)?) {
                Ok(()) => {
                    if let Some(d) = path.parent() {
                        sync_dir(d);
                    }
                    return Ok(Lease::start(path, holder));
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    if let Some(why) = stale(path) {
                        log::warn!(
                            "{what}: taking over a stale lease {} ({why})",
                            path.display()
                        );
                        // rename first: of two processes taking over, only one rename succeeds
                        let grave = crate::durable::unique_tmp_path(path);
                        if std::fs::rename(path, &grave).is_ok() {
                            let _ = std::fs::remove_file(&grave);
                        }
                        continue;
                    }
                    let h = read_holder(path);
                    let age = age(path).map_or("?".into(), |a| format!("{}s", a.as_secs()));
                    bail!(
                        "{what} is being run by {} (lease {}, refreshed {age} ago): wait for it to \
                         finish; if that process is dead, delete the lease file and rerun",
                        h.map_or("another process".into(), |h| format!(
                            "pid {} on {}",
                            h.pid, h.host
                        )),
                        path.display()
                    );
                }
                Err(e) => {
                    return Err(e)
                        .with_context(|| format!("cannot create lease {}", path.display()));
                }
            }
        }
        bail!(
            "{what}: could not take lease {} (contended)",
            path.display()
        )
    }

    fn start(path: &Path, holder: Holder) -> Lease {
        let stop = Arc::new(AtomicBool::new(false));
        let (p, s) = (path.to_path_buf(), stop.clone());
        let beat = std::thread::Builder::new()
            .name("lease-heartbeat".into())
            .spawn(move || {
                // Parked, not sleeping: `drop` unparks it, so releasing a lease does not wait
                // for a sleep tick (up to 250 ms of idle wall time per stage rank before).
                let mut last = std::time::Instant::now();
                while !s.load(Ordering::Relaxed) {
                    std::thread::park_timeout(HEARTBEAT.saturating_sub(last.elapsed()));
                    if !s.load(Ordering::Relaxed) && last.elapsed() >= HEARTBEAT {
                        last = std::time::Instant::now();
                        if let Ok(f) = OpenOptions::new().write(true).open(&p) {
                            let _ = f.set_modified(SystemTime::now());
                        }
                    }
                }
            })
            .ok();
        Lease {
            path: path.to_path_buf(),
            holder,
            stop,
            beat,
        }
    }

    /// Error unless the lease file still names this holder (nobody took it over meanwhile).
    pub fn check(&self) -> Result<()> {
        match read_holder(&self.path) {
            Some(h) if h == self.holder => Ok(()),
            _ => bail!(
                "lease {} was taken over by another process while this one ran: its outputs are \
                 not marked complete; rerun after the other process ends",
                self.path.display()
            ),
        }
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.beat.take() {
            h.thread().unpark();
            let _ = h.join();
        }
        if read_holder(&self.path).as_ref() == Some(&self.holder) {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

fn unique_token() -> u64 {
    let t = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    xxhash_rust::xxh3::xxh3_64(format!("{t}-{}-{}", std::process::id(), hostname()).as_bytes())
}

/// Create the lease file at `path` holding `body`, or fail with `AlreadyExists`.
/// * Written to a unique temp file first, then hard-linked into place (atomic and exclusive,
///   also on NFS): a kill -9 can never leave a half-written lease that looks freshly held.
fn publish(path: &Path, body: &[u8]) -> std::io::Result<()> {
    let tmp = crate::durable::unique_tmp_path(path);
    let r = (|| {
        let mut f = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        f.write_all(body)?;
        f.sync_all()?;
        std::fs::hard_link(&tmp, path)
    })();
    let _ = std::fs::remove_file(&tmp);
    r
}

fn read_holder(path: &Path) -> Option<Holder> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

fn age(path: &Path) -> Option<Duration> {
    let m = File::open(path).ok()?.metadata().ok()?.modified().ok()?;
    SystemTime::now().duration_since(m).ok()
}

/// Why the lease at `path` may be taken over, if it may.
fn stale(path: &Path) -> Option<String> {
    let h = read_holder(path);
    if let Some(h) = &h {
        if h.host == hostname() && !Path::new(&format!("/proc/{}", h.pid)).exists() {
            return Some(format!("pid {} on this host is gone", h.pid));
        }
    }
    match age(path) {
        Some(a) if a > STALE_AFTER => Some(format!("not refreshed for {}s", a.as_secs())),
        // an unreadable lease that is not fresh is a half-written one of a crashed process
        Some(a) if h.is_none() && a > HEARTBEAT => Some("unreadable".into()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("skypile-lease-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn second_holder_is_refused_until_release() {
        let p = dir("two").join("docs-0/00003.lease");
        let a = Lease::acquire(&p, "rank 3").unwrap();
        let err = Lease::acquire(&p, "rank 3").err().unwrap().to_string();
        assert!(err.contains("is being run by pid"), "{err}");
        assert!(err.contains("delete the lease file"), "{err}");
        a.check().unwrap();
        drop(a);
        assert!(!p.exists(), "lease not released");
        Lease::acquire(&p, "rank 3").unwrap();
    }

    #[test]
    fn lease_of_a_dead_local_process_is_taken_over() {
        let p = dir("dead").join("00000.lease");
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        // a pid far above pid_max is never alive
        let dead = Holder {
            host: hostname().into(),
            pid: 999_999_999,
            token: "x".into(),
        };
        std::fs::write(&p, serde_json::to_vec(&dead).unwrap()).unwrap();
        let l = Lease::acquire(&p, "rank 0").unwrap();
        l.check().unwrap();
    }

    #[test]
    fn a_taken_over_lease_fails_the_check() {
        let p = dir("over").join("00001.lease");
        let l = Lease::acquire(&p, "rank 1").unwrap();
        let other = Holder {
            host: "elsewhere".into(),
            pid: 1,
            token: "y".into(),
        };
        std::fs::write(&p, serde_json::to_vec(&other).unwrap()).unwrap();
        assert!(l.check().unwrap_err().to_string().contains("taken over"));
        drop(l);
        assert!(p.exists(), "must not delete another holder's lease");
    }
}
