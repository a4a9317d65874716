//! `skypile train lm`: train (or convert from ARPA) an n-gram model for the `perplexity` step,
//! and with `--calibrate` measure held-out good text against generated junk and print the
//! cut-off to put in the pipeline.
//!
//! - Input: `.txt` files with one paragraph per line, or `.jsonl` with a `text` field (one
//!   paragraph per record). Files are read in the order given; the result is deterministic.
//! - Chinese input is converted to Simplified first (OpenCC t2s), as `zh_variant: {traditional:
//!   convert}` does in the pipeline before this model scores anything; `--keep-traditional`
//!   turns that off. Exact duplicate lines are trained once.
//! - `--holdout` (implied by `--calibrate`) leaves out every 10th paragraph of each file
//!   (`skypile_ngram::calibrate::split`); only those are used to measure and calibrate.

use std::io::BufRead;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use skypile_core::{Counters, Doc, Step};
use skypile_ngram::calibrate::{self, DOC_BYTES};
use skypile_ngram::model::DocScore;
use skypile_ngram::{Model, Smoothing, TrainConfig, Units};

#[derive(clap::Args, Debug, Clone)]
pub struct TrainLmArgs {
    /// Language of the text (`zh` scores characters, anything else words).
    #[arg(long)]
    pub lang: String,
    /// Training text: `.txt` (one paragraph per line) or `.jsonl` (`text` field).
    #[arg(long, num_args = 1..)]
    pub input: Vec<PathBuf>,
    /// Model file to write (skypile binary, loaded by the `perplexity` step).
    #[arg(short, long)]
    pub output: PathBuf,
    /// Longest n-gram (1 to 7).
    #[arg(long, default_value_t = 5)]
    pub order: usize,
    /// Per-order count thresholds, KenLM style: `0,0,1` drops trigrams and longer seen once.
    #[arg(long, value_delimiter = ',', default_value = "0,0,1")]
    pub prune: Vec<u64>,
    /// `kneser-ney` (interpolated, modified) or `stupid-backoff`.
    #[arg(long, default_value = "kneser-ney")]
    pub smoothing: String,
    /// Units override: `zh_chars` or `words` (default from `--lang`).
    #[arg(long)]
    pub units: Option<String>,
    /// Do not convert Traditional Chinese input to Simplified.
    #[arg(long)]
    pub keep_traditional: bool,
    /// Leave every 10th paragraph of each file out of training.
    #[arg(long)]
    pub holdout: bool,
    /// Measure held-out text vs generated junk and print the cut-off (implies --holdout).
    #[arg(long)]
    pub calibrate: bool,
    /// Extra good docs to check the cut-off on (every file one doc; never trained on).
    #[arg(long, num_args = 1..)]
    pub check_dir: Vec<PathBuf>,
    /// Bytes of each doc scored (the step's `max_bytes`).
    #[arg(long, default_value_t = 10_000)]
    pub max_bytes: usize,
    /// Also write the model as an ARPA file.
    #[arg(long)]
    pub arpa: Option<PathBuf>,
    /// Convert this ARPA file instead of training (its units: `--units` or from `--lang`).
    #[arg(long, conflicts_with = "input")]
    pub from_arpa: Option<PathBuf>,
}

fn units(a: &TrainLmArgs) -> Result<Units> {
    Ok(match a.units.as_deref() {
        None => Units::for_lang(&a.lang),
        Some("zh_chars") => Units::ZhChars,
        Some("words") => Units::Words,
        Some(u) => bail!("--units {u}: use zh_chars or words"),
    })
}

