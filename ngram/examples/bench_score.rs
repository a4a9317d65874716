//! Scoring speed of the shipped models on held-out reference text (wall clock, printed only):
//!   cargo run --release -p skypile-ngram --example bench_score
use std::path::Path;
use std::time::Instant;

use skypile_ngram::Model;
use skypile_ngram::calibrate::split;

fn main() -> anyhow::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let data = root.join("../shared/data/reference");
    if !data.is_dir() {
        println!("skipping: {} not found", data.display());
        return Ok(());
    }
    for lang in ["zh", "en"] {
        let model = Model::load(&root.join(format!("models/lm_{lang}.bin")))?;
        let mut docs = Vec::new();
        let mut files: Vec<_> = std::fs::read_dir(data.join(lang))?
            .flatten()
            .map(|e| e.path())
            .collect();
        files.sort();
        for f in files {
            let paras: Vec<String> = std::fs::read_to_string(f)?
                .lines()
                .map(String::from)
                .collect();
            docs.extend(split(&paras).1);
        }
        let bytes: usize = docs.iter().map(String::len).sum();
        let mut buf = String::new();
        let t = Instant::now();
        let mut units = 0u64;
        for d in &docs {
            for l in d.lines() {
                model.header.units.for_each(l, &mut buf, |_| units += 1);
            }
        }
        let split_s = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let mut sum = 0.0;
        for d in &docs {
            sum += model.score(d, usize::MAX).map_or(0.0, |s| s.perplexity);
        }
        let s = t.elapsed().as_secs_f64();
        println!(
            "{lang}: {} docs, {:.1} KB/doc, {units} units: {:.0} us/doc ({:.2} MB/s, of which unit split {:.0}%), loaded {:.1} MB [{sum:.0}]",
            docs.len(),
            bytes as f64 / docs.len() as f64 / 1e3,
            1e6 * s / docs.len() as f64,
            bytes as f64 / s / 1e6,
            100.0 * split_s / s,
            model.memory_bytes() as f64 / 1e6
        );
    }
    Ok(())
}
