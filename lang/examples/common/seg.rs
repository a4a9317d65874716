//! Word-segmentation scoring against the SIGHAN 2005 PKU gold (word-span P/R/F1, as the
//! bakeoff's `score` script counts it). Shared by `examples/eval_segmentation.rs` and tests.
#![allow(dead_code)]

use std::collections::HashSet;
use std::path::Path;

#[derive(Debug, Default, Clone, Copy)]
pub struct Prf {
    pub gold: usize,
    pub pred: usize,
    pub correct: usize,
}

impl Prf {
    pub fn p(&self) -> f64 {
        self.correct as f64 / self.pred.max(1) as f64
    }
    pub fn r(&self) -> f64 {
        self.correct as f64 / self.gold.max(1) as f64
    }
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.p(), self.r());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
}

/// Words as (start, end) offsets in non-whitespace characters of the line.
fn spans<'a>(
    line: &str,
    words: impl Iterator<Item = std::ops::Range<usize>>,
    keep: impl Fn(&str) -> bool,
) -> HashSet<(usize, usize)> {
    // Non-whitespace characters before each byte offset.
    let mut before = vec![0usize; line.len() + 1];
    let mut n = 0;
    for (i, c) in line.char_indices() {
        for b in before.iter_mut().skip(i).take(c.len_utf8()) {
            *b = n;
        }
        if !c.is_whitespace() {
            n += 1;
        }
    }
    if let Some(last) = before.last_mut() {
        *last = n;
    }
    words
        .filter(|r| line.get(r.clone()).is_some_and(|w| keep(w)))
        .map(|r| {
            (
                before.get(r.start).copied().unwrap_or(0),
                before.get(r.end).copied().unwrap_or(0),
            )
        })
        .collect()
}

pub fn is_word(w: &str) -> bool {
    w.chars().any(char::is_alphanumeric)
}

/// (standard score with punctuation tokens, score of the doc words view without them).
pub fn score_pku(data: &Path, max_lines: usize) -> Option<(Prf, Prf)> {
    let dir = data.join("segmentation/sighan2005-pku");
    let test = std::fs::read_to_string(dir.join("testing/pku_test.utf8")).ok()?;
    let gold = std::fs::read_to_string(dir.join("gold/pku_test_gold.utf8")).ok()?;
    let (mut all, mut view) = (Prf::default(), Prf::default());
    for (line, gold_line) in test.lines().zip(gold.lines()).take(max_lines) {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let mut g = Vec::new();
        let mut off = 0;
        for w in gold_line.split_whitespace() {
            g.push(off..off + w.len());
            off += w.len();
        }
        let gold_text: String = gold_line.split_whitespace().collect();
        let gold_all = spans(&gold_text, g.iter().cloned(), |_| true);
        let gold_words = spans(&gold_text, g.iter().cloned(), is_word);
        let cut = skypile_core::text::jieba().cut(line, true);
        let pred_all = spans(line, cut.iter().map(|t| t.byte_start..t.byte_end), |w| {
            !w.trim().is_empty()
        });
        let pred_words = spans(
            line,
            skypile_core::text::word_ranges(line, true).into_iter(),
            |_| true,
        );
        for (acc, gold, pred) in [
            (&mut all, &gold_all, &pred_all),
            (&mut view, &gold_words, &pred_words),
        ] {
            acc.gold += gold.len();
            acc.pred += pred.len();
            acc.correct += gold.intersection(pred).count();
        }
    }
    Some((all, view))
}
