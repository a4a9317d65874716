//! `skypile report`: one self-contained HTML file describing a run.

use std::path::Path;

use anyhow::{Result, bail};

pub fn run(_dir: &Path, _out: Option<&Path>) -> Result<()> {
    bail!("report is being written (issue 10)")
}
