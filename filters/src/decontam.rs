//! `decontam`: find documents that contain benchmark items (test-set leakage) and drop or flag
//! them.
//!
//! Follows GPT-3 (Brown et al. 2020, app. C) and datatrove's decontamination: a document that
//! shares an n-gram with a benchmark item is contaminated; English uses word 13-grams. Chinese is
//! compared by **characters**: each Han character is one unit, other letter/digit runs are
//! words, so one unit stream serves zh, en and mixed pages, and normalisation is the one used for
//! hashing everywhere (`normalize_for_hash`: case, width, digits, whitespace, punctuation).
//!
//! `ngram_zh` defaults to **20 characters**: a jieba word averages 1.5–1.9 Han characters
//! (1.86 on the ChineseWebText docs of ../shared/data, see `examples/bench_decontam.rs`), so
//! GPT-3's 13 words ≈ 20–24 characters; we take the low end because exam questions are short
//! (C-Eval stems are often 20–40 characters and must still yield windows), and 20 is longer than
//! the stock phrases of Chinese exam papers (`根据以上材料，下列说法正确的是` is 14 characters,
//! `下列关于……的叙述中，正确的是` about 12), so a shared stem alone never matches.
//! The window starting at a Han character is `ngram_zh` units long, any other window
//! `ngram_en` units, in items and documents alike; so the unit and n follow the script of the
//! text itself, not `doc.lang`: an English MMLU question quoted on a Chinese page is found, and
//! a wrong language label cannot hide a leak (one hash lookup per unit either way).
//!
//! Items too short for any window (e.g. "Which organ filters blood to make urine?") are
//! matched by exact normalised substring when they have at least `min_short_chars` normalised
//! characters; shorter ones would match everywhere and are skipped (counted in the build log).
//! N-grams shared by more than `max_items_per_ngram` items are the benchmark's own boilerplate
//! (instructions repeated in every item) and are not indexed; reading-comprehension sets share a
//! passage among ~3–5 items, which stays indexed.
//!
//! The index (n-gram hash → item) is built once when the step is built, is read-only and shared
//! by all workers; bad benchmark files fail the build with file, line and field.

mod index;
mod load;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use aho_corasick::AhoCorasick;
use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};
use skypile_core::{ColType, Column, Counters, Doc, Step, Verdict};

use index::{NgramIndex, Units};
pub use load::{BenchmarkSpec, Format, Item, read_benchmarks, read_items};

pub use skypile_core::Action;

/// Drops (or flags) docs sharing n-grams with benchmark items.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct DecontamConfig {
    pub benchmarks: Vec<BenchmarkSpec>,
    pub ngram_en: usize,
    pub ngram_zh: usize,
    /// 0.0: one shared n-gram is enough (GPT-3); else the share of the item's n-grams required.
    pub min_share: f64,
    pub action: Action,
    pub min_short_chars: usize,
    pub max_items_per_ngram: usize,
}

impl Default for DecontamConfig {
    fn default() -> Self {
        DecontamConfig {
            benchmarks: Vec::new(),
            ngram_en: 13,
            ngram_zh: 20,
            min_share: 0.0,
            action: Action::Drop,
            min_short_chars: 10,
            max_items_per_ngram: 10,
        }
    }
}

struct ItemMeta {
    bench: u16,
    id: String,
}

pub struct Decontam {
    cfg: DecontamConfig,
    items: Vec<ItemMeta>,
    index: NgramIndex,
    /// Short items: automaton over their normalised text; pattern → items with that text.
    short: Option<(AhoCorasick, Vec<Vec<u32>>)>,
    /// One bit per item: set the first time any worker matches it (counts distinct items found).
    seen: Vec<AtomicU64>,
    reported: AtomicBool,
    counter_names: Vec<[String; 2]>,
    stats: BuildStats,
}

/// What the index holds, for logs, `stats.json` and the benchmark.
#[derive(Debug, Clone, Default)]
pub struct BuildStats {
    pub items: Vec<(String, usize)>,
    pub entries: usize,
    pub short_items: usize,
    pub skipped_short: usize,
    pub boilerplate_ngrams: usize,
    pub index_bytes: usize,
}

