//! The few lines a finished `skypile run` prints: what came in, what came out, why docs were
//! dropped, what input was damaged, where the output is and what to run next.
//!
//! - Computed from the merged `stats.json` numbers (the same `RunStats` as `skypile stats`), so
//!   the summary never disagrees with the files.
//! - Damaged input is every `ingest.bad_*` counter: the run exits with [`EXIT_DAMAGED`] then.

use std::fmt::Write as _;

use crate::output::stats::RunStats;

/// Exit status of a run that completed but skipped damaged input records or files.
pub const EXIT_DAMAGED: i32 = 3;

/// Damaged-input counters (`bad_*`) of a run, largest first.
pub fn damaged(rs: &RunStats) -> Vec<(String, u64)> {
    let mut v: Vec<(String, u64)> = rs
        .ingest
        .iter()
        .filter(|(k, n)| k.starts_with("bad_") && **n > 0)
        .map(|(k, n)| (k.clone(), *n))
        .collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v
}

/// Every `step: reason` with its count, largest first.
fn drop_reasons(rs: &RunStats) -> Vec<(String, u64)> {
    let mut v: Vec<(String, u64)> = rs
        .steps
        .iter()
        .flat_map(|s| {
            let step = s.label.split_once('.').map_or(s.label.as_str(), |x| x.1);
            s.dropped_reasons
                .iter()
                .map(move |(r, n)| (format!("{step}: {r}"), *n))
        })
        .filter(|(_, n)| *n > 0)
        .collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v
}

fn pct(n: u64, of: u64) -> f64 {
    if of == 0 {
        0.0
    } else {
        100.0 * n as f64 / of as f64
    }
}

/// `1234567` → `1,234,567`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The summary block; `dir` is the output folder as the user wrote it, `data_ext` the shard
/// kind (`parquet` or `jsonl`) for the pandas line.
pub fn render(rs: &RunStats, dir: &str, elapsed_s: f64, jsonl: bool) -> String {
    let mut s = String::new();
    let dropped = rs.docs_in.saturating_sub(rs.docs_out);
    let _ = writeln!(
        s,
        "\nrun {} {} in {elapsed_s:.1} s",
        rs.name,
        if rs.complete {
            "complete"
        } else {
            "INCOMPLETE (some ranks have not finished)"
        }
    );
    let _ = writeln!(
        s,
        "  docs     {} in -> {} kept ({:.1}%), {} dropped",
        thousands(rs.docs_in),
        thousands(rs.docs_out),
        pct(rs.docs_out, rs.docs_in),
        thousands(dropped)
    );
    let langs: Vec<String> = {
        let mut v: Vec<_> = rs.by_lang.iter().collect();
        v.sort_by(|a, b| b.1.tokens.cmp(&a.1.tokens).then(a.0.cmp(b.0)));
        v.iter()
            .take(6)
            .map(|(l, t)| format!("{l} {} ({} docs)", thousands(t.tokens), thousands(t.docs)))
            .collect()
    };
    let _ = writeln!(
        s,
        "  tokens   {} kept: {}",
        thousands(rs.tokens_out),
        langs.join(", ")
    );
    let reasons = drop_reasons(rs);
    if !reasons.is_empty() {
        let top: Vec<String> = reasons
            .iter()
            .take(5)
            .map(|(r, n)| format!("{r} {} ({:.1}%)", thousands(*n), pct(*n, rs.docs_in)))
            .collect();
        let _ = writeln!(s, "  dropped  {}", top.join("\n           "));
    }
    let bad = damaged(rs);
    if bad.is_empty() {
        let _ = writeln!(s, "  damaged  none");
    } else {
        let total: u64 = bad.iter().map(|b| b.1).sum();
        let list: Vec<String> = bad.iter().map(|(k, n)| format!("{k} {n}")).collect();
        let _ = writeln!(
            s,
            "  damaged  {} input records/files skipped ({}); exit status {EXIT_DAMAGED}; see {dir}/logs/",
            thousands(total),
            list.join(", ")
        );
    }
    let _ = writeln!(
        s,
        "  output   {dir}/data/  ({dir}/removed/, manifest.json, stats.json)"
    );
    let read = if jsonl {
        format!("pd.read_json(f, lines=True) for f in glob('{dir}/data/*')")
    } else {
        format!("pd.read_parquet('{dir}/data')")
    };
    let _ = writeln!(
        s,
        "  next     skypile stats {dir}      # funnel per step and reason"
    );
    let _ = writeln!(s, "           skypile report {dir}     # HTML report");
    let _ = writeln!(s, "           skypile inspect {dir} -n 3");
    let _ = writeln!(
        s,
        "           python -c \"import pandas as pd; df = {read}\""
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::stats::{LangStats, StepStats};

    #[test]
    fn summary_names_totals_reasons_and_damage() {
        let mut rs = RunStats {
            name: "t".into(),
            complete: true,
            docs_in: 1000,
            docs_out: 600,
            tokens_out: 1_234_567,
            ..Default::default()
        };
        rs.ingest.insert("bad_truncated".into(), 2);
        rs.ingest.insert("skipped_request".into(), 50);
        rs.by_lang.insert(
            "zh".into(),
            LangStats {
                docs: 400,
                tokens: 1_000_000,
                ..Default::default()
            },
        );
        rs.by_lang.insert(
            "en".into(),
            LangStats {
                docs: 200,
                tokens: 234_567,
                ..Default::default()
            },
        );
        let mut st = StepStats {
            label: "03.c4".into(),
            ..Default::default()
        };
        st.dropped_reasons.insert("c4_lorem_ipsum".into(), 300);
        st.dropped_reasons.insert("c4_curly".into(), 100);
        rs.steps.push(st);
        let s = render(&rs, "out/x", 1.5, false);
        assert!(
            s.contains("1,000 in -> 600 kept (60.0%), 400 dropped"),
            "{s}"
        );
        assert!(
            s.contains("1,234,567 kept: zh 1,000,000 (400 docs), en 234,567 (200 docs)"),
            "{s}"
        );
        assert!(
            s.find("c4: c4_lorem_ipsum 300 (30.0%)").unwrap() < s.find("c4: c4_curly 100").unwrap()
        );
        assert!(
            s.contains("damaged  2 input records/files skipped (bad_truncated 2); exit status 3"),
            "{s}"
        );
        assert!(s.contains("pd.read_parquet('out/x/data')"), "{s}");
        assert_eq!(damaged(&rs), vec![("bad_truncated".to_string(), 2)]);
    }

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(12_345_678), "12,345,678");
    }
}
