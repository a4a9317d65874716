//! skypile-ingest: streaming readers that turn input files into [`Doc`]s.
//!
//! Every reader yields [`Event`]s: a document, or a skipped/malformed record with a reason the
//! runner counts as `ingest.<reason>`. Readers never panic, never hang and never stop at a bad
//! record: bad input is data. A stream that cannot go on (a cut `.jsonl.gz`, an I/O error)
//! ends its file with one event after every record before it; over-long or mis-sized records
//! cost themselves only. The reasons and what follows each are listed in README.md.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use skypile_core::Doc;

pub mod arc;
#[cfg(feature = "parquet")]
mod arrow_json;
pub mod charset;
pub mod http;
pub mod jsonl;
mod meter;
pub use meter::bytes_read;
#[cfg(feature = "parquet")]
pub mod parquet_input;
mod record;
pub mod select;

pub use select::decode_deferred;
pub mod stream;
pub mod warc;
mod warnings;

pub use warnings::Warnings;

/// Input formats. `auto` picks by extension and, failing that, by the first bytes.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, schemars::JsonSchema,
)]
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
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
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
    /// WARC/ARC: media types (from the HTTP `Content-Type`) that become documents.
    pub mime_types: Vec<String>,
    /// WARC record types that become documents (`response`; add `resource` for archives of
    /// bare files). WET `conversion` records are always read as text.
    pub record_types: Vec<String>,
    /// Regexes on the target URL: if any include is given one must match; no exclude may.
    pub url_include: Vec<String>,
    pub url_exclude: Vec<String>,
    /// The size cap of one document in every format, counted as `bad_too_large` when over:
    /// a WARC/ARC record's content and its decompressed HTTP body, a JSONL line, a Parquet text
    /// cell. Memory per record stays bounded by it (an over-long JSONL line is skipped to its
    /// newline, never buffered). `max_payload_bytes` is its older name.
    #[serde(alias = "max_payload_bytes")]
    pub max_doc_bytes: u64,
    /// Leave charset decoding of HTML bodies to [`decode_deferred`] (called by the runner in
    /// its worker pool, so detection does not serialise on the reader thread). Not a YAML key.
    #[serde(skip)]
    pub defer_decode: bool,
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
            mime_types: vec!["text/html".into(), "application/xhtml+xml".into()],
            record_types: vec!["response".into()],
            url_include: Vec::new(),
            url_exclude: Vec::new(),
            max_doc_bytes: 20 << 20,
            defer_decode: false,
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
        if p == "-" {
            // JSONL on standard input (`zcat x.jsonl.gz | skypile run ... --input -`)
            out.push(path.to_path_buf());
        } else if skypile_storage::is_url(p) {
            // s3://bucket/prefix/*.warc.gz: a glob over keys, a prefix, or one object
            let found = skypile_storage::list_glob(p)?;
            if found.is_empty() {
                bail!(
                    "input {} matches no object: check the bucket and pattern",
                    skypile_storage::redact(p)
                );
            }
            out.extend(found.into_iter().map(|(o, _)| o));
        } else if path.is_dir() {
            walk(path, &mut out).with_context(|| format!("reading input directory {p}"))?;
        } else if path.is_file() {
            out.push(path.to_path_buf());
        } else if p.contains(['*', '?', '[']) {
            if expand_glob(p, &mut out)? == 0 {
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

/// Append the matches of glob `p` to `out` (folders walked); how many matched.
/// * A pattern whose wildcards are all in its last part (`crawl/*.warc.gz`, the usual one) is
///   matched against one listing of its folder, each entry's type taken from the listing as in
///   [`walk`]: no stat per match. Other patterns go through the `glob` crate, a stat per match.
fn expand_glob(p: &str, out: &mut Vec<PathBuf>) -> Result<usize> {
    let bad = || format!("bad glob pattern {p}");
    let literal_dir = Path::new(p)
        .parent()
        .filter(|d| !d.as_os_str().is_empty() && !d.to_string_lossy().contains(['*', '?', '[']));
    let mut n = 0;
    let Some(dir) = literal_dir else {
        for entry in glob::glob(p).with_context(bad)? {
            let entry = entry?;
            push_or_walk(entry, None, out)?;
            n += 1;
        }
        return Ok(n);
    };
    let pattern = glob::Pattern::new(p).with_context(bad)?;
    // a folder that cannot be listed matches nothing, as with the `glob` crate
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(0);
    };
    for entry in entries {
        let entry = entry?;
        let path = dir.join(entry.file_name());
        if pattern.matches_path(&path) {
            push_or_walk(path, Some(entry.file_type()?), out)?;
            n += 1;
        }
    }
    Ok(n)
}

/// `path` itself, or the files under it when it is a folder. `kind` from a directory listing
/// saves the stat, except for a symlink (followed to see whether it names a folder).
fn push_or_walk(
    path: PathBuf,
    kind: Option<std::fs::FileType>,
    out: &mut Vec<PathBuf>,
) -> Result<()> {
    let dir = match kind {
        Some(k) if !k.is_symlink() => k.is_dir(),
        _ => path.is_dir(),
    };
    if dir {
        walk(&path, out)
    } else {
        out.push(path);
        Ok(())
    }
}

/// Files under `dir`, recursively.
/// * The type comes from the directory listing, not a stat per entry: every Slurm array element
///   lists the inputs, and a folder of 100k files must not cost each one 100k stats. Only a
///   symlink is followed, to see whether it names a folder.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        push_or_walk(entry.path(), Some(entry.file_type()?), out)?;
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
    if name == "-" {
        Format::Jsonl
    } else if base.ends_with(".jsonl") || base.ends_with(".json") || base.ends_with(".ndjson") {
        Format::Jsonl
    } else if base.ends_with(".parquet") {
        Format::Parquet
    } else if base.ends_with(".wet") || base.ends_with(".warc.wet") {
        Format::Wet
    } else if base.ends_with(".arc") {
        Format::Arc
    } else if base.ends_with(".warc") || base.ends_with(".wat") {
        Format::Warc
    } else {
        sniff_format(path)
    }
}

