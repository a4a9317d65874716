//! A fast HTML tokenizer for the common part of prepared pages, feeding html5ever's tree builder.
//!
//! * html5ever's tokenizer goes through the input char by char through a tendril queue and was
//!   a third of the extract step's CPU (perf, bench WARCs); its tree builder is fine.
//! * [`budget::prepare`](crate::budget::prepare) already reduced the page to tags with a few
//!   attributes, text and empty script/style bodies, so the tokens are simple: this scanner
//!   handles tags, attributes, text, character references ([`crate::charref`]), `<!DOCTYPE>`,
//!   bogus comments and the raw-text elements with memchr, as the WHATWG tokenizer does.
//! * Anything rarer (`<!--`, CDATA, a NUL, `<plaintext>`, a script body, a doctype other than
//!   the bare `<!DOCTYPE>` prepare leaves, a tag cut by the end of the page) hands the rest of
//!   the page, from the start of that construct, to html5ever's own tokenizer in the same
//!   state, so the tree is always html5ever's tree (`tests/same_tree.rs` compares both on
//!   every shared page).
//! * Parse-error tokens are not sent: the tree builder only uses them to forget a pending
//!   newline after `<pre>`/`<listing>`/`<textarea>`, and the one construct that can raise an
//!   error right there (a character reference) is handed over instead.

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::{RawKind, State};
use html5ever::tokenizer::{
    BufferQueue, CharacterTokens, CommentToken, Doctype, DoctypeToken, EOFToken, EndTag, StartTag,
    Tag, TagKind, TagToken, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};
use html5ever::tree_builder::{TreeBuilder, TreeBuilderOpts, TreeSink};
use html5ever::{Attribute, LocalName, QualName, TokenizerResult, ns};

use crate::charref::{named_ref, numeric_ref};
use crate::tree::{Dom, Sink};

type Builder = TreeBuilder<u32, Sink>;

/// Parse a prepared page into the same tree as html5ever's tokenizer builds
/// ([`crate::tree::parse_html5ever`]).
pub fn parse(html: &str) -> Dom {
    let tb = TreeBuilder::new(Sink::for_page(html), TreeBuilderOpts::default());
    let src = StrTendril::from_slice(html);
    let mut s = Scanner {
        tb: &tb,
        src: &src,
        html,
        b: html.as_bytes(),
        pos: 0,
        raw: None,
        last_start: None,
        text: Text::default(),
        lf_tag: false,
        plaintext: false,
        names: NameCache::default(),
    };
    // html5ever's default `discard_bom`
    if html.starts_with('\u{FEFF}') {
        s.pos = 3;
    }
    let handover = if memchr::memchr(0, html.as_bytes()).is_some() {
        Some(s.pos)
    } else {
        s.run()
    };
    let state = if s.plaintext {
        State::Plaintext
    } else {
        s.raw.map_or(State::Data, State::RawData)
    };
    let last = s.last_start.take();
    match handover {
        None => {
            let _ = tb.process_token(EOFToken, 1);
            tb.end();
            tb.sink.finish()
        }
        Some(at) => finish_with_html5ever(tb, &src, at, state, last),
    }
}

/// Hand the rest of the page, from `at`, to html5ever's tokenizer in the scanner's state.
fn finish_with_html5ever(
    tb: Builder,
    src: &StrTendril,
    at: usize,
    state: State,
    last: Option<LocalName>,
) -> Dom {
    let opts = TokenizerOpts {
        discard_bom: at == 0,
        initial_state: Some(state),
        last_start_tag_name: last.map(|l| l.to_string()),
        ..Default::default()
    };
    let tok = Tokenizer::new(tb, opts);
    let queue = BufferQueue::default();
    let len = src.len32().saturating_sub(at as u32);
    if len > 0 {
        queue.push_back(src.subtendril(at as u32, len));
    }
    while !matches!(tok.feed(&queue), TokenizerResult::Done) {}
    tok.end();
    tok.sink.sink.finish()
}

