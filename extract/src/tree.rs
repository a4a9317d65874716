//! The parsed page: html5ever's tree builder writes into a flat arena of nodes, our own
//! `TreeSink` in place of `scraper::Html`.
//! * scraper's sink copied and sorted every element's attributes into a new vector, kept
//!   lazily built id/class caches per element and linked ~130-byte nodes through `ego_tree`;
//!   with the drop of the tree that was ~13% of the extract step (perf, bench WARCs).
//! * Here an element keeps html5ever's attribute vector as given (source order) and a node
//!   is its links plus its data, so building, walking and dropping the tree touch less memory.
//! * The tree is node for node the one scraper builds (`tests/same_tree.rs`): the same
//!   handling of text merging, `<template>` contents (a fragment child) and re-parenting, and
//!   none of the optional hooks that scraper leaves at html5ever's defaults.

use std::borrow::Cow;
use std::cell::{Ref, RefCell};

use html5ever::tendril::StrTendril;
use html5ever::tree_builder::{ElementFlags, NodeOrText, QuirksMode, TreeSink};
use html5ever::{Attribute, QualName, expanded_name, local_name, ns};

/// "No node" in the links.
const NONE: u32 = u32::MAX;

/// What a node is.
#[derive(Debug)]
pub enum Data {
    Document,
    Doctype {
        name: StrTendril,
        public_id: StrTendril,
        system_id: StrTendril,
    },
    Comment(StrTendril),
    Text(StrTendril),
    Element(Element),
    /// The contents of a `<template>` (its only child).
    Fragment,
    ProcessingInstruction {
        target: StrTendril,
        data: StrTendril,
    },
}

#[derive(Debug)]
pub struct Element {
    pub name: QualName,
    /// In source order (scraper sorts them by name).
    pub attrs: Vec<Attribute>,
}

impl Element {
    /// The local name (`div`, `p`, `foreignObject`).
    pub fn name(&self) -> &str {
        &self.name.local
    }

    /// Attributes as (local name, value), in source order.
    pub fn attrs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.attrs.iter().map(|a| (&*a.name.local, &*a.value))
    }
}

impl Data {
    pub fn as_element(&self) -> Option<&Element> {
        match self {
            Data::Element(e) => Some(e),
            _ => None,
        }
    }
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Data::Text(t) => Some(t),
            _ => None,
        }
    }
}

#[derive(Debug)]
struct Node {
    parent: u32,
    prev: u32,
    next: u32,
    first: u32,
    last: u32,
    data: Data,
}

/// A parsed document: node 0 is the document.
#[derive(Debug)]
pub struct Dom {
    nodes: Vec<Node>,
    pub quirks_mode: QuirksMode,
    /// Answer of `elem_name` for a handle that is no element (html5ever never asks).
    no_name: QualName,
}

impl Default for Dom {
    fn default() -> Self {
        Dom::with_capacity(256)
    }
}

impl Dom {
    fn with_capacity(nodes: usize) -> Self {
        let mut dom = Dom {
            nodes: Vec::with_capacity(nodes),
            quirks_mode: QuirksMode::NoQuirks,
            no_name: QualName::new(None, ns!(), local_name!("")),
        };
        dom.push(Data::Document);
        dom
    }
}

/// A node of a [`Dom`], to walk it.
#[derive(Clone, Copy)]
pub struct NodeRef<'a> {
    dom: &'a Dom,
    id: u32,
}

impl<'a> NodeRef<'a> {
    fn link(self, f: impl Fn(&Node) -> u32) -> Option<NodeRef<'a>> {
        let id = self.dom.nodes.get(self.id as usize).map_or(NONE, f);
        (id != NONE).then_some(NodeRef { dom: self.dom, id })
    }
    pub fn value(self) -> &'a Data {
        self.dom
            .nodes
            .get(self.id as usize)
            .map_or(&Data::Document, |n| &n.data)
    }
    pub fn parent(self) -> Option<NodeRef<'a>> {
        self.link(|n| n.parent)
    }
    pub fn children(self) -> impl Iterator<Item = NodeRef<'a>> {
        std::iter::successors(self.link(|n| n.first), |c| c.link(|n| n.next))
    }
    /// This node and everything below it, in document order (as `ego_tree`'s).
    pub fn descendants(self) -> impl Iterator<Item = NodeRef<'a>> {
        std::iter::successors(Some(self), move |c| {
            if let Some(first) = c.link(|n| n.first) {
                return Some(first);
            }
            let mut at = *c;
            loop {
                if at.id == self.id {
                    return None;
                }
                if let Some(next) = at.link(|n| n.next) {
                    return Some(next);
                }
                at = at.parent()?;
            }
        })
    }
}

