//! Exact dedup on normalised text: documents whose normalised text (lower case, digits folded,
//! punctuation/whitespace removed, full-width folded; `skypile_core::text::normalize_for_hash`)
//! has the same xxh3-128 are copies, and only the first by `DocKey` (input file order, then
//! offset) is kept, as in SkyPile's exact-match stage and FineWeb/datatrove's `ExactDedup`.
//!
//! Files (all checksummed, config-hash tagged):
//! * doc stage, task t: `exact-t{t}-p{p}.bin`: `(hash u128, key u128, task u32)` per doc,
//!   hash-partitioned into `P = files::partitions(T)` parts; `exact-t{t}.info` last.
//! * reduce `exact_dedup`, rank p: `exact-remove-p{p}-t{t}.bin`: keys (u128) task t drops.
//!   Memory per rank: 48 B per doc of its partition.

use std::path::{Path, PathBuf};

use anyhow::Result;
use serde::{Deserialize, Serialize};
use skypile_core::binfile::config_hash;
use skypile_core::text::normalize_for_hash;
use skypile_core::{Applier, Collector, Counters, Doc, GlobalStep, StageCtx};
use xxhash_rust::xxh3::xxh3_128;

use crate::files::{
    KeyedCollector, Partitioned, RecReader, RemovalApplier, partitions, read_infos, read_removals,
    u32_at, u128_at, write_removals,
};

/// Drops exact duplicates (hash of the normalised text), keeping the first.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ExactDedupConfig {
    /// Hash the normalised text (default) rather than the raw bytes: copies that differ only
    /// in spacing, punctuation, width or digits are still copies.
    pub normalize: bool,
}

impl Default for ExactDedupConfig {
    fn default() -> Self {
        ExactDedupConfig { normalize: true }
    }
}

pub struct ExactDedup {
    cfg: ExactDedupConfig,
    hash: u64,
}

const KIND: &str = "exact";
const REC: usize = 36;

impl ExactDedup {
    pub fn new(cfg: ExactDedupConfig) -> Self {
        let hash = config_hash(&("exact_dedup", &cfg));
        ExactDedup { cfg, hash }
    }
}

fn part_path(dir: &Path, t: usize, p: usize) -> PathBuf {
    dir.join(format!("exact-t{t:05}-p{p:05}.bin"))
}

fn remove_path(dir: &Path, p: usize, t: usize) -> PathBuf {
    dir.join(format!("exact-remove-p{p:05}-t{t:05}.bin"))
}

impl GlobalStep for ExactDedup {
    fn name(&self) -> &str {
        "exact_dedup"
    }

    /// (hash, key, task) per doc.
    fn observation_bytes(&self, docs: u64, _text_bytes: f64) -> u64 {
        docs * 36
    }

    /// The sorted (hash, key, task) records of one partition, with sort headroom.
    fn reduce_memory(&self, _stage: &str, docs: u64, ranks: usize) -> u64 {
        docs.div_ceil(ranks.max(1) as u64) * 48
    }

    fn config_hash(&self) -> u64 {
        self.hash
    }

    fn observe(&self, doc: &Doc) -> Vec<u8> {
        let h = if self.cfg.normalize {
            let n = normalize_for_hash(doc.text());
            if n.is_empty() {
                return Vec::new();
            }
            xxh3_128(n.as_bytes())
        } else {
            xxh3_128(doc.text().as_bytes())
        };
        h.to_le_bytes().to_vec()
    }

    fn collector(&self, ctx: &StageCtx) -> Result<Box<dyn Collector>> {
        Ok(Box::new(KeyedCollector {
            parts: Partitioned::create(ctx, KIND, part_path)?,
            obs_len: 16,
        }))
    }

    fn reduce_stages(&self, tasks: usize) -> Vec<(String, usize)> {
        vec![("exact_dedup".into(), partitions(tasks))]
    }

    fn reduce(&self, _stage: &str, ctx: &StageCtx) -> Result<Counters> {
        let tasks = read_infos(&ctx.dir, KIND, ctx.config_hash)?.len();
        let p = ctx.task;
        let mut recs: Vec<(u128, u128, u32)> = Vec::new();
        for t in 0..tasks {
            let mut r = RecReader::<REC>::open(&part_path(&ctx.dir, t, p), KIND, ctx.config_hash)?;
            recs.reserve(r.count() as usize);
            while let Some(b) = r.next_rec()? {
                recs.push((u128_at(&b, 0), u128_at(&b, 16), u32_at(&b, 32)));
            }
        }
        recs.sort_unstable();
        let mut out: Vec<Vec<u128>> = vec![Vec::new(); tasks];
        let mut c = Counters::default();
        for (i, &(h, key, task)) in recs.iter().enumerate() {
            let dup = i > 0 && recs.get(i - 1).is_some_and(|prev| prev.0 == h);
            if dup {
                if let Some(v) = out.get_mut(task as usize) {
                    v.push(key);
                }
                c.inc("exact_duplicates");
            }
        }
        write_removals(ctx, "exactrm", remove_path, &mut out)?;
        Ok(c)
    }

    fn applier(&self, ctx: &StageCtx) -> Result<Box<dyn Applier>> {
        let remove = read_removals(ctx, "exactrm", remove_path)?;
        Ok(Box::new(RemovalApplier {
            remove,
            reason: "exact_duplicate",
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harness::{Order, run, tmpdir};
    use skypile_core::DocKey;

    fn docs() -> Vec<Doc> {
        [
            "Hello, world! 2024",
            "other text",
            "hello world 1999",
            "HELLO   WORLD 1234",
            "other text.",
        ]
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let mut d = Doc::from_text(format!("d{i}"), *t);
            d.key = DocKey::new(i as u32 / 2, (i % 2) as u64 * 100);
            d
        })
        .collect()
    }

    #[test]
    fn copies_after_normalisation_are_dropped_and_the_first_kept() {
        for (tasks, order) in [
            (1, Order::Forward),
            (2, Order::Reverse),
            (3, Order::Forward),
        ] {
            let step = ExactDedup::new(ExactDedupConfig::default());
            let dir = tmpdir(&format!("exact-{tasks}"));
            let out = run(&step, docs(), tasks, &dir, order).unwrap();
            let kept: Vec<&str> = out.kept.iter().map(|d| d.id.as_str()).collect();
            assert_eq!(kept, vec!["d0", "d1"], "tasks={tasks}");
            assert_eq!(out.dropped.get("exact_duplicate"), 3);
            assert_eq!(out.reduce.get("exact_duplicates"), 3);
        }
    }

    #[test]
    fn a_corrupted_partition_stops_reduce_naming_the_file() {
        let step = ExactDedup::new(ExactDedupConfig::default());
        let dir = tmpdir("exact-corrupt");
        let f = part_path(&dir, 0, 0);
        let e = crate::harness::err_of(crate::harness::run_corrupting(&step, docs(), &dir, &f));
        assert!(e.contains("exact-t00000-p00000.bin"), "{e}");
    }
}
