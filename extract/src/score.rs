//! Choosing the main text among the blocks.
//!
//! Two ideas from the literature, combined:
//! * block classification as in jusText (Pomikálek 2011) and boilerpipe (Kohlschütter et al.
//!   2010): length, link density and punctuation density decide whether a block is good, bad or
//!   short; punctuation counts full-width marks (。，、！？), which is what separates Chinese
//!   prose from Chinese link lists (navigation has no sentences);
//! * content-region selection as in readability.js: the element whose subtree maximises
//!   "good text minus boilerplate text" is the article; blocks outside it are dropped unless
//!   they are long prose themselves.
//!
//! Everything here is a general signal; nothing is keyed to a site.

use crate::dom::{Block, COMMENT_HINT, Kind, Page};
use crate::hints;
use crate::thread::{self, Place};
use crate::{ExtractConfig, Favor};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Good,
    Short,
    Bad,
    /// Inside a navigation/comment/sidebar element: never output, and only a light penalty for
    /// the region, so comments inside the article's container do not split the article.
    Hinted,
}

struct Thresholds {
    good_len: u32,
    max_link: f32,
    outside_len: u32,
}

fn thresholds(favor: Favor) -> Thresholds {
    match favor {
        Favor::Precision => Thresholds {
            good_len: 100,
            max_link: 0.33,
            outside_len: 900,
        },
        Favor::Balanced => Thresholds {
            good_len: 60,
            max_link: 0.5,
            outside_len: 300,
        },
        Favor::Recall => Thresholds {
            good_len: 40,
            max_link: 0.6,
            outside_len: 150,
        },
    }
}

/// A hint on an element that holds most of the page's prose is a misnomer (e.g. a wrapper
/// called `main-header-content`): it is ignored.
fn live_hints(page: &Page) -> Vec<bool> {
    let mut live = vec![false; page.parent.len()];
    let mut prose_under = vec![0u64; page.parent.len()];
    let mut total = 0u64;
    let mut longest: Option<(u32, &Block)> = None;
    for b in &page.blocks {
        let prose = if b.punct > 0 && b.link_density() < 0.3 {
            b.eff_len()
        } else {
            0
        };
        total += prose as u64;
        if prose > 0 && longest.is_none_or(|(l, _)| prose > l) {
            longest = Some((prose, b));
        }
        for &h in &b.hints {
            let h = (h & !COMMENT_HINT) as usize;
            if let Some(p) = prose_under.get_mut(h) {
                *p += prose as u64;
            }
            if let Some(l) = live.get_mut(h) {
                *l = true;
            }
        }
    }
    for (l, p) in live.iter_mut().zip(&prose_under) {
        if *l && *p >= 300 && *p * 10 > total * 6 {
            *l = false;
        }
    }
    // comment threads can outweigh a short post; only a "comment" wrapper around everything
    // (`<div class="page has-comments">`) is a misnomer
    for b in &page.blocks {
        for &h in b.hints.iter().filter(|&&h| h & COMMENT_HINT != 0) {
            let i = (h & !COMMENT_HINT) as usize;
            let under = prose_under.get(i).copied().unwrap_or(0);
            if let Some(l) = live.get_mut(i) {
                *l = total == 0 || under * 20 < total * 19;
            }
        }
    }
    // A boilerplate container does not hold the page's longest paragraph when that is real
    // prose (≥ 300, ~60 English words or ~100 Chinese characters; a sidebar "about me" blurb
    // is shorter); comment sections
    // may (one long comment under a short post), so they keep their hint.
    if let Some((_, b)) = longest.filter(|&(len, _)| len >= 300) {
        for &h in b.hints.iter().filter(|&&h| h & COMMENT_HINT == 0) {
            if let Some(l) = live.get_mut(h as usize) {
                *l = false;
            }
        }
    }
    live
}

fn classify(b: &Block, live: &[bool], t: &Thresholds) -> Class {
    let len = b.eff_len();
    if b.hints.iter().any(|&h| {
        live.get((h & !COMMENT_HINT) as usize)
            .copied()
            .unwrap_or(false)
    }) {
        return Class::Hinted;
    }
    let ld = b.link_density();
    // a sentence that links a title or two is still prose; a link list has no sentences
    let linked_prose = b.punct >= 3 && len >= 100 && ld < 0.6;
    if ld > t.max_link && len < 600 && !linked_prose {
        return Class::Bad;
    }
    if len < 200 && hints::is_boiler_text(&b.text) {
        return Class::Bad;
    }
    // date / counter / "source:" lines: mostly digits, no sentence
    let sentence_end = b
        .text
        .ends_with(|c: char| skypile_core::text::is_terminal_punct(c));
    if len < 80 && b.digits * 4 > b.chars && b.cjk < 8 && !sentence_end && b.kind != Kind::Row {
        return Class::Bad;
    }
    if len >= t.good_len && ld <= 0.3 && (b.punct > 0 || len >= 300) {
        return Class::Good;
    }
    Class::Short
}

