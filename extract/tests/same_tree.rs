//! The fast tokenizer (`skypile_extract::tokenize`) and our tree (`skypile_extract::tree`) must
//! build exactly html5ever's tree as scraper builds it: every node, text, attribute and the
//! quirks mode, compared with `scraper::Html::parse_document` on every HTML page of the shared
//! data, raw and after `budget::prepare`, and on fixed-seed mutations of them (cut, garbled,
//! tag soup); our tree is checked both behind the fast tokenizer and behind html5ever's.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use html5ever::Attribute;
use scraper::{Html, Node};
use skypile_core::rng::Rng;
use skypile_extract::tree::{Data, Element};
use skypile_extract::{ExtractConfig, budget, tokenize, tree};

#[path = "common/decode.rs"]
mod decode;

/// Every node in document order with its depth, so any difference in the tree shows; the
/// lines of `tree::Dom::dump`.
fn dump(doc: &Html) -> String {
    let mut out = format!("{:?}\n", doc.quirks_mode);
    for edge in doc.tree.root().traverse() {
        let ego_tree::iter::Edge::Open(n) = edge else {
            continue;
        };
        let depth = n.ancestors().count();
        let _ = writeln!(out, "{depth} {}", data(n.value()).dump_line());
    }
    out
}

/// scraper's node as ours, to print it the same way.
fn data(n: &Node) -> Data {
    match n {
        Node::Element(e) => Data::Element(Element {
            name: e.name.clone(),
            attrs: e
                .attrs
                .iter()
                .map(|(k, v)| Attribute {
                    name: k.clone(),
                    value: v.clone(),
                })
                .collect(),
        }),
        Node::Text(t) => Data::Text(t.text.clone()),
        Node::Comment(c) => Data::Comment(c.comment.clone()),
        Node::Doctype(d) => Data::Doctype {
            name: d.name.clone(),
            public_id: d.public_id.clone(),
            system_id: d.system_id.clone(),
        },
        Node::ProcessingInstruction(p) => Data::ProcessingInstruction {
            target: p.target.clone(),
            data: p.data.clone(),
        },
        Node::Document => Data::Document,
        Node::Fragment => Data::Fragment,
    }
}

fn same(name: &str, html: &str) -> bool {
    let a = dump(&Html::parse_document(html));
    equal(
        name,
        "html5ever + tree",
        &a,
        &tree::parse_html5ever(html).dump(),
    ) & equal(name, "fast + tree", &a, &tokenize::parse(html).dump())
}

/// Whether the reference dump `a` equals `b`; prints where not.
fn equal(name: &str, label: &str, a: &str, b: &str) -> bool {
    if a != b {
        let line = a.lines().zip(b.lines()).position(|(x, y)| x != y);
        let l = line.unwrap_or(0);
        let show = |d: &str| {
            d.lines()
                .skip(l.saturating_sub(1))
                .take(3)
                .collect::<Vec<_>>()
                .join(" / ")
        };
        eprintln!(
            "{name}: {label} differs at dump line {line:?}\n  scraper: {}\n  ours:    {}",
            show(a),
            show(b)
        );
        return false;
    }
    true
}

fn html_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut v: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    v.sort();
    for p in v {
        if p.is_dir() {
            html_files(&p, out);
        } else if p
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("html") || e.eq_ignore_ascii_case("htm"))
        {
            out.push(p);
        }
    }
}

fn shared_pages() -> Option<Vec<(String, String)>> {
    let data = skypile_core::testdata::shared_data()?;
    let mut files = Vec::new();
    html_files(&data, &mut files);
    let pages: Vec<(String, String)> = files
        .iter()
        .filter_map(|p| {
            let b = std::fs::read(p).ok()?;
            Some((p.display().to_string(), decode::decode(&b)))
        })
        .collect();
    assert!(pages.len() >= 400, "only {} HTML pages found", pages.len());
    Some(pages)
}

#[test]
fn same_tree_as_html5ever_on_shared_pages() {
    let Some(pages) = shared_pages() else {
        return;
    };
    let cfg = ExtractConfig::default();
    let mut bad = 0;
    for (name, html) in &pages {
        bad += usize::from(!same(&format!("{name} (raw)"), html));
        let prepared = budget::prepare(html, &cfg).html;
        bad += usize::from(!same(&format!("{name} (prepared)"), &prepared));
    }
    assert_eq!(bad, 0, "{bad} of {} parses differ", 2 * pages.len());
    eprintln!("{} pages: same tree raw and prepared", pages.len());
}

/// What `text::SOUP` lacks for the tokenizer: references, CRs, raw-text and foreign elements.
const MORE_SOUP: &[&str] = &[
    "=",
    "&",
    "&amp;",
    "&#65;",
    "&#0;",
    "&notin;",
    "&not",
    "\r",
    "\r\n",
    "<pre>\n",
    "<textarea>",
    "</textarea>",
    "<title>",
    "</title>",
    "<xmp>",
    "<plaintext>",
    "]]>",
    "<p>",
    "<!DOCTYPE>",
    "<!x>",
    "<?x>",
    "</ x>",
    "/>",
    " a=b",
    " class=\"c\"",
];

#[path = "common/text.rs"]
mod text;
use text::{SOUP, floor_char};

#[test]
fn same_tree_as_html5ever_on_mutated_pages() {
    let Some(pages) = shared_pages() else {
        return;
    };
    let cfg = ExtractConfig::default();
    let mut rng = Rng::new(0x7043_11E5);
    let (mut bad, mut n) = (0, 0);
    // every 4th page, each mutated 3 times: spliced soup, then prepared as the step does
    for (name, page) in pages.iter().step_by(4) {
        for k in 0..3 {
            let mut m = page.clone();
            for _ in 0..30 {
                let at = floor_char(&m, rng.below(m.len().max(1)));
                let end = floor_char(&m, at + rng.below(8));
                let k = rng.below(SOUP.len() + MORE_SOUP.len());
                let soup = SOUP.get(k).or(MORE_SOUP.get(k - SOUP.len().min(k)));
                m.replace_range(at..end, soup.copied().unwrap_or(""));
            }
            let cut = floor_char(&m, m.len() - rng.below(m.len().max(1) / 4 + 1));
            m.truncate(cut);
            let prepared = budget::prepare(&m, &cfg).html;
            bad += usize::from(!same(&format!("{name} mutation {k}"), &m));
            bad += usize::from(!same(&format!("{name} mutation {k} prepared"), &prepared));
            n += 2;
        }
    }
    assert_eq!(bad, 0, "{bad} of {n} parses differ");
}