/// Unknown extension: look at the first (decompressed) bytes.
fn sniff_format(path: &Path) -> Format {
    let mut head = [0u8; 16];
    let n = open_decompressed(path)
        .and_then(|mut r| Ok(std::io::Read::read(&mut r, &mut head)?))
        .unwrap_or(0);
    let head = head.get(..n).unwrap_or_default();
    if head.starts_with(b"filedesc:") {
        Format::Arc
    } else if head.starts_with(b"PAR1") {
        Format::Parquet
    } else if head.trim_ascii_start().starts_with(b"{") {
        Format::Jsonl
    } else {
        Format::Warc
    }
}

/// Open one input file. `file_idx` is its index in [`list_inputs`]'s order.
///
/// A file that cannot be opened (missing, or a Parquet footer that does not parse) is an `Err`,
/// which the runner counts as `ingest.bad_file`; a panic inside a decoder while opening becomes
/// such an error too (the runner's panic guard only covers reading).
pub fn open(path: &Path, file_idx: u32, cfg: &InputConfig) -> Result<Events> {
    open_guarded(path, || open_unguarded(path, file_idx, cfg))
}

/// Run an opener under [`guard`]; a panic becomes an error naming `path` as damaged input.
fn open_guarded<T>(path: &Path, f: impl FnOnce() -> Result<T>) -> Result<T> {
    guard(f).map_err(|e| {
        if e.is::<Panicked>() {
            e.context(format!("{}: damaged input", path.display()))
        } else {
            e
        }
    })
}

/// Like [`open`] for a JSONL file, but its lines come unparsed, for a caller that parses them
/// on other threads ([`jsonl::read_unparsed`]); `None` for every other format.
pub fn open_unparsed(
    path: &Path,
    file_idx: u32,
    cfg: &InputConfig,
) -> Option<Result<Box<dyn Iterator<Item = jsonl::Unparsed> + Send>>> {
    (detect_format(path, cfg.format) == Format::Jsonl)
        .then(|| open_guarded(path, || jsonl::read_unparsed(path, file_idx, cfg)))
}

/// The error [`guard`] returns for a panic.
#[derive(Debug)]
pub(crate) struct Panicked(String);

impl std::fmt::Display for Panicked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "decoder panicked: {}", self.0)
    }
}

impl std::error::Error for Panicked {}

