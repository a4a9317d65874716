//! One byte scan before parsing: it drops what the walk would skip anyway and guards against
//! pathological nesting, so one page cannot stall a worker.
//!
//! html5ever's tree builder checks element scopes by walking the stack of open elements, so a
//! page with N unclosed `<div>`s costs O(N²) (100k nested divs: ~100 s). A byte scan estimates
//! the nesting depth the tree builder will reach; the page is cut where the estimate passes the
//! limit, so the text before that point is still extracted.

use crate::{Cut, ExtractConfig};

/// Elements that never stay open (void) or are closed implicitly by their next sibling or
/// parent's end (optional end tags), plus `<a>`, which the adoption agency closes; none of
/// them make the open-element stack grow without bound.
fn never_deepens(name: &[u8]) -> bool {
    matches!(
        name,
        b"area"
            | b"base"
            | b"br"
            | b"col"
            | b"embed"
            | b"hr"
            | b"img"
            | b"input"
            | b"link"
            | b"meta"
            | b"param"
            | b"source"
            | b"track"
            | b"wbr"
            | b"p"
            | b"li"
            | b"dt"
            | b"dd"
            | b"tr"
            | b"td"
            | b"th"
            | b"option"
            | b"optgroup"
            | b"thead"
            | b"tbody"
            | b"tfoot"
            | b"colgroup"
            | b"rb"
            | b"rt"
            | b"rp"
            | b"html"
            | b"head"
            | b"body"
            | b"a"
            | b"!doctype"
    )
}

/// Elements whose content is raw text up to their end tag.
fn is_raw_text(name: &[u8]) -> bool {
    matches!(
        name,
        b"script" | b"style" | b"textarea" | b"title" | b"xmp" | b"noscript" | b"iframe"
    )
}

/// Case-insensitive search for `needle` (which starts with `<` or `-`) from `from`.
fn find(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    let first = *needle.first()?;
    let mut i = from;
    while let Some(off) = hay.get(i..).and_then(|s| memchr::memchr(first, s)) {
        let p = i + off;
        if hay
            .get(p..p + needle.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(needle))
        {
            return Some(p);
        }
        i = p + 1;
    }
    None
}

/// What the parser gets: the page without script/style bodies, comments and the attributes the
/// walk never reads (together ~60% of the bytes of real pages, which html5ever would tokenize
/// char by char, allocate and sort), cut where the estimated nesting depth first exceeds
/// `max_depth`.
pub struct Prepared {
    pub html: String,
    pub cut: Cut,
}

fn take(out: &mut String, html: &str, from: usize, to: usize) {
    // every cut point sits on an ASCII byte ('<', '>', end of "-->"): a char boundary
    if let Some(s) = html.get(from..to) {
        out.push_str(s);
    }
}

