//! Benchmark piece (scripts/bench/run.sh): WARC read + decode only, as FastWARC/warcio are measured.
//! Drains `skypile_ingest::open` over each file (de-gzip, WARC parse, HTTP de-chunk and
//! decompression, charset detection, conversion to UTF-8) and counts docs and decoded bytes.
//! With `--threads N` the files are read by N threads (file i on thread i % N), as N workers.
//!
//! `target/release/examples/bench_vs_read [--threads N] FILE...` prints one JSON line.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;
use skypile_ingest::{Event, InputConfig};

#[path = "common/bench_common.rs"]
mod bench_common;

type Counts = (u64, u64, BTreeMap<String, u64>);

fn drain(files: &[(u32, PathBuf)]) -> Result<Counts> {
    let cfg = InputConfig::default();
    let (mut docs, mut bytes, mut skipped) = (0u64, 0u64, BTreeMap::new());
    for (idx, f) in files {
        for ev in skypile_ingest::open(f, *idx, &cfg)? {
            match ev {
                Event::Doc(d) => {
                    docs += 1;
                    bytes += d.raw.as_ref().map_or(0, |r| r.html.len()) as u64;
                }
                Event::Skip { reason, .. } => *skipped.entry(reason).or_insert(0) += 1,
            }
        }
    }
    Ok((docs, bytes, skipped))
}

fn main() -> Result<()> {
    let (threads, files) = bench_common::args()?;
    let t = Instant::now();
    let per = bench_common::split_files(&files, threads);
    let results: Vec<Result<Counts>> = std::thread::scope(|s| {
        let hs: Vec<_> = per.iter().map(|fs| s.spawn(move || drain(fs))).collect();
        hs.into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("reader panicked")))
            })
            .collect()
    });
    let secs = t.elapsed().as_secs_f64();
    let (mut docs, mut bytes, mut skipped) = (0, 0, BTreeMap::new());
    for r in results {
        let (d, b, s) = r?;
        docs += d;
        bytes += b;
        for (k, v) in s {
            *skipped.entry(k).or_insert(0) += v;
        }
    }
    let skipped: Vec<String> = skipped
        .iter()
        .map(|(k, v)| format!("\"{k}\": {v}"))
        .collect();
    println!(
        "{{\"docs\": {docs}, \"bytes\": {bytes}, \"skipped\": {{{}}}, \"secs\": {secs:.4}, \"threads\": {threads}}}",
        skipped.join(", ")
    );
    Ok(())
}
