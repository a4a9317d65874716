//! `skypile plan`: stages, tasks and resource estimates before a run.
//!
//! Sizes come from the input files (sum of sizes, ×4 for gzip/zstd) and from reading a sample
//! of the first file (docs per input byte, text bytes per doc); memory per rank from what the
//! runner holds: a docs rank keeps at most 3 batches (one in the steps, two read ahead; a batch
//! is 512 docs or 16 MiB), the tokenizer (~25 MB), jieba (~32 MB), the step indexes and, in the
//! last docs stage, one Parquet row group; a dedup reduce rank holds what its step says
//! (`GlobalStep::reduce_memory`; its observation files from `GlobalStep::observation_bytes`).
//! Estimates are upper-ish bounds meant to size `slurm.mem`; the README has a measured run.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::Result;
use skypile_core::Doc;

use crate::config::Pipeline;
use crate::run::stages::{Plan, StageKind};

const MB: f64 = 1_048_576.0;
/// Resident size of the binary, allocator, thread stacks and lazily built tables (every rank
/// also loads the tokenizer: a `merge` rank measured 37 MB).
const BASE: u64 = 20 << 20;
const TOKENIZER: u64 = 25 << 20;
const JIEBA: u64 = 32 << 20;
/// Heap bytes of a `Doc` per text byte while it flows through steps (the text, a rewritten
/// copy, the cached jieba words), and per raw HTML byte.
const DOC_OVERHEAD: f64 = 3.0;
const BATCH_DOCS: u64 = crate::run::BATCH_DOCS as u64;
const BATCH_BYTES: u64 = crate::run::BATCH_BYTES as u64;
/// Text share of raw HTML after main-text extraction (Common Crawl pages: 5–25%).
const EXTRACT_RATIO: f64 = 0.15;
/// zstd-3 Parquet bytes per text byte (0.3–0.4 on web text, 0.5 measured on random words).
const PARQUET_RATIO: f64 = 0.5;
/// Spool bytes per doc byte (JSON of the doc with its metadata).
const SPOOL_RATIO: f64 = 1.2;

/// What the input looks like, from file sizes and a read of the first file.
#[derive(Debug, Default, Clone)]
pub struct InputEstimate {
    pub files: usize,
    pub bytes: u64,
    pub uncompressed: u64,
    pub docs: u64,
    /// Average text (+ raw HTML) bytes of one doc as read.
    pub doc_bytes: f64,
    pub html_bytes: f64,
    /// Biggest rank's share of the docs (files are dealt round-robin).
    pub max_rank_share: f64,
}

pub fn estimate_input(p: &Pipeline) -> Result<InputEstimate> {
    let inputs: Vec<PathBuf> = skypile_ingest::list_inputs(&p.input.paths)?;
    let sizes: Vec<u64> = inputs
        .iter()
        .map(|f| skypile_storage::size(f).unwrap_or(0)) // local file or object
        .collect();
    let factor = |f: &PathBuf| {
        let n = f.to_string_lossy();
        if n.ends_with(".gz") || n.ends_with(".zst") {
            4
        } else {
            1
        }
    };
    let mut e = InputEstimate {
        files: inputs.len(),
        bytes: sizes.iter().sum(),
        uncompressed: inputs.iter().zip(&sizes).map(|(f, s)| s * factor(f)).sum(),
        ..Default::default()
    };
    let tasks = p.tasks.max(1);
    let mut per_rank = vec![0u64; tasks];
    for (i, s) in sizes.iter().enumerate() {
        if let Some(r) = per_rank.get_mut(i % tasks) {
            *r += s;
        }
    }
    e.max_rank_share = if e.bytes == 0 {
        1.0
    } else {
        per_rank.iter().copied().max().unwrap_or(0) as f64 / e.bytes as f64
    };
    // Sample: docs per input byte and bytes per doc, from the first readable file.
    const SAMPLE: u64 = 2000;
    for (i, f) in inputs.iter().enumerate() {
        let Ok(events) = skypile_ingest::open(f, i as u32, &p.input) else {
            continue;
        };
        let (mut n, mut text, mut html, mut complete) = (0u64, 0u64, 0u64, true);
        for ev in events {
            if let skypile_ingest::Event::Doc(d) = ev {
                n += 1;
                text += d.text().len() as u64;
                html += raw_len(&d);
                if n >= SAMPLE {
                    complete = false;
                    break;
                }
            }
        }
        if n == 0 {
            continue;
        }
        e.doc_bytes = (text + html) as f64 / n as f64;
        e.html_bytes = html as f64 / n as f64;
        let size = sizes.get(i).copied().unwrap_or(0).max(1);
        e.docs = if complete {
            (n as f64 * e.bytes as f64 / size as f64) as u64
        } else {
            // WARC carries request/metadata records and headers besides the HTML: ~2× bytes.
            let per_doc = if e.html_bytes > 0.0 {
                e.doc_bytes * 2.0
            } else {
                e.doc_bytes * 1.1
            };
            (e.uncompressed as f64 / per_doc.max(1.0)) as u64
        };
        break;
    }
    Ok(e)
}

