//! `skypile plan`: stages, tasks and resource estimates before a run.
//!
//! Everything is sized from what `plan_sample` measured, never from step names:
//! - docs: the whole input's bytes x the sample's docs per byte;
//! - a docs rank's peak: the resident size once every step is built and the warm-up docs went
//!   through that stage's segment and the ones before (measured), plus
//!   the docs in flight (reader batches, one being processed, outcomes queued for the sink, at
//!   the sample's bytes per doc as the stage reads them), each worker's scratch for the doc it
//!   works on, the writers' buffers (pending rows and one Parquet row group, sized by the
//!   sample's kept/dropped bytes) and the dedup collector's buffers
//!   (`GlobalStep::collector_memory`);
//! - a dedup reduce rank: what its step says (`GlobalStep::reduce_memory`).
//!
//! The estimate is meant to size `slurm.mem`: the README gives plan vs measured peak RSS on
//! three inputs and tests/plan_memory.rs checks it is not below the measured peak.

use std::fmt::Write as _;

use anyhow::Result;

use super::plan_sample::{InputEstimate, SegmentSample, estimate_input};
use crate::config::{OutputFormat, Pipeline};
use crate::run::stages::{Plan, StageKind};

const MB: f64 = 1_048_576.0;
/// Resident size of a rank when the OS does not report it: binary, allocator, tokenizer,
/// jieba (a measured `docs-0` rank of `pipelines/skypile.yaml` with one doc: 85 MB).
const BASE_FALLBACK: u64 = 80 << 20;
const BATCH_DOCS: f64 = crate::run::BATCH_DOCS as f64;
const BATCH_BYTES: f64 = crate::run::BATCH_BYTES as f64;
/// Input batches a docs rank holds: one being filled, two queued, one in the workers.
const IN_BATCHES: f64 = 4.0;
/// Outcome batches: one queued for the sink and one being written.
const OUT_BATCHES: f64 = 2.0;
/// Heap bytes per byte of a doc in a batch (allocation slack, and the decoded page next to the
/// body while its worker decodes it).
const IN_FACTOR: f64 = 1.25;
/// A worker's scratch per byte of the doc it works on (decoded HTML, the parsed tree, the text
/// and its rewritten copies), and its thread's own stack and allocator arena.
const WORK_FACTOR: f64 = 12.0;
const WORKER_BASE: u64 = 6 << 20;
/// The writers' pending rows (`BATCH_ROWS`): the docs, and the Arrow copy of their text.
const PENDING_ROWS: f64 = 1024.0;
/// zstd-3 Parquet bytes per text byte (0.3–0.4 on web text, 0.5 measured on random words).
const PARQUET_RATIO: f64 = 0.5;
/// A JSONL shard writer: its 1 MiB buffer and the compressor's window.
const JSONL_WRITER: u64 = 4 << 20;
/// The spool writer's buffer.
const SPOOL_BUFFER: u64 = 1 << 20;
/// Allocator slack over the heap the model counts: glibc arenas keep freed pages, and a process
/// that runs several ranks in a row (a local run, `slurm.tasks_per_job`) peaks ~30% above one
/// rank alone (measured on the 100 MB WARC of the README table).
const SLACK: f64 = 1.3;
/// What a running rank adds to the process `plan` measured: the worker pool, its log file,
/// stats and markers.
const RUNTIME: u64 = 8 << 20;

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

/// Worker threads of a docs rank: `workers`, or all cores (here or per Slurm task, the larger).
pub fn workers(p: &Pipeline) -> usize {
    if p.workers > 0 {
        return p.workers;
    }
    let here = std::thread::available_parallelism().map_or(1, |n| n.get());
    here.max(p.slurm.cpus_per_task)
}

