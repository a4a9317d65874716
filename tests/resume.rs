//! Crash safety and rank bookkeeping of `skypile run`, with the real binary and real `kill -9`s.
//!
//! A reference run (exact_dedup, line_dedup, minhash, with removed/) goes to completion; then
//! the same run, throttled by the `SKYPILE_TEST_THROTTLE_MS` test hook so that every point is
//! reached on any machine, is started into fresh directories and SIGKILLed at each of 16
//! moments (spool, completions and reduce outputs of every stage, temp and final shards,
//! between stats.json and manifest.json, after a few ms); every kill must land. The rerun must
//! give the reference output file for file (`common::assert_same_output`: data/ and removed/
//! byte for byte, every JSON timings aside), never a `*.parquet` that does not open, no panic.
//! Also: a `--tasks 3` run done rank by rank (as Slurm array elements do) equals the local run,
//! and a relaunch skips finished ranks without double counting.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use arrow_array::{Array, StringArray};
use common::{assert_no_panics, assert_same_output, json};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

const EXE: &str = env!("CARGO_BIN_EXE_skypile");
const FILES: usize = 6;
const DOCS_PER_FILE: usize = 600;
/// Sleep per batch (and in the merge) of the runs that get killed: every kill point is then
/// reached mid-run on any machine (see `run::test_throttle`). ~40 batches per run.
const THROTTLE_MS: &str = "30";

struct Fixture {
    root: PathBuf,
    pipeline: PathBuf,
}

/// Input with work for every dedup step in every rank (see `common::write_corpus`).
fn fixture(name: &str) -> Fixture {
    let root = common::tmp(&format!("resume-{name}"));
    let input = root.join("input");
    common::write_corpus(&input, FILES, DOCS_PER_FILE);
    // Three global steps: spool + reduce + a docs stage after each, and removed/ shards.
    let steps = "steps:\n  - exact_dedup: {}\n  - line_dedup: {}\n  - minhash: {}\n";
    let pipeline = root.join("pipeline.yaml");
    std::fs::write(&pipeline, pipeline_yaml(&input, steps)).unwrap();
    common::run_ok(common::quiet().arg("validate").arg(&pipeline));
    Fixture { root, pipeline }
}

fn pipeline_yaml(input: &Path, steps: &str) -> String {
    format!(
        "name: resume\ninput:\n  paths: [{}]\ntasks: 3\nworkers: 2\noutput:\n  shard_max_rows: 250\n  write_removed: true\n{steps}",
        input.display()
    )
}

