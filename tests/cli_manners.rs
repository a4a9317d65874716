//! What users of datatrove and dolma expect at the terminal (#20): a run summary, exit codes,
//! `--set`, `--limit`, `--input -`, `--overwrite`, a pipeline given after `--input`, `validate`
//! checking inputs, shell completions.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use common::{bin, exits, quiet, run_cmd, text, tmp};

/// A JSONL input of `n` plain English docs and a pipeline with one filter.
fn fixture(d: &Path, n: usize) -> (PathBuf, PathBuf) {
    let mut s = String::new();
    for i in 0..n {
        let body =
            format!("Document number {i} talks about rivers and mountains in spring. ").repeat(8);
        s.push_str(&serde_json::json!({"id": format!("d{i}"), "text": body}).to_string());
        s.push('\n');
    }
    let input = d.join("in.jsonl");
    std::fs::write(&input, s).unwrap();
    let yaml = d.join("p.yaml");
    std::fs::write(&yaml, "name: manners\nsteps:\n  - gopher_quality: {}\n").unwrap();
    (input, yaml)
}

fn stats(out: &Path) -> serde_json::Value {
    common::json(&out.join("stats.json"))
}

#[test]
fn run_prints_a_summary_and_exits_0() {
    let d = tmp("summary");
    let (input, yaml) = fixture(&d, 30);
    let out = d.join("out");
    let o = bin()
        .arg("run")
        .arg(&yaml)
        .arg("--input")
        .arg(&input)
        .arg("--output")
        .arg(&out)
        .output()
        .unwrap();
    let (stdout, stderr) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    for want in [
        "run manners complete",
        "30 in -> ",
        "tokens",
        "damaged  none",
        "skypile stats",
        "skypile report",
        "read_parquet",
    ] {
        assert!(stdout.contains(want), "summary lacks {want:?}:\n{stdout}");
    }
    // where the output is
    let data = format!("output   {}/data/", out.display());
    assert!(stdout.contains(&data), "summary lacks {data:?}:\n{stdout}");
    // per-rank chatter is debug-level now
    assert!(!stderr.contains("complete in"), "{stderr}");
    // -q: no summary
    let (stdout, _) = exits(&mut run_cmd(&yaml, &input, &d.join("q")), 0);
    assert!(stdout.is_empty(), "{stdout}");
}

#[test]
fn pipeline_after_a_greedy_input_list_is_still_the_pipeline() {
    let d = tmp("order");
    let (input, yaml) = fixture(&d, 5);
    let out = d.join("out");
    exits(
        quiet()
            .args(["run", "--output"])
            .arg(&out)
            .arg("--input")
            .arg(&input)
            .arg(&yaml),
        0,
    );
    assert_eq!(stats(&out)["docs_in"], 5);
}

#[test]
fn exit_codes_tell_usage_from_runtime_errors_and_damage() {
    let d = tmp("codes");
    let (input, yaml) = fixture(&d, 5);
    // a bad key: usage/config error
    let bad = d.join("bad.yaml");
    std::fs::write(&bad, "steps:\n  - gopher_quality: {min_wordz: 3}\n").unwrap();
    let (_, stderr) = exits(&mut run_cmd(&bad, &input, &d.join("o1")), 2);
    assert!(stderr.contains("min_wordz"));
    // a missing input: usage error naming it
    let (_, stderr) = exits(
        quiet()
            .arg("run")
            .arg(&yaml)
            .args(["--input", "/nonexistent/x.jsonl", "--output"])
            .arg(d.join("o2")),
        2,
    );
    assert!(stderr.contains("/nonexistent/x.jsonl"));
    // an output folder that cannot be created: runtime error
    exits(
        quiet()
            .arg("run")
            .arg(&yaml)
            .arg("--input")
            .arg(&input)
            .args(["--output", "/proc/skypile-cannot"]),
        1,
    );
    // damaged input (a cut gzip) next to a good file: complete, damage counted, exit 3
    let cut = d.join("cut.jsonl.gz");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&std::fs::read(&input).unwrap().repeat(20))
        .unwrap();
    let bytes = gz.finish().unwrap();
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let out = d.join("o3");
    let o = bin()
        .arg("run")
        .arg(&yaml)
        .arg("--input")
        .arg(&input)
        .arg(&cut)
        .arg("--output")
        .arg(&out)
        .output()
        .unwrap();
    let (stdout, stderr) = text(&o);
    assert_eq!(o.status.code(), Some(3), "{stderr}");
    assert!(
        stdout.contains("damaged") && stdout.contains("bad_gzip_truncated"),
        "{stdout}"
    );
    assert_eq!(stats(&out)["complete"], true);
}

