//! Merging per-rank stats into `stats.json` and `manifest.json` (the `merge` stage and
//! `skypile stats`; the verb's table is in `verbs::stats`).
//!
//! Merging always starts from the per-rank files of *completed* ranks, never from a previous
//! merged file, so a relaunch cannot double-count (a datatrove complaint).

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use skypile_core::Counters;

use crate::outdir::{
    LangTotals, RankStats, RunInfo, ShardInfo, completion_path, stats_path, write_atomic,
};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct StepStats {
    pub label: String,
    #[serde(rename = "in")]
    pub docs_in: u64,
    pub kept: u64,
    pub dropped: u64,
    pub dropped_reasons: BTreeMap<String, u64>,
    pub time_s: f64,
    /// Step-specific counters (e.g. `pii_email`).
    pub counters: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct LangStats {
    pub docs: u64,
    pub tokens: u64,
    pub chars: u64,
    pub tokens_per_char: f64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RunStats {
    pub name: String,
    pub complete: bool,
    pub docs_in: u64,
    pub docs_out: u64,
    pub tokens_out: u64,
    pub ingest: BTreeMap<String, u64>,
    pub steps: Vec<StepStats>,
    pub by_lang: BTreeMap<String, LangStats>,
    pub stages: Vec<StageTime>,
    /// Every counter, flat, as merged from the ranks.
    pub counters: Counters,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct StageTime {
    pub name: String,
    pub ranks: usize,
    pub ranks_done: usize,
    pub elapsed_s: f64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Manifest {
    pub name: String,
    pub shards: Vec<ShardInfo>,
    pub removed_shards: Vec<ShardInfo>,
    pub total_docs: u64,
    pub total_tokens: u64,
    pub total_bytes: u64,
    pub by_lang: BTreeMap<String, LangTotals>,
}

/// Read the run's name and every completed rank's stats file.
fn collect(out: &Path) -> Result<(String, Vec<RankStats>, Vec<StageTime>)> {
    let info = RunInfo::read(out)?;
    let mut ranks = Vec::new();
    let mut times = Vec::new();
    for (name, n) in info.stages {
        let mut t = StageTime {
            name: name.clone(),
            ranks: n,
            ..Default::default()
        };
        for r in 0..n {
            if !skypile_storage::exists(&completion_path(out, &name, r))? {
                continue;
            }
            let p = stats_path(out, &name, r);
            let rs: RankStats =
                serde_json::from_slice(&skypile_storage::read(&p)?).with_context(|| {
                    format!(
                        "{} is corrupt: delete it and its completion marker, then rerun",
                        p.display()
                    )
                })?;
            t.ranks_done += 1;
            t.elapsed_s += rs.elapsed_s;
            ranks.push(rs);
        }
        times.push(t);
    }
    Ok((info.name, ranks, times))
}

pub fn summarize(name: &str, ranks: &[RankStats], stages: Vec<StageTime>) -> (RunStats, Manifest) {
    let mut counters = Counters::default();
    let mut m = Manifest {
        name: name.to_string(),
        ..Default::default()
    };
    for r in ranks {
        counters.merge(&r.counters);
        for s in &r.shards {
            let mut s = s.clone();
            s.path = format!("data/{}", s.path);
            m.total_docs += s.rows;
            m.total_tokens += s.tokens;
            m.total_bytes += s.bytes;
            for (l, t) in &s.by_lang {
                let e = m.by_lang.entry(l.clone()).or_default();
                e.docs += t.docs;
                e.tokens += t.tokens;
                e.chars += t.chars;
            }
            m.shards.push(s);
        }
        for s in &r.removed {
            let mut s = s.clone();
            s.path = format!("removed/{}", s.path);
            m.removed_shards.push(s);
        }
    }
    m.shards.sort_by(|a, b| a.path.cmp(&b.path));
    m.removed_shards.sort_by(|a, b| a.path.cmp(&b.path));

    let mut rs = RunStats {
        name: name.to_string(),
        ..Default::default()
    };
    let mut steps: BTreeMap<String, StepStats> = BTreeMap::new();
    for (k, v) in &counters.0 {
        if let Some(rest) = k.strip_prefix("ingest.") {
            rs.ingest.insert(rest.to_string(), *v);
            continue;
        }
        // Step counters are `NN.key.counter`.
        let mut parts = k.splitn(3, '.');
        let (Some(num), Some(key), Some(c)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        if !num.chars().all(|c| c.is_ascii_digit()) {
            continue;
        }
        let label = format!("{num}.{key}");
        let s = steps.entry(label.clone()).or_insert_with(|| StepStats {
            label,
            ..Default::default()
        });
        match c {
            "in" => s.docs_in += v,
            "kept" => s.kept += v,
            "dropped" => s.dropped += v,
            "time_ns" | "observe_ns" => s.time_s += *v as f64 / 1e9,
            c => match c.strip_prefix("dropped_") {
                Some(reason) => {
                    s.dropped_reasons.insert(reason.to_string(), *v);
                }
                None => {
                    s.counters.insert(c.to_string(), *v);
                }
            },
        }
    }
    rs.steps = steps.into_values().collect();
    rs.docs_in = counters.get("ingest.docs");
    rs.docs_out = m.total_docs;
    rs.tokens_out = m.total_tokens;
    for (l, t) in &m.by_lang {
        rs.by_lang.insert(
            l.clone(),
            LangStats {
                docs: t.docs,
                tokens: t.tokens,
                chars: t.chars,
                tokens_per_char: if t.chars == 0 {
                    0.0
                } else {
                    t.tokens as f64 / t.chars as f64
                },
            },
        );
    }
    rs.complete = stages
        .iter()
        .filter(|s| s.name != "merge")
        .all(|s| s.ranks_done == s.ranks);
    rs.stages = stages;
    rs.counters = counters;
    (rs, m)
}

/// Merge every completed rank's stats into `stats.json`, and `manifest.json` once the run is
/// complete. The `merge` stage and `skypile stats` both call this.
pub fn merge(out: &Path) -> Result<(RunStats, Manifest)> {
    let (name, ranks, times) = collect(out)?;
    let (rs, m) = summarize(&name, &ranks, times);
    write_atomic(&out.join("stats.json"), &serde_json::to_vec_pretty(&rs)?)?;
    crate::outdir::test_throttle(); // lets tests/resume.rs kill between the two files
    if rs.complete {
        write_atomic(&out.join("manifest.json"), &serde_json::to_vec_pretty(&m)?)?;
    }
    Ok((rs, m))
}