fn command(fx: &Fixture, out: &Path, extra: &[&str]) -> Command {
    let verbose = extra.contains(&"-v");
    let mut c = Command::new(EXE);
    c.arg(if verbose { "-v" } else { "-q" })
        .arg("run")
        .arg(&fx.pipeline)
        .arg("--output")
        .arg(out)
        .args(extra.iter().filter(|a| **a != "-v"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    c
}

fn start(fx: &Fixture, out: &Path, extra: &[&str]) -> Child {
    command(fx, out, extra).spawn().expect("starting skypile")
}

fn run_ok(fx: &Fixture, out: &Path, extra: &[&str]) -> String {
    let o = start(fx, out, extra).wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(o.status.success(), "skypile run {extra:?} failed: {err}");
    err
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// (shard file name, ids, texts) of every data shard, in name order.
fn read_data(out: &Path) -> Vec<(String, Vec<String>, Vec<String>)> {
    let mut shards = Vec::new();
    for p in files_under(&out.join("data")) {
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            !name.ends_with(".tmp"),
            "leftover temp file {}",
            p.display()
        );
        if !name.ends_with(".parquet") {
            continue;
        }
        let (ids, texts) = read_shard(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        shards.push((name, ids, texts));
    }
    shards
}

fn read_shard(p: &Path) -> Result<(Vec<String>, Vec<String>), String> {
    let f = std::fs::File::open(p).map_err(|e| e.to_string())?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(f)
        .and_then(|b| b.build())
        .map_err(|e| e.to_string())?;
    let (mut ids, mut texts) = (Vec::new(), Vec::new());
    for batch in reader {
        let batch = batch.map_err(|e| e.to_string())?;
        for (col, dst) in [("id", &mut ids), ("text", &mut texts)] {
            let a = batch
                .column_by_name(col)
                .ok_or(format!("no column {col}"))?;
            let a = a
                .as_any()
                .downcast_ref::<StringArray>()
                .ok_or(format!("{col} is not utf8"))?;
            dst.extend((0..a.len()).map(|i| a.value(i).to_string()));
        }
    }
    Ok((ids, texts))
}

/// Every `*.parquet` under `out` opens and reads to the end (a half-written file never looks done).
fn assert_parquet_files_open(out: &Path, when: &str) {
    for p in files_under(out) {
        if p.extension().is_some_and(|e| e == "parquet")
            && let Err(e) = read_shard(&p)
        {
            panic!(
                "{when}: {} is not a readable Parquet file: {e}",
                p.display()
            );
        }
    }
}

/// `out` holds exactly the reference output (data/, removed/, manifest, stats, timings
/// aside), every Parquet file under it opens, and no panic was caught.
fn assert_same(reference: &Path, out: &Path, what: &str) {
    read_data(out); // no leftover temp file in data/
    assert_same_output(reference, out, what);
    assert_parquet_files_open(out, what);
    assert_no_panics(out);
}

enum KillAt {
    /// When a file whose path (relative to the output dir) satisfies this appears.
    File(&'static str, fn(&str) -> bool),
    After(Duration),
}

/// Start a throttled run, SIGKILL it at `at` (if it has not finished by then), return whether
/// it was killed.
fn run_and_kill(fx: &Fixture, out: &Path, at: &KillAt) -> bool {
    let mut child = command(fx, out, &[])
        .env("SKYPILE_TEST_THROTTLE_MS", THROTTLE_MS)
        .spawn()
        .expect("starting skypile");
    let t0 = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        let hit = match at {
            KillAt::After(d) => t0.elapsed() >= *d,
            KillAt::File(_, pred) => files_under(out).iter().any(|p| {
                p.strip_prefix(out)
                    .is_ok_and(|r| pred(&r.to_string_lossy()))
            }),
        };
        if hit {
            child.kill().unwrap(); // SIGKILL
            child.wait().unwrap();
            return true;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(120),
            "run did not finish"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn kill_9_at_any_point_then_rerun_gives_the_uninterrupted_output() {
    let fx = fixture("kill");
    let reference = fx.root.join("ref");
    run_ok(&fx, &reference, &[]);
    assert_no_panics(&reference);
    assert_parquet_files_open(&reference, "reference");
    // Every step had work in the reference run, and dropped docs went to removed/.
    let stats = json(&reference.join("stats.json"));
    let c = &stats["counters"];
    for key in [
        "01.exact_dedup.dropped_exact_duplicate",
        "02.line_dedup.lines_removed",
        "03.minhash.dropped_minhash_duplicate",
    ] {
        assert!(c[key].as_u64().unwrap_or(0) > 50, "{key}: {c}");
    }
    assert!(stats["docs_out"].as_u64().unwrap() > 1000, "{stats}");
    assert!(common::files(&reference.join("removed")).len() >= 3);

    let points = [
        KillAt::File("first spool being written", |p| {
            p.starts_with("work/spool-0/") && p.ends_with(".tmp")
        }),
        KillAt::File("first docs-0 completion", |p| {
            p.starts_with("completions/docs-0/")
        }),
        KillAt::File("second docs-0 completion", |p| {
            p == "completions/docs-0/00001"
        }),
        KillAt::File("stats of the last docs-0 rank", |p| {
            p == "stats/docs-0/00002.json"
        }),
        KillAt::File("exact_dedup reduce output", |p| {
            p.starts_with("work/01.exact_dedup/exact-remove")
        }),
        KillAt::File("first exact_dedup reduce completion", |p| {
            p.starts_with("completions/01.")
        }),
        KillAt::File("first removed/ shard in place", |p| {
            p.starts_with("removed/docs1-") && p.ends_with(".parquet")
        }),
        KillAt::File("first docs-1 completion", |p| {
            p.starts_with("completions/docs-1/")
        }),
        KillAt::File("first line_dedup reduce completion", |p| {
            p.starts_with("completions/02.")
        }),
        KillAt::File("first minhash buckets completion", |p| {
            p.starts_with("completions/03.minhash-minhash_buckets/")
        }),
        KillAt::File("minhash clusters done", |p| {
            p.starts_with("completions/03.minhash-minhash_cluster/")
        }),
        KillAt::File("first temp data shard", |p| {
            p.starts_with("data/") && p.ends_with(".tmp")
        }),
        KillAt::File("first data shard in place", |p| {
            p.starts_with("data/") && p.ends_with(".parquet")
        }),
        KillAt::File("merge: stats.json before manifest.json", |p| {
            p == "stats.json"
        }),
        KillAt::After(Duration::from_millis(40)),
        KillAt::After(Duration::from_millis(700)),
    ];
    let mut killed = 0;
    for (i, at) in points.iter().enumerate() {
        let what = match at {
            KillAt::File(w, _) => w.to_string(),
            KillAt::After(d) => format!("after {d:?}"),
        };
        let out = fx.root.join(format!("kill{i}"));
        let hit = run_and_kill(&fx, &out, at);
        killed += hit as usize;
        eprintln!(
            "kill point {what}: {}",
            if hit { "killed" } else { "run finished first" }
        );
        assert_parquet_files_open(&out, &format!("right after kill at {what}"));
        // a second kill of the rerun, at a later point, before the final rerun
        if i % 3 == 0 {
            run_and_kill(&fx, &out, &KillAt::After(Duration::from_millis(60)));
        }
        run_ok(&fx, &out, &[]);
        assert_same(&reference, &out, &format!("kill at {what}"));
        let _ = std::fs::remove_dir_all(&out);
    }
    assert_eq!(
        killed,
        points.len(),
        "every kill point must be reached mid-run"
    );
    let _ = std::fs::remove_dir_all(&fx.root);
}

#[test]
fn rank_by_rank_equals_local_and_relaunch_skips_finished_ranks() {
    let fx = fixture("ranks");
    let local = fx.root.join("local");
    run_ok(&fx, &local, &[]);

    // Rank by rank, stage by stage, as Slurm array elements run them.
    let by_rank = fx.root.join("by-rank");
    run_ok(&fx, &by_rank, &["--stage", "docs-0", "--task", "2"]);
    let info = json(&by_rank.join("run.json"));
    let stages: Vec<(String, usize)> = serde_json::from_value(info["stages"].clone()).unwrap();
    assert_eq!(stages.first().map(|s| s.1), Some(3));
    // A later stage refuses to start before the one it depends on is complete.
    let next = &stages[1].0;
    let o = start(&fx, &by_rank, &["--stage", next, "--task", "0"])
        .wait_with_output()
        .unwrap();
    assert!(
        !o.status.success(),
        "stage {next} ran before docs-0 was complete"
    );
    for (name, ranks) in &stages {
        for r in (0..*ranks).rev() {
            run_ok(&fx, &by_rank, &["--stage", name, "--task", &r.to_string()]);
        }
    }
    assert_same(&local, &by_rank, "rank by rank");

    // Relaunch of a complete run: nothing is redone, nothing double counted.
    let stats0 = stats_mtimes(&by_rank);
    let err = run_ok(&fx, &by_rank, &["-v"]);
    assert!(err.contains("already complete"), "{err}");
    assert_eq!(stats0, stats_mtimes(&by_rank), "a finished rank was rerun");
    assert_same(&local, &by_rank, "relaunch");

    // A rank whose marker is lost is redone alone; its stats replace (not add to) the old ones.
    std::fs::remove_file(by_rank.join("completions/docs-0/00001")).unwrap();
    run_ok(&fx, &by_rank, &["--stage", "docs-0"]);
    let after = stats_mtimes(&by_rank);
    let changed: Vec<&String> = after
        .iter()
        .filter(|(p, t)| stats0.iter().any(|(q, u)| q == p && u != t))
        .map(|(p, _)| p)
        .collect();
    assert_eq!(
        changed,
        ["stats/docs-0/00001.json"],
        "only rank 1 should have rerun"
    );
    run_ok(&fx, &by_rank, &["--stage", "merge"]);
    assert_same(&local, &by_rank, "rank 1 redone");

    // `skypile stats` merges the per-rank files again to the same totals.
    common::run_ok(common::quiet().arg("stats").arg(&by_rank));
    assert_same(&local, &by_rank, "after skypile stats");
    let _ = std::fs::remove_dir_all(&fx.root);
}

fn stats_mtimes(out: &Path) -> Vec<(String, std::time::SystemTime)> {
    files_under(&out.join("stats"))
        .into_iter()
        .map(|p| {
            let t = std::fs::metadata(&p).unwrap().modified().unwrap();
            (
                p.strip_prefix(out).unwrap().to_string_lossy().into_owned(),
                t,
            )
        })
        .collect()
}

/// A spool damaged between two stages (a disk error, a hand edit) fails the stage that reads
/// it, naming the file, and that stage commits nothing: spools are verified as they stream
/// (`skypile_storage::bin_stream`), so the error comes with the last record, before any marker.
#[test]
fn a_damaged_spool_fails_the_stage_that_reads_it() {
    let root = common::tmp("damaged-spool");
    let input = root.join("in");
    common::write_corpus(&input, 2, 120);
    let out = root.join("out");
    let yaml = Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines/dedup.yaml");
    common::run_ok(common::run_cmd(&yaml, &input, &out).args(["--stage", "docs-0"]));
    assert!(
        out.join("completions/docs-0/00000").exists(),
        "docs-0 completed"
    );
    let spool = out.join("work/spool-0/00000.bin");
    let mut bytes = std::fs::read(&spool).expect("docs-0 wrote its spool");
    let at = bytes.len() - 3;
    bytes[at] ^= 0x20;
    std::fs::write(&spool, &bytes).unwrap();
    let (_, err) = common::exits(&mut common::run_cmd(&yaml, &input, &out), 1);
    assert!(
        err.contains("checksum mismatch") && err.contains("00000.bin"),
        "{err}"
    );
    assert!(
        !out.join("manifest.json").exists(),
        "the run did not finish"
    );
    assert!(
        !out.join("completions/docs-1/00000").exists(),
        "the stage that read the damaged spool has no completion marker"
    );
    std::fs::remove_dir_all(&root).ok();
}
