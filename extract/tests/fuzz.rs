//! Bounded, deterministic mutation test: truncated, garbled, deeply nested and huge HTML through
//! the extractor never panics and never hangs. A fixed seed makes every run try the same cases;
//! the watchdog only detects a hang (a case that never returns), it does not measure speed.

use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use skypile_core::rng::Rng;
use skypile_extract::{ExtractConfig, Status, extract};

#[path = "common/text.rs"]
mod text;
use text::{SOUP, floor_char};

/// Mutated copies of one page: cut, garbled spans, dropped `>`, spliced tag soup, doubled.
fn mutations(page: &str, rng: &mut Rng) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for k in 0..3 {
        let at = floor_char(page, rng.below(page.len()));
        out.push((format!("cut{k}@{at}"), page[..at].to_string()));
    }
    let mut garbled = page.to_string();
    for _ in 0..40 {
        let at = floor_char(&garbled, rng.below(garbled.len()));
        let end = floor_char(&garbled, at + rng.below(64));
        garbled.replace_range(at..end, SOUP[rng.below(SOUP.len())]);
    }
    out.push(("garbled".into(), garbled));
    let no_gt: String = page
        .chars()
        .filter(|&c| c != '>' || rng.below(4) != 0)
        .collect();
    out.push(("dropped >".into(), no_gt));
    let mut spliced = page.to_string();
    for _ in 0..5 {
        let at = floor_char(&spliced, rng.below(spliced.len()));
        let soup = SOUP[rng.below(SOUP.len())].repeat(1 + rng.below(3000));
        spliced.insert_str(at, &soup);
    }
    out.push(("spliced soup".into(), spliced));
    out.push(("doubled".into(), format!("{page}{page}")));
    out
}

/// Pathological pages that were slow or deep in real crawls or in html5ever's worst cases.
fn pathological() -> Vec<(String, String)> {
    let para =
        "<p>这一段是正文，用来检查截断以后前面的文字仍然保留。This sentence is the body.</p>";
    vec![
        (
            "100k nested divs".into(),
            format!("{para}{}", "<div>".repeat(100_000)),
        ),
        (
            "nested tables".into(),
            format!("{para}{}", "<table><tr><td>".repeat(20_000)),
        ),
        (
            "unclosed formatting".into(),
            format!("{para}{}", "<a href=x><b><i>t ".repeat(20_000)),
        ),
        (
            "200k empty spans".into(),
            format!("{para}{}", "<span></span>".repeat(200_000)),
        ),
        (
            "2 MB text node".into(),
            format!("<p>{}</p>", "词".repeat(700_000)),
        ),
        (
            "endless attribute".into(),
            format!("{para}<div class=\"{}", "x".repeat(1 << 20)),
        ),
        (
            "endless comment".into(),
            format!("{para}<!--{}", "<div>".repeat(50_000)),
        ),
        (
            "endless script".into(),
            format!("{para}<script>{}", "<p>x</p>".repeat(50_000)),
        ),
        (
            "nested forms and lists".into(),
            "<form><ul><li>".repeat(30_000),
        ),
        ("only markup".into(), "<".repeat(1 << 20)),
    ]
}

fn seed_pages() -> Vec<String> {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut pages: Vec<String> = std::fs::read_dir(here.join("tests/forums"))
        .map(|rd| {
            let mut v: Vec<_> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
            v.sort();
            v.into_iter()
                .filter(|p| p.extension().is_some_and(|e| e == "html"))
                .filter_map(|p| std::fs::read_to_string(p).ok())
                .collect()
        })
        .unwrap_or_default();
    // a few real pages when the shared data is there (any five, in a fixed order)
    let real = here.join("../../shared/data/extraction/zh-web-content-extraction/original");
    if let Ok(rd) = std::fs::read_dir(real) {
        let mut v: Vec<_> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
        v.sort();
        for p in v.into_iter().take(5) {
            if let Ok(b) = std::fs::read(p) {
                pages.push(String::from_utf8_lossy(&b).into_owned());
            }
        }
    }
    pages
}

#[test]
fn mutated_html_never_panics_or_hangs() {
    let pages = seed_pages();
    assert!(pages.len() >= 5, "no seed pages in tests/forums");
    let mut rng = Rng::new(0x005E_ED0F_F022);
    let mut cases = pathological();
    for (i, p) in pages.iter().enumerate() {
        for (name, html) in mutations(p, &mut rng) {
            cases.push((format!("page {i} {name}"), html));
        }
    }
    let n = cases.len();
    let (tx, rx) = mpsc::channel::<(String, Status, bool)>();
    let worker = std::thread::spawn(move || {
        let cfg = ExtractConfig {
            min_text_len: 1,
            ..Default::default()
        };
        for (name, html) in cases {
            let a = extract(&html, &cfg);
            let b = extract(&html, &cfg);
            // the budget is a count, not a clock: the same input gives the same output
            let same = a.text == b.text && a.status == b.status;
            if tx.send((name, a.status, same)).is_err() {
                return;
            }
        }
    });
    let mut last = String::from("(start)");
    for _ in 0..n {
        // generous: a hang is a case that never finishes, not a slow one
        match rx.recv_timeout(Duration::from_secs(120)) {
            Ok((name, _status, same)) => {
                assert!(same, "{name}: two runs gave different results");
                last = name;
            }
            Err(mpsc::RecvTimeoutError::Timeout) => panic!("hang after case {last:?}"),
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    if let Err(e) = worker.join() {
        panic!("extractor panicked after case {last:?}: {e:?}");
    }
    eprintln!("{n} mutated pages extracted");
}