/// Pending character data: a slice of the input while nothing had to be decoded.
#[derive(Default)]
struct Text {
    start: usize,
    end: usize,
    owned: Option<String>,
}

/// `None` means: hand over from the start of the current construct.
type Step<T> = Option<T>;

struct Scanner<'a> {
    tb: &'a Builder,
    src: &'a StrTendril,
    html: &'a str,
    b: &'a [u8],
    pos: usize,
    /// Inside a raw-text element (its content ends at `</` + `last_start`).
    raw: Option<RawKind>,
    last_start: Option<LocalName>,
    text: Text,
    /// Right after `<pre>`/`<listing>`/`<textarea>` (see the module docs).
    lf_tag: bool,
    /// After `<plaintext>`: html5ever's tokenizer reads the rest.
    plaintext: bool,
    names: NameCache,
}

fn is_ws(c: u8) -> bool {
    matches!(c, b'\t' | b'\n' | b'\x0C' | b' ' | b'\r')
}

impl<'a> Scanner<'a> {
    /// Tokenize until the end (`None`) or until a construct this scanner leaves to html5ever
    /// (`Some(position)`).
    fn run(&mut self) -> Option<usize> {
        loop {
            let at = self.pos;
            let done = match self.raw {
                None => self.data(),
                Some(kind) => self.raw_text(kind),
            };
            match done {
                Some(true) => {}
                Some(false) => {
                    self.flush();
                    return None;
                }
                None => {
                    self.flush();
                    // a construct may have consumed text before giving up: restart at it
                    return Some(self.pos.max(at));
                }
            }
        }
    }

    /// One construct in the data state; `Some(false)` at the end of the page.
    fn data(&mut self) -> Step<bool> {
        let b = self.b;
        let Some(off) = memchr::memchr3(b'<', b'&', b'\r', b.get(self.pos..)?) else {
            self.push_span(self.pos, b.len());
            self.pos = b.len();
            return Some(false);
        };
        let p = self.pos + off;
        if p > self.pos {
            self.push_span(self.pos, p);
            self.lf_tag = false;
        }
        self.pos = p;
        match b.get(p) {
            Some(b'\r') => self.cr(),
            Some(b'&') => {
                if self.lf_tag {
                    return None;
                }
                let s = self.char_ref(p);
                self.push_str(&s);
            }
            _ => self.tag_open(p)?,
        }
        self.lf_tag = false;
        Some(true)
    }

    /// `\r\n` and `\r` are one `\n` (input stream preprocessing).
    fn cr(&mut self) {
        self.push_str("\n");
        self.pos += if self.b.get(self.pos + 1) == Some(&b'\n') {
            2
        } else {
            1
        };
    }

    /// Text of a raw-text element up to its end tag.
    fn raw_text(&mut self, kind: RawKind) -> Step<bool> {
        let name = self.last_start.clone()?;
        let (b, n) = (self.b, name.len());
        let mut i = self.pos;
        let end = loop {
            let Some(off) = memchr::memmem::find(b.get(i..)?, b"</") else {
                break b.len();
            };
            let p = i + off;
            let after = b.get(p + 2 + n).copied();
            if b.get(p + 2..p + 2 + n)
                .is_some_and(|w| w.eq_ignore_ascii_case(name.as_bytes()))
                && after.is_some_and(|c| is_ws(c) || c == b'/' || c == b'>')
            {
                break p;
            }
            i = p + 2;
        };
        let body = b.get(self.pos..end)?;
        match kind {
            // prepare empties script bodies; anything left may hold escapes (`<!--`)
            RawKind::ScriptData if !body.is_empty() => return None,
            RawKind::ScriptData | RawKind::Rawtext | RawKind::Rcdata => {}
            _ => return None,
        }
        if self.lf_tag && body.first() == Some(&b'&') {
            return None;
        }
        let refs = kind == RawKind::Rcdata;
        let mut i = self.pos;
        while let Some(off) = b.get(i..end).and_then(|w| {
            if refs {
                memchr::memchr2(b'\r', b'&', w)
            } else {
                memchr::memchr(b'\r', w)
            }
        }) {
            self.push_span(i, i + off);
            self.pos = i + off;
            if b.get(self.pos) == Some(&b'&') {
                // a reference never runs into the end tag: `<` ends every entity name
                let s = self.char_ref(self.pos);
                self.push_str(&s);
            } else {
                self.cr();
            }
            i = self.pos;
        }
        self.push_span(i, end.max(i));
        self.pos = end.max(i);
        self.lf_tag = false;
        if end == b.len() {
            return Some(false);
        }
        self.flush();
        self.tag(end + 2, EndTag)?;
        Some(true)
    }