fn weight(b: &Block, c: Class) -> f64 {
    let len = b.eff_len() as f64;
    match c {
        Class::Good => len * (1.0 + (b.punct as f64 * 20.0 / len).min(1.0)),
        Class::Short if b.punct > 0 && b.link_density() < 0.5 => {
            len * 0.3 * (1.0 - b.link_density() as f64)
        }
        Class::Short => -len * 0.2,
        Class::Bad => -len,
        Class::Hinted => -len * 0.1,
    }
}

/// The element whose subtree has the highest total weight; ties go to the deeper element.
fn best_region(page: &Page, classes: &[Class]) -> Option<u32> {
    let mut score = vec![0f64; page.parent.len()];
    // Prose right under the heading that repeats the page title is the article (short posts
    // otherwise lose to a longer "about the author" box).
    let title = page_title(page);
    let title_at = page
        .blocks
        .iter()
        .position(|b| matches!(b.kind, Kind::Heading(1..=3)) && matches_title(&b.text, title));
    for (i, (b, &c)) in page.blocks.iter().zip(classes).enumerate() {
        let mut w = weight(b, c);
        if w > 0.0 && title_at.is_some_and(|t| i > t && i <= t + 12) {
            w *= 2.0;
        }
        let mut e = b.elem;
        let mut steps = 0;
        while let Some(s) = score.get_mut(e as usize) {
            *s += w;
            e = page.parent.get(e as usize).copied().unwrap_or(u32::MAX);
            steps += 1;
            if steps > 4096 {
                break;
            }
        }
    }
    let mut best: Option<(u32, f64)> = None;
    for (i, &s) in score.iter().enumerate() {
        // pre-order: a later index with the same score is a descendant (deeper)
        if s > 0.0 && best.is_none_or(|(_, bs)| s >= bs) {
            best = Some((i as u32, s));
        }
    }
    best.map(|(i, _)| i)
}

fn inside(page: &Page, region: u32, elem: u32) -> bool {
    let end = page.end.get(region as usize).copied().unwrap_or(0);
    elem >= region && elem < end
}

/// Indices of the blocks that make up the main text, in document order.
pub fn select(page: &Page, cfg: &ExtractConfig) -> Vec<usize> {
    select_explained(page, cfg).0
}

/// One line per block: kept, class, in region, eff length, link density, text (for tuning).
pub fn explain(page: &Page, cfg: &ExtractConfig) -> String {
    let (kept, classes, region) = select_explained(page, cfg);
    let mut out = format!("region={region:?}\n");
    for (i, b) in page.blocks.iter().enumerate() {
        let k = if kept.contains(&i) { '+' } else { ' ' };
        let r = region.is_some_and(|r| inside(page, r, b.elem));
        let c = classes
            .get(i)
            .map_or('?', |c| format!("{c:?}").chars().next().unwrap_or('?'));
        let head: String =
            b.text.chars().take(90).collect::<String>() + &format!(" {:x?}", b.hints);
        out += &format!(
            "{k}{c}{} {:5} ld={:.2} p={} e{} {:?} {head}\n",
            if r { 'R' } else { ' ' },
            b.eff_len(),
            b.link_density(),
            b.punct,
            b.elem,
            b.kind
        );
    }
    out
}

