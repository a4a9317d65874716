//! URL dedup: captures of the same page (same normalised URL, `urlkey::normalize`) across
//! snapshots or recrawls keep one, as datatrove's `UrlDedup` does. Which one (`keep`):
//! * `latest` (default): the newest `date` (WARC-Date), then the longest text;
//! * `longest`: the longest text (bytes), then the newest date;
//! * `first`: the first read.
//!
//! Ties always go to the smallest `DocKey` (input file order, then offset), so the choice
//! depends only on the docs, never on task or rank counts. Docs without a URL are kept.
//!
//! Files: doc stage `url-t{t}-p{p}.bin` `(url u128, date u64, len u64, key u128, task u32)`,
//! partitioned by URL hash; reduce `url_dedup` rank p: `url-remove-p{p}-t{t}.bin` (keys task t
//! drops). Memory per rank: 52 B per doc of its partition.

use std::path::{Path, PathBuf};

use anyhow::Result;
use serde::{Deserialize, Serialize};
use skypile_core::binfile::config_hash;
use skypile_core::{Applier, Collector, Counters, Doc, GlobalStep, StageCtx};
use xxhash_rust::xxh3::xxh3_128;

use crate::files::{
    KeyedCollector, Partitioned, RecReader, RemovalApplier, partitions, read_infos, read_removals,
    u32_at, u64_at, u128_at, write_removals,
};
use crate::urlkey;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum KeepRule {
    Latest,
    Longest,
    First,
}

/// Captures of the same page (normalised URL) across snapshots keep one (datatrove `UrlDedup`).
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct UrlDedupConfig {
    /// Which capture of a URL survives; ties go to the first read.
    pub keep: KeepRule,
}

impl Default for UrlDedupConfig {
    fn default() -> Self {
        UrlDedupConfig {
            keep: KeepRule::Latest,
        }
    }
}

pub struct UrlDedup {
    hash: u64,
    keep: KeepRule,
}

const KIND: &str = "url";
const REC: usize = 52;

impl UrlDedup {
    pub fn new(cfg: UrlDedupConfig) -> Self {
        UrlDedup {
            hash: config_hash(&("url_dedup", &cfg)),
            keep: cfg.keep,
        }
    }
}

fn part_path(dir: &Path, t: usize, p: usize) -> PathBuf {
    dir.join(format!("url-t{t:05}-p{p:05}.bin"))
}

fn remove_path(dir: &Path, p: usize, t: usize) -> PathBuf {
    dir.join(format!("url-remove-p{p:05}-t{t:05}.bin"))
}

/// `2024-05-01T12:30:00Z` → 20240501123000: the first 14 digits, zero-padded, so any ISO-like
/// date orders correctly; no or garbled date → 0 (oldest).
fn date_rank(date: Option<&str>) -> u64 {
    let digits: String = date
        .unwrap_or("")
        .chars()
        .filter(char::is_ascii_digit)
        .take(14)
        .collect();
    format!("{digits:0<14}").parse().unwrap_or(0)
}

/// One capture as the reduce sees it.
struct Capture {
    url: u128,
    date: u64,
    len: u64,
    key: u128,
    task: u32,
}

impl UrlDedup {
    /// Sort key within a URL: the capture to keep comes first.
    fn preference(&self, c: &Capture) -> (u128, std::cmp::Reverse<(u64, u64)>, u128) {
        let rank = match self.keep {
            KeepRule::Latest => (c.date, c.len),
            KeepRule::Longest => (c.len, c.date),
            KeepRule::First => (0, 0),
        };
        (c.url, std::cmp::Reverse(rank), c.key)
    }
}

impl GlobalStep for UrlDedup {
    fn name(&self) -> &str {
        "url_dedup"
    }

    fn config_hash(&self) -> u64 {
        self.hash
    }

    /// (url, date, len, key, task) per doc with a URL.
    fn observation_bytes(&self, docs: u64, _text_bytes: f64) -> u64 {
        docs * 52
    }

    /// The sorted records of one partition.
    fn reduce_memory(&self, _stage: &str, docs: u64, ranks: usize) -> u64 {
        docs.div_ceil(ranks.max(1) as u64) * 52
    }

    fn observe(&self, doc: &Doc) -> Vec<u8> {
        let Some(u) = doc.url.as_deref().and_then(urlkey::normalize) else {
            return Vec::new();
        };
        let mut o = Vec::with_capacity(32);
        o.extend_from_slice(&xxh3_128(u.as_bytes()).to_le_bytes());
        o.extend_from_slice(&date_rank(doc.meta_str("date")).to_le_bytes());
        o.extend_from_slice(&(doc.text().len() as u64).to_le_bytes());
        o
    }

