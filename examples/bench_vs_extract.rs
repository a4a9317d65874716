//! Benchmark piece (scripts/bench/run.sh): main-text extraction only, as trafilatura/resiliparse are
//! measured. Reads and decodes every HTML doc of the files first (untimed, through
//! `skypile_ingest`), then times `skypile_extract::extract` over them on N threads (doc i on
//! thread i % N).
//!
//! `target/release/examples/bench_vs_extract [--threads N] [--limit DOCS] FILE...` prints one JSON line.

use std::time::Instant;

use anyhow::Result;
use skypile_extract::{ExtractConfig, Status, extract};
use skypile_ingest::{Event, InputConfig};

#[path = "common/bench_common.rs"]
mod bench_common;

fn main() -> Result<()> {
    let (threads, limit, files) = bench_common::args_full()?;
    let cfg = InputConfig::default();
    let mut pages = Vec::new();
    'files: for (idx, f) in &files {
        for ev in skypile_ingest::open(f, *idx, &cfg)? {
            if let Event::Doc(mut d) = ev {
                if let Some(raw) = d.raw.take() {
                    pages.push(raw.html);
                    if limit > 0 && pages.len() >= limit {
                        break 'files;
                    }
                }
            }
        }
    }
    let html_bytes: usize = pages.iter().map(String::len).sum();
    let ecfg = ExtractConfig::default();
    let t = Instant::now();
    let per: Vec<(usize, usize)> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..threads)
            .map(|w| {
                let (pages, ecfg) = (&pages, &ecfg);
                s.spawn(move || {
                    let (mut text, mut empty) = (0usize, 0usize);
                    for html in pages.iter().skip(w).step_by(threads) {
                        let e = extract(html, ecfg);
                        text += e.text.len();
                        empty += usize::from(e.status != Status::Ok);
                    }
                    (text, empty)
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap_or((0, 0))).collect()
    });
    let secs = t.elapsed().as_secs_f64();
    let text: usize = per.iter().map(|p| p.0).sum();
    let empty: usize = per.iter().map(|p| p.1).sum();
    println!(
        "{{\"docs\": {}, \"bytes\": {html_bytes}, \"text_bytes\": {text}, \"not_ok\": {empty}, \"secs\": {secs:.4}, \"threads\": {threads}}}",
        pages.len()
    );
    Ok(())
}
