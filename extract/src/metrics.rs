//! Token-level F1 between an extraction and its gold text, the measure used by CleanEval-style
//! evaluations (and by `scripts/eval_extract.py`, which mirrors this code): words for
//! alphabetic scripts, single characters for CJK, case, whitespace and punctuation ignored,
//! compared as bags (multisets) of tokens.

use std::collections::HashMap;

use skypile_core::text::is_cjk;

/// Lower-cased words and single CJK characters.
pub fn tokens(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    for c in s.chars() {
        if is_cjk(c) {
            if !word.is_empty() {
                out.push(std::mem::take(&mut word));
            }
            out.push(c.to_string());
        } else if c.is_alphanumeric() {
            word.extend(c.to_lowercase());
        } else if !word.is_empty() {
            out.push(std::mem::take(&mut word));
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

/// (precision, recall, F1) of `pred` against `gold`. Two empty texts agree perfectly.
pub fn token_prf(pred: &str, gold: &str) -> (f64, f64, f64) {
    let (p, g) = (tokens(pred), tokens(gold));
    if p.is_empty() && g.is_empty() {
        return (1.0, 1.0, 1.0);
    }
    if p.is_empty() || g.is_empty() {
        return (0.0, 0.0, 0.0);
    }
    let mut counts: HashMap<&str, i64> = HashMap::new();
    for t in &g {
        *counts.entry(t).or_default() += 1;
    }
    let mut common = 0usize;
    for t in &p {
        if let Some(c) = counts.get_mut(t.as_str())
            && *c > 0
        {
            *c -= 1;
            common += 1;
        }
    }
    if common == 0 {
        return (0.0, 0.0, 0.0);
    }
    let prec = common as f64 / p.len() as f64;
    let rec = common as f64 / g.len() as f64;
    (prec, rec, 2.0 * prec * rec / (prec + rec))
}

/// CleanEval gold files start with a `URL:` line and mark paragraphs with `<p>`, `<h>`, `<l>`.
pub fn clean_gold(s: &str) -> String {
    let body = match s.strip_prefix("URL:") {
        Some(rest) => rest.split_once('\n').map_or("", |(_, b)| b),
        None => s,
    };
    let mut out = body.to_string();
    for tag in ["<p>", "<h>", "<l>", "<P>", "<H>", "<L>"] {
        out = out.replace(tag, "");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_chars_and_english_words() {
        assert_eq!(
            tokens("Hello, World! 你好。"),
            vec!["hello", "world", "你", "好"]
        );
        let (_, _, f) = token_prf("我爱北京", "我爱北京天安门");
        assert!((f - 2.0 * (4.0 / 7.0) / (1.0 + 4.0 / 7.0)).abs() < 1e-9);
        assert_eq!(token_prf("", "").2, 1.0);
        assert_eq!(token_prf("a", "").2, 0.0);
    }

    #[test]
    fn cleaneval_markup_is_stripped() {
        let g = clean_gold("URL: http://x.org/a\n\n<h>Title\n<p> Body text.\n<l> item");
        assert_eq!(tokens(&g), vec!["title", "body", "text", "item"]);
    }
}
