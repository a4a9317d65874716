//! Shared argument handling of the `bench_*` examples (included with `#[path]`).

use std::path::PathBuf;

/// `[--threads N] [--limit N] FILE...` -> (threads, limit, files with their input index).
pub fn args_full() -> anyhow::Result<(usize, usize, Vec<(u32, PathBuf)>)> {
    let mut threads = 1usize;
    let mut limit = 0usize;
    let mut files = Vec::new();
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--threads" => threads = it.next().and_then(|v| v.parse().ok()).unwrap_or(1).max(1),
            "--limit" => limit = it.next().and_then(|v| v.parse().ok()).unwrap_or(0),
            _ => files.push(PathBuf::from(a)),
        }
    }
    if files.is_empty() {
        anyhow::bail!("usage: [--threads N] [--limit N] FILE...");
    }
    files.sort();
    let files = (0u32..).zip(files).collect();
    Ok((threads, limit, files))
}

/// `[--repeat N] FILE...` -> (passes to keep the best of, default 3; the files as given).
#[allow(dead_code)]
pub fn repeat_args() -> anyhow::Result<(usize, Vec<String>)> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut repeat = 3;
    if args.first().map(String::as_str) == Some("--repeat") {
        let n = args.get(1).and_then(|v| v.parse().ok());
        repeat = n.ok_or_else(|| anyhow::anyhow!("usage: [--repeat N] FILE..."))?;
        args.drain(..2);
    }
    Ok((repeat, args))
}

#[allow(dead_code)]
pub fn args() -> anyhow::Result<(usize, Vec<(u32, PathBuf)>)> {
    let (t, _, f) = args_full()?;
    Ok((t, f))
}

/// File i goes to worker i % n, like one task per file.
#[allow(dead_code)]
pub fn split_files(files: &[(u32, PathBuf)], n: usize) -> Vec<Vec<(u32, PathBuf)>> {
    let mut per = vec![Vec::new(); n];
    for (i, f) in files.iter().enumerate() {
        if let Some(v) = per.get_mut(i % n) {
            v.push(f.clone());
        }
    }
    per
}
