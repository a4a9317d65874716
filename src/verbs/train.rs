//! `skypile train classifier`: train a fastText-compatible classifier from labelled docs.
//!
//! - Input: JSONL/Parquet rows with `text` and `label` (field names configurable), or two
//!   inputs `--pos`/`--neg` whose docs all get `--pos-label`/`--neg-label`.
//! - Every doc is labelled by the `lang` step and tokenised by the same function the
//!   `quality_model` step uses ([`skypile_fasttext::doc_line`]: jieba words for Chinese), so
//!   the model is scored on exactly the tokens it learned from.
//! - `--holdout F` keeps a seeded fraction out of training and prints accuracy per language
//!   and label on it; the output `.bin` loads in the Python `fasttext` package.
//! - Deterministic: the same inputs, seed and `--threads` give the same bytes.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Result, bail};
use rayon::prelude::*;
use skypile_core::{Counters, Doc, Step};
use skypile_fasttext::{Args, Example, Loss, Model, Tokens, TrainOpts, doc_line};
use skypile_ingest::{Event, InputConfig};

#[derive(clap::Subcommand, Debug)]
pub enum TrainCmd {
    /// A supervised fastText-compatible classifier (quality model, language ID).
    Classifier(ClassifierArgs),
    /// An n-gram language model for the `perplexity` step.
    Lm(super::train_lm::TrainLmArgs),
}

#[derive(clap::Args, Debug)]
pub struct ClassifierArgs {
    /// Labelled JSONL/Parquet files, folders or globs (fields `--text-field`, `--label-field`).
    #[arg(long, num_args = 1..)]
    pub input: Vec<String>,
    /// Unlabelled inputs whose docs are all `--pos-label`.
    #[arg(long, num_args = 1..)]
    pub pos: Vec<String>,
    /// Unlabelled inputs whose docs are all `--neg-label`.
    #[arg(long, num_args = 1..)]
    pub neg: Vec<String>,
    #[arg(long, default_value = "hq")]
    pub pos_label: String,
    #[arg(long, default_value = "lq")]
    pub neg_label: String,
    #[arg(long, default_value = "text")]
    pub text_field: String,
    #[arg(long, default_value = "label")]
    pub label_field: String,
    /// Output model (fastText `.bin`).
    #[arg(long, short)]
    pub output: PathBuf,
    #[arg(long, default_value_t = 16)]
    pub dim: i32,
    #[arg(long, default_value_t = 5)]
    pub epoch: i32,
    #[arg(long, default_value_t = 0.1)]
    pub lr: f32,
    /// Word n-gram length (2 = words and word bigrams).
    #[arg(long, default_value_t = 2)]
    pub word_ngrams: i32,
    /// Character n-grams from `minn` to `maxn` characters (0 = none).
    #[arg(long, default_value_t = 0)]
    pub minn: i32,
    #[arg(long, default_value_t = 0)]
    pub maxn: i32,
    /// Hash buckets for word and character n-grams (model size: (words + bucket) x dim x 4 B).
    #[arg(long, default_value_t = 200_000)]
    pub bucket: i32,
    /// Words seen fewer times are dropped from the vocabulary (their n-grams still count).
    #[arg(long, default_value_t = 1)]
    pub min_count: i32,
    /// `softmax` or `ova` (one-vs-all, for docs with several labels).
    #[arg(long, default_value = "softmax")]
    pub loss: String,
    /// Training threads; the model depends on this number (and never on scheduling).
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// `words` (jieba for Chinese; what `quality_model` uses by default) or `whitespace`.
    #[arg(long, default_value = "words")]
    pub tokens: String,
    /// Tokens read per doc.
    #[arg(long, default_value_t = 2000)]
    pub max_words: usize,
    /// Fraction of docs kept out of training to report accuracy on.
    #[arg(long, default_value_t = 0.0)]
    pub holdout: f64,
}

pub fn run(cmd: &TrainCmd) -> Result<()> {
    match cmd {
        TrainCmd::Classifier(a) => classifier(a),
        TrainCmd::Lm(a) => super::train_lm::run(a),
    }
}

/// Labelled docs, in input order: (label, doc).
fn read_labelled(a: &ClassifierArgs) -> Result<Vec<(String, Doc)>> {
    let mut out = Vec::new();
    let mut cfg = InputConfig {
        text_field: a.text_field.clone(),
        ..Default::default()
    };
    let mut skipped = Counters::default();
    let sets = [
        (&a.input, None),
        (&a.pos, Some(&a.pos_label)),
        (&a.neg, Some(&a.neg_label)),
    ];
    for (paths, fixed) in sets {
        if paths.is_empty() {
            continue;
        }
        // The label rides in the reader's id field; a row without one gets the reader's
        // `<file>/<row>` id, which no label can be (labels are single tokens without `/`).
        cfg.id_field = if fixed.is_some() {
            "id"
        } else {
            &a.label_field
        }
        .to_string();
        for (i, path) in skypile_ingest::list_inputs(paths)?.iter().enumerate() {
            for ev in skypile_ingest::open(path, i as u32, &cfg)? {
                match ev {
                    Event::Doc(d) => {
                        let label = fixed.cloned().unwrap_or_else(|| d.id.clone());
                        if label.is_empty() || label.contains(['/', ' ', '\t', '\n']) {
                            skipped.inc("no_label");
                            continue;
                        }
                        out.push((label, *d));
                    }
                    Event::Skip { reason, .. } => skipped.inc(&reason),
                }
            }
        }
    }
    if !skipped.is_empty() {
        log::warn!("skipped input rows: {:?}", skipped.0);
    }
    Ok(out)
}

