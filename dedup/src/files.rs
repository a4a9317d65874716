//! Naming and fixed-size record I/O for the dedup intermediates.
//!
//! All files go through `skypile_core::binfile` (header with magic, kind, version, config hash,
//! count, length, xxh3 checksum; `*.tmp` then rename). On top of that every record kind has a
//! fixed size, and a reader refuses a file whose payload is not `count * size` bytes, so a file
//! of the wrong kind or an old layout is an error naming the file, not garbage records.
//! Each task publishes its `*.info` file last: a task without it did not finish.
//! The work folder may be an object-store URL (`work_dir: s3://...`): every file then goes
//! through skypile-storage (staged and uploaded whole, read back by ranged GETs).

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use skypile_core::binfile::{BinReader, BinWriter};
use skypile_core::{Applier, Collector, Counters, Doc, DocKey, StageCtx, Verdict};
use skypile_storage::{bin_create, bin_header, bin_open};

/// Layout version of every dedup intermediate; bump when a record layout changes.
pub const VERSION: u32 = 1;

/// Hash-partition count of the exact and line reduces. It grows with the task count so no rank
/// holds more than ~1/T of the corpus' hashes; the decisions do not depend on it.
pub fn partitions(tasks: usize) -> usize {
    tasks.max(8)
}

pub fn part_of(hash: u64, parts: usize) -> usize {
    // the top bits: the low bits of the same hash often pick buckets elsewhere
    ((hash >> 32) % parts.max(1) as u64) as usize
}

/// A writer of fixed-size records.
pub struct RecWriter {
    w: BinWriter,
}

impl RecWriter {
    pub fn create(path: &Path, kind: &str, config_hash: u64) -> Result<Self> {
        Ok(RecWriter {
            w: bin_create(path, kind, VERSION, config_hash)?,
        })
    }
    pub fn put(&mut self, rec: &[u8]) -> Result<()> {
        self.w.write(rec)?;
        self.w.end_record();
        Ok(())
    }
    pub fn count(&self) -> u64 {
        self.w.count()
    }
    pub fn finish(self) -> Result<u64> {
        self.w.finish()
    }
}

/// A verified reader of `N`-byte records.
pub struct RecReader<const N: usize> {
    r: BinReader,
}

impl<const N: usize> RecReader<N> {
    pub fn open(path: &Path, kind: &str, config_hash: u64) -> Result<Self> {
        let r = bin_open(path, kind, VERSION, config_hash)?;
        if r.len != r.count.saturating_mul(N as u64) {
            bail!(
                "{}: {} bytes for {} records of {N} bytes: wrong layout or corrupted",
                path.display(),
                r.len,
                r.count
            );
        }
        Ok(RecReader { r })
    }
    pub fn count(&self) -> u64 {
        self.r.count
    }
    pub fn path(&self) -> &Path {
        &self.r.path
    }
    pub fn next_rec(&mut self) -> Result<Option<[u8; N]>> {
        if self.r.at_end() {
            return Ok(None);
        }
        let mut b = [0u8; N];
        self.r.read_exact(&mut b)?;
        Ok(Some(b))
    }
}

/// The record count from a file's header, without verifying it (used only to size buffers;
/// the file is fully verified when it is opened for reading).
pub fn header_count(path: &Path) -> Result<u64> {
    let h = bin_header(path)?;
    let mut c = [0u8; 8];
    c.copy_from_slice(&h[32..40]);
    Ok(u64::from_le_bytes(c))
}

pub fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut x = [0u8; 8];
    if let Some(s) = b.get(at..at + 8) {
        x.copy_from_slice(s);
    }
    u64::from_le_bytes(x)
}

pub fn u128_at(b: &[u8], at: usize) -> u128 {
    let mut x = [0u8; 16];
    if let Some(s) = b.get(at..at + 16) {
        x.copy_from_slice(s);
    }
    u128::from_le_bytes(x)
}

pub fn u32_at(b: &[u8], at: usize) -> u32 {
    let mut x = [0u8; 4];
    if let Some(s) = b.get(at..at + 4) {
        x.copy_from_slice(s);
    }
    u32::from_le_bytes(x)
}

/// The doc-stage writer of the exact and line steps: one file per hash partition, the task's
/// doc count, and its `*.info` published after every part is in place.
pub struct Partitioned {
    ctx: StageCtx,
    kind: &'static str,
    parts: Vec<RecWriter>,
    pub docs: u64,
}

impl Partitioned {
    pub fn create(
        ctx: &StageCtx,
        kind: &'static str,
        path: fn(&Path, usize, usize) -> PathBuf,
    ) -> Result<Self> {
        let parts = (0..partitions(ctx.tasks))
            .map(|p| RecWriter::create(&path(&ctx.dir, ctx.task, p), kind, ctx.config_hash))
            .collect::<Result<Vec<_>>>()?;
        Ok(Partitioned {
            ctx: ctx.clone(),
            kind,
            parts,
            docs: 0,
        })
    }

    pub fn task(&self) -> usize {
        self.ctx.task
    }

    /// Append `rec` to the partition of `hash`.
    pub fn put(&mut self, hash: u64, rec: &[u8]) -> Result<()> {
        let n = self.parts.len();
        match self.parts.get_mut(part_of(hash, n)) {
            Some(w) => w.put(rec),
            None => Ok(()),
        }
    }

    pub fn finish(self) -> Result<()> {
        for w in self.parts {
            w.finish()?;
        }
        write_info(&self.ctx, self.kind, self.docs)
    }
}