    /// At a `<` in the data state.
    fn tag_open(&mut self, p: usize) -> Step<()> {
        let b = self.b;
        match b.get(p + 1).copied() {
            Some(c) if c.is_ascii_alphabetic() => {
                self.flush();
                self.tag(p + 1, StartTag)
            }
            Some(b'/') => match b.get(p + 2).copied() {
                Some(c) if c.is_ascii_alphabetic() => {
                    self.flush();
                    self.tag(p + 2, EndTag)
                }
                Some(b'>') => {
                    self.pos = p + 3;
                    Some(())
                }
                None => {
                    self.push_span(p, p + 2);
                    self.pos = p + 2;
                    Some(())
                }
                Some(_) => {
                    self.flush();
                    self.bogus_comment(p + 2)
                }
            },
            Some(b'!') => self.markup_declaration(p),
            Some(b'?') => {
                self.flush();
                self.bogus_comment(p + 1)
            }
            _ => {
                self.push_span(p, p + 1);
                self.pos = p + 1;
                Some(())
            }
        }
    }

    /// `<!DOCTYPE>` (what prepare leaves of a doctype) and `<!...>` bogus comments.
    fn markup_declaration(&mut self, p: usize) -> Step<()> {
        let b = self.b;
        let rest = b.get(p + 2..)?;
        if rest.len() >= 8 && rest[..8].eq_ignore_ascii_case(b"doctype>") {
            self.flush();
            let dt = Doctype {
                force_quirks: true,
                ..Default::default()
            };
            let _ = self.tb.process_token(DoctypeToken(dt), 1);
            self.pos = p + 10;
            return Some(());
        }
        match rest.first() {
            None | Some(b'-' | b'[' | b'd' | b'D') => None,
            Some(_) => {
                self.flush();
                self.bogus_comment(p + 2)
            }
        }
    }

    /// A comment from `from` to the next `>`.
    fn bogus_comment(&mut self, from: usize) -> Step<()> {
        let b = self.b;
        let gt = from + memchr::memchr(b'>', b.get(from..)?)?;
        let body = b.get(from..gt)?;
        if memchr::memchr(b'\r', body).is_some() {
            return None;
        }
        let c = self.tendril(from, gt);
        let _ = self.tb.process_token(CommentToken(c), 1);
        self.pos = gt + 1;
        Some(())
    }

    /// A start or end tag whose name begins at `from`; emits it and follows the tree
    /// builder's switch to a raw-text state.
    fn tag(&mut self, from: usize, kind: TagKind) -> Step<()> {
        let b = self.b;
        let mut j = from;
        while b
            .get(j)
            .is_some_and(|&c| !(is_ws(c) || c == b'/' || c == b'>'))
        {
            j += 1;
        }
        let name = self.names.get(b.get(from..j)?);
        let mut tag = Tag {
            kind,
            name,
            self_closing: false,
            attrs: Vec::new(),
            had_duplicate_attributes: false,
        };
        let gt = self.attributes(j, &mut tag)?;
        self.pos = gt + 1;
        let lf = kind == StartTag && matches!(&*tag.name, "pre" | "listing" | "textarea");
        if kind == StartTag {
            self.last_start = Some(tag.name.clone());
        }
        self.raw = None;
        match self.tb.process_token(TagToken(tag), 1) {
            TokenSinkResult::RawData(k) => self.raw = Some(k),
            // `<plaintext>`: the rest is text, html5ever's tokenizer takes it from here
            TokenSinkResult::Plaintext => {
                self.plaintext = true;
                return None;
            }
            _ => {}
        }
        self.lf_tag = lf;
        Some(())
    }