pub fn estimate(p: &Pipeline, plan: &Plan, e: &InputEstimate) -> Vec<StageEstimate> {
    let docs = e.docs as f64;
    let seg = |k: usize| e.segments.get(k).cloned().unwrap_or_default();
    let last_segment = plan.segments.len().saturating_sub(1);
    let mut out = Vec::new();
    for s in &plan.stages {
        let (peak_mem, writes, what) = match &s.kind {
            StageKind::Docs { segment } => {
                let g = seg(*segment);
                let kept = docs * g.reach * (1.0 - g.drop_share);
                let peak = docs_rank_memory(p, plan, e, *segment);
                if *segment == last_segment {
                    let w = kept * g.text_bytes * PARQUET_RATIO;
                    (peak, w as u64, "Parquet (after the sample's drops)")
                } else {
                    let obs = plan
                        .global(*segment)
                        .map_or(0, |gl| gl.step.observation_bytes(kept as u64, g.text_bytes));
                    let w = (kept * g.spool_bytes) as u64 + obs;
                    (peak, w, "spool + dedup observations")
                }
            }
            StageKind::Reduce { segment, name } => {
                let g = seg(*segment);
                let observed = (docs * g.reach * (1.0 - g.drop_share)).ceil() as u64;
                let mem = plan
                    .global(*segment)
                    .map_or(0, |gl| gl.step.reduce_memory(name, observed, s.ranks));
                (
                    resident_built(e, p) + mem,
                    (observed as f64 * 16.0 / s.ranks.max(1) as f64) as u64,
                    "decisions",
                )
            }
            StageKind::Merge => (resident_built(e, p), 0, "manifest.json + stats.json"),
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

/// Peak bytes of the biggest rank of docs stage `k` (see the module doc for the parts).
fn docs_rank_memory(p: &Pipeline, plan: &Plan, e: &InputEstimate, k: usize) -> u64 {
    let g: SegmentSample = e.segments.get(k).cloned().unwrap_or_default();
    let share = e.max_rank_share.max(1.0 / p.tasks.max(1) as f64);
    let rank_docs = (e.docs as f64 * share * g.reach).ceil();
    let in_bytes = g.in_bytes.max(1.0);
    // Reader batches: cut at 512 docs or once 16 MiB are reached (so up to one doc more).
    let batch_docs = BATCH_DOCS.min((BATCH_BYTES / in_bytes).ceil()).max(1.0);
    let batch_bytes = (batch_docs * in_bytes).min(BATCH_BYTES + g.max_in_bytes);
    let batches = (rank_docs / batch_docs).ceil();
    let in_flight = batches.min(IN_BATCHES) * batch_bytes * IN_FACTOR;
    let working = workers(p) as f64 * (WORKER_BASE as f64 + WORK_FACTOR * in_bytes)
        + WORK_FACTOR * g.max_in_bytes;
    // Outcomes: kept docs (text, spool record) and dropped docs as they were dropped.
    let kept_bytes = g.held_bytes + g.spool_bytes;
    let per_out = (1.0 - g.drop_share) * kept_bytes + g.drop_share * g.drop_bytes;
    let outcomes = batches.min(OUT_BATCHES) * batch_docs * per_out;
    let rank_kept = rank_docs * (1.0 - g.drop_share);
    let mut writers = 0.0;
    if p.output.write_removed {
        writers += writer_memory(p, rank_docs * g.drop_share, g.drop_text);
    }
    match plan.global(k) {
        Some(gl) => {
            writers += SPOOL_BUFFER as f64;
            writers += gl
                .step
                .collector_memory(rank_kept as u64, g.text_bytes, p.tasks)
                as f64;
        }
        None => writers += writer_memory(p, rank_kept, g.text_bytes),
    }
    let base = if g.resident > 0 {
        g.resident + RUNTIME
    } else {
        resident(e, p)
    };
    base + ((in_flight + working + outcomes + writers) * SLACK) as u64
}

/// A shard writer given `rows` docs of `text` bytes (the sink sheds the raw page first): its
/// pending rows, and for Parquet the row group it encodes (flushed at `row_group_max_bytes` of
/// encoded pages).
fn writer_memory(p: &Pipeline, rows: f64, text: f64) -> f64 {
    if rows <= 0.0 {
        return 0.0;
    }
    let pending = rows.min(PENDING_ROWS) * 2.0 * text;
    match p.output.format {
        OutputFormat::Jsonl => pending + JSONL_WRITER as f64,
        OutputFormat::Parquet => {
            let group = (rows * text * PARQUET_RATIO).min(p.output.row_group_max_bytes as f64);
            pending + group
        }
    }
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
        "pipeline {}: {} input files, {} on disk, ~{} docs (from {} sampled, {} run through the \
         steps), {} tasks, {} workers per rank",
        p.name,
        e.files,
        mb(e.bytes),
        e.docs,
        e.sampled,
        e.stepped,
        p.tasks,
        workers(p)
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
    let work_at = if p.work_dir.is_empty() {
        "DIR/work/".to_string()
    } else {
        p.work_dir.clone()
    };
    let _ = writeln!(
        s,
        "\noutput data/: ~{} before dedup; intermediates {work_at}: ~{} (deleted after merge unless \
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

/// Resident size of a rank when the OS does not report this process's: a fixed base plus twice
/// the files the step configs name (models, word lists; loaded tables outgrow their files).
fn resident(e: &InputEstimate, p: &Pipeline) -> u64 {
    if e.resident > 0 {
        return e.resident + RUNTIME;
    }
    let ctx = p.build_ctx();
    let mut files = Vec::new();
    for sc in &p.steps {
        config_files(
            &serde_json::to_value(sc).unwrap_or_default(),
            &ctx,
            &mut files,
        );
    }
    files.sort();
    files.dedup();
    let bytes: u64 = files
        .iter()
        .filter_map(|f| skypile_storage::size(f).ok())
        .sum();
    BASE_FALLBACK + 2 * bytes
}

fn resident_built(e: &InputEstimate, p: &Pipeline) -> u64 {
    if e.resident_built > 0 {
        e.resident_built + RUNTIME
    } else {
        resident(e, p)
    }
}

/// Every string of a step config that names an existing file.
fn config_files(
    v: &serde_json::Value,
    ctx: &crate::config::steps::BuildCtx,
    out: &mut Vec<std::path::PathBuf>,
) {
    match v {
        serde_json::Value::String(s) => {
            let f = ctx.resolve(s);
            if f.is_file() {
                out.push(f);
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| config_files(x, ctx, out)),
        serde_json::Value::Object(o) => o.values().for_each(|x| config_files(x, ctx, out)),
        _ => {}
    }
}

pub fn print(p: &Pipeline) -> Result<()> {
    let plan = Plan::build(p)?;
    let e = estimate_input(p, &plan)?;
    let rows = estimate(p, &plan, &e);
    print!("{}", render(p, &plan, &e, &rows));
    if e.resident > 0 {
        println!(
            "every rank holds ~{} once its steps are loaded (measured in this process)",
            mb(e.resident)
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An input of `docs` docs of `doc_bytes` text each that every step keeps.
    fn input(plan: &Plan, docs: u64, doc_bytes: f64) -> InputEstimate {
        let seg = SegmentSample {
            reach: 1.0,
            in_bytes: doc_bytes,
            max_in_bytes: doc_bytes * 10.0,
            text_bytes: doc_bytes,
            held_bytes: doc_bytes,
            spool_bytes: doc_bytes * 1.2,
            ..Default::default()
        };
        InputEstimate {
            files: 4,
            bytes: docs * doc_bytes as u64,
            docs,
            sampled: 100,
            stepped: 100,
            max_rank_share: 0.25,
            segments: vec![seg; plan.segments.len()],
            resident: 80 << 20,
            resident_built: 60 << 20,
        }
    }

    #[test]
    fn docs_stage_memory_is_bounded_by_batches_not_input_size() {
        let p = Pipeline::parse("tasks: 4\n").unwrap();
        let plan = Plan::build(&p).unwrap();
        let small = estimate(&p, &plan, &input(&plan, 1_000, 2_000.0));
        let big = estimate(&p, &plan, &input(&plan, 100_000_000, 2_000.0));
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
        let e = input(&plan, 10_000, 3_000.0);
        let out = render(&p, &plan, &e, &estimate(&p, &plan, &e));
        assert!(out.contains("docs-0") && out.contains("merge"), "{out}");
        assert!(out.contains("slurm.mem is 8G"), "{out}");
        assert!(out.contains("intermediates DIR/work/"), "{out}");
        let p = Pipeline::parse("name: x\nwork_dir: s3://b/w\n").unwrap();
        let out = render(&p, &plan, &e, &estimate(&p, &plan, &e));
        assert!(out.contains("intermediates s3://b/w:"), "{out}");
    }

    #[test]
    fn minhash_reduce_uses_the_dedup_estimate_and_prints_the_s_curve() {
        let p = Pipeline::parse("tasks: 2\nsteps:\n  - minhash: {bands: 9, rows: 13}\n").unwrap();
        let plan = Plan::build(&p).unwrap();
        let e = input(&plan, 1_000_000, 3_000.0);
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
            e.resident_built + RUNTIME + skypile_dedup::estimate_memory(1_000_000, &cfg)
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