/// Run `f`, turning a panic into an error ([`Panicked`]).
///
/// - Third-party decoders (parquet's footer and page decoding) are not guaranteed panic-free
///   on damaged bytes; a panic there must cost one file or row group, not the run.
pub(crate) fn guard<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(p) => {
            let msg = p
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Err(Panicked(msg).into())
        }
    }
}

fn open_unguarded(path: &Path, file_idx: u32, cfg: &InputConfig) -> Result<Events> {
    match detect_format(path, cfg.format) {
        Format::Jsonl => jsonl::read(path, file_idx, cfg),
        // WET is WARC with `conversion` records, which the WARC reader turns into text docs.
        Format::Warc | Format::Wet | Format::Auto => warc::read(path, file_idx, cfg),
        Format::Arc => arc::read(path, file_idx, cfg),
        #[cfg(feature = "parquet")]
        Format::Parquet => parquet_input::read(path, file_idx, cfg),
        #[cfg(not(feature = "parquet"))]
        Format::Parquet => bail!("{}: built without the `parquet` feature", path.display()),
    }
}

/// Open a file for reading, transparently decompressing `.gz` (all members) and `.zst`.
pub fn open_decompressed(path: &Path) -> Result<Box<dyn std::io::BufRead + Send>> {
    if path == Path::new("-") {
        return Ok(Box::new(std::io::BufReader::with_capacity(
            1 << 16,
            meter::Metered(std::io::stdin()),
        )));
    }
    // a local file, or an object streamed with read-ahead ranged GETs
    let f =
        skypile_storage::open(path).with_context(|| format!("opening input {}", path.display()))?;
    let f = meter::Metered(f);
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A decoder panic becomes an error the runner counts (`bad_file` / `bad_parquet`), with
    /// the panic's message; errors pass through as they are.
    #[test]
    fn guard_turns_panics_into_errors() {
        let e = guard(|| -> Result<()> { panic!("thrift list too long") }).unwrap_err();
        assert!(e.is::<Panicked>());
        assert!(e.to_string().contains("thrift list too long"), "{e}");
        let e = guard(|| -> Result<()> { bail!("plain error") }).unwrap_err();
        assert!(!e.is::<Panicked>() && e.to_string() == "plain error");
        assert_eq!(guard(|| Ok(7)).unwrap(), 7);
    }

    /// Folders are walked (nested, and through a symlink), linked files kept, skypile's own
    /// and hidden files left out, the list sorted.
    #[test]
    fn list_inputs_walks_folders_and_links_sorted() {
        let d = std::env::temp_dir().join(format!("skypile-list-inputs-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        let (top, other) = (d.join("in"), d.join("elsewhere"));
        std::fs::create_dir_all(top.join("sub")).unwrap();
        std::fs::create_dir_all(&other).unwrap();
        for f in [
            top.join("b.jsonl"),
            top.join("sub/a.jsonl"),
            other.join("c.jsonl"),
        ] {
            std::fs::write(f, "{}\n").unwrap();
        }
        std::fs::write(top.join(".hidden"), "").unwrap();
        std::fs::write(top.join("p.yaml"), "").unwrap();
        std::os::unix::fs::symlink(&other, top.join("linked")).unwrap();
        std::os::unix::fs::symlink(other.join("c.jsonl"), top.join("d.jsonl")).unwrap();
        let got = list_inputs(&[top.to_string_lossy().into_owned()]).unwrap();
        let rel: Vec<String> = got
            .iter()
            .map(|p| p.strip_prefix(&top).unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(rel, ["b.jsonl", "d.jsonl", "linked/c.jsonl", "sub/a.jsonl"]);
        // a glob over one folder (listed, no stat per match) finds what the `glob` crate finds
        let top = top.to_string_lossy();
        for pat in ["*.jsonl", "[bd]*", "?.jsonl", "*", "l*", "s*/*.jsonl"] {
            let pat = format!("{top}/{pat}");
            let mut ours = Vec::new();
            let n = expand_glob(&pat, &mut ours).unwrap();
            let mut theirs = Vec::new();
            for e in glob::glob(&pat).unwrap() {
                push_or_walk(e.unwrap(), None, &mut theirs).unwrap();
            }
            ours.sort();
            theirs.sort();
            assert!(n > 0, "{pat}");
            assert_eq!(ours, theirs, "{pat}");
        }
        let _ = std::fs::remove_dir_all(&d);
    }
}
