//! `skypile stats`: the funnel of a run as a table (the merge itself is `output::stats`).

use std::fmt::Write as _;

use crate::output::stats::RunStats;

/// Human-readable funnel for `skypile stats`.
pub fn render(rs: &RunStats) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "run {}{}",
        rs.name,
        if rs.complete {
            ""
        } else {
            " (INCOMPLETE: some ranks have not finished)"
        }
    );
    let _ = writeln!(
        s,
        "ingest: {} docs in, skipped/bad records: {}",
        rs.docs_in,
        rs.ingest
            .iter()
            .filter(|(k, _)| k.starts_with("skipped_") || k.starts_with("bad_"))
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let _ = writeln!(
        s,
        "\n{:<28} {:>9} {:>9} {:>9} {:>7} {:>9}",
        "step", "in", "kept", "dropped", "drop%", "docs/s"
    );
    for st in &rs.steps {
        let rate = if st.time_s > 0.0 {
            st.docs_in as f64 / st.time_s
        } else {
            0.0
        };
        let pct = if st.docs_in > 0 {
            100.0 * st.dropped as f64 / st.docs_in as f64
        } else {
            0.0
        };
        let _ = writeln!(
            s,
            "{:<28} {:>9} {:>9} {:>9} {:>6.1}% {:>9.0}",
            st.label, st.docs_in, st.kept, st.dropped, pct, rate
        );
        for (r, n) in &st.dropped_reasons {
            let share = if st.docs_in > 0 {
                100.0 * *n as f64 / st.docs_in as f64
            } else {
                0.0
            };
            let _ = writeln!(s, "    dropped_{r:<30} {n:>9} {share:>6.1}%");
        }
        for (c, n) in &st.counters {
            let _ = writeln!(s, "    {c:<38} {n:>9}");
        }
    }
    let _ = writeln!(s, "\nout: {} docs, {} tokens", rs.docs_out, rs.tokens_out);
    let _ = writeln!(
        s,
        "{:<8} {:>9} {:>12} {:>12} {:>10}",
        "lang", "docs", "tokens", "chars", "tok/char"
    );
    for (l, t) in &rs.by_lang {
        let _ = writeln!(
            s,
            "{:<8} {:>9} {:>12} {:>12} {:>10.3}",
            l, t.docs, t.tokens, t.chars, t.tokens_per_char
        );
    }
    s
}