fn raw_len(d: &Doc) -> u64 {
    d.raw.as_ref().map_or(0, |r| r.html.len() as u64)
}

/// One row of the plan.
#[derive(Debug, Clone)]
pub struct StageEstimate {
    pub name: String,
    pub ranks: usize,
    pub peak_mem: u64,
    /// Bytes this stage leaves on disk (spool, dedup files or Parquet).
    pub writes: u64,
    pub what: &'static str,
}

pub fn estimate(p: &Pipeline, plan: &Plan, e: &InputEstimate) -> Vec<StageEstimate> {
    let has_extract = p.steps.iter().any(|s| s.key() == "extract");
    // Text bytes per doc after extraction (or as read, for text inputs).
    let text_per_doc = if has_extract && e.html_bytes > 0.0 {
        e.html_bytes * EXTRACT_RATIO
    } else {
        e.doc_bytes - e.html_bytes
    }
    .max(1.0);
    let docs = e.docs as f64;
    let rank_docs = |ranks: usize| (docs * e.max_rank_share.max(1.0 / ranks.max(1) as f64)).ceil();
    let batch = (BATCH_DOCS as f64 * e.doc_bytes).min(BATCH_BYTES as f64);
    let doc_rank_mem =
        BASE + TOKENIZER + JIEBA + model_mem(p) + (3.0 * batch * DOC_OVERHEAD) as u64;
    let last_segment = plan.segments.len().saturating_sub(1);
    let row_group =
        (p.output.row_group_max_bytes as f64).min(rank_docs(p.tasks) * text_per_doc * 1.5) as u64;
    let mut out = Vec::new();
    for s in &plan.stages {
        let (peak_mem, writes, what) = match &s.kind {
            StageKind::Docs { segment } if *segment == last_segment => (
                doc_rank_mem + row_group,
                (docs * text_per_doc * PARQUET_RATIO) as u64,
                "Parquet (before drops)",
            ),
            StageKind::Docs { segment } => {
                let obs = plan
                    .global(*segment)
                    .map_or(0, |g| g.step.observation_bytes(e.docs, text_per_doc));
                (
                    doc_rank_mem + (16 << 20),
                    (docs * text_per_doc * SPOOL_RATIO) as u64 + obs,
                    "spool + dedup observations",
                )
            }
            StageKind::Reduce { segment, name } => {
                let mem = plan
                    .global(*segment)
                    .map_or(0, |g| g.step.reduce_memory(name, e.docs, s.ranks));
                (
                    BASE + TOKENIZER + mem,
                    (docs * 16.0 / s.ranks.max(1) as f64) as u64,
                    "decisions",
                )
            }
            StageKind::Merge => (BASE + TOKENIZER, 0, "manifest.json + stats.json"),
        };
        out.push(StageEstimate {
            name: s.name.clone(),
            ranks: s.ranks,
            peak_mem,
            writes,
            what,
        });
    }
    out
}

fn mb(b: u64) -> String {
    let m = b as f64 / MB;
    if m >= 10_240.0 {
        format!("{:.1} GB", m / 1024.0)
    } else if m >= 10.0 {
        format!("{m:.0} MB")
    } else {
        format!("{m:.1} MB")
    }
}

pub fn render(p: &Pipeline, plan: &Plan, e: &InputEstimate, rows: &[StageEstimate]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "pipeline {}: {} input files, {} on disk (~{} uncompressed), ~{} docs, {} tasks",
        p.name,
        e.files,
        mb(e.bytes),
        mb(e.uncompressed),
        e.docs,
        p.tasks
    );
    let _ = writeln!(
        s,
        "\n{:<34} {:>6} {:>14} {:>12}  writes",
        "stage", "ranks", "peak mem/rank", "disk"
    );
    for r in rows {
        let _ = writeln!(
            s,
            "{:<34} {:>6} {:>14} {:>12}  {}",
            r.name,
            r.ranks,
            mb(r.peak_mem),
            mb(r.writes),
            r.what
        );
    }
    let out: u64 = rows
        .iter()
        .filter(|r| r.what.starts_with("Parquet"))
        .map(|r| r.writes)
        .sum();
    let work: u64 = rows
        .iter()
        .filter(|r| !r.what.starts_with("Parquet"))
        .map(|r| r.writes)
        .sum();
    let peak = rows.iter().map(|r| r.peak_mem).max().unwrap_or(0);
    let _ = writeln!(
        s,
        "\noutput data/: ~{} before drops; intermediates DIR/work/: ~{} (deleted after merge unless \
         output.keep_work)",
        mb(out),
        mb(work)
    );
    let _ = writeln!(
        s,
        "largest rank needs ~{}; slurm.mem is {}",
        mb(peak),
        p.slurm.mem
    );
    for g in plan.segments.iter().filter_map(|seg| seg.global.as_ref()) {
        let notes = g.step.plan_notes();
        if !notes.is_empty() {
            let _ = write!(s, "\n{notes}");
        }
    }
    s
}

