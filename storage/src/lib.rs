//! skypile-storage: local paths and object-store URLs behind one blocking API.
//!
//! - A location is a `Path`: a local path, or a URL (`s3://bucket/key`, `gs://`, `az://`,
//!   read-only `http(s)://`) kept as the path's text, so the rest of skypile joins and names
//!   locations the same way for both (`Path::join` keeps `s3://b/run1` + `data` as
//!   `s3://b/run1/data`).
//! - Remote calls go through the Arrow project's `object_store` on one shared tokio runtime;
//!   callers stay synchronous.
//! - Local paths keep the exact behaviour of before (temp + rename commits, made durable before
//!   the rank's marker), so a local output folder is byte for byte what it was.

use std::io::{Read, Seek};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use futures::TryStreamExt;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

mod config;
mod intermediate;
mod read;
mod stores;
mod write;

pub use config::{StorageConfig, configure};
pub use intermediate::{bin_create, bin_header, bin_open, bin_stream};
pub use read::RangeReader;
pub use stores::{SCHEMES, redact};
pub use write::Writer;

/// A readable, seekable input: a local file or a ranged-GET stream.
pub trait ReadSeek: Read + Seek + Send {}
impl<T: Read + Seek + Send> ReadSeek for T {}

/// True for `s3://`, `gs://`, `az://`, `http(s)://` locations.
pub fn is_remote(p: &Path) -> bool {
    p.to_str().is_some_and(is_url)
}

/// True when `s` is a URL of a scheme skypile reads through object_store.
pub fn is_url(s: &str) -> bool {
    stores::split_url(s).is_some()
}

fn url(p: &Path) -> &str {
    p.to_str().unwrap_or_default()
}

/// Sizes of the objects listed by this process: pinning and opening 100k listed inputs must
/// not cost 100k more HEAD requests each (inputs do not change during a run; run.json's pins
/// catch a change between launches).
fn listed() -> &'static std::sync::Mutex<std::collections::HashMap<String, u64>> {
    static L: std::sync::OnceLock<std::sync::Mutex<std::collections::HashMap<String, u64>>> =
        std::sync::OnceLock::new();
    L.get_or_init(Default::default)
}

/// `p` is being written or removed: its listed size no longer holds.
fn forget(p: &Path) {
    if let Ok(mut l) = listed().lock() {
        l.remove(url(p));
    }
}

/// Size in bytes of a file or object (an error if it does not exist).
pub fn size(p: &Path) -> Result<u64> {
    if !is_remote(p) {
        return Ok(std::fs::metadata(p)
            .with_context(|| format!("{} does not exist", p.display()))?
            .len());
    }
    if let Some(n) = listed().lock().ok().and_then(|l| l.get(url(p)).copied()) {
        return Ok(n);
    }
    let r = stores::remote(url(p))?;
    Ok(stores::block(&r.url, "stat", r.store.head(&r.key))?.size)
}

/// Whether a file or object exists (a missing bucket or an unreachable store is an error:
/// "absent" must never be guessed from a failure, or a relaunch would redo finished work).
pub fn exists(p: &Path) -> Result<bool> {
    if !is_remote(p) {
        return Ok(p.exists());
    }
    let r = stores::remote(url(p))?;
    match stores::runtime().block_on(r.store.head(&r.key)) {
        Ok(_) => Ok(true),
        Err(object_store::Error::NotFound { .. }) => {
            // a missing bucket answers 404 too: tell it apart (once per bucket) so it is
            // reported instead of read as "no such object"
            if stores::bucket_unchecked(&r.url) {
                let mut b = r.store.list_with_offset(None, &r.key);
                stores::block(&r.url, "list", b.try_next())?;
            }
            Ok(false)
        }
        Err(e) => Err(stores::explain(&r.url, "stat", &e)),
    }
}

/// A whole file or object.
pub fn read(p: &Path) -> Result<Vec<u8>> {
    if !is_remote(p) {
        return std::fs::read(p).with_context(|| format!("reading {}", p.display()));
    }
    let r = stores::remote(url(p))?;
    let got = stores::block(&r.url, "read", r.store.get(&r.key))?;
    Ok(stores::block(&r.url, "read", got.bytes())?.to_vec())
}

