//! The batched, prefetching scorer (`Model::score_line`) gives the sums of the plain one-unit-
//! at-a-time scorer it replaced, bit for bit: that scorer is kept here, over a
//! `std::collections::HashMap` of the model's entries, and both score the shared zh and en
//! texts (reference files, ChineseWebText pages) and seeded random mixed strings with the
//! shipped models and a small trained order-4 model.

mod support;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use skypile_ngram::Units;
use skypile_ngram::model::{BOS, EOS, LineScratch, Model, UNK, ngram_key, unit_hash};
use skypile_ngram::train::{TrainConfig, train};

/// The scorer as it was before the batched one: one unit at a time, every probe a map lookup.
struct Reference<'m> {
    model: &'m Model,
    table: HashMap<u64, (f32, f32)>,
}

impl Reference<'_> {
    fn new(model: &Model) -> Reference<'_> {
        let table = model
            .entries()
            .into_iter()
            .map(|(k, p, b)| (k, (p, b)))
            .collect();
        Reference { model, table }
    }

    fn probe(&self, window: &[u64], known: usize, uni: f32) -> (f32, usize) {
        let n = window.len().min(self.model.header.order).min(known + 1);
        let w = &window[window.len() - n..];
        let mut backoff = 0.0f32;
        for k in (2..=n).rev() {
            let gram = &w[n - k..];
            if let Some(&(p, _)) = self.table.get(&ngram_key(gram)) {
                return (p + backoff, k);
            }
            backoff += self
                .table
                .get(&ngram_key(&gram[..k - 1]))
                .map_or(0.0, |e| e.1);
        }
        if n >= 1 {
            (uni + backoff, 1)
        } else {
            (self.model.unk_log10() + backoff, 0)
        }
    }

    /// (log10 sum, unigram log10 sum, units) of one line.
    fn line(&self, line: &str) -> (f64, f64, u64) {
        let unk = unit_hash(UNK);
        let mut window = vec![unit_hash(BOS)];
        let keep = self.model.header.order.max(1) - 1;
        let (mut known, mut s) = (1, (0.0f64, 0.0f64, 0u64));
        let mut units = self.model.header.units.split(line);
        units.push(EOS.to_string());
        for u in units {
            let h = unit_hash(&u);
            let (h, uni) = match self.table.get(&ngram_key(&[h])) {
                Some(e) => (h, e.0),
                None => (unk, self.model.unk_log10()),
            };
            if window.len() > keep {
                window.drain(..window.len() - keep);
            }
            window.push(h);
            let (p, k) = self.probe(&window, known, uni);
            known = k.min(keep);
            s = (s.0 + p as f64, s.1 + uni as f64, s.2 + 1);
        }
        s
    }
}

/// Compare both scorers on every line; returns the lines compared.
fn compare<'a>(model: &Model, lines: impl Iterator<Item = &'a str>) -> usize {
    let reference = Reference::new(model);
    let mut scratch = LineScratch::default();
    let mut n = 0;
    for line in lines {
        let fast = model.score_line(line, &mut scratch);
        let slow = reference.line(line);
        assert_eq!(
            (
                fast.log10.to_bits(),
                fast.unigram_log10.to_bits(),
                fast.units
            ),
            (slow.0.to_bits(), slow.1.to_bits(), slow.2),
            "line {line:?}"
        );
        n += 1;
    }
    n
}

/// Every line of the reference files of `lang`, and for zh the ChineseWebText pages' lines.
fn shared_lines(root: &Path, lang: &str) -> Vec<String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("reference").join(lang))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    let mut lines: Vec<String> = files
        .iter()
        .flat_map(|f| {
            std::fs::read_to_string(f)
                .unwrap()
                .lines()
                .map(String::from)
                .collect::<Vec<_>>()
        })
        .collect();
    if lang == "zh" {
        let cwt = root.join("text-zh/chinesewebtext/2021-43-cleared1.jsonl");
        for l in std::fs::read_to_string(cwt).unwrap().lines() {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            let text = v["raw_content"].as_str().unwrap_or("");
            lines.extend(text.lines().map(String::from));
        }
    }
    lines
}

/// Seeded random lines mixing Han, Latin words, digits, punctuation and rare characters, so
/// that unseen units (`<unk>`), back-offs at every order and long lines all occur.
fn random_lines(seed: u64, count: usize) -> Vec<String> {
    const PARTS: &[&str] = &[
        "的", "是", "中国", "发展", "了", "，", "。", "the", "of", "cat", "sat", "on", "mat", " ",
        "2012", "年", "Apple", "!", "?", "𠀀", "ß", "é", "xyzzy", "人民", "经济", "and", "a",
    ];
    let mut x = seed;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    (0..count)
        .map(|_| {
            let len = (next() % 200) as usize;
            (0..len)
                .map(|_| PARTS[(next() % PARTS.len() as u64) as usize])
                .collect()
        })
        .collect()
}

fn shipped(lang: &str) -> Model {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../models/lm_{lang}.bin"));
    Model::load(&p).unwrap()
}

#[test]
fn shipped_models_score_shared_texts_as_the_plain_scorer() {
    let Some(root) = support::shared_data("") else {
        return;
    };
    for lang in ["zh", "en"] {
        let model = shipped(lang);
        let lines = shared_lines(&root, lang);
        let n = compare(&model, lines.iter().map(String::as_str));
        assert!(n > 1000, "{lang}: only {n} shared lines");
        let random = random_lines(7, 2000);
        compare(&model, random.iter().map(String::as_str));
        eprintln!("{lang}: {n} shared lines and 2000 random lines scored identically");
    }
}

#[test]
fn trained_models_of_every_order_score_as_the_plain_scorer() {
    let text = random_lines(11, 400);
    let train_lines: Vec<&str> = text.iter().map(String::as_str).collect();
    let probe = random_lines(12, 300);
    for (units, lang) in [(Units::Words, "en"), (Units::ZhChars, "zh")] {
        for order in 1..=5 {
            let cfg = TrainConfig {
                order,
                ..Default::default()
            };
            let model = train(&train_lines, lang, units, &cfg, "t")
                .unwrap()
                .to_model()
                .unwrap();
            compare(&model, probe.iter().chain(&text).map(String::as_str));
        }
    }
}
