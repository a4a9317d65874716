//! skypile-fasttext: a supervised linear text classifier compatible with fastText.
//!
//! - [`model::Model`] reads fastText `.bin` and quantized `.ftz` classifiers (softmax, one-vs-all
//!   and hierarchical-softmax losses: DCLM-style quality classifiers, `lid.176`, GlotLID) and
//!   writes `.bin` files the Python `fasttext` package loads, with the same predictions.
//! - [`train::train`] trains one (word + word n-gram + character n-gram features hashed into
//!   buckets exactly as fastText hashes them), deterministically for a seed and thread count.
//! - [`quality::QualityModel`] is the `quality_model` pipeline step; [`tokens`] turns a doc
//!   into the token line a model sees (jieba words for Chinese).
//!
//! Hand-written rather than bound to the C++ library: no maintained pure-Rust crate reads and
//! writes the format, and a C++ build would add minutes and a toolchain to every build.

pub mod args;
pub mod dict;
mod io;
pub mod matrix;
pub mod model;
pub mod quality;
pub mod shared;
pub mod tokens;
pub mod train;

pub use args::{Args, Loss};
pub use model::Model;
pub use quality::{QualityModel, QualityModelConfig};
pub use tokens::{Tokens, doc_line};
pub use train::{Example, TrainOpts, train};