/// Bytes of the fastText models the doc steps load (`quality_model`, `lang: {model}`): a dense
/// model's weights take its file size in memory, once per process.
fn model_mem(p: &Pipeline) -> u64 {
    let ctx = crate::config::steps::BuildCtx {
        base_dir: p.base_dir.clone(),
    };
    let mut paths = Vec::new();
    for sc in &p.steps {
        let key = sc.key();
        let mut all = serde_json::to_value(sc).unwrap_or_default();
        let cfg = all[key].take();
        match key {
            "quality_model" => (cfg["models"].as_array().into_iter().flatten())
                .for_each(|m| paths.extend(m["path"].as_str().map(|s| ctx.resolve(s)))),
            "lang" => paths.extend(cfg["model"].as_str().map(|s| ctx.resolve(s))),
            _ => {}
        }
    }
    paths.sort();
    paths.dedup();
    paths
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum()
}

pub fn print(p: &Pipeline) -> Result<()> {
    let plan = Plan::build(p)?;
    let e = estimate_input(p)?;
    let rows = estimate(p, &plan, &e);
    print!("{}", render(p, &plan, &e, &rows));
    let models = model_mem(p);
    if models > 0 {
        println!(
            "fastText models: {} per process (in the docs stages' peak)",
            mb(models)
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(docs: u64, doc_bytes: f64) -> InputEstimate {
        InputEstimate {
            files: 4,
            bytes: docs * doc_bytes as u64,
            uncompressed: docs * doc_bytes as u64,
            docs,
            doc_bytes,
            html_bytes: 0.0,
            max_rank_share: 0.25,
        }
    }

    #[test]
    fn docs_stage_memory_is_bounded_by_batches_not_input_size() {
        let p = Pipeline::parse("tasks: 4\n").unwrap();
        let plan = Plan::build(&p).unwrap();
        let small = estimate(&p, &plan, &input(1_000, 2_000.0));
        let big = estimate(&p, &plan, &input(100_000_000, 2_000.0));
        // the row group buffer grows to its cap, the batches are capped from the start
        assert!(big[0].peak_mem < 1 << 30, "{}", big[0].peak_mem);
        assert!(big[0].peak_mem >= small[0].peak_mem);
        assert!(big[0].writes > 1000 * small[0].writes);
        assert_eq!(big.last().map(|r| r.name.as_str()), Some("merge"));
    }

    #[test]
    fn render_names_every_stage() {
        let p = Pipeline::parse("name: x\ntasks: 2\n").unwrap();
        let plan = Plan::build(&p).unwrap();
        let e = input(10_000, 3_000.0);
        let out = render(&p, &plan, &e, &estimate(&p, &plan, &e));
        assert!(out.contains("docs-0") && out.contains("merge"), "{out}");
        assert!(out.contains("slurm.mem is 8G"), "{out}");
    }

    #[test]
    fn minhash_reduce_uses_the_dedup_estimate_and_prints_the_s_curve() {
        let p = Pipeline::parse("tasks: 2\nsteps:\n  - minhash: {bands: 9, rows: 13}\n").unwrap();
        let plan = Plan::build(&p).unwrap();
        let e = input(1_000_000, 3_000.0);
        let rows = estimate(&p, &plan, &e);
        let cfg = skypile_dedup::MinhashConfig {
            bands: 9,
            rows: 13,
            ..Default::default()
        };
        let cluster = rows
            .iter()
            .find(|r| r.name.ends_with("minhash_cluster"))
            .unwrap();
        assert_eq!(
            cluster.peak_mem,
            BASE + TOKENIZER + skypile_dedup::estimate_memory(1_000_000, &cfg)
        );
        // signatures: bands x 8 B + key per doc, plus the spool
        let docs0 = &rows[0];
        assert!(
            docs0.writes as f64 >= 1e6 * (9.0 * 8.0 + 16.0),
            "{}",
            docs0.writes
        );
        let out = render(&p, &plan, &e, &rows);
        assert!(out.contains("minhash 9x13"), "{out}");
    }
}