fn select_explained(page: &Page, cfg: &ExtractConfig) -> (Vec<usize>, Vec<Class>, Option<u32>) {
    let t = thresholds(cfg.favor);
    let live = live_hints(page);
    let classes: Vec<Class> = page.blocks.iter().map(|b| classify(b, &live, &t)).collect();
    let Some(region) = best_region(page, &classes) else {
        let mut keep = vec![false; page.blocks.len()];
        fallback(page, &classes, &mut keep);
        return (
            (0..keep.len()).filter(|&i| keep[i]).collect(),
            classes,
            None,
        );
    };
    let n = page.blocks.len();
    let in_region: Vec<bool> = page
        .blocks
        .iter()
        .map(|b| inside(page, region, b.elem))
        .collect();
    let is_good = |i: usize| classes.get(i) == Some(&Class::Good);
    let mut keep = vec![false; n];
    let mut good_seen = 0u32;
    for i in 0..n {
        let (b, c) = (&page.blocks[i], classes[i]);
        if !in_region[i] {
            keep[i] = c == Class::Good && b.eff_len() >= t.outside_len && b.link_density() < 0.1;
            continue;
        }
        if cfg.favor != Favor::Recall
            && good_seen >= 100
            && b.eff_len() < 60
            && hints::is_stop_heading(&b.text)
        {
            break;
        }
        keep[i] = match c {
            Class::Good => true,
            Class::Bad | Class::Hinted => false,
            Class::Short => match cfg.favor {
                Favor::Recall | Favor::Balanced => true,
                // a heading or a short line counts when good text is next to it
                Favor::Precision => {
                    (b.punct > 0 && b.link_density() < 0.2)
                        || matches!(b.kind, Kind::Heading(_) | Kind::Row)
                        || (i > 0 && is_good(i - 1))
                        || is_good(i + 1)
                }
            },
        };
        if c == Class::Good {
            good_seen += b.eff_len();
        }
    }
    let good: Vec<bool> = classes.iter().map(|&c| c == Class::Good).collect();
    if let Some(t) = thread::find(page, &good, region) {
        for (i, b) in page.blocks.iter().enumerate() {
            match t.place(page, b.elem) {
                Place::Body => keep[i] = !matches!(classes[i], Class::Bad | Class::Hinted),
                Place::Furniture => keep[i] &= classes[i] == Class::Good,
                Place::Other | Place::Outside => {}
            }
        }
    }
    if cfg.favor != Favor::Precision {
        keep_title_heading(page, &classes, &mut keep);
    }
    fallback(page, &classes, &mut keep);
    ((0..n).filter(|&i| keep[i]).collect(), classes, Some(region))
}

/// A second method for results that look wrong (trafilatura compares its result with the page
/// and re-extracts with a baseline when it is too short):
/// * the region holds under a third of the page's good prose (the wrong block won, e.g. one
///   section of a long page), or nothing was kept: every good block is added, with its short
///   neighbours that read like prose (jusText's context rule);
/// * no good prose at all (a short note, a page of short lines): every line that is neither
///   boilerplate nor a link list, so that `min_text_len` decides and not the region rule.
fn fallback(page: &Page, classes: &[Class], keep: &mut [bool]) {
    let (mut kept_good, mut page_good) = (0u64, 0u64);
    for ((b, &c), &k) in page.blocks.iter().zip(classes).zip(keep.iter()) {
        if c == Class::Good {
            page_good += u64::from(b.eff_len());
            if k {
                kept_good += u64::from(b.eff_len());
            }
        }
    }
    let nothing = !keep.iter().any(|&k| k);
    if page_good == 0 {
        if nothing {
            for ((b, &c), k) in page.blocks.iter().zip(classes).zip(keep.iter_mut()) {
                *k = c == Class::Short && b.link_density() < 0.5;
            }
        }
        return;
    }
    if !(nothing || (page_good >= 400 && kept_good * 3 < page_good)) {
        return;
    }
    // Good blocks count in runs of two or more that no boilerplate line interrupts: a list of
    // teasers (link, summary, link, summary) is not an article.
    let mut run_good = vec![0u32; classes.len()];
    let mut start = 0;
    for i in 0..=classes.len() {
        if i == classes.len() || matches!(classes[i], Class::Bad | Class::Hinted) {
            let n = classes[start..i]
                .iter()
                .filter(|&&c| c == Class::Good)
                .count() as u32;
            run_good[start..i].fill(n);
            start = i + 1;
        }
    }
    let good = |i: usize| classes.get(i) == Some(&Class::Good) && run_good[i] >= 2;
    for (i, b) in page.blocks.iter().enumerate() {
        let prose_next_to_good = classes[i] == Class::Short
            && b.punct > 0
            && b.link_density() < 0.5
            && ((i > 0 && good(i - 1)) || good(i + 1));
        keep[i] |= good(i) || prose_next_to_good;
    }
}

/// The article's `<h1>` often sits just outside the content element: keep the nearest heading
/// before the first kept block when it matches the page title.
fn keep_title_heading(page: &Page, classes: &[Class], keep: &mut [bool]) {
    let Some(first) = keep.iter().position(|&k| k) else {
        return;
    };
    let title = page_title(page);
    for j in (first.saturating_sub(6)..first).rev() {
        let b = &page.blocks[j];
        if matches!(b.kind, Kind::Heading(_)) && !matches!(classes[j], Class::Bad | Class::Hinted) {
            keep[j] = matches_title(&b.text, title);
            return;
        }
    }
}