/// `cfg.max_open_elements` bounds the estimated depth, `cfg.max_nodes` the start tags.
pub fn prepare(html: &str, cfg: &ExtractConfig) -> Prepared {
    let (max_depth, keep_links) = (cfg.max_open_elements, cfg.include_links);
    let mut tags = 0usize;
    let b = html.as_bytes();
    let mut out = String::with_capacity(html.len());
    let mut copied = 0usize;
    let mut depth = 0usize;
    let mut i = 0usize;
    let mut name = [0u8; 16];
    while let Some(off) = b.get(i..).and_then(|s| memchr::memchr(b'<', s)) {
        let start = i + off;
        i = start + 1;
        if b.get(i..i + 3) == Some(b"!--") {
            let end = find(b, i + 3, b"-->").map_or(b.len(), |p| p + 3);
            take(&mut out, html, copied, start);
            copied = end;
            i = end;
            continue;
        }
        let closing = b.get(i) == Some(&b'/');
        if closing {
            i += 1;
        }
        // The whole name is copied (custom elements: `<mjx-container>`, `<ytd-app>`); only its
        // first bytes are kept for matching, and a longer name matches no known tag.
        let name_start = i;
        let mut n = 0;
        while let Some(&c) = b.get(i) {
            if !(c.is_ascii_alphanumeric() || matches!(c, b'!' | b'-' | b'_' | b':' | b'.')) {
                break;
            }
            if let Some(slot) = name.get_mut(n) {
                *slot = c.to_ascii_lowercase();
            }
            n += 1;
            i += 1;
        }
        if n == 0
            || !b
                .get(name_start)
                .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'!')
        {
            continue;
        }
        let tag = if n <= name.len() {
            &name[..n]
        } else {
            &b"-"[..]
        };
        if closing {
            if !never_deepens(tag) {
                depth = depth.saturating_sub(1);
            }
            continue;
        }
        tags += 1;
        if tags > cfg.max_nodes {
            take(&mut out, html, copied, start);
            return Prepared {
                html: out,
                cut: Cut::Nodes,
            };
        }
        let mark = out.len();
        take(&mut out, html, copied, i);
        let Some((gt, self_closing)) = copy_kept_attrs(html, i, tag, keep_links, &mut out) else {
            // the page ends inside this tag: the tokenizer would drop it too
            out.truncate(mark);
            take(&mut out, html, copied, start);
            copied = b.len();
            break;
        };
        out.push_str(if self_closing { "/>" } else { ">" });
        let copied_before = copied;
        copied = gt + 1;
        if is_raw_text(tag) {
            let mut end = Vec::with_capacity(n + 2);
            end.extend_from_slice(b"</");
            end.extend_from_slice(tag);
            let close = find(b, gt + 1, &end).unwrap_or(b.len());
            if !matches!(tag, b"title" | b"textarea" | b"xmp") {
                copied = close;
            }
            i = close;
            continue;
        }
        if !never_deepens(tag) && !self_closing {
            depth += 1;
            if depth > max_depth {
                out.truncate(mark);
                take(&mut out, html, copied_before, start);
                return Prepared {
                    html: out,
                    cut: Cut::Depth,
                };
            }
        }
        i = gt + 1;
    }
    take(&mut out, html, copied, b.len());
    Prepared {
        html: out,
        cut: Cut::None,
    }
}

fn keep_attr(tag: &[u8], name: &[u8], value: &[u8], keep_links: bool) -> bool {
    let is = |n: &str| name.eq_ignore_ascii_case(n.as_bytes());
    if is("class") || is("id") || is("hidden") || is("aria-hidden") || is("role") {
        return true;
    }
    if is("style") {
        // only needed to spot display:none / visibility:hidden
        return value.windows(4).any(|w| w.eq_ignore_ascii_case(b"none"))
            || value.windows(6).any(|w| w.eq_ignore_ascii_case(b"hidden"));
    }
    match tag {
        b"meta" => is("property") || is("name") || is("content"),
        // a `javascript:` href is kept even without links: the walk counts its text as text
        b"a" => is("href") && (keep_links || is_js_href(value)),
        _ => false,
    }
}

/// `href="javascript:..."` (any case, leading blanks allowed): a pseudo-link that leads nowhere.
pub fn is_js_href(value: &[u8]) -> bool {
    let v = value.trim_ascii_start();
    v.len() >= 11 && v[..11].eq_ignore_ascii_case(b"javascript:")
}

