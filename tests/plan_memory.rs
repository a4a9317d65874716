//! `skypile plan` must not under-estimate (issue #15 item 9): its docs-0 memory is checked
//! against the peak RSS of a real docs-0 rank (`getrusage(RUSAGE_CHILDREN)`), its doc count
//! against the docs the rank read. The input is a per-record-gzip WARC of the real pages in
//! `../shared/data/extraction` (skips without it, fails under SKYPILE_REQUIRE_DATA=1).
//!
//! - One test in this file: RUSAGE_CHILDREN is the largest child of the whole test process.
//! - Memory, not time: nothing here depends on the machine's load.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_skypile"))
}

/// Every `*.html` under `dir`, sorted.
fn pages(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            pages(&p, out);
        } else if p.extension().is_some_and(|e| e == "html") {
            out.push(p);
        }
    }
}

/// One gzip member per response record, as Common Crawl writes them.
fn warc_record(url: &str, body: &[u8]) -> Vec<u8> {
    let http = [
        &b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n"[..],
        body,
    ]
    .concat();
    let head = format!(
        "WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: {url}\r\nWARC-Record-ID: <urn:uuid:{url}>\r\nContent-Type: application/http; msgtype=response\r\nContent-Length: {}\r\n\r\n",
        http.len()
    );
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(head.as_bytes()).unwrap();
    gz.write_all(&http).unwrap();
    gz.write_all(b"\r\n\r\n").unwrap();
    gz.finish().unwrap()
}

/// Largest peak RSS of the children waited for so far, in bytes (Linux reports KiB).
fn children_max_rss() -> u64 {
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `u` is a valid, writable rusage for the call to fill.
    assert_eq!(unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut u) }, 0);
    u.ru_maxrss as u64 * 1024
}

/// `N MB` or `N GB` after the stage name in plan's table, in bytes.
fn planned_bytes(plan: &str, stage: &str) -> u64 {
    let row = plan
        .lines()
        .find(|l| l.split_whitespace().next() == Some(stage))
        .unwrap_or_else(|| panic!("no {stage} row in\n{plan}"));
    let f: Vec<&str> = row.split_whitespace().collect();
    let v: f64 = f[2].parse().unwrap();
    let unit = if f[3] == "GB" { 1u64 << 30 } else { 1 << 20 };
    (v * unit as f64) as u64
}

#[test]
fn plan_covers_the_measured_peak_of_a_docs_rank_and_counts_docs() {
    let Some(root) = skypile_core::testdata::shared_data() else {
        return;
    };
    let Some(extraction) = skypile_core::testdata::require(&root, "extraction") else {
        return;
    };
    let mut files = Vec::new();
    pages(&extraction, &mut files);
    if files.len() < 100 {
        skypile_core::testdata::skip::<()>("fewer than 100 pages under extraction/");
        return;
    }
    let dir = std::env::temp_dir().join(format!("skypile-plan-mem-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("in")).unwrap();
    // two files, so the sample reads one whole and the doc count scales by bytes
    for (part, chunk) in files.chunks(files.len().div_ceil(2)).enumerate() {
        let mut w = Vec::new();
        for (i, f) in chunk.iter().enumerate() {
            let url = format!("http://example.org/{part}/{i}");
            w.extend(warc_record(&url, &std::fs::read(f).unwrap()));
        }
        std::fs::write(dir.join(format!("in/part-{part}.warc.gz")), w).unwrap();
    }
    let pipeline = Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines/skypile.yaml");
    let common = |c: &mut Command| {
        c.arg(&pipeline).arg("--input").arg(dir.join("in")).args([
            "--tasks",
            "1",
            "--workers",
            "2",
        ]);
    };

    // the rank first: RUSAGE_CHILDREN then holds its peak alone
    let mut run = bin();
    run.arg("run");
    common(&mut run);
    let st = run
        .arg("--output")
        .arg(dir.join("out"))
        .args(["--stage", "docs-0", "--task", "0", "-q"])
        .status()
        .unwrap();
    assert!(st.success());
    let measured = children_max_rss();
    let stats = std::fs::read_to_string(dir.join("out/stats/docs-0/00000.json")).unwrap();
    let stats: serde_json::Value = serde_json::from_str(&stats).unwrap();
    let read = stats["counters"]["ingest.docs"].as_u64().unwrap();
    assert!(read as usize >= files.len() * 9 / 10, "{read} docs read");

    let mut plan = bin();
    plan.arg("plan");
    common(&mut plan);
    let out = plan.output().unwrap();
    assert!(out.status.success());
    let plan = String::from_utf8(out.stdout).unwrap();
    let planned = planned_bytes(&plan, "docs-0");
    let docs: u64 = plan
        .split(" docs ")
        .next()
        .and_then(|h| h.rsplit('~').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no doc count in\n{plan}"));
    let mb = |b: u64| b as f64 / 1_048_576.0;
    eprintln!(
        "plan: docs-0 {:.0} MB for a measured {:.0} MB; {docs} docs for {read} read",
        mb(planned),
        mb(measured)
    );
    assert!(
        planned as f64 >= 0.9 * measured as f64,
        "plan under-estimates: {:.0} MB planned, {:.0} MB measured\n{plan}",
        mb(planned),
        mb(measured)
    );
    assert!(
        (planned as f64) <= 2.0 * measured as f64,
        "plan over-estimates more than 2x: {:.0} MB planned, {:.0} MB measured\n{plan}",
        mb(planned),
        mb(measured)
    );
    let ratio = docs as f64 / read as f64;
    assert!((0.8..=1.25).contains(&ratio), "{docs} planned, {read} read");
    std::fs::remove_dir_all(&dir).ok();
}
