//! The `lang_filter` step: keep only the configured languages, each above its own minimum score.
//!
//! Per-language thresholds follow FineWeb (fastText `en` ≥ 0.65) and CCNet/SkyPile practice of a
//! lower bar for Chinese, whose pages mix in more Latin (brand names, code, URLs). Our score is
//! "whatlang confidence × share of the text in that language's script" (see [`crate::detect`]),
//! so `zh: 0.5` keeps pages that are at least half Chinese by weighted text.
//! Needs the `lang` step earlier in the pipeline; an unlabelled doc counts as `und`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use skypile_core::{Counters, Doc, Step, Verdict};

/// Keeps the configured languages, each above its own score.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct LangFilterConfig {
    /// Language code → minimum `lang_score`. Languages not listed are dropped (`dropped_lang`).
    pub languages: BTreeMap<String, f32>,
}

impl Default for LangFilterConfig {
    fn default() -> Self {
        LangFilterConfig {
            languages: [("zh".to_string(), 0.5), ("en".to_string(), 0.65)].into(),
        }
    }
}

impl LangFilterConfig {
    pub fn build(&self) -> anyhow::Result<LangFilter> {
        if let Some((code, s)) = self
            .languages
            .iter()
            .find(|(_, s)| !(0.0..=1.0).contains(*s))
        {
            anyhow::bail!("lang_filter: min score for {code:?} must be in 0..=1, got {s}");
        }
        Ok(LangFilter {
            languages: self.languages.clone(),
        })
    }
}

pub struct LangFilter {
    languages: BTreeMap<String, f32>,
}

impl Step for LangFilter {
    fn name(&self) -> &str {
        "lang_filter"
    }

    fn process(&self, doc: &mut Doc, stats: &mut Counters) -> Verdict {
        let lang = if doc.lang.is_empty() {
            "und"
        } else {
            doc.lang.as_str()
        };
        match self.languages.get(lang) {
            Some(&min) if doc.lang_score >= min => Verdict::Keep,
            Some(_) => {
                stats.inc("lang_low_score");
                Verdict::drop("lang")
            }
            None => Verdict::drop("lang"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(lang: &str, score: f32) -> Doc {
        let mut d = Doc::from_text("t", "x");
        d.set_lang(lang, score);
        d
    }

    #[test]
    fn keeps_configured_languages_above_their_threshold() {
        let f = LangFilterConfig::default().build().unwrap();
        let mut st = Counters::default();
        assert!(f.process(&mut doc("zh", 0.55), &mut st).is_keep());
        assert!(f.process(&mut doc("en", 0.9), &mut st).is_keep());
        assert_eq!(
            f.process(&mut doc("en", 0.6), &mut st),
            Verdict::drop("lang")
        );
        assert_eq!(
            f.process(&mut doc("ja", 1.0), &mut st),
            Verdict::drop("lang")
        );
        assert_eq!(
            f.process(&mut Doc::from_text("t", "unlabelled"), &mut st),
            Verdict::drop("lang")
        );
        assert_eq!(st.get("lang_low_score"), 1);
    }

    #[test]
    fn rejects_scores_outside_unit_range() {
        let cfg = LangFilterConfig {
            languages: [("en".to_string(), 65.0)].into(),
        };
        assert!(cfg.build().is_err());
    }
}
