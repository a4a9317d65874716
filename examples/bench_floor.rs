//! Benchmark piece (README "Performance", the hardware limit): how fast this machine can only
//! inflate the `.warc.gz` files (flate2 + zlib-rs, as our reader) and validate the inflated
//! bytes as UTF-8 (`std::str::from_utf8` on each 1 MiB block, cut at a char boundary), one
//! thread. No WARC parsing, no HTTP, no charset work: a pipeline reading these files cannot be
//! faster than this per core. Best of `--repeat` passes.
//!
//! `target/release/examples/bench_floor [--repeat N] FILE.warc.gz...` prints one JSON line.

use std::io::Read;
use std::time::Instant;

use anyhow::{Context, Result};

/// Inflated bytes and how many of them were valid UTF-8 (binary payloads are not).
#[path = "common/bench_common.rs"]
mod bench_common;

fn pass(files: &[String], validate: bool) -> Result<(u64, u64)> {
    let mut buf = vec![0u8; 1 << 20];
    let (mut total, mut valid) = (0u64, 0u64);
    for f in files {
        let file = std::fs::File::open(f).with_context(|| f.clone())?;
        let mut gz = flate2::read::MultiGzDecoder::new(std::io::BufReader::new(file));
        loop {
            let n = gz.read(&mut buf)?;
            if n == 0 {
                break;
            }
            total += n as u64;
            if validate {
                valid += match std::str::from_utf8(&buf[..n]) {
                    Ok(s) => s.len(),
                    Err(e) => e.valid_up_to(),
                } as u64;
            }
        }
    }
    Ok((total, valid))
}

fn main() -> Result<()> {
    let (repeat, args) = bench_common::repeat_args()?;
    let gz: u64 = args
        .iter()
        .map(|f| std::fs::metadata(f).map_or(0, |m| m.len()))
        .sum();
    let (mut inflate_s, mut both_s, mut out) = (f64::MAX, f64::MAX, (0, 0));
    for _ in 0..repeat {
        let t = Instant::now();
        pass(&args, false)?;
        inflate_s = inflate_s.min(t.elapsed().as_secs_f64());
        let t = Instant::now();
        out = pass(&args, true)?;
        both_s = both_s.min(t.elapsed().as_secs_f64());
    }
    let mb = out.0 as f64 / 1e6;
    println!(
        "{}",
        serde_json::json!({
            "gz_mb": gz as f64 / 1e6, "inflated_mb": mb, "utf8_valid_mb": out.1 as f64 / 1e6,
            "inflate_mb_s": mb / inflate_s, "inflate_utf8_mb_s": mb / both_s,
        })
    );
    Ok(())
}
