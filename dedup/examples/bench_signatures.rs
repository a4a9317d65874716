//! MinHash stage 1 throughput on one core: read JSONL (`text`, optional `lang`), observe every
//! doc (shingles, signature, band hashes) and write the band files through the real collector,
//! as datatrove's `MinhashDedupSignature` does (read, sign, write, sort). Reports GB of text per
//! core-hour from the CPU time of this thread (`/proc/thread-self/schedstat`).
//!
//! `cargo run --release -p skypile-dedup --example bench_signatures -- FILE.jsonl [--zh-unit words]`

use std::io::BufRead;

use anyhow::{Context, Result};
use skypile_core::{Doc, DocKey, GlobalStep, StageCtx};
use skypile_dedup::{Minhash, MinhashConfig, ZhUnit};

fn cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let path = args
        .get(1)
        .context("usage: bench_signatures FILE.jsonl [--zh-unit words]")?;
    let mut cfg = MinhashConfig::default();
    if args.iter().any(|a| a == "words") {
        cfg.zh_unit = ZhUnit::Words;
        skypile_core::text::jieba(); // dictionary load is a one-off, not per-GB cost
    }
    let step = Minhash::new(cfg)?;
    let dir = std::env::temp_dir().join(format!("skypile-bench-sig-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let ctx = StageCtx {
        dir: dir.clone(),
        task: 0,
        tasks: 1,
        workers: 1,
        config_hash: step.config_hash(),
    };
    let t0 = cpu_ns();
    let wall = std::time::Instant::now();
    let mut c = step.collector(&ctx)?;
    let (mut docs, mut bytes) = (0u64, 0u64);
    let f = std::io::BufReader::new(std::fs::File::open(path).with_context(|| path.clone())?);
    for (i, line) in f.lines().enumerate() {
        let line = line?;
        let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) else {
            continue;
        };
        let Some(text) = v.get("text").and_then(|t| t.as_str()) else {
            continue;
        };
        let mut d = Doc::from_text(i.to_string(), text);
        if let Some(l) = v.get("lang").and_then(|l| l.as_str()) {
            d.set_lang(l, 1.0);
        }
        bytes += text.len() as u64;
        docs += 1;
        c.push(DocKey::new(0, i as u64), step.observe(&d))?;
    }
    c.finish()?;
    let cpu = (cpu_ns() - t0) as f64 / 1e9;
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "skypile minhash stage 1: {docs} docs, {:.1} MB in {cpu:.2} s CPU ({:.2} s wall): {:.1} MB/s, {:.2} GB/core-hour",
        bytes as f64 / 1e6,
        wall.elapsed().as_secs_f64(),
        bytes as f64 / 1e6 / cpu,
        bytes as f64 / 1e9 / (cpu / 3600.0)
    );
    Ok(())
}
