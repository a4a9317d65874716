//! C4 clean-up rules (Raffel et al. 2020, "Exploring the Limits of Transfer Learning", §2.2;
//! datatrove `C4QualityFilter`), line-level then doc-level, with FineWeb's defaults.
//!
//! Lines are removed when they have fewer than 3 words (jieba words for zh), contain a word
//! over 1000 chars, mention "javascript", or carry a cookie/terms/privacy-policy phrase
//! (English and Chinese: 隐私政策, 使用条款 …). Citation markers (`[1]`, `[edit]`, `[编辑]`)
//! are cut from lines. The doc is dropped if it contains "lorem ipsum" or `{` (C4's code
//! heuristic), or keeps fewer than 5 sentences (3 for zh, whose sentences are ~3× longer).
//! The kept lines replace the text (paragraph breaks kept).
//!
//! C4's rule "keep only lines ending in terminal punctuation" (`filter_no_terminal_punct`) is
//! off by default, as in FineWeb (Penedo et al. 2024 §3.3 runs
//! `C4QualityFilter(filter_no_terminal_punct=False)`: the rule removed ~30 % of tokens, and
//! the `fineweb` step's line-punctuation ratio replaces it; FineWeb-2 drops C4 altogether).
//! Set it to `true` for raw C4. Terminal punctuation includes the full-width 。！？…」』 and
//! looks past a short bracketed tail (`util::ends_in_terminal`).
//!
//! The `{` test keeps C4's scope: C4 only tests lines that passed its punctuation rule (the
//! others were already removed), so with that rule off a `{` line without terminal
//! punctuation (a code line, a `{name}` byline) is removed as C4 would have removed it, and
//! only a `{` inside a sentence-final line drops the doc. "javascript" lines are removed
//! before the `{` test, in datatrove's order.
//!
//! MediaWiki language-conversion spans (`-{…}-`: `-{麐}-`, `-{zh-cn:米; zh-tw:公尺}-`) are not
//! code and do not trip the `{` test (`code_brace`). Chinese Wikipedia writes variant choices
//! this way in its source, and dumps, mirrors and datasets built from them (CMRC 2018's
//! contexts carry 83 such spans) keep them in otherwise clean prose: 10 of 359 good zh
//! articles of `scripts/models/check_quality.sh` were dropped for them and for nothing else.
//! C4's heuristic targets code: Raffel et al. §2.2 drop pages with `{` because it appears in
//! many programming languages (JavaScript above all) but not in natural text; a `-{` span is
//! neither code nor JavaScript.

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;
use regex::Regex;
use serde::{Deserialize, Serialize};
use skypile_core::{ColType, Column, Counters, Doc, Step, Verdict};

use crate::thresholds::{ByLang, LangThresholds};
use crate::util::{Scores, char_len, ends_in_terminal, ratio};

/// C4 line and doc rules (FineWeb's variant by default).
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct C4Config {
    pub keep_scores: bool,
    /// Rewrite the text with only the kept lines (C4's behaviour). Off: score and drop only.
    pub remove_lines: bool,
    pub thresholds: ByLang<C4Thresholds>,
}

