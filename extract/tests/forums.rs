//! Thread pages (tests/forums, written for this test; see its README): every post of the thread
//! is kept, short replies included, and the page furniture around the posts is not.

use std::path::Path;

use skypile_extract::metrics::token_prf;
use skypile_extract::{ExtractConfig, extract};

fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn every_post_of_a_thread_is_kept() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/forums");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/forums")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "html"))
        .collect();
    names.sort();
    assert!(names.len() >= 5, "forum pages missing in {}", dir.display());
    let mut failures = Vec::new();
    for p in &names {
        let html = std::fs::read_to_string(p).expect("utf-8 page");
        let gold = std::fs::read_to_string(p.with_extension("txt")).expect("gold next to page");
        let out = extract(&html, &ExtractConfig::default());
        let text = squash(&out.text);
        let name = p.file_stem().and_then(|s| s.to_str()).unwrap_or("?");
        let lost: Vec<&str> = gold
            .lines()
            .skip(1) // the thread title: a heading, not a post
            .filter(|l| !text.contains(&squash(l)))
            .collect();
        let (prec, _, f1) = token_prf(&out.text, &gold);
        eprintln!("{name}: F1 {f1:.3} P {prec:.3}, {} posts lost", lost.len());
        if !lost.is_empty() || prec < 0.85 {
            failures.push(format!(
                "{name}: lost {lost:?}, precision {prec:.2}\n{}",
                out.text
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
