//! Evaluation data for the filters, shared by `examples/eval_filters.rs` and
//! `tests/check_set.rs`: loaders for the real text in `../shared/data` (read at run time, never
//! copied into the repo) and a generator of labelled junk in both languages.

#![allow(dead_code)]

use std::io::Read;
use std::path::{Path, PathBuf};

use skypile_core::{Counters, Doc, Step, Verdict};
use skypile_filters::{
    c4, fineweb, gopher_quality, gopher_repetition, keywords, pii, url_filter, wordlist, zh_quality,
};
use xxhash_rust::xxh3::xxh3_64;

/// `../shared/data`, or `None` after a `SKIPPED:` line (a failure under `SKYPILE_REQUIRE_DATA=1`).
pub fn data_root() -> Option<PathBuf> {
    skypile_core::testdata::shared_data()
}

/// Every filter in FineWeb's recipe order: URL and keyword checks on the raw text, Gopher on
/// the whole doc, C4 line clean-up (its default is FineWeb's: no per-line punctuation rule),
/// FineWeb, PII last (it rewrites the text).
pub fn all_filters() -> anyhow::Result<Vec<Box<dyn Step>>> {
    let r = &wordlist::resolve_as_is;
    Ok(vec![
        Box::new(url_filter::UrlFilter::new(Default::default(), r)?),
        Box::new(keywords::KeywordFilter::new(Default::default(), r)?),
        Box::new(gopher_repetition::GopherRepetition::new(Default::default())),
        Box::new(gopher_quality::GopherQuality::new(Default::default())),
        Box::new(zh_quality::ZhQuality::new(Default::default())),
        Box::new(c4::C4::new(Default::default())?),
        Box::new(fineweb::FineWeb::new(Default::default())),
        Box::new(pii::Pii::new(Default::default())?),
    ])
}

/// Runs the chain; returns `None` if kept, else the first drop reason.
pub fn run_chain(steps: &[Box<dyn Step>], doc: &mut Doc, stats: &mut Counters) -> Option<String> {
    for s in steps {
        if let Verdict::Drop(r) = s.process(doc, stats) {
            return Some(r);
        }
    }
    None
}

pub struct Sample {
    pub set: &'static str,
    pub doc: Doc,
}

fn doc(id: String, text: String, lang: &str, url: Option<String>) -> Doc {
    let mut d = Doc::from_text(id, text);
    d.set_lang(lang, 1.0);
    d.url = url;
    d
}

fn read_dir_sorted(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .collect();
    v.sort();
    v
}

fn jsonl(text: &str, set: &'static str, lang: &str, field: &str) -> Vec<Sample> {
    text.lines()
        .enumerate()
        .filter_map(|(i, l)| {
            let v: serde_json::Value = serde_json::from_str(l).ok()?;
            let t = v.get(field)?.as_str()?.to_string();
            let url = v
                .get("url")
                .or_else(|| v.pointer("/metadata/url"))
                .and_then(|u| u.as_str())
                .map(String::from);
            Some(Sample {
                set,
                doc: doc(format!("{set}:{i}"), t, lang, url),
            })
        })
        .collect()
}

/// CleanEval gold: drop the `URL:` header; `<p>`/`<h>`/`<l>` start a paragraph and the lines
/// after it are the annotators' hard wrapping, so they are joined back (as an extractor would
/// output the paragraph).
fn cleaneval_text(raw: &str) -> String {
    let mut paras: Vec<String> = Vec::new();
    for l in raw.trim_start_matches('\u{feff}').lines().map(str::trim) {
        if l.starts_with("URL:") || l.is_empty() {
            continue;
        }
        match ["<p>", "<h>", "<l>"].iter().find_map(|t| l.strip_prefix(t)) {
            Some(rest) => paras.push(rest.trim().to_string()),
            None => match paras.last_mut() {
                Some(p) => {
                    p.push(' ');
                    p.push_str(l);
                }
                None => paras.push(l.to_string()),
            },
        }
    }
    paras.join("\n")
}

/// SogouCS pseudo-XML in GB18030: `<url>` and `<content>` per `<doc>`.
fn sogou(bytes: &[u8]) -> Vec<Sample> {
    let (text, _, _) = encoding_rs::GB18030.decode(bytes);
    let field = |d: &str, tag: &str| {
        let open = format!("<{tag}>");
        let close = format!("</{tag}>");
        let s = d.find(&open)? + open.len();
        let e = d.get(s..)?.find(&close)? + s;
        d.get(s..e).map(str::to_string)
    };
    text.split("<doc>")
        .enumerate()
        .filter_map(|(i, d)| {
            // SogouCS marks paragraph breaks with the private-use char U+E40C.
            let content = field(d, "content")?.replace('\u{e40c}', "\n");
            (!content.trim().is_empty()).then(|| Sample {
                set: "sogoucs",
                doc: doc(format!("sogoucs:{i}"), content, "zh", field(d, "url")),
            })
        })
        .collect()
}