/// Paragraphs of one input file.
fn paragraphs(path: &Path) -> Result<Vec<String>> {
    let f = std::fs::File::open(path).with_context(|| format!("reading {}", path.display()))?;
    let jsonl = path.extension().is_some_and(|e| e == "jsonl");
    let mut out = Vec::new();
    for (i, line) in std::io::BufReader::new(f).lines().enumerate() {
        let line =
            line.with_context(|| format!("{}: line {} is not UTF-8", path.display(), i + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        if jsonl {
            let v: serde_json::Value = serde_json::from_str(&line)
                .with_context(|| format!("{}: line {} is not JSON", path.display(), i + 1))?;
            if let Some(t) = v.get("text").and_then(|t| t.as_str()) {
                out.push(t.to_string());
            }
        } else {
            out.push(line);
        }
    }
    Ok(out)
}

/// The pipeline's Traditional -> Simplified conversion, for Chinese text.
fn simplifier(a: &TrainLmArgs) -> Result<Option<skypile_lang::ZhVariant>> {
    if a.keep_traditional || Units::for_lang(&a.lang) != Units::ZhChars {
        return Ok(None);
    }
    let cfg = skypile_lang::ZhVariantConfig {
        traditional: skypile_lang::zh_variant::Traditional::Convert,
        ..Default::default()
    };
    Ok(Some(cfg.build()?))
}

fn simplify(conv: &Option<skypile_lang::ZhVariant>, text: String) -> String {
    let Some(c) = conv else { return text };
    let mut d = Doc::from_text("", text);
    d.set_lang("zh", 1.0);
    c.process(&mut d, &mut Counters::default());
    d.text().to_string()
}

pub fn run(a: &TrainLmArgs) -> Result<()> {
    let units = units(a)?;
    let model = match &a.from_arpa {
        Some(p) => {
            let f = std::fs::File::open(p).with_context(|| format!("reading {}", p.display()))?;
            let src = p.display().to_string();
            skypile_ngram::arpa::read(std::io::BufReader::new(f), &a.lang, units, &src)
                .with_context(|| format!("{}", p.display()))?
        }
        None => return train(a, units),
    };
    model.save(&a.output)?;
    println!("{}: {} n-grams from ARPA", a.output.display(), model.len());
    Ok(())
}

fn train(a: &TrainLmArgs, units: Units) -> Result<()> {
    if a.input.is_empty() {
        bail!("give training text with --input FILE... (or --from-arpa FILE)");
    }
    let smoothing = match a.smoothing.as_str() {
        "kneser-ney" | "kneser_ney" | "kn" => Smoothing::KneserNey,
        "stupid-backoff" | "stupid_backoff" => Smoothing::StupidBackoff,
        s => bail!("--smoothing {s}: use kneser-ney or stupid-backoff"),
    };
    let conv = simplifier(a)?;
    let holdout = a.holdout || a.calibrate;
    let (mut lines, mut heldout) = (Vec::new(), Vec::new());
    let mut names = Vec::new();
    for p in &a.input {
        let paras: Vec<String> = paragraphs(p)?
            .into_iter()
            .map(|t| simplify(&conv, t))
            .collect();
        let (train, docs) = if holdout {
            calibrate::split(&paras)
        } else {
            (paras.iter().map(String::as_str).collect(), Vec::new())
        };
        lines.extend(train.iter().flat_map(|t| t.lines()).map(str::to_string));
        heldout.extend(docs);
        names.push(
            p.file_name()
                .map_or(String::new(), |f| f.to_string_lossy().into_owned()),
        );
    }
    let mut seen = std::collections::HashSet::new();
    lines.retain(|l| seen.insert(l.clone()));
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    let cfg = TrainConfig {
        order: a.order,
        prune: a.prune.clone(),
        smoothing,
        ..Default::default()
    };
    let source = format!(
        "{}{}",
        names.join(", "),
        if holdout {
            " (every 10th paragraph held out)"
        } else {
            ""
        }
    );
    let mut t = skypile_ngram::train(&refs, &a.lang, units, &cfg, &source)?;
    let model = t.to_model()?;
    model.save(&a.output)?;
    if let Some(p) = &a.arpa {
        let mut w = std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?,
        );
        t.write_arpa(&mut w)?;
    }
    let size = std::fs::metadata(&a.output).map_or(0, |m| m.len());
    println!(
        "{}: {} lines, {} units, n-grams per order {:?}, {:.1} MB on disk, {:.1} MB loaded, {} hash collisions",
        a.output.display(),
        refs.len(),
        model.header.train_units,
        model.header.ngrams,
        size as f64 / 1e6,
        model.memory_bytes() as f64 / 1e6,
        t.collisions
    );
    if a.calibrate {
        print!("{}", calibration(a, &model, &heldout, &conv)?);
    }
    Ok(())
}

/// Every file of the check dirs as one doc (CleanEval's `URL:` header and tags removed).
fn check_docs(a: &TrainLmArgs, conv: &Option<skypile_lang::ZhVariant>) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for dir in &a.check_dir {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .with_context(|| format!("reading {}", dir.display()))?
            .flatten()
            .map(|e| e.path())
            .collect();
        files.sort();
        for f in files {
            let raw = String::from_utf8_lossy(&std::fs::read(&f)?).into_owned();
            // Hard-wrapped gold text: a line not ending a sentence continues on the next one,
            // as an extractor would output the paragraph.
            let mut text = String::new();
            for l in raw.lines().filter(|l| !l.starts_with("URL:")) {
                let l = l.trim_start_matches(['<', 'p', 'h', 'l', '>']).trim();
                if l.is_empty() {
                    continue;
                }
                let ends = text
                    .chars()
                    .last()
                    .is_none_or(skypile_core::text::is_terminal_punct);
                let sep = if ends {
                    "\n"
                } else if l.is_ascii() {
                    " "
                } else {
                    ""
                };
                if !text.is_empty() {
                    text.push_str(sep);
                }
                text.push_str(l);
            }
            let text = simplify(conv, text);
            if text.len() >= DOC_BYTES {
                out.push(text);
            }
        }
    }
    Ok(out)
}

