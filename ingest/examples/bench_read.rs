//! Reader benchmark: read + decode every record of the given archives on one thread.
//! Prints one JSON line: records, docs, seconds, records/s, MB/s (compressed input) and
//! decoded HTML MB. Used by scripts/bench/ingest.sh.

use std::time::Instant;

use skypile_ingest::{Event, InputConfig};

fn main() -> anyhow::Result<()> {
    let paths: Vec<String> = std::env::args().skip(1).collect();
    let mut cfg = InputConfig {
        paths: paths.clone(),
        ..Default::default()
    };
    // Reading only (no HTTP/charset work), to separate the two costs.
    if std::env::var_os("BENCH_READ_ONLY").is_some() {
        cfg.record_types.clear();
    }
    let files = skypile_ingest::list_inputs(&cfg.paths)?;
    let bytes: u64 = files
        .iter()
        .map(|f| std::fs::metadata(f).map(|m| m.len()).unwrap_or(0))
        .sum();
    let t = Instant::now();
    let (mut records, mut docs, mut html) = (0u64, 0u64, 0u64);
    for (i, f) in files.iter().enumerate() {
        for ev in skypile_ingest::open(f, i as u32, &cfg)? {
            match ev {
                Event::Doc(d) => {
                    records += 1;
                    docs += 1;
                    html += d.raw.as_ref().map_or(d.text().len(), |r| r.html.len()) as u64;
                }
                Event::Skip { reason, .. } if !reason.ends_with("garbage") => records += 1,
                Event::Skip { .. } => {}
            }
        }
    }
    let s = t.elapsed().as_secs_f64();
    println!(
        "{{\"reader\":\"skypile\",\"records\":{records},\"docs\":{docs},\"seconds\":{s:.3},\"records_per_s\":{:.0},\"mb_per_s\":{:.1},\"html_mb\":{:.1}}}",
        records as f64 / s,
        bytes as f64 / 1e6 / s,
        html as f64 / 1e6
    );
    Ok(())
}
