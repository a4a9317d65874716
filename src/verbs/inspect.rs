//! `skypile inspect`: schema, shard list and a few documents of an output directory.
//!
//! Streams row groups, so it works on outputs far larger than memory; the first matching
//! documents in shard order are shown (deterministic, like `head`).

use std::path::PathBuf;

use anyhow::{Result, bail};
use arrow_array::{Array, RecordBatch, StringArray};

use crate::output::shards::{batches, cell, shard_rows, shards};

#[derive(clap::Args, Debug, Clone)]
pub struct InspectArgs {
    /// An output directory of `skypile run`.
    pub dir: PathBuf,
    /// Only documents of this language.
    #[arg(long)]
    pub lang: Option<String>,
    /// Show dropped documents (`DIR/removed/`) instead of kept ones.
    #[arg(long)]
    pub removed: bool,
    /// Only removed documents with this drop reason (implies --removed).
    #[arg(long)]
    pub reason: Option<String>,
    /// How many documents to show.
    #[arg(short, default_value_t = 5)]
    pub n: usize,
    /// Characters of text to show per document.
    #[arg(long, default_value_t = 300)]
    pub width: usize,
}

pub fn run(args: &InspectArgs) -> Result<()> {
    let removed = args.removed || args.reason.is_some();
    let sub = if removed { "removed" } else { "data" };
    let files = shards(&args.dir, sub)?;
    if files.is_empty() {
        if removed {
            bail!(
                "{} has no removed/ shards: run with `output.write_removed: true` to keep dropped docs",
                args.dir.display()
            );
        }
        bail!(
            "{} has no data/ shards (*.parquet, *.jsonl*): is it the --output of a finished `skypile run`?",
            args.dir.display()
        );
    }
    println!("schema ({sub}/):");
    if let Some(b) = batches(&files[0], 256)?.next() {
        for f in b?.schema().fields() {
            println!(
                "  {:<28} {}{}",
                f.name(),
                f.data_type(),
                if f.is_nullable() { "" } else { " not null" }
            );
        }
    }
    println!("\nshards:");
    let mut total = 0u64;
    for f in &files {
        let (rows, groups) = shard_rows(f)?;
        total += rows;
        let groups = groups.map_or(String::new(), |g| format!("{g:>4} row groups"));
        println!(
            "  {:<40} {:>8} rows {groups} {:>10} bytes",
            f.file_name().unwrap_or_default().to_string_lossy(),
            rows,
            skypile_storage::size(f)?
        );
    }
    println!("  total {total} rows\n");

    let mut shown = 0;
    'files: for f in &files {
        for batch in batches(f, 256)? {
            let batch = batch?;
            for row in 0..batch.num_rows() {
                if !matches(&batch, row, args) {
                    continue;
                }
                print_doc(&batch, row, args.width);
                shown += 1;
                if shown >= args.n {
                    break 'files;
                }
            }
        }
    }
    if shown == 0 {
        println!("no documents match the filters");
    }
    Ok(())
}

fn str_col<'a>(b: &'a RecordBatch, name: &str) -> Option<&'a StringArray> {
    b.column_by_name(name)?
        .as_any()
        .downcast_ref::<StringArray>()
}

fn matches(b: &RecordBatch, row: usize, args: &InspectArgs) -> bool {
    let eq = |col: &str, want: &Option<String>| match want {
        None => true,
        Some(w) => str_col(b, col).is_some_and(|c| !c.is_null(row) && c.value(row) == w),
    };
    eq("lang", &args.lang) && eq("drop_reason", &args.reason)
}

/// Control characters from documents shown as `\u{..}` escapes: raw ESC/CSI sequences in crawled
/// text could move the cursor, recolour or retitle the user's terminal.
pub fn escape_controls(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' | '\t' => out.push(c),
            c if c.is_control()
                || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}') =>
            {
                out.push_str(&c.escape_unicode().to_string())
            }
            c => out.push(c),
        }
    }
    out
}

fn print_doc(b: &RecordBatch, row: usize, width: usize) {
    let get = |n: &str| escape_controls(&cell(b, n, row).unwrap_or_default());
    println!(
        "── {}  [{} {}] tokens={} {}",
        get("id"),
        get("lang"),
        get("lang_score"),
        get("token_count"),
        get("url")
    );
    if let Some(r) = cell(b, "drop_reason", row) {
        println!("   dropped by {}: {r}", get("drop_step"));
    }
    let skip = [
        "id",
        "url",
        "text",
        "lang",
        "lang_score",
        "token_count",
        "drop_reason",
        "drop_step",
    ];
    let extras: Vec<String> = b
        .schema()
        .fields()
        .iter()
        .filter(|f| !skip.contains(&f.name().as_str()))
        .filter_map(|f| {
            cell(b, f.name(), row).map(|v| format!("{}={}", f.name(), escape_controls(&v)))
        })
        .collect();
    println!("   {}", extras.join("  "));
    let text = get("text");
    let mut shown: String = text.chars().take(width).collect();
    if shown.len() < text.len() {
        shown.push('…');
    }
    for line in shown.lines() {
        println!("   │ {line}");
    }
    println!();
}

#[cfg(test)]
mod tests {
    use super::escape_controls;

    #[test]
    fn terminal_controls_are_escaped_text_is_not() {
        let s = escape_controls("a\x1b[2Jb\rc\u{7}\u{202e}d\n中文\te");
        assert_eq!(s, "a\\u{1b}[2Jb\\u{d}c\\u{7}\\u{202e}d\n中文\te");
    }
}