fn classifier(a: &ClassifierArgs) -> Result<()> {
    let loss = match a.loss.as_str() {
        "softmax" => Loss::Softmax,
        "ova" => Loss::Ova,
        x => bail!("--loss {x}: use softmax or ova"),
    };
    let tokens = match a.tokens.as_str() {
        "words" => Tokens::Words,
        "whitespace" => Tokens::Whitespace,
        x => bail!("--tokens {x}: use words or whitespace"),
    };
    if !(0.0..1.0).contains(&a.holdout) {
        bail!("--holdout {} must be in [0, 1)", a.holdout);
    }
    let docs = read_labelled(a)?;
    if docs.is_empty() {
        bail!("no labelled docs: pass --input (with `text` and `label`) or --pos and --neg");
    }
    let lang = skypile_lang::LangConfig::default().build(|p| PathBuf::from(p))?;
    let examples: Vec<(String, Example)> = docs
        .into_par_iter()
        .map(|(label, mut doc)| {
            lang.process(&mut doc, &mut Counters::default());
            let text = doc_line(&doc, tokens, a.max_words);
            let labels = vec![label];
            (doc.lang.clone(), Example { text, labels })
        })
        .collect();
    let (train_set, held) = split(examples, a.holdout, a.seed);
    let train_examples: Vec<Example> = train_set.into_iter().map(|(_, e)| e).collect();
    let opts = TrainOpts {
        args: Args {
            dim: a.dim,
            epoch: a.epoch,
            word_ngrams: a.word_ngrams,
            minn: a.minn,
            maxn: a.maxn,
            bucket: a.bucket,
            min_count: a.min_count,
            loss,
            ..Args::default()
        },
        lr: a.lr,
        threads: a.threads,
        seed: a.seed,
    };
    let model = skypile_fasttext::train(&train_examples, &opts)?;
    model.save(&a.output)?;
    println!(
        "{}: {} training docs, {} words, labels {:?}, {:.1} MB",
        a.output.display(),
        train_examples.len(),
        model.dict.nwords,
        model.labels(),
        std::fs::metadata(&a.output)?.len() as f64 / 1e6
    );
    if !held.is_empty() {
        print!("{}", accuracy(&model, &held, &a.pos_label));
    }
    Ok(())
}

/// Training examples with the language the `lang` step gave their doc.
type LangExamples = Vec<(String, Example)>;

/// A seeded shuffle, then the first `fraction` is held out.
fn split(mut v: LangExamples, fraction: f64, seed: u64) -> (LangExamples, LangExamples) {
    let mut rng = skypile_fasttext::train::Rng::new(seed ^ 0x5eed);
    rng.shuffle(&mut v);
    let n = (v.len() as f64 * fraction).round() as usize;
    let train = v.split_off(n);
    (train, v)
}

/// Held-out report: top-1 accuracy per language and true label, then for a few thresholds on
/// `--pos-label`'s probability (the one `quality_model` scores) the share of docs of that label
/// kept and of the others dropped: the table thresholds are tuned on.
fn accuracy(model: &Model, held: &[(String, Example)], pos_label: &str) -> String {
    let labels = model.labels();
    let pos = model.dict.label_id(pos_label).unwrap_or(0);
    let mut by: BTreeMap<(String, String), (usize, usize)> = BTreeMap::new();
    let mut scores: BTreeMap<String, Vec<(bool, f32)>> = BTreeMap::new();
    for (lang, ex) in held {
        let p = model.predict_line(&ex.text);
        let best = p.as_ref().map(|p| {
            let i = (0..p.len())
                .max_by(|&x, &y| p[x].total_cmp(&p[y]))
                .unwrap_or(0);
            labels[i].clone()
        });
        let e = by.entry((lang.clone(), ex.labels[0].clone())).or_default();
        e.0 += 1;
        e.1 += (best.as_deref() == Some(ex.labels[0].as_str())) as usize;
        let score = p.map_or(0.0, |p| p[pos]);
        let is_pos = ex.labels[0] == labels[pos];
        scores
            .entry(lang.clone())
            .or_default()
            .push((is_pos, score));
    }
    let mut out = format!("held-out ({} docs): lang label docs accuracy\n", held.len());
    for ((lang, label), (n, right)) in by {
        let pct = 100.0 * right as f64 / n as f64;
        out += &format!("  {lang:<4} {label:<10} {n:>6} {pct:6.2}%\n");
    }
    out += &format!(
        "held-out by threshold on P({}): lang threshold kept/dropped\n",
        labels[pos]
    );
    for (lang, s) in scores {
        let npos = s.iter().filter(|x| x.0).count() as f64;
        let nneg = s.iter().filter(|x| !x.0).count() as f64;
        if npos == 0.0 || nneg == 0.0 {
            continue; // a language with one class tells nothing about a threshold
        }
        for t in [0.05f32, 0.1, 0.2, 0.3, 0.5, 0.7] {
            let kept = s.iter().filter(|x| x.0 && x.1 >= t).count() as f64;
            let dropped = s.iter().filter(|x| !x.0 && x.1 < t).count() as f64;
            let (k, d) = (100.0 * kept / npos, 100.0 * dropped / nneg);
            out += &format!(
                "  {lang:<4} {t:4.2}  {} kept {k:6.2}%  others dropped {d:6.2}%\n",
                labels[pos]
            );
        }
    }
    out
}