/// Bytes `range` of a file or object (one ranged GET).
pub fn read_range(p: &Path, range: std::ops::Range<u64>) -> Result<Vec<u8>> {
    if !is_remote(p) {
        use std::io::SeekFrom;
        let mut f = std::fs::File::open(p).with_context(|| format!("opening {}", p.display()))?;
        f.seek(SeekFrom::Start(range.start))?;
        let mut v = vec![0; (range.end - range.start) as usize];
        f.read_exact(&mut v)
            .with_context(|| format!("reading {}", p.display()))?;
        return Ok(v);
    }
    let r = stores::remote(url(p))?;
    Ok(stores::block(&r.url, "read", r.store.get_range(&r.key, range))?.to_vec())
}

/// Open for streaming reads (ranged GETs with read-ahead for objects).
pub fn open(p: &Path) -> Result<Box<dyn ReadSeek>> {
    if !is_remote(p) {
        // the bare io error: callers name the file in their own words ("opening input X")
        return Ok(Box::new(std::fs::File::open(p)?));
    }
    let size = size(p)?;
    Ok(Box::new(RangeReader::new(stores::remote(url(p))?, size)))
}

/// Write a file or object whole: local = unique temp, fsync, rename, fsync folder; remote =
/// one PUT (atomic: readers see the old object or the new one).
pub fn write_atomic(p: &Path, bytes: &[u8]) -> Result<()> {
    if !is_remote(p) {
        return skypile_core::durable::write_atomic(p, bytes);
    }
    forget(p);
    let r = stores::remote(url(p))?;
    let put = r.store.put(&r.key, PutPayload::from(bytes.to_vec()));
    stores::block(&r.url, "write", put).map(|_| ())
}

/// [`write_atomic`], but a local file's fsync waits for `durable::sync_pending` (a rank's files
/// are made durable together, before its completion marker).
pub fn write_deferred(p: &Path, bytes: &[u8]) -> Result<()> {
    if !is_remote(p) {
        return skypile_core::durable::write_deferred(p, bytes);
    }
    write_atomic(p, bytes)
}

/// Start writing a file or object; it appears under its name only at [`Writer::finish`].
pub fn create(p: &Path) -> Result<Writer> {
    if !is_remote(p) {
        return Writer::local(p);
    }
    reject_read_only(p)?;
    forget(p);
    Ok(Writer::remote(stores::remote(url(p))?))
}

fn reject_read_only(p: &Path) -> Result<()> {
    if url(p).starts_with("http") {
        bail!("{}: http(s) locations are read-only", redact(url(p)));
    }
    Ok(())
}

/// Remove a file or object; absent is fine.
pub fn remove(p: &Path) -> Result<()> {
    if !is_remote(p) {
        return absent_ok(std::fs::remove_file(p), p);
    }
    forget(p);
    let r = stores::remote(url(p))?;
    match stores::runtime().block_on(r.store.delete(&r.key)) {
        Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
        Err(e) => Err(stores::explain(&r.url, "delete", &e)),
    }
}

/// Remove a folder and everything in it, or every object under the prefix `p/`.
pub fn remove_all(p: &Path) -> Result<()> {
    if !is_remote(p) {
        unlink_files_in_parallel(p);
        return absent_ok(std::fs::remove_dir_all(p), p);
    }
    for (o, _) in list_prefix(p)? {
        remove(&o)?;
    }
    Ok(())
}

/// Unlink the files under local folder `p` on a few threads, largest first (errors are left
/// to the `remove_dir_all` that follows, which also removes the folders).
/// - Why: where the filesystem is mounted with `discard`, an unlink waits for the device to
///   trim the file's blocks: 0.175 s for a 400 MB spool on the bench VM, 1–8 ms for a small
///   file, and the end of a run waited for each in turn. In parallel it waits about as long as
///   the largest file (the expensive part runs after the folder's lock is released).
/// - Symlinks are unlinked, never followed (`walk` does not follow them).
fn unlink_files_in_parallel(p: &Path) {
    let mut files = Vec::new();
    walk(p, &mut files);
    files.sort_by_key(|f| std::cmp::Reverse(f.1));
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..files.len().min(4) {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some((f, _)) = files.get(i) else { break };
                    let _ = std::fs::remove_file(f);
                }
            });
        }
    });
}

