//! The registry of pipeline steps: one line per step gives its YAML key, kind and builder.
//!
//! In a pipeline YAML, `steps:` is a list of one-key maps, e.g.
//! ```yaml
//! steps:
//!   - extract: {favor: precision}
//!   - lang: {}
//!   - gopher_quality: {min_words: 50}
//! ```
//! Each step's config struct lives in the crate that implements the step and uses
//! `#[serde(deny_unknown_fields, default)]`, so a typo is an error naming the key and line.
//!
//! Adding a step: write its file (config struct + step) in a crate, add one line to
//! [`registry!`] below and one row to that crate's README table. The macro generates the
//! config enum (its variants are the YAML keys, so serde's tag and [`StepConfig::key`] cannot
//! differ), the builder and the list [`STEPS`]; a test checks every key against `Step::name()`.

use std::path::PathBuf;

use anyhow::Result;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use skypile_core::{GlobalStep, Step};

/// What building a step from its config needs to know about the run.
#[derive(Debug, Clone, Default)]
pub struct BuildCtx {
    /// Directory of the pipeline YAML: relative paths in step configs (word lists, benchmark
    /// files, dictionaries) are resolved against it, then against the working directory.
    pub base_dir: PathBuf,
}

impl BuildCtx {
    /// Resolve a path from a config: as given if it exists, else relative to the YAML's folder.
    pub fn resolve(&self, p: &str) -> PathBuf {
        let path = PathBuf::from(p);
        if path.is_absolute() || path.exists() {
            path
        } else {
            self.base_dir.join(path)
        }
    }
}

pub enum Built {
    Doc(Box<dyn Step>),
    Global(Box<dyn GlobalStep>),
}

/// Whether a step streams docs one by one or needs the whole corpus first (splits stages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Doc,
    Global,
}

/// One registered step, for listings (`skypile steps`) and checks.
#[derive(Clone, Copy)]
pub struct StepInfo {
    /// The YAML key, also the step's `name()` and its stats prefix.
    pub key: &'static str,
    /// The stage of the pipeline it belongs to (the crate's area), for grouped listings.
    pub group: &'static str,
    pub kind: Kind,
    /// JSON Schema of its config struct: options, types, defaults and doc comments.
    pub schema: fn() -> schemars::Schema,
}

/// Generates [`StepConfig`], its `key()` and `build()`, and [`STEPS`] from one line per step:
/// `key: Doc|Global ConfigType => |cfg, resolve| constructor;` where the constructor returns
/// `anyhow::Result<impl Step>` (or `GlobalStep`) and `resolve` maps config paths to files.
macro_rules! registry {
    ($( $group:literal { $( $key:ident: $kind:ident $cfg:ty => |$c:ident, $r:ident| $build:expr; )* } )*) => {
        /// One entry of `steps:` (variants are the YAML keys; grouped by stage).
        #[allow(non_camel_case_types)]
        #[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
        #[serde(deny_unknown_fields)]
        pub enum StepConfig {
            $($( $key($cfg), )*)*
        }

        impl StepConfig {
            /// The YAML key of this step (used in stats and error messages).
            pub fn key(&self) -> &'static str {
                match self {
                    $($( Self::$key(_) => stringify!($key), )*)*
                }
            }

            pub fn build(&self, ctx: &BuildCtx) -> Result<Built> {
                let resolve = |p: &str| ctx.resolve(p);
                match self {
                    $($( Self::$key($c) => {
                        let $r: &dyn Fn(&str) -> PathBuf = &resolve;
                        let _ = $r;
                        let built: Result<_> = $build;
                        Ok(Built::$kind(Box::new(built?)))
                    } )*)*
                }
            }
        }

        /// Every registered step, in registry order.
        pub const STEPS: &[StepInfo] = &[
            $($( StepInfo {
                key: stringify!($key),
                group: $group,
                kind: Kind::$kind,
                schema: super::schema::of::<$cfg>,
            }, )*)*
        ];
    };
}

