//! `--set key.path=value`: override any key of a pipeline YAML from the command line.
//!
//! - The YAML is read as a tree, the keys are set, then the tree is deserialised into the
//!   pipeline as usual, so every check (unknown keys, types, ranges) still applies.
//! - In `steps`, a path segment is a step's YAML key (`steps.c4.min_words`: the first `c4` step)
//!   or its position (`steps.5.c4.min_words`, 0-based).
//! - A value is read as YAML (`3`, `true`, `[a, b]`, `{x: 1}`); anything else is a string.

use anyhow::{Result, bail};
use serde_json::Value;

/// Apply `KEY=VALUE` overrides to a YAML tree.
pub fn apply(tree: &mut Value, sets: &[String]) -> Result<()> {
    for s in sets {
        let Some((key, raw)) = s.split_once('=') else {
            bail!("--set {s}: expected KEY=VALUE, e.g. --set output.format=jsonl");
        };
        let value = serde_saphyr::from_str::<Value>(raw)
            .ok()
            .filter(|v| !v.is_null() || raw.trim().is_empty() || raw.trim() == "null")
            .unwrap_or_else(|| Value::String(raw.to_string()));
        let parts: Vec<&str> = key.split('.').filter(|p| !p.is_empty()).collect();
        if parts.is_empty() {
            bail!("--set {s}: empty key");
        }
        set(tree, &parts, value).map_err(|e| anyhow::anyhow!("--set {s}: {e}"))?;
    }
    Ok(())
}

fn set(node: &mut Value, parts: &[&str], value: Value) -> Result<()> {
    let (head, rest) = (parts[0], &parts[1..]);
    if node.is_null() {
        *node = Value::Object(Default::default());
    }
    let child = match node {
        Value::Object(m) => {
            if rest.is_empty() {
                m.insert(head.to_string(), value);
                return Ok(());
            }
            m.entry(head.to_string()).or_insert(Value::Null)
        }
        Value::Array(items) => {
            // a list of one-key maps (`steps:`): by position, or by the first item with that key
            let i = match head.parse::<usize>() {
                Ok(i) if i < items.len() => i,
                Ok(i) => bail!("index {i} is past the end of a list of {}", items.len()),
                Err(_) => match items.iter().position(|it| it.get(head).is_some()) {
                    Some(i) => {
                        // `steps.c4.x` names the item by its key: descend into the item itself
                        return set(&mut items[i], parts, value);
                    }
                    None => bail!("no item `{head}` in the list"),
                },
            };
            if rest.is_empty() {
                items[i] = value;
                return Ok(());
            }
            &mut items[i]
        }
        _ => bail!("`{head}` is below a value that is not a map or a list"),
    };
    set(child, rest, value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> Value {
        serde_saphyr::from_str(
            "tasks: 2\noutput: {dir: o}\nsteps:\n  - lang: {}\n  - c4: {min_words: 5}\n",
        )
        .unwrap()
    }

    #[test]
    fn sets_scalars_nested_keys_and_steps_by_key_or_position() {
        let mut t = tree();
        apply(
            &mut t,
            &[
                "tasks=4".into(),
                "output.format=jsonl".into(),
                "steps.c4.min_words=3".into(),
                "steps.0.lang.model=m.bin".into(),
                "name=my run".into(),
            ],
        )
        .unwrap();
        assert_eq!(t["tasks"], 4);
        assert_eq!(t["output"]["format"], "jsonl");
        assert_eq!(t["output"]["dir"], "o");
        assert_eq!(t["steps"][1]["c4"]["min_words"], 3);
        assert_eq!(t["steps"][0]["lang"]["model"], "m.bin");
        assert_eq!(t["name"], "my run");
    }

    #[test]
    fn bad_overrides_say_why() {
        let mut t = tree();
        let e = apply(&mut t, &["tasks".into()]).unwrap_err().to_string();
        assert!(e.contains("KEY=VALUE"), "{e}");
        let e = apply(&mut t, &["steps.minhash.bands=3".into()])
            .unwrap_err()
            .to_string();
        assert!(e.contains("no item `minhash`"), "{e}");
        let e = apply(&mut t, &["steps.9.x=1".into()])
            .unwrap_err()
            .to_string();
        assert!(e.contains("past the end"), "{e}");
    }
}
