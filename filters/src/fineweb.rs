//! FineWeb quality rules (Penedo et al. 2024, "The FineWeb Datasets", §3.3; datatrove
//! `FineWebQualityFilter`), with FineWeb-2's per-language recipe for Chinese.
//!
//! Drop when ≤ 12 % of lines end in terminal punctuation, ≥ 67 % of lines are ≤ 30 chars,
//! chars in duplicated lines are ≥ 10 % of the text (newlines excluded), or there are more than
//! 0.3 newlines per word (list-like docs). Terminal punctuation includes the full-width forms
//! and ignores a trailing square-bracketed link label or citation mark (`util::ends_in_terminal`),
//! lengths are in chars and words are jieba words for zh.
//!
//! Duplicated-line chars: FineWeb (English) used 1 %; FineWeb-2 raised it to 10 % for every
//! other language (`fineweb-2-pipeline.py`: "we changed this from 0.01 in fineweb english").
//! skypile uses FineWeb-2's 10 % for all languages: one repeated title, byline or sign-off
//! (kept by extractors and by the CleanEval/SogouCS gold) already exceeds 1 % of a short
//! article, and mass repetition is bounded by Gopher repetition (dup lines ≤ 30 %). Set
//! `char_duplicates_ratio: 0.01` to reproduce FineWeb English.
//!
//! zh follows FineWeb-2 (huggingface/fineweb-2 `configs/cmn_Hani.yml` and
//! `fineweb-2-pipeline.py`): punctuated lines ≥ 10.6 %, ≤ 0.178 newlines per word, and no
//! short-line rule (FineWeb-2 sets `short_line_thr=999` for all non-English languages: 30
//! chars of Chinese are a full clause, so addresses, table rows and list items of real
//! articles are "short"; navigation dumps are caught by `zh_quality`'s mean line length).
//!
//! A line holding ≥ 3 ideographic full stops (`。`) also counts as punctuated, whatever its
//! last char (`prose_line_min_sentences`; `null` gives FineWeb's exact rule):
//! - FineWeb's ratio assumes a line is a sentence or a short paragraph, so an unpunctuated line
//!   is a menu item or a heading. A Chinese paragraph is one line of many sentences; one that
//!   ends in a list (`……、六里村、南山村`), a truncated tail or a trailing caption is still prose,
//!   and a one- or two-paragraph article then scores 0 and was dropped (5 of 359 good zh
//!   articles of `scripts/models/check_quality.sh`, none of them list-like).
//! - 3 is C4's sentence minimum as this crate applies it to zh (`c4`: 5 sentences, 3 for zh).
//! - Only `。` counts: it has no other use, while `.` ends abbreviations and `！`/`？` separate
//!   slogans in ad and spam lines, which must stay unpunctuated. English is unaffected.
//! - Every stop must sit where a sentence ends (`is_prose_line`): shuffled 2–4-char chunks of
//!   real text keep its stops but misplace some of them (`，。`, `。、`).

use serde::{Deserialize, Serialize};
use skypile_core::{Column, Counters, Doc, Step, Verdict};

use crate::thresholds::{ByLang, LangThresholds};
use crate::util::{Scores, char_len, ends_in_terminal, find_duplicates, float_columns, ratio};

/// FineWeb rules: punctuated lines, short lines, duplicate-line chars, newlines.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct FineWebConfig {
    pub keep_scores: bool,
    pub thresholds: ByLang<FineWebThresholds>,
}

impl Default for FineWebConfig {
    fn default() -> Self {
        FineWebConfig {
            keep_scores: true,
            thresholds: ByLang::default(),
        }
    }
}

/// `null` disables a check.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct FineWebThresholds {
    pub line_punct_thr: Option<f64>,
    /// Keep docs with no punctuated line at all (e.g. poetry, tables) instead of dropping them.
    pub line_punct_exclude_zero: bool,
    /// A line with at least this many `。` counts as punctuated (a Chinese paragraph).
    pub prose_line_min_sentences: Option<usize>,
    pub short_line_thr: Option<f64>,
    pub short_line_length: usize,
    pub char_duplicates_ratio: Option<f64>,
    pub new_line_ratio: Option<f64>,
}

