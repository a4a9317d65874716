//! `skypile report`: one self-contained HTML file (inline SVG, no network) describing a run:
//! the funnel, drop reasons per language, histograms of lengths and filter scores with the
//! configured thresholds marked, language / zh-variant / charset mixes, duplicate cluster
//! sizes, and samples of kept and removed docs per reason.
//!
//! Shards are streamed; every statistic keeps bounded state (counts, fixed-size reservoirs with
//! a fixed seed), so a report of a huge run needs little memory and is deterministic.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use arrow_array::{Array, Float32Array, Float64Array, Int64Array};
use arrow_schema::DataType;

use super::report_html::{Html, bar_chart, bar_chart_scaled, esc, histogram};
use crate::outdir::write_atomic;
use crate::output::shards::{batches, cell, shards};
use crate::output::stats::RunStats;

const RESERVOIR: usize = 20_000;
const SAMPLES_KEPT: usize = 6;
const SAMPLES_PER_REASON: usize = 3;
/// Hosts tracked by name; later new hosts are counted under `(other hosts)` (bounded state).
const MAX_HOSTS: usize = 50_000;
const TOP_HOSTS: usize = 30;

/// Bounded uniform sample (Algorithm R) with a fixed-seed xorshift, so reports are repeatable.
pub struct Reservoir<T> {
    pub items: Vec<T>,
    cap: usize,
    seen: u64,
    rng: u64,
}

impl<T> Reservoir<T> {
    pub fn new(cap: usize, seed: u64) -> Self {
        Reservoir {
            items: Vec::new(),
            cap,
            seen: 0,
            rng: seed | 1,
        }
    }
    pub fn push(&mut self, x: T) {
        self.seen += 1;
        if self.items.len() < self.cap {
            self.items.push(x);
            return;
        }
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        let j = (self.rng % self.seen) as usize;
        if j < self.cap {
            self.items[j] = x;
        }
    }
}

#[derive(Clone)]
pub struct Sample {
    pub id: String,
    pub url: String,
    pub lang: String,
    pub text: String,
}

#[derive(Default)]
struct Scan {
    numeric: BTreeMap<String, Reservoir<f64>>,
    counts: BTreeMap<&'static str, BTreeMap<String, u64>>,
    reasons_by_lang: BTreeMap<String, BTreeMap<String, u64>>,
    kept: Option<Reservoir<Sample>>,
    removed: BTreeMap<String, Reservoir<Sample>>,
    hosts: BTreeMap<String, HostCounts>,
}

/// Per-host docs kept and dropped, with drop reasons (the per-domain view).
#[derive(Default)]
struct HostCounts {
    kept: u64,
    dropped: u64,
    reasons: BTreeMap<String, u64>,
}

/// The host of a URL, lower case, without `www.` and port (`""` when there is none).
fn host_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    let host = host.split(':').next().unwrap_or("");
    host.trim_start_matches("www.").to_ascii_lowercase()
}

const CATEGORICAL: [&str; 4] = ["lang", "zh_variant", "charset_source", "charset"];
const NOT_SCORES: [&str; 2] = ["lang_score", "drop_reason"];

fn num_at(a: &dyn Array, row: usize) -> Option<f64> {
    if a.is_null(row) {
        return None;
    }
    let any = a.as_any();
    if let Some(x) = any.downcast_ref::<Float32Array>() {
        Some(x.value(row) as f64)
    } else if let Some(x) = any.downcast_ref::<Float64Array>() {
        Some(x.value(row))
    } else {
        any.downcast_ref::<Int64Array>()
            .map(|x| x.value(row) as f64)
    }
}

impl Scan {
    fn count_host(&mut self, url: &str, reason: Option<&str>) {
        let mut host = host_of(url);
        if host.is_empty() {
            host = "(no url)".into();
        }
        if !self.hosts.contains_key(&host) && self.hosts.len() >= MAX_HOSTS {
            host = "(other hosts)".into();
        }
        let h = self.hosts.entry(host).or_default();
        match reason {
            Some(r) => {
                h.dropped += 1;
                *h.reasons.entry(r.to_string()).or_default() += 1;
            }
            None => h.kept += 1,
        }
    }