/// A removal's result, where "it was not there" is success.
fn absent_ok(r: std::io::Result<()>, p: &Path) -> Result<()> {
    match r {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("cannot remove {}", p.display()))
        }
        _ => Ok(()),
    }
}

/// Every object under the prefix `p/` (recursively), as (location, size), sorted; local: the
/// files under folder `p`. A missing folder or prefix is empty.
pub fn list_prefix(p: &Path) -> Result<Vec<(PathBuf, u64)>> {
    if !is_remote(p) {
        let mut out = Vec::new();
        walk(p, &mut out);
        out.sort();
        return Ok(out);
    }
    let r = stores::remote(url(p))?;
    let base = url(p).trim_end_matches('/');
    let root = stores::split_url(base).map_or("", |(_, _, k)| k);
    let prefix = (!root.is_empty()).then_some(&r.key);
    let metas: Vec<object_store::ObjectMeta> =
        stores::block(&r.url, "list", r.store.list(prefix).try_collect())?;
    // `s3://b/` before every key (also for the bucket root, whose URL has no slash)
    let head = format!("{}/", base[..base.len() - root.len()].trim_end_matches('/'));
    let mut out: Vec<(PathBuf, u64)> = metas
        .into_iter()
        .map(|m| (PathBuf::from(format!("{head}{}", m.location)), m.size))
        .collect();
    out.sort();
    if let Ok(mut l) = listed().lock() {
        l.extend(out.iter().map(|(p, n)| (url(p).to_string(), *n)));
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<(PathBuf, u64)>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        match e.metadata() {
            Ok(m) if m.is_dir() => walk(&p, out),
            Ok(m) => out.push((p, m.len())),
            Err(_) => {}
        }
    }
}

/// Objects matching a glob over keys (`s3://b/crawl/*/x-*.warc.gz`; `*` stays within one
/// `/` level, `**` crosses them), or every object under a prefix when `pattern` has no glob
/// characters and is not an object itself. Remote only; sorted.
pub fn list_glob(pattern: &str) -> Result<Vec<(PathBuf, u64)>> {
    let first = pattern.find(['*', '?', '[']).unwrap_or(pattern.len());
    if first == pattern.len() {
        let p = Path::new(pattern);
        if url(p).starts_with("http") || exists(p)? {
            return Ok(vec![(p.to_path_buf(), size(p)?)]);
        }
        return list_prefix(p);
    }
    let dir = &pattern[..pattern[..first].rfind('/').unwrap_or(0)];
    let glob = glob::Pattern::new(pattern)
        .with_context(|| format!("bad glob pattern {}", redact(pattern)))?;
    let opts = glob::MatchOptions {
        require_literal_separator: true,
        ..Default::default()
    };
    Ok(list_prefix(Path::new(dir))?
        .into_iter()
        .filter(|(p, _)| glob.matches_with(url(p), opts))
        .collect())
}

/// Tests of other crates: serve `scheme://bucket` from a fresh in-memory store, no server.
#[doc(hidden)]
pub fn serve_from_memory(bucket: &str) {
    stores::register(
        bucket,
        std::sync::Arc::new(object_store::memory::InMemory::new()),
    );
}