impl Default for C4Config {
    fn default() -> Self {
        C4Config {
            keep_scores: true,
            remove_lines: true,
            thresholds: ByLang::default(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct C4Thresholds {
    pub filter_no_terminal_punct: bool,
    pub min_words_per_line: usize,
    pub max_word_length: usize,
    pub min_num_sentences: usize,
    pub filter_javascript: bool,
    pub filter_policy: bool,
    pub filter_lorem_ipsum: bool,
    pub filter_curly_bracket: bool,
    pub remove_citations: bool,
}

impl Default for C4Thresholds {
    fn default() -> Self {
        C4Thresholds {
            filter_no_terminal_punct: false,
            min_words_per_line: 3,
            max_word_length: 1000,
            min_num_sentences: 5,
            filter_javascript: true,
            filter_policy: true,
            filter_lorem_ipsum: true,
            filter_curly_bracket: true,
            remove_citations: true,
        }
    }
}

impl LangThresholds for C4Thresholds {
    fn lang_overrides(lang: &str) -> Option<serde_json::Value> {
        // Chinese sentences chain clauses with ，and ； and run long: C4's five English
        // sentences (~100 words) are about three Chinese ones (~150 chars).
        (lang == "zh").then(|| serde_json::json!({"min_num_sentences": 3}))
    }
}

const POLICY: &[&str] = &[
    "terms of use",
    "privacy policy",
    "cookie policy",
    "uses cookies",
    "use of cookies",
    "use cookies",
    "隐私政策",
    "隐私条款",
    "使用条款",
    "服务条款",
    "用户协议",
    "使用cookie",
    "cookie政策",
    "免责声明",
];

static CITATION: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"\[\d*\]|\[edit\]|\[citation needed\]|\[编辑\]|\[来源请求\]").ok()
});

/// A MediaWiki language-conversion span: `-{text}-`, `-{zh-cn:X; zh-tw:Y}-`, `-{T|title}-`.
static WIKI_CONVERSION: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"-\{[^{}\n]*\}-").ok());

/// Whether a line holds a `{` of code (C4's test), i.e. one outside `-{…}-` conversion spans.
fn code_brace(line: &str) -> bool {
    line.contains('{')
        && match WIKI_CONVERSION.as_ref() {
            Some(re) => re.replace_all(line, "").contains('{'),
            None => true,
        }
}

pub struct C4 {
    cfg: C4Config,
    policy: AhoCorasick,
}

/// Sentence ends: a run of enders counts once; an ASCII `.`/`!`/`?` only when followed by
/// a space, a quote/bracket or the end (so 3.14 and e.g.x are not sentences).
fn count_sentences(text: &str) -> usize {
    let mut n = 0;
    let mut it = text.chars().peekable();
    while let Some(c) = it.next() {
        let cjk = matches!(c, '。' | '！' | '？' | '…' | '．' | '｡');
        if !(cjk || matches!(c, '.' | '!' | '?')) {
            continue;
        }
        let next = it.peek().copied();
        if next
            .is_some_and(|n| matches!(n, '.' | '!' | '?' | '。' | '！' | '？' | '…' | '．' | '｡'))
        {
            continue;
        }
        if cjk
            || next.is_none_or(|n| {
                n.is_whitespace() || matches!(n, '"' | '\'' | '”' | '’' | ')' | '」' | '』' | '）')
            })
        {
            n += 1;
        }
    }
    n
}

impl C4 {
    pub fn new(cfg: C4Config) -> anyhow::Result<Self> {
        let policy = aho_corasick::AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .build(POLICY)?;
        Ok(C4 { cfg, policy })
    }
}

impl Step for C4 {
    fn name(&self) -> &str {
        "c4"
    }

    fn columns(&self) -> Vec<Column> {
        vec![
            Column::new("c4_lines_removed_ratio", ColType::Float32),
            Column::new("c4_sentences", ColType::Int64),
        ]
    }