impl DecontamConfig {
    /// Read every benchmark file and build the index. `resolve` maps a configured path to a file
    /// (the runner resolves relative paths against the pipeline YAML's folder).
    pub fn build(&self, resolve: impl Fn(&str) -> PathBuf) -> Result<Decontam> {
        if self.benchmarks.is_empty() {
            // Production pipelines ship the step switched off until evaluation files are listed.
            log::warn!("decontam: no `benchmarks` listed: the step keeps every document");
        }
        if self.ngram_en == 0 || self.ngram_zh == 0 {
            bail!("decontam: ngram_en and ngram_zh must be ≥ 1");
        }
        if !(0.0..=1.0).contains(&self.min_share) {
            bail!(
                "decontam: min_share must be within 0.0..=1.0, got {}",
                self.min_share
            );
        }
        let loaded = read_benchmarks(&self.benchmarks, resolve)?;
        Ok(Decontam::from_items(self.clone(), loaded))
    }
}

impl Decontam {
    /// Build from items already in memory (tests, the benchmark example).
    pub fn from_items(cfg: DecontamConfig, benchmarks: Vec<(String, Vec<Item>)>) -> Decontam {
        let mut items = Vec::new();
        let mut pairs = Vec::new();
        let mut short: HashMap<String, Vec<u32>> = HashMap::new();
        let mut stats = BuildStats::default();
        for (b, (name, list)) in benchmarks.iter().enumerate() {
            stats.items.push((name.clone(), list.len()));
            for item in list {
                let i = items.len() as u32;
                items.push(ItemMeta {
                    bench: b as u16,
                    id: item.id.clone(),
                });
                let u = Units::of(&item.text, true);
                let before = pairs.len();
                pairs.extend(u.ngrams(cfg.ngram_en, cfg.ngram_zh).map(|h| (h, i)));
                if pairs.len() > before {
                    // indexed by n-grams
                } else if u.normalized.chars().count() >= cfg.min_short_chars {
                    short.entry(u.normalized).or_default().push(i);
                } else {
                    stats.skipped_short += 1;
                }
            }
        }
        let index = NgramIndex::build(pairs, items.len(), cfg.max_items_per_ngram);
        stats.short_items = short.values().map(Vec::len).sum();
        let short = (!short.is_empty()).then(|| {
            let (pats, ids): (Vec<String>, Vec<Vec<u32>>) = short.into_iter().unzip();
            AhoCorasick::new(&pats).ok().map(|ac| (ac, ids))
        });
        let short = short.flatten();
        stats.entries = index.entries();
        stats.boilerplate_ngrams = index.boilerplate;
        stats.index_bytes = index.heap_bytes()
            + items
                .iter()
                .map(|m| m.id.capacity() + size_of::<ItemMeta>())
                .sum::<usize>()
            + short.as_ref().map_or(0, |(ac, ids)| {
                ac.memory_usage() + ids.iter().map(|v| v.capacity() * 4 + 24).sum::<usize>()
            })
            + items.len().div_ceil(64) * 8;
        // The step is built again for every docs stage and rank: say it once per process.
        static SAID: std::sync::Once = std::sync::Once::new();
        let mut level = log::Level::Debug;
        SAID.call_once(|| level = log::Level::Info);
        log::log!(
            level,
            "decontam: {} items ({}), {} n-grams indexed, {} short items by substring, {} too short skipped, \
             {} boilerplate n-grams left out, index {:.1} MB",
            items.len(),
            stats
                .items
                .iter()
                .map(|(n, c)| format!("{n}: {c}"))
                .collect::<Vec<_>>()
                .join(", "),
            stats.entries,
            stats.short_items,
            stats.skipped_short,
            stats.boilerplate_ngrams,
            stats.index_bytes as f64 / 1e6
        );
        let counter_names = benchmarks
            .iter()
            .map(|(n, _)| [format!("docs_{n}"), format!("item_first_seen_{n}")])
            .collect();
        let seen = (0..items.len().div_ceil(64))
            .map(|_| AtomicU64::new(0))
            .collect();
        Decontam {
            cfg,
            items,
            index,
            short,
            seen,
            reported: AtomicBool::new(false),
            counter_names,
            stats,
        }
    }

    pub fn build_stats(&self) -> &BuildStats {
        &self.stats
    }

