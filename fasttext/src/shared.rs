//! One copy of each model per process, shared by every worker and every step that names it.
//!
//! - Models are read-only after loading, so an `Arc` is all the sharing needs; the cache is
//!   keyed by canonical path so `models/q.bin` and `./models/q.bin` load once.
//! - Entries stay for the life of the process: a pipeline builds its steps once, and a model
//!   named by two steps (lang and quality) should not be read twice.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use anyhow::Result;

use crate::model::Model;

static CACHE: OnceLock<Mutex<HashMap<PathBuf, Arc<Model>>>> = OnceLock::new();

pub fn load(path: &Path) -> Result<Arc<Model>> {
    let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let cache = CACHE.get_or_init(Default::default);
    if let Some(m) = cache.lock().expect("model cache").get(&key) {
        return Ok(m.clone());
    }
    // Load outside the lock: a 100 MB model should not block the other steps' lookups.
    let model = Arc::new(Model::load(path)?);
    log::info!(
        "loaded fastText model {} ({} labels, {:.1} MB)",
        path.display(),
        model.dict.nlabels,
        model.mem_bytes() as f64 / 1e6
    );
    let mut map = cache.lock().expect("model cache");
    Ok(map.entry(key).or_insert(model).clone())
}
