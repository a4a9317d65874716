//! Chinese document rules in the style of ChineseWebText's preparation stage (Chen et al. 2023,
//! "ChineseWebText: Large-scale High-quality Chinese Web Text Extracted with Effective
//! Evaluation Model", §3.1): minimum length (200 chars), share of Chinese characters (≥ 30 %),
//! and internal repetition measured with character 13-grams (≤ 50 % of chars inside repeated
//! 13-grams). Added by skypile: a minimum mean line length (10 chars), which catches navigation
//! and tag dumps whose lines are 2–6 chars. Only docs whose language is listed in `languages`
//! (default `zh`) are checked; others pass untouched. Chars exclude whitespace.

use serde::{Deserialize, Serialize};
use skypile_core::text::is_han;
use skypile_core::{ColType, Column, Counters, Doc, Step, Verdict};

use crate::thresholds::{ByLang, LangThresholds};
use crate::util::{Ngrams, Scores, Unit, dup_ngram_chars, float_columns, ratio};

/// ChineseWebText rules for zh docs: length, Han share, repeated n-grams, lines.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ZhQualityConfig {
    pub keep_scores: bool,
    pub languages: Vec<String>,
    pub thresholds: ByLang<ZhQualityThresholds>,
}

impl Default for ZhQualityConfig {
    fn default() -> Self {
        ZhQualityConfig {
            keep_scores: true,
            languages: vec!["zh".into()],
            thresholds: ByLang::default(),
        }
    }
}

/// `null` disables a check.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ZhQualityThresholds {
    pub min_chars: Option<usize>,
    pub min_mean_line_length: Option<f64>,
    pub min_cjk_share: Option<f64>,
    pub ngram: usize,
    pub max_dup_ngram_char_frac: Option<f64>,
}

impl Default for ZhQualityThresholds {
    fn default() -> Self {
        ZhQualityThresholds {
            min_chars: Some(200),
            min_mean_line_length: Some(10.0),
            min_cjk_share: Some(0.3),
            ngram: 13,
            max_dup_ngram_char_frac: Some(0.5),
        }
    }
}

impl LangThresholds for ZhQualityThresholds {}

pub struct ZhQuality {
    cfg: ZhQualityConfig,
}

impl ZhQuality {
    pub fn new(cfg: ZhQualityConfig) -> Self {
        ZhQuality { cfg }
    }
}

impl Step for ZhQuality {
    fn name(&self) -> &str {
        "zh_quality"
    }

    fn columns(&self) -> Vec<Column> {
        let mut c = float_columns(&[
            "zh_mean_line_length",
            "zh_cjk_share",
            "zh_dup_ngram_char_frac",
        ]);
        c.push(Column::new("zh_char_count", ColType::Int64));
        c
    }

    fn process(&self, doc: &mut Doc, _stats: &mut Counters) -> Verdict {
        let base = doc.lang.split(['-', '_']).next().unwrap_or("");
        if !self
            .cfg
            .languages
            .iter()
            .any(|l| l == &doc.lang || l == base)
        {
            return Verdict::Keep;
        }
        let t = self.cfg.thresholds.get(&doc.lang);
        let (mut chars, mut han) = (0usize, 0usize);
        let mut units = Vec::with_capacity(doc.text().len() / 3);
        for c in doc.text().chars().filter(|c| !c.is_whitespace()) {
            chars += 1;
            han += is_han(c) as usize;
            units.push(Unit {
                hash: (c as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
                chars: 1,
            });
        }
        let n_lines = doc.line_ranges().len();
        let mean_line = ratio(chars, n_lines);
        let share = ratio(han, chars);
        let dup = ratio(dup_ngram_chars(&Ngrams::new(&units), t.ngram), chars);
        let mut sc = Scores {
            doc,
            keep: self.cfg.keep_scores,
        };
        sc.set("zh_char_count", chars);
        sc.set("zh_mean_line_length", mean_line);
        sc.set("zh_cjk_share", share);
        sc.set("zh_dup_ngram_char_frac", dup);
        if t.min_chars.is_some_and(|m| chars < m) {
            Verdict::drop("zh_too_short")
        } else if t.min_cjk_share.is_some_and(|m| share < m) {
            Verdict::drop("zh_cjk_share")
        } else if t.min_mean_line_length.is_some_and(|m| mean_line < m) {
            Verdict::drop("zh_mean_line_length")
        } else if t.max_dup_ngram_char_frac.is_some_and(|m| dup > m) {
            Verdict::drop("zh_char_ngram_repetition")
        } else {
            Verdict::Keep
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARTICLE: &str = "昨天下午，市政府召开新闻发布会，介绍了今年城市建设的主要进展。\
        发言人表示，地铁三号线已经完成了全部土建工程，预计明年年底可以通车运营。\
        同时，老旧小区改造工作也在稳步推进，已有一百多个小区完成了外墙保温和管网更新。\
        市民普遍认为，这些工程改善了出行和居住条件，但也希望施工期间能减少噪音对生活的影响。\
        据介绍，明年还将新建三座公园和两所中学，进一步完善城市的公共服务设施。\
        有关部门负责人强调，所有项目都将严格执行质量标准，确保按期完工并接受社会监督。";

    fn run(text: &str, lang: &str) -> (Verdict, Doc) {
        let mut d = Doc::from_text("t", text);
        d.set_lang(lang, 1.0);
        let v =
            ZhQuality::new(ZhQualityConfig::default()).process(&mut d, &mut Counters::default());
        (v, d)
    }

    #[test]
    fn keeps_article_and_ignores_other_languages() {
        let (v, d) = run(ARTICLE, "zh");
        assert_eq!(v, Verdict::Keep, "{:?}", d.meta);
        assert!(d.meta_f64("zh_cjk_share").unwrap() > 0.8);
        let (v, d) = run("short", "en");
        assert_eq!(v, Verdict::Keep);
        assert!(d.meta.is_empty());
    }

    #[test]
    fn drops_short_latin_listy_and_repetitive_docs() {
        assert_eq!(run("太短了。", "zh").0, Verdict::drop("zh_too_short"));
        let latin =
            "This page is mostly English words with a few 中文 characters in it. ".repeat(5);
        assert_eq!(run(&latin, "zh").0, Verdict::drop("zh_cjk_share"));
        let nav = "首页\n新闻\n体育\n娱乐\n财经\n科技\n汽车\n房产\n教育\n旅游\n".repeat(10);
        assert_eq!(run(&nav, "zh").0, Verdict::drop("zh_mean_line_length"));
        let rep = format!("{ARTICLE}{ARTICLE}{ARTICLE}");
        assert_eq!(run(&rep, "zh").0, Verdict::drop("zh_char_ngram_repetition"));
    }
}
