//! MinHash stages 2 and 3: bucket sorting per band, then a deterministic union-find.
//!
//! Node ids are `task << 32 | idx` (idx = position of the doc in its task's push order); the
//! task's `mh-keys-t{t}.bin` maps idx to its `DocKey`. Components do not depend on how docs
//! were split into tasks or on the order pairs arrive; the kept doc of a cluster is the one with
//! the smallest `DocKey`, so the result is the same for any task, rank or worker count.
//!
//! Memory (bytes, N = docs of the run, one rank at a time):
//! * `minhash_buckets`, per band: 16·N (the band's `(hash, node)` records, sorted in place).
//! * `minhash_cluster`: 20·N: parent u32 + size u32 + smallest key per root (u32 file + u64
//!   offset), dense over all docs so it does not depend on the duplicate rate.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use skypile_core::Counters;

use crate::files::{RecReader, RecWriter, header_count, read_infos, u32_at, u64_at, u128_at};

pub const KIND: &str = "mh";
/// Fixed buffers of one reduce rank (reader, writer, checksum pass) and the process itself.
pub const BASE_BYTES: u64 = 8 << 20;

pub fn band_path(dir: &Path, t: usize, b: usize) -> PathBuf {
    dir.join(format!("mh-t{t:05}-b{b:03}.bin"))
}
pub fn keys_path(dir: &Path, t: usize) -> PathBuf {
    dir.join(format!("mh-keys-t{t:05}.bin"))
}
pub fn pairs_path(dir: &Path, b: usize) -> PathBuf {
    dir.join(format!("mh-pairs-b{b:03}.bin"))
}
pub fn decisions_path(dir: &Path, t: usize) -> PathBuf {
    dir.join(format!("mh-decisions-t{t:05}.bin"))
}

/// Stage 2, one band: sort `(band hash, node)` of all tasks and link every doc of a bucket to
/// the bucket's smallest node (a star: n-1 pairs per bucket instead of n²/2).
pub fn buckets(dir: &Path, band: usize, config_hash: u64) -> Result<Counters> {
    let tasks = read_infos(dir, KIND, config_hash)?.len();
    let mut total = 0u64;
    for t in 0..tasks {
        total += header_count(&band_path(dir, t, band))?;
    }
    let mut recs: Vec<(u64, u64)> = Vec::new();
    recs.try_reserve_exact(total as usize)?;
    for t in 0..tasks {
        let mut r = RecReader::<16>::open(&band_path(dir, t, band), "mhband", config_hash)?;
        while let Some(b) = r.next_rec()? {
            recs.push((u64_at(&b, 0), u64_at(&b, 8)));
        }
    }
    recs.sort_unstable();
    let mut w = RecWriter::create(&pairs_path(dir, band), "mhpairs", config_hash)?;
    let mut head: Option<(u64, u64)> = None;
    for &(h, node) in &recs {
        match head {
            Some((hh, first)) if hh == h => {
                let mut rec = [0u8; 16];
                rec[..8].copy_from_slice(&first.to_le_bytes());
                rec[8..].copy_from_slice(&node.to_le_bytes());
                w.put(&rec)?;
            }
            _ => head = Some((h, node)),
        }
    }
    let mut c = Counters::default();
    c.add("candidate_pairs", w.finish()?);
    Ok(c)
}

fn find(parent: &mut [u32], mut x: u32) -> u32 {
    // path halving; indices come from checked dense ids, `get` keeps it panic-free anyway
    while let Some(&p) = parent.get(x as usize) {
        if p == x {
            break;
        }
        let gp = parent.get(p as usize).copied().unwrap_or(p);
        if let Some(slot) = parent.get_mut(x as usize) {
            *slot = gp;
        }
        x = gp;
    }
    x
}

