//! Gopher repetition filter (Rae et al. 2021, appendix A.1.1 table A1; datatrove
//! `GopherRepetitionFilter`).
//!
//! Paper thresholds: duplicate lines ≤ 30 % of lines and ≤ 20 % of chars, duplicate paragraphs
//! (blank-line separated) the same; the most frequent 2/3/4-gram covers ≤ 20/18/16 % of chars;
//! chars inside repeated 5…10-grams ≤ 15/14/13/12/11/10 %. Fractions are of the doc's chars.
//! For Chinese the n-grams are over jieba words (`doc.words()`), never whitespace tokens (which
//! would make a whole Chinese line one "word"); zh thresholds are FineWeb-2's `cmn_Hani` ones
//! (huggingface/fineweb-2 `configs/cmn_Hani.yml`: dup lines 28.7 %, top 2/3/4-gram
//! 25.6/20.1/17.1 %, repeated 5…10-grams 19.8 … 12.7 %).

use serde::{Deserialize, Serialize};
use skypile_core::{Column, Counters, Doc, Step, Verdict};

use crate::thresholds::{ByLang, LangThresholds};
use crate::util::{
    NgramStats, Ngrams, Scores, char_len, find_duplicates, float_columns, joined_words, ratio,
    units,
};

/// Gopher repetition rules: duplicate lines, paragraphs and n-grams.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct GopherRepetitionConfig {
    pub keep_scores: bool,
    pub thresholds: ByLang<GopherRepetitionThresholds>,
}

impl Default for GopherRepetitionConfig {
    fn default() -> Self {
        GopherRepetitionConfig {
            keep_scores: true,
            thresholds: ByLang::default(),
        }
    }
}

/// `null` disables a check; n-gram lists are `[n, max_fraction]` pairs.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct GopherRepetitionThresholds {
    pub dup_line_frac: Option<f64>,
    pub dup_para_frac: Option<f64>,
    pub dup_line_char_frac: Option<f64>,
    pub dup_para_char_frac: Option<f64>,
    pub top_n_grams: Vec<(usize, f64)>,
    pub dup_n_grams: Vec<(usize, f64)>,
}

impl Default for GopherRepetitionThresholds {
    fn default() -> Self {
        GopherRepetitionThresholds {
            dup_line_frac: Some(0.3),
            dup_para_frac: Some(0.3),
            dup_line_char_frac: Some(0.2),
            dup_para_char_frac: Some(0.2),
            top_n_grams: vec![(2, 0.2), (3, 0.18), (4, 0.16)],
            dup_n_grams: vec![
                (5, 0.15),
                (6, 0.14),
                (7, 0.13),
                (8, 0.12),
                (9, 0.11),
                (10, 0.10),
            ],
        }
    }
}

impl LangThresholds for GopherRepetitionThresholds {
    fn lang_overrides(lang: &str) -> Option<serde_json::Value> {
        (lang == "zh").then(|| {
            serde_json::json!({
                "dup_line_frac": 0.287,
                "top_n_grams": [[2, 0.256], [3, 0.201], [4, 0.171]],
                "dup_n_grams": [[5, 0.198], [6, 0.182], [7, 0.167], [8, 0.154], [9, 0.14], [10, 0.127]],
            })
        })
    }
}

pub struct GopherRepetition {
    cfg: GopherRepetitionConfig,
    columns: Vec<String>,
}

/// Paragraphs: runs of non-blank lines separated by blank lines, trimmed.
fn paragraphs(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let mut end = 0;
    let mut pos = 0;
    for line in text.split_inclusive('\n') {
        if line.trim().is_empty() {
            if let Some(s) = start.take() {
                out.push(text.get(s..end).unwrap_or("").trim());
            }
        } else {
            start.get_or_insert(pos);
            end = pos + line.len();
        }
        pos += line.len();
    }
    if let Some(s) = start {
        out.push(text.get(s..end).unwrap_or("").trim());
    }
    out
}

impl GopherRepetition {
    pub fn new(cfg: GopherRepetitionConfig) -> Self {
        let mut columns: Vec<String> = [
            "dup_line_frac",
            "dup_para_frac",
            "dup_line_char_frac",
            "dup_para_char_frac",
        ]
        .iter()
        .map(|s| format!("gopher_{s}"))
        .collect();
        // Columns are per configured n, union over languages so every shard has one schema.
        let mut tops: Vec<usize> = Vec::new();
        let mut dups: Vec<usize> = Vec::new();
        for t in cfg.thresholds.all() {
            tops.extend(t.top_n_grams.iter().map(|p| p.0));
            dups.extend(t.dup_n_grams.iter().map(|p| p.0));
        }
        tops.sort_unstable();
        tops.dedup();
        dups.sort_unstable();
        dups.dedup();
        columns.extend(tops.iter().map(|n| format!("gopher_top_{n}_gram_frac")));
        columns.extend(dups.iter().map(|n| format!("gopher_dup_{n}_gram_frac")));
        GopherRepetition { cfg, columns }
    }
}

