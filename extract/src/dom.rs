//! One pass over the parsed DOM that turns it into text blocks.
//!
//! A block is what a reader sees as one line: a paragraph, heading, list item, table row or a
//! run of text between `<br>`s. Each block remembers the element that contains it (as a
//! pre-order index into a flat element table, so "is inside region R" is a range check) and the
//! boilerplate-hinted elements above it. Invisible and non-content subtrees (scripts, styles,
//! forms, hidden elements, navigation) are skipped on the way down, which is cheaper than
//! deleting them from the tree first as trafilatura does.

use std::collections::HashMap;

use crate::hints::{self, Hint};
use crate::markup::{
    Counts, collapse_counted, collapse_ws, find_head, form_is_small, is_data_table, is_hidden_style,
};
use crate::tree::{Data, NodeRef};
use crate::{ExtractConfig, Favor};

/// What kind of line a block is; decides how it is judged and printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Para,
    Heading(u8),
    ListItem,
    Row,
    Pre,
}

/// Marks a hint that comes from a comment section (see [`Block::hints`]).
pub const COMMENT_HINT: u32 = 1 << 31;

#[derive(Debug, Clone)]
pub struct Block {
    pub text: String,
    pub kind: Kind,
    /// Pre-order index of the nearest block-level element around the text.
    pub elem: u32,
    /// Hinted elements above the block (element indices, or'ed with [`COMMENT_HINT`] for
    /// comment sections), usually empty.
    pub hints: Vec<u32>,
    pub comment: bool,
    /// Non-whitespace characters, of which CJK ideographs/kana/hangul, inside links, punctuation.
    pub chars: u32,
    pub cjk: u32,
    pub link_chars: u32,
    pub punct: u32,
    pub digits: u32,
}

impl Block {
    /// Length in "Latin-equivalent" characters: a CJK character carries about as much text as
    /// three Latin letters (an English word is ~5 letters + space, a Chinese word ~1.7 chars).
    pub fn eff_len(&self) -> u32 {
        self.chars + 2 * self.cjk
    }
    pub fn link_density(&self) -> f32 {
        if self.chars == 0 {
            0.0
        } else {
            self.link_chars as f32 / self.chars as f32
        }
    }
}

/// The walk's result: blocks in document order plus the flat element table.
#[derive(Debug, Default)]
pub struct Page {
    pub blocks: Vec<Block>,
    /// Per element (pre-order): parent index (u32::MAX for the root) and end of its subtree.
    pub parent: Vec<u32>,
    pub end: Vec<u32>,
    /// Per element: a hash of its tag and first class name without digits, so that the posts
    /// of a thread (`post bg1`, `post bg2`, `l_post`, bare `<li>`s) share one signature.
    pub sig: Vec<u32>,
    pub title: Option<String>,
    pub og_title: Option<String>,
}

/// FNV-1a of the tag and the first class token with digits left out.
fn signature(tag: &str, class: &str) -> u32 {
    let first = class.split_ascii_whitespace().next().unwrap_or("");
    let mut h: u32 = 0x811c_9dc5;
    for b in tag
        .bytes()
        .chain([b'.'])
        .chain(first.bytes().filter(|b| !b.is_ascii_digit()))
    {
        h = (h ^ u32::from(b)).wrapping_mul(0x0100_0193);
    }
    h
}

/// Characters of `t` that are not `char::is_whitespace`; ASCII text (most link text) is counted
/// by bytes without decoding.
fn non_space_chars(t: &str) -> u32 {
    let n = if t.is_ascii() {
        t.bytes()
            .filter(|b| !matches!(b, b'\t'..=b'\r' | b' '))
            .count()
    } else {
        t.chars().filter(|c| !c.is_whitespace()).count()
    };
    n as u32
}

/// Whether `t` is all whitespace (`str::trim`), ASCII whitespace checked by bytes (the usual
/// text between tags is a newline and indentation).
fn is_blank(t: &str) -> bool {
    match t.bytes().position(|b| !matches!(b, b'\t'..=b'\r' | b' ')) {
        None => true,
        Some(k) => t.get(k..).is_none_or(|r| r.trim_start().is_empty()),
    }
}

