//! A/B of the extract step's parse: the fast tokenizer (`extract`) against html5ever's own
//! (`extract_html5ever`) on the HTML records of WARC files, one thread, thread CPU time (robust on
//! a shared machine), best of `--repeat` runs, and a check that both give identical results.
//!
//! `cargo run --release -p skypile-extract --example extract_cpu -- [--repeat N] [--limit DOCS] [--fast-only] FILE...`
//! prints one JSON line: docs, µs/doc of each path, their ratio and `identical`.

use anyhow::{Result, bail};
use skypile_core::cpu::thread_cpu_secs;
use skypile_extract::{ExtractConfig, Extracted, extract, extract_html5ever};
use skypile_ingest::{Event, InputConfig};

/// Everything the step writes (text, title, link density, status, cut) as one comparable key.
fn key(e: &Extracted) -> String {
    format!(
        "{:?}|{:?}|{:?}|{}|{}",
        e.status,
        e.cut,
        e.title,
        e.link_density.to_bits(),
        e.text
    )
}

fn best_run(
    pages: &[String],
    cfg: &ExtractConfig,
    f: fn(&str, &ExtractConfig) -> Extracted,
) -> f64 {
    let t = thread_cpu_secs();
    for html in pages {
        std::hint::black_box(f(html, cfg));
    }
    thread_cpu_secs() - t
}

fn main() -> Result<()> {
    let (mut repeat, mut limit, mut files) = (3usize, 0usize, Vec::new());
    // `--fast-only`: time only `extract` (for `perf record` of the production path)
    let mut fast_only = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--repeat" => repeat = args.next().unwrap_or_default().parse()?,
            "--limit" => limit = args.next().unwrap_or_default().parse()?,
            "--fast-only" => fast_only = true,
            _ => files.push(a),
        }
    }
    if files.is_empty() {
        bail!("usage: extract_cpu [--repeat N] [--limit DOCS] [--fast-only] FILE.warc.gz ...");
    }
    let icfg = InputConfig::default();
    let mut pages = Vec::new();
    'files: for (i, f) in files.iter().enumerate() {
        for ev in skypile_ingest::open(std::path::Path::new(f), i as u32, &icfg)? {
            if let Event::Doc(mut d) = ev
                && let Some(raw) = d.raw.take()
            {
                pages.push(raw.html);
                if limit > 0 && pages.len() >= limit {
                    break 'files;
                }
            }
        }
    }
    let cfg = ExtractConfig::default();
    if fast_only {
        let mut fast = f64::MAX;
        for _ in 0..repeat.max(1) {
            fast = fast.min(best_run(&pages, &cfg, extract));
        }
        let n = pages.len().max(1) as f64;
        println!(
            "{{\"docs\": {}, \"us_per_doc_fast\": {:.1}}}",
            pages.len(),
            fast / n * 1e6
        );
        return Ok(());
    }
    let differ = pages
        .iter()
        .filter(|h| key(&extract(h, &cfg)) != key(&extract_html5ever(h, &cfg)))
        .count();
    let (mut fast, mut reference) = (f64::MAX, f64::MAX);
    for _ in 0..repeat.max(1) {
        fast = fast.min(best_run(&pages, &cfg, extract));
        reference = reference.min(best_run(&pages, &cfg, extract_html5ever));
    }
    let n = pages.len().max(1) as f64;
    println!(
        "{{\"docs\": {}, \"us_per_doc_fast\": {:.1}, \"us_per_doc_html5ever\": {:.1}, \"speedup\": {:.3}, \"differ\": {differ}}}",
        pages.len(),
        fast / n * 1e6,
        reference / n * 1e6,
        reference / fast
    );
    Ok(())
}
