//! Intermediates and logs on an object store, against a real S3-protocol server (moto on
//! 127.0.0.1): a quickstart read from `s3://` whose spools and dedup files live under
//! `--work-dir s3://...` gives the all-local rows in a local DIR, and a run into an `s3://` DIR leaves every rank's log there.

mod common;
#[allow(dead_code)] // the helpers are shared with tests/object_store.rs
mod moto;

use std::path::{Path, PathBuf};
use std::process::Command;

use moto::Moto;

/// `skypile -q run pipelines/quickstart.yaml --tasks 2 ARGS` with its own scratch (and the
/// server's variables when given).
fn quickstart(m: Option<&Moto>, scratch: &Path, args: &[&str]) -> Command {
    quickstart_with(common::quiet(), m, scratch, args)
}

fn quickstart_with(mut c: Command, m: Option<&Moto>, scratch: &Path, args: &[&str]) -> Command {
    c.args(["run", "pipelines/quickstart.yaml", "--tasks", "2"])
        .args(args)
        .env("SKYPILE_SCRATCH", scratch);
    if let Some(m) = m {
        m.env(&mut c);
    }
    c
}

fn rows(out: &Path) -> Vec<Vec<Option<String>>> {
    let r = common::string_rows(out, &["id", "url", "text"]);
    assert!(r.len() > 20, "only {} rows in {}", r.len(), out.display());
    r
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Files left in the scratch's staging folder (uploads not cleaned up).
fn staged(scratch: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(scratch.join("skypile-staging"))
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default()
}

/// The sample inputs as `s3://crawl/in/...`, in the order of the YAML's local paths.
fn s3_inputs(m: &Moto) -> [&'static str; 4] {
    m.mkbucket("crawl");
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_data");
    m.put(
        "crawl",
        "in/web/sample.warc.gz",
        &sample.join("web/sample.warc.gz"),
    );
    m.put(
        "crawl",
        "in/text/sample.jsonl",
        &sample.join("text/sample.jsonl"),
    );
    [
        "--input",
        "s3://crawl/in/web/*.warc.gz",
        "--input",
        "s3://crawl/in/text",
    ]
}

/// The all-local quickstart (its own scratch), the rows every remote variant must match.
fn local_reference(tag: &str) -> PathBuf {
    let local = common::tmp(tag);
    let scratch = common::tmp(&format!("{tag}-scratch"));
    common::run_ok(&mut quickstart(None, &scratch, &["--output", path(&local)]));
    let _ = std::fs::remove_dir_all(scratch);
    local
}

#[test]
fn s3_input_and_intermediates_with_local_output_give_the_local_rows() {
    let Some(m) = Moto::start() else { return };
    m.mkbucket("tmp");
    let inputs = s3_inputs(&m);
    let local = local_reference("local");

    let out = common::tmp("out");
    let scratch = common::tmp("scratch");
    let mut args = vec![
        "--output",
        path(&out),
        "--work-dir",
        "s3://tmp/run1",
        "--set",
        "output.keep_work=true",
    ];
    args.extend(inputs);
    common::run_ok(&mut quickstart(Some(&m), &scratch, &args));
    common::assert_no_panics(&out);
    assert_eq!(rows(&out), rows(&local));
    assert_eq!(
        common::json(&out.join("stats.json"))["docs_out"],
        common::json(&local.join("stats.json"))["docs_out"]
    );
    // the intermediates went to the bucket, not to DIR/work, and no staged upload is left
    assert!(!out.join("work").exists(), "intermediates written locally");
    assert!(staged(&scratch).is_empty(), "{:?}", staged(&scratch));
    let keys = m.keys("tmp", "run1/");
    for want in [".skypile", "spool-0/00000.bin", "spool-0/00001.bin"] {
        assert!(keys.iter().any(|k| k == want), "{want} missing: {keys:?}");
    }
    // one task-info object per doc task for each dedup step (url, exact, line, minhash)
    let infos = keys.iter().filter(|k| k.ends_with(".info")).count();
    assert_eq!(infos, 4 * 2, "{keys:?}");

    // a rerun that does not keep work/ deletes the prefix after merge
    let mut args = vec![
        "--output",
        path(&out),
        "--work-dir",
        "s3://tmp/run1",
        "--overwrite",
    ];
    args.extend(inputs);
    common::run_ok(&mut quickstart(Some(&m), &scratch, &args));
    assert_eq!(rows(&out), rows(&local));
    assert_eq!(m.keys("tmp", "run1/"), Vec::<String>::new());
    for d in [out, local, scratch] {
        let _ = std::fs::remove_dir_all(d);
    }
}

#[test]
fn a_run_into_an_s3_dir_uploads_every_ranks_log_without_secrets() {
    let Some(m) = Moto::start() else { return };
    m.mkbucket("corpus");
    let scratch = common::tmp("logs-scratch");
    let secret = "never-print-this-8Fq2";
    // not -q: info lines are what a rank log holds
    let args = ["--output", "s3://corpus/run1"];
    let mut c = quickstart_with(common::bin(), Some(&m), &scratch, &args);
    c.env("AWS_SECRET_ACCESS_KEY", secret);
    common::run_ok(&mut c);
    let logs = m.keys("corpus", "run1/logs/");
    // every rank of every docs and reduce stage ran in this process and left its log
    assert!(logs.contains(&"docs-0/00000.log".to_string()), "{logs:?}");
    assert!(logs.contains(&"docs-0/00001.log".to_string()), "{logs:?}");
    assert!(logs.iter().any(|k| k.starts_with("docs-3/")), "{logs:?}");
    let got = common::tmp("logs-got");
    m.get("corpus", "run1/logs/", &got);
    let first = std::fs::read_to_string(got.join("docs-0/00000.log")).unwrap();
    assert!(first.contains("docs-0 rank 0/2: start"), "{first}");
    for k in &logs {
        let text = std::fs::read_to_string(got.join(k)).unwrap();
        assert!(!text.contains(secret), "{k} prints the secret key");
    }
    for d in [scratch, got] {
        let _ = std::fs::remove_dir_all(d);
    }
}

/// A rank whose marker is missing is rerun and rewrites its intermediate: a damaged spool
/// object left by an earlier attempt is overwritten, never read.
#[test]
fn a_relaunch_overwrites_the_intermediates_of_an_unfinished_rank() {
    let Some(m) = Moto::start() else { return };
    m.mkbucket("tmp");
    let local = local_reference("relaunch-local");
    let scratch = common::tmp("relaunch-scratch");

    let out = common::tmp("relaunch-out");
    let base = ["--output", path(&out), "--work-dir", "s3://tmp/r"];
    let mut first: Vec<&str> = base.to_vec();
    first.extend(["--stage", "docs-0"]);
    common::run_ok(&mut quickstart(Some(&m), &scratch, &first));
    // as if rank 1 died after a foreign tool had left half its spool: no marker, bad object
    std::fs::remove_file(out.join("completions/docs-0/00001")).unwrap();
    let torn = scratch.join("torn.bin");
    std::fs::write(&torn, b"SKYPILE\x01 half a header").unwrap();
    m.put("tmp", "r/spool-0/00001.bin", &torn);
    common::run_ok(&mut quickstart(Some(&m), &scratch, &base));
    assert_eq!(rows(&out), rows(&local));
    for d in [out, local, scratch] {
        let _ = std::fs::remove_dir_all(d);
    }
}
