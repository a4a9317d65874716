//! `skypile train classifier` end to end: train from --pos/--neg and from labelled JSONL, then
//! use the model in a pipeline's `quality_model` step.

mod common;

use std::path::Path;

use common::{quiet, tmp};

/// Seeded docs of prose words (good) or cookie-banner words (junk), en and zh.
fn docs(good: bool, n: usize, seed: u64) -> Vec<String> {
    let en_good = "the river flows through the valley where farmers grow rice and wheat each year";
    let en_bad = "we use cookies to improve your experience accept all reject manage preferences";
    let zh_good = "长江 流经 山谷 农民 每年 在 两岸 种植 水稻 和 小麦 的 历史 悠久";
    let zh_bad = "我们 使用 Cookie 改善 您的 浏览 体验 接受 全部 拒绝 管理 偏好 设置";
    let mut rng = skypile_fasttext::train::Rng::new(seed);
    (0..n)
        .map(|i| {
            let (src, sep) = match (good, i % 2) {
                (true, 0) => (en_good, " "),
                (false, 0) => (en_bad, " "),
                (true, _) => (zh_good, ""),
                (false, _) => (zh_bad, ""),
            };
            let w: Vec<&str> = src.split(' ').collect();
            let s: Vec<&str> = (0..30).map(|_| w[rng.below(w.len())]).collect();
            s.join(sep) + "."
        })
        .collect()
}

fn jsonl(path: &Path, rows: &[(String, Option<&str>)]) {
    let lines: Vec<String> = rows
        .iter()
        .map(|(t, l)| match l {
            Some(l) => serde_json::json!({"text": t, "label": l}).to_string(),
            None => serde_json::json!({ "text": t }).to_string(),
        })
        .collect();
    std::fs::write(path, lines.join("\n") + "\n").unwrap();
}

fn train_ok(args: &[&str]) -> String {
    let out = quiet()
        .args(["train", "classifier"])
        .args(args)
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stderr}\n{stdout}");
    stdout.into_owned()
}

#[test]
fn trains_from_pos_neg_and_the_model_drops_junk_in_a_pipeline() {
    let dir = tmp("posneg");
    let pos: Vec<_> = docs(true, 120, 1).into_iter().map(|t| (t, None)).collect();
    let neg: Vec<_> = docs(false, 120, 2).into_iter().map(|t| (t, None)).collect();
    jsonl(&dir.join("pos.jsonl"), &pos);
    jsonl(&dir.join("neg.jsonl"), &neg);
    let model = dir.join("m.bin");
    let m = model.to_str().unwrap();
    let flags = [
        "--dim", "8", "--epoch", "10", "--lr", "0.5", "--bucket", "1000",
    ];
    let (p, n) = (dir.join("pos.jsonl"), dir.join("neg.jsonl"));
    let mut args = vec!["--pos", p.to_str().unwrap(), "--neg", n.to_str().unwrap()];
    args.extend(["--output", m, "--holdout", "0.2"]);
    args.extend(flags);
    let stdout = train_ok(&args);
    assert!(
        stdout.contains("held-out") && stdout.contains("zh"),
        "{stdout}"
    );
    let loaded = skypile_fasttext::Model::load(&model).unwrap();
    let mut labels = loaded.labels();
    labels.sort();
    assert_eq!(labels, ["hq", "lq"]);

    // a pipeline scoring fresh docs (other seeds) with it
    let mut mixed: Vec<(String, Option<&str>)> = Vec::new();
    mixed.extend(docs(true, 20, 7).into_iter().map(|t| (t, None)));
    mixed.extend(docs(false, 20, 8).into_iter().map(|t| (t, None)));
    jsonl(&dir.join("input.jsonl"), &mixed);
    let yaml = format!(
        "name: t\ninput: {{paths: [{}]}}\noutput: {{dir: {}}}\ntokenizer: {{encoding: none}}\nsteps:\n  - lang: {{}}\n  - quality_model:\n      models:\n        - {{name: t, path: {m}, thresholds: {{en: 0.5, zh: 0.5}}}}\n",
        dir.join("input.jsonl").display(),
        dir.join("out").display()
    );
    std::fs::write(dir.join("p.yaml"), yaml).unwrap();
    let out = quiet().arg("run").arg(dir.join("p.yaml")).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stats: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("out/stats.json")).unwrap()).unwrap();
    let c = &stats["counters"];
    let get = |k: &str| c[format!("02.quality_model.{k}")].as_u64().unwrap_or(0);
    assert!(get("dropped_quality_t") >= 18, "{c}");
    assert!(get("kept") >= 18, "{c}");
}

#[test]
fn trains_from_labelled_jsonl_and_skips_rows_without_a_label() {
    let dir = tmp("labelled");
    let mut rows: Vec<(String, Option<&str>)> = Vec::new();
    rows.extend(docs(true, 60, 3).into_iter().map(|t| (t, Some("good"))));
    rows.extend(docs(false, 60, 4).into_iter().map(|t| (t, Some("junk"))));
    rows.push(("a row without a label".into(), None));
    jsonl(&dir.join("l.jsonl"), &rows);
    let (input, model) = (dir.join("l.jsonl"), dir.join("m.bin"));
    let stdout = train_ok(&[
        "--input",
        input.to_str().unwrap(),
        "--output",
        model.to_str().unwrap(),
        "--pos-label",
        "good",
        "--holdout",
        "0.25",
    ]);
    assert!(
        stdout.contains(": 90 training docs"), // 120 labelled rows, a quarter held out
        "{stdout}"
    );
    assert!(stdout.contains("P(good)"), "{stdout}");
    let bad = quiet()
        .args([
            "train",
            "classifier",
            "--input",
            input.to_str().unwrap(),
            "--output",
        ])
        .arg(&model)
        .args(["--loss", "hinge"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("softmax"));
}
