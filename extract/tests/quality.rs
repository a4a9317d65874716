//! Integration tier: mean token F1 on the gold sets in ../shared/data/extraction must not
//! regress. Floors sit just under what the extractor reaches (see README.md); the same F1 is
//! computed by scripts/eval_extract.py, which also runs trafilatura and resiliparse.

use std::path::{Path, PathBuf};

use skypile_extract::metrics::{clean_gold, token_prf};
use skypile_extract::{Cut, ExtractConfig, Status, extract};

mod common {
    pub mod decode;
}

fn data_dir() -> Option<PathBuf> {
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/extraction");
    if d.is_dir() {
        Some(d)
    } else {
        eprintln!("skipping: ../shared/data not found");
        None
    }
}

/// Mean F1 of the default extractor over `set/<inp>/*.html` against `set/<gold>/*.txt`.
fn mean_f1(dir: &Path, set: &str, inp: &str, gold: &str) -> (f64, usize) {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join(set).join(inp))
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.sort();
    let cfg = ExtractConfig::default();
    let (mut sum, mut n) = (0.0, 0);
    for f in files {
        let Some(stem) = f.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        let g = dir.join(set).join(gold).join(format!("{stem}.txt"));
        let (Ok(html), Ok(gold_bytes)) = (std::fs::read(&f), std::fs::read(&g)) else {
            continue;
        };
        let gold_text = clean_gold(&String::from_utf8_lossy(&gold_bytes));
        // Dragnet appends user comments after this mark; comments are off by default
        let gold_text = gold_text.split("!@#$%^&*()").next().unwrap_or("");
        let out = extract(&common::decode::decode(&html), &cfg);
        assert!(
            out.cut == Cut::None,
            "{stem}: a real page was cut by the nesting guard"
        );
        sum += token_prf(&out.text, gold_text).2;
        n += 1;
    }
    (sum / n.max(1) as f64, n)
}

#[test]
fn gold_set_f1_floors() {
    let Some(dir) = data_dir() else { return };
    let sets = [
        ("zh-web-content-extraction", "original", "cleaned", 0.91),
        ("en-cleaneval-dev", "input", "GoldStandard", 0.87),
        ("en-dragnet-sample", "input", "GoldStandard", 0.87),
    ];
    let mut failures = Vec::new();
    for (set, inp, gold, floor) in sets {
        let (f1, n) = mean_f1(&dir, set, inp, gold);
        eprintln!("{set}: mean token F1 {f1:.3} over {n} pages (floor {floor})");
        if n > 0 && f1 < floor {
            failures.push(format!("{set}: {f1:.3} < {floor}"));
        }
    }
    assert!(
        failures.is_empty(),
        "extraction quality regressed: {failures:?}"
    );
}

/// Real pages without gold: every page must extract without panicking, within budget, and
/// the news articles must mostly come out non-empty.
#[test]
fn chinese_news_pages_extract() {
    let Some(dir) = data_dir() else { return };
    let Ok(rd) = std::fs::read_dir(dir.join("zh-gne-news-pages")) else {
        return;
    };
    let (mut ok, mut n) = (0, 0);
    for e in rd.filter_map(Result::ok) {
        let Ok(bytes) = std::fs::read(e.path()) else {
            continue;
        };
        let out = extract(&common::decode::decode(&bytes), &ExtractConfig::default());
        assert!(
            out.cut == Cut::None,
            "{:?}: a real page was cut by the nesting guard",
            e.path()
        );
        n += 1;
        if out.status == Status::Ok && out.text.chars().count() > 100 {
            ok += 1;
        }
    }
    eprintln!("zh-gne-news-pages: {ok}/{n} non-empty");
    assert!(
        n == 0 || ok * 10 >= n * 8,
        "only {ok}/{n} news pages gave text"
    );
}
