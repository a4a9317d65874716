//! Recurrent-line removal ("distribution filtering" of SkyPile, the line dedup of CCNet):
//! boilerplate such as 版权所有 footers, cookie banners and navigation lines recurs across
//! thousands of pages. Pass 1 counts, for every normalised line, the number of documents that
//! contain it; pass 2 removes lines found in more than `max_occurrences` documents, records
//! `lines_removed`, and drops docs left shorter than `min_doc_chars_after`.
//!
//! CCNet removes every line seen twice within a ~5 GB shard; counting across the whole corpus
//! a higher limit is needed so quotations and common sentences survive (default 20).
//! Lines are counted once per document: repetition inside one page is the repetition filter's
//! job (Gopher), not dedup's.
//!
//! Files: doc stage `lines-t{t}-p{p}.bin` (u64 line hashes, partitioned), reduce `line_count`
//! rank p: `lines-frequent-p{p}.bin` (sorted u64 hashes over the limit). Reduce memory per
//! rank: a hash map of the distinct lines of its partition (~20 B each).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use anyhow::Result;
use serde::{Deserialize, Serialize};
use skypile_core::binfile::config_hash;
use skypile_core::text::normalize_for_hash;
use skypile_core::{
    Applier, ColType, Collector, Column, Counters, Doc, DocKey, GlobalStep, StageCtx, Verdict,
};
use xxhash_rust::xxh3::xxh3_64;

use crate::files::{Partitioned, RecReader, RecWriter, partitions, read_infos, u64_at};

/// Removes lines that recur in many docs of the corpus (menus, footers).
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct LineDedupConfig {
    /// A line found in more than this many documents is removed everywhere.
    pub max_occurrences: u64,
    /// Lines with fewer normalised chars are neither counted nor removed ("Home", "首页", "1").
    pub min_line_chars: usize,
    /// A doc that lost lines and kept fewer chars than this is dropped (`line_dedup_too_short`).
    pub min_doc_chars_after: usize,
}

impl Default for LineDedupConfig {
    fn default() -> Self {
        LineDedupConfig {
            max_occurrences: 20,
            min_line_chars: 5,
            min_doc_chars_after: 50,
        }
    }
}

pub struct LineDedup {
    cfg: LineDedupConfig,
    hash: u64,
}

const KIND: &str = "lines";

fn part_path(dir: &Path, t: usize, p: usize) -> PathBuf {
    dir.join(format!("lines-t{t:05}-p{p:05}.bin"))
}

fn frequent_path(dir: &Path, p: usize) -> PathBuf {
    dir.join(format!("lines-frequent-p{p:05}.bin"))
}

impl LineDedup {
    pub fn new(cfg: LineDedupConfig) -> Self {
        // the counting part only: min_doc_chars_after acts in the applier, it changes no file
        let hash = config_hash(&("line_dedup", cfg.max_occurrences, cfg.min_line_chars));
        LineDedup { cfg, hash }
    }
}

/// Hash of a line worth counting, or None for short lines.
fn line_hash(line: &str, min_chars: usize) -> Option<u64> {
    let n = normalize_for_hash(line);
    (n.chars().count() >= min_chars).then(|| xxh3_64(n.as_bytes()))
}

struct LineCollector(Partitioned);

impl Collector for LineCollector {
    fn push(&mut self, _key: DocKey, obs: Vec<u8>) -> Result<()> {
        self.0.docs += 1;
        for c in obs.chunks_exact(8) {
            self.0.put(u64_at(c, 0), c)?;
        }
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<()> {
        self.0.finish()
    }
}

struct LineApplier {
    cfg: LineDedupConfig,
    frequent: HashSet<u64>,
}

impl Applier for LineApplier {
    fn apply(&self, _key: DocKey, doc: &mut Doc, stats: &mut Counters) -> Verdict {
        let mut kept = String::with_capacity(doc.text().len());
        let mut removed = 0usize;
        for line in doc.text().split_inclusive('\n') {
            let frequent = line_hash(line.trim(), self.cfg.min_line_chars)
                .is_some_and(|h| self.frequent.contains(&h));
            if frequent {
                removed += 1;
            } else {
                kept.push_str(line);
            }
        }
        doc.set_meta("lines_removed", removed);
        if removed == 0 {
            return Verdict::Keep;
        }
        stats.add("lines_removed", removed as u64);
        stats.add(
            "chars_removed",
            (doc.text().chars().count() - kept.chars().count()) as u64,
        );
        let short = kept.trim().chars().count() < self.cfg.min_doc_chars_after;
        doc.set_text(kept);
        if short {
            Verdict::drop("line_dedup_too_short")
        } else {
            Verdict::Keep
        }
    }
}

impl GlobalStep for LineDedup {
    fn name(&self) -> &str {
        "line_dedup"
    }

    /// One u64 per line; ~80 text bytes per line.
    fn observation_bytes(&self, docs: u64, text_bytes: f64) -> u64 {
        (docs as f64 * (text_bytes / 80.0).max(1.0) * 8.0) as u64
    }

    /// Distinct line hashes of one partition in a hash map (~32 B each, ~30 lines per doc).
    fn reduce_memory(&self, _stage: &str, docs: u64, ranks: usize) -> u64 {
        docs.div_ceil(ranks.max(1) as u64) * 30 * 32
    }

    fn columns(&self) -> Vec<Column> {
        vec![Column::new("lines_removed", ColType::Int64)]
    }

    fn config_hash(&self) -> u64 {
        self.hash
    }

