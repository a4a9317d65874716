//! `perplexity`: score each doc with its language's n-gram model, as CCNet does (Wenzek et al.
//! 2020, "CCNet: Extracting High Quality Monolingual Datasets from Web Crawl Data", §3.3).
//!
//! - Column `perplexity`: 10^(-Σ log10 P / units) over the doc's lines, each line a sentence
//!   with `</s>` counted (CCNet's definition). Only the first `max_bytes` bytes are scored, so
//!   the work per doc is bounded and linear.
//! - `max_perplexity: {lang: cut}`: docs above the cut are dropped (`dropped_perplexity`) or,
//!   with `action: flag`, kept with `perplexity_high: true`. The shipped cut-offs come from
//!   `skypile train lm --calibrate` on held-out text (see models/README.md).
//! - `max_ratio: {lang: cut}`: the same on `perplexity_ratio`, the perplexity over the model's
//!   unigram perplexity of the same units. Salad made of a text's own characters or words has
//!   its unigram perplexity but gains little from context; real text gains a lot, and text off
//!   the training domain (rarer words) rises in both, so the ratio moves less with domain than
//!   the raw perplexity. The shipped pipeline uses it (numbers in models/README.md).
//! - `buckets: {lang: [head, middle]}`: CCNet's head/middle/tail label in `perplexity_bucket`
//!   (CCNet cuts at the 30th and 60th percentiles of its per-language sample).
//! - Docs of a language without a model, or with no units, pass untouched (`no_model`,
//!   `no_units`). Models are loaded once per process and shared by every worker.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use skypile_core::{ColType, Column, Counters, Doc, Step, Verdict};

use crate::model::Model;

pub use skypile_core::Action;

/// CCNet-style n-gram perplexity per language: a score column and per-language cut-offs.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct PerplexityConfig {
    /// Language code -> model file (`skypile train lm` output).
    pub models: BTreeMap<String, String>,
    /// Language code -> highest perplexity kept.
    pub max_perplexity: BTreeMap<String, f64>,
    /// Language code -> highest `perplexity_ratio` kept (perplexity over the model's unigram
    /// perplexity; separates salad of real characters from real text better, see models/README.md).
    pub max_ratio: BTreeMap<String, f64>,
    /// Language code -> [head, middle] upper bounds of CCNet's buckets.
    pub buckets: BTreeMap<String, [f64; 2]>,
    /// At most this many bytes of a doc are scored (a deterministic work bound).
    pub max_bytes: usize,
    pub action: Action,
}

impl Default for PerplexityConfig {
    fn default() -> Self {
        PerplexityConfig {
            models: BTreeMap::new(),
            max_perplexity: BTreeMap::new(),
            max_ratio: BTreeMap::new(),
            buckets: BTreeMap::new(),
            // ~3k Chinese characters or ~3k English words: enough for a stable estimate.
            max_bytes: 10_000,
            action: Action::Drop,
        }
    }
}

impl PerplexityConfig {
    /// Load every model (once per process); `resolve` turns config paths into files.
    pub fn build(&self, resolve: impl Fn(&str) -> PathBuf) -> anyhow::Result<Perplexity> {
        let mut models = BTreeMap::new();
        for (lang, p) in &self.models {
            models.insert(lang.clone(), Model::load_shared(&resolve(p))?);
        }
        for lang in self
            .max_perplexity
            .keys()
            .chain(self.max_ratio.keys())
            .chain(self.buckets.keys())
        {
            if !models.contains_key(lang) {
                anyhow::bail!(
                    "perplexity: a cut-off is set for `{lang}` but `models` has no `{lang}` model; add one"
                );
            }
        }
        Ok(Perplexity {
            cfg: self.clone(),
            models,
        })
    }
}

pub struct Perplexity {
    cfg: PerplexityConfig,
    models: BTreeMap<String, Arc<Model>>,
}

impl Perplexity {
    /// Bytes of every loaded model (for plans and stats).
    pub fn memory_bytes(&self) -> u64 {
        self.models.values().map(|m| m.memory_bytes()).sum()
    }

    fn model(&self, lang: &str) -> Option<(&str, &Model)> {
        let base = lang.split(['-', '_']).next().unwrap_or("");
        [lang, base]
            .into_iter()
            .find_map(|l| self.models.get_key_value(l))
            .map(|(l, m)| (l.as_str(), m.as_ref()))
    }
}

impl Step for Perplexity {
    fn name(&self) -> &str {
        "perplexity"
    }

    fn columns(&self) -> Vec<Column> {
        let mut c = vec![
            Column::new("perplexity", ColType::Float32),
            Column::new("perplexity_ratio", ColType::Float32),
        ];
        if !self.cfg.buckets.is_empty() {
            c.push(Column::new("perplexity_bucket", ColType::Utf8));
        }
        if self.cfg.action == Action::Flag {
            c.push(Column::new("perplexity_high", ColType::Bool));
        }
        c
    }

    fn process(&self, doc: &mut Doc, stats: &mut Counters) -> Verdict {
        stats.set_max("max_model_bytes", self.memory_bytes());
        let Some((lang, model)) = self.model(&doc.lang) else {
            stats.inc("no_model");
            return Verdict::Keep;
        };
        let Some(score) = model.score(doc.text(), self.cfg.max_bytes) else {
            stats.inc("no_units");
            return Verdict::Keep;
        };
        let (ppl, ratio) = (score.perplexity, score.ratio());
        doc.set_meta("perplexity", ppl);
        doc.set_meta("perplexity_ratio", ratio);
        if let Some([head, middle]) = self.cfg.buckets.get(lang) {
            let b = if ppl <= *head {
                "head"
            } else if ppl <= *middle {
                "middle"
            } else {
                "tail"
            };
            doc.set_meta("perplexity_bucket", b);
        }
        let high = self.cfg.max_perplexity.get(lang).is_some_and(|&m| ppl > m)
            || self.cfg.max_ratio.get(lang).is_some_and(|&m| ratio > m);
        match self.cfg.action {
            Action::Flag => {
                doc.set_meta("perplexity_high", high);
                Verdict::Keep
            }
            Action::Drop if high => Verdict::drop("perplexity"),
            Action::Drop => Verdict::Keep,
        }
    }
}