    fn file(&mut self, path: &Path, removed: bool) -> Result<()> {
        for batch in batches(path, 1024)? {
            let b = batch?;
            let schema = b.schema();
            for row in 0..b.num_rows() {
                let lang = cell(&b, "lang", row).unwrap_or_else(|| "und".into());
                let text = cell(&b, "text", row).unwrap_or_default();
                let sample = || Sample {
                    id: cell(&b, "id", row).unwrap_or_default(),
                    url: cell(&b, "url", row).unwrap_or_default(),
                    lang: lang.clone(),
                    text: text.chars().take(600).collect(),
                };
                let reason = removed.then(|| {
                    format!(
                        "{}: {}",
                        cell(&b, "drop_step", row).unwrap_or_default(),
                        cell(&b, "drop_reason", row).unwrap_or_default()
                    )
                });
                self.count_host(&cell(&b, "url", row).unwrap_or_default(), reason.as_deref());
                if let Some(reason) = reason {
                    *self
                        .reasons_by_lang
                        .entry(lang.clone())
                        .or_default()
                        .entry(reason.clone())
                        .or_default() += 1;
                    let seed = self.removed.len() as u64 + 7;
                    self.removed
                        .entry(reason)
                        .or_insert_with(|| Reservoir::new(SAMPLES_PER_REASON, seed))
                        .push(sample());
                    continue;
                }
                self.kept
                    .get_or_insert_with(|| Reservoir::new(SAMPLES_KEPT, 42))
                    .push(sample());
                for name in CATEGORICAL {
                    if let Some(v) = cell(&b, name, row) {
                        *self.counts.entry(name).or_default().entry(v).or_default() += 1;
                    }
                }
                let len = text.chars().count() as f64;
                self.numeric
                    .entry("text_chars".into())
                    .or_insert_with(|| Reservoir::new(RESERVOIR, 3))
                    .push(len);
                for (i, f) in schema.fields().iter().enumerate() {
                    let numeric = matches!(
                        f.data_type(),
                        DataType::Float32 | DataType::Float64 | DataType::Int64
                    );
                    if !numeric || NOT_SCORES.contains(&f.name().as_str()) {
                        continue;
                    }
                    if let Some(v) = num_at(b.column(i).as_ref(), row) {
                        let seed = i as u64 + 11;
                        self.numeric
                            .entry(f.name().clone())
                            .or_insert_with(|| Reservoir::new(RESERVOIR, seed))
                            .push(v);
                    }
                }
            }
        }
        Ok(())
    }
}

/// Threshold values configured for a score column: numeric keys of the step configs (recorded
/// in run.json) whose name shares the column's stem, e.g. `gopher_mean_word_length` ↔
/// `max_mean_word_length`.
fn thresholds(pipeline: &serde_json::Value, column: &str) -> Vec<(String, f64)> {
    let stem = column.split_once('_').map_or(column, |(_, rest)| rest);
    let mut out = Vec::new();
    fn walk(v: &serde_json::Value, path: &str, stem: &str, out: &mut Vec<(String, f64)>) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, x) in m {
                    let p = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    if let Some(n) = x.as_f64() {
                        let key = k.trim_start_matches("min_").trim_start_matches("max_");
                        if key.len() >= 4
                            && (key == stem || stem.contains(key) || key.contains(stem))
                        {
                            out.push((p, n));
                        }
                    } else {
                        walk(x, &p, stem, out);
                    }
                }
            }
            serde_json::Value::Array(a) => a
                .iter()
                .enumerate()
                .for_each(|(i, x)| walk(x, &format!("{path}[{i}]"), stem, out)),
            _ => {}
        }
    }
    walk(&pipeline["steps"], "", stem, &mut out);
    out.truncate(6);
    out
}

pub fn run(dir: &Path, out: Option<&Path>) -> Result<()> {
    let stats_path = dir.join("stats.json");
    let rs: RunStats =
        serde_json::from_slice(&skypile_storage::read(&stats_path).with_context(|| {
            format!(
                "{} missing: run `skypile stats {}` first",
                stats_path.display(),
                dir.display()
            )
        })?)?;
    let run_info: serde_json::Value = skypile_storage::read(&dir.join("run.json"))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    let mut scan = Scan::default();
    for f in shards(dir, "data")? {
        scan.file(&f, false)?;
    }
    for f in shards(dir, "removed")? {
        scan.file(&f, true)?;
    }
    let html = render(&rs, &scan, &run_info["pipeline"]);
    let path: PathBuf = out
        .map(Path::to_path_buf)
        .unwrap_or_else(|| dir.join("report.html"));
    write_atomic(&path, html.as_bytes())?;
    println!("{}", path.display());
    Ok(())
}