fn calibration(
    a: &TrainLmArgs,
    model: &Model,
    heldout: &[String],
    conv: &Option<skypile_lang::ZhVariant>,
) -> Result<String> {
    let checks = check_docs(a, conv)?;
    let mut s = format!(
        "\ncalibration ({}, held-out docs of >= {DOC_BYTES} bytes, junk seed {}, first {} bytes scored):\n",
        a.lang,
        calibrate::SEED,
        a.max_bytes
    );
    type Metric = fn(&DocScore) -> f64;
    let metrics: [(&str, Metric); 2] = [
        ("max_perplexity", |d| d.perplexity),
        ("max_ratio", |d| d.ratio()),
    ];
    for (name, metric) in metrics {
        let (good, junk) = calibrate::measure(model, &a.lang, heldout, metric, a.max_bytes);
        let cut = calibrate::choose_cut(&good, &junk);
        let web: Vec<f64> = checks
            .iter()
            .filter_map(|d| model.score(d, a.max_bytes).map(|s| metric(&s)))
            .collect();
        let mut sets: Vec<(&str, &[f64])> = vec![("good: held-out reference", &good)];
        if !web.is_empty() {
            sets.push(("good: check dirs (web)", &web));
        }
        let n_good = sets.len();
        let names: Vec<String> = junk.keys().map(|k| format!("junk: {k}")).collect();
        sets.extend(
            names
                .iter()
                .map(String::as_str)
                .zip(junk.values().map(Vec::as_slice)),
        );
        s += &format!(
            "\n{name} (column {}):\n",
            if name == "max_ratio" {
                "perplexity_ratio"
            } else {
                "perplexity"
            }
        );
        s += &calibrate::table(&sets, cut, n_good);
        s += &format!("cut-off: {name}: {{{}: {cut:.3}}}\n", a.lang);
        if name == "max_perplexity" {
            s += &format!(
                "CCNet-style buckets of held-out good (p30, p60): [{:.0}, {:.0}]\n",
                calibrate::quantile(&good, 0.3),
                calibrate::quantile(&good, 0.6)
            );
        }
    }
    Ok(s)
}
