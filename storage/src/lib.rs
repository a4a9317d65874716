//! skypile-storage: local paths and object-store URLs behind one blocking API.
//!
//! - A location is a `Path`: a local path, or a URL (`s3://bucket/key`, `gs://`, `az://`,
//!   read-only `http(s)://`) kept as the path's text, so the rest of skypile joins and names
//!   locations the same way for both (`Path::join` keeps `s3://b/run1` + `data` as
//!   `s3://b/run1/data`).
//! - Remote calls go through the Arrow project's `object_store` on one shared tokio runtime;
//!   callers stay synchronous.
//! - Local paths keep the exact behaviour of before (temp + fsync + rename commits), so a local
//!   output folder is byte for byte what it was.

use std::io::{Read, Seek};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use futures::TryStreamExt;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

mod config;
mod read;
mod stores;
mod write;

pub use config::{StorageConfig, configure};
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

/// Size in bytes of a file or object (an error if it does not exist).
pub fn size(p: &Path) -> Result<u64> {
    if !is_remote(p) {
        return Ok(std::fs::metadata(p)
            .with_context(|| format!("{} does not exist", p.display()))?
            .len());
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

/// Open for streaming reads (ranged GETs with read-ahead for objects).
pub fn open(p: &Path) -> Result<Box<dyn ReadSeek>> {
    if !is_remote(p) {
        let f = std::fs::File::open(p).with_context(|| format!("opening {}", p.display()))?;
        return Ok(Box::new(f));
    }
    let r = stores::remote(url(p))?;
    let size = stores::block(&r.url, "open", r.store.head(&r.key))?.size;
    Ok(Box::new(RangeReader::new(r, size)))
}

/// Write a file or object whole: local = unique temp, fsync, rename, fsync folder; remote =
/// one PUT (atomic: readers see the old object or the new one).
pub fn write_atomic(p: &Path, bytes: &[u8]) -> Result<()> {
    if !is_remote(p) {
        return skypile_core::durable::write_atomic(p, bytes);
    }
    let r = stores::remote(url(p))?;
    let put = r.store.put(&r.key, PutPayload::from(bytes.to_vec()));
    stores::block(&r.url, "write", put).map(|_| ())
}

/// Start writing a file or object; it appears under its name only at [`Writer::finish`].
pub fn create(p: &Path) -> Result<Writer> {
    if !is_remote(p) {
        return Writer::local(p);
    }
    reject_read_only(p)?;
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
        return match std::fs::remove_file(p) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(e).with_context(|| format!("cannot remove {}", p.display()))
            }
            _ => Ok(()),
        };
    }
    let r = stores::remote(url(p))?;
    match stores::runtime().block_on(r.store.delete(&r.key)) {
        Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
        Err(e) => Err(stores::explain(&r.url, "delete", &e)),
    }
}

/// Remove a folder and everything in it, or every object under the prefix `p/`.
pub fn remove_all(p: &Path) -> Result<()> {
    if !is_remote(p) {
        return match std::fs::remove_dir_all(p) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(e).with_context(|| format!("cannot remove {}", p.display()))
            }
            _ => Ok(()),
        };
    }
    for (o, _) in list_prefix(p)? {
        remove(&o)?;
    }
    Ok(())
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
    let head = &base[..base.len() - root.len()];
    let mut out: Vec<(PathBuf, u64)> = metas
        .into_iter()
        .map(|m| (PathBuf::from(format!("{head}{}", m.location)), m.size))
        .collect();
    out.sort();
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

/// The store's message for a missing object is long; callers that expect absence use this.
pub fn read_opt(p: &Path) -> Result<Option<Vec<u8>>> {
    if exists(p)? {
        read(p).map(Some)
    } else {
        Ok(None)
    }
}