    /// The attributes from `j` to the tag's `>`; returns the index of the `>`.
    fn attributes(&mut self, mut j: usize, tag: &mut Tag) -> Step<usize> {
        let b = self.b;
        loop {
            while b.get(j).is_some_and(|&c| is_ws(c)) {
                j += 1;
            }
            match *b.get(j)? {
                b'>' => return Some(j),
                b'/' => {
                    if b.get(j + 1) == Some(&b'>') {
                        tag.self_closing = true;
                        return Some(j + 1);
                    }
                    j += 1;
                    continue;
                }
                b'=' => return None,
                _ => {}
            }
            let ns = j;
            while b
                .get(j)
                .is_some_and(|&c| !(is_ws(c) || matches!(c, b'/' | b'>' | b'=')))
            {
                j += 1;
            }
            let name = self.names.get(b.get(ns..j)?);
            while b.get(j).is_some_and(|&c| is_ws(c)) {
                j += 1;
            }
            let value = if b.get(j) == Some(&b'=') {
                j += 1;
                while b.get(j).is_some_and(|&c| is_ws(c)) {
                    j += 1;
                }
                let (vs, ve) = match *b.get(j)? {
                    q @ (b'"' | b'\'') => {
                        let vs = j + 1;
                        let close = vs + memchr::memchr(q, b.get(vs..)?)?;
                        // after the quote anything but whitespace, `/` or `>` is a parse
                        // error that still starts the next attribute: the loop does that
                        j = close + 1;
                        (vs, close)
                    }
                    b'>' => (j, j),
                    _ => {
                        let vs = j;
                        while b.get(j).is_some_and(|&c| !(is_ws(c) || c == b'>')) {
                            j += 1;
                        }
                        (vs, j)
                    }
                };
                self.attr_value(vs, ve)
            } else {
                StrTendril::new()
            };
            if tag.attrs.iter().any(|a| a.name.local == name) {
                tag.had_duplicate_attributes = true;
            } else {
                tag.attrs.push(Attribute {
                    name: QualName::new(None, ns!(), name),
                    value,
                });
            }
        }
    }

    /// An attribute value with its character references decoded and CRs normalised.
    fn attr_value(&self, vs: usize, ve: usize) -> StrTendril {
        let v = self.b.get(vs..ve).unwrap_or_default();
        if memchr::memchr2(b'&', b'\r', v).is_none() {
            return self.tendril(vs, ve);
        }
        let mut out = String::with_capacity(v.len());
        let mut i = vs;
        while let Some(off) = memchr::memchr2(b'&', b'\r', self.b.get(i..ve).unwrap_or_default()) {
            let p = i + off;
            out.push_str(self.str(i, p));
            if self.b.get(p) == Some(&b'\r') {
                out.push('\n');
                i = p + if self.b.get(p + 1) == Some(&b'\n') && p + 1 < ve {
                    2
                } else {
                    1
                };
            } else {
                let (s, next) = self.char_ref_in(p, ve, true);
                out.push_str(&s);
                i = next;
            }
        }
        out.push_str(self.str(i, ve));
        StrTendril::from_slice(&out)
    }

    /// The input from `from` to `to` as a tendril: short ones inline (no allocation, no
    /// shared-buffer bookkeeping; most are the whitespace between tags), longer ones share
    /// the input's buffer.
    fn tendril(&self, from: usize, to: usize) -> StrTendril {
        if to - from <= 8 {
            StrTendril::from_slice(self.str(from, to))
        } else {
            self.src.subtendril(from as u32, (to - from) as u32)
        }
    }

