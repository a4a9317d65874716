//! Thresholds keyed by language, shared by every filter.
//!
//! In YAML a filter's `thresholds:` is a map from ISO 639-1 code (or `default`) to a partial
//! threshold struct:
//! ```yaml
//! gopher_quality:
//!   thresholds:
//!     default: {min_doc_words: 80}   # every language, unless overridden below
//!     zh: {min_avg_word_length: 1.2}
//! ```
//! A language resolves as `T::default()` ⊕ user `default` ⊕ built-in overrides for that
//! language ⊕ user section for that language, so a user can change one field of `zh` without
//! restating the others, and a change to `default` reaches `zh` except where zh differs on
//! purpose (e.g. word lengths measured in jieba words). Typos are still errors: the merged
//! object is deserialized into `T`, which denies unknown fields.

use std::collections::BTreeMap;

use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value as Json;

/// A threshold struct with built-in per-language deviations from its `Default`.
pub trait LangThresholds: Clone + Default + Serialize + DeserializeOwned {
    /// Fields that differ from `default` for `lang`, as a JSON object; `None` if none.
    fn lang_overrides(_lang: &str) -> Option<Json> {
        None
    }
}

/// Languages with built-in sections (always present after resolution).
const BUILTIN_LANGS: &[&str] = &["en", "zh"];

/// Resolved thresholds: one full `T` per configured language plus the default.
#[derive(Debug, Clone)]
pub struct ByLang<T> {
    default: T,
    langs: BTreeMap<String, T>,
}

/// In a schema (`skypile schema`): a map from language (or `default`) to a partial `T`.
impl<T: schemars::JsonSchema> schemars::JsonSchema for ByLang<T> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        format!("ByLang_{}", T::schema_name()).into()
    }

    fn json_schema(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "object",
            "description": "Per language (ISO 639-1 code or `default`): the fields to change; \
                the others keep their built-in value for that language.",
            "additionalProperties": g.subschema_for::<T>(),
        })
    }
}

impl<T: LangThresholds> ByLang<T> {
    /// Thresholds for a doc language: exact code, then its base (`zh-Hant` → `zh`), then default.
    pub fn get(&self, lang: &str) -> &T {
        if let Some(t) = self.langs.get(lang) {
            return t;
        }
        let base = lang.split(['-', '_']).next().unwrap_or(lang);
        self.langs.get(base).unwrap_or(&self.default)
    }

    /// Every resolved section (default first): for declaring per-threshold columns up front.
    pub fn all(&self) -> impl Iterator<Item = &T> {
        std::iter::once(&self.default).chain(self.langs.values())
    }

    fn resolve(user: BTreeMap<String, Json>) -> Result<Self, String> {
        let mut base = to_object(&T::default())?;
        if let Some(d) = user.get("default") {
            overlay(&mut base, d, "default")?;
        }
        let default: T = from_object(&base, "default")?;
        let mut names: Vec<&str> = BUILTIN_LANGS.to_vec();
        names.extend(user.keys().map(String::as_str).filter(|k| *k != "default"));
        let mut langs = BTreeMap::new();
        for lang in names {
            let mut obj = base.clone();
            if let Some(o) = T::lang_overrides(lang) {
                overlay(&mut obj, &o, lang)?;
            }
            if let Some(u) = user.get(lang) {
                overlay(&mut obj, u, lang)?;
            }
            langs.insert(lang.to_string(), from_object(&obj, lang)?);
        }
        Ok(ByLang { default, langs })
    }
}

fn to_object<T: Serialize>(t: &T) -> Result<serde_json::Map<String, Json>, String> {
    match serde_json::to_value(t) {
        Ok(Json::Object(m)) => Ok(m),
        Ok(_) => Err("thresholds must be a struct".into()),
        Err(e) => Err(e.to_string()),
    }
}

fn overlay(
    base: &mut serde_json::Map<String, Json>,
    over: &Json,
    lang: &str,
) -> Result<(), String> {
    match over {
        Json::Object(m) => {
            for (k, v) in m {
                base.insert(k.clone(), v.clone());
            }
            Ok(())
        }
        Json::Null => Ok(()),
        _ => Err(format!(
            "thresholds.{lang} must be a map of threshold names to values"
        )),
    }
}

fn from_object<T: DeserializeOwned>(
    obj: &serde_json::Map<String, Json>,
    lang: &str,
) -> Result<T, String> {
    serde_json::from_value(Json::Object(obj.clone())).map_err(|e| format!("thresholds.{lang}: {e}"))
}

impl<T: LangThresholds> Default for ByLang<T> {
    fn default() -> Self {
        // Built-in overrides are written by us and covered by tests; fall back to plain defaults.
        Self::resolve(BTreeMap::new()).unwrap_or_else(|_| ByLang {
            default: T::default(),
            langs: BTreeMap::new(),
        })
    }
}

impl<'de, T: LangThresholds> Deserialize<'de> for ByLang<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let user = BTreeMap::<String, Json>::deserialize(d)?;
        Self::resolve(user).map_err(D::Error::custom)
    }
}

impl<T: LangThresholds> Serialize for ByLang<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut all: BTreeMap<&str, &T> = self.langs.iter().map(|(k, v)| (k.as_str(), v)).collect();
        all.insert("default", &self.default);
        all.serialize(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields, default)]
    struct T {
        a: f64,
        b: usize,
    }
    impl Default for T {
        fn default() -> Self {
            T { a: 1.0, b: 10 }
        }
    }
    impl LangThresholds for T {
        fn lang_overrides(lang: &str) -> Option<Json> {
            (lang == "zh").then(|| serde_json::json!({"a": 0.5}))
        }
    }

    #[test]
    fn defaults_have_builtin_zh() {
        let b = ByLang::<T>::default();
        assert_eq!(b.get("en"), &T { a: 1.0, b: 10 });
        assert_eq!(b.get("zh"), &T { a: 0.5, b: 10 });
        assert_eq!(b.get("zh-Hant"), &T { a: 0.5, b: 10 });
        assert_eq!(b.get(""), &T { a: 1.0, b: 10 });
    }

    #[test]
    fn user_default_reaches_builtin_langs_and_partial_sections_merge() {
        let b: ByLang<T> =
            serde_json::from_str(r#"{"default": {"b": 3}, "fr": {"a": 2}}"#).unwrap();
        assert_eq!(b.get("zh"), &T { a: 0.5, b: 3 });
        assert_eq!(b.get("fr"), &T { a: 2.0, b: 3 });
        assert_eq!(b.get("de"), &T { a: 1.0, b: 3 });
    }

    #[test]
    fn typo_is_an_error_naming_the_language() {
        let e = serde_json::from_str::<ByLang<T>>(r#"{"zh": {"aa": 2}}"#).unwrap_err();
        assert!(e.to_string().contains("thresholds.zh"), "{e}");
    }
}