fn gz(path: &Path) -> Option<String> {
    let f = std::fs::File::open(path).ok()?;
    let mut s = String::new();
    flate2::read::MultiGzDecoder::new(f)
        .read_to_string(&mut s)
        .ok()?;
    Some(s)
}

/// Real text, labelled by language from the dataset (no language ID involved).
pub fn real_text(root: &Path) -> Vec<Sample> {
    let mut out = Vec::new();
    let cwt = root.join("text-zh/chinesewebtext");
    for (file, set, field) in [
        ("2021-43-cleared1.jsonl", "chinesewebtext", "raw_content"),
        ("fasttext-clean.jsonl", "cwt_fasttext_clean", "text"),
        ("fasttext-dirty.jsonl", "cwt_fasttext_dirty", "text"),
    ] {
        if let Ok(t) = std::fs::read_to_string(cwt.join(file)) {
            out.extend(jsonl(&t, set, "zh", field));
        }
    }
    if let Ok(b) = std::fs::read(root.join("text-zh/sogoucs-mini/news_sohusite_xml.smarty.dat")) {
        out.extend(sogou(&b));
    }
    for p in read_dir_sorted(&root.join("text-en")) {
        if let Some(t) = gz(&p) {
            out.extend(jsonl(&t, "dolma_cc_en_head", "en", "text"));
        }
    }
    out.extend(gold_texts(root));
    out
}