impl Step for GopherRepetition {
    fn name(&self) -> &str {
        "gopher_repetition"
    }

    fn columns(&self) -> Vec<Column> {
        float_columns(&self.columns.iter().map(String::as_str).collect::<Vec<_>>())
    }

    fn process(&self, doc: &mut Doc, _stats: &mut Counters) -> Verdict {
        let t = self.cfg.thresholds.get(&doc.lang).clone();
        let text = doc.text();
        let total = char_len(text);
        let paras = paragraphs(text);
        let (para_dup, para_dup_chars) = find_duplicates(paras.iter().copied());
        let n_lines = doc.line_ranges().len();
        let (line_dup, line_dup_chars) = find_duplicates(doc.lines());
        let words = Ngrams::new(&units(joined_words(doc)));
        let tops: Vec<usize> = t.top_n_grams.iter().map(|p| p.0).collect();
        let dups: Vec<usize> = t.dup_n_grams.iter().map(|p| p.0).collect();
        let grams = NgramStats::new(&words, &tops, &dups);
        let checks = [
            (
                "dup_para_frac",
                ratio(para_dup, paras.len()),
                t.dup_para_frac,
            ),
            (
                "dup_para_char_frac",
                ratio(para_dup_chars, total),
                t.dup_para_char_frac,
            ),
            ("dup_line_frac", ratio(line_dup, n_lines), t.dup_line_frac),
            (
                "dup_line_char_frac",
                ratio(line_dup_chars, total),
                t.dup_line_char_frac,
            ),
        ];
        let keep = self.cfg.keep_scores;
        let mut sc = Scores { doc, keep };
        let mut reason: Option<String> = None;
        for (name, v, th) in checks {
            sc.set(&format!("gopher_{name}"), v);
            if reason.is_none() && th.is_some_and(|th| v > th) {
                reason = Some(format!("gopher_{name}"));
            }
        }
        for &(n, th) in &t.top_n_grams {
            // Without scores, stop at the first failing check: n-gram counting is the costly part.
            if reason.is_some() && !keep {
                break;
            }
            let v = ratio(grams.top(n), total);
            sc.set(&format!("gopher_top_{n}_gram_frac"), v);
            if reason.is_none() && v > th {
                reason = Some(format!("gopher_top_{n}_gram"));
            }
        }
        for &(n, th) in &t.dup_n_grams {
            if reason.is_some() && !keep {
                break;
            }
            let v = ratio(grams.dup(n), total);
            sc.set(&format!("gopher_dup_{n}_gram_frac"), v);
            if reason.is_none() && v > th {
                reason = Some(format!("gopher_duplicated_{n}_n_grams"));
            }
        }
        reason.map_or(Verdict::Keep, Verdict::Drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str, lang: &str) -> (Verdict, Doc) {
        let mut d = Doc::from_text("t", text);
        d.set_lang(lang, 1.0);
        let step = GopherRepetition::new(GopherRepetitionConfig::default());
        let v = step.process(&mut d, &mut Counters::default());
        for k in d.meta.keys() {
            assert!(
                step.columns().iter().any(|c| &c.name == k),
                "undeclared column {k}"
            );
        }
        (v, d)
    }

    #[test]
    fn paragraphs_split_on_blank_lines() {
        assert_eq!(paragraphs("a\nb\n\n \nc\n"), vec!["a\nb", "c"]);
    }

    #[test]
    fn keeps_varied_text_and_drops_repeats() {
        let ok = "It rained in the morning, so the market opened late.\n\
                  Farmers brought apples, pears and the last of the plums.\n\
                  By noon the square was full of people buying bread and cheese.";
        assert_eq!(run(ok, "en").0, Verdict::Keep);
        let rep = "Buy cheap watches now.\n".repeat(10);
        assert_eq!(run(&rep, "en").0, Verdict::drop("gopher_dup_line_frac"));
        let ngr = "click here to win big prizes today ".repeat(30);
        assert!(
            matches!(run(&ngr, "en").0, Verdict::Drop(r) if r.starts_with("gopher_top_") || r.starts_with("gopher_duplicated_"))
        );
    }

    #[test]
    fn chinese_ngrams_use_jieba_words() {
        // One line without spaces: whitespace tokens would see a single word and no n-grams.
        let zh = "澳门赌场在线开户送彩金".repeat(20);
        let (v, d) = run(&zh, "zh");
        assert!(
            matches!(&v, Verdict::Drop(r) if r.starts_with("gopher_top_2")),
            "{v:?}"
        );
        assert!(d.meta_f64("gopher_top_2_gram_frac").unwrap() > 0.2);
        let ok = "昨天下午，市政府召开新闻发布会，介绍了今年城市建设的主要进展。发言人表示，地铁三号线已经完成了全部土建工程。";
        assert_eq!(run(ok, "zh").0, Verdict::Keep);
    }
}
