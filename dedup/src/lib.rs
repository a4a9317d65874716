//! skypile-dedup: corpus-wide dedup steps (exact, URL, recurrent lines, MinHash LSH).
//!
//! Every step is a [`skypile_core::GlobalStep`]: docs are observed per task, reduce stages
//! exchange flat checksummed files (`skypile_core::binfile`) under the step's work dir, and an
//! applier per task turns the decisions into verdicts. Results depend only on the set of docs
//! and their [`skypile_core::DocKey`]s, never on the task or rank count.

pub mod cluster;
pub mod exact;
pub mod files;
pub mod harness;
pub mod lines;
pub mod minhash;
pub mod plan;
pub mod url;
pub mod urlkey;

pub use exact::{ExactDedup, ExactDedupConfig};
pub use lines::{LineDedup, LineDedupConfig};
pub use minhash::{Minhash, MinhashConfig, ZhUnit, estimate_memory, s_curve};
pub use url::{KeepRule, UrlDedup, UrlDedupConfig};
