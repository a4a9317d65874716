//! Keyword density filter for gambling, adult, advertising/fraud and illegal-trade spam, after
//! ChineseWebText's sensitive-word rule (Chen et al. 2023, §3.1: drop a document when its
//! sensitive words average more than 0.5 per line).
//!
//! Lists ship in `filters/data/keywords_{gambling,porn,ad,sensitive}.txt` (zh + en, written for
//! skypile); `extra_words_file` adds a user list (category `user`). Lines are at least
//! `chars_per_line` chars for the average (a pseudo-line), because many extracted docs have no
//! line breaks at all and one mention of 赌场 in a one-line news story must not read as
//! "1 per line". The drop reason names the category with most hits (`keywords_gambling` …).

use anyhow::Result;
use serde::{Deserialize, Serialize};
use skypile_core::{Column, Counters, Doc, Step, Verdict};

use crate::thresholds::{ByLang, LangThresholds};
use crate::util::{Scores, char_len, float_columns, ratio};
use crate::wordlist::{Keywords, Resolve, parse_list, read_list};

/// Drops docs with too many gambling / porn / ad / sensitive words per line.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct KeywordsConfig {
    pub keep_scores: bool,
    /// Use the built-in lists (off: only `extra_words_file`).
    pub builtin_lists: bool,
    /// One word per line, `#` comments; counted as category `user`.
    pub extra_words_file: Option<String>,
    pub thresholds: ByLang<KeywordsThresholds>,
}

impl Default for KeywordsConfig {
    fn default() -> Self {
        KeywordsConfig {
            keep_scores: true,
            builtin_lists: true,
            extra_words_file: None,
            thresholds: ByLang::default(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct KeywordsThresholds {
    pub max_hits_per_line: Option<f64>,
    pub chars_per_line: usize,
}

impl Default for KeywordsThresholds {
    fn default() -> Self {
        KeywordsThresholds {
            max_hits_per_line: Some(0.5),
            chars_per_line: 100,
        }
    }
}

impl LangThresholds for KeywordsThresholds {
    fn lang_overrides(lang: &str) -> Option<serde_json::Value> {
        // ~40 Chinese chars carry about what 100 English chars do (cl100k: 0.76 zh chars/token).
        (lang == "zh").then(|| serde_json::json!({"chars_per_line": 40}))
    }
}

const CATEGORIES: [&str; 5] = ["gambling", "porn", "ad", "sensitive", "user"];

pub struct KeywordFilter {
    cfg: KeywordsConfig,
    kw: Keywords,
    columns: Vec<String>,
}

impl KeywordFilter {
    pub fn new(cfg: KeywordsConfig, resolve: Resolve) -> Result<Self> {
        let builtin = |t: &str| {
            if cfg.builtin_lists {
                parse_list(t)
            } else {
                Vec::new()
            }
        };
        let user = match &cfg.extra_words_file {
            Some(p) => read_list(&resolve(p))?,
            None => Vec::new(),
        };
        let lists = [
            builtin(include_str!("../data/keywords_gambling.txt")),
            builtin(include_str!("../data/keywords_porn.txt")),
            builtin(include_str!("../data/keywords_ad.txt")),
            builtin(include_str!("../data/keywords_sensitive.txt")),
            user,
        ];
        let mut columns: Vec<String> = CATEGORIES
            .iter()
            .map(|c| format!("keywords_{c}_per_line"))
            .collect();
        columns.push("keywords_hits_per_line".into());
        Ok(KeywordFilter {
            kw: Keywords::new(&lists)?,
            cfg,
            columns,
        })
    }
}

impl Step for KeywordFilter {
    fn name(&self) -> &str {
        "keywords"
    }

    fn columns(&self) -> Vec<Column> {
        float_columns(&self.columns.iter().map(String::as_str).collect::<Vec<_>>())
    }

    fn process(&self, doc: &mut Doc, stats: &mut Counters) -> Verdict {
        let t = self.cfg.thresholds.get(&doc.lang);
        let hits = self.kw.count(doc.text(), CATEGORIES.len());
        let total: usize = hits.iter().sum();
        let lines = doc
            .lines()
            .map(|l| char_len(l).div_ceil(t.chars_per_line.max(1)).max(1))
            .sum::<usize>();
        let density = ratio(total, lines);
        let mut sc = Scores {
            doc,
            keep: self.cfg.keep_scores,
        };
        for (name, &h) in self.columns.iter().zip(&hits) {
            sc.set(name, ratio(h, lines));
        }
        sc.set("keywords_hits_per_line", density);
        for (c, &h) in CATEGORIES.iter().zip(&hits) {
            if h > 0 {
                stats.add(&format!("keywords_{c}_hits"), h as u64);
            }
        }
        if t.max_hits_per_line.is_some_and(|m| density > m) {
            let top = hits
                .iter()
                .enumerate()
                .max_by_key(|&(i, h)| (*h, usize::MAX - i))
                .map_or(0, |(i, _)| i);
            return Verdict::drop(format!(
                "keywords_{}",
                CATEGORIES.get(top).unwrap_or(&"user")
            ));
        }
        Verdict::Keep
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wordlist::resolve_as_is;

    fn filter(extra: Option<&str>) -> KeywordFilter {
        let cfg = KeywordsConfig {
            extra_words_file: extra.map(String::from),
            ..Default::default()
        };
        KeywordFilter::new(cfg, &resolve_as_is).unwrap()
    }

    fn run(f: &KeywordFilter, text: &str, lang: &str) -> (Verdict, Doc, Counters) {
        let mut d = Doc::from_text("t", text);
        d.set_lang(lang, 1.0);
        let mut c = Counters::default();
        let v = f.process(&mut d, &mut c);
        (v, d, c)
    }

    #[test]
    fn news_mentioning_gambling_once_is_kept() {
        let news = "澳门特区政府公布，上月博彩收入同比增长百分之十，旅游业继续复苏。酒店入住率维持在较高水平，\
                    特区政府表示将继续推动经济适度多元发展，会展、中医药和金融等产业都有新的项目落地。";
        let (v, d, c) = run(&filter(None), news, "zh");
        assert_eq!(v, Verdict::Keep, "{:?}", d.meta);
        assert_eq!(c.get("keywords_gambling_hits"), 1);
    }

    #[test]
    fn keyword_stuffing_is_dropped_with_its_category() {
        let spam = "澳门威尼斯人在线开户送彩金，百家乐真人娱乐，时时彩北京赛车pk10\n六合彩特码一肖中特，跑狗图白小姐";
        assert_eq!(
            run(&filter(None), spam, "zh").0,
            Verdict::drop("keywords_gambling")
        );
        let en = "Best online casino! Free spins, no deposit bonus, baccarat and roulette.";
        assert_eq!(
            run(&filter(None), en, "en").0,
            Verdict::drop("keywords_gambling")
        );
    }

    #[test]
    fn user_list_is_loaded_and_missing_file_is_an_error() {
        let dir = std::env::temp_dir().join(format!("skypile-kw-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("extra.txt");
        std::fs::write(&p, "# mine\nwidgetspam\n").unwrap();
        let f = filter(p.to_str());
        assert_eq!(
            run(&f, "widgetspam widgetspam", "en").0,
            Verdict::drop("keywords_user")
        );
        assert!(
            KeywordFilter::new(
                KeywordsConfig {
                    extra_words_file: Some("/nonexistent/x".into()),
                    ..Default::default()
                },
                &resolve_as_is
            )
            .is_err()
        );
        std::fs::remove_dir_all(&dir).ok();
    }
}
