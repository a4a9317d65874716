//! Supervised training of a fastText classifier (softmax or one-vs-all), deterministic for a
//! fixed seed and thread count.
//!
//! - Same model as fastText's `supervised`: averaged input rows of word, word n-gram and
//!   character n-gram ids, a linear output layer, SGD with a learning rate decaying linearly to
//!   zero, input rows drawn from U(-1/dim, 1/dim), output rows zero.
//! - fastText's threads update shared weights without locks (Hogwild), so its models change
//!   from run to run. Here each thread works through its shard in rounds of `ROUND` examples,
//!   reading the weights as of the round start plus its own updates, and the rounds' updates
//!   are added in thread order. With one thread this is exactly sequential SGD; with `n`
//!   threads the result depends on `n` but never on scheduling.
//! - The examples are shuffled with the seed every epoch (fastText reads the file in order,
//!   which would train on all positives and then all negatives when they come in two files).

use std::collections::HashMap;

use anyhow::{Result, bail};

use crate::args::{Args, Loss};
use crate::dict::{Dict, EOS, Entry, LABEL_PREFIX, whitespace_tokens};
use crate::matrix::Dense;
use crate::model::{Model, sigmoid, softmax_in_place};

/// Examples per thread between two merges of the threads' updates.
const ROUND: usize = 256;

#[derive(Debug, Clone)]
pub struct TrainOpts {
    /// dim, epoch, word_ngrams, minn, maxn, bucket, loss (softmax or ova), min_count.
    pub args: Args,
    pub lr: f32,
    pub threads: usize,
    pub seed: u64,
}

impl Default for TrainOpts {
    fn default() -> Self {
        TrainOpts {
            args: Args::default(),
            lr: 0.1,
            threads: 1,
            seed: 1,
        }
    }
}

/// One training document: whitespace-separated tokens and its label names (without prefix).
pub struct Example {
    pub text: String,
    pub labels: Vec<String>,
}

/// The workspace's seeded generator (one copy, in `skypile_core::rng`); re-exported here for
/// this crate's callers.
pub use skypile_core::rng::Rng;

/// Seeded toy documents for tests and examples: `n` per `(label, vocabulary)` pair, each a
/// random draw of `words` words from that space-separated vocabulary.
pub fn toy_examples(
    sources: &[(&str, &str)],
    n: usize,
    words: std::ops::Range<usize>,
    seed: u64,
) -> Vec<Example> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::new();
    for (label, vocab) in sources {
        let vocab: Vec<&str> = vocab.split(' ').collect();
        for _ in 0..n {
            let len = words.start + rng.below(words.len().max(1));
            let text: Vec<&str> = (0..len).map(|_| vocab[rng.below(vocab.len())]).collect();
            let labels = vec![label.to_string()];
            out.push(Example {
                text: text.join(" "),
                labels,
            });
        }
    }
    out
}

/// fastText's `Dictionary::readFromFile` + `threshold`: count tokens (each line ends with
/// `</s>`), keep words seen `min_count` times, sort words then labels by count (ties by bytes,
/// so the order is deterministic).
fn build_dict(examples: &[Example], args: &Args) -> Dict {
    let mut counts: HashMap<Vec<u8>, (i64, bool)> = HashMap::new();
    let mut ntokens = 0i64;
    for ex in examples {
        let labels = ex.labels.iter().map(|l| format!("{LABEL_PREFIX}{l}"));
        for l in labels {
            counts.entry(l.into_bytes()).or_insert((0, true)).0 += 1;
            ntokens += 1;
        }
        for t in whitespace_tokens(&ex.text).chain([EOS]) {
            if t.starts_with(LABEL_PREFIX.as_bytes()) {
                continue;
            }
            counts.entry(t.to_vec()).or_insert((0, false)).0 += 1;
            ntokens += 1;
        }
    }
    let mut entries: Vec<Entry> = counts
        .into_iter()
        .filter(|(_, (c, lab))| *lab || *c >= args.min_count as i64)
        .map(|(word, (count, is_label))| Entry {
            word,
            count,
            is_label,
        })
        .collect();
    entries.sort_by(|a, b| (a.is_label, -a.count, &a.word).cmp(&(b.is_label, -b.count, &b.word)));
    Dict::new(entries, ntokens, args)
}

/// One thread's view of a round: its updates to input rows and its copy of the output layer.
struct Local {
    delta: HashMap<i32, Vec<f32>>,
    out: Dense,
    rng: Rng,
}

struct Prepared {
    ids: Vec<i32>,
    labels: Vec<usize>,
}