#[test]
fn set_limit_stdin_and_overwrite() {
    let d = tmp("flags");
    let (input, yaml) = fixture(&d, 40);
    // --set: any key; --limit: at most N docs per task
    let out = d.join("set");
    exits(
        run_cmd(&yaml, &input, &out).args([
            "--set",
            "output.format=jsonl",
            "--set",
            "steps.gopher_quality.keep_scores=false",
            "--limit",
            "7",
        ]),
        0,
    );
    assert_eq!(stats(&out)["docs_in"], 7);
    let shards: Vec<_> = std::fs::read_dir(out.join("data"))
        .unwrap()
        .flatten()
        .collect();
    assert!(
        shards
            .iter()
            .all(|e| e.file_name().to_string_lossy().ends_with(".jsonl.gz"))
    );
    let (_, stderr) = exits(
        run_cmd(&yaml, &input, &d.join("x")).args(["--set", "steps.minhash.bands=3"]),
        2,
    );
    assert!(stderr.contains("no item `minhash`"), "{stderr}");

    // --input -: JSONL on stdin
    let out = d.join("stdin");
    let mut child = quiet()
        .arg("run")
        .arg(&yaml)
        .args(["--input", "-", "--output"])
        .arg(&out)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&std::fs::read(&input).unwrap())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o).1);
    assert_eq!(stats(&out)["docs_in"], 40);

    // another config into the same folder: refused, naming what changed; --overwrite starts over
    let (_, err) = exits(
        run_cmd(&yaml, &input, &out).args(["--set", "steps.gopher_quality.keep_scores=false"]),
        1,
    );
    assert!(
        err.contains("keep_scores") && err.contains("--overwrite"),
        "{err}"
    );
    std::fs::write(out.join("mine.txt"), "a user's file").unwrap();
    exits(
        run_cmd(&yaml, &input, &out).args([
            "--set",
            "steps.gopher_quality.keep_scores=false",
            "--overwrite",
        ]),
        0,
    );
    assert!(
        out.join("mine.txt").exists(),
        "--overwrite removed a file that is not skypile's"
    );

    // a changed input list into the same folder: refused, naming the file
    let dir = d.join("inputs");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(&input, dir.join("a.jsonl")).unwrap();
    exits(&mut run_cmd(&yaml, &dir, &d.join("pin")), 0);
    std::fs::write(dir.join("late.jsonl"), "{\"text\": \"late\"}\n").unwrap();
    let (_, stderr) = exits(&mut run_cmd(&yaml, &dir, &d.join("pin")), 1);
    assert!(
        stderr.contains("added") && stderr.contains("late.jsonl"),
        "{stderr}"
    );
}

#[test]
fn validate_checks_inputs_and_completions_print() {
    let d = tmp("validate");
    let (input, yaml) = fixture(&d, 2);
    let (stdout, _) = exits(
        bin().arg("validate").arg(&yaml).arg("--input").arg(&input),
        0,
    );
    assert!(stdout.contains("1 input files"), "{stdout}");
    let (_, stderr) = exits(
        bin()
            .arg("validate")
            .arg(&yaml)
            .args(["--input", "/nonexistent/y.warc.gz"]),
        2,
    );
    assert!(stderr.contains("/nonexistent/y.warc.gz"));
    let o = bin().args(["completions", "bash"]).output().unwrap();
    assert!(o.status.success() && text(&o).0.contains("skypile"));
    let o = bin().args(["run", "--help"]).output().unwrap();
    let help = text(&o).0;
    assert!(
        help.contains("PIPELINE.yaml") && help.contains("--set") && help.contains("--limit"),
        "{help}"
    );
}

