//! The `quality_model` step: score docs with fastText classifiers, per language.
//!
//! - Each model writes `quality_<name>`: the probability of its positive `label` (as the
//!   Python `fasttext` package reports it, so thresholds from DCLM/FineWeb-style work carry
//!   over), and drops docs scoring below the threshold of their language (`action: drop`,
//!   reason `quality_<name>`), or only counts them (`action: flag`).
//! - Docs of a language without a threshold are not scored (null cell): a model trained on zh
//!   and en says nothing useful about Swahili.
//! - Models are loaded once per process and shared by every worker ([`crate::shared`]).
//! - The default model and how its thresholds were chosen: `models/README.md`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};
use skypile_core::{ColType, Column, Counters, Doc, Step, Verdict};

use crate::model::Model;
use crate::tokens::{Tokens, doc_line};

/// Score docs with fastText classifiers: one `quality_<name>` column per model, docs below their
/// language's threshold dropped (or flagged).
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct QualityModelConfig {
    /// The classifiers to apply, in order (default: the shipped `models/quality_zh_en.bin`).
    pub models: Vec<ModelSpec>,
}

impl Default for QualityModelConfig {
    /// The shipped model (`models/quality_zh_en.bin`, path relative to the working directory
    /// or the pipeline YAML) with the thresholds of `pipelines/skypile.yaml`.
    fn default() -> Self {
        QualityModelConfig {
            models: vec![ModelSpec {
                name: "skypile".into(),
                path: "models/quality_zh_en.bin".into(),
                thresholds: [("zh".to_string(), 0.2), ("en".to_string(), 0.2)].into(),
                ..Default::default()
            }],
        }
    }
}

pub use skypile_core::Action;

/// One classifier of `quality_model`.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ModelSpec {
    /// Column suffix and drop reason: `quality_<name>`.
    pub name: String,
    /// A fastText `.bin` or `.ftz`; relative paths resolve against the pipeline YAML.
    pub path: String,
    /// The label whose probability is the score (`hq`, or `__label__hq`).
    pub label: String,
    /// Minimum score per language code (`{zh: 0.5, en: 0.5}`).
    pub thresholds: BTreeMap<String, f32>,
    pub action: Action,
    /// How a doc becomes tokens; must match how the model was trained ([`crate::tokens`]).
    pub tokens: Tokens,
    /// Tokens read per doc (bounds the work on huge docs).
    pub max_words: usize,
}

impl Default for ModelSpec {
    fn default() -> Self {
        ModelSpec {
            name: String::new(),
            path: String::new(),
            label: "hq".into(),
            thresholds: BTreeMap::new(),
            action: Action::Drop,
            tokens: Tokens::Words,
            max_words: 2000,
        }
    }
}

impl QualityModelConfig {
    /// `resolve` maps a config path to a file (the runner's `BuildCtx::resolve`).
    pub fn build(&self, resolve: impl Fn(&str) -> PathBuf) -> Result<QualityModel> {
        if self.models.is_empty() {
            bail!("quality_model: list at least one model under `models:`");
        }
        let mut models = Vec::new();
        for spec in &self.models {
            if spec.name.is_empty()
                || !spec
                    .name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                bail!(
                    "quality_model: name {:?} must be letters, digits or _",
                    spec.name
                );
            }
            if let Some((l, t)) = spec
                .thresholds
                .iter()
                .find(|(_, t)| !(0.0..=1.0).contains(*t))
            {
                bail!(
                    "quality_model {}: threshold {t} for {l} is not in 0..1",
                    spec.name
                );
            }
            let model = crate::shared::load(&resolve(&spec.path))?;
            let Some(label) = model.dict.label_id(&spec.label) else {
                bail!(
                    "quality_model {}: label {:?} is not in {} (labels: {:?})",
                    spec.name,
                    spec.label,
                    spec.path,
                    model.labels()
                );
            };
            models.push(Scorer {
                column: format!("quality_{}", spec.name),
                spec: spec.clone(),
                label,
                model,
            });
        }
        Ok(QualityModel { models })
    }
}

struct Scorer {
    column: String,
    spec: ModelSpec,
    label: usize,
    model: Arc<Model>,
}

pub struct QualityModel {
    models: Vec<Scorer>,
}

impl QualityModel {
    /// Bytes of all loaded weight matrices (for `skypile plan`).
    pub fn mem_bytes(&self) -> usize {
        self.models.iter().map(|m| m.model.mem_bytes()).sum()
    }
}

impl Step for QualityModel {
    fn name(&self) -> &str {
        "quality_model"
    }

