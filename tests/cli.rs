//! End-to-end tests of the `skypile` binary: the quickstart, the pandas read-back, config
//! errors and bad paths. These use only files in the repository.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_skypile"));
    c.current_dir(env!("CARGO_MANIFEST_DIR")).arg("-q");
    c
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("skypile-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn run_ok(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("run skypile");
    assert!(
        out.status.success(),
        "skypile failed: {}\nstdout: {}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    out
}

fn json(p: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
        .unwrap()
}

/// Python with pyarrow + pandas, as set up by scripts/ci/test.sh; None (skip) when not set up,
/// unless SKYPILE_REQUIRE_PYTHON=1 (CI), where a missing interpreter is a failure.
fn python() -> Option<String> {
    match std::env::var("SKYPILE_PYTHON") {
        Ok(p) if !p.is_empty() => Some(p),
        _ => {
            assert!(
                std::env::var("SKYPILE_REQUIRE_PYTHON").as_deref() != Ok("1"),
                "SKYPILE_PYTHON is not set"
            );
            eprintln!(
                "skipping the pandas read-back: run scripts/ci/test.sh (sets SKYPILE_PYTHON)"
            );
            None
        }
    }
}

#[test]
fn quickstart_runs_and_pandas_reads_it_back() {
    let out = tmp("quickstart");
    run_ok(
        bin()
            .args(["run", "pipelines/quickstart.yaml", "--output"])
            .arg(&out),
    );
    common::assert_no_panics(&out);
    let manifest = json(&out.join("manifest.json"));
    let docs = manifest["total_docs"].as_u64().unwrap();
    let tokens = manifest["total_tokens"].as_u64().unwrap();
    assert!(docs >= 10, "quickstart kept {docs} docs");
    assert!(tokens > docs * 50, "token totals too low: {tokens}");
    for lang in ["zh", "en"] {
        assert!(
            manifest["by_lang"][lang]["tokens"].as_u64().unwrap_or(0) > 0,
            "no {lang} tokens: {manifest}"
        );
    }
    let stats = json(&out.join("stats.json"));
    assert!(stats["complete"].as_bool().unwrap());
    assert_eq!(stats["docs_out"].as_u64(), Some(docs));
    assert!(std::fs::read_dir(out.join("data")).unwrap().all(|e| {
        let n = e.unwrap().file_name().to_string_lossy().to_string();
        n.ends_with(".parquet")
    }));

    // A rerun into the same directory resumes: nothing to do, same manifest.
    run_ok(
        bin()
            .args(["run", "pipelines/quickstart.yaml", "--output"])
            .arg(&out),
    );
    common::assert_no_panics(&out);
    assert_eq!(json(&out.join("manifest.json")), manifest);

    let Some(py) = python() else { return };
    let script = r#"
import sys, pandas as pd
df = pd.read_parquet(sys.argv[1] + "/data")
need = ["id", "url", "text", "lang", "lang_score", "token_count", "source"]
missing = [c for c in need if c not in df.columns]
assert not missing, missing
assert str(df.lang_score.dtype) == "float32", df.lang_score.dtype
assert (df.token_count > 0).all(), "zero token counts"
assert df.text.str.len().min() > 0
assert df.id.is_unique
print(len(df), int(df.token_count.sum()))
"#;
    let o = Command::new(&py)
        .arg("-c")
        .arg(script)
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "pandas read-back failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let printed = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        printed.trim(),
        format!("{docs} {tokens}"),
        "pandas sees what the manifest says"
    );

    // The pandas example shipped in scripts/ runs on the same output.
    let o = Command::new(&py)
        .arg("scripts/pandas/inspect.py")
        .arg(&out)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "scripts/pandas/inspect.py failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let printed = String::from_utf8_lossy(&o.stdout);
    assert!(
        printed.contains(&format!("{docs} docs, {tokens} tokens")),
        "{printed}"
    );
    assert!(
        printed.contains("re-threshold") && printed.contains("zh") && printed.contains("en"),
        "{printed}"
    );
}