/// Subtrees that never hold main text.
fn is_skipped(name: &str) -> bool {
    matches!(
        name,
        "script"
            | "style"
            | "noscript"
            | "iframe"
            | "template"
            | "svg"
            | "math"
            | "canvas"
            | "object"
            | "embed"
            | "applet"
            | "select"
            | "option"
            | "optgroup"
            | "button"
            | "input"
            | "textarea"
            | "datalist"
            | "dialog"
            | "frameset"
            | "frame"
            | "map"
            | "audio"
            | "video"
            | "picture"
            | "source"
            | "track"
            | "head"
            | "label"
            | "menu"
            | "rp"
            | "rt"
    )
}

pub(crate) fn is_block(name: &str) -> bool {
    matches!(
        name,
        "p" | "div"
            | "section"
            | "article"
            | "main"
            | "header"
            | "footer"
            | "nav"
            | "aside"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "ul"
            | "ol"
            | "li"
            | "dl"
            | "dt"
            | "dd"
            | "table"
            | "tbody"
            | "thead"
            | "tfoot"
            | "tr"
            | "td"
            | "th"
            | "caption"
            | "blockquote"
            | "pre"
            | "figure"
            | "figcaption"
            | "form"
            | "fieldset"
            | "address"
            | "center"
            | "hr"
            | "body"
            | "html"
            | "details"
            | "summary"
            | "dir"
            | "legend"
            | "noframes"
            | "hgroup"
            | "listing"
            | "plaintext"
            | "xmp"
    )
}

/// Where the current line began: its container, kind and the hints in force there.
struct LineStart {
    elem: u32,
    kind: Kind,
    comment: bool,
    hints: Vec<u32>,
}

#[derive(Clone, Copy)]
struct Ctx {
    elem: u32,
    kind: Kind,
    link: bool,
    pre: bool,
    /// Inside a data table (rows are lines, cells are joined).
    data_table: bool,
    comment: bool,
    depth: u32,
}

pub struct Walker<'c> {
    cfg: &'c ExtractConfig,
    page: Page,
    buf: String,
    link_chars: u32,
    cur: Option<LineStart>,
    hint_stack: Vec<u32>,
    /// Nodes left in the work budget (`max_nodes`); the walk stops when it runs out.
    budget: usize,
    /// [`hints::name_hint`] per class value seen on this page (templates repeat a few classes
    /// on hundreds of elements; the scan was ~5% of the step).
    class_hints: HashMap<Box<str>, Hint>,
}

impl<'c> Walker<'c> {
    pub fn new(cfg: &'c ExtractConfig) -> Self {
        Walker {
            cfg,
            page: Page::default(),
            buf: String::with_capacity(1024),
            link_chars: 0,
            cur: None,
            hint_stack: Vec::new(),
            budget: cfg.max_nodes,
            class_hints: HashMap::new(),
        }
    }

    pub fn run(mut self, root: NodeRef<'_>) -> Page {
        let ctx = Ctx {
            elem: 0,
            kind: Kind::Para,
            link: false,
            pre: false,
            data_table: false,
            comment: false,
            depth: 0,
        };
        self.page.parent.push(u32::MAX);
        self.page.end.push(0);
        self.page.sig.push(0);
        if let Some(head) = find_head(root) {
            self.read_head(head);
        }
        self.children(root, ctx);
        self.flush();
        let n = self.page.parent.len() as u32;
        if let Some(e) = self.page.end.first_mut() {
            *e = n;
        }
        self.page
    }

    fn read_head(&mut self, head: NodeRef<'_>) {
        for child in head.children() {
            let Some(el) = child.value().as_element() else {
                continue;
            };
            match el.name() {
                "title" if self.page.title.is_none() => {
                    let t: String = child
                        .children()
                        .filter_map(|c| c.value().as_text())
                        .collect();
                    let t = collapse_ws(&t);
                    if !t.is_empty() {
                        self.page.title = Some(t);
                    }
                }
                "meta" => {
                    let mut prop = false;
                    let mut content = None;
                    for (k, v) in el.attrs() {
                        match k {
                            "property" | "name" => prop |= v.eq_ignore_ascii_case("og:title"),
                            "content" => content = Some(v),
                            _ => {}
                        }
                    }
                    if let (true, Some(c)) = (prop, content) {
                        let c = collapse_ws(c);
                        if !c.is_empty() {
                            self.page.og_title = Some(c);
                        }
                    }
                }
                _ => {}
            }
        }
    }

