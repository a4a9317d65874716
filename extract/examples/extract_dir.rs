//! Extract every `*.html`/`*.htm` file of a directory to `<out>/<stem>.txt`.
//!
//! `cargo run --release -p skypile-extract --example extract_dir -- IN OUT [--favor F] [--repeat N]`
//! prints `docs=<n> seconds=<CPU time of extraction> docs_per_s=<..>` on stderr; the time is
//! process CPU time (robust on a shared machine) of extraction only (files are read and decoded
//! first), single thread, so it is docs/s per core.

use std::path::PathBuf;
use std::time::Instant;

use skypile_extract::{ExtractConfig, Favor, extract};

#[path = "../tests/common/decode.rs"]
mod decode;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut pos = Vec::new();
    let mut cfg = ExtractConfig::default();
    let mut repeat = 1usize;
    let mut decoded_out: Option<PathBuf> = None;
    let mut parse_only = false;
    let mut prepared = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--favor" => {
                cfg.favor = match it.next().map(String::as_str) {
                    Some("precision") => Favor::Precision,
                    Some("recall") => Favor::Recall,
                    _ => Favor::Balanced,
                }
            }
            "--explain" => {
                let p = it.next().map(PathBuf::from).unwrap_or_default();
                print!(
                    "{}",
                    skypile_extract::explain(&decode::decode(&std::fs::read(p)?), &cfg)
                );
                return Ok(());
            }
            "--min-text-len" => {
                cfg.min_text_len = it.next().and_then(|s| s.parse().ok()).unwrap_or(1)
            }
            "--parse-only" => parse_only = true,
            "--parse-prepared" => (parse_only, prepared) = (true, true),
            "--decoded-out" => decoded_out = it.next().map(PathBuf::from),
            "--repeat" => repeat = it.next().and_then(|s| s.parse().ok()).unwrap_or(1),
            _ => pos.push(PathBuf::from(a)),
        }
    }
    let [inp, out] = pos.as_slice() else {
        anyhow::bail!(
            "usage: extract_dir IN_DIR OUT_DIR [--favor precision|balanced|recall] [--min-text-len N] [--repeat N] [--decoded-out DIR] [--explain FILE]"
        );
    };
    std::fs::create_dir_all(out)?;
    let mut pages = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(inp)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        if matches!(p.extension().and_then(|e| e.to_str()), Some("html" | "htm")) {
            pages.push((p.clone(), decode::decode(&std::fs::read(&p)?)));
        }
    }
    if let Some(d) = &decoded_out {
        // the exact UTF-8 input, so peers in scripts/eval/extract.py parse the same string
        std::fs::create_dir_all(d)?;
        for (p, html) in &pages {
            let stem = p.file_stem().and_then(|s| s.to_str()).unwrap_or("page");
            std::fs::write(d.join(format!("{stem}.html")), html)?;
        }
    }
    let t = Instant::now();
    let cpu0 = cpu_seconds();
    let mut results = Vec::with_capacity(pages.len());
    for r in 0..repeat.max(1) {
        for (_, html) in &pages {
            if parse_only {
                let doc = if prepared {
                    let p = skypile_extract::budget::prepare(html, &cfg);
                    scraper::Html::parse_document(&p.html)
                } else {
                    scraper::Html::parse_document(html)
                };
                std::hint::black_box(&doc);
                continue;
            }
            let e = extract(html, &cfg);
            if r == 0 {
                results.push(e.text);
            }
        }
    }
    let wall = t.elapsed().as_secs_f64();
    let secs = cpu_seconds() - cpu0;
    for ((p, _), text) in pages.iter().zip(results) {
        let stem = p.file_stem().and_then(|s| s.to_str()).unwrap_or("page");
        std::fs::write(out.join(format!("{stem}.txt")), text)?;
    }
    let n = pages.len() * repeat.max(1);
    eprintln!(
        "docs={n} seconds={secs:.4} wall={wall:.4} docs_per_s={:.1}",
        n as f64 / secs.max(1e-9)
    );
    Ok(())
}

/// CPU time of this (single-threaded) process.
fn cpu_seconds() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime only writes the timespec we pass.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return 0.0;
    }
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}
