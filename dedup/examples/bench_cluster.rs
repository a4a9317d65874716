//! Peak RSS of the minhash reduce stages (bucket sort per band, union-find) on synthetic
//! signatures, against `estimate_memory` (what `skypile plan` prints).
//!
//! Docs are grouped into near-duplicate clusters (a share `--dup-frac` of docs, clusters of
//! 2–6 whose members share each band with probability 0.7) and unrelated docs with random
//! band hashes. The doc stage runs first through the real collectors; the peak is reset
//! (`/proc/self/clear_refs`) before each reduce stage and read from `VmHWM` after it.
//!
//! `cargo run --release -p skypile-dedup --example bench_cluster -- --docs 10000000 [--tasks 8]
//!  [--dup-frac 0.5] [--dir /tmp/x]`

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;
use skypile_core::{DocKey, GlobalStep, StageCtx};
use skypile_dedup::{Minhash, MinhashConfig, estimate_memory};

fn splitmix(s: &mut u64) -> u64 {
    *s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *s;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn vm_hwm() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn mib(b: u64) -> f64 {
    b as f64 / (1u64 << 20) as f64
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let docs: u64 = flag("--docs")
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let tasks: usize = flag("--tasks").and_then(|s| s.parse().ok()).unwrap_or(8);
    let dup: f64 = flag("--dup-frac")
        .and_then(|s| s.parse().ok())
        .unwrap_or(0.5);
    let dir = flag("--dir").map(PathBuf::from).unwrap_or_else(|| {
        std::env::temp_dir().join(format!("skypile-bench-cluster-{}", std::process::id()))
    });
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let cfg = MinhashConfig::default();
    let step = Minhash::new(cfg.clone())?;
    let ctx = |task, tasks| StageCtx {
        dir: dir.clone(),
        task,
        tasks,
        workers: 1,
        config_hash: step.config_hash(),
    };

    let t0 = Instant::now();
    let per_task = docs.div_ceil(tasks as u64);
    let mut planted = 0u64;
    for t in 0..tasks {
        let mut c = step.collector(&ctx(t, tasks))?;
        let mut s = 0x5eed ^ t as u64;
        let (lo, hi) = (t as u64 * per_task, ((t as u64 + 1) * per_task).min(docs));
        for i in lo..hi {
            // doc i is in cluster i / 4 when that cluster is a duplicate one (share `dup`)
            let cluster = i / 4;
            let in_dup = (splitmix(&mut cluster.clone()) % 1000) < (dup * 1000.0) as u64;
            let mut obs = Vec::with_capacity(cfg.bands * 8);
            for b in 0..cfg.bands as u64 {
                let shared = in_dup && splitmix(&mut s) % 10 < 7;
                let h = if shared {
                    splitmix(&mut (cluster * 131 + b))
                } else {
                    splitmix(&mut s)
                };
                obs.extend_from_slice(&h.to_le_bytes());
            }
            planted += in_dup as u64;
            c.push(DocKey::new((i / 100_000) as u32, i), obs)?;
        }
        c.finish()?;
    }
    println!(
        "doc stage: {docs} docs in {tasks} tasks ({planted} in planted clusters) in {:.1}s, peak RSS {:.0} MiB",
        t0.elapsed().as_secs_f64(),
        mib(vm_hwm())
    );
    let mut peak = 0;
    for (stage, ranks) in step.reduce_stages(tasks) {
        reset_peak();
        let t = Instant::now();
        let mut counters = skypile_core::Counters::default();
        for r in 0..ranks {
            counters.merge(&step.reduce(&stage, &ctx(r, ranks))?);
        }
        let p = vm_hwm();
        peak = peak.max(p);
        println!(
            "{stage:<16} {ranks:>3} ranks {:>6.1}s  peak RSS {:>7.1} MiB  {:?}",
            t.elapsed().as_secs_f64(),
            mib(p),
            counters.0
        );
    }
    let est = estimate_memory(docs, &cfg);
    println!(
        "reduce peak RSS {:.1} MiB, estimate_memory {:.1} MiB, estimate/measured = {:.2}",
        mib(peak),
        mib(est),
        est as f64 / peak.max(1) as f64
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