impl Default for FineWebThresholds {
    fn default() -> Self {
        FineWebThresholds {
            line_punct_thr: Some(0.12),
            line_punct_exclude_zero: false,
            prose_line_min_sentences: Some(3),
            short_line_thr: Some(0.67),
            short_line_length: 30,
            char_duplicates_ratio: Some(0.1),
            new_line_ratio: Some(0.3),
        }
    }
}

impl LangThresholds for FineWebThresholds {
    fn lang_overrides(lang: &str) -> Option<serde_json::Value> {
        (lang == "zh").then(|| {
            serde_json::json!({"line_punct_thr": 0.106, "new_line_ratio": 0.178, "short_line_thr": null})
        })
    }
}

pub struct FineWeb {
    cfg: FineWebConfig,
}

impl FineWeb {
    pub fn new(cfg: FineWebConfig) -> Self {
        FineWeb { cfg }
    }
}

const COLUMNS: &[&str] = &[
    "fineweb_line_punct_ratio",
    "fineweb_short_line_ratio",
    "fineweb_char_dup_ratio",
    "fineweb_new_line_ratio",
];

impl Step for FineWeb {
    fn name(&self) -> &str {
        "fineweb"
    }

    fn columns(&self) -> Vec<Column> {
        float_columns(COLUMNS)
    }

    fn process(&self, doc: &mut Doc, _stats: &mut Counters) -> Verdict {
        let t = self.cfg.thresholds.get(&doc.lang).clone();
        let (mut n, mut punct, mut short) = (0usize, 0usize, 0usize);
        for l in doc.lines() {
            n += 1;
            punct += (ends_in_terminal(l) || is_prose_line(l, t.prose_line_min_sentences)) as usize;
            short += (char_len(l) <= t.short_line_length) as usize;
        }
        if n == 0 {
            return Verdict::drop("fineweb_empty");
        }
        let text = doc.text();
        let newlines = text.matches('\n').count();
        let dup_chars = find_duplicates(doc.lines()).1;
        let scores = [
            ratio(punct, n),
            ratio(short, n),
            ratio(dup_chars, char_len(text) - newlines),
            ratio(newlines, doc.word_count()),
        ];
        let mut sc = Scores {
            doc,
            keep: self.cfg.keep_scores,
        };
        for (name, v) in COLUMNS.iter().zip(scores) {
            sc.set(name, v);
        }
        let [punct_r, short_r, dup_r, nl_r] = scores;
        if t.line_punct_thr.is_some_and(|th| punct_r <= th)
            && !(punct_r == 0.0 && t.line_punct_exclude_zero)
        {
            Verdict::drop("fineweb_line_punct_ratio")
        } else if t.short_line_thr.is_some_and(|th| short_r >= th) {
            Verdict::drop("fineweb_short_line_ratio")
        } else if t.char_duplicates_ratio.is_some_and(|th| dup_r >= th) {
            Verdict::drop("fineweb_char_dup_ratio")
        } else if t.new_line_ratio.is_some_and(|th| nl_r > th) {
            Verdict::drop("fineweb_list_ratio")
        } else {
            Verdict::Keep
        }
    }
}

