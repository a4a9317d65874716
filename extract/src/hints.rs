//! Boilerplate hints from class/id names and from the text of short blocks.
//!
//! The English names follow readability.js (`unlikelyCandidates` / `positive` regexes) and
//! trafilatura's `xpaths.py`; the pinyin names are the ones Chinese CMS templates use
//! (`daohang` 导航, `guanggao` 广告, `banquan` 版权, `xiangguan` 相关, `pinglun` 评论, …). Hints
//! are soft: the scorer ignores a hint on an element that holds most of the page's text, so one
//! odd class name on the article wrapper cannot empty a page.

use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hint {
    None,
    /// Navigation, ads, share bars, footers, related-link lists.
    Bad,
    /// User comments (kept only when `include_comments`).
    Comment,
}

/// Substrings that mark boilerplate wherever they occur in a class or id.
const NEG_SUBSTR: &[&str] = &[
    "sidebar",
    "side-bar",
    "side_bar",
    "footer",
    "breadcrumb",
    "crumb",
    "advert",
    "adsbygoogle",
    "banner",
    "sponsor",
    "promo",
    "share",
    "social",
    "related",
    "recommend",
    "copyright",
    "subscribe",
    "newsletter",
    "pagination",
    "pager",
    "popup",
    "modal",
    "cookie",
    "navbar",
    "navigation",
    "menu",
    "masthead",
    "toolbar",
    "login",
    "signup",
    "disclaimer",
    "outbrain",
    "taboola",
    "byline",
    "postmeta",
    "post-meta",
    "entry-meta",
    "skiplink",
    "friendlink",
    "hotnews",
    "topbar",
    "taglist",
    "tag-list",
    "tagcloud",
    // pinyin names of Chinese CMS templates
    "daohang",
    "guanggao",
    "banquan",
    "xiangguan",
    "tuijian",
    "remen",
    "paihang",
    "youqing",
    "yqlj",
    "fenxiang",
    "dibu",
    "toubu",
    "lianjie",
];

/// Short names that only count as whole tokens (`ad` must not match `header` or `download`).
const NEG_TOKEN_STRONG: &[&str] = &["nav", "ad", "ads", "gg", "dh", "guanggao"];
/// Weak token names, cancelled by a positive name (`article-header` is the article's header).
const NEG_TOKEN: &[&str] = &[
    "top", "side", "foot", "bottom", "tags", "tag", "hot", "links", "rank", "sns", "bq", "meta",
    "header", "head", "widget",
];

/// Names of the article container; they cancel the weak (token) negatives above.
const POS_SUBSTR: &[&str] = &[
    "article", "content", "post", "entry", "main", "story", "text", "body", "detail", "zhengwen",
    "neirong", "wenzhang", "artical", "news", "blog", "read",
];

const COMMENT_SUBSTR: &[&str] = &["comment", "pinglun", "respond", "disqus"];

struct Matchers {
    /// NEG_SUBSTR, then POS_SUBSTR, then COMMENT_SUBSTR (pattern ids in that order).
    names: AhoCorasick,
    phrases: AhoCorasick,
    stops: AhoCorasick,
}

fn ac(pats: &[&str]) -> AhoCorasick {
    AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::LeftmostFirst)
        .build(pats)
        .expect("static patterns build")
}

fn matchers() -> &'static Matchers {
    static M: OnceLock<Matchers> = OnceLock::new();
    M.get_or_init(|| Matchers {
        names: AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .build(NEG_SUBSTR.iter().chain(POS_SUBSTR).chain(COMMENT_SUBSTR))
            .expect("static patterns build"),
        phrases: ac(BOILER_PHRASES),
        stops: ac(STOP_HEADINGS),
    })
}

/// Hint for an element from its class and id attributes.
pub fn attr_hint(class: &str, id: &str) -> Hint {
    combine(name_hint(class), name_hint(id))
}

/// A comment name on either attribute wins, then a boilerplate name on either.
pub fn combine(class: Hint, id: Hint) -> Hint {
    if class == Hint::Comment || id == Hint::Comment {
        Hint::Comment
    } else if class == Hint::Bad || id == Hint::Bad {
        Hint::Bad
    } else {
        Hint::None
    }
}

/// Hint of one class or id value (the walk caches it per class value: pages repeat them).
pub fn name_hint(s: &str) -> Hint {
    if s.is_empty() {
        return Hint::None;
    }
    let m = matchers();
    // one overlapping scan finds which of the three lists occur
    let (mut neg, mut pos) = (false, false);
    for mat in m.names.find_overlapping_iter(s) {
        let p = mat.pattern().as_usize();
        if p < NEG_SUBSTR.len() {
            neg = true;
        } else if p < NEG_SUBSTR.len() + POS_SUBSTR.len() {
            pos = true;
        } else {
            return Hint::Comment;
        }
    }
    if neg {
        return Hint::Bad;
    }
    let has = |list: &[&str]| {
        s.split(|c: char| !c.is_ascii_alphanumeric())
            .any(|t| list.iter().any(|n| t.eq_ignore_ascii_case(n)))
    };
    if has(NEG_TOKEN_STRONG) || (!pos && has(NEG_TOKEN)) {
        Hint::Bad
    } else {
        Hint::None
    }
}