    /// Matched items of a text, best first: (item, share of its n-grams found).
    fn matches(&self, text: &str) -> Vec<(u32, f64)> {
        let units = Units::of(text, self.short.is_some());
        let mut hits: HashMap<u32, u32> = HashMap::new();
        let mut hit_keys: HashSet<u64> = HashSet::new();
        for key in units.ngrams(self.cfg.ngram_en, self.cfg.ngram_zh) {
            let found = self.index.lookup(key);
            if !found.is_empty() && hit_keys.insert(key) {
                for &it in found {
                    *hits.entry(it).or_default() += 1;
                }
            }
        }
        let mut out: Vec<(u32, f64)> = hits
            .into_iter()
            .filter_map(|(it, c)| {
                let total = self
                    .index
                    .per_item
                    .get(it as usize)
                    .copied()
                    .unwrap_or(0)
                    .max(1);
                let share = c as f64 / total as f64;
                (share >= self.cfg.min_share).then_some((it, share))
            })
            .collect();
        if let Some((ac, ids)) = &self.short {
            for m in ac.find_overlapping_iter(&units.normalized) {
                out.extend(
                    ids.get(m.pattern().as_usize())
                        .into_iter()
                        .flatten()
                        .map(|&it| (it, 1.0)),
                );
            }
        }
        out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        out.dedup_by_key(|m| m.0);
        out
    }
}

impl Step for Decontam {
    fn name(&self) -> &str {
        "decontam"
    }

    fn columns(&self) -> Vec<Column> {
        vec![
            Column::new("contaminated", ColType::Bool),
            Column::new("decontam_benchmark", ColType::Utf8),
            Column::new("decontam_item", ColType::Utf8),
        ]
    }

