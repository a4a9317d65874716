//! Gopher quality filter (Rae et al. 2021, "Scaling Language Models: Methods, Analysis &
//! Insights from Training Gopher", appendix A.1.1; datatrove `GopherQualityFilter`).
//!
//! Default thresholds are the paper's: 50–100,000 words, mean word length 3–10 chars, `#` and
//! ellipsis ≤ 0.1 per word, ≤ 90 % bullet lines, ≤ 30 % lines ending in an ellipsis, ≥ 80 % of
//! words with a letter, ≥ 2 stop words (English only: the paper's list is English; other
//! languages skip the check unless given a section). Chinese (`zh`) counts jieba words
//! (`doc.words()`), so the mean word length is ~1.5 chars; zh thresholds are FineWeb-2's
//! `cmn_Hani` ones (mean word length 1–5, ≥ 73.5 % alphabetic words) and its stop words
//! (的, 年, 在, 是 … in `data/stopwords_zh.txt`). A word "with a letter" has a char with
//! Unicode `Alphabetic` (Han ideographs are, digits are not, as in Python's `isalpha` used by
//! datatrove); jieba splits `2012年` into `2012` + `年`, so dates count one number and one
//! letter word. Runs of full-width digits/letters (`２０００`) count as one word, as jieba
//! counts their ASCII forms (`util::joined_words`). The share is over words without
//! punctuation tokens (datatrove also counts jieba's punctuation tokens in the denominator,
//! which is stricter for Chinese, ~15 % of whose tokens are ，。、). Bullets include the CJK forms
//! (・●■◆★…). Added by skypile: `max_garbled_char_ratio` drops mojibake (UTF-8 read as
//! Latin-1/cp1252 shows up as Latin-1 symbols, undecodable bytes as U+FFFD).

use std::borrow::Cow;

use rustc_hash::FxHashSet;
use serde::{Deserialize, Serialize};
use skypile_core::{ColType, Column, Counters, Doc, Step, Verdict};

use crate::thresholds::{ByLang, LangThresholds};
use crate::util::{Scores, char_len, float_columns, joined_words, ratio};
use crate::wordlist::parse_list;

/// Gopher quality rules: length, word length, symbols, bullets, stop words.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct GopherQualityConfig {
    pub keep_scores: bool,
    pub thresholds: ByLang<GopherQualityThresholds>,
}

impl Default for GopherQualityConfig {
    fn default() -> Self {
        GopherQualityConfig {
            keep_scores: true,
            thresholds: ByLang::default(),
        }
    }
}

/// `null` disables a check.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct GopherQualityThresholds {
    pub min_doc_words: Option<usize>,
    pub max_doc_words: Option<usize>,
    pub min_avg_word_length: Option<f64>,
    pub max_avg_word_length: Option<f64>,
    pub max_symbol_word_ratio: Option<f64>,
    pub max_bullet_lines_ratio: Option<f64>,
    pub max_ellipsis_lines_ratio: Option<f64>,
    pub min_alpha_words_ratio: Option<f64>,
    pub min_stop_words: Option<usize>,
    pub max_garbled_char_ratio: Option<f64>,
}

impl Default for GopherQualityThresholds {
    fn default() -> Self {
        GopherQualityThresholds {
            min_doc_words: Some(50),
            max_doc_words: Some(100_000),
            min_avg_word_length: Some(3.0),
            max_avg_word_length: Some(10.0),
            max_symbol_word_ratio: Some(0.1),
            max_bullet_lines_ratio: Some(0.9),
            max_ellipsis_lines_ratio: Some(0.3),
            min_alpha_words_ratio: Some(0.8),
            min_stop_words: None,
            max_garbled_char_ratio: Some(0.05),
        }
    }
}

impl LangThresholds for GopherQualityThresholds {
    fn lang_overrides(lang: &str) -> Option<serde_json::Value> {
        match lang {
            "en" => Some(serde_json::json!({"min_stop_words": 2})),
            "zh" => Some(serde_json::json!({
                "min_avg_word_length": 1.0, "max_avg_word_length": 5.0,
                "min_alpha_words_ratio": 0.735, "min_stop_words": 2
            })),
            _ => None,
        }
    }
}

pub struct GopherQuality {
    cfg: GopherQualityConfig,
    stop_en: FxHashSet<String>,
    stop_zh: FxHashSet<String>,
}

