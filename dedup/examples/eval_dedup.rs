//! Quality of `minhash` on planted near-duplicates of real text, by true Jaccard bucket.
//!
//! Real zh and en documents from `../shared/data` (read at run time, nothing is copied) are
//! split into *bases* and *unrelated* docs. Every base gets one variant with a target Jaccard
//! (uniform in 0.5–1.0, over the step's own shingles) made by random unit edits (replace,
//! insert, delete a char for zh / a word for en) and sometimes a prepended/appended block from
//! another doc (template changes). Variants sort after every base, so a detected variant is a
//! dropped variant. Reported: recall by Jaccard bucket, and the share of unrelated docs and
//! bases dropped (false removals). Then the Clough & Stevenson plagiarism pairs, by category.
//!
//! `cargo run --release -p skypile-dedup --example eval_dedup -- [--data DIR] [--rounds N]
//!  [--bands B --rows R] [--zh-unit chars|words] [--tasks T]`

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use skypile_core::rng::Rng;
use skypile_core::{Doc, DocKey};
use skypile_dedup::harness::{Order, run, tmpdir};
use skypile_dedup::{Minhash, MinhashConfig, ZhUnit};

#[derive(Clone)]
struct Src {
    zh: bool,
    text: String,
}

fn read_jsonl(p: &Path, field: &str, zh: bool, out: &mut Vec<Src>) {
    let Ok(s) = std::fs::read_to_string(p) else {
        return;
    };
    for line in s.lines() {
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(line)
            && let Some(t) = v.get(field).and_then(|t| t.as_str())
        {
            out.push(Src {
                zh,
                text: t.to_string(),
            });
        }
    }
}

fn read_grouped(p: &Path, lines_per_doc: usize, zh: bool, out: &mut Vec<Src>) {
    let Ok(s) = std::fs::read_to_string(p) else {
        return;
    };
    let lines: Vec<&str> = s.lines().filter(|l| !l.trim().is_empty()).collect();
    for c in lines.chunks(lines_per_doc) {
        out.push(Src {
            zh,
            text: c.join("\n"),
        });
    }
}

fn read_gold_dir(dir: &Path, out: &mut Vec<Src>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut files: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
    files.sort();
    for f in files {
        if let Ok(b) = std::fs::read(&f) {
            let t = String::from_utf8_lossy(&b);
            let body: Vec<String> = t
                .lines()
                .filter(|l| !l.starts_with("URL:"))
                .map(|l| l.replace("<p>", "").replace("<h>", "").replace("<l>", ""))
                .collect();
            out.push(Src {
                zh: false,
                text: body.join("\n"),
            });
        }
    }
}

fn sources(data: &Path, mh: &Minhash) -> Vec<Src> {
    let mut v = Vec::new();
    let cwt = data.join("text-zh/chinesewebtext");
    read_jsonl(
        &cwt.join("2021-43-cleared1.jsonl"),
        "raw_content",
        true,
        &mut v,
    );
    read_jsonl(&cwt.join("fasttext-clean.jsonl"), "text", true, &mut v);
    read_jsonl(&cwt.join("fasttext-dirty.jsonl"), "text", true, &mut v);
    read_grouped(
        &data.join("segmentation/sighan2005-pku/testing/pku_test.utf8"),
        12,
        true,
        &mut v,
    );
    read_grouped(
        &data.join("langid/lingua-testdata/sentences/zh.txt"),
        15,
        true,
        &mut v,
    );
    read_gold_dir(
        &data.join("extraction/en-cleaneval-dev/GoldStandard"),
        &mut v,
    );
    read_gold_dir(
        &data.join("extraction/en-dragnet-sample/GoldStandard"),
        &mut v,
    );
    read_grouped(
        &data.join("langid/lingua-testdata/sentences/en.txt"),
        12,
        false,
        &mut v,
    );
    // enough units that a target Jaccard can be hit with unit edits
    v.retain(|s| mh.shingles(&Doc::from_text("", s.text.as_str())).len() >= 80);
    v
}

fn jaccard(a: &[u64], b: &[u64]) -> f64 {
    let sa: HashSet<u64> = a.iter().copied().collect();
    let sb: HashSet<u64> = b.iter().copied().collect();
    let inter = sa.intersection(&sb).count();
    let uni = sa.len() + sb.len() - inter;
    if uni == 0 {
        1.0
    } else {
        inter as f64 / uni as f64
    }
}