/// Hand-made main-content gold of real pages (zh and en).
pub fn gold_texts(root: &Path) -> Vec<Sample> {
    let mut out = Vec::new();
    let sets: [(&str, &'static str, &str, bool); 3] = [
        (
            "extraction/zh-web-content-extraction/cleaned",
            "gold_zh_cwce",
            "zh",
            false,
        ),
        (
            "extraction/en-cleaneval-dev/GoldStandard",
            "gold_en_cleaneval",
            "en",
            true,
        ),
        (
            "extraction/en-dragnet-sample/GoldStandard",
            "gold_en_dragnet",
            "en",
            false,
        ),
    ];
    for (dir, set, lang, cleaneval) in sets {
        for p in read_dir_sorted(&root.join(dir)) {
            let Ok(bytes) = std::fs::read(&p) else {
                continue;
            };
            let raw = String::from_utf8_lossy(&bytes);
            let text = if cleaneval {
                cleaneval_text(&raw)
            } else {
                raw.into_owned()
            };
            let id = format!(
                "{set}:{}",
                p.file_name()
                    .map(|f| f.to_string_lossy().into_owned())
                    .unwrap_or_default()
            );
            out.push(Sample {
                set,
                doc: doc(id, text, lang, None),
            });
        }
    }
    out
}

/// An article by the usual corpus definition: at least 100 words (en) or 300 Han characters
/// (zh), the scale of a short news story. Shorter gold texts (captions, one-line posts) are not
/// what "good articles must be kept" is about.
pub fn is_article(d: &Doc) -> bool {
    if d.is_zh() {
        d.text()
            .chars()
            .filter(|&c| skypile_core::text::is_han(c))
            .count()
            >= 300
    } else {
        d.text().split_whitespace().count() >= 100
    }
}

/// Good articles: gold main text of real pages and SogouCS news, filtered by [`is_article`].
pub fn good_articles(root: &Path) -> Vec<Sample> {
    let mut v = gold_texts(root);
    if let Ok(b) = std::fs::read(root.join("text-zh/sogoucs-mini/news_sohusite_xml.smarty.dat")) {
        v.extend(sogou(&b));
    }
    v.retain(|s| is_article(&s.doc));
    v
}

/// Deterministic pseudo-random numbers without a seed file or a rand dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = xxh3_64(&self.0.to_le_bytes());
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a>(&mut self, v: &[&'a str]) -> &'a str {
        v.get(self.below(v.len())).copied().unwrap_or("")
    }
}

const ZH_NAV: &[&str] = &[
    "首页",
    "新闻",
    "体育",
    "娱乐",
    "财经",
    "科技",
    "汽车",
    "房产",
    "教育",
    "旅游",
    "游戏",
    "视频",
    "图片",
    "论坛",
    "博客",
    "登录",
    "注册",
    "联系我们",
    "关于我们",
    "网站地图",
    "广告服务",
    "帮助中心",
    "返回顶部",
    "更多>>",
    "热门标签",
    "上一篇",
    "下一篇",
];
const EN_NAV: &[&str] = &[
    "Home",
    "News",
    "Sports",
    "Business",
    "Technology",
    "Contact Us",
    "About",
    "Login",
    "Sign up",
    "Privacy",
    "Terms",
    "Sitemap",
    "Careers",
    "Advertise",
    "Help",
    "Next page",
    "Previous",
    "Read more",
    "Share",
    "Tweet",
    "Subscribe",
    "Archives",
];
const ZH_SPAM: &[&str] = &[
    "澳门威尼斯人",
    "在线开户",
    "注册送彩金",
    "百家乐",
    "真人娱乐",
    "时时彩",
    "北京赛车pk10",
    "六合彩",
    "特码",
    "一肖中特",
    "皇冠体育",
    "现金网",
    "首存送100%",
    "老虎机",
    "棋牌游戏",
    "代开发票",
    "裸聊",
    "成人视频",
    "免费领取",
    "加微信",
];
const ZH_FILLER: &[&str] = &[
    "官方网站",
    "最新",
    "2024",
    "网址",
    "平台",
    "推荐",
    "靠谱",
    "信誉",
    "第一",
    "下载",
    "app",
    "入口",
];
const EN_SPAM: &[&str] = &[
    "online casino",
    "free spins",
    "no deposit bonus",
    "baccarat",
    "roulette",
    "sports betting",
    "viagra",
    "cialis",
    "replica watches",
    "payday loan",
    "porn",
    "sex chat",
    "buy now",
    "click here",
    "cheap jerseys",
    "make money fast",
];
const EN_FILLER: &[&str] = &[
    "best", "top", "2024", "official", "site", "real", "win", "online", "free", "USA", "review",
    "now",
];
const LOREM: &str = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat. Duis aute irure dolor in reprehenderit in voluptate velit esse cillum dolore eu fugiat nulla pariatur.";

fn nav_dump(r: &mut Rng, zh: bool) -> String {
    let items = if zh { ZH_NAV } else { EN_NAV };
    let mut lines = Vec::new();
    for _ in 0..(20 + r.below(30)) {
        let n = 1 + r.below(4);
        let sep = " | ";
        lines.push((0..n).map(|_| r.pick(items)).collect::<Vec<_>>().join(sep));
    }
    lines.push(if zh {
        "版权所有 © 2008-2024 本站 京ICP备12345678号".into()
    } else {
        "Copyright © 2024 Example Inc. All rights reserved.".into()
    });
    lines.join("\n")
}

fn stuffing(r: &mut Rng, zh: bool) -> String {
    let (spam, filler) = if zh {
        (ZH_SPAM, ZH_FILLER)
    } else {
        (EN_SPAM, EN_FILLER)
    };
    let mut lines = Vec::new();
    for _ in 0..(5 + r.below(10)) {
        let mut words = Vec::new();
        for _ in 0..(6 + r.below(10)) {
            words.push(if r.below(3) == 0 {
                r.pick(filler)
            } else {
                r.pick(spam)
            });
        }
        let sep = if zh { "" } else { " " };
        lines.push(format!(
            "{}{}",
            words.join(sep),
            if zh { "！" } else { "!" }
        ));
    }
    lines.join("\n")
}

/// Random strings shaped like prose (words, sentences, punctuation), so only content checks
/// (stop words, word lengths, segmentation) can catch them.
fn gibberish(r: &mut Rng, zh: bool) -> String {
    let mut out = String::new();
    for _ in 0..(8 + r.below(8)) {
        for w in 0..(8 + r.below(10)) {
            if zh {
                for _ in 0..(1 + r.below(3)) {
                    out.push(
                        char::from_u32(0x4E00 + r.below(0x9FA5 - 0x4E00) as u32).unwrap_or('字'),
                    );
                }
            } else {
                if w > 0 {
                    out.push(' ');
                }
                for _ in 0..(2 + r.below(9)) {
                    out.push((b'a' + r.below(26) as u8) as char);
                }
            }
        }
        out.push_str(if zh { "。" } else { ". " });
        if r.below(4) == 0 {
            out.push('\n');
        }
    }
    out
}

fn lorem(r: &mut Rng, zh: bool) -> String {
    let mut out = String::new();
    for _ in 0..(2 + r.below(4)) {
        if zh {
            out.push_str("产品介绍\n");
        }
        out.push_str(LOREM);
        out.push_str("\n\n");
    }
    out
}

/// Mojibake made from real text: UTF-8 read as windows-1252, GBK bytes read as UTF-8, and
/// UTF-16 read as a single-byte charset.
/// `source` is real text of the doc's language; `zh_source` real Chinese text.
fn mojibake(r: &mut Rng, source: &str, zh_source: &str, zh: bool) -> String {
    let cut = |r: &mut Rng, s: &str| -> String {
        let start = s
            .char_indices()
            .nth(r.below(s.chars().count().saturating_sub(1500).max(1)))
            .map_or(0, |(i, _)| i);
        s.get(start..).unwrap_or(s).chars().take(1500).collect()
    };
    match (r.below(3), zh) {
        (0, true) => encoding_rs::WINDOWS_1252
            .decode(cut(r, source).as_bytes())
            .0
            .into_owned(),
        (1, true) => {
            String::from_utf8_lossy(&encoding_rs::GBK.encode(&cut(r, source)).0).into_owned()
        }
        (_, true) => encoding_rs::WINDOWS_1252
            .decode(&encoding_rs::GB18030.encode(&cut(r, source)).0)
            .0
            .into_owned(),
        // English text is mostly ASCII, which survives UTF-8/cp1252 confusion unchanged; en
        // mojibake is UTF-16 read as a single-byte charset, or a CJK page read as cp1252
        // (which looks Latin to a language detector).
        (0, false) => {
            let b: Vec<u8> = cut(r, source)
                .encode_utf16()
                .flat_map(u16::to_le_bytes)
                .collect();
            encoding_rs::WINDOWS_1252.decode(&b).0.into_owned()
        }
        (_, false) => encoding_rs::WINDOWS_1252
            .decode(cut(r, zh_source).as_bytes())
            .0
            .into_owned(),
    }
}

pub const JUNK_KINDS: &[&str] = &[
    "nav_dump",
    "keyword_stuffing",
    "gibberish",
    "lorem_ipsum",
    "mojibake",
];

/// `per_kind` junk docs per kind and language. Mojibake is made from `sources` (real text of
/// the same language).
pub fn junk(per_kind: usize, zh_sources: &[String], en_sources: &[String]) -> Vec<(String, Doc)> {
    let mut r = Rng(42);
    let mut out = Vec::new();
    for (lang, zh, sources) in [("zh", true, zh_sources), ("en", false, en_sources)] {
        for kind in JUNK_KINDS {
            for i in 0..per_kind {
                let text = match *kind {
                    "nav_dump" => nav_dump(&mut r, zh),
                    "keyword_stuffing" => stuffing(&mut r, zh),
                    "gibberish" => gibberish(&mut r, zh),
                    "lorem_ipsum" => lorem(&mut r, zh),
                    _ => {
                        let pick = |v: &[String]| {
                            v.get(i % v.len().max(1))
                                .cloned()
                                .unwrap_or_else(|| LOREM.to_string())
                        };
                        mojibake(&mut r, &pick(sources), &pick(zh_sources), zh)
                    }
                };
                out.push((
                    format!("{lang}/{kind}"),
                    doc(format!("junk:{lang}:{kind}:{i}"), text, lang, None),
                ));
            }
        }
    }
    out
}

/// The outcome of one labelled doc: its group (gold set, or `lang/kind` for junk), id, first
/// chars and drop reason (`None` = kept).
pub struct Outcome {
    pub group: String,
    pub id: String,
    pub head: String,
    pub reason: Option<String>,
}

/// Runs the labelled check set through `steps`: (good articles, generated junk, 20 per kind
/// and language; mojibake is made from the good articles).
pub fn check_set(root: &Path, steps: &[Box<dyn Step>]) -> (Vec<Outcome>, Vec<Outcome>) {
    let run = |group: &str, d0: &Doc| {
        let mut d = d0.clone();
        Outcome {
            group: group.to_string(),
            id: d0.id.clone(),
            head: d0.text().chars().take(160).collect(),
            reason: run_chain(steps, &mut d, &mut Counters::default()),
        }
    };
    let good = good_articles(root);
    let texts = |zh: bool| -> Vec<String> {
        good.iter()
            .filter(|s| s.doc.is_zh() == zh)
            .map(|s| s.doc.text().to_string())
            .collect()
    };
    let junk = junk(20, &texts(true), &texts(false));
    (
        good.iter().map(|s| run(s.set, &s.doc)).collect(),
        junk.iter().map(|(kind, d)| run(kind, d)).collect(),
    )
}