    fn process(&self, doc: &mut Doc, stats: &mut Counters) -> Verdict {
        let t = self.cfg.thresholds.get(&doc.lang).clone();
        let text = doc.text();
        let words = doc.word_ranges();
        let mut wi = 0;
        let mut out = String::with_capacity(text.len());
        let (mut n_lines, mut removed, mut prev_end) = (0usize, 0usize, 0usize);
        let mut drop: Option<&str> = None;
        // Which lines stay, and whether a kept line was edited (citations cut): with no edits
        // the doc can drop lines in place and keep its jieba words (`Doc::retain_lines`).
        let mut keep = Vec::new();
        let mut edited = false;
        for r in doc.line_ranges() {
            n_lines += 1;
            // Words of this line: ranges are sorted, so one merge pass over the doc's words.
            let (mut nw, mut longest) = (0usize, 0usize);
            while let Some(w) = words.get(wi) {
                if w.start >= r.end {
                    break;
                }
                if w.start >= r.start {
                    nw += 1;
                    longest = longest.max(w.len());
                }
                wi += 1;
            }
            let raw = text.get(r.clone()).unwrap_or("");
            let line = match CITATION.as_ref() {
                Some(re) if t.remove_citations && raw.contains('[') => {
                    re.replace_all(raw, "").into_owned()
                }
                _ => raw.to_string(),
            };
            let line = line.trim();
            let terminal = ends_in_terminal(line);
            let why = if nw < t.min_words_per_line {
                Some("c4_line_too_few_words")
            } else if longest > t.max_word_length && char_len(line) > t.max_word_length {
                Some("c4_line_word_too_long")
            } else if t.filter_no_terminal_punct && !terminal {
                Some("c4_line_no_terminal_punct")
            } else {
                let lower = line.to_lowercase();
                if t.filter_lorem_ipsum && lower.contains("lorem ipsum") {
                    drop = Some("c4_lorem_ipsum");
                    break;
                }
                if t.filter_javascript && lower.contains("javascript") {
                    Some("c4_line_javascript")
                } else if t.filter_curly_bracket && code_brace(line) {
                    if terminal {
                        drop = Some("c4_curly_bracket");
                        break;
                    }
                    Some("c4_line_curly_bracket")
                } else if t.filter_policy && self.policy.is_match(&lower) {
                    Some("c4_line_policy")
                } else {
                    None
                }
            };
            if let Some(why) = why {
                stats.inc(why);
                removed += 1;
                keep.push(false);
                continue;
            }
            keep.push(true);
            edited |= line != raw;
            if !out.is_empty() {
                let gap = text.get(prev_end..r.start).unwrap_or("");
                out.push_str(if gap.matches('\n').count() >= 2 {
                    "\n\n"
                } else {
                    "\n"
                });
            }
            out.push_str(line);
            prev_end = r.end;
        }
        if let Some(reason) = drop {
            return Verdict::drop(reason);
        }
        stats.add("c4_lines_removed", removed as u64);
        let sentences = count_sentences(&out);
        let mut sc = Scores {
            doc,
            keep: self.cfg.keep_scores,
        };
        sc.set("c4_lines_removed_ratio", ratio(removed, n_lines));
        sc.set("c4_sentences", sentences);
        if sentences < t.min_num_sentences {
            return Verdict::drop("c4_too_few_sentences");
        }
        if removed > 0 && self.cfg.remove_lines {
            if edited {
                doc.set_text(out);
            } else {
                doc.retain_lines(&keep);
                debug_assert_eq!(doc.text(), out, "retain_lines joins lines as C4 does");
            }
        }
        Verdict::Keep
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_with(text: &str, lang: &str, raw_c4: bool) -> (Verdict, Doc, Counters) {
        let mut d = Doc::from_text("t", text);
        d.set_lang(lang, 1.0);
        let mut c = Counters::default();
        let mut cfg = C4Config::default();
        if raw_c4 {
            cfg.thresholds =
                serde_json::from_str(r#"{"default": {"filter_no_terminal_punct": true}}"#).unwrap();
        }
        let v = C4::new(cfg).unwrap().process(&mut d, &mut c);
        (v, d, c)
    }

    fn run(text: &str, lang: &str) -> (Verdict, Doc, Counters) {
        run_with(text, lang, false)
    }

    #[test]
    fn sentence_counting_handles_decimals_and_cjk() {
        assert_eq!(count_sentences("Pi is 3.14. Really?! Yes"), 2);
        assert_eq!(count_sentences("今天下雨。明天晴！真的吗？……"), 3);
    }

    #[test]
    fn removes_boilerplate_lines_and_keeps_paragraphs() {
        let text = "Home | News | Contact\n\
            The council approved the new park on Monday evening.\n\n\
            Residents had asked for more green space for years.\n\
            Please enable JavaScript to view the comments.\n\
            Work will start in spring and finish before the summer holidays.\n\
            The park will have a playground, a pond and many trees.\n\
            Local shops expect more visitors once it opens.[3]\n\
            This site uses cookies to improve your experience.";
        let (v, d, c) = run_with(text, "en", true);
        assert_eq!(v, Verdict::Keep);
        assert!(d.text().starts_with("The council approved"));
        assert!(d.text().contains("evening.\n\nResidents"));
        assert!(d.text().ends_with("once it opens."));
        assert_eq!(c.get("c4_lines_removed"), 3);
        assert_eq!(c.get("c4_line_javascript"), 1);
        // FineWeb's default keeps unpunctuated lines (the menu) and still cuts the others.
        let (v, d, c) = run(text, "en");
        assert_eq!(v, Verdict::Keep);
        assert!(d.text().starts_with("Home | News | Contact\nThe council"));
        assert_eq!(c.get("c4_lines_removed"), 2);
    }

    #[test]
    fn curly_bracket_keeps_c4_scope() {
        let prose = "The council approved the new park on Monday evening.\n\
            Residents had asked for more green space for years.\n\
            Work will start in spring and finish before the summer holidays.\n\
            The park will have a playground, a pond and many trees.\n\
            Local shops expect more visitors once it opens.";
        // A `{` line C4 would have removed for its punctuation is removed, not the doc.
        let byline = format!("{prose}\nAnna {{Green Living}} October 23, 2012 at 7:32 pm");
        let (v, d, c) = run(&byline, "en");
        assert_eq!(v, Verdict::Keep);
        assert!(!d.text().contains('{'));
        assert_eq!(c.get("c4_line_curly_bracket"), 1);
        let code = format!("{prose}\nfunction f(x) {{ return x; }}");
        assert_eq!(run(&code, "en").0, Verdict::Keep);
        let code = format!("{prose}\nCall f({{ mode: 1 }}) to start it.");
        assert_eq!(run(&code, "en").0, Verdict::drop("c4_curly_bracket"));
    }

    #[test]
    fn wiki_conversion_spans_are_not_code() {
        let zh = "郭-{麐}-，字群伯，号频伽，江苏吴江人，清代诗论家、诗人。\n\
            生于乾隆三十二年，少有神童之誉，后补诸生。\n\
            分布于-{zh-cn:克什米尔; zh-tw:喀什米尔}-等地，生长于海拔450-{zh-cn:米; zh-tw:公尺}-的地区。\n\
            著有《灵芬馆诗话》十二卷。";
        let (v, d, _) = run(zh, "zh");
        assert_eq!(v, Verdict::Keep, "{:?}", d.meta);
        // A real brace beside a span still counts.
        let mixed = format!("{zh}\n调用 f({{ mode: 1 }}) 即可启动，见-{{T|Gtk#}}-说明。");
        assert_eq!(run(&mixed, "zh").0, Verdict::drop("c4_curly_bracket"));
    }

    #[test]
    fn chinese_lines_use_fullwidth_punctuation() {
        let text = "首页 新闻 体育 娱乐\n\
            昨天下午，市政府召开新闻发布会，介绍了城市建设的进展。\n\
            发言人表示，地铁三号线已经完成了全部土建工程。\n\
            预计明年年底可以通车运营，市民出行将更加方便！\n\
            老旧小区改造工作也在稳步推进。\n\
            有记者问：施工期间的噪音问题如何解决？\n\
            本网站隐私政策。";
        let (v, d, c) = run_with(text, "zh", true);
        assert_eq!(v, Verdict::Keep, "{:?}", d.meta);
        assert!(!d.text().contains("首页") && !d.text().contains("隐私政策"));
        assert_eq!(c.get("c4_lines_removed"), 2);
    }

    #[test]
    fn doc_level_drops() {
        assert_eq!(
            run("Lorem ipsum dolor sit amet, consectetur adipiscing.", "en").0,
            Verdict::drop("c4_lorem_ipsum")
        );
        assert_eq!(
            run(
                "Set it with the call f({ mode: 1 }) before you start.",
                "en"
            )
            .0,
            Verdict::drop("c4_curly_bracket")
        );
        assert_eq!(
            run("One short sentence here.", "en").0,
            Verdict::drop("c4_too_few_sentences")
        );
    }
}
