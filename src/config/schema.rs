//! Schema helpers for the pipeline YAML's JSON Schema (`skypile schema`, `skypile steps`).
//!
//! - Step and section schemas come from the config structs (schemars reads their doc comments
//!   and, through `#[serde(default)]`, their defaults), so the schema cannot drift from the code.
//! - A section whose type has no `JsonSchema` gets one from its serialised default
//!   ([`from_default`]): property names, JSON types and defaults, without docs.

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Serialize;
use serde_json::{Map, Value};

/// A closed object schema whose properties are `T::default()`'s fields, typed by their values.
pub fn from_default<T: Serialize + Default>(_: &mut SchemaGenerator) -> Schema {
    let props: Map<String, Value> = match serde_json::to_value(T::default()) {
        Ok(Value::Object(m)) => m
            .into_iter()
            .map(|(k, v)| {
                let mut p = Map::new();
                if let Some(t) = json_type(&v) {
                    p.insert("type".into(), t.into());
                }
                p.insert("default".into(), v);
                (k, Value::Object(p))
            })
            .collect(),
        _ => Map::new(),
    };
    json_schema!({
        "type": "object",
        "properties": props,
        "additionalProperties": false,
    })
}

/// The JSON type of a value; `None` for null (an unset option may hold any type).
fn json_type(v: &Value) -> Option<&'static str> {
    Some(match v {
        Value::Null => return None,
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_f64() => "number",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    })
}

/// The schema of one type, for callers that only have the type (the step registry).
pub fn of<T: JsonSchema>() -> Schema {
    schemars::schema_for!(T)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_step_key_is_a_choice_of_steps_in_the_pipeline_schema() {
        let v = of::<super::super::Pipeline>().to_value();
        let s = v.to_string();
        for st in super::super::steps::STEPS {
            assert!(s.contains(&format!("\"{}\"", st.key)), "{}", st.key);
        }
        assert_eq!(v["additionalProperties"], false);
        assert_eq!(
            v["properties"]["tokenizer"]["properties"]["encoding"]["default"],
            "cl100k_base"
        );
    }
}
