//! Splitting a pipeline into stages.
//!
//! Per-doc steps stream; a global step (dedup) needs the whole corpus first. So the step list is
//! cut at every global step into *segments*, and a run becomes an ordered list of stages:
//!
//! ```text
//! docs-0            T ranks   read inputs -> segment 0 steps -> observe + spool (or write output)
//! 03.minhash-<s>    n ranks   the global step's reduce stages, in order
//! docs-1            T ranks   replay spool -> apply global decisions -> segment 1 steps -> ...
//! merge             1 rank    manifest.json + stats.json
//! ```
//! Every (stage, rank) leaves `completions/<stage>/<rank>`; that is what a relaunch skips and
//! what a Slurm array job runs (`--stage S --task R`).

use anyhow::{Result, bail};
use skypile_core::{Column, GlobalStep, Step, binfile};

use crate::config::Pipeline;
use crate::config::steps::Built;
use crate::output::writer;

pub struct NamedStep {
    /// `NN.key`, e.g. `04.gopher_quality`: unique, sortable, used as the stats prefix.
    pub label: String,
    pub step: Box<dyn Step>,
}

pub struct NamedGlobal {
    pub label: String,
    pub step: Box<dyn GlobalStep>,
}

pub struct Segment {
    pub steps: Vec<NamedStep>,
    /// The global step that ends this segment (absent for the last one).
    pub global: Option<NamedGlobal>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum StageKind {
    /// Process the docs of segment `segment` (its steps, then its global step's observe).
    Docs { segment: usize },
    /// Reduce stage `name` of the global step that ends segment `segment`.
    Reduce { segment: usize, name: String },
    /// Merge per-rank stats into `stats.json` and `manifest.json`.
    Merge,
}

#[derive(Debug, Clone)]
pub struct Stage {
    pub name: String,
    pub ranks: usize,
    pub kind: StageKind,
}

pub struct Plan {
    pub segments: Vec<Segment>,
    pub stages: Vec<Stage>,
    /// Output schema of `data/` and of `removed/`.
    pub columns: Vec<Column>,
    pub removed_columns: Vec<Column>,
    pub config_hash: u64,
}

impl Plan {
    pub fn build(p: &Pipeline) -> Result<Plan> {
        let ctx = p.build_ctx();
        let mut segments = vec![Segment {
            steps: Vec::new(),
            global: None,
        }];
        let mut columns = writer::base_columns();
        // Steps load their models when built (n-gram tables, fastText, OpenCC, keyword
        // automata): ~0.1 s of every run's start, with the pool idle, so each on its own thread.
        let ctx = &ctx;
        let all: Vec<Result<Built>> = std::thread::scope(|s| {
            let building: Vec<_> = p.steps.iter().map(|sc| s.spawn(|| sc.build(ctx))).collect();
            building
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        });
        for (i, (sc, built)) in p.steps.iter().zip(all).enumerate() {
            let label = format!("{:02}.{}", i + 1, sc.key());
            let built =
                built.map_err(|e| anyhow::anyhow!("step {} (`{}`): {e}", i + 1, sc.key()))?;
            let cols = match built {
                Built::Doc(step) => {
                    let c = step.columns();
                    if let Some(seg) = segments.last_mut() {
                        seg.steps.push(NamedStep { label, step });
                    }
                    c
                }
                Built::Global(step) => {
                    let c = step.columns();
                    if let Some(seg) = segments.last_mut() {
                        seg.global = Some(NamedGlobal { label, step });
                    }
                    segments.push(Segment {
                        steps: Vec::new(),
                        global: None,
                    });
                    c
                }
            };
            for c in cols {
                match columns.iter().find(|x| x.name == c.name) {
                    Some(x) if x.ty != c.ty => {
                        bail!(
                            "step {} declares column `{}` as {:?}, an earlier one as {:?}",
                            i + 1,
                            c.name,
                            c.ty,
                            x.ty
                        )
                    }
                    Some(_) => {}
                    None => columns.push(c),
                }
            }
        }
        let tasks = p.tasks;
        let mut stages = Vec::new();
        for (k, seg) in segments.iter().enumerate() {
            stages.push(Stage {
                name: format!("docs-{k}"),
                ranks: tasks,
                kind: StageKind::Docs { segment: k },
            });
            if let Some(g) = &seg.global {
                for (name, ranks) in g.step.reduce_stages(tasks) {
                    stages.push(Stage {
                        name: format!("{}-{name}", g.label),
                        ranks: ranks.max(1),
                        kind: StageKind::Reduce { segment: k, name },
                    });
                }
            }
        }
        stages.push(Stage {
            name: "merge".into(),
            ranks: 1,
            kind: StageKind::Merge,
        });
        let mut removed_columns = columns.clone();
        removed_columns.extend(writer::removed_columns());
        let config_hash = binfile::config_hash(&serde_json::json!({
            "pipeline": p.fingerprint(),
        }));
        Ok(Plan {
            segments,
            stages,
            columns,
            removed_columns,
            config_hash,
        })
    }

    pub fn stage(&self, name: &str) -> Result<&Stage> {
        self.stages.iter().find(|s| s.name == name).ok_or_else(|| {
            let names: Vec<&str> = self.stages.iter().map(|s| s.name.as_str()).collect();
            anyhow::anyhow!(
                "no stage `{name}` in this pipeline: stages are {}",
                names.join(", ")
            )
        })
    }

    /// The stage before `name` (whose every rank must be complete before `name` may run).
    pub fn previous(&self, name: &str) -> Option<&Stage> {
        let i = self.stages.iter().position(|s| s.name == name)?;
        if i == 0 { None } else { self.stages.get(i - 1) }
    }

    pub fn global(&self, k: usize) -> Option<&NamedGlobal> {
        self.segments.get(k).and_then(|s| s.global.as_ref())
    }
}
