//! `output.format: jsonl` gives the same rows, sharding and manifest as the Parquet output, and
//! pandas reads it back with `read_json(lines=True)`.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{json, quiet, run_ok, tmp};

/// The quickstart pipeline with extra `output:` keys (paths stay relative to the repo root).
fn quickstart_with(dir: &Path, extra_output: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let yaml = std::fs::read_to_string(root.join("pipelines/quickstart.yaml")).unwrap();
    let yaml = yaml
        .replacen("output:\n", &format!("output:\n{extra_output}"), 1)
        .replace(
            "../sample_data",
            &root.join("sample_data").to_string_lossy(),
        );
    let p = dir.join("pipeline.yaml");
    std::fs::write(&p, yaml).unwrap();
    p
}

fn run(pipeline: &Path, out: &Path) {
    run_ok(quiet().arg("run").arg(pipeline).arg("--output").arg(out));
    common::assert_no_panics(out);
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn jsonl_output_has_the_parquet_rows_shards_and_totals() {
    let d = tmp("jsonl");
    let (pq, js, zs) = (d.join("pq"), d.join("js"), d.join("zs"));
    run(&quickstart_with(&d, ""), &pq);
    let js_yaml = quickstart_with(&d, "  format: jsonl\n");
    run(&js_yaml, &js);
    std::fs::remove_file(&js_yaml).unwrap();
    run(
        &quickstart_with(&d, "  format: jsonl\n  compression: zstd\n"),
        &zs,
    );

    let (mp, mj, mz) = (
        json(&pq.join("manifest.json")),
        json(&js.join("manifest.json")),
        json(&zs.join("manifest.json")),
    );
    for k in ["total_docs", "total_tokens", "by_lang"] {
        assert_eq!(mp[k], mj[k], "{k} differs (gzip jsonl)");
        assert_eq!(mp[k], mz[k], "{k} differs (zstd jsonl)");
    }
    let stems = |v: Vec<String>, ext: &str| -> Vec<String> {
        v.into_iter()
            .map(|n| {
                n.strip_suffix(ext)
                    .unwrap_or_else(|| panic!("{n} is not *{ext}"))
                    .to_string()
            })
            .collect()
    };
    let parquet = stems(names(&pq.join("data")), ".parquet");
    assert!(parquet.len() > 1, "quickstart should write several shards");
    assert_eq!(parquet, stems(names(&js.join("data")), ".jsonl.gz"));
    assert_eq!(parquet, stems(names(&zs.join("data")), ".jsonl.zst"));
    assert_eq!(
        stems(names(&pq.join("removed")), ".parquet"),
        stems(names(&js.join("removed")), ".jsonl.gz")
    );

    verbs_read_alike(&pq, &js);
    verbs_read_alike(&pq, &zs);

    let Some(py) = skypile_core::testdata::python("pandas") else {
        return;
    };
    // pandas: the same rows (every column) in the same order, shard by shard
    let script = r#"
import glob, os, sys
import pandas as pd
pq, js, zs = sys.argv[1:4]
for kind in ("data", "removed"):
    a = [pd.read_parquet(f) for f in sorted(glob.glob(os.path.join(pq, kind, "*.parquet")))]
    for other, ext, comp in ((js, "jsonl.gz", "gzip"), (zs, "jsonl.zst", "zstd")):
        b = [pd.read_json(f, lines=True, compression=comp, dtype=False)
             for f in sorted(glob.glob(os.path.join(other, kind, "*." + ext)))]
        assert len(a) == len(b), (kind, len(a), len(b))
        for x, y in zip(a, b):
            assert list(x.columns) == list(y.columns), (list(x.columns), list(y.columns))
            assert len(x) == len(y)
            for c in ("id", "url", "text", "lang", "token_count", "source"):
                xs = x[c].where(x[c].notna(), None).tolist()
                ys = y[c].where(y[c].notna(), None).tolist()
                assert xs == ys, (kind, c)
            assert ((x["lang_score"] - y["lang_score"]).abs() < 1e-6).all()
print("ok", sum(len(t) for t in a))
"#;
    run_ok(Command::new(py).arg("-c").arg(script).args([&pq, &js, &zs]));
    let _ = std::fs::remove_dir_all(&d);
}

/// `inspect`, `report` and `stats` read a JSONL run (`other`) as they read the Parquet run
/// `pq`: the same report, documents, row totals and funnel.
fn verbs_read_alike(pq: &Path, other: &Path) {
    let out = |args: &[&str], dir: &Path| -> String {
        let o = run_ok(quiet().args(args).arg(dir));
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    for args in [
        &["inspect", "-n", "8"][..],
        &["inspect", "--removed", "-n", "8"],
    ] {
        let (a, b) = (out(args, pq), out(args, other));
        let docs = |s: &str| s.split_once("  total ").map(|(_, d)| d.to_string());
        assert!(docs(&a).is_some_and(|d| d.contains("── ")), "{a}");
        assert_eq!(docs(&a), docs(&b), "{args:?}: other totals or docs");
    }
    let report = |dir: &Path| {
        let html = dir.with_extension("html");
        out(&["report", "-o", html.to_str().unwrap()], dir);
        std::fs::read_to_string(html).unwrap()
    };
    let (a, b) = (report(pq), report(other));
    assert!(a.contains("<svg"), "no charts in the report");
    assert!(
        a == b,
        "the reports of {} and {} differ",
        pq.display(),
        other.display()
    );
    let stats = |dir: &Path| {
        let v: serde_json::Value = serde_json::from_str(&out(&["stats", "--json"], dir)).unwrap();
        common::without_timings(&v["steps"])
    };
    assert_eq!(stats(pq), stats(other));
}