impl Dom {
    pub fn root(&self) -> NodeRef<'_> {
        NodeRef { dom: self, id: 0 }
    }

    fn push(&mut self, data: Data) -> u32 {
        let id = self.nodes.len() as u32;
        self.nodes.push(Node {
            parent: NONE,
            prev: NONE,
            next: NONE,
            first: NONE,
            last: NONE,
            data,
        });
        id
    }

    fn node(&mut self, id: u32) -> Option<&mut Node> {
        self.nodes.get_mut(id as usize)
    }

    /// Set one link of `id` when both ends exist.
    fn set(&mut self, id: u32, f: impl FnOnce(&mut Node)) {
        if let Some(n) = self.node(id) {
            f(n);
        }
    }

    fn detach(&mut self, id: u32) {
        let Some(n) = self.node(id) else { return };
        let (parent, prev, next) = (n.parent, n.prev, n.next);
        (n.parent, n.prev, n.next) = (NONE, NONE, NONE);
        if parent == NONE {
            return;
        }
        match prev {
            NONE => self.set(parent, |p| p.first = next),
            _ => self.set(prev, |p| p.next = next),
        }
        match next {
            NONE => self.set(parent, |p| p.last = prev),
            _ => self.set(next, |n| n.prev = prev),
        }
    }

    fn append(&mut self, parent: u32, id: u32) {
        self.detach(id);
        let Some(last) = self
            .node(parent)
            .map(|p| std::mem::replace(&mut p.last, id))
        else {
            return;
        };
        match last {
            NONE => self.set(parent, |p| p.first = id),
            _ => self.set(last, |l| l.next = id),
        }
        self.set(id, |n| (n.parent, n.prev) = (parent, last));
    }

    fn insert_before(&mut self, sibling: u32, id: u32) {
        self.detach(id);
        let Some(s) = self.node(sibling) else { return };
        let (parent, prev) = (s.parent, std::mem::replace(&mut s.prev, id));
        match prev {
            NONE => self.set(parent, |p| p.first = id),
            _ => self.set(prev, |p| p.next = id),
        }
        self.set(id, |n| (n.parent, n.prev, n.next) = (parent, prev, sibling));
    }

    /// Text after `prev` (a node or NONE) merges into it when it is a text node.
    fn merge_text(&mut self, prev: u32, text: &StrTendril) -> bool {
        match self.node(prev).map(|n| &mut n.data) {
            Some(Data::Text(t)) => {
                t.push_tendril(text);
                true
            }
            _ => false,
        }
    }
}

/// The `TreeSink` that builds a [`Dom`].
#[derive(Default)]
pub struct Sink(RefCell<Dom>);

impl Sink {
    /// A sink for `html` with room for twice as many nodes as it has `<`.
    /// * A start tag makes one element and a text node can follow any tag, so that is the
    ///   usual bound; the node vector is not regrown and copied while the page is parsed
    ///   (that was ~2% of the step).
    /// * At most 2^17 nodes (~10 MB) ahead of time: a page of stray `<` grows as it goes.
    pub fn for_page(html: &str) -> Self {
        let tags = memchr::memchr_iter(b'<', html.as_bytes()).count();
        Sink(RefCell::new(Dom::with_capacity(
            (2 * tags + 8).min(1 << 17),
        )))
    }
}

impl TreeSink for Sink {
    type Output = Dom;
    type Handle = u32;
    type ElemName<'a> = Ref<'a, QualName>;

    fn finish(self) -> Dom {
        self.0.into_inner()
    }

