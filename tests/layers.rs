//! The root crate's modules import one way only: no import cycle between files, and no layer
//! reaches up (see the layer list in `src/lib.rs`).
//!
//! - Reads `src/**/*.rs` as text: `crate::a::b` paths, `super::x` paths and `use child::...`
//!   in a `mod.rs` are resolved to the file of the longest module prefix that exists.
//! - Test modules (`#[cfg(test)]` to the end of a file) are left out: they may use anything.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Bottom to top; a file may import from its own layer or the ones before it.
const LAYERS: &[&[&str]] = &[
    &["config", "tokens"],
    &["outdir"],
    &["output"],
    &["run"],
    &["verbs"],
    &["cli"],
];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Module path of a file: `src/run/stages.rs` -> [run, stages]; `src/run/mod.rs` -> [run].
fn module_of(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .with_extension("")
        .iter()
        .map(|c| c.to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|l| l == "mod" || l == "lib") {
        parts.pop();
    }
    parts
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// `a::b::{c, d::e}` -> the paths it names (one level of braces, as rustfmt writes them).
fn expand(path: &str) -> Vec<String> {
    match path.split_once('{') {
        None => vec![path.to_string()],
        Some((head, rest)) => rest
            .split(['}', ','])
            .map(|s| s.split(" as ").next().unwrap_or("").trim())
            .filter(|s| !s.is_empty())
            .map(|s| {
                if s == "self" {
                    head.trim_end_matches("::").to_string()
                } else {
                    format!("{head}{s}")
                }
            })
            .collect(),
    }
}

/// Every path after `crate::`/`super::` (or after `use <child>::` in a `mod.rs`), made absolute
/// (`super` of `run/docstage.rs` and of `run/mod.rs` alike is the module above the file's).
fn references(code: &str, module: &[String], is_mod_rs: bool) -> Vec<Vec<String>> {
    let code = code.split("#[cfg(test)]").next().unwrap_or("");
    let children: BTreeSet<&str> = code
        .lines()
        .filter_map(|l| l.trim().strip_suffix(';')?.rsplit_once("mod ").map(|x| x.1))
        .collect();
    let mut out = Vec::new();
    for (i, _) in code.match_indices("::") {
        let start = code[..i]
            .rfind(|c: char| !(c.is_alphanumeric() || c == '_'))
            .map_or(0, |s| s + 1);
        let root = &code[start..i];
        let base: Vec<String> = match root {
            "crate" => Vec::new(),
            "super" => module[..module.len().saturating_sub(1)].to_vec(),
            r if is_mod_rs && children.contains(r) && code[..start].ends_with("use ") => {
                module.to_vec()
            }
            _ => continue,
        };
        let from = if root == "crate" || root == "super" {
            i + 2
        } else {
            start
        };
        // the path itself, plus a `{...}` group right after it
        let rest = &code[from..];
        let mut end = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
            .unwrap_or(rest.len());
        if rest[end..].starts_with('{') {
            end += rest[end..].find('}').map_or(0, |c| c + 1);
        }
        let tail = &rest[..end];
        for p in expand(tail) {
            let mut full = base.clone();
            full.extend(
                p.split("::")
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty()),
            );
            out.push(full);
        }
    }
    out
}

/// The module file a path lands in: its longest prefix that is a module of the crate.
fn resolve(path: &[String], modules: &BTreeSet<Vec<String>>) -> Option<Vec<String>> {
    (1..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|p| modules.contains(p))
}

fn layer(module: &[String]) -> Option<usize> {
    let top = module.first()?;
    LAYERS.iter().position(|l| l.contains(&top.as_str()))
}

fn graph() -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let mut all = Vec::new();
    files(&src(), &mut all);
    let modules: BTreeSet<Vec<String>> = all
        .iter()
        .map(|f| module_of(f.strip_prefix(src()).unwrap()))
        .collect();
    let mut g = BTreeMap::new();
    for f in &all {
        let rel = f.strip_prefix(src()).unwrap();
        let m = module_of(rel);
        if m.is_empty() || m == ["main"] {
            continue; // lib.rs / main.rs only declare and start
        }
        let code = std::fs::read_to_string(f).unwrap();
        let is_mod = rel.file_name().is_some_and(|n| n == "mod.rs");
        let deps: BTreeSet<Vec<String>> = references(&code, &m, is_mod)
            .iter()
            .filter_map(|p| resolve(p, &modules))
            .filter(|d| *d != m && !d.is_empty())
            .collect();
        g.insert(m, deps);
    }
    g
}

#[test]
fn every_module_is_in_a_layer_and_imports_only_downwards() {
    let g = graph();
    assert!(g.len() > 15, "too few modules found: {:?}", g.keys());
    let mut up = Vec::new();
    for (m, deps) in &g {
        let lm = layer(m).unwrap_or_else(|| panic!("{m:?} is in no layer: add it to LAYERS"));
        for d in deps {
            if layer(d).is_some_and(|ld| ld > lm) {
                up.push(format!("{} -> {}", m.join("::"), d.join("::")));
            }
        }
    }
    assert!(up.is_empty(), "imports reaching up a layer: {up:#?}");
    // the check sees real edges (a parser that finds none would pass anything)
    let run = g
        .get(&vec!["run".to_string(), "runner".to_string()])
        .unwrap();
    assert!(run.contains(&vec!["outdir".to_string()]), "{run:?}");
}

#[test]
fn no_import_cycle_between_files() {
    let g = graph();
    // Kahn: repeatedly remove modules whose dependencies are all removed.
    let mut left: BTreeMap<_, BTreeSet<_>> = g.clone();
    loop {
        let free: Vec<Vec<String>> = left
            .iter()
            .filter(|(_, d)| d.iter().all(|x| !left.contains_key(x)))
            .map(|(m, _)| m.clone())
            .collect();
        if free.is_empty() {
            break;
        }
        for m in free {
            left.remove(&m);
        }
    }
    for d in left.values_mut() {
        d.retain(|x| g.contains_key(x));
    }
    assert!(left.is_empty(), "modules in an import cycle: {left:#?}");
}

#[test]
fn the_reference_parser_finds_grouped_and_relative_imports() {
    let m = vec!["run".to_string()];
    let code = "mod reader;\npub(crate) use reader::{A, B};\nuse crate::outdir::{self, x as y};\nfn f() { super::z::q(); }\n";
    let refs = references(code, &m, true);
    let has = |p: &[&str]| {
        refs.iter()
            .any(|r| r.iter().map(String::as_str).eq(p.iter().copied()))
    };
    assert!(has(&["run", "reader", "A"]), "{refs:?}");
    assert!(has(&["outdir"]) && has(&["outdir", "x"]), "{refs:?}");
    assert!(has(&["z", "q"]), "{refs:?}");
}