/// Parse the attributes of a start tag from `from` (just after its name) up to its `>`,
/// appending the kept ones to `out`. Returns the index of the `>` and whether the tag was
/// self-closing, or `None` if the page ends inside the tag. Quoted values may contain `>`.
fn copy_kept_attrs(
    html: &str,
    from: usize,
    tag: &[u8],
    keep_links: bool,
    out: &mut String,
) -> Option<(usize, bool)> {
    let b = html.as_bytes();
    let mut j = from;
    loop {
        while b
            .get(j)
            .is_some_and(|&c| c.is_ascii_whitespace() || c == b'/')
        {
            j += 1;
        }
        if *b.get(j)? == b'>' {
            return Some((j, j > from && b.get(j - 1) == Some(&b'/')));
        }
        let name_start = j;
        j += 1;
        while b
            .get(j)
            .is_some_and(|&c| !(c.is_ascii_whitespace() || matches!(c, b'/' | b'>' | b'=')))
        {
            j += 1;
        }
        let name_end = j;
        while b.get(j).is_some_and(u8::is_ascii_whitespace) {
            j += 1;
        }
        let (mut val_start, mut val_end) = (j, j);
        if b.get(j) == Some(&b'=') {
            j += 1;
            while b.get(j).is_some_and(u8::is_ascii_whitespace) {
                j += 1;
            }
            match b.get(j) {
                Some(&q) if q == b'"' || q == b'\'' => {
                    let close = j + 1 + memchr::memchr(q, b.get(j + 1..)?)?;
                    (val_start, val_end) = (j + 1, close);
                    j = close + 1;
                }
                _ => {
                    val_start = j;
                    while b
                        .get(j)
                        .is_some_and(|&c| !(c.is_ascii_whitespace() || c == b'>'))
                    {
                        j += 1;
                    }
                    val_end = j;
                }
            }
        } else {
            j = name_end;
        }
        let name = b.get(name_start..name_end).unwrap_or_default();
        let value = b.get(val_start..val_end).unwrap_or_default();
        if keep_attr(tag, name, value, keep_links)
            && let Some(s) = html.get(name_start..j)
        {
            out.push(' ');
            out.push_str(s);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prep(html: &str, max_open_elements: usize, include_links: bool) -> Prepared {
        let cfg = ExtractConfig {
            max_open_elements,
            include_links,
            ..Default::default()
        };
        prepare(html, &cfg)
    }

    #[test]
    fn normal_markup_is_shallow() {
        let html = "<html><body><div><p>a<p>b<br><img src=x><ul><li>1<li>2</ul></div>\
                    <script>if (a<b) { '<div>' }</script><!-- <div><div> --></body></html>";
        let p = prep(html, 3, false);
        assert_eq!(p.cut, Cut::None);
        assert!(
            p.html.contains("<script></script>") && !p.html.contains("<!--"),
            "{}",
            p.html
        );
        assert!(p.html.contains("<li>2</ul></div>"));
        assert!(p.html.contains("<img>"), "{}", p.html);
    }

    #[test]
    fn attributes_the_walk_needs_are_kept() {
        let html = r#"<div class="a b" data-x='1>2' onclick="f()" style="color:red"><p id=x style="display: NONE">t</p>
            <a href="/u" title="x">l</a><meta property="og:title" content="T"><br/><img src="data:..." /></div>"#;
        let p = prep(html, 100, true);
        assert_eq!(
            p.html,
            r#"<div class="a b"><p id=x style="display: NONE">t</p>
            <a href="/u">l</a><meta property="og:title" content="T"><br/><img/></div>"#
        );
        assert!(!prep(html, 100, false).html.contains("href"));
        // a page that ends inside a tag keeps what came before
        assert_eq!(prep("<p>text<div class=", 100, false).html, "<p>text");
    }

    #[test]
    fn custom_element_names_are_copied_whole() {
        let html = "<mjx-container class=m aria-hidden=true><mjx-c></mjx-c></mjx-container>\
                    <a-very-long-custom-element-name>t</a-very-long-custom-element-name>";
        let p = prep(html, 100, false);
        assert_eq!(
            p.html,
            "<mjx-container class=m aria-hidden=true><mjx-c></mjx-c></mjx-container>\
             <a-very-long-custom-element-name>t</a-very-long-custom-element-name>"
        );
    }

    #[test]
    fn too_many_tags_are_cut_deterministically() {
        let cfg = ExtractConfig {
            max_nodes: 50,
            ..Default::default()
        };
        let html = "<p>段落</p>".repeat(100);
        let p = prepare(&html, &cfg);
        assert_eq!(p.cut, Cut::Nodes);
        assert_eq!(p.html.matches("<p>").count(), 50);
        assert!(p.html.ends_with("</p>"), "{}", p.html);
    }

    #[test]
    fn unclosed_divs_are_cut() {
        let html = format!("<p>前言</p>{}", "<div>x".repeat(100));
        let p = prep(&html, 10, false);
        assert!(p.cut == Cut::Depth && p.html.starts_with("<p>前言</p>"));
        assert_eq!(p.html.matches("<div>").count(), 10);
    }
}