    fn children(&mut self, node: NodeRef<'_>, ctx: Ctx) {
        for child in node.children() {
            if self.budget == 0 {
                return;
            }
            self.budget -= 1;
            match child.value() {
                Data::Text(t) => self.push_text(t, ctx),
                Data::Element(_) => self.element(child, ctx),
                _ => {}
            }
        }
    }

    fn element(&mut self, node: NodeRef<'_>, mut ctx: Ctx) {
        let Some(el) = node.value().as_element() else {
            return;
        };
        let name = el.name();
        if is_skipped(name) {
            return;
        }
        if name == "br" {
            self.flush();
            return;
        }
        if ctx.depth as usize >= self.cfg.max_depth {
            // Pathological nesting: no more structure, just the text, without recursion.
            for d in node.descendants() {
                if self.budget == 0 {
                    return;
                }
                self.budget -= 1;
                if let Some(t) = d.value().as_text() {
                    self.push_text(t, ctx);
                }
            }
            return;
        }
        let (mut class, mut id, mut hidden, mut landmark) = ("", "", false, false);
        let mut href = None;
        for (k, v) in el.attrs() {
            match k {
                "class" => class = v,
                "id" => id = v,
                "hidden" => hidden = true,
                "aria-hidden" => hidden |= v.eq_ignore_ascii_case("true"),
                "style" => hidden |= is_hidden_style(v),
                "href" => href = Some(v),
                "role" => {
                    landmark = matches!(
                        v,
                        "navigation" | "banner" | "contentinfo" | "complementary" | "search"
                    );
                }
                _ => {}
            }
        }
        // a navigation landmark reads as class `nav` whatever the attribute order
        if landmark {
            class = "nav";
        }
        if hidden {
            return;
        }
        let mut hint = if matches!(name, "html" | "body") {
            Hint::None
        } else {
            hints::combine(self.class_hint(class), hints::name_hint(id))
        };
        match name {
            "nav" if self.cfg.favor != Favor::Recall => return,
            "nav" | "footer" | "aside" => hint = Hint::Bad,
            "form" if form_is_small(node) => return,
            "table" => {
                ctx.data_table = is_data_table(node);
                if ctx.data_table && !self.cfg.include_tables {
                    return;
                }
            }
            _ => {}
        }
        if hint == Hint::Comment && self.cfg.include_comments {
            ctx.comment = true;
            hint = Hint::None;
        }
        let idx = self.page.parent.len() as u32;
        self.page.parent.push(ctx.elem);
        self.page.end.push(idx + 1);
        self.page.sig.push(signature(name, class));
        let block = is_block(name) && !(ctx.data_table && matches!(name, "td" | "th"));
        if block {
            self.flush();
            ctx.elem = idx;
            ctx.kind = match name {
                "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                    Kind::Heading(name.as_bytes().get(1).map_or(6, |b| b - b'0'))
                }
                "li" | "dt" | "dd" => Kind::ListItem,
                "tr" if ctx.data_table => Kind::Row,
                "pre" | "listing" | "xmp" | "plaintext" => Kind::Pre,
                _ if matches!(ctx.kind, Kind::Heading(_) | Kind::Pre) => ctx.kind,
                _ => Kind::Para,
            };
            ctx.pre |= ctx.kind == Kind::Pre;
        } else if matches!(name, "td" | "th") && !self.buf.trim().is_empty() {
            self.buf.push_str(" | ");
        }
        ctx.depth += 1;
        let pushed = hint != Hint::None;
        if pushed {
            self.hint_stack.push(if hint == Hint::Comment {
                idx | COMMENT_HINT
            } else {
                idx
            });
        }
        // a `javascript:` pseudo-link leads nowhere: its text counts as text (readability.js
        // replaces such links by their content)
        let js = href.is_some_and(|h| crate::budget::is_js_href(h.as_bytes()));
        let link_mark = if name == "a" && !ctx.link && !js {
            ctx.link = true;
            match href {
                Some(h) if self.cfg.include_links && !h.starts_with('#') => {
                    self.start_line(ctx);
                    self.buf.push('[');
                    Some((self.buf.len(), h))
                }
                _ => None,
            }
        } else {
            None
        };
        self.children(node, ctx);
        if let Some((at, h)) = link_mark {
            if self.buf.len() > at && self.cur.is_some() {
                self.buf.push_str("](");
                self.buf.push_str(h);
                self.buf.push(')');
            } else if self.buf.len() == at {
                self.buf.pop();
            }
        }
        if pushed {
            self.hint_stack.pop();
        }
        if block {
            self.flush();
        }
        let end = self.page.parent.len() as u32;
        if let Some(e) = self.page.end.get_mut(idx as usize) {
            *e = end;
        }
    }

    fn class_hint(&mut self, class: &str) -> Hint {
        if class.is_empty() {
            return Hint::None;
        }
        if let Some(&h) = self.class_hints.get(class) {
            return h;
        }
        let h = hints::name_hint(class);
        self.class_hints.insert(class.into(), h);
        h
    }

    fn start_line(&mut self, ctx: Ctx) {
        if self.cur.is_none() {
            let hints = self.hint_stack.clone();
            self.cur = Some(LineStart {
                elem: ctx.elem,
                kind: ctx.kind,
                comment: ctx.comment,
                hints,
            });
        }
    }

    fn push_text(&mut self, t: &str, ctx: Ctx) {
        if self.cur.is_none() {
            if is_blank(t) {
                return;
            }
            self.start_line(ctx);
        }
        if ctx.link {
            self.link_chars += non_space_chars(t);
        }
        self.buf.push_str(t);
    }

    /// End the current line and turn it into a block.
    fn flush(&mut self) {
        let link_chars = std::mem::take(&mut self.link_chars);
        let Some(start) = self.cur.take() else {
            self.buf.clear();
            return;
        };
        let mut text = String::with_capacity(self.buf.len());
        let mut n = Counts::default();
        if start.kind == Kind::Pre {
            // each line collapsed on its own, empty ones left out, joined by `\n`
            for line in self.buf.lines() {
                let (mark, before) = (text.len(), n);
                if !text.is_empty() {
                    text.push('\n');
                    n.add('\n');
                }
                collapse_counted(line, &mut text, &mut n);
                if text.len() == mark + usize::from(mark > 0) {
                    text.truncate(mark);
                    n = before;
                }
            }
        } else {
            collapse_counted(&self.buf, &mut text, &mut n);
        }
        self.buf.clear();
        if text.is_empty() {
            return;
        }
        let Counts {
            chars,
            cjk,
            punct,
            digits,
            ..
        } = n;
        self.page.blocks.push(Block {
            text,
            kind: start.kind,
            elem: start.elem,
            hints: start.hints,
            comment: start.comment,
            chars,
            cjk,
            link_chars: link_chars.min(chars),
            punct,
            digits,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocks(html: &str) -> Vec<(Kind, String)> {
        let cfg = ExtractConfig::default();
        let doc = crate::tree::parse_html5ever(html);
        let page = Walker::new(&cfg).run(doc.root());
        page.blocks.into_iter().map(|b| (b.kind, b.text)).collect()
    }

    #[test]
    fn structure_becomes_lines() {
        let b = blocks(
            "<body><h2>标题</h2><p>一行<br>两行</p><ul><li>甲</li><li>乙</li></ul>\
             <table><tr><th>名</th><th>值</th></tr><tr><td>a</td><td>1</td></tr></table>\
             <div style='display:none'>隐藏</div><div hidden>藏</div><script>x()</script></body>",
        );
        let texts: Vec<&str> = b.iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(
            texts,
            vec!["标题", "一行", "两行", "甲", "乙", "名 | 值", "a | 1"]
        );
        assert_eq!(b[0].0, Kind::Heading(2));
        assert_eq!(b[3].0, Kind::ListItem);
        assert_eq!(b[5].0, Kind::Row);
    }

    #[test]
    fn layout_tables_are_containers() {
        let b = blocks(
            "<table><tr><td><div>左栏</div></td><td><p>正文段落</p><p>第二段</p></td></tr></table>",
        );
        let texts: Vec<&str> = b.iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(texts, vec!["左栏", "正文段落", "第二段"]);
    }
}