fn render(rs: &RunStats, scan: &Scan, pipeline: &serde_json::Value) -> String {
    let mut h = Html::new(&format!("skypile report: {}", rs.name));
    h.section("summary", "Summary", |s| {
        let _ = write!(
            s,
            "<table><tr><th>docs in</th><td class=n id=docs-in>{}</td></tr><tr><th>docs out</th><td class=n id=docs-out>{}</td></tr>\
             <tr><th>tokens out</th><td class=n id=tokens-out>{}</td></tr><tr><th>complete</th><td>{}</td></tr></table>",
            rs.docs_in, rs.docs_out, rs.tokens_out, rs.complete
        );
    });
    h.section("funnel", "Funnel: documents kept after each step", |s| {
        let mut bars = vec![("ingest".to_string(), rs.docs_in as f64)];
        bars.extend(rs.steps.iter().map(|st| (st.label.clone(), st.kept as f64)));
        s.push_str(&bar_chart(&bars));
        s.push_str("<table><tr><th>step</th><th>in</th><th>kept</th><th>dropped</th><th>reasons</th></tr>");
        for st in &rs.steps {
            let reasons: Vec<String> = st.dropped_reasons.iter().map(|(r, n)| format!("{} {n}", esc(r))).collect();
            let _ = write!(s, "<tr><td>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td><td>{}</td></tr>", esc(&st.label), st.docs_in, st.kept, st.dropped, reasons.join(", "));
        }
        s.push_str("</table>");
    });
    h.section("reasons", "Drop reasons per language (removed/)", |s| {
        if scan.reasons_by_lang.is_empty() {
            s.push_str("<p>No removed/ shards: set <code>output.write_removed: true</code> to see them.</p>");
        }
        // one scale for every language: bar lengths compare across charts
        let max = scan.reasons_by_lang.values().flat_map(|r| r.values()).copied().max().unwrap_or(0);
        for (lang, reasons) in &scan.reasons_by_lang {
            let _ = write!(s, "<h3>{}</h3>", esc(lang));
            let bars: Vec<(String, f64)> = reasons.iter().map(|(r, n)| (r.clone(), *n as f64)).collect();
            s.push_str(&bar_chart_scaled(&bars, max as f64));
        }
    });
    h.section("domains", "Top hosts: docs kept and dropped", |s| {
        hosts_html(s, &scan.hosts)
    });
    h.section("languages", "Language mix (kept)", |s| {
        let bars: Vec<(String, f64)> = rs.by_lang.iter().map(|(l, t)| (format!("{l} docs"), t.docs as f64)).collect();
        s.push_str(&bar_chart(&bars));
        s.push_str("<table><tr><th>lang</th><th>docs</th><th>tokens</th><th>chars</th><th>tokens/char</th></tr>");
        for (l, t) in &rs.by_lang {
            let _ = write!(s, "<tr><td>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{:.3}</td></tr>", esc(l), t.docs, t.tokens, t.chars, t.tokens_per_char);
        }
        s.push_str("</table>");
    });
    for (name, title) in [
        ("zh_variant", "Chinese variant mix"),
        ("charset_source", "Charset decided by"),
        ("charset", "Charsets"),
    ] {
        h.section(name, title, |s| match scan.counts.get(name) {
            Some(c) if !c.is_empty() => s.push_str(&bar_chart(
                &c.iter()
                    .map(|(k, v)| (k.clone(), *v as f64))
                    .collect::<Vec<_>>(),
            )),
            _ => s.push_str("<p>No values in this run.</p>"),
        });
    }
    h.section(
        "histograms",
        "Distributions (kept docs) with configured thresholds",
        |s| {
            for (col, r) in &scan.numeric {
                let th = thresholds(pipeline, col);
                let _ = write!(s, "<h3>{}</h3>", esc(col));
                s.push_str(&histogram(&r.items, &th));
            }
        },
    );
    h.section("clusters", "Duplicate cluster sizes", |s| {
        match scan.numeric.get("minhash_cluster_size") {
            Some(r) => s.push_str(&histogram(&r.items, &[])),
            None => s.push_str("<p>No minhash step in this run.</p>"),
        }
    });
    h.section("samples", "Samples", |s| {
        s.push_str("<h3>kept</h3>");
        for x in scan.kept.iter().flat_map(|r| r.items.iter()) {
            sample_html(s, x);
        }
        for (reason, r) in &scan.removed {
            let _ = write!(s, "<h3>removed: {}</h3>", esc(reason));
            for x in &r.items {
                sample_html(s, x);
            }
        }
    });
    h.finish()
}

