//! Object storage end to end against a real S3-protocol server (moto on 127.0.0.1): the
//! quickstart read from and written to `s3://` gives the local run's rows and totals, a
//! relaunch trusts the markers, and an outage fails the run with one clear line.

mod common;
mod moto;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use moto::Moto;
use serde_json::Value;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn tmp(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("skypile-s3-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// `skypile -q run pipelines/quickstart.yaml ARGS` against the server, with its own scratch.
fn quickstart(m: Option<&Moto>, scratch: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_skypile"));
    c.current_dir(root())
        .args(["-q", "run", "pipelines/quickstart.yaml"])
        .args(args)
        .env("SKYPILE_SCRATCH", scratch);
    if let Some(m) = m {
        m.env(&mut c);
    }
    c
}

fn ok(o: Output) -> Output {
    assert!(
        o.status.success(),
        "skypile failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

/// The sample inputs under `s3://BUCKET/in/{web,text}/` (the local run's order: text, web).
fn upload_sample(m: &Moto, bucket: &str) {
    m.mkbucket(bucket);
    m.put(
        bucket,
        "in/web/sample.warc.gz",
        &root().join("sample_data/web/sample.warc.gz"),
    );
    m.put(
        bucket,
        "in/text/sample.jsonl",
        &root().join("sample_data/text/sample.jsonl"),
    );
}

fn s3_inputs(bucket: &str) -> [String; 4] {
    [
        "--input".into(),
        format!("s3://{bucket}/in/web/*.warc.gz"),
        "--input".into(),
        format!("s3://{bucket}/in/text"),
    ]
}

/// The local quickstart, the reference every remote run must match.
fn local_reference(tag: &str) -> PathBuf {
    let out = tmp(&format!("{tag}-local"));
    let scratch = tmp(&format!("{tag}-local-scratch"));
    ok(
        quickstart(None, &scratch, &["--output", out.to_str().unwrap()])
            .output()
            .unwrap(),
    );
    out
}

/// Manifest totals: docs and tokens overall and per language (bytes differ: rows name their
/// source, which is a URL in one run and a path in the other).
fn totals(out: &Path) -> Value {
    let m = common::json(&out.join("manifest.json"));
    let by_lang: serde_json::Map<String, Value> = m["by_lang"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::json!([v["docs"], v["tokens"]])))
        .collect();
    serde_json::json!({"docs": m["total_docs"], "tokens": m["total_tokens"], "by_lang": by_lang})
}

fn rows(out: &Path) -> Vec<Vec<Option<String>>> {
    let r = common::string_rows(out, &["id", "url", "text"]);
    assert!(r.len() > 20, "only {} rows in {}", r.len(), out.display());
    r
}

/// Until the run has marked its first rank complete (it must still be running then).
fn wait_for_a_marker(m: &Moto, bucket: &str, child: &mut std::process::Child) {
    while m.keys(bucket, "run1/completions/").is_empty() {
        if let Some(st) = child.try_wait().unwrap() {
            panic!("the run ended ({st}) before its first completion marker");
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

#[test]
fn s3_input_to_local_output_gives_the_local_rows() {
    let Some(m) = Moto::start() else { return };
    upload_sample(&m, "crawl");
    let local = local_reference("in");
    let out = tmp("in-out");
    let mut args: Vec<String> = s3_inputs("crawl").to_vec();
    args.extend(["--output".into(), out.to_string_lossy().into_owned()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let scratch = tmp("in-scratch");
    ok(quickstart(Some(&m), &scratch, &args).output().unwrap());
    common::assert_no_panics(&out);
    assert_eq!(rows(&out), rows(&local));
    assert_eq!(totals(&out), totals(&local));
    let pins = common::json(&out.join("run.json"))["inputs"].clone();
    assert!(
        pins.to_string()
            .contains("s3://crawl/in/web/sample.warc.gz"),
        "{pins}"
    );
    for d in [out, local, scratch] {
        let _ = std::fs::remove_dir_all(d);
    }
}

#[test]
fn s3_to_s3_gives_the_local_rows_and_a_relaunch_trusts_the_markers() {
    let Some(m) = Moto::start() else { return };
    upload_sample(&m, "data");
    m.mkbucket("corpus");
    let local = local_reference("s3s3");
    let scratch = tmp("s3s3-scratch");
    let mut args: Vec<String> = s3_inputs("data").to_vec();
    args.extend(["--output".into(), "s3://corpus/run1".into()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    ok(quickstart(Some(&m), &scratch, &args).output().unwrap());

    let got = tmp("s3s3-got");
    m.get("corpus", "run1/", &got);
    common::assert_no_panics(&got);
    assert_eq!(rows(&got), rows(&local));
    assert_eq!(totals(&got), totals(&local));
    let st = |d: &Path| common::json(&d.join("stats.json"))["counters"]["out.docs"].clone();
    assert_eq!(st(&got), st(&local));
    // no temp objects: every key is a final name
    let keys = m.keys("corpus", "run1/");
    assert!(keys.iter().all(|k| !k.ends_with(".tmp")), "{keys:?}");
    assert!(
        keys.iter().any(|k| k.starts_with("completions/docs-0/")),
        "{keys:?}"
    );

    // the read verbs take the URL as DIR
    let verb = |args: &[&str]| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_skypile"));
        m.env(c.args(args));
        String::from_utf8_lossy(&ok(c.output().unwrap()).stdout).into_owned()
    };
    assert!(verb(&["stats", "s3://corpus/run1"]).contains("run quickstart"));
    let total = rows(&local).len();
    let all = total.to_string();
    let shown = verb(&["inspect", "s3://corpus/run1", "-n", &all]);
    assert!(shown.contains(&format!("total {total} rows")), "{shown}");
    // every row read by ranged GETs (column chunk by column chunk) as from the files on disk
    let on_disk = verb(&["inspect", got.to_str().unwrap(), "-n", &all]);
    assert_eq!(shown, on_disk);
    assert!(verb(&["report", "s3://corpus/run1"]).contains("s3://corpus/run1/report.html"));
    assert!(
        m.keys("corpus", "run1/")
            .contains(&"report.html".to_string())
    );

    // a relaunch finds every marker: nothing is rewritten (a rerun rank's stats would carry
    // a new elapsed_s)
    ok(quickstart(Some(&m), &scratch, &args).output().unwrap());
    let again = tmp("s3s3-again");
    m.get("corpus", "run1/stats/", &again);
    for k in keys.iter().filter(|k| k.starts_with("stats/")) {
        let rel = k.trim_start_matches("stats/");
        assert_eq!(
            std::fs::read(got.join(k)).unwrap(),
            std::fs::read(again.join(rel)).unwrap(),
            "{k} was rewritten by the relaunch"
        );
    }
    for d in [got, again, local, scratch] {
        let _ = std::fs::remove_dir_all(d);
    }
}

#[test]
fn a_stopped_server_fails_the_run_with_one_clear_line_and_a_rerun_completes() {
    let Some(mut m) = Moto::start() else { return };
    upload_sample(&m, "flaky");
    let scratch = tmp("down-scratch");
    let mut args: Vec<String> = s3_inputs("flaky").to_vec();
    args.extend(["--output".into(), "s3://flaky/run1".into()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    // slowed (timing only, never output) so the outage lands mid-run
    let mut child = quickstart(Some(&m), &scratch, &args)
        .env("SKYPILE_TEST_THROTTLE_MS", "1500")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_a_marker(&m, "flaky", &mut child);
    m.stop();
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success(),
        "the run passed without its store: {err}"
    );
    let line = err
        .lines()
        .find(|l| l.contains("s3://flaky/run1"))
        .unwrap_or_else(|| panic!("no line names the output URL: {err}"));
    assert!(line.contains("cannot reach the endpoint"), "{line}");
    assert!(
        !err.contains("test\n") && !err.contains("AWS_SECRET_ACCESS_KEY=test"),
        "{err}"
    );

    // the server is back (empty: moto keeps state in memory): the rerun completes
    m.restart();
    upload_sample(&m, "flaky");
    ok(quickstart(Some(&m), &scratch, &args).output().unwrap());
    let got = tmp("down-got");
    m.get("flaky", "run1/", &got);
    let local = local_reference("down");
    assert_eq!(totals(&got), totals(&local));
    for d in [got, local, scratch] {
        let _ = std::fs::remove_dir_all(d);
    }
}

#[test]
fn a_killed_s3_run_relaunched_gives_the_uninterrupted_output() {
    let Some(m) = Moto::start() else { return };
    upload_sample(&m, "kill");
    let local = local_reference("kill");
    let scratch = tmp("kill-scratch");
    let mut args: Vec<String> = s3_inputs("kill").to_vec();
    args.extend(["--output".into(), "s3://kill/run1".into()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    // slowed (timing only) so the kill lands after the first marker, mid-run
    let mut child = quickstart(Some(&m), &scratch, &args)
        .env("SKYPILE_TEST_THROTTLE_MS", "1500")
        .spawn()
        .unwrap();
    wait_for_a_marker(&m, "kill", &mut child);
    child.kill().unwrap(); // SIGKILL
    let _ = child.wait();
    assert!(
        !m.keys("kill", "run1/")
            .contains(&"manifest.json".to_string()),
        "the run finished before the kill: nothing was tested"
    );
    ok(quickstart(Some(&m), &scratch, &args).output().unwrap());
    let got = tmp("kill-got");
    m.get("kill", "run1/", &got);
    assert_eq!(rows(&got), rows(&local));
    assert_eq!(totals(&got), totals(&local));
    // the same shard names as the uninterrupted run: none duplicated or orphaned
    let names = |d: &Path| -> Vec<String> {
        ["data", "removed"]
            .iter()
            .flat_map(|s| common::files(&d.join(s)))
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect()
    };
    assert_eq!(names(&got), names(&local));
    for d in [got, local, scratch] {
        let _ = std::fs::remove_dir_all(d);
    }
}

#[test]
fn parquet_input_from_s3_gives_the_rows_of_the_same_file_on_disk() {
    let Some(m) = Moto::start() else { return };
    let local = local_reference("pq");
    let shard = common::files(&local.join("data"))[0].clone();
    m.mkbucket("pqin");
    m.put("pqin", "in/docs.parquet", &shard);
    let scratch = tmp("pq-scratch");
    let run = |input: &str, out: &Path| {
        let args = ["--input", input, "--output", out.to_str().unwrap()];
        ok(quickstart(Some(&m), &scratch, &args).output().unwrap());
        common::string_rows(out, &["id", "url", "text"])
    };
    let (a, b) = (tmp("pq-disk"), tmp("pq-s3"));
    let on_disk = run(shard.to_str().unwrap(), &a);
    assert!(!on_disk.is_empty(), "no rows from {}", shard.display());
    assert_eq!(run("s3://pqin/in/docs.parquet", &b), on_disk);
    for d in [a, b, local, scratch] {
        let _ = std::fs::remove_dir_all(d);
    }
}

/// Read-only `http(s)://` inputs: moto serves public objects over plain http with Range
/// requests, as a web server does; skypile reads them without credentials.
#[test]
fn http_inputs_give_the_local_rows_and_a_missing_url_fails_in_one_line() {
    let Some(m) = Moto::start() else { return };
    m.mkbucket("web");
    let warc = m.put_public(
        "web",
        "in/sample.warc.gz",
        &root().join("sample_data/web/sample.warc.gz"),
    );
    let jsonl = m.put_public(
        "web",
        "in/sample.jsonl",
        &root().join("sample_data/text/sample.jsonl"),
    );
    let local = local_reference("http");
    let out = tmp("http-out");
    let scratch = tmp("http-scratch");
    let args = [
        "--input",
        &warc,
        "--input",
        &jsonl,
        "--output",
        out.to_str().unwrap(),
    ];
    // no credentials and no endpoint: plain http
    let plain = |args: &[&str]| {
        let mut c = quickstart(None, &scratch, args);
        c.env_remove("AWS_ENDPOINT_URL")
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY");
        c.output().unwrap()
    };
    ok(plain(&args));
    common::assert_no_panics(&out);
    assert_eq!(rows(&out), rows(&local));
    assert_eq!(totals(&out), totals(&local));

    let missing = format!("{}/web/in/missing.warc.gz", m.endpoint);
    let bad = tmp("http-bad");
    let o = plain(&["--input", &missing, "--output", bad.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "a 404 input passed: {err}");
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "{err}");
    assert!(lines[0].contains(&missing), "{err}");
    assert!(!bad.join("manifest.json").exists());
    for d in [out, local, scratch, bad] {
        let _ = std::fs::remove_dir_all(d);
    }
}

/// `inspect` on an `s3://` DIR whose shard has many row groups (rewritten by pyarrow, 7 rows a
/// group) reads it column chunk by column chunk, one row group at a time: the same schema,
/// counts and documents as the same file on disk.
#[test]
fn inspect_reads_a_many_row_group_shard_from_s3_as_from_disk() {
    let Some(m) = Moto::start() else { return };
    let local = local_reference("rg");
    let shard = common::files(&local.join("data"))[0].clone();
    let dir = tmp("rg-dir");
    std::fs::create_dir_all(dir.join("data")).unwrap();
    let split = dir.join("data/00000.parquet");
    let py = std::env::var_os("SKYPILE_PYTHON").unwrap();
    let o = Command::new(py)
        .args([
            "-c",
            "import sys, pyarrow.parquet as pq; \
             pq.write_table(pq.read_table(sys.argv[1]), sys.argv[2], row_group_size=7)",
        ])
        .args([&shard, &split])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    m.mkbucket("groups");
    m.put("groups", "run/data/00000.parquet", &split);
    let inspect = |d: &str| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_skypile"));
        m.env(c.args(["inspect", d, "-n", "100000"]));
        String::from_utf8_lossy(&ok(c.output().unwrap()).stdout).into_owned()
    };
    let on_disk = inspect(dir.to_str().unwrap());
    let groups = on_disk
        .lines()
        .find(|l| l.contains("row groups"))
        .and_then(|l| l.split_whitespace().rev().nth(4)?.parse::<usize>().ok())
        .unwrap_or_else(|| panic!("no row group count in {on_disk}"));
    assert!(groups > 2, "{on_disk}");
    assert_eq!(inspect("s3://groups/run"), on_disk);
    for d in [dir, local] {
        let _ = std::fs::remove_dir_all(d);
    }
}
