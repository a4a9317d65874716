//! The registry of pipeline steps: one YAML key per step, one config struct per step.
//!
//! In a pipeline YAML, `steps:` is a list of one-key maps, e.g.
//! ```yaml
//! steps:
//!   - extract: {favor: precision}
//!   - lang: {}
//!   - gopher_quality: {min_words: 50}
//! ```
//! Each variant's config struct lives in the crate that implements the step and uses
//! `#[serde(deny_unknown_fields, default)]`, so a typo is an error naming the key and line.

use std::path::PathBuf;

use anyhow::Result;
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

/// One entry of `steps:`. Keep the variants grouped by crate.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum StepConfig {
    // --- skypile-extract
    Extract(skypile_extract::ExtractConfig),
    // --- skypile-lang
    Lang(skypile_lang::LangConfig),
    LangFilter(skypile_lang::LangFilterConfig),
    ZhVariant(skypile_lang::ZhVariantConfig),
    Normalize(skypile_lang::NormalizeConfig),
    // --- skypile-filters
    Decontam(skypile_filters::decontam::DecontamConfig),
    GopherQuality(skypile_filters::gopher_quality::GopherQualityConfig),
    GopherRepetition(skypile_filters::gopher_repetition::GopherRepetitionConfig),
    C4(skypile_filters::c4::C4Config),
    Fineweb(skypile_filters::fineweb::FineWebConfig),
    ZhQuality(skypile_filters::zh_quality::ZhQualityConfig),
    Keywords(skypile_filters::keywords::KeywordsConfig),
    UrlFilter(skypile_filters::url_filter::UrlFilterConfig),
    Pii(skypile_filters::pii::PiiConfig),
    // --- skypile-fasttext
    QualityModel(skypile_fasttext::QualityModelConfig),
    // --- skypile-dedup
    ExactDedup(skypile_dedup::ExactDedupConfig),
    LineDedup(skypile_dedup::LineDedupConfig),
    Minhash(skypile_dedup::MinhashConfig),
}

impl StepConfig {
    pub fn build(&self, _ctx: &BuildCtx) -> Result<Built> {
        match self {
            // --- skypile-extract
            Self::Extract(c) => Ok(Built::Doc(Box::new(skypile_extract::Extract::new(
                c.clone(),
            )))),
            // --- skypile-lang
            Self::Lang(c) => Ok(Built::Doc(Box::new(c.build(|p| _ctx.resolve(p))?))),
            Self::LangFilter(c) => Ok(Built::Doc(Box::new(c.build()?))),
            Self::ZhVariant(c) => Ok(Built::Doc(Box::new(c.build()?))),
            Self::Normalize(c) => Ok(Built::Doc(Box::new(c.build()?))),
            // --- skypile-filters
            Self::Decontam(c) => Ok(Built::Doc(Box::new(c.build(|p| _ctx.resolve(p))?))),
            Self::GopherQuality(c) => Ok(Built::Doc(Box::new(
                skypile_filters::gopher_quality::GopherQuality::new(c.clone()),
            ))),
            Self::GopherRepetition(c) => Ok(Built::Doc(Box::new(
                skypile_filters::gopher_repetition::GopherRepetition::new(c.clone()),
            ))),
            Self::C4(c) => Ok(Built::Doc(Box::new(skypile_filters::c4::C4::new(
                c.clone(),
            )?))),
            Self::Fineweb(c) => Ok(Built::Doc(Box::new(
                skypile_filters::fineweb::FineWeb::new(c.clone()),
            ))),
            Self::ZhQuality(c) => Ok(Built::Doc(Box::new(
                skypile_filters::zh_quality::ZhQuality::new(c.clone()),
            ))),
            Self::Keywords(c) => Ok(Built::Doc(Box::new(
                skypile_filters::keywords::KeywordFilter::new(c.clone(), &|p| _ctx.resolve(p))?,
            ))),
            Self::UrlFilter(c) => Ok(Built::Doc(Box::new(
                skypile_filters::url_filter::UrlFilter::new(c.clone(), &|p| _ctx.resolve(p))?,
            ))),
            Self::Pii(c) => Ok(Built::Doc(Box::new(skypile_filters::pii::Pii::new(
                c.clone(),
            )?))),
            // --- skypile-fasttext
            Self::QualityModel(c) => Ok(Built::Doc(Box::new(c.build(|p| _ctx.resolve(p))?))),
            // --- skypile-dedup
            Self::ExactDedup(c) => Ok(Built::Global(Box::new(skypile_dedup::ExactDedup::new(
                c.clone(),
            )))),
            Self::LineDedup(c) => Ok(Built::Global(Box::new(skypile_dedup::LineDedup::new(
                c.clone(),
            )))),
            Self::Minhash(c) => Ok(Built::Global(Box::new(skypile_dedup::Minhash::new(
                c.clone(),
            )?))),
        }
    }

    /// The YAML key of this step (used in stats and error messages).
    pub fn key(&self) -> &'static str {
        match self {
            // --- skypile-extract
            Self::Extract(_) => "extract",
            // --- skypile-lang
            Self::Lang(_) => "lang",
            Self::LangFilter(_) => "lang_filter",
            Self::ZhVariant(_) => "zh_variant",
            Self::Normalize(_) => "normalize",
            // --- skypile-filters
            Self::Decontam(_) => "decontam",
            Self::GopherQuality(_) => "gopher_quality",
            Self::GopherRepetition(_) => "gopher_repetition",
            Self::C4(_) => "c4",
            Self::Fineweb(_) => "fineweb",
            Self::ZhQuality(_) => "zh_quality",
            Self::Keywords(_) => "keywords",
            Self::UrlFilter(_) => "url_filter",
            Self::Pii(_) => "pii",
            // --- skypile-fasttext
            Self::QualityModel(_) => "quality_model",
            // --- skypile-dedup
            Self::ExactDedup(_) => "exact_dedup",
            Self::LineDedup(_) => "line_dedup",
            Self::Minhash(_) => "minhash",
        }
    }
}
