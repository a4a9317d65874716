//! The step contract.
//!
//! A [`Step`] looks at one document at a time and returns [`Verdict::Keep`] or
//! [`Verdict::Drop`] with a reason. The runner (in the `skypile` crate) wraps every step with
//! the same bookkeeping: it counts docs in/kept/`dropped_<reason>`, times the step and routes
//! dropped docs to the optional `removed/` writer. Steps never do that themselves.
//!
//! A [`GlobalStep`] (dedup, decontamination indexes) needs to see the whole corpus before it can
//! decide on one doc. The runner splits the pipeline at each global step: every task first
//! *observes* its docs (in parallel, pure) and streams the observations to a per-task
//! [`Collector`]; then the step's *reduce stages* run (each with its own number of ranks, so a
//! cluster can run them as job arrays); then every task *applies* the decisions to its docs.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::doc::{Doc, DocKey};

#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Keep,
    /// The reason is a short snake_case name; stats count it as `dropped_<reason>`.
    Drop(String),
}

impl Verdict {
    pub fn drop(reason: impl Into<String>) -> Self {
        Verdict::Drop(reason.into())
    }
    pub fn is_keep(&self) -> bool {
        matches!(self, Verdict::Keep)
    }
}

/// Named counters, merged by addition — except keys starting with `max_`, which are gauges
/// (an index size, a peak) merged by maximum, so they stay right however many ranks or
/// processes report them. Deterministic order (BTreeMap) so stats files diff well.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Counters(pub BTreeMap<String, u64>);

impl Counters {
    pub fn add(&mut self, key: &str, n: u64) {
        if let Some(v) = self.0.get_mut(key) {
            *v += n;
        } else {
            self.0.insert(key.to_string(), n);
        }
    }
    pub fn inc(&mut self, key: &str) {
        self.add(key, 1)
    }
    pub fn get(&self, key: &str) -> u64 {
        self.0.get(key).copied().unwrap_or(0)
    }
    pub fn merge(&mut self, other: &Counters) {
        for (k, v) in &other.0 {
            self.merge_one(k, *v);
        }
    }
    /// Merge one value: by maximum for a gauge (last `.`-segment starts with `max_`), else sum.
    pub fn merge_one(&mut self, key: &str, v: u64) {
        if key
            .rsplit('.')
            .next()
            .is_some_and(|last| last.starts_with("max_"))
        {
            self.set_max(key, v);
        } else {
            self.add(key, v);
        }
    }
    /// Record a gauge (`key` must start with `max_`): keeps the largest value seen.
    pub fn set_max(&mut self, key: &str, v: u64) {
        let e = self.0.entry(key.to_string()).or_insert(0);
        *e = (*e).max(v);
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_sum_but_gauges_take_the_max() {
        let mut a = Counters::default();
        a.add("docs", 2);
        a.set_max("max_index_bytes", 100);
        let mut b = Counters::default();
        b.add("docs", 3);
        b.set_max("max_index_bytes", 100);
        a.merge(&b);
        assert_eq!((a.get("docs"), a.get("max_index_bytes")), (5, 100));
        a.merge_one("03.decontam.max_index_bytes", 7);
        a.merge_one("03.decontam.max_index_bytes", 7);
        assert_eq!(a.get("03.decontam.max_index_bytes"), 7);
    }
}

/// Parquet type of a metadata column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ColType {
    Bool,
    Int64,
    Float32,
    Float64,
    Utf8,
}

/// A column a step writes into `Doc::meta`. The output schema is the base columns plus the
/// union of every configured step's columns, so all shards of a run share one explicit schema.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Column {
    pub name: String,
    pub ty: ColType,
}

impl Column {
    pub fn new(name: impl Into<String>, ty: ColType) -> Self {
        Column {
            name: name.into(),
            ty,
        }
    }
}

pub trait Step: Send + Sync {
    /// Stable name used in stats (`<name>.dropped_<reason>`) and logs.
    fn name(&self) -> &str;

    /// Metadata columns this step may set.
    fn columns(&self) -> Vec<Column> {
        Vec::new()
    }

    /// Look at (and possibly rewrite) one doc. `stats` collects step-specific counters
    /// (e.g. `pii_email`); the runner adds in/kept/dropped counts itself.
    fn process(&self, doc: &mut Doc, stats: &mut Counters) -> Verdict;
}