/// Doc-stage collector of the exact and URL steps: an observation of `obs_len` bytes, led by
/// the u128 hash that partitions it, is stored with the doc key (u128) and task (u32); any other
/// length means "nothing to compare" and is skipped.
pub struct KeyedCollector {
    pub parts: Partitioned,
    pub obs_len: usize,
}

impl Collector for KeyedCollector {
    fn push(&mut self, key: DocKey, obs: Vec<u8>) -> Result<()> {
        self.parts.docs += 1;
        if obs.len() != self.obs_len {
            return Ok(());
        }
        let mut rec = obs;
        rec.extend_from_slice(&key.as_u128().to_le_bytes());
        rec.extend_from_slice(&(self.parts.task() as u32).to_le_bytes());
        self.parts.put(u128_at(&rec, 0) as u64, &rec)
    }

    fn finish(self: Box<Self>) -> Result<()> {
        self.parts.finish()
    }
}

/// Applier of the exact and URL steps: drops the keys its reduce listed, with `reason`.
pub struct RemovalApplier {
    pub remove: std::collections::HashSet<u128>,
    pub reason: &'static str,
}

impl Applier for RemovalApplier {
    fn drops_key(&self, key: DocKey) -> Option<&'static str> {
        self.remove.contains(&key.as_u128()).then_some(self.reason)
    }

    fn apply(&self, key: DocKey, _doc: &mut Doc, _stats: &mut Counters) -> Verdict {
        if self.remove.contains(&key.as_u128()) {
            Verdict::drop(self.reason)
        } else {
            Verdict::Keep
        }
    }
}

/// Reduce side of the exact and URL steps: write, for every doc task, the sorted keys it must
/// drop (`out[t]`) to `path(dir, rank, t)`.
pub fn write_removals(
    ctx: &StageCtx,
    kind: &str,
    path: fn(&Path, usize, usize) -> PathBuf,
    out: &mut [Vec<u128>],
) -> Result<()> {
    for (t, keys) in out.iter_mut().enumerate() {
        keys.sort_unstable();
        let mut w = RecWriter::create(&path(&ctx.dir, ctx.task, t), kind, ctx.config_hash)?;
        for k in keys.iter() {
            w.put(&k.to_le_bytes())?;
        }
        w.finish()?;
    }
    Ok(())
}

/// Applier side: the keys doc task `ctx.task` drops, from every reduce rank's file.
pub fn read_removals(
    ctx: &StageCtx,
    kind: &str,
    path: fn(&Path, usize, usize) -> PathBuf,
) -> Result<std::collections::HashSet<u128>> {
    let mut remove = std::collections::HashSet::new();
    for p in 0..partitions(ctx.tasks) {
        let mut r = RecReader::<16>::open(&path(&ctx.dir, p, ctx.task), kind, ctx.config_hash)?;
        while let Some(b) = r.next_rec()? {
            remove.insert(u128_at(&b, 0));
        }
    }
    Ok(remove)
}

fn info_path(dir: &Path, prefix: &str, task: usize) -> PathBuf {
    dir.join(format!("{prefix}-t{task:05}.info"))
}

/// Publish that task `ctx.task` of `ctx.tasks` finished, with its doc count. Written last.
pub fn write_info(ctx: &StageCtx, prefix: &str, docs: u64) -> Result<()> {
    let mut w = RecWriter::create(
        &info_path(&ctx.dir, prefix, ctx.task),
        "info",
        ctx.config_hash,
    )?;
    let mut rec = [0u8; 16];
    rec[..8].copy_from_slice(&(ctx.tasks as u64).to_le_bytes());
    rec[8..].copy_from_slice(&docs.to_le_bytes());
    w.put(&rec)?;
    w.finish()?;
    Ok(())
}

/// The doc-task count of the run and each task's doc count, from the `*.info` files. Every
/// task must have finished under the same config and task count.
pub fn read_infos(dir: &Path, prefix: &str, config_hash: u64) -> Result<Vec<u64>> {
    let first = read_info(dir, prefix, 0, config_hash)?;
    let tasks = first.0;
    if tasks == 0 || tasks > 1 << 24 {
        bail!(
            "{}: implausible task count {tasks}",
            info_path(dir, prefix, 0).display()
        );
    }
    let mut docs = vec![first.1];
    for t in 1..tasks as usize {
        let (n, d) = read_info(dir, prefix, t, config_hash)?;
        if n != tasks {
            bail!(
                "{}: written by a run with {n} tasks, task 0 says {tasks}: stale work dir, rerun the doc stage",
                info_path(dir, prefix, t).display()
            );
        }
        docs.push(d);
    }
    Ok(docs)
}

fn read_info(dir: &Path, prefix: &str, task: usize, config_hash: u64) -> Result<(u64, u64)> {
    let p = info_path(dir, prefix, task);
    let mut r = RecReader::<16>::open(&p, "info", config_hash)?;
    match r.next_rec()? {
        Some(rec) => Ok((u64_at(&rec, 0), u64_at(&rec, 8))),
        None => bail!("{}: empty task info", p.display()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrong_record_size_is_refused_with_the_file_name() {
        let d = std::env::temp_dir().join(format!("skypile-dedup-files-{}", std::process::id()));
        let p = d.join("x.bin");
        let mut w = RecWriter::create(&p, "k", 7).unwrap();
        w.put(&[1u8; 12]).unwrap();
        w.finish().unwrap();
        let e = RecReader::<16>::open(&p, "k", 7).err().unwrap().to_string();
        assert!(e.contains("x.bin") && e.contains("wrong layout"), "{e}");
        assert_eq!(RecReader::<12>::open(&p, "k", 7).unwrap().count(), 1);
        let _ = std::fs::remove_dir_all(&d);
    }
}