    fn columns(&self) -> Vec<Column> {
        let cols = self.models.iter();
        cols.map(|m| Column::new(&m.column, ColType::Float32))
            .collect()
    }

    fn process(&self, doc: &mut Doc, stats: &mut Counters) -> Verdict {
        for m in &self.models {
            let Some(&threshold) = m.spec.thresholds.get(&doc.lang) else {
                continue;
            };
            let line = doc_line(doc, m.spec.tokens, m.spec.max_words);
            let score = match m.model.predict_line(&line) {
                Some(p) => p[m.label],
                None => {
                    stats.inc("no_features");
                    0.0
                }
            };
            doc.set_meta(&m.column, score);
            if score < threshold {
                match m.spec.action {
                    Action::Drop => return Verdict::drop(m.column.clone()),
                    Action::Flag => stats.inc(&format!("flagged_{}", m.column)),
                }
            }
        }
        Verdict::Keep
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Args, TrainOpts};

    /// A tiny model: prose about rivers (hq) against cookie-banner words (lq).
    fn model_path(tag: &str) -> PathBuf {
        let good = "the river flows through the valley and farmers grow rice along its banks";
        let bad = "we use cookies to improve your experience accept all manage preferences";
        let examples = crate::train::toy_examples(&[("hq", good), ("lq", bad)], 80, 8..9, 2);
        let args = Args {
            dim: 8,
            epoch: 10,
            bucket: 1000,
            word_ngrams: 2,
            ..Args::default()
        };
        let opts = TrainOpts {
            args,
            lr: 0.5,
            ..Default::default()
        };
        let path = std::env::temp_dir().join(format!("skypile-q-{tag}-{}.bin", std::process::id()));
        crate::train(&examples, &opts).unwrap().save(&path).unwrap();
        path
    }

    fn spec(path: &std::path::Path, action: Action) -> QualityModelConfig {
        let thresholds = [("en".to_string(), 0.5)].into();
        let path = path.display().to_string();
        let name = "t".into();
        QualityModelConfig {
            models: vec![ModelSpec {
                name,
                path,
                thresholds,
                action,
                ..Default::default()
            }],
        }
    }

    fn doc(text: &str, lang: &str) -> Doc {
        let mut d = Doc::from_text("d", text);
        d.set_lang(lang, 1.0);
        d
    }

    #[test]
    fn scores_per_language_and_drops_or_flags_below_the_threshold() {
        let path = model_path("score");
        let step = spec(&path, Action::Drop)
            .build(|p| PathBuf::from(p))
            .unwrap();
        assert_eq!(
            step.columns(),
            vec![Column::new("quality_t", ColType::Float32)]
        );
        let mut stats = Counters::default();
        let mut good = doc("The farmers grow rice along the river banks.", "en");
        assert_eq!(step.process(&mut good, &mut stats), Verdict::Keep);
        assert!(good.meta_f64("quality_t").unwrap() > 0.5);
        let mut bad = doc("We use cookies. Accept all or manage preferences.", "en");
        assert_eq!(
            step.process(&mut bad, &mut stats),
            Verdict::drop("quality_t")
        );
        assert!(bad.meta_f64("quality_t").unwrap() < 0.5);
        // a language without a threshold is not scored
        let mut other = doc("We use cookies. Accept all or manage preferences.", "de");
        assert_eq!(step.process(&mut other, &mut stats), Verdict::Keep);
        assert_eq!(other.meta_f64("quality_t"), None);

        let flag = spec(&path, Action::Flag)
            .build(|p| PathBuf::from(p))
            .unwrap();
        let mut bad = doc("We use cookies. Accept all or manage preferences.", "en");
        assert_eq!(flag.process(&mut bad, &mut stats), Verdict::Keep);
        assert_eq!(stats.get("flagged_quality_t"), 1);
        let _ = std::fs::remove_file(path);
    }

    #[test]
    fn config_errors_name_the_problem() {
        let path = model_path("errors");
        let err = |c: QualityModelConfig| c.build(|p| PathBuf::from(p)).err().unwrap().to_string();
        let mut c = spec(&path, Action::Drop);
        c.models[0].label = "good".into();
        assert!(
            err(c).contains("\"hq\""),
            "the error lists the model's labels"
        );
        let mut c = spec(&path, Action::Drop);
        c.models[0].thresholds.insert("zh".into(), 1.5);
        assert!(err(c).contains("1.5"));
        let mut c = spec(&path, Action::Drop);
        c.models[0].path = "/nonexistent/model.bin".into();
        assert!(err(c).contains("model.bin"));
        assert!(err(QualityModelConfig { models: vec![] }).contains("models:"));
        let _ = std::fs::remove_file(path);
    }
}