/// Where a task of a global step keeps its intermediate files, and who it is.
#[derive(Debug, Clone)]
pub struct StageCtx {
    /// `OUTPUT/work/<step-index>-<step-name>/`; created by the runner.
    pub dir: PathBuf,
    /// Rank of this task and the number of tasks of the *document* stages.
    pub task: usize,
    pub tasks: usize,
    /// Worker threads available to this task (reduce stages may use rayon with this many).
    pub workers: usize,
    /// Hash of the step's config: intermediates written under another config are refused.
    pub config_hash: u64,
}

pub trait Collector: Send {
    fn push(&mut self, key: DocKey, observation: Vec<u8>) -> anyhow::Result<()>;
    /// Flush and atomically publish the task's intermediate files.
    fn finish(self: Box<Self>) -> anyhow::Result<()>;
}

pub trait Applier: Send + Sync {
    fn apply(&self, key: DocKey, doc: &mut Doc, stats: &mut Counters) -> Verdict;
    /// The drop reason when the key alone decides that `apply` drops the doc.
    /// - Lets the stage skip decoding such a doc's text when `removed/` is not written (a
    ///   MinHash dedup drops most of a duplicate-heavy crawl).
    /// - Must agree with `apply`; the stage uses this reason instead of calling `apply`.
    /// - Default: `None`, the doc is always read and `apply`ed.
    fn drops_key(&self, key: DocKey) -> Option<&'static str> {
        let _ = key;
        None
    }
}

pub trait GlobalStep: Send + Sync {
    fn name(&self) -> &str;
    fn columns(&self) -> Vec<Column> {
        Vec::new()
    }
    /// Hash of everything in the config that changes intermediates.
    fn config_hash(&self) -> u64;
    /// Per-doc observation (signature, hashes). Pure, runs in parallel.
    fn observe(&self, doc: &Doc) -> Vec<u8>;
    /// One collector per task; it receives observations in the task's deterministic doc order.
    fn collector(&self, ctx: &StageCtx) -> anyhow::Result<Box<dyn Collector>>;
    /// Names of the reduce stages, in order, with their rank count (given the doc task count).
    fn reduce_stages(&self, tasks: usize) -> Vec<(String, usize)>;
    /// Run one rank of one reduce stage. `ctx.task`/`ctx.tasks` are that stage's rank/count.
    fn reduce(&self, stage: &str, ctx: &StageCtx) -> anyhow::Result<Counters>;
    /// Load what task `ctx.task` needs to apply the decisions.
    fn applier(&self, ctx: &StageCtx) -> anyhow::Result<Box<dyn Applier>>;

    /// Bytes the collectors of all tasks write for `docs` docs of `text_bytes` text each
    /// (for `skypile plan`). Default: a 16-byte hash and a 16-byte key per doc.
    fn observation_bytes(&self, docs: u64, text_bytes: f64) -> u64 {
        let _ = text_bytes;
        docs * 32
    }
    /// Peak bytes of one rank of reduce stage `stage` when `docs` docs are split over `ranks`
    /// ranks (for `skypile plan`, to size `slurm.mem`). Default: 48 bytes per doc of a partition.
    fn reduce_memory(&self, stage: &str, docs: u64, ranks: usize) -> u64 {
        let _ = stage;
        docs.div_ceil(ranks.max(1) as u64) * 48
    }
    /// Peak bytes the collector of one docs rank holds after observing `docs` docs of
    /// `text_bytes` text (for `skypile plan`). Default: a 1 MiB write buffer per partition (one
    /// per doc task, at least 8; only the pages written are resident), so at most the rank's
    /// observations plus one buffer.
    fn collector_memory(&self, docs: u64, text_bytes: f64, tasks: usize) -> u64 {
        let buffers = (tasks.max(8) as u64) << 20;
        buffers.min(self.observation_bytes(docs, text_bytes) + (1 << 20))
    }
    /// Lines `skypile plan` prints under its table (e.g. what a threshold means); may be empty.
    fn plan_notes(&self) -> String {
        String::new()
    }
}

/// What a scoring step does with a doc over its cut-off: `drop` it (default), or `flag` it (a
/// column says so) and keep it. Shared by decontam, quality_model and perplexity.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    #[default]
    Drop,
    Flag,
}