enum Op {
    Replace(f64, String),
    Delete(f64),
    Insert(f64, String),
    Prepend(Vec<String>),
    Append(Vec<String>),
}

fn units(s: &Src) -> Vec<String> {
    if s.zh {
        s.text.chars().map(String::from).collect()
    } else {
        s.text.split_whitespace().map(String::from).collect()
    }
}

fn render(zh: bool, u: &[String]) -> String {
    if zh { u.concat() } else { u.join(" ") }
}

fn apply_ops(base: &[String], ops: &[Op]) -> Vec<String> {
    let mut u = base.to_vec();
    let at = |f: f64, n: usize| ((f * n as f64) as usize).min(n.saturating_sub(1));
    for op in ops {
        match op {
            Op::Replace(f, w) if !u.is_empty() => {
                let i = at(*f, u.len());
                u[i] = w.clone();
            }
            Op::Delete(f) if u.len() > 1 => {
                let i = at(*f, u.len());
                u.remove(i);
            }
            Op::Insert(f, w) => {
                let i = at(*f, u.len() + 1);
                u.insert(i, w.clone());
            }
            Op::Prepend(b) => u.splice(0..0, b.iter().cloned()).for_each(drop),
            Op::Append(b) => u.extend(b.iter().cloned()),
            _ => {}
        }
    }
    u
}

/// A variant of `base` whose Jaccard to it is the largest not above `target`.
fn variant(mh: &Minhash, base: &Src, other: &Src, target: f64, r: &mut Rng) -> (String, f64) {
    let bu = units(base);
    let ou = units(other);
    let pool: Vec<&String> = ou
        .iter()
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .collect();
    let pick = |r: &mut Rng| {
        pool.get(r.below(pool.len()))
            .map(|s| s.to_string())
            .unwrap_or_else(|| "x".into())
    };
    let mut ops = Vec::new();
    if r.unit() < 0.3 && ou.len() > 20 {
        let len = (bu.len() as f64 * (0.05 + 0.1 * r.unit())) as usize;
        let start = r.below(ou.len().saturating_sub(len).max(1));
        let block: Vec<String> = ou.iter().skip(start).take(len).cloned().collect();
        ops.push(if r.unit() < 0.5 {
            Op::Prepend(block)
        } else {
            Op::Append(block)
        });
    }
    for _ in 0..bu.len() {
        let f = r.unit();
        ops.push(match r.below(4) {
            0 => Op::Delete(f),
            1 => Op::Insert(f, pick(r)),
            _ => Op::Replace(f, pick(r)),
        });
    }
    let bs = mh.shingles(&Doc::from_text("", base.text.as_str()));
    let eval = |k: usize| {
        let t = render(base.zh, &apply_ops(&bu, &ops[..k]));
        let j = jaccard(&bs, &mh.shingles(&Doc::from_text("", t.as_str())));
        (t, j)
    };
    // smallest k with J <= target (J falls with k, not strictly: the search is approximate)
    let (mut lo, mut hi) = (0usize, ops.len());
    while lo < hi {
        let mid = (lo + hi) / 2;
        if eval(mid).1 <= target {
            hi = mid
        } else {
            lo = mid + 1
        }
    }
    eval(lo)
}

const BUCKETS: [(f64, f64); 5] = [
    (0.5, 0.65),
    (0.65, 0.75),
    (0.75, 0.85),
    (0.85, 0.95),
    (0.95, 1.01),
];