/// The store's message for a missing object is long; callers that expect absence use this.
pub fn read_opt(p: &Path) -> Result<Option<Vec<u8>>> {
    if exists(p)? {
        read(p).map(Some)
    } else {
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Seek, SeekFrom, Write};
    use std::sync::Arc;

    use super::*;

    /// A local tree goes whole (files unlinked in parallel first); a symlink in it is removed,
    /// never followed.
    #[test]
    fn remove_all_removes_a_local_tree_without_following_links() {
        let d = std::env::temp_dir().join(format!("skypile-rmall-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        let tree = d.join("tree");
        for sub in ["a/b", "c"] {
            std::fs::create_dir_all(tree.join(sub)).unwrap();
        }
        for (i, f) in ["a/1", "a/b/2", "a/b/3", "c/4", "5"].iter().enumerate() {
            std::fs::write(tree.join(f), data(i * 1000)).unwrap();
        }
        let outside = d.join("keep");
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(outside.join("x"), b"x").unwrap();
        std::os::unix::fs::symlink(&outside, tree.join("c/link")).unwrap();
        remove_all(&tree).unwrap();
        assert!(!tree.exists());
        assert!(outside.join("x").exists(), "the link's target is kept");
        remove_all(&tree).unwrap(); // already gone: fine
        std::fs::remove_dir_all(&d).unwrap();
    }

    /// Deterministic bytes that differ at every offset of interest.
    fn data(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i * 7 + i / 251) as u8).collect()
    }

    fn mem(bucket: &str) {
        stores::register(
            &format!("s3://{bucket}"),
            Arc::new(object_store::memory::InMemory::new()),
        );
    }

    /// Chunks are 8 MiB: a 20 MiB object crosses two chunk edges; seeks land inside the
    /// current chunk, before it, and past the read-ahead.
    #[test]
    fn multipart_write_then_ranged_reads_give_the_bytes_back() {
        mem("rw");
        let p = Path::new("s3://rw/dir/big.bin");
        let want = data(20 << 20);
        let mut w = create(p).unwrap();
        for piece in want.chunks(1 << 20) {
            w.write_all(piece).unwrap();
        }
        assert!(!exists(p).unwrap(), "visible before finish");
        assert_eq!(w.finish().unwrap(), want.len() as u64);
        assert_eq!(size(p).unwrap(), want.len() as u64);

        let mut r = open(p).unwrap();
        let mut got = Vec::new();
        r.read_to_end(&mut got).unwrap();
        assert!(got == want, "sequential read differs");
        for at in [9 << 20, (8 << 20) - 3, 5, (19 << 20) + 11] {
            r.seek(SeekFrom::Start(at as u64)).unwrap();
            let mut b = [0u8; 4096];
            r.read_exact(&mut b[..100]).unwrap();
            assert_eq!(&b[..100], &want[at..at + 100], "at {at}");
        }
    }

    #[test]
    fn a_dropped_writer_leaves_no_object() {
        mem("drop");
        let p = Path::new("s3://drop/x/part.parquet");
        let mut w = create(p).unwrap();
        w.write_all(&data(12 << 20)).unwrap();
        drop(w);
        assert!(!exists(p).unwrap());
        assert!(list_prefix(Path::new("s3://drop/x")).unwrap().is_empty());
    }

    #[test]
    fn globs_match_keys_one_level_at_a_time() {
        mem("g");
        for k in [
            "a/1.warc.gz",
            "a/2.warc.gz",
            "a/sub/3.warc.gz",
            "a/4.jsonl",
            "b/5.warc.gz",
        ] {
            write_atomic(&Path::new("s3://g").join(k), b"x").unwrap();
        }
        let names = |pat: &str| -> Vec<String> {
            list_glob(pat)
                .unwrap()
                .into_iter()
                .map(|(p, _)| p.to_string_lossy().into_owned())
                .collect()
        };
        assert_eq!(
            names("s3://g/a/*.warc.gz"),
            ["s3://g/a/1.warc.gz", "s3://g/a/2.warc.gz"]
        );
        assert_eq!(names("s3://g/*/5.*"), ["s3://g/b/5.warc.gz"]);
        assert_eq!(names("s3://g/a/**/*.warc.gz").len(), 3);
        // no glob characters: a prefix lists everything under it, an object itself
        assert_eq!(names("s3://g/a").len(), 4);
        assert_eq!(names("s3://g/a/4.jsonl"), ["s3://g/a/4.jsonl"]);
        remove_all(Path::new("s3://g/a")).unwrap();
        assert_eq!(names("s3://g/b"), ["s3://g/b/5.warc.gz"]);
        assert_eq!(names("s3://g/a"), Vec::<String>::new());
    }
}
