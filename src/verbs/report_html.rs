//! Tiny HTML/SVG building blocks for `skypile report` (no chart library, no network).

use std::fmt::Write as _;

pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '&' => o.push_str("&amp;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

pub struct Html {
    body: String,
    toc: Vec<(String, String)>,
    title: String,
}

const STYLE: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:2em auto;max-width:1200px;color:#222}\
h2{border-bottom:1px solid #ccc;margin-top:2em}table{border-collapse:collapse;margin:.5em 0}\
td,th{border:1px solid #ddd;padding:2px 8px;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}\
.doc{border:1px solid #ddd;margin:.5em 0;padding:.3em .6em}.meta{color:#666;font-size:12px}\
pre{white-space:pre-wrap;margin:.3em 0;font-size:12px}svg text{font-size:11px}";

impl Html {
    pub fn new(title: &str) -> Self {
        Html {
            body: String::new(),
            toc: Vec::new(),
            title: title.to_string(),
        }
    }

    pub fn section(&mut self, id: &str, title: &str, f: impl FnOnce(&mut String)) {
        self.toc.push((id.to_string(), title.to_string()));
        let _ = write!(self.body, "<section id=\"{id}\"><h2>{}</h2>", esc(title));
        f(&mut self.body);
        self.body.push_str("</section>\n");
    }

    pub fn finish(self) -> String {
        let mut o = String::new();
        let _ = write!(
            o,
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{STYLE}</style></head><body><h1>{}</h1><nav>",
            esc(&self.title),
            esc(&self.title)
        );
        let links: Vec<String> = self
            .toc
            .iter()
            .map(|(id, t)| format!("<a href=\"#{id}\">{}</a>", esc(t)))
            .collect();
        o.push_str(&links.join(" · "));
        o.push_str("</nav>\n");
        o.push_str(&self.body);
        o.push_str("</body></html>\n");
        o
    }
}

/// Horizontal bars with labels and values.
pub fn bar_chart(bars: &[(String, f64)]) -> String {
    let max = bars.iter().map(|b| b.1).fold(0.0, f64::max);
    bar_chart_scaled(bars, max)
}

/// Bars drawn against a given maximum, so several charts share one scale (9 docs never draws
/// as long as 249 in the next chart).
pub fn bar_chart_scaled(bars: &[(String, f64)], max: f64) -> String {
    let max = max.max(1e-9);
    let (w, row) = (900.0, 18.0);
    let mut s = format!(
        "<svg width=\"{w}\" height=\"{}\" xmlns=\"http://www.w3.org/2000/svg\">",
        row * bars.len() as f64 + 4.0
    );
    for (i, (label, v)) in bars.iter().enumerate() {
        let y = i as f64 * row;
        let len = (v / max) * 520.0;
        let _ = write!(
            s,
            "<text x=\"0\" y=\"{}\">{}</text><rect x=\"300\" y=\"{}\" width=\"{len:.1}\" height=\"{}\" fill=\"#4a7ab5\"/><text x=\"{:.1}\" y=\"{}\">{}</text>",
            y + 13.0,
            esc(&truncate(label, 46)),
            y + 3.0,
            row - 5.0,
            305.0 + len,
            y + 13.0,
            fmt_num(*v)
        );
    }
    s.push_str("</svg>");
    s
}

/// A 30-bin histogram of the values, with vertical red lines at the named thresholds.
pub fn histogram(values: &[f64], thresholds: &[(String, f64)]) -> String {
    if values.is_empty() {
        return "<p>no values</p>".into();
    }
    let mut lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let mut hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    for (_, t) in thresholds {
        if t.is_finite() && *t >= lo - (hi - lo) && *t <= hi + (hi - lo) {
            lo = lo.min(*t);
            hi = hi.max(*t);
        }
    }
    if hi <= lo {
        hi = lo + 1.0;
    }
    const BINS: usize = 30;
    let mut bins = [0u64; BINS];
    for v in values {
        let i = (((v - lo) / (hi - lo)) * BINS as f64) as usize;
        bins[i.min(BINS - 1)] += 1;
    }
    let max = *bins.iter().max().unwrap_or(&1) as f64;
    let (w, h, x0) = (600.0, 140.0, 40.0);
    let bw = (w - x0) / BINS as f64;
    // one label line per threshold: thresholds close together overprinted each other
    let shown: Vec<&(String, f64)> = thresholds
        .iter()
        .filter(|(_, t)| *t >= lo && *t <= hi)
        .collect();
    let mut s = format!(
        "<svg width=\"{w}\" height=\"{}\" xmlns=\"http://www.w3.org/2000/svg\">",
        h + 18.0 + 13.0 * shown.len() as f64
    );
    for (i, n) in bins.iter().enumerate() {
        let bh = *n as f64 / max * h;
        let _ = write!(
            s,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{bh:.1}\" fill=\"#6b9bd1\"><title>{n}</title></rect>",
            x0 + i as f64 * bw,
            h - bh,
            bw - 1.0
        );
    }
    let _ = write!(
        s,
        "<text x=\"{x0}\" y=\"{}\">{}</text><text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
        h + 14.0,
        fmt_num(lo),
        w,
        h + 14.0,
        fmt_num(hi)
    );
    for (k, (name, t)) in shown.into_iter().enumerate() {
        let x = x0 + (t - lo) / (hi - lo) * (w - x0);
        // labels as a legend under the axis, one line each (the value tells which red line)
        let _ = write!(
            s,
            "<line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"0\" y2=\"{h}\" stroke=\"#d22\" stroke-width=\"2\"><title>{}</title></line><text x=\"{x0}\" y=\"{}\" fill=\"#d22\">{} = {}</text>",
            esc(name),
            h + 27.0 + 13.0 * k as f64,
            esc(&keep_tail(name, 44)),
            fmt_num(*t)
        );
    }
    let _ = write!(
        s,
        "</svg><div class=meta>{} values (sampled)</div>",
        values.len()
    );
    s
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        s.chars().take(n - 1).chain(['…']).collect()
    }
}

/// The end of a long config path (`…thresholds.en.dup_line_frac`): the key is what tells
/// thresholds apart.
fn keep_tail(s: &str, n: usize) -> String {
    let len = s.chars().count();
    if len <= n {
        return s.to_string();
    }
    ['…']
        .into_iter()
        .chain(s.chars().skip(len + 1 - n))
        .collect()
}

fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v:.3}")
    }
}

#[cfg(test)]
mod tests {
    use super::histogram;

    /// Two thresholds at one value: each label on its own line, with its value.
    #[test]
    fn threshold_labels_do_not_overprint() {
        let t = [("a.min_x".to_string(), 2.0), ("b.min_x".to_string(), 2.0)];
        let svg = histogram(&[1.0, 2.0, 3.0], &t);
        let ys: Vec<&str> = svg
            .split("<text ")
            .filter(|e| e.contains("fill=\"#d22\""))
            .filter_map(|e| e.split("y=\"").nth(1)?.split('"').next())
            .collect();
        assert_eq!(ys.len(), 2, "{svg}");
        assert_ne!(ys[0], ys[1], "{svg}");
        assert!(
            svg.contains("a.min_x = 2") && svg.contains("b.min_x = 2"),
            "{svg}"
        );
        let long = "steps[10].gopher_repetition.thresholds.default.dup_line_frac";
        assert_eq!(super::keep_tail(long, 20), "…fault.dup_line_frac");
    }
}
