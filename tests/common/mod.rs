//! Helpers shared by the integration tests.
#![allow(dead_code)] // each test binary uses its own subset

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use arrow_array::{Array, StringArray};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::Value;

/// The skypile binary, run from the repository root (pipelines' relative paths resolve), with
/// its normal output (run summary, log lines).
pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_skypile"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

/// [`bin`] with `-q`: errors and warnings only, what most tests want.
pub fn quiet() -> Command {
    let mut c = bin();
    c.arg("-q");
    c
}

/// `skypile -q run PIPELINE --input INPUT --output OUT`: the chain most tests start from.
pub fn run_cmd(pipeline: &Path, input: &Path, out: &Path) -> Command {
    let mut c = quiet();
    c.arg("run")
        .arg(pipeline)
        .arg("--input")
        .arg(input)
        .arg("--output")
        .arg(out);
    c
}

/// A fresh, empty scratch folder, unique per test binary, test `name` and process.
pub fn tmp(name: &str) -> PathBuf {
    let crate_name = env!("CARGO_CRATE_NAME");
    let d = std::env::temp_dir().join(format!(
        "skypile-{crate_name}-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Run `cmd` (skypile, or a Python check); it must succeed, else the test fails showing the
/// command line, its stderr and stdout.
pub fn run_ok(cmd: &mut Command) -> Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}): {}\nstdout: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    out
}

/// Run `cmd`; it must exit with `code` (0 done, 1 runtime error, 2 usage, 3 done with damaged
/// input), else the test fails showing its stderr. Its (stdout, stderr).
pub fn exits(cmd: &mut Command, code: i32) -> (String, String) {
    let o = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
    let (stdout, stderr) = text(&o);
    assert_eq!(o.status.code(), Some(code), "{cmd:?}: {stderr}");
    (stdout, stderr)
}

/// (stdout, stderr) of a finished command, as text.
pub fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Files of a directory, sorted (empty if it does not exist).
pub fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|r| r.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

/// The named string columns of every row of `out/data/*.parquet`, in shard and row order.
pub fn string_rows(out: &Path, cols: &[&str]) -> Vec<Vec<Option<String>>> {
    let mut rows = Vec::new();
    for p in files(&out.join("data")) {
        let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(&p).unwrap())
            .unwrap()
            .build()
            .unwrap();
        for b in reader {
            let b = b.unwrap();
            let arrays: Vec<&StringArray> = cols
                .iter()
                .map(|c| {
                    b.column_by_name(c)
                        .unwrap_or_else(|| panic!("no column {c}"))
                        .as_any()
                        .downcast_ref::<StringArray>()
                        .unwrap()
                })
                .collect();
            for i in 0..b.num_rows() {
                rows.push(
                    arrays
                        .iter()
                        .map(|a| (!a.is_null(i)).then(|| a.value(i).to_string()))
                        .collect(),
                );
            }
        }
    }
    rows
}

/// A JSON file of an output folder.
pub fn json(p: &Path) -> Value {
    let bytes = std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// No panic was caught during the run: every counter of `out/stats.json` named `*.panic`,
/// `*_panic` (steps, dedup, `ingest.bad_reader_panic`) is 0.
/// * Steps and readers turn a panic into a drop or a counter so a run goes on; an end-to-end
///   test must still fail on one, since a panic on input is a bug.
pub fn assert_no_panics(out: &Path) {
    fn walk(v: &Value, path: &str, bad: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    let p = format!("{path}.{k}");
                    let panic = k.ends_with(".panic") || k.ends_with("_panic") || k == "panic";
                    if panic && x.as_f64().is_some_and(|n| n != 0.0) {
                        bad.push(format!("{p} = {x}"));
                    }
                    walk(x, &p, bad);
                }
            }
            Value::Array(a) => a
                .iter()
                .enumerate()
                .for_each(|(i, x)| walk(x, &format!("{path}[{i}]"), bad)),
            _ => {}
        }
    }
    let stats = json(&out.join("stats.json"));
    assert!(
        stats["counters"].is_object(),
        "{}: no counters",
        out.display()
    );
    let mut bad = Vec::new();
    walk(&stats, "stats", &mut bad);
    assert!(
        bad.is_empty(),
        "{}: panics caught in the run: {bad:?}",
        out.display()
    );
}

/// A JSON value without its timings (keys ending `_ns`, `elapsed_s`, `time_s`), which are
/// the only part of `stats.json` / `manifest.json` allowed to differ between equal runs.
pub fn without_timings(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| {
                    !(k.ends_with("_ns") || k.ends_with("elapsed_s") || k.ends_with("time_s"))
                })
                .map(|(k, x)| (k.clone(), without_timings(x)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(without_timings).collect()),
        x => x.clone(),
    }
}