    fn str(&self, from: usize, to: usize) -> &'a str {
        // every bound sits on an ASCII byte or the end: a char boundary
        self.html.get(from..to).unwrap_or_default()
    }

    /// A character reference at `p` (`&`) in text; advances past it.
    fn char_ref(&mut self, p: usize) -> String {
        let (s, next) = self.char_ref_in(p, self.b.len(), false);
        self.pos = next;
        s
    }

    /// Decode the character reference at `p` (`&`, before `end`) as html5ever's char-ref
    /// tokenizer does: the text it stands for and the index after it (a lone `&` when nothing
    /// matches; the scanner goes on after the `&`).
    fn char_ref_in(&self, p: usize, end: usize, in_attr: bool) -> (String, usize) {
        let s = self.str(0, end);
        let lone = ("&".to_string(), p + 1);
        match s.as_bytes().get(p + 1).copied() {
            Some(c) if c.is_ascii_alphanumeric() => named_ref(s, p, in_attr).unwrap_or(lone),
            Some(b'#') => numeric_ref(s.as_bytes(), p).unwrap_or(lone),
            _ => lone,
        }
    }

    fn push_span(&mut self, from: usize, to: usize) {
        if from >= to {
            return;
        }
        let t = &mut self.text;
        match &mut t.owned {
            None if t.start == t.end => (t.start, t.end) = (from, to),
            None if t.end == from => t.end = to,
            _ => {
                let s = self.str(from, to).to_string();
                self.push_str(&s);
            }
        }
    }

    fn push_str(&mut self, s: &str) {
        let (start, end) = (self.text.start, self.text.end);
        if self.text.owned.is_none() {
            let head = self.str(start, end).to_string();
            self.text.owned = Some(head);
        }
        if let Some(o) = &mut self.text.owned {
            o.push_str(s);
        }
    }

    /// Send the pending text as one character token.
    fn flush(&mut self) {
        let t = std::mem::take(&mut self.text);
        let tendril = match t.owned {
            Some(s) if !s.is_empty() => StrTendril::from_slice(&s),
            Some(_) => return,
            None if t.end > t.start => self.tendril(t.start, t.end),
            None => return,
        };
        let _ = self.tb.process_token(CharacterTokens(tendril), 1);
    }
}

/// Tag and attribute names seen on this page, direct-mapped by length and end bytes: a page
/// repeats a few dozen names thousands of times, and interning each (`LocalName::from`, a
/// SipHash and a table probe) was 2% of the step.
struct NameCache {
    slots: Vec<Option<(Box<[u8]>, LocalName)>>,
}

impl Default for NameCache {
    fn default() -> Self {
        NameCache {
            slots: vec![None; 256],
        }
    }
}

impl NameCache {
    fn get(&mut self, raw: &[u8]) -> LocalName {
        let (first, last) = (raw.first().copied(), raw.last().copied());
        let h =
            raw.len() * 31 + usize::from(first.unwrap_or(0)) * 7 + usize::from(last.unwrap_or(0));
        let Some(slot) = self.slots.get_mut(h % 256) else {
            return lower_name(raw);
        };
        if let Some((k, v)) = slot
            && **k == *raw
        {
            return v.clone();
        }
        let v = lower_name(raw);
        *slot = Some((raw.into(), v.clone()));
        v
    }
}

/// A tag or attribute name as html5ever stores it (ASCII lowercased).
fn lower_name(raw: &[u8]) -> LocalName {
    // names end at ASCII delimiters, so the bytes are whole UTF-8 characters
    let s = std::str::from_utf8(raw).unwrap_or_default();
    if raw.iter().any(u8::is_ascii_uppercase) {
        LocalName::from(s.to_ascii_lowercase())
    } else {
        LocalName::from(s)
    }
}

#[cfg(test)]
mod tests;