    fn collector(&self, ctx: &StageCtx) -> Result<Box<dyn Collector>> {
        Ok(Box::new(KeyedCollector {
            parts: Partitioned::create(ctx, KIND, part_path)?,
            obs_len: 32,
        }))
    }

    fn reduce_stages(&self, tasks: usize) -> Vec<(String, usize)> {
        vec![("url_dedup".into(), partitions(tasks))]
    }

    fn reduce(&self, _stage: &str, ctx: &StageCtx) -> Result<Counters> {
        let tasks = read_infos(&ctx.dir, KIND, ctx.config_hash)?.len();
        let mut caps: Vec<Capture> = Vec::new();
        for t in 0..tasks {
            let path = part_path(&ctx.dir, t, ctx.task);
            let mut r = RecReader::<REC>::open(&path, KIND, ctx.config_hash)?;
            caps.reserve(r.count() as usize);
            while let Some(b) = r.next_rec()? {
                caps.push(Capture {
                    url: u128_at(&b, 0),
                    date: u64_at(&b, 16),
                    len: u64_at(&b, 24),
                    key: u128_at(&b, 32),
                    task: u32_at(&b, 48),
                });
            }
        }
        caps.sort_unstable_by_key(|c| self.preference(c));
        let mut out: Vec<Vec<u128>> = vec![Vec::new(); tasks];
        let mut c = Counters::default();
        for (i, cap) in caps.iter().enumerate() {
            let dup = i > 0 && caps.get(i - 1).is_some_and(|prev| prev.url == cap.url);
            if dup {
                if let Some(v) = out.get_mut(cap.task as usize) {
                    v.push(cap.key);
                }
                c.inc("url_duplicates");
            }
        }
        write_removals(ctx, "urlrm", remove_path, &mut out)?;
        Ok(c)
    }

    fn applier(&self, ctx: &StageCtx) -> Result<Box<dyn Applier>> {
        let remove = read_removals(ctx, "urlrm", remove_path)?;
        Ok(Box::new(RemovalApplier {
            remove,
            reason: "url_duplicate",
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harness::{Order, run, tmpdir};
    use skypile_core::DocKey;

    /// (url, date, text): three captures of /a, two of /b (one via https + tracking), one
    /// without URL, one unique.
    fn docs() -> Vec<Doc> {
        [
            (Some("http://ex.com/a"), "2023-01-01T00:00:00Z", "old short"),
            (Some("http://ex.com/b"), "2023-01-01T00:00:00Z", "b first"),
            (Some("https://www.ex.com/a"), "2024-06-01T00:00:00Z", "new"),
            (None, "", "no url"),
            (
                Some("http://ex.com/a#x"),
                "2022-01-01T00:00:00Z",
                "oldest but longest",
            ),
            (
                Some("https://ex.com/b?utm_source=x"),
                "2023-01-01T00:00:00Z",
                "b seen again",
            ),
            (Some("http://ex.com/c"), "", "c"),
        ]
        .iter()
        .enumerate()
        .map(|(i, (u, date, t))| {
            let mut d = Doc::from_text(format!("d{i}"), *t);
            d.url = u.map(str::to_string);
            d.set_meta("date", *date);
            d.key = DocKey::new(i as u32 / 3, (i % 3) as u64);
            d
        })
        .collect()
    }

    fn kept(keep: KeepRule, tasks: usize, order: Order) -> Vec<String> {
        let step = UrlDedup::new(UrlDedupConfig { keep });
        let dir = tmpdir(&format!("url-{keep:?}-{tasks}"));
        let out = run(&step, docs(), tasks, &dir, order).unwrap();
        assert_eq!(out.dropped.get("url_duplicate"), 3);
        assert_eq!(out.reduce.get("url_duplicates"), 3);
        out.kept.iter().map(|d| d.id.clone()).collect()
    }

    #[test]
    fn each_rule_keeps_one_capture_whatever_the_task_count() {
        for (tasks, order) in [(1, Order::Forward), (3, Order::Reverse)] {
            // b: same date and /b's two texts: "b again" is longer under latest/longest
            assert_eq!(
                kept(KeepRule::Latest, tasks, order),
                ["d2", "d3", "d5", "d6"]
            );
            assert_eq!(
                kept(KeepRule::Longest, tasks, order),
                ["d3", "d4", "d5", "d6"]
            );
            assert_eq!(
                kept(KeepRule::First, tasks, order),
                ["d0", "d1", "d3", "d6"]
            );
        }
    }

    #[test]
    fn dates_order_as_numbers() {
        assert!(date_rank(Some("2024-06-01T00:00:00Z")) > date_rank(Some("2023-12-31")));
        assert_eq!(date_rank(Some("garbage")), 0);
        assert_eq!(date_rank(None), 0);
    }
}
