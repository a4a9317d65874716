//! skypile-ngram: CCNet-style n-gram language models and the `perplexity` step.
//!
//! - [`units`]: what a model counts per language (characters for Chinese, words otherwise).
//! - [`train`]: interpolated modified Kneser-Ney (or stupid back-off) with pruning.
//! - [`model`]: the loaded model (hashed n-grams, back-off scoring, checksummed binary file,
//!   loaded once per process).
//! - [`arpa`]: KenLM/SRILM ARPA files in; [`train::Trained::write_arpa`] writes them.
//! - [`calibrate`]: the fixed held-out split, generated junk and the choice of cut-offs.
//! - [`perplexity`]: the pipeline step (per-doc perplexity, thresholds or CCNet buckets).
//!
//! Hand-written rather than bound to KenLM: KenLM is C++ with Boost, its Rust bindings are
//! unmaintained, and the scoring half needed here is ~100 lines over a hash table.

pub mod arpa;
pub mod calibrate;
pub mod model;
pub mod perplexity;
mod table;
pub mod train;
pub mod units;

pub use model::Model;
pub use perplexity::{Perplexity, PerplexityConfig};
pub use train::{Smoothing, TrainConfig, Trained, train};
pub use units::Units;