    fn process(&self, doc: &mut Doc, stats: &mut Counters) -> Verdict {
        // Index sizes are gauges (`max_`): merged by maximum, right for any number of processes.
        if !self.reported.swap(true, Ordering::Relaxed) {
            for (name, n) in &self.stats.items {
                stats.set_max(&format!("max_items_indexed_{name}"), *n as u64);
            }
            stats.set_max("max_index_bytes", self.stats.index_bytes as u64);
        }
        let found = self.matches(doc.text());
        let Some(&(best, _)) = found.first() else {
            if self.cfg.action == Action::Flag {
                doc.set_meta("contaminated", false);
            }
            return Verdict::Keep;
        };
        let mut benches: Vec<u16> = Vec::new();
        for &(it, _) in &found {
            let Some(meta) = self.items.get(it as usize) else {
                continue;
            };
            let bit = 1u64 << (it % 64);
            let first = self
                .seen
                .get(it as usize / 64)
                .is_some_and(|w| w.fetch_or(bit, Ordering::Relaxed) & bit == 0);
            let names = self.counter_names.get(meta.bench as usize);
            if first && let Some([_, first_seen]) = names {
                stats.inc(first_seen);
            }
            if !benches.contains(&meta.bench) {
                benches.push(meta.bench);
                if let Some([docs, _]) = names {
                    stats.inc(docs);
                }
            }
        }
        let Some(meta) = self.items.get(best as usize) else {
            return Verdict::Keep;
        };
        let bench = self
            .stats
            .items
            .get(meta.bench as usize)
            .map_or("", |(n, _)| n.as_str());
        doc.set_meta("contaminated", true);
        doc.set_meta("decontam_benchmark", bench);
        doc.set_meta("decontam_item", meta.id.as_str());
        match self.cfg.action {
            Action::Drop => Verdict::drop(format!("decontam:{bench}")),
            Action::Flag => Verdict::Keep,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[test]
    fn no_benchmarks_means_the_step_is_off() {
        let step = DecontamConfig::default()
            .build(|p| PathBuf::from(p))
            .unwrap();
        let mut doc = Doc::from_text("d", "Which of the following is a prime number? 2, 4, 6, 8.");
        assert_eq!(
            step.process(&mut doc, &mut Counters::default()),
            Verdict::Keep
        );
    }

    const ZH_Q: &str = "小明把一杯热水放在窗台上，半小时后水温明显下降，这一现象主要说明了热量总是自发地从高温物体传递到低温物体的哪一条规律？";
    const EN_Q: &str = "The town council of Eldermoor raised the price of parking permits from twenty to thirty coins and observed that total permit revenue fell. What does this suggest about the price elasticity of demand for permits in Eldermoor?";

    fn samples() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../sample_data/benchmarks")
    }

    fn cfg(action: Action) -> DecontamConfig {
        let spec = |name: &str, file: &str, fields: &[&str]| BenchmarkSpec {
            name: name.into(),
            path: file.into(),
            format: Format::Auto,
            fields: fields.iter().map(|s| s.to_string()).collect(),
            id_field: Some("id".into()),
        };
        let abcd = ["question", "A", "B", "C", "D"];
        DecontamConfig {
            benchmarks: vec![
                spec("ceval", "ceval_like.jsonl", &abcd),
                spec("cmmlu", "cmmlu_like.jsonl", &abcd),
                spec("mmlu", "mmlu_like.jsonl", &["question", "choices"]),
                spec("gsm8k", "gsm8k_like.jsonl", &["question", "answer"]),
            ],
            action,
            ..Default::default()
        }
    }

    fn step(action: Action) -> Decontam {
        let dir = samples();
        match cfg(action).build(|p| dir.join(p)) {
            Ok(s) => s,
            Err(e) => panic!("sample benchmarks must load: {e:#}"),
        }
    }

    fn run(s: &Decontam, text: &str, lang: &str) -> (Verdict, Doc, Counters) {
        let mut d = Doc::from_text("t", text);
        d.set_lang(lang, 0.9);
        let mut c = Counters::default();
        let v = s.process(&mut d, &mut c);
        (v, d, c)
    }

    #[test]
    fn planted_leaks_are_found_in_zh_and_en() {
        let s = step(Action::Drop);
        let zh_spaced: String = ZH_Q
            .chars()
            .filter(|c| !skypile_core::text::is_punct(*c))
            .flat_map(|c| [c, ' '])
            .collect();
        let en_changed = EN_Q
            .to_uppercase()
            .replace(' ', "  \n")
            .replace(['.', '?'], " ;");
        let zh_inside = format!(
            "今天天气很好，我们去公园散步。{}\n下面是一段很长的无关的文字，讲的是家常菜的做法和买菜的经验。",
            ZH_Q.chars().take(30).collect::<String>()
        );
        let en_inside = format!(
            "Welcome to my blog about cooking.\n\nQuiz time! {EN_Q}\n\nThanks for reading, leave a comment."
        );
        for (text, lang, bench, item) in [
            (ZH_Q, "zh", "ceval", "ceval-like-002"),
            (zh_spaced.as_str(), "zh", "ceval", "ceval-like-002"),
            (zh_inside.as_str(), "zh", "ceval", "ceval-like-002"),
            (EN_Q, "en", "mmlu", "mmlu-like-002"),
            (en_changed.as_str(), "en", "mmlu", "mmlu-like-002"),
            (en_inside.as_str(), "en", "mmlu", "mmlu-like-002"),
            (en_inside.as_str(), "zh", "mmlu", "mmlu-like-002"),
        ] {
            let (v, d, c) = run(&s, text, lang);
            assert_eq!(v, Verdict::drop(format!("decontam:{bench}")), "{text}");
            assert_eq!(d.meta_str("decontam_item"), Some(item));
            assert_eq!(d.meta_str("decontam_benchmark"), Some(bench));
            assert_eq!(c.get(&format!("docs_{bench}")), 1);
        }
    }

    #[test]
    fn common_exam_phrases_do_not_match() {
        let s = step(Action::Drop);
        for (text, lang) in [
            (
                "根据以上材料，下列说法正确的是哪一项？阅读下面的文字，完成各题。下列关于细胞结构的叙述中，正确的是哪一项？请根据题目要求作答。",
                "zh",
            ),
            (
                "在一家餐馆里，工人们用新的洗碗机替换了旧的水槽。下列哪一种说法是对的？这一现象主要说明了什么？",
                "zh",
            ),
            (
                "Which of the following is true? Read the passage and answer the questions below. Which of the following best describes the author's view? What does this suggest about the price of eggs?",
                "en",
            ),
            (
                "How many dollars does she earn at the fair? How many passengers does the ferry carry in one day? Answer in one sentence.",
                "en",
            ),
        ] {
            let (v, d, _) = run(&s, text, lang);
            assert!(v.is_keep(), "{text}: {:?}", d.meta);
        }
    }

    #[test]
    fn short_items_match_by_normalised_substring() {
        let s = step(Action::Drop);
        let (v, d, _) = run(
            &s,
            "Quick quiz: which ORGAN filters blood, to make urine?? Liver / Kidney / Lung / Spleen.",
            "en",
        );
        assert_eq!(v, Verdict::drop("decontam:mmlu"));
        assert_eq!(d.meta_str("decontam_item"), Some("mmlu-like-006"));
        let (v, d, _) = run(
            &s,
            "考考你：青山县的县花是哪一种？山茶、杜鹃、桂花、兰花",
            "zh",
        );
        assert_eq!(d.meta_str("decontam_item"), Some("ceval-like-008"), "{v:?}");
        let (v, _, _) = run(
            &s,
            "The kidney filters blood and the liver makes bile.",
            "en",
        );
        assert!(v.is_keep());
    }

    #[test]
    fn flag_mode_keeps_and_counts_distinct_items_once() {
        let s = step(Action::Flag);
        let (v, d, c) = run(&s, EN_Q, "en");
        assert!(v.is_keep());
        assert_eq!(
            d.meta.get("contaminated"),
            Some(&skypile_core::Value::Bool(true))
        );
        assert_eq!(
            (
                c.get("item_first_seen_mmlu"),
                c.get("max_items_indexed_mmlu")
            ),
            (1, 6)
        );
        let (_, _, c2) = run(&s, EN_Q, "en");
        assert_eq!(
            (
                c2.get("item_first_seen_mmlu"),
                c2.get("docs_mmlu"),
                c2.get("max_items_indexed_mmlu")
            ),
            (0, 1, 0)
        );
        let (_, d, _) = run(&s, "A clean page about gardening.", "en");
        assert_eq!(
            d.meta.get("contaminated"),
            Some(&skypile_core::Value::Bool(false))
        );
    }

    #[test]
    fn min_share_needs_that_much_of_the_item() {
        let mut c = cfg(Action::Drop);
        c.min_share = 0.5;
        let dir = samples();
        let s = match c.build(|p| dir.join(p)) {
            Ok(s) => s,
            Err(e) => panic!("{e:#}"),
        };
        let half: String = EN_Q.split(' ').take(16).collect::<Vec<_>>().join(" ");
        assert!(
            run(&s, &half, "en").0.is_keep(),
            "16 of ~45 words is under half the n-grams"
        );
        assert!(!run(&s, EN_Q, "en").0.is_keep());
    }

    #[test]
    fn bad_config_fails_at_build_naming_the_file() {
        let mut c = cfg(Action::Drop);
        c.benchmarks[0].path = "missing.jsonl".into();
        let dir = samples();
        let e = c
            .build(|p| dir.join(p))
            .err()
            .map(|e| format!("{e:#}"))
            .unwrap_or_default();
        assert!(e.contains("missing.jsonl"), "{e}");
        let mut c = cfg(Action::Drop);
        c.benchmarks[2].fields = vec!["prompt".into()];
        let e = c
            .build(|p| dir.join(p))
            .err()
            .map(|e| format!("{e:#}"))
            .unwrap_or_default();
        assert!(
            e.contains("mmlu_like.jsonl") && e.contains("line 1") && e.contains("prompt"),
            "{e}"
        );
        let c: Result<DecontamConfig, _> = serde_json::from_str(r#"{"ngram_cn": 5}"#);
        assert!(c.is_err(), "unknown keys are errors");
    }

    /// End to end on the project's sample docs: exactly the planted JSONL docs listed in
    /// sample_data/MANIFEST.md are dropped, with the right item.
    #[test]
    fn sample_docs_planted_leaks_are_exactly_the_drops() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../sample_data");
        let (Ok(manifest), Ok(docs)) = (
            std::fs::read_to_string(root.join("MANIFEST.md")),
            std::fs::read_to_string(root.join("text/sample.jsonl")),
        ) else {
            println!("skipping: sample_data/text not generated yet");
            return;
        };
        let mut want: Vec<(String, String)> = manifest
            .lines()
            .filter(|l| l.starts_with("| jsonl |"))
            .filter_map(|l| {
                let cols: Vec<&str> = l.split('|').map(str::trim).collect();
                Some((cols.get(2)?.to_string(), cols.get(4)?.to_string()))
            })
            .collect();
        let s = step(Action::Drop);
        let mut got = Vec::new();
        for line in docs.lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap_or_default();
            let (Some(id), Some(text)) = (v["id"].as_str(), v["text"].as_str()) else {
                continue;
            };
            let (verdict, d, _) = run(&s, text, "");
            if !verdict.is_keep() {
                got.push((
                    id.to_string(),
                    d.meta_str("decontam_item").unwrap_or("").to_string(),
                ));
            }
        }
        want.sort();
        got.sort();
        assert!(!want.is_empty(), "MANIFEST lists planted JSONL docs");
        assert_eq!(got, want);
    }
}
