//! Benchmark piece (scripts/bench/run.sh, stage `tokens`): our token counter vs tiktoken-rs's
//! `count_ordinary` (the implementation it replaced) on the same texts, every encoding.
//! Texts: `.txt` files whole, `.jsonl` / `.jsonl.gz` lines' `text` (or `raw_content`/`content`).
//! Each side counts every text `--repeat` times (best pass kept, in CPU seconds of the counting
//! thread), after one warm-up pass that
//! also loads the vocabularies; the counts must agree, or it exits 1.
//!
//! `target/release/examples/bench_tokens [--repeat N] [--encoding NAME] [--ours-only]
//! [--evict-mb N] FILE...` prints one JSON line per encoding (`--encoding`: that one only).
//! `--ours-only` times only our counter and skips the comparison (for profiling it with perf;
//! the counts are then unchecked). `--evict-mb N` writes N MB between texts, untimed, so each
//! count starts with the CPU caches as a pipeline step leaves them.

use std::io::Read;

use anyhow::{Context, Result, bail};
use skypile::tokens::ENCODINGS;
use skypile_core::cpu::thread_cpu_secs;

#[path = "common/bench_common.rs"]
mod bench_common;

fn read_texts(files: &[String]) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for f in files {
        let mut s = String::new();
        let file = std::fs::File::open(f).with_context(|| f.clone())?;
        if f.ends_with(".gz") {
            flate2::read::GzDecoder::new(file).read_to_string(&mut s)?;
        } else {
            std::io::BufReader::new(file).read_to_string(&mut s)?;
        }
        if !f.contains(".jsonl") {
            out.push(s);
            continue;
        }
        for v in s
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        {
            let t = ["text", "raw_content", "content"]
                .iter()
                .find_map(|k| v.get(k)?.as_str());
            out.extend(t.map(String::from));
        }
    }
    Ok(out)
}

/// Best thread CPU time of `repeat` passes of `count` over every text, and the total count.
/// Each pass runs on a new thread, so per-thread state (our piece memo, DFA states) starts
/// empty: repeating the same texts must not turn into memo hits.
/// `evict`: bytes written between texts, untimed, as the other steps of a run do between two
/// counts (in `skypile run` counting's tables are out of the CPU cache at every document).
fn best_of(
    texts: &[String],
    repeat: usize,
    evict: usize,
    count: impl Fn(&str) -> usize + Sync,
) -> (f64, usize) {
    let mut best = f64::MAX;
    let mut total = 0;
    let mut junk = vec![0u8; evict];
    for _ in 0..repeat {
        std::thread::scope(|s| {
            s.spawn(|| {
                let (mut secs, mut n) = (0.0, 0);
                for (i, text) in texts.iter().enumerate() {
                    if evict > 0 {
                        junk.fill(i as u8);
                        std::hint::black_box(&junk);
                    }
                    let t = thread_cpu_secs();
                    n += count(text);
                    secs += thread_cpu_secs() - t;
                }
                total = n;
                best = best.min(secs);
            });
        });
    }
    (best, total)
}

/// Removes the flag `name` (with its value when `value`) from `args`; what followed it, if present.
fn take_flag(args: &mut Vec<String>, name: &str, value: bool) -> Option<String> {
    let i = args.iter().position(|a| a == name)?;
    let v = if value && i + 1 < args.len() {
        args.remove(i + 1)
    } else {
        String::new()
    };
    args.remove(i);
    Some(v)
}

fn main() -> Result<()> {
    let (repeat, mut args) = bench_common::repeat_args()?;
    let only = take_flag(&mut args, "--encoding", true);
    let ours_only = take_flag(&mut args, "--ours-only", false).is_some();
    let evict_mb: usize = match take_flag(&mut args, "--evict-mb", true) {
        Some(v) => v.parse().context("--evict-mb takes a whole number of MB")?,
        None => 0,
    };
    let texts = read_texts(&args)?;
    let bytes: usize = texts.iter().map(String::len).sum();
    if texts.is_empty() {
        bail!("no texts in {args:?}");
    }
    for e in ENCODINGS
        .iter()
        .filter(|e| only.as_ref().is_none_or(|o| o == e.name))
    {
        // First use builds the counter: in a run that is part of `tokens.count_ns`.
        let t = thread_cpu_secs();
        let ours = (e.counter)();
        let load_s = thread_cpu_secs() - t;
        let reference = (e.reference)();
        // Warm-up: loads both vocabularies, fills the lazy DFA's state cache.
        let ok = texts
            .iter()
            .all(|t| ours_only || ours.count(t) == reference.count_ordinary(t));
        let (secs_ours, tokens) = best_of(&texts, repeat, evict_mb << 20, |t| ours.count(t));
        let (secs_ref, _) = match ours_only {
            true => (f64::NAN, 0),
            false => best_of(&texts, repeat, evict_mb << 20, |t| {
                reference.count_ordinary(t)
            }),
        };
        println!(
            "{}",
            serde_json::json!({
                "encoding": e.name, "texts": texts.len(), "bytes": bytes, "tokens": tokens,
                "identical": (!ours_only).then_some(ok), "load_s": load_s, "ours_s": secs_ours, "tiktoken_rs_s": secs_ref,
                "ours_mb_s": bytes as f64 / 1e6 / secs_ours,
                "tiktoken_rs_mb_s": bytes as f64 / 1e6 / secs_ref,
                "speedup": secs_ref / secs_ours,
            })
        );
        if !ok {
            bail!("{}: counts differ from tiktoken-rs", e.name);
        }
    }
    Ok(())
}