/// Phrases that make a *short* block boilerplate (copyright lines, share bars, pager links,
/// editor credits: 责任编辑 is a credit line, not article text).
const BOILER_PHRASES: &[&str] = &[
    "版权所有",
    "版权声明",
    "copyright",
    "all rights reserved",
    "©",
    "上一篇",
    "下一篇",
    "上一页",
    "下一页",
    "责任编辑",
    "编辑：",
    "免责声明",
    "分享到",
    "扫一扫",
    "关注我们",
    "返回首页",
    "返回顶部",
    "我要评论",
    "发表评论",
    "打印本页",
    "关闭窗口",
    "字号",
    "icp备",
    "icp证",
    "公网安备",
    "增值电信",
    "点击进入",
    "本文来源",
    "来源：",
    "浏览次数",
    "阅读次数",
    "发布时间：",
    // Traditional-script forms of the same credits and bars (Taiwan/Hong Kong portals)
    "版權所有",
    "版權聲明",
    "上一頁",
    "下一頁",
    "責任編輯",
    "編輯：",
    "免責聲明",
    "掃一掃",
    "關注我們",
    "返回首頁",
    "返回頂部",
    "我要評論",
    "發表評論",
    "列印本頁",
    "關閉視窗",
    "關閉窗口",
    "字號",
    "點擊進入",
    "本文來源",
    "來源：",
    "瀏覽次數",
    "閱讀次數",
    "發布時間：",
    "發佈時間：",
    "share this",
    "sign up",
    "log in",
    "subscribe",
    "read more",
    "click here",
    "posted in",
    "tags:",
    "previous post",
    "next post",
    "leave a comment",
    "leave a reply",
    "powered by",
    "back to top",
    "skip to",
    "cookies",
    "privacy policy",
    "terms of use",
    "follow us",
];

/// Short headings after which the rest of the region is related links or comments.
const STOP_HEADINGS: &[&str] = &[
    "相关阅读",
    "相关文章",
    "相关新闻",
    "相关链接",
    "相关推荐",
    "推荐阅读",
    "延伸阅读",
    "热门推荐",
    "热门文章",
    "猜你喜欢",
    "网友评论",
    "相关专题",
    "相關閱讀",
    "相關文章",
    "相關新聞",
    "相關連結",
    "相關鏈接",
    "相關推薦",
    "推薦閱讀",
    "延伸閱讀",
    "熱門推薦",
    "熱門文章",
    "猜你喜歡",
    "網友評論",
    "相關專題",
    "related posts",
    "related articles",
    "related stories",
    "you may also like",
    "more stories",
    "recommended for you",
    "leave a comment",
    "leave a reply",
    "comments",
    // blog furniture after the post: the author box and the trackback list
    "about the author",
    "trackback",
];

/// True if a short block reads like boilerplate.
pub fn is_boiler_text(text: &str) -> bool {
    matchers().phrases.is_match(text)
}

/// True if a short heading-like block opens a related-links or comments section.
pub fn is_stop_heading(text: &str) -> bool {
    matchers()
        .stops
        .find(text)
        .is_some_and(|m| m.start() <= 6 && text.len() <= m.end() + 24)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_and_pinyin_names() {
        assert_eq!(attr_hint("main-nav", ""), Hint::Bad);
        assert_eq!(attr_hint("", "daohang"), Hint::Bad);
        assert_eq!(attr_hint("guanggao2 box", ""), Hint::Bad);
        assert_eq!(attr_hint("comment-list", ""), Hint::Comment);
        assert_eq!(attr_hint("", "pinglun"), Hint::Comment);
        assert_eq!(attr_hint("entry-content", "post-1"), Hint::None);
        assert_eq!(attr_hint("header", ""), Hint::Bad);
        assert_eq!(attr_hint("article-header", ""), Hint::None);
        // `ad` is a token, not a substring
        assert_eq!(attr_hint("download thread", ""), Hint::None);
        assert_eq!(attr_hint("ad box", ""), Hint::Bad);
        // "copy" is the designers' word for the text itself (`hero-copy`), not a copyright line
        assert_eq!(attr_hint("customizer-copy", "designed-copy"), Hint::None);
        assert_eq!(attr_hint("copyright", ""), Hint::Bad);
    }

    #[test]
    fn text_phrases() {
        assert!(is_boiler_text("Copyright © 2010 Foo Inc."));
        assert!(is_boiler_text("责任编辑：张三"));
        assert!(is_boiler_text(
            "來源：中央社　作者：王小明　發布時間：2024-03-01"
        ));
        assert!(is_stop_heading("相關閱讀"));
        assert!(!is_boiler_text("今天天气很好，我们去公园散步。"));
        assert!(is_stop_heading("相关阅读"));
        assert!(is_stop_heading("Related posts:"));
        assert!(is_stop_heading("About the author"));
        assert!(is_stop_heading("TrackBack URL for this entry:"));
        assert!(!is_stop_heading(
            "我们讨论了相关阅读材料的选择问题，以及如何在课堂上使用它们。"
        ));
    }
}