const BULLETS: &[char] = &[
    '•', '-', '*', '·', '・', '●', '○', '■', '□', '◆', '◇', '▪', '►', '▶', '★', '☆', '➤', '‣', '◦',
    '※',
];

fn is_garbled(c: char) -> bool {
    matches!(c as u32, 0x80..=0xBF | 0xFFFD | 0xE000..=0xF8FF)
}

impl GopherQuality {
    pub fn new(cfg: GopherQualityConfig) -> Self {
        let set = |t: &str| parse_list(t).into_iter().collect();
        GopherQuality {
            cfg,
            stop_en: set(include_str!("../data/stopwords_en.txt")),
            stop_zh: set(include_str!("../data/stopwords_zh.txt")),
        }
    }
}

impl Step for GopherQuality {
    fn name(&self) -> &str {
        "gopher_quality"
    }

    fn columns(&self) -> Vec<Column> {
        let mut c = float_columns(&[
            "gopher_mean_word_length",
            "gopher_hash_word_ratio",
            "gopher_ellipsis_word_ratio",
            "gopher_bullet_lines_ratio",
            "gopher_end_ellipsis_lines_ratio",
            "gopher_alpha_words_ratio",
            "gopher_garbled_char_ratio",
        ]);
        c.push(Column::new("gopher_word_count", ColType::Int64));
        c.push(Column::new("gopher_stop_words", ColType::Int64));
        c
    }