/// The hosts with the most docs (kept + dropped), with their main drop reason.
fn hosts_html(s: &mut String, hosts: &BTreeMap<String, HostCounts>) {
    if hosts.is_empty() {
        s.push_str("<p>No documents.</p>");
        return;
    }
    let mut top: Vec<(&String, &HostCounts)> = hosts.iter().collect();
    top.sort_by(|a, b| {
        (b.1.kept + b.1.dropped)
            .cmp(&(a.1.kept + a.1.dropped))
            .then(a.0.cmp(b.0))
    });
    top.truncate(TOP_HOSTS);
    let _ = write!(
        s,
        "<p>{} hosts; the {} with most documents (removed docs are counted when \
         <code>output.write_removed</code> is on).</p>",
        hosts.len(),
        top.len()
    );
    let max = top
        .iter()
        .map(|(_, c)| c.kept + c.dropped)
        .max()
        .unwrap_or(0) as f64;
    let bars: Vec<(String, f64)> = top
        .iter()
        .map(|(h, c)| ((*h).clone(), c.kept as f64))
        .collect();
    s.push_str("<h3>kept docs per host</h3>");
    s.push_str(&bar_chart_scaled(&bars, max));
    s.push_str("<table class=hosts><tr><th>host</th><th>kept</th><th>dropped</th><th>dropped %</th><th>main drop reason</th></tr>");
    for (host, c) in top {
        let main = c
            .reasons
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)));
        let pct = 100.0 * c.dropped as f64 / (c.kept + c.dropped).max(1) as f64;
        let _ = write!(
            s,
            "<tr><td>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{pct:.1}</td><td>{}</td></tr>",
            esc(host),
            c.kept,
            c.dropped,
            main.map_or(String::new(), |(r, n)| format!("{} ({n})", esc(r)))
        );
    }
    s.push_str("</table>");
}

fn sample_html(s: &mut String, x: &Sample) {
    let _ = write!(
        s,
        "<div class=doc><div class=meta>{} · {} · {}</div><pre>{}</pre></div>",
        esc(&x.id),
        esc(&x.lang),
        esc(&x.url),
        esc(&x.text)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_of_strips_scheme_www_port_and_user() {
        assert_eq!(host_of("https://www.Example.com:8080/a?b"), "example.com");
        assert_eq!(
            host_of("http://user@news.sina.com.cn/x"),
            "news.sina.com.cn"
        );
        assert_eq!(host_of("example.org/path"), "example.org");
        assert_eq!(host_of(""), "");
    }

    #[test]
    fn hosts_are_ranked_by_docs_with_their_main_reason() {
        let mut scan = Scan::default();
        for _ in 0..3 {
            scan.count_host("http://a.com/1", Some("c4: too_short"));
        }
        scan.count_host("http://a.com/2", Some("pii: x"));
        scan.count_host("http://a.com/3", None);
        scan.count_host("http://b.com/1", None);
        let mut s = String::new();
        hosts_html(&mut s, &scan.hosts);
        let (a, b) = (
            s.find("<td>a.com</td>").unwrap(),
            s.find("<td>b.com</td>").unwrap(),
        );
        assert!(a < b, "a.com has more docs: {s}");
        assert!(s.contains("<td class=n>1</td><td class=n>4</td><td class=n>80.0</td><td>c4: too_short (3)</td>"), "{s}");
    }

    #[test]
    fn shared_scale_draws_small_counts_short() {
        let small = bar_chart_scaled(&[("x".into(), 9.0)], 249.0);
        let own = bar_chart(&[("x".into(), 9.0)]);
        assert!(small.contains("width=\"18.8\""), "{small}");
        assert!(own.contains("width=\"520.0\""), "{own}");
    }
}