/// Whether a line is a paragraph of Chinese prose: at least `min` ideographic full stops, each
/// placed as a sentence end (GB/T 15834-2011 §4.1: `。` closes a sentence, so it never follows
/// an opening mark or stands next to `，`, `、`, `；`, `：`). Shuffled text (chunk salad) puts
/// stops anywhere and most such lines have a misplaced one.
fn is_prose_line(line: &str, min: Option<usize>) -> bool {
    let Some(min) = min.filter(|m| *m > 0) else {
        return false;
    };
    let pause = |c: char| matches!(c, '，' | '、' | '；' | '：');
    let (mut stops, mut prev) = (0usize, '\n');
    let mut it = line.chars().peekable();
    while let Some(c) = it.next() {
        if c == '。' {
            let next = it.peek().copied().unwrap_or('\n');
            if pause(prev) || pause(next) || matches!(prev, '（' | '《' | '「' | '『' | '“' | '‘')
            {
                return false;
            }
            stops += 1;
        }
        prev = c;
    }
    stops >= min
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str, lang: &str) -> (Verdict, Doc) {
        let mut d = Doc::from_text("t", text);
        d.set_lang(lang, 1.0);
        let v = FineWeb::new(FineWebConfig::default()).process(&mut d, &mut Counters::default());
        (v, d)
    }

    #[test]
    fn keeps_articles_and_scores_them() {
        let en = "The council approved the new park on Monday evening after a long debate.\n\
                  Residents had asked for more green space for years, and many came to listen.";
        let (v, d) = run(en, "en");
        assert_eq!(v, Verdict::Keep);
        assert_eq!(d.meta_f64("fineweb_line_punct_ratio"), Some(1.0));
        let zh = "昨天下午，市政府召开新闻发布会，介绍了今年城市建设的主要进展和下一步的工作计划。\n\
                  发言人表示，地铁三号线已经完成了全部土建工程，预计明年年底可以通车运营。";
        assert_eq!(run(zh, "zh").0, Verdict::Keep);
    }

    #[test]
    fn a_paragraph_of_chinese_sentences_counts_as_punctuated() {
        // One paragraph ending in a list of villages: prose, though its last char is not `。`.
        let para = "澉浦镇位于该县县境南部。面积二十四平方公里。镇西的南北湖是省级风景名胜区。\
                    该镇辖有：澉浦村、镇中村、永乐村、南山村";
        let (v, d) = run(para, "zh");
        assert_eq!(v, Verdict::Keep, "{:?}", d.meta);
        assert_eq!(d.meta_f64("fineweb_line_punct_ratio"), Some(1.0));
        // Two sentences are not enough, and FineWeb's exact rule is one setting away.
        let two = "澉浦镇位于该县县境南部。面积二十四平方公里。该镇辖有：澉浦村、南山村";
        assert_eq!(run(two, "zh").0, Verdict::drop("fineweb_line_punct_ratio"));
        let cfg: FineWebConfig = serde_json::from_value(serde_json::json!(
            {"thresholds": {"zh": {"prose_line_min_sentences": null}}}
        ))
        .unwrap();
        let mut d = Doc::from_text("t", para);
        d.set_lang("zh", 1.0);
        let v = FineWeb::new(cfg).process(&mut d, &mut Counters::default());
        assert_eq!(v, Verdict::drop("fineweb_line_punct_ratio"));
        // Shuffled chunks misplace a stop: not prose.
        let salad = "南部。面积二十四。平方公里，。镇西的南北湖是省级风。景名胜区该镇辖有：澉浦村";
        assert_eq!(
            run(salad, "zh").0,
            Verdict::drop("fineweb_line_punct_ratio")
        );
        // Slogans separated by `！` stay unpunctuated.
        let ad = "点击进入！免费注册！每日送彩金！官方网站";
        assert_eq!(run(ad, "zh").0, Verdict::drop("fineweb_line_punct_ratio"));
    }

    #[test]
    fn zh_follows_fineweb2_and_link_labels_do_not_hide_punctuation() {
        // Short lines (address, account) are part of the article: no short-line rule in zh.
        let zh = "中国扶贫基金会孤儿助养项目今天在北京启动，首批资助五百名在校孤儿。\n\
                  地址：北京海淀区双榆树西里\n户名：中国扶贫基金会\n邮编：１０００８６\n\
                  开户行：中国银行北京分行";
        let (v, d) = run(zh, "zh");
        assert_eq!(v, Verdict::Keep, "{:?}", d.meta);
        assert!(d.meta_f64("fineweb_short_line_ratio").unwrap() > 0.67);
        let teaser = "消毒餐具不消毒的真相让人触目惊心，人们愤怒声讨，但又无可奈何。［详细］\n\
                      基金会募集资金很困难，有时为了募集两三百元要跑上好几趟．．．．．．［详细］";
        assert_eq!(
            run(teaser, "zh").1.meta_f64("fineweb_line_punct_ratio"),
            Some(1.0)
        );
    }

    #[test]
    fn drops_navigation_lists_and_repeats() {
        let nav = "首页\n新闻\n体育\n娱乐\n财经\n科技\n联系我们";
        assert_eq!(run(nav, "zh").0, Verdict::drop("fineweb_line_punct_ratio"));
        let short = "Read more.\nShare this.\nLike us.\nThe council approved the new park on Monday evening.";
        assert_eq!(
            run(short, "en").0,
            Verdict::drop("fineweb_short_line_ratio")
        );
        let dup = "The council approved the new park on Monday evening after a debate.\n".repeat(3);
        assert_eq!(run(&dup, "en").0, Verdict::drop("fineweb_char_dup_ratio"));
        assert_eq!(run("", "en").0, Verdict::drop("fineweb_empty"));
    }
}