#[test]
fn quickstart_report_and_inspect_match_stats() {
    let out = tmp("report");
    run_ok(
        bin()
            .args(["run", "pipelines/quickstart.yaml", "--output"])
            .arg(&out),
    );
    common::assert_no_panics(&out);
    let stats = json(&out.join("stats.json"));
    run_ok(bin().arg("report").arg(&out));
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>") && html.trim_end().ends_with("</html>"));
    for id in [
        "summary",
        "funnel",
        "reasons",
        "languages",
        "zh_variant",
        "charset_source",
        "histograms",
        "clusters",
        "samples",
        "domains",
    ] {
        assert!(
            html.contains(&format!("<section id=\"{id}\">")),
            "section {id} missing"
        );
    }
    assert_eq!(
        html.matches("<section").count(),
        html.matches("</section>").count()
    );
    assert!(
        !html.contains("<script src") && !html.contains("<link "),
        "no external resources"
    );
    for (id, key) in [
        ("docs-in", "docs_in"),
        ("docs-out", "docs_out"),
        ("tokens-out", "tokens_out"),
    ] {
        let want = format!("id={id}>{}<", stats[key].as_u64().unwrap());
        assert!(html.contains(&want), "{want} not in report");
    }
    for st in stats["steps"].as_array().unwrap() {
        let label = st["label"].as_str().unwrap();
        let kept = st["kept"].as_u64().unwrap();
        assert!(
            html.contains(&format!(
                "<tr><td>{label}</td><td class=n>{}</td><td class=n>{kept}</td>",
                st["in"]
            )),
            "funnel row of {label}"
        );
    }
    assert!(
        html.contains("minhash_cluster_size") && html.contains("gopher_"),
        "score histograms"
    );
    let o = run_ok(bin().args(["inspect", "-n", "2", "--lang", "zh"]).arg(&out));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("token_count") && text.matches("── ").count() == 2,
        "{text}"
    );
    let o = run_ok(bin().args(["inspect", "--removed", "-n", "1"]).arg(&out));
    assert!(String::from_utf8_lossy(&o.stdout).contains("dropped by"));
}

#[test]
fn validate_rejects_a_misspelled_key_naming_the_line() {
    let dir = tmp("validate");
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("bad.yaml");
    std::fs::write(
        &p,
        "name: x\noutput:\n  dir: out\nsteps:\n  - extract:\n      favour: precision\n",
    )
    .unwrap();
    let out = bin().arg("validate").arg(&p).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("favour"), "{err}");
    assert!(err.contains("bad.yaml"), "names the file: {err}");
    assert!(err.contains("line 6"), "names the line: {err}");
    assert_eq!(
        out.status.code(),
        Some(2),
        "a config error is a usage error (exit 2)"
    );
    for good in ["quickstart", "skypile", "extract", "dedup"] {
        run_ok(bin().arg("validate").arg(format!("pipelines/{good}.yaml")));
    }
}

#[test]
fn bad_paths_are_one_line_errors() {
    let out = bin()
        .args([
            "run",
            "pipelines/extract.yaml",
            "--input",
            "/nonexistent/x.warc.gz",
            "--output",
        ])
        .arg(tmp("missing"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("/nonexistent/x.warc.gz") && err.contains("does not exist"),
        "{err}"
    );

    let out = bin()
        .args([
            "run",
            "pipelines/extract.yaml",
            "--output",
            "/proc/skypile-cannot-write",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("/proc/skypile-cannot-write"));
}

#[test]
fn steps_lists_the_registry_and_schema_is_json_for_editors() {
    let out = run_ok(bin().arg("steps"));
    let list = String::from_utf8_lossy(&out.stdout);
    assert!(
        list.contains("  minhash ") && list.contains("  gopher_quality "),
        "{list}"
    );
    let out = run_ok(bin().args(["steps", "line_dedup"]));
    let one = String::from_utf8_lossy(&out.stdout);
    let opt = one
        .lines()
        .find(|l| l.trim_start().starts_with("max_occurrences "));
    assert!(opt.is_some_and(|l| l.ends_with(" 20")), "{one}");
    let bad = bin().args(["steps", "line_dedupe"]).output().unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("line_dedup"));
    let out = run_ok(bin().arg("schema"));
    let schema: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(schema["type"], "object");
    assert!(schema["properties"]["steps"].is_object(), "{schema}");
}
