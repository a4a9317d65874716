//! `skypile steps [NAME]` and `skypile schema`: what steps exist and what they take, read from
//! the registry and the config structs' schema (doc comments, types, defaults), never a copy.

use std::fmt::Write as _;

use anyhow::{Result, bail};
use serde_json::Value;

use crate::config::steps::{Kind, STEPS, StepInfo, info};
use crate::config::{Pipeline, schema};

/// Longest default printed in full; longer ones (threshold maps) end in `…`.
const DEFAULT_WIDTH: usize = 60;

/// Every step, one line each, grouped by the stage it belongs to.
pub fn list() -> String {
    let mut s = String::new();
    let mut group = "";
    for st in STEPS {
        if st.group != group {
            group = st.group;
            let _ = writeln!(s, "{}{group}", if s.is_empty() { "" } else { "\n" });
        }
        let global = if st.kind == Kind::Global {
            " [global]"
        } else {
            ""
        };
        let _ = writeln!(s, "  {:<20} {}{global}", st.key, summary(st));
    }
    let _ = writeln!(
        s,
        "\n[global]: needs the whole corpus, so the run waits for every rank before it.\n\
         `skypile steps NAME` shows a step's options."
    );
    s
}

/// One step: its summary, then every option with type, default and doc.
pub fn show(name: &str) -> Result<String> {
    let Some(st) = info(name) else {
        let keys: Vec<&str> = STEPS.iter().map(|s| s.key).collect();
        bail!("no step `{name}`: steps are {}", keys.join(", "));
    };
    let schema = (st.schema)().to_value();
    let mut rows = Vec::new();
    options(&mut rows, "", &schema, &schema);
    let w = rows.iter().map(|r| r.name.len()).max().unwrap_or(0).max(6);
    let mut s = String::new();
    let _ = writeln!(s, "{} ({}): {}", st.key, st.group, summary(st));
    let _ = writeln!(s, "\n  {:<w$}  {:<24} default", "option", "type");
    for r in rows {
        let _ = writeln!(s, "  {:<w$}  {:<24} {}", r.name, r.ty, r.default);
        for line in r.doc.lines() {
            let _ = writeln!(s, "  {:<w$}    {line}", "");
        }
    }
    Ok(s)
}

/// One option as `skypile steps NAME` prints it.
struct Opt {
    name: String,
    ty: String,
    default: String,
    doc: String,
}

/// The options of an object schema; a map of sections (`thresholds`) also lists the fields of
/// one section, as `thresholds.<lang>.field`.
fn options(rows: &mut Vec<Opt>, prefix: &str, obj: &Value, root: &Value) {
    let props = obj["properties"].as_object().cloned().unwrap_or_default();
    for (opt, p) in &props {
        let name = format!("{prefix}{opt}");
        rows.push(Opt {
            name: name.clone(),
            ty: type_of(p, root),
            default: p.get("default").map(compact).unwrap_or_default(),
            doc: p["description"].as_str().unwrap_or("").to_string(),
        });
        let section = resolve(&resolve(p, root)["additionalProperties"], root);
        if prefix.is_empty() && section["properties"].is_object() {
            options(rows, &format!("{name}.<lang>."), section, root);
        }
    }
}

/// A schema with a `$ref` replaced by the definition it points to.
fn resolve<'a>(p: &'a Value, root: &'a Value) -> &'a Value {
    match p["$ref"].as_str() {
        Some(r) => &root["$defs"][r.rsplit('/').next().unwrap_or(r)],
        None => p,
    }
}

/// The JSON Schema of a pipeline YAML, pretty-printed.
pub fn schema_json() -> Result<String> {
    let mut s = schema::of::<Pipeline>();
    s.insert("title".into(), "skypile pipeline".into());
    Ok(serde_json::to_string_pretty(&s)?)
}

/// First line of the config struct's doc comment.
fn summary(st: &StepInfo) -> String {
    let v = (st.schema)().to_value();
    v["description"]
        .as_str()
        .and_then(|d| d.lines().next())
        .unwrap_or("")
        .to_string()
}