#[test]
fn a_rank_held_by_a_live_process_is_refused_and_a_dead_ones_taken_over() {
    let d = tmp("lease");
    let (input, yaml) = fixture(&d, 5);
    let out = d.join("out");
    let lease = out.join("leases/docs-0/00000");
    std::fs::create_dir_all(lease.parent().unwrap()).unwrap();
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "localhost".into());
    // this test process is alive: its lease must be respected
    let holder = |pid: u32| serde_json::json!({"host": host, "pid": pid, "token": "t"}).to_string();
    std::fs::write(&lease, holder(std::process::id())).unwrap();
    let (_, err) = exits(&mut run_cmd(&yaml, &input, &out), 1);
    assert!(
        err.contains("is being run by pid") && err.contains("leases/docs-0/00000"),
        "{err}"
    );
    assert!(!out.join("completions/docs-0/00000").exists());
    // a lease left by a process that is gone (kill -9) is taken over
    std::fs::write(&lease, holder(999_999_999)).unwrap();
    exits(&mut run_cmd(&yaml, &input, &out), 0);
    assert_eq!(stats(&out)["docs_in"], 5);
    assert!(!lease.exists(), "lease not released after the rank");
}

#[test]
fn extra_input_fields_come_out_as_metadata() {
    let d = tmp("meta");
    let (_, yaml) = fixture(&d, 1);
    let body = "Rivers and mountains in spring are lovely to see and to write about. ".repeat(8);
    let input = d.join("meta.jsonl");
    let line = serde_json::json!({"id": "m1", "text": body, "source": "cc-2024-10",
        "timestamp": 1700000000, "meta": {"lang_hint": "en", "tags": ["a", "b"]}});
    std::fs::write(&input, format!("{line}\n")).unwrap();
    let out = d.join("out");
    exits(
        run_cmd(&yaml, &input, &out).args([
            "--set",
            "output.format=jsonl",
            "--set",
            "output.compression=none",
        ]),
        0,
    );
    let shard = std::fs::read_dir(out.join("data"))
        .unwrap()
        .flatten()
        .next()
        .unwrap()
        .path();
    let row: serde_json::Value = serde_json::from_str(
        std::fs::read_to_string(shard)
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(row["id"], "m1");
    let meta: serde_json::Value = serde_json::from_str(row["metadata"].as_str().unwrap()).unwrap();
    assert_eq!(
        meta,
        serde_json::json!({"source": "cc-2024-10", "timestamp": 1700000000,
            "meta": {"lang_hint": "en", "tags": ["a", "b"]}})
    );
}

#[test]
fn the_decontam_index_line_is_logged_once_per_run() {
    let d = tmp("once");
    let o = bin()
        .args([
            "run",
            "pipelines/quickstart.yaml",
            "--limit",
            "30",
            "--output",
        ])
        .arg(d.join("out"))
        .output()
        .unwrap();
    let err = text(&o).1;
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert_eq!(err.matches("decontam: ").count(), 1, "{err}");
}

/// #15/#19: `skypile slurm` pins the input list once at submit; an array element compares every
/// path but stats only the files it reads, and a relaunch that differs is refused naming them.
#[test]
fn slurm_pins_inputs_at_submit_and_elements_check_their_own_files() {
    let d = tmp("slurm-pins");
    let (input, yaml) = fixture(&d, 6);
    let ins = d.join("ins");
    std::fs::create_dir_all(&ins).unwrap();
    for f in ["a.jsonl", "b.jsonl", "c.jsonl"] {
        std::fs::copy(&input, ins.join(f)).unwrap();
    }
    // a stand-in `sbatch` that accepts every script (`--parsable` prints the job id)
    let fake = d.join("bin");
    std::fs::create_dir_all(&fake).unwrap();
    std::fs::write(fake.join("sbatch"), "#!/bin/sh\necho 4242\n").unwrap();
    let mode = std::os::unix::fs::PermissionsExt::from_mode(0o755);
    std::fs::set_permissions(fake.join("sbatch"), mode).unwrap();
    let path = format!(
        "{}:{}",
        fake.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = d.join("out");
    let submit = || {
        let mut c = quiet();
        c.env("PATH", &path).arg("slurm").arg(&yaml);
        c.args(["--tasks", "3", "--input"]).arg(&ins);
        c.arg("--output").arg(&out);
        c
    };
    exits(&mut submit(), 0);
    let pins = common::json(&out.join("run.json"))["inputs"].clone();
    assert_eq!(pins.as_array().map(Vec::len), Some(3), "{pins}");
    let element = |task: &str| {
        let mut c = run_cmd(&yaml, &ins, &out);
        c.args(["--stage", "docs-0", "--tasks", "3", "--task", task]);
        c
    };
    exits(&mut element("0"), 0);
    // c.jsonl (input 2) is rank 2's: rank 1 does not stat it, rank 2 and a resubmit refuse
    let mut grown = std::fs::read(&input).unwrap();
    grown.extend_from_slice(b"{\"text\": \"one more\"}\n");
    std::fs::write(ins.join("c.jsonl"), grown).unwrap();
    exits(&mut element("1"), 0);
    for mut cmd in [element("2"), submit()] {
        let (_, err) = exits(&mut cmd, 1);
        assert!(err.contains("c.jsonl changed size"), "{err}");
    }
    // an added file re-maps every rank: every element refuses, naming it
    std::fs::write(ins.join("late.jsonl"), "{\"text\": \"late\"}\n").unwrap();
    let (_, err) = exits(&mut element("0"), 1);
    assert!(err.contains("added") && err.contains("late.jsonl"), "{err}");
}

/// A Parquet input with the same extra fields as the JSONL test above (a string, a timestamp
/// and a struct with a list) keeps them in the same `metadata` column.
#[test]
fn extra_parquet_columns_come_out_as_metadata() {
    use arrow_array::builder::{ListBuilder, StringBuilder};
    use arrow_array::{
        Array, ArrayRef, RecordBatch, StringArray, StructArray, TimestampSecondArray,
    };
    use arrow_schema::{DataType, Field};
    use std::sync::Arc;
    let d = tmp("pqmeta");
    let (_, yaml) = fixture(&d, 1);
    let body = "Rivers and mountains in spring are lovely to see and to write about. ".repeat(8);
    let mut tags = ListBuilder::new(StringBuilder::new());
    tags.values().append_value("a");
    tags.values().append_value("b");
    tags.append(true);
    let tags = tags.finish();
    let meta = StructArray::from(vec![
        (
            Arc::new(Field::new("lang_hint", DataType::Utf8, true)),
            Arc::new(StringArray::from(vec!["en"])) as ArrayRef,
        ),
        (
            Arc::new(Field::new("tags", tags.data_type().clone(), true)),
            Arc::new(tags) as ArrayRef,
        ),
    ]);
    let cols: Vec<(&str, ArrayRef)> = vec![
        ("id", Arc::new(StringArray::from(vec!["p1"]))),
        ("text", Arc::new(StringArray::from(vec![body]))),
        ("source", Arc::new(StringArray::from(vec!["cc-2024-10"]))),
        (
            "timestamp",
            Arc::new(TimestampSecondArray::from(vec![1_700_000_000]).with_timezone("UTC")),
        ),
        ("meta", Arc::new(meta)),
    ];
    let batch = RecordBatch::try_from_iter(cols).unwrap();
    let input = d.join("meta.parquet");
    let f = std::fs::File::create(&input).unwrap();
    let mut w = parquet::arrow::ArrowWriter::try_new(f, batch.schema(), None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    let out = d.join("out");
    let o = run_cmd(&yaml, &input, &out).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o).1);
    let rows = common::string_rows(&out, &["id", "metadata"]);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0][0].as_deref(), Some("p1"));
    let meta: serde_json::Value = serde_json::from_str(rows[0][1].as_deref().unwrap()).unwrap();
    assert_eq!(
        meta,
        serde_json::json!({"source": "cc-2024-10", "timestamp": "2023-11-14T22:13:20Z",
            "meta": {"lang_hint": "en", "tags": ["a", "b"]}})
    );
}
