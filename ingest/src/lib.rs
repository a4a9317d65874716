//! skypile-ingest: streaming readers that turn input files into [`Doc`]s.
//!
//! Every reader yields [`Event`]s: a document, or a skipped/malformed record with a reason the
//! runner counts as `ingest.<reason>`. Readers never panic and never stop at the first bad
//! record: bad input is data.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use skypile_core::Doc;

pub mod charset;
pub mod jsonl;

/// Input formats. `auto` picks by extension and, failing that, by the first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    #[default]
    Auto,
    Warc,
    Wet,
    Arc,
    Jsonl,
    Parquet,
}

/// The `input:` section of a pipeline.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InputConfig {
    /// Files, directories (walked recursively) or glob patterns.
    pub paths: Vec<String>,
    pub format: Format,
    /// JSONL/Parquet: field holding the text, and the optional id and url fields.
    pub text_field: String,
    pub id_field: String,
    pub url_field: String,
    /// Stop after this many documents per task (0 = no limit); handy for trying a config.
    pub limit: u64,
}

impl Default for InputConfig {
    fn default() -> Self {
        InputConfig {
            paths: Vec::new(),
            format: Format::Auto,
            text_field: "text".into(),
            id_field: "id".into(),
            url_field: "url".into(),
            limit: 0,
        }
    }
}

/// What a reader yields.
#[derive(Debug)]
pub enum Event {
    Doc(Box<Doc>),
    /// A record that is not a document (`skipped_<what>`) or is broken (`bad_<what>`).
    Skip {
        reason: String,
        offset: u64,
        detail: String,
    },
}

impl Event {
    pub fn skip(reason: &str, offset: u64, detail: impl Into<String>) -> Self {
        Event::Skip {
            reason: reason.to_string(),
            offset,
            detail: detail.into(),
        }
    }
}

pub type Events = Box<dyn Iterator<Item = Event> + Send>;

/// Expand the configured paths into a sorted, de-duplicated list of files.
/// The order is the document order of the run (it decides which duplicate is "first").
pub fn list_inputs(paths: &[String]) -> Result<Vec<PathBuf>> {
    if paths.is_empty() {
        bail!("no input: set `input.paths` in the pipeline or pass --input PATH");
    }
    let mut out = Vec::new();
    for p in paths {
        let path = Path::new(p);
        if path.is_dir() {
            walk(path, &mut out).with_context(|| format!("reading input directory {p}"))?;
        } else if path.is_file() {
            out.push(path.to_path_buf());
        } else if p.contains(['*', '?', '[']) {
            let mut n = 0;
            for entry in glob::glob(p).with_context(|| format!("bad glob pattern {p}"))? {
                let entry = entry?;
                if entry.is_dir() {
                    walk(&entry, &mut out)?;
                } else {
                    out.push(entry);
                }
                n += 1;
            }
            if n == 0 {
                bail!("input glob {p} matches no file: check the pattern");
            }
        } else {
            bail!("input path {p} does not exist: pass an existing file, directory or glob");
        }
    }
    out.retain(|p| !is_ignored(p));
    out.sort();
    out.dedup();
    if out.is_empty() {
        bail!("the input paths {paths:?} contain no readable files");
    }
    Ok(out)
}

fn is_ignored(p: &Path) -> bool {
    let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
    name.starts_with('.')
        || name.ends_with(".tmp")
        || name.ends_with(".md")
        || name.ends_with(".yaml")
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

/// Decide the format of one file from the config, its name and its first bytes.
pub fn detect_format(path: &Path, forced: Format) -> Format {
    if forced != Format::Auto {
        return forced;
    }
    let name = path.to_string_lossy().to_lowercase();
    let base = name.trim_end_matches(".gz").trim_end_matches(".zst");
    if base.ends_with(".jsonl") || base.ends_with(".json") || base.ends_with(".ndjson") {
        Format::Jsonl
    } else if base.ends_with(".parquet") {
        Format::Parquet
    } else if base.ends_with(".wet") || base.ends_with(".warc.wet") {
        Format::Wet
    } else if base.ends_with(".arc") {
        Format::Arc
    } else {
        Format::Warc
    }
}

/// Open one input file. `file_idx` is its index in [`list_inputs`]'s order.
pub fn open(path: &Path, file_idx: u32, cfg: &InputConfig) -> Result<Events> {
    match detect_format(path, cfg.format) {
        Format::Jsonl => jsonl::read(path, file_idx, cfg),
        other => bail!(
            "{}: format {other:?} is not supported by this build",
            path.display()
        ),
    }
}

/// Open a file for reading, transparently decompressing `.gz` (all members) and `.zst`.
pub fn open_decompressed(path: &Path) -> Result<Box<dyn std::io::BufRead + Send>> {
    let f =
        std::fs::File::open(path).with_context(|| format!("opening input {}", path.display()))?;
    let name = path.to_string_lossy();
    let r: Box<dyn std::io::BufRead + Send> = if name.ends_with(".gz") {
        Box::new(std::io::BufReader::with_capacity(
            1 << 16,
            flate2::read::MultiGzDecoder::new(std::io::BufReader::new(f)),
        ))
    } else if name.ends_with(".zst") {
        Box::new(std::io::BufReader::with_capacity(
            1 << 16,
            zstd::Decoder::new(f)?,
        ))
    } else {
        Box::new(std::io::BufReader::with_capacity(1 << 16, f))
    };
    Ok(r)
}