fn bucket(j: f64) -> Option<usize> {
    BUCKETS.iter().position(|(a, b)| j >= *a && j < *b)
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let data = flag("--data")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data"));
    if !data.exists() {
        println!("skipping: {} not found", data.display());
        return Ok(());
    }
    let rounds: usize = flag("--rounds").and_then(|s| s.parse().ok()).unwrap_or(5);
    let tasks: usize = flag("--tasks").and_then(|s| s.parse().ok()).unwrap_or(2);
    let mut cfg = MinhashConfig::default();
    if let Some(b) = flag("--bands").and_then(|s| s.parse().ok()) {
        cfg.bands = b;
    }
    if let Some(r) = flag("--rows").and_then(|s| s.parse().ok()) {
        cfg.rows = r;
    }
    if flag("--zh-unit").as_deref() == Some("words") {
        cfg.zh_unit = ZhUnit::Words;
    }
    let mh = Minhash::new(cfg.clone())?;
    let src = sources(&data, &mh);
    let (nzh, nen) = (
        src.iter().filter(|s| s.zh).count(),
        src.iter().filter(|s| !s.zh).count(),
    );
    println!(
        "minhash {}x{} (zh {:?} n={}, en words n={}), {} source docs ({} zh, {} en), {} rounds, {} tasks",
        cfg.bands,
        cfg.rows,
        cfg.zh_unit,
        cfg.ngram_zh,
        cfg.ngram_en,
        src.len(),
        nzh,
        nen,
        rounds,
        tasks
    );
    // [bucket][zh?] = (planted, detected)
    let mut rec = [[(0usize, 0usize); 2]; BUCKETS.len()];
    let (mut unrel, mut unrel_fp, mut bases, mut base_fp) = (0usize, 0usize, 0usize, 0usize);
    let mut r = Rng::new(42);
    for round in 0..rounds {
        let mut order: Vec<usize> = (0..src.len()).collect();
        for i in (1..order.len()).rev() {
            order.swap(i, r.below(i + 1));
        }
        let mut docs = Vec::new();
        let mut truth: HashMap<String, (bool, f64)> = HashMap::new(); // variant id -> (zh, J)
        let mut roles: HashMap<String, &str> = HashMap::new();
        for (pos, &i) in order.iter().enumerate() {
            let s = &src[i];
            let id = format!("r{round}-d{i}");
            let mut d = Doc::from_text(id.clone(), s.text.as_str());
            d.key = DocKey::new(0, pos as u64);
            docs.push(d);
            if pos % 5 < 3 {
                roles.insert(id.clone(), "base");
                let other = &src[order[(pos + 1 + r.below(order.len() - 1)) % order.len()]];
                let other = if other.zh == s.zh { other } else { s };
                let target = 0.5 + 0.5 * r.unit();
                let (text, j) = variant(&mh, s, other, target, &mut r);
                let vid = format!("{id}-v");
                let mut v = Doc::from_text(vid.clone(), text);
                v.key = DocKey::new(1, pos as u64);
                docs.push(v);
                truth.insert(vid, (s.zh, j));
            } else {
                roles.insert(id, "unrelated");
            }
        }
        let dir = tmpdir(&format!("eval-{round}"));
        let out = run(&mh, docs, tasks, &dir, Order::Forward)?;
        let _ = std::fs::remove_dir_all(&dir);
        let dropped: HashSet<&str> = out.dropped_ids.iter().map(|(id, _)| id.as_str()).collect();
        for (vid, (zh, j)) in &truth {
            if let Some(b) = bucket(*j) {
                let cell = &mut rec[b][*zh as usize];
                cell.0 += 1;
                cell.1 += dropped.contains(vid.as_str()) as usize;
            }
        }
        for (id, role) in &roles {
            let fp = dropped.contains(id.as_str()) as usize;
            if *role == "base" {
                bases += 1;
                base_fp += fp;
            } else {
                unrel += 1;
                unrel_fp += fp;
            }
        }
    }
    println!(
        "\nrecall of planted near-duplicates by true Jaccard (shingle sets) to their original:"
    );
    println!(
        "{:<13} {:>6} {:>8} {:>6} {:>8} {:>6} {:>8} {:>9}",
        "J bucket", "zh n", "zh rec", "en n", "en rec", "all n", "recall", "S-curve"
    );
    let pct = |c: (usize, usize)| {
        if c.0 == 0 {
            "-".to_string()
        } else {
            format!("{:.3}", c.1 as f64 / c.0 as f64)
        }
    };
    let mut goals = Vec::new();
    let mut hi = (0, 0);
    for (b, (lo_j, hi_j)) in BUCKETS.iter().enumerate() {
        let all = (rec[b][0].0 + rec[b][1].0, rec[b][0].1 + rec[b][1].1);
        let mid = skypile_dedup::minhash::detection_probability(
            (lo_j + hi_j.min(1.0)) / 2.0,
            cfg.bands,
            cfg.rows,
        );
        println!(
            "[{lo_j:.2},{:.2}{} {:>6} {:>8} {:>6} {:>8} {:>6} {:>8} {mid:>9.3}",
            hi_j.min(1.0),
            if *hi_j > 1.0 { "]" } else { ")" },
            rec[b][1].0,
            pct(rec[b][1]),
            rec[b][0].0,
            pct(rec[b][0]),
            all.0,
            pct(all)
        );
        if *lo_j >= 0.85 {
            hi = (hi.0 + all.0, hi.1 + all.1);
        }
        if (*lo_j - 0.75).abs() < 1e-9 {
            goals.push((
                "recall 0.75-0.85 >= 0.80",
                all.1 as f64 >= 0.8 * all.0 as f64,
                pct(all),
            ));
        }
    }
    goals.insert(
        0,
        (
            "recall J >= 0.85 >= 0.95",
            hi.1 as f64 >= 0.95 * hi.0 as f64,
            pct(hi),
        ),
    );
    let fp = unrel_fp as f64 / unrel.max(1) as f64;
    println!(
        "\nunrelated docs removed: {unrel_fp} / {unrel} ({:.2}%)",
        100.0 * fp
    );
    println!(
        "originals (bases) removed: {base_fp} / {bases} (a base only goes if it duplicates an earlier doc)"
    );
    goals.push((
        "unrelated removed <= 0.5%",
        fp <= 0.005,
        format!("{:.2}%", 100.0 * fp),
    ));
    for (g, ok, v) in &goals {
        println!("goal {g:<28} {v:>8}  {}", if *ok { "PASS" } else { "FAIL" });
    }
    clough_stevenson(&data, &mh, tasks)
}