    fn process(&self, doc: &mut Doc, _stats: &mut Counters) -> Verdict {
        let t = self.cfg.thresholds.get(&doc.lang);
        let stop = if doc.is_zh() {
            &self.stop_zh
        } else {
            &self.stop_en
        };
        let (mut n_words, mut word_chars, mut alpha, mut stops) = (0usize, 0usize, 0usize, 0usize);
        for w in joined_words(doc) {
            n_words += 1;
            word_chars += char_len(w);
            alpha += w.chars().any(char::is_alphabetic) as usize;
            let lw = if w.bytes().any(|b| b.is_ascii_uppercase()) {
                Cow::Owned(w.to_lowercase())
            } else {
                Cow::Borrowed(w)
            };
            stops += stop.contains(lw.as_ref()) as usize;
        }
        let text = doc.text();
        let hashes = text.matches('#').count();
        let ellipses = text.matches("...").count() + text.matches('…').count();
        let (mut n_lines, mut bullets, mut end_ellipsis) = (0usize, 0usize, 0usize);
        for l in doc.lines() {
            n_lines += 1;
            bullets += l.starts_with(BULLETS) as usize;
            end_ellipsis += (l.ends_with("...") || l.ends_with('…')) as usize;
        }
        let (mut visible, mut garbled) = (0usize, 0usize);
        for c in text.chars().filter(|c| !c.is_whitespace()) {
            visible += 1;
            garbled += is_garbled(c) as usize;
        }
        let mean_len = ratio(word_chars, n_words);
        let s = [
            ratio(hashes, n_words),
            ratio(ellipses, n_words),
            ratio(bullets, n_lines),
            ratio(end_ellipsis, n_lines),
            ratio(alpha, n_words),
            ratio(garbled, visible),
        ];
        let mut sc = Scores {
            doc,
            keep: self.cfg.keep_scores,
        };
        sc.set("gopher_word_count", n_words);
        sc.set("gopher_stop_words", stops);
        sc.set("gopher_mean_word_length", mean_len);
        for (name, v) in [
            "hash_word_ratio",
            "ellipsis_word_ratio",
            "bullet_lines_ratio",
            "end_ellipsis_lines_ratio",
            "alpha_words_ratio",
            "garbled_char_ratio",
        ]
        .iter()
        .zip(s)
        {
            sc.set(&format!("gopher_{name}"), v);
        }
        let [hash_r, ell_r, bullet_r, end_ell_r, alpha_r, garbled_r] = s;
        let below = |v: f64, th: Option<f64>| th.is_some_and(|th| v < th);
        let above = |v: f64, th: Option<f64>| th.is_some_and(|th| v > th);
        let reason = if t.min_doc_words.is_some_and(|m| n_words < m) {
            "gopher_short_doc"
        } else if t.max_doc_words.is_some_and(|m| n_words > m) {
            "gopher_long_doc"
        } else if above(garbled_r, t.max_garbled_char_ratio) {
            "gopher_garbled_text"
        } else if below(mean_len, t.min_avg_word_length) {
            "gopher_below_avg_threshold"
        } else if above(mean_len, t.max_avg_word_length) {
            "gopher_above_avg_threshold"
        } else if above(hash_r, t.max_symbol_word_ratio) {
            "gopher_too_many_hashes"
        } else if above(ell_r, t.max_symbol_word_ratio) {
            "gopher_too_many_ellipsis"
        } else if above(bullet_r, t.max_bullet_lines_ratio) {
            "gopher_too_many_bullets"
        } else if above(end_ell_r, t.max_ellipsis_lines_ratio) {
            "gopher_too_many_end_ellipsis"
        } else if below(alpha_r, t.min_alpha_words_ratio) {
            "gopher_below_alpha_threshold"
        } else if t.min_stop_words.is_some_and(|m| stops < m) {
            "gopher_enough_stop_words"
        } else {
            return Verdict::Keep;
        };
        Verdict::drop(reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str, lang: &str) -> (Verdict, Doc) {
        let mut d = Doc::from_text("t", text);
        d.set_lang(lang, 1.0);
        let v = GopherQuality::new(GopherQualityConfig::default())
            .process(&mut d, &mut Counters::default());
        (v, d)
    }

    const EN: &str = "The committee met on Tuesday to discuss the budget for the coming year. \
        Members agreed that the library and the community centre should receive more money, \
        while road repairs will be funded with a grant from the state. The mayor said that the \
        plan was a fair compromise and thanked the residents who came to the public hearing \
        with their questions and ideas about the future of the town.";

    const ZH: &str = "昨天下午，市政府召开新闻发布会，介绍了今年城市建设的主要进展。\
        发言人表示，地铁三号线已经完成了全部土建工程，预计明年年底可以通车运营。\
        同时，老旧小区改造工作也在稳步推进，已有一百多个小区完成了外墙保温和管网更新。\
        市民普遍认为，这些工程改善了出行和居住条件，但也希望施工期间能减少噪音对生活的影响。";

    #[test]
    fn keeps_prose_in_both_languages_and_writes_scores() {
        let (v, d) = run(EN, "en");
        assert_eq!(v, Verdict::Keep);
        assert!(d.meta_f64("gopher_mean_word_length").unwrap() > 3.0);
        let (v, d) = run(ZH, "zh");
        assert_eq!(v, Verdict::Keep, "{:?}", d.meta);
        let m = d.meta_f64("gopher_mean_word_length").unwrap();
        assert!((1.2..3.0).contains(&m), "{m}");
    }

    #[test]
    fn drops_short_symbolic_and_stopwordless_docs() {
        assert_eq!(run("too short", "en").0, Verdict::drop("gopher_short_doc"));
        let tags = "#tag ".repeat(60);
        assert_eq!(run(&tags, "en").0, Verdict::drop("gopher_too_many_hashes"));
        let kw = "博彩 六合彩 时时彩 开户 彩金 ".repeat(20);
        assert_eq!(run(&kw, "zh").0, Verdict::drop("gopher_enough_stop_words"));
        let moji = "å¤§å®¶å¥½ï¼Œä»Šå¤©å¤©æ°”å¾ˆå¥½ ".repeat(20);
        assert_eq!(run(&moji, "en").0, Verdict::drop("gopher_garbled_text"));
    }

    #[test]
    fn fullwidth_numbers_are_one_word_each() {
        // SogouCS-style news: every number in full-width digits.
        let zh = "年审报告表明，该基金会２００８年度公益事业支出约为３０６０００元，\
            而上年总收入为２３３００００多元，仅占上年总收入的１３％。按照２００４年的《基金会管理条例》\
            规定，公募基金会公益支出应占上年度总收入的７０％以上，两者相比少了５７％。\
            该基金会２００９年３月１２日回应称，２００８年共有１２５个项目，其中３８个已经完成。"
            .repeat(2);
        let (v, d) = run(&zh, "zh");
        assert_eq!(v, Verdict::Keep, "{:?}", d.meta);
        let alpha = d.meta_f64("gopher_alpha_words_ratio").unwrap();
        // One word per digit gives 0.57.
        assert!(alpha > 0.735, "{alpha}");
    }

    #[test]
    fn other_languages_skip_english_stop_words() {
        let de =
            "Der Ausschuss traf sich am Dienstag und beriet lange über den Haushalt. ".repeat(6);
        assert_eq!(run(&de, "de").0, Verdict::Keep);
        assert_eq!(run(&de, "en").0, Verdict::drop("gopher_enough_stop_words"));
    }
}
