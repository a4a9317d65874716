//! Reading KenLM / SRILM ARPA files into a [`Model`].
//!
//! - The format: a `\data\` section with `ngram K=N` counts, then one `\K-grams:` section per
//!   order whose lines are `log10prob <TAB> w1 w2 … [<TAB> log10backoff]`, then `\end\`.
//! - ARPA files carry no unit definition: the caller says how text is split into the units the
//!   file was trained on (`zh_chars` or `words`). A model over SentencePiece pieces (CCNet's
//!   published ones) needs that tokenizer, which skypile does not have.
//! - A file without `<unk>` gets one at -100 (KenLM's convention for closed vocabularies).

use std::io::BufRead;

use anyhow::{Context, Result, bail};

use crate::model::{Header, MAX_ORDER, Model, UNK, ngram_key, unit_hash};
use crate::units::Units;

/// Read an ARPA file; `lang` and `units` describe what it was trained on.
pub fn read(input: impl BufRead, lang: &str, units: Units, source: &str) -> Result<Model> {
    let mut declared: Vec<u64> = Vec::new();
    let mut order = 0usize;
    let mut entries: Vec<(u64, f32, f32)> = Vec::new();
    let mut seen = [0u64; MAX_ORDER + 1];
    let mut section: Option<usize> = None;
    let mut hashes: Vec<u64> = Vec::with_capacity(MAX_ORDER);
    for (i, line) in input.lines().enumerate() {
        let line = line.with_context(|| format!("ARPA line {}", i + 1))?;
        let t = line.trim();
        if t.is_empty() {
            continue;
        }
        if t == "\\data\\" {
            section = Some(0);
        } else if t == "\\end\\" {
            break;
        } else if let Some(k) = t.strip_prefix('\\').and_then(|s| s.strip_suffix("-grams:")) {
            let k: usize = k
                .parse()
                .with_context(|| format!("ARPA line {}: bad section {t}", i + 1))?;
            if k == 0 || k > MAX_ORDER {
                bail!(
                    "ARPA line {}: order {k} is not supported (1 to {MAX_ORDER})",
                    i + 1
                );
            }
            order = order.max(k);
            section = Some(k);
        } else if section == Some(0) {
            if let Some((_, n)) = t.strip_prefix("ngram ").and_then(|s| s.split_once('=')) {
                declared.push(
                    n.trim()
                        .parse()
                        .with_context(|| format!("ARPA line {}: {t}", i + 1))?,
                );
            }
        } else if let Some(k) = section {
            let mut cols = t.split('\t');
            let (Some(p), Some(words)) = (cols.next(), cols.next()) else {
                bail!(
                    "ARPA line {}: expected `prob<TAB>words[<TAB>backoff]`",
                    i + 1
                );
            };
            let p: f32 = p
                .trim()
                .parse()
                .with_context(|| format!("ARPA line {}: bad probability", i + 1))?;
            let b: f32 = match cols.next() {
                Some(b) => b
                    .trim()
                    .parse()
                    .with_context(|| format!("ARPA line {}: bad back-off", i + 1))?,
                None => 0.0,
            };
            hashes.clear();
            hashes.extend(words.split_whitespace().map(unit_hash));
            if hashes.len() != k {
                bail!(
                    "ARPA line {}: {} words in the {k}-gram section",
                    i + 1,
                    hashes.len()
                );
            }
            entries.push((ngram_key(&hashes), p, b));
            seen[k] += 1;
        } else {
            bail!(
                "ARPA line {}: text before the \\data\\ section; is this an ARPA file?",
                i + 1
            );
        }
    }
    if order == 0 {
        bail!("no n-gram sections: not an ARPA file (or an empty one)");
    }
    for (k, &n) in declared.iter().enumerate() {
        if seen[k + 1] != n {
            bail!(
                "ARPA file declares {n} {}-grams but holds {}: it is truncated",
                k + 1,
                seen[k + 1]
            );
        }
    }
    let unk = ngram_key(&[unit_hash(UNK)]);
    if !entries.iter().any(|e| e.0 == unk) {
        entries.push((unk, -100.0, 0.0));
    }
    entries.sort_by_key(|e| e.0);
    entries.dedup_by_key(|e| e.0);
    let header = Header {
        lang: lang.to_string(),
        units,
        order,
        smoothing: "arpa".into(),
        ngrams: seen[1..=order].to_vec(),
        train_units: 0,
        train_lines: 0,
        source: source.to_string(),
    };
    Model::from_entries(header, &entries)
}