/// Files under `dir`, recursively, as sorted paths relative to it.
pub fn tree(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, d: &Path, out: &mut Vec<String>) {
        for p in files(d) {
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).unwrap();
                out.push(rel.to_string_lossy().into_owned());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// Two output folders are the same run's output, file by file: the same paths (logs/ aside:
/// its lines carry wall-clock times), every `*.json` (manifest, stats, run.json, per-rank
/// stats) equal but for timings, every other file (data/ and removed/ shards, completion
/// markers) byte for byte. Returns how many data/removed files were compared.
pub fn assert_same_output(a: &Path, b: &Path, what: &str) -> usize {
    let keep = |v: Vec<String>| -> Vec<String> {
        v.into_iter().filter(|p| !p.starts_with("logs/")).collect()
    };
    let (ta, tb) = (keep(tree(a)), keep(tree(b)));
    assert_eq!(ta, tb, "{what}: the output folders hold different files");
    let mut shards = 0;
    for rel in &ta {
        let (x, y) = (a.join(rel), b.join(rel));
        if rel.ends_with(".json") {
            assert_eq!(
                without_timings(&json(&x)),
                without_timings(&json(&y)),
                "{what}: {rel} differs (timings excluded)"
            );
        } else {
            let same = std::fs::read(&x).unwrap() == std::fs::read(&y).unwrap();
            assert!(same, "{what}: {rel} differs");
            shards += (rel.starts_with("data/") || rel.starts_with("removed/")) as usize;
        }
    }
    assert!(
        ta.iter().any(|p| p == "manifest.json") && ta.iter().any(|p| p == "stats.json"),
        "{what}: no manifest.json/stats.json in {}",
        a.display()
    );
    shards
}

/// A hash of (doc, line, position), so docs do not repeat by accident.
fn mix(src: usize, l: usize, k: usize) -> usize {
    let mut x = ((src * 1000 + l * 50 + k) as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    x ^= x >> 29;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    (x ^ (x >> 32)) as usize
}

/// The lines of original doc `src`: 5-8 sentences, English (every third word a stop word) or,
/// for every third doc, Chinese, so that the quality filters keep most of them.
fn lines(src: usize) -> Vec<String> {
    const EN: [&str; 40] = [
        "river", "stone", "cloud", "paper", "lamp", "garden", "signal", "harbor", "winter",
        "copper", "market", "teacher", "window", "bridge", "village", "engine", "letter", "summer",
        "forest", "station", "doctor", "kitchen", "island", "museum", "painter", "farmer",
        "school", "mountain", "library", "morning", "evening", "journey", "history", "science",
        "weather", "picture", "student", "factory", "country", "question",
    ];
    const STOP: [&str; 10] = [
        "the", "and", "of", "to", "in", "is", "that", "with", "for", "on",
    ];
    const ZH: &str = "我们在北京大学学习自然语言处理城市春天山峰数据模型长江河流老师学生图书馆早晨晚上旅行历史科学天气照片工厂国家问题市场窗户桥梁村庄发动机信件夏天森林车站医生厨房岛屿博物馆画家农民";
    let zh: Vec<char> = ZH.chars().collect();
    (0..5 + src % 4)
        .map(|l| {
            if src.is_multiple_of(3) {
                let n = 20 + (src + l) % 20;
                let s: String = (0..n).map(|k| zh[mix(src, l, k) % zh.len()]).collect();
                s + "。"
            } else {
                let n = 10 + (src + l) % 8;
                let words: Vec<&str> = (0..n)
                    .map(|k| match k % 3 {
                        1 => STOP[mix(src, l, k) % STOP.len()],
                        _ => EN[mix(src, l, k) % EN.len()],
                    })
                    .collect();
                words.join(" ") + "."
            }
        })
        .collect()
}

/// `files` JSONL files of `docs` docs each in `dir`, with work for every dedup step in every
/// file: every 7th doc is an exact copy of an earlier one (exact_dedup), every 11th a copy with
/// one word added (minhash), every 5th carries one of three footer lines (line_dedup).
pub fn write_corpus(dir: &Path, files: usize, docs: usize) {
    std::fs::create_dir_all(dir).unwrap();
    let footers = ["harbor river", "copper lamp", "winter garden"];
    for f in 0..files {
        let mut s = String::new();
        for i in 0..docs {
            let n = f * docs + i;
            let mut text = if n % 7 == 3 && n > 20 {
                lines(n - 17)
            } else if n % 11 == 5 && n > 30 {
                let mut t = lines(n - 23);
                t.last_mut().unwrap().push_str(" Again.");
                t
            } else {
                lines(n)
            };
            if n.is_multiple_of(5) {
                let footer = footers[n % 3];
                text.insert(
                    1,
                    format!("Copyright {footer} all rights reserved 版权所有"),
                );
            }
            let line = serde_json::json!({"id": format!("d{n:06}"), "text": text.join("\n")});
            s.push_str(&line.to_string());
            s.push('\n');
        }
        std::fs::write(dir.join(format!("part{f}.jsonl")), s).unwrap();
    }
}

/// Run `cmd` to its end; its exit success and its own peak RSS in bytes (Linux reports KiB).
#[expect(
    clippy::zombie_processes,
    reason = "the child is reaped by wait4, for its rusage"
)]
pub fn run_measured(cmd: &mut Command) -> (bool, u64) {
    let child = cmd.spawn().unwrap();
    let mut status = 0;
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for our own child; `status` and `u` are valid, writable locals.
    let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut u) };
    assert_eq!(pid, child.id() as libc::pid_t);
    let ok = libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0;
    (ok, u.ru_maxrss as u64 * 1024)
}