/// Each answer of the plagiarism corpus after its task's Wikipedia source: which get removed.
fn clough_stevenson(data: &Path, mh: &Minhash, tasks: usize) -> Result<()> {
    let dir = data.join("neardup/clough-stevenson");
    let info = std::fs::read_to_string(dir.join("file_information.csv"))
        .context("file_information.csv")?;
    let read =
        |f: &str| std::fs::read(dir.join(f)).map(|b| String::from_utf8_lossy(&b).into_owned());
    let mut docs = Vec::new();
    let mut cat: HashMap<String, (String, f64)> = HashMap::new();
    for task in ["a", "b", "c", "d", "e"] {
        let orig = read(&format!("orig_task{task}.txt"))?;
        let os = mh.shingles(&Doc::from_text("", orig.as_str()));
        let mut d = Doc::from_text(format!("orig_{task}"), orig);
        d.key = DocKey::new(0, task.as_bytes()[0] as u64);
        docs.push(d);
        for (i, line) in info.lines().skip(1).enumerate() {
            let f: Vec<&str> = line.split(',').collect();
            if f.len() < 3 || f[1] != task || f[2] == "orig" {
                continue;
            }
            let text = read(f[0])?;
            let j = jaccard(&os, &mh.shingles(&Doc::from_text("", text.as_str())));
            cat.insert(f[0].to_string(), (f[2].to_string(), j));
            let mut d = Doc::from_text(f[0], text);
            d.key = DocKey::new(1, i as u64);
            docs.push(d);
        }
    }
    let tmp = tmpdir("eval-clough");
    let out = run(mh, docs, tasks, &tmp, Order::Forward)?;
    let _ = std::fs::remove_dir_all(&tmp);
    let dropped: HashSet<&str> = out.dropped_ids.iter().map(|(id, _)| id.as_str()).collect();
    println!(
        "\nClough & Stevenson answers vs their source text (removed = judged a near-duplicate):"
    );
    println!(
        "{:<7} {:>4} {:>8} {:>8} {:>8}",
        "class", "n", "removed", "mean J", "max J"
    );
    for c in ["cut", "light", "heavy", "non"] {
        let v: Vec<(&String, &(String, f64))> = cat.iter().filter(|(_, (k, _))| k == c).collect();
        let rem = v
            .iter()
            .filter(|(f, _)| dropped.contains(f.as_str()))
            .count();
        let mean = v.iter().map(|(_, (_, j))| j).sum::<f64>() / v.len().max(1) as f64;
        let max = v.iter().map(|(_, (_, j))| *j).fold(0.0, f64::max);
        println!("{c:<7} {:>4} {rem:>8} {mean:>8.3} {max:>8.3}", v.len());
    }
    let hi: Vec<_> = cat.iter().filter(|(_, (_, j))| *j >= 0.75).collect();
    let hi_rem = hi
        .iter()
        .filter(|(f, _)| dropped.contains(f.as_str()))
        .count();
    println!(
        "answers with J >= 0.75 to their source: {} removed of {}",
        hi_rem,
        hi.len()
    );
    Ok(())
}