pub fn train(examples: &[Example], opts: &TrainOpts) -> Result<Model> {
    let args = &opts.args;
    if !matches!(args.loss, Loss::Softmax | Loss::Ova) {
        bail!("training supports loss softmax or ova");
    }
    let dict = build_dict(examples, args);
    if dict.nlabels < 2 && args.loss == Loss::Softmax {
        bail!(
            "training needs at least two labels (found {})",
            dict.nlabels
        );
    }
    let data: Vec<Prepared> = examples
        .iter()
        .map(|ex| {
            let mut ids = Vec::new();
            dict.line_ids(whitespace_tokens(&ex.text).chain([EOS]), &mut ids);
            let labels = ex.labels.iter().filter_map(|l| dict.label_id(l)).collect();
            Prepared { ids, labels }
        })
        .filter(|p| !p.ids.is_empty() && !p.labels.is_empty())
        .collect();
    let dim = args.dim as usize;
    let mut rng = Rng::new(opts.seed);
    let mut input = Dense::zeros(dict.nwords as usize + args.bucket as usize, dim);
    let a = 1.0 / dim as f32;
    input.data.iter_mut().for_each(|x| *x = rng.uniform(a));
    let mut output = Dense::zeros(dict.nlabels as usize, dim);
    let threads = opts.threads.max(1);
    let epochs = args.epoch.max(1) as usize;
    let total = (epochs * data.len()).max(1) as f64;
    let mut order: Vec<usize> = (0..data.len()).collect();
    for epoch in 0..epochs {
        rng.shuffle(&mut order);
        let shards: Vec<&[usize]> = order.chunks(order.len().div_ceil(threads).max(1)).collect();
        let rounds = shards
            .iter()
            .map(|s| s.len().div_ceil(ROUND))
            .max()
            .unwrap_or(0);
        for round in 0..rounds {
            let done = (epoch * data.len() + round * ROUND * threads) as f64;
            let locals: Vec<Local> = std::thread::scope(|s| {
                let handles: Vec<_> = (shards.iter().enumerate())
                    .map(|(t, shard)| {
                        let (input, output, data) = (&input, &output, &data);
                        let seed = opts.seed ^ ((epoch * 1_000_003 + round * 131 + t) as u64);
                        s.spawn(move || {
                            let mut local = Local {
                                delta: HashMap::new(),
                                out: Dense {
                                    rows: output.rows,
                                    cols: output.cols,
                                    data: output.data.clone(),
                                },
                                rng: Rng::new(seed),
                            };
                            let part = shard.iter().skip(round * ROUND).take(ROUND);
                            for (i, &ex) in part.enumerate() {
                                let progress = (done + (i * threads) as f64) / total;
                                let lr = opts.lr * (1.0 - progress.min(1.0)) as f32;
                                update(input, &mut local, &data[ex], lr, args.loss);
                            }
                            local
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().expect("training thread"))
                    .collect()
            });
            merge(&mut input, &mut output, locals);
        }
    }
    Ok(Model::new(args.clone(), dict, input, output))
}

/// Add the threads' round updates to the shared weights, in thread order.
fn merge(input: &mut Dense, output: &mut Dense, locals: Vec<Local>) {
    let start = output.data.clone();
    for local in locals {
        let mut rows: Vec<_> = local.delta.into_iter().collect();
        rows.sort_by_key(|(id, _)| *id);
        for (id, d) in rows {
            for (x, dv) in input.row_mut(id as usize).iter_mut().zip(&d) {
                *x += dv;
            }
        }
        for ((o, l), s) in output.data.iter_mut().zip(&local.out.data).zip(&start) {
            *o += l - s;
        }
    }
}

/// One SGD step (fastText's `Model::update` with `normalizeGradient` for supervised).
fn update(input: &Dense, local: &mut Local, ex: &Prepared, lr: f32, loss: Loss) {
    let dim = input.cols;
    let mut hidden = vec![0.0f32; dim];
    for &id in &ex.ids {
        let row = input.row(id as usize);
        let d = local.delta.get(&id);
        for j in 0..dim {
            hidden[j] += row[j] + d.map_or(0.0, |d| d[j]);
        }
    }
    let inv = (1.0f64 / ex.ids.len() as f64) as f32;
    hidden.iter_mut().for_each(|x| *x *= inv);
    let out = &mut local.out;
    let scores: Vec<f32> = match loss {
        Loss::Ova => (0..out.rows)
            .map(|i| sigmoid(dot(out.row(i), &hidden)))
            .collect(),
        _ => {
            let mut o: Vec<f32> = (0..out.rows).map(|i| dot(out.row(i), &hidden)).collect();
            softmax_in_place(&mut o);
            o
        }
    };
    let target = ex.labels[local.rng.below(ex.labels.len())];
    let mut grad = vec![0.0f32; dim];
    for (i, s) in scores.iter().enumerate() {
        let positive = match loss {
            Loss::Ova => ex.labels.contains(&i),
            _ => i == target,
        };
        let alpha = lr * (positive as u8 as f32 - s);
        let row = out.row_mut(i);
        for j in 0..dim {
            grad[j] += alpha * row[j];
            row[j] += alpha * hidden[j];
        }
    }
    grad.iter_mut().for_each(|g| *g *= inv);
    for &id in &ex.ids {
        let d = local.delta.entry(id).or_insert_with(|| vec![0.0; dim]);
        for j in 0..dim {
            d[j] += grad[j];
        }
    }
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}