/// Stage 3: union-find over every band's pairs, then per-task decisions:
/// `mh-decisions-t{t}.bin` = `(key u128, value u32)` for docs in clusters of 2 or more,
/// value 0 = remove, else the cluster size (the kept doc).
pub fn cluster(dir: &Path, bands: usize, config_hash: u64) -> Result<Counters> {
    let docs = read_infos(dir, KIND, config_hash)?;
    let mut offset = Vec::with_capacity(docs.len());
    let mut n = 0u64;
    for d in &docs {
        offset.push(n);
        n += d;
    }
    if n >= u32::MAX as u64 {
        bail!(
            "{} docs in one minhash run: more than the u32 union-find supports",
            n
        );
    }
    let mut parent: Vec<u32> = (0..n as u32).collect();
    for b in 0..bands {
        let mut r = RecReader::<16>::open(&pairs_path(dir, b), "mhpairs", config_hash)?;
        while let Some(rec) = r.next_rec()? {
            let mut g = [0u32; 2];
            for (slot, node) in g.iter_mut().zip([u64_at(&rec, 0), u64_at(&rec, 8)]) {
                let (t, idx) = ((node >> 32) as usize, node & 0xffff_ffff);
                match (docs.get(t), offset.get(t)) {
                    (Some(&d), Some(&o)) if idx < d => *slot = (o + idx) as u32,
                    _ => bail!(
                        "{}: node {node:#x} names no doc of this run",
                        r.path().display()
                    ),
                }
            }
            let (ra, rb) = (find(&mut parent, g[0]), find(&mut parent, g[1]));
            // link the larger root under the smaller: the final sets do not depend on order
            if ra != rb {
                let (lo, hi) = (ra.min(rb), ra.max(rb));
                if let Some(s) = parent.get_mut(hi as usize) {
                    *s = lo;
                }
            }
        }
    }
    let mut size = vec![0u32; n as usize];
    for g in 0..n as u32 {
        let r = find(&mut parent, g);
        if let Some(s) = size.get_mut(r as usize) {
            *s += 1;
        }
    }
    // smallest DocKey per root, from the keys files (streamed, in dense order)
    let mut best_file = vec![u32::MAX; n as usize];
    let mut best_off = vec![u64::MAX; n as usize];
    let root_of = |parent: &[u32], g: usize| parent.get(g).copied().unwrap_or(0) as usize;
    for_each_key(dir, &docs, &offset, config_hash, |g, key| {
        let r = root_of(&parent, g);
        if size.get(r).copied().unwrap_or(0) > 1 {
            let (f, o) = ((key >> 64) as u32, key as u64);
            if let (Some(bf), Some(bo)) = (best_file.get_mut(r), best_off.get_mut(r))
                && (f, o) < (*bf, *bo)
            {
                (*bf, *bo) = (f, o);
            }
        }
        Ok(())
    })?;
    let mut c = Counters::default();
    let mut writer: Option<(usize, RecWriter)> = None;
    let mut t_of = 0usize;
    for_each_key(dir, &docs, &offset, config_hash, |g, key| {
        while offset.get(t_of + 1).is_some_and(|&o| g as u64 >= o) {
            t_of += 1;
        }
        if writer.as_ref().is_none_or(|(t, _)| *t != t_of) {
            if let Some((_, w)) = writer.take() {
                w.finish()?;
            }
            writer = Some((
                t_of,
                RecWriter::create(&decisions_path(dir, t_of), "mhdec", config_hash)?,
            ));
        }
        let r = root_of(&parent, g);
        let sz = size.get(r).copied().unwrap_or(0);
        if sz > 1
            && let Some((_, w)) = writer.as_mut()
        {
            let keeper = best_file.get(r) == Some(&((key >> 64) as u32))
                && best_off.get(r) == Some(&(key as u64));
            let mut rec = [0u8; 20];
            rec[..16].copy_from_slice(&key.to_le_bytes());
            rec[16..].copy_from_slice(&(if keeper { sz } else { 0 }).to_le_bytes());
            w.put(&rec)?;
            c.inc(if keeper {
                "clusters"
            } else {
                "minhash_removed"
            });
            c.inc("docs_in_clusters");
        }
        Ok(())
    })?;
    if let Some((_, w)) = writer.take() {
        w.finish()?;
    }
    // tasks without docs still get their (empty) decisions file
    for (t, d) in docs.iter().enumerate() {
        if *d == 0 {
            RecWriter::create(&decisions_path(dir, t), "mhdec", config_hash)?.finish()?;
        }
    }
    Ok(c)
}

fn for_each_key(
    dir: &Path,
    docs: &[u64],
    offset: &[u64],
    config_hash: u64,
    mut f: impl FnMut(usize, u128) -> Result<()>,
) -> Result<()> {
    for (t, (&d, &o)) in docs.iter().zip(offset).enumerate() {
        let mut r = RecReader::<16>::open(&keys_path(dir, t), "mhkeys", config_hash)?;
        if r.count() != d {
            bail!(
                "{}: {} keys, the task info says {d} docs",
                r.path().display(),
                r.count()
            );
        }
        let mut i = 0u64;
        while let Some(rec) = r.next_rec()? {
            f((o + i) as usize, u128_at(&rec, 0))?;
            i += 1;
        }
    }
    Ok(())
}

/// The applier's view: `(key, value)` of task `t`'s docs in clusters.
pub fn read_decisions(dir: &Path, t: usize, config_hash: u64) -> Result<Vec<(u128, u32)>> {
    let mut r = RecReader::<20>::open(&decisions_path(dir, t), "mhdec", config_hash)?;
    let mut v = Vec::with_capacity(r.count() as usize);
    while let Some(rec) = r.next_rec()? {
        v.push((u128_at(&rec, 0), u32_at(&rec, 16)));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn union_find_links_to_the_smallest_root_in_any_order() {
        let edges = [(5u32, 3u32), (3, 9), (1, 2), (9, 0), (7, 8)];
        let mut a: Vec<u32> = (0..10).collect();
        let mut b: Vec<u32> = (0..10).collect();
        for (parent, es) in [
            (&mut a, edges.to_vec()),
            (&mut b, edges.iter().rev().copied().collect()),
        ] {
            for (x, y) in es {
                let (rx, ry) = (find(parent, x), find(parent, y));
                if rx != ry {
                    parent[rx.max(ry) as usize] = rx.min(ry);
                }
            }
        }
        let ra: Vec<u32> = (0..10).map(|g| find(&mut a, g)).collect();
        let rb: Vec<u32> = (0..10).map(|g| find(&mut b, g)).collect();
        assert_eq!(ra, rb);
        assert_eq!(ra, vec![0, 1, 1, 0, 4, 0, 6, 7, 7, 0]);
    }
}