fn page_title(page: &Page) -> &str {
    page.og_title
        .as_deref()
        .or(page.title.as_deref())
        .unwrap_or("")
}

/// `<title>` is usually the headline plus a site name ("Headline - Site", "Headline_新浪网").
fn matches_title(heading: &str, title: &str) -> bool {
    !title.is_empty()
        && heading.chars().count() >= 4
        && (title.contains(heading) || heading.contains(title))
}

#[cfg(test)]
mod tests {
    use crate::{ExtractConfig, Status, extract};

    const PARA: &str = "这是一段足够长的正文内容，讲述了城市交通的变化。市民们普遍认为，地铁的开通让出行更加方便。";

    fn page(body: &str) -> String {
        let nav: String = (0..20)
            .map(|i| format!("<li><a href=/c{i}>频道{i}</a></li>"))
            .collect();
        format!(
            "<html><head><title>城市交通的变化_新闻网</title></head><body><div id=daohang><ul>{nav}</ul></div>\
             <div class=main><h1>城市交通的变化</h1>{body}</div>\
             <div class=sidebar><p>热门文章推荐，点击查看更多精彩内容，每天更新。</p></div>\
             <div class=footer>版权所有 © 2020 新闻网 京ICP备000号</div></body></html>"
        )
    }

    #[test]
    fn article_kept_boilerplate_dropped() {
        let body = format!("<p>{PARA}</p><p>{PARA}</p><p>责任编辑：王五</p>");
        let e = extract(&page(&body), &ExtractConfig::default());
        assert_eq!(e.status, Status::Ok);
        let lines: Vec<&str> = e.text.lines().collect();
        assert_eq!(lines, vec!["城市交通的变化", PARA, PARA], "{}", e.text);
        assert_eq!(e.title.as_deref(), Some("城市交通的变化_新闻网"));
    }

    #[test]
    fn related_links_section_ends_the_article() {
        let body = format!(
            "<p>{PARA}</p><p>{PARA}</p><h3>相关阅读</h3><p>另一篇文章的摘要，内容与本文相似。</p>"
        );
        let e = extract(&page(&body), &ExtractConfig::default());
        assert!(!e.text.contains("另一篇"), "{}", e.text);
    }

    #[test]
    fn link_list_pages_come_out_empty() {
        let list: String = (0..40)
            .map(|i| format!("<p><a href=/n{i}>第{i}条新闻标题在这里</a></p>"))
            .collect();
        let e = extract(&page(&list), &ExtractConfig::default());
        assert_eq!(e.status, Status::Empty, "{}", e.text);
        assert!(e.link_density > 0.5);
    }

    #[test]
    fn comments_are_optional() {
        let body = format!(
            "<p>{PARA}</p><div class=comment-list><p>网友：我完全同意作者的观点，写得很好。</p></div>"
        );
        let off = extract(&page(&body), &ExtractConfig::default());
        assert!(!off.text.contains("网友"));
        let cfg = ExtractConfig {
            include_comments: true,
            ..Default::default()
        };
        assert!(extract(&page(&body), &cfg).text.contains("网友"));
    }

    /// UDHR-style pages in scripts without spaces between words (Thai) or with their own
    /// punctuation (Persian): their paragraphs are prose, not an empty page.
    #[test]
    fn thai_and_persian_articles_are_not_empty() {
        let th = "มนุษย์ทั้งหลายเกิดมามีอิสระและเสมอภาคกันในเกียรติศักดิ์และสิทธิ ต่างมีเหตุผลและมโนธรรม และควรปฏิบัติต่อกันด้วยเจตนารมณ์แห่งภราดรภาพ";
        let fa = "تمام افراد بشر آزاد به دنیا می‌آیند و از لحاظ حیثیت و حقوق با هم برابرند، همه دارای عقل و وجدان هستند و باید نسبت به یکدیگر با روح برادری رفتار کنند.";
        for para in [th, fa] {
            let nav: String = (0..12)
                .map(|i| format!("<li><a href=/{i}>หน้า {i}</a></li>"))
                .collect();
            let html = format!(
                "<html><body><ul class=menu>{nav}</ul><div><h1>ปฏิญญาสากล</h1>\
                 <p>{para}</p><p>{para}</p><p>{para}</p></div></body></html>"
            );
            let e = extract(&html, &ExtractConfig::default());
            assert_eq!(e.status, Status::Ok, "{para}");
            assert_eq!(e.text.matches(para).count(), 3, "{}", e.text);
        }
    }
}