#[rustfmt::skip]
registry! {
    "extract" {
        extract: Doc skypile_extract::ExtractConfig => |c, _r| Ok(skypile_extract::Extract::new(c.clone()));
    }
    "language" {
        lang: Doc skypile_lang::LangConfig => |c, r| c.build(r);
        lang_filter: Doc skypile_lang::LangFilterConfig => |c, _r| c.build();
        zh_variant: Doc skypile_lang::ZhVariantConfig => |c, _r| c.build();
        normalize: Doc skypile_lang::NormalizeConfig => |c, _r| c.build();
    }
    "filters" {
        decontam: Doc skypile_filters::decontam::DecontamConfig => |c, r| c.build(r);
        gopher_quality: Doc skypile_filters::gopher_quality::GopherQualityConfig => |c, _r| Ok(skypile_filters::gopher_quality::GopherQuality::new(c.clone()));
        gopher_repetition: Doc skypile_filters::gopher_repetition::GopherRepetitionConfig => |c, _r| Ok(skypile_filters::gopher_repetition::GopherRepetition::new(c.clone()));
        c4: Doc skypile_filters::c4::C4Config => |c, _r| skypile_filters::c4::C4::new(c.clone());
        fineweb: Doc skypile_filters::fineweb::FineWebConfig => |c, _r| Ok(skypile_filters::fineweb::FineWeb::new(c.clone()));
        zh_quality: Doc skypile_filters::zh_quality::ZhQualityConfig => |c, _r| Ok(skypile_filters::zh_quality::ZhQuality::new(c.clone()));
        keywords: Doc skypile_filters::keywords::KeywordsConfig => |c, r| skypile_filters::keywords::KeywordFilter::new(c.clone(), r);
        url_filter: Doc skypile_filters::url_filter::UrlFilterConfig => |c, r| skypile_filters::url_filter::UrlFilter::new(c.clone(), r);
        pii: Doc skypile_filters::pii::PiiConfig => |c, _r| skypile_filters::pii::Pii::new(c.clone());
    }
    "model scores" {
        perplexity: Doc skypile_ngram::PerplexityConfig => |c, r| c.build(r);
        quality_model: Doc skypile_fasttext::QualityModelConfig => |c, r| c.build(r);
    }
    "dedup" {
        exact_dedup: Global skypile_dedup::ExactDedupConfig => |c, _r| Ok(skypile_dedup::ExactDedup::new(c.clone()));
        line_dedup: Global skypile_dedup::LineDedupConfig => |c, _r| Ok(skypile_dedup::LineDedup::new(c.clone()));
        url_dedup: Global skypile_dedup::UrlDedupConfig => |c, _r| Ok(skypile_dedup::UrlDedup::new(c.clone()));
        minhash: Global skypile_dedup::MinhashConfig => |c, _r| skypile_dedup::Minhash::new(c.clone());
    }
}

/// The registered step with YAML key `key`.
pub fn info(key: &str) -> Option<&'static StepInfo> {
    STEPS.iter().find(|s| s.key == key)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The repo root: default configs name word lists relative to it.
    fn ctx() -> BuildCtx {
        BuildCtx {
            base_dir: PathBuf::from(env!("CARGO_MANIFEST_DIR")),
        }
    }

    #[test]
    fn every_serde_tag_and_key_is_the_built_steps_name() {
        for s in STEPS {
            // every option at its default, as `- key: {}` in a YAML
            let cfg: StepConfig = serde_json::from_value(serde_json::json!({ s.key: {} })).unwrap();
            let json = serde_json::to_value(&cfg).unwrap();
            let tag = json.as_object().and_then(|o| o.keys().next()).unwrap();
            assert_eq!((tag.as_str(), cfg.key()), (s.key, s.key));
            let name = match cfg.build(&ctx()) {
                Ok(Built::Doc(st)) => {
                    assert_eq!(s.kind, Kind::Doc, "{}", s.key);
                    st.name().to_string()
                }
                Ok(Built::Global(st)) => {
                    assert_eq!(s.kind, Kind::Global, "{}", s.key);
                    st.name().to_string()
                }
                Err(e) => panic!("step `{}` does not build with its defaults: {e:#}", s.key),
            };
            assert_eq!(name, s.key, "Step::name() of `{}`", s.key);
        }
    }

    #[test]
    fn keys_are_unique_and_parse_back() {
        let mut keys: Vec<&str> = STEPS.iter().map(|s| s.key).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), STEPS.len());
        let yaml = format!("- {}: {{}}\n", STEPS[STEPS.len() - 1].key);
        let parsed: Vec<StepConfig> = serde_saphyr::from_str(&yaml).unwrap();
        assert_eq!(parsed[0].key(), STEPS[STEPS.len() - 1].key);
        assert!(serde_saphyr::from_str::<Vec<StepConfig>>("- no_such_step: {}\n").is_err());
    }
}