    fn observe(&self, doc: &Doc) -> Vec<u8> {
        let mut hs: Vec<u64> = doc
            .lines()
            .filter_map(|l| line_hash(l, self.cfg.min_line_chars))
            .collect();
        hs.sort_unstable();
        hs.dedup();
        hs.iter().flat_map(|h| h.to_le_bytes()).collect()
    }

    fn collector(&self, ctx: &StageCtx) -> Result<Box<dyn Collector>> {
        Ok(Box::new(LineCollector(Partitioned::create(
            ctx, KIND, part_path,
        )?)))
    }

    fn reduce_stages(&self, tasks: usize) -> Vec<(String, usize)> {
        vec![("line_count".into(), partitions(tasks))]
    }

    fn reduce(&self, _stage: &str, ctx: &StageCtx) -> Result<Counters> {
        let tasks = read_infos(&ctx.dir, KIND, ctx.config_hash)?.len();
        let mut counts: HashMap<u64, u64> = HashMap::new();
        for t in 0..tasks {
            let mut r =
                RecReader::<8>::open(&part_path(&ctx.dir, t, ctx.task), KIND, ctx.config_hash)?;
            while let Some(b) = r.next_rec()? {
                *counts.entry(u64::from_le_bytes(b)).or_insert(0) += 1;
            }
        }
        let mut frequent: Vec<u64> = counts
            .iter()
            .filter(|(_, n)| **n > self.cfg.max_occurrences)
            .map(|(h, _)| *h)
            .collect();
        frequent.sort_unstable();
        let mut w = RecWriter::create(
            &frequent_path(&ctx.dir, ctx.task),
            "linefreq",
            ctx.config_hash,
        )?;
        for h in &frequent {
            w.put(&h.to_le_bytes())?;
        }
        w.finish()?;
        let mut c = Counters::default();
        c.add("distinct_lines", counts.len() as u64);
        c.add("recurrent_lines", frequent.len() as u64);
        Ok(c)
    }

    fn applier(&self, ctx: &StageCtx) -> Result<Box<dyn Applier>> {
        let mut frequent = HashSet::new();
        for p in 0..partitions(ctx.tasks) {
            let mut r =
                RecReader::<8>::open(&frequent_path(&ctx.dir, p), "linefreq", ctx.config_hash)?;
            while let Some(b) = r.next_rec()? {
                frequent.insert(u64::from_le_bytes(b));
            }
        }
        Ok(Box::new(LineApplier {
            cfg: self.cfg.clone(),
            frequent,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harness::{Order, run, run_corrupting, tmpdir};

    const POOL: [char; 24] = [
        '甲', '乙', '丙', '丁', '戊', '己', '庚', '辛', '壬', '癸', '子', '丑', '寅', '卯', '辰',
        '巳', '午', '未', '申', '酉', '戌', '亥', '天', '地',
    ];

    fn corpus() -> Vec<Doc> {
        (0..30)
            .map(|i| {
                let body = if i == 7 {
                    "短".to_string()
                } else {
                    let (a, b) = (POOL[i as usize % 24], POOL[i as usize / 24]);
                    let (x, y) = ((b'a' + (i % 26) as u8) as char, (b'a' + (i / 26) as u8) as char);
                    format!("{a}{b}公司发布了关于{b}{a}地区的年度报告。\nThe page about {x}{y} things here.")
                };
                let text = format!("首页\n{body}\n版权所有 © 2020 新浪网 保留所有权利\nWe use cookies to improve your experience.\n");
                let mut d = Doc::from_text(format!("d{i}"), text);
                d.key = DocKey::new(i, 0);
                d
            })
            .collect()
    }

    fn step() -> LineDedup {
        LineDedup::new(LineDedupConfig {
            max_occurrences: 10,
            min_line_chars: 5,
            min_doc_chars_after: 10,
        })
    }

    #[test]
    fn recurrent_boilerplate_lines_are_removed() {
        let mut prev: Option<Vec<String>> = None;
        for (tasks, order) in [(1, Order::Forward), (2, Order::Reverse)] {
            let out = run(
                &step(),
                corpus(),
                tasks,
                &tmpdir(&format!("lines-{tasks}")),
                order,
            )
            .unwrap();
            assert_eq!(
                out.dropped.get("line_dedup_too_short"),
                1,
                "doc 7 has only 首页 and 短 left"
            );
            assert_eq!(out.kept.len(), 29);
            let d = &out.kept[0];
            assert!(
                !d.text().contains("版权所有") && !d.text().contains("cookies"),
                "{}",
                d.text()
            );
            assert!(d.text().contains("首页"), "short lines are not counted");
            assert!(d.text().contains("The page about aa things"));
            assert_eq!(d.meta_f64("lines_removed"), Some(2.0));
            assert_eq!(out.reduce.get("recurrent_lines"), 2);
            let texts: Vec<String> = out.kept.iter().map(|d| d.text().to_string()).collect();
            if let Some(p) = &prev {
                assert_eq!(p, &texts, "same result for any task count");
            }
            prev = Some(texts);
        }
    }

    #[test]
    fn lines_below_the_limit_stay() {
        let s = LineDedup::new(LineDedupConfig {
            max_occurrences: 30,
            ..Default::default()
        });
        let out = run(&s, corpus(), 1, &tmpdir("lines-limit"), Order::Forward).unwrap();
        assert!(out.kept.iter().all(|d| d.text().contains("版权所有")));
    }

    #[test]
    fn truncated_frequent_file_stops_the_applier() {
        let dir = tmpdir("lines-corrupt");
        let f = frequent_path(&dir, 3);
        let e = crate::harness::err_of(run_corrupting(&step(), corpus(), &dir, &f));
        assert!(e.contains("lines-frequent-p00003.bin"), "{e}");
    }
}
