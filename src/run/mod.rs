//! Running a pipeline: the stage plan, the runner over stages x ranks, one docs stage
//! (reader thread -> steps in a pool -> sinks), progress and per-rank logs.

pub(crate) mod claim;
pub(crate) mod docstage;
pub(crate) mod logging;
mod passes;
mod progress;
mod reader;
pub(crate) mod runner;
pub(crate) mod stages;

pub(crate) use passes::guarded;
pub(crate) use progress::set_quiet;
pub(crate) use reader::{BATCH_BYTES, BATCH_DOCS, doc_bytes};
pub(crate) use runner::{RunOpts, run};
