//! `skypile plan`: stages, tasks and resource estimates before a run.

use anyhow::Result;

use crate::config::Pipeline;
use crate::stages::Plan;

pub fn print(p: &Pipeline) -> Result<()> {
    let plan = Plan::build(p)?;
    let inputs = skypile_ingest::list_inputs(&p.input.paths)?;
    println!(
        "pipeline {}: {} input files, {} tasks",
        p.name,
        inputs.len(),
        p.tasks
    );
    for s in &plan.stages {
        println!("  stage {:<32} ranks {}", s.name, s.ranks);
    }
    Ok(())
}