    fn parse_error(&self, _msg: Cow<'static, str>) {}

    fn get_document(&self) -> u32 {
        0
    }

    fn elem_name<'a>(&'a self, target: &'a u32) -> Ref<'a, QualName> {
        Ref::map(self.0.borrow(), |d| match d.nodes.get(*target as usize) {
            Some(Node {
                data: Data::Element(e),
                ..
            }) => &e.name,
            _ => &d.no_name,
        })
    }

    fn create_element(&self, name: QualName, attrs: Vec<Attribute>, _: ElementFlags) -> u32 {
        let template = name.expanded() == expanded_name!(html "template");
        let mut d = self.0.borrow_mut();
        let id = d.push(Data::Element(Element { name, attrs }));
        if template {
            let contents = d.push(Data::Fragment);
            d.append(id, contents);
        }
        id
    }

    fn create_comment(&self, text: StrTendril) -> u32 {
        self.0.borrow_mut().push(Data::Comment(text))
    }

    fn create_pi(&self, target: StrTendril, data: StrTendril) -> u32 {
        self.0
            .borrow_mut()
            .push(Data::ProcessingInstruction { target, data })
    }

    fn append(&self, parent: &u32, child: NodeOrText<u32>) {
        let mut d = self.0.borrow_mut();
        match child {
            NodeOrText::AppendNode(id) => d.append(*parent, id),
            NodeOrText::AppendText(text) => {
                let last = d.node(*parent).map_or(NONE, |p| p.last);
                if !d.merge_text(last, &text) {
                    let id = d.push(Data::Text(text));
                    d.append(*parent, id);
                }
            }
        }
    }

    fn append_based_on_parent_node(&self, element: &u32, prev: &u32, child: NodeOrText<u32>) {
        let has_parent = self
            .0
            .borrow_mut()
            .node(*element)
            .map_or(NONE, |n| n.parent)
            != NONE;
        if has_parent {
            self.append_before_sibling(element, child);
        } else {
            self.append(prev, child);
        }
    }

    fn append_doctype_to_document(
        &self,
        name: StrTendril,
        public_id: StrTendril,
        system_id: StrTendril,
    ) {
        let mut d = self.0.borrow_mut();
        let id = d.push(Data::Doctype {
            name,
            public_id,
            system_id,
        });
        d.append(0, id);
    }

    fn get_template_contents(&self, target: &u32) -> u32 {
        let first = self.0.borrow_mut().node(*target).map_or(NONE, |n| n.first);
        if first == NONE { *target } else { first }
    }

    fn same_node(&self, x: &u32, y: &u32) -> bool {
        x == y
    }

    fn set_quirks_mode(&self, mode: QuirksMode) {
        self.0.borrow_mut().quirks_mode = mode;
    }

    fn append_before_sibling(&self, sibling: &u32, new_node: NodeOrText<u32>) {
        let mut d = self.0.borrow_mut();
        if let NodeOrText::AppendNode(id) = new_node {
            d.detach(id);
        }
        let Some((parent, prev)) = d.node(*sibling).map(|s| (s.parent, s.prev)) else {
            return;
        };
        if parent == NONE {
            return;
        }
        match new_node {
            NodeOrText::AppendNode(id) => d.insert_before(*sibling, id),
            NodeOrText::AppendText(text) => {
                if !d.merge_text(prev, &text) {
                    let id = d.push(Data::Text(text));
                    d.insert_before(*sibling, id);
                }
            }
        }
    }

    fn add_attrs_if_missing(&self, target: &u32, attrs: Vec<Attribute>) {
        let mut d = self.0.borrow_mut();
        let Some(Data::Element(e)) = d.node(*target).map(|n| &mut n.data) else {
            return;
        };
        for attr in attrs {
            if !e.attrs.iter().any(|a| a.name == attr.name) {
                e.attrs.push(attr);
            }
        }
    }

    fn remove_from_parent(&self, target: &u32) {
        self.0.borrow_mut().detach(*target);
    }

    fn reparent_children(&self, node: &u32, new_parent: &u32) {
        let mut d = self.0.borrow_mut();
        let mut child = d.node(*node).map_or(NONE, |n| n.first);
        while child != NONE {
            let next = d.node(child).map_or(NONE, |c| c.next);
            d.append(*new_parent, child);
            child = next;
        }
    }
}

/// Parse a whole page with html5ever's own tokenizer into a [`Dom`] (the reference for
/// [`crate::tokenize::parse`]).
pub fn parse_html5ever(html: &str) -> Dom {
    use html5ever::tendril::TendrilSink;
    html5ever::parse_document(Sink::for_page(html), Default::default()).one(html)
}

impl Dom {
    /// Every node in document order, one line each with its depth (attributes sorted by name,
    /// as scraper keeps them), so that two trees compare as text (`tests/same_tree.rs`).
    #[doc(hidden)]
    pub fn dump(&self) -> String {
        use std::fmt::Write;
        let mut out = format!("{:?}\n", self.quirks_mode);
        let mut stack = vec![(self.root(), 0usize)];
        while let Some((n, depth)) = stack.pop() {
            let _ = writeln!(out, "{depth} {}", n.value().dump_line());
            let children: Vec<_> = n.children().collect();
            stack.extend(children.into_iter().rev().map(|c| (c, depth + 1)));
        }
        out
    }
}

impl Data {
    /// The node's line of [`Dom::dump`] (also made from scraper's nodes by the test).
    #[doc(hidden)]
    pub fn dump_line(&self) -> String {
        match self {
            Data::Element(e) => {
                let mut attrs: Vec<&Attribute> = e.attrs.iter().collect();
                attrs.sort_by(|a, b| a.name.cmp(&b.name));
                let attrs: Vec<String> = attrs
                    .iter()
                    .map(|a| format!("{}:{}={:?}", &*a.name.ns, &*a.name.local, &*a.value))
                    .collect();
                format!("<{}:{} {attrs:?}>", &*e.name.ns, &*e.name.local)
            }
            Data::Text(t) => format!("{:?}", &**t),
            Data::Comment(c) => format!("<!--{:?}-->", &**c),
            Data::Doctype {
                name,
                public_id,
                system_id,
            } => format!(
                "<!DOCTYPE {:?} {:?} {:?}>",
                &**name, &**public_id, &**system_id
            ),
            Data::ProcessingInstruction { target, data } => {
                format!("<?{:?} {:?}>", &**target, &**data)
            }
            Data::Document => "#document".into(),
            Data::Fragment => "#fragment".into(),
        }
    }
}