/// A short type name: JSON type, `a|b` for enums, `list of T`, a referenced definition.
fn type_of(p: &Value, root: &Value) -> String {
    if p["$ref"].is_string() {
        return type_of(resolve(p, root), root);
    }
    if let Some(e) = p["enum"].as_array() {
        return e.iter().map(compact).collect::<Vec<_>>().join("|");
    }
    if let Some(alts) = p["oneOf"].as_array().or(p["anyOf"].as_array()) {
        let names: Vec<String> = alts
            .iter()
            .map(|a| match a.get("const") {
                Some(c) => compact(c),
                None => type_of(a, root),
            })
            .collect();
        return names.join("|");
    }
    match &p["type"] {
        Value::String(t) if t == "array" => format!("list of {}", type_of(&p["items"], root)),
        Value::String(t) if t == "object" && p["additionalProperties"].is_object() => {
            let section = resolve(&p["additionalProperties"], root);
            if section["properties"].is_object() {
                "map of sections".into()
            } else {
                format!("map of {}", type_of(section, root))
            }
        }
        Value::String(t) => t.clone(),
        Value::Array(ts) => ts.iter().map(compact).collect::<Vec<_>>().join("|"),
        _ => "any".into(),
    }
}

/// A value as compact JSON without quotes around plain strings, cut at [`DEFAULT_WIDTH`].
fn compact(v: &Value) -> String {
    let s = match v {
        Value::String(s) => s.clone(),
        v => f32_tidy(v.clone()).to_string(),
    };
    if s.chars().count() > DEFAULT_WIDTH {
        let cut: String = s.chars().take(DEFAULT_WIDTH).collect();
        format!("{cut}…")
    } else {
        s
    }
}

/// `0.65` instead of `0.6499999761581421`: an `f32` default widened to JSON's f64.
fn f32_tidy(v: Value) -> Value {
    match v {
        Value::Number(n) if n.is_f64() => {
            let x = n.as_f64().unwrap_or_default();
            let short: f64 = (x as f32).to_string().parse().unwrap_or(x);
            if short as f32 == x as f32 && (short - x).abs() < 1e-6 {
                serde_json::json!(short)
            } else {
                Value::Number(n)
            }
        }
        Value::Array(a) => Value::Array(a.into_iter().map(f32_tidy).collect()),
        Value::Object(m) => Value::Object(m.into_iter().map(|(k, v)| (k, f32_tidy(v))).collect()),
        v => v,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_listing_names_every_step_under_its_stage() {
        let out = list();
        for st in STEPS {
            let line = out
                .lines()
                .find(|l| l.starts_with(&format!("  {} ", st.key)))
                .unwrap_or_else(|| panic!("{} missing:\n{out}", st.key));
            assert!(line.len() > st.key.len() + 10, "no summary: {line}");
        }
        assert!(out.contains("dedup\n  exact_dedup"), "{out}");
    }

    #[test]
    fn a_step_shows_its_options_with_types_and_defaults() {
        let out = show("minhash").unwrap();
        let bands = out
            .lines()
            .find(|l| l.trim_start().starts_with("bands "))
            .unwrap();
        assert!(
            bands.contains("integer") && bands.ends_with(" 14"),
            "{bands}"
        );
        let unit = out
            .lines()
            .find(|l| l.trim_start().starts_with("zh_unit "))
            .unwrap();
        assert!(unit.contains("chars|words"), "{unit}");
        let e = show("minhsh").unwrap_err().to_string();
        assert!(e.contains("minhash"), "{e}");
    }

    /// The root README's stage table lists exactly the registered keys of each stage.
    #[test]
    fn readme_stage_table_matches_the_registry() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
        let readme = std::fs::read_to_string(path).unwrap();
        let mut groups: Vec<&str> = STEPS.iter().map(|s| s.group).collect();
        groups.dedup();
        for g in groups {
            let row = readme
                .lines()
                .find(|l| l.starts_with(&format!("| {g} |")))
                .unwrap_or_else(|| panic!("README.md has no `| {g} |` row in its stage table"));
            let cell = row.split('|').nth(2).unwrap_or("");
            let mut listed: Vec<&str> = cell.split('`').skip(1).step_by(2).collect();
            let mut registered: Vec<&str> = STEPS
                .iter()
                .filter(|s| s.group == g)
                .map(|s| s.key)
                .collect();
            listed.sort_unstable();
            registered.sort_unstable();
            assert_eq!(
                listed, registered,
                "README.md row `{g}` vs the step registry"
            );
        }
    }
}
