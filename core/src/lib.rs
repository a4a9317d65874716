//! skypile-core: the document model and the step contract shared by every skypile crate.

pub mod binfile;
pub mod binmap;
pub mod cpu;
pub mod doc;
pub mod doc_codec;
pub mod durable;
pub mod lease;
pub mod rng;
pub mod step;
pub mod testdata;
pub mod text;

pub use doc::{Doc, DocKey, Raw, Value};
pub use step::{
    Action, Applier, ColType, Collector, Column, Counters, GlobalStep, StageCtx, Step, Verdict,
};
