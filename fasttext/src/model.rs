//! A supervised fastText model: load `.bin`/`.ftz`, save `.bin`, and predict label
//! probabilities exactly as fastText does.
//!
//! - Prediction averages the input rows of a line's feature ids into a hidden vector, then
//!   applies the loss's output layer: softmax, one-vs-all sigmoids, or the Huffman tree of
//!   hierarchical softmax (what `lid.176` uses), rebuilt from the label counts as fastText
//!   does at load time.
//! - Probabilities are reported as the Python `fasttext` package reports them:
//!   `exp(log(p + 1e-5))` per output (summed logs along the tree for `hs`), so scores and
//!   thresholds carry over unchanged between the two.

use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::args::{Args, Loss, MODEL_SUPERVISED};
use crate::dict::{Dict, EOS, whitespace_tokens};
use crate::io::{Reader, Writer};
use crate::matrix::{Dense, Matrix};

const MAGIC: i32 = 793712314;
const VERSION: i32 = 12;

pub struct Model {
    pub args: Args,
    pub dict: Dict,
    pub input: Matrix,
    pub output: Matrix,
    /// Hierarchical softmax tree (`hs` loss only).
    tree: Vec<Node>,
}

#[derive(Clone, Copy)]
struct Node {
    left: i32,
    right: i32,
    count: i64,
}

/// fastText's `std_log`: the 1e-5 keeps `log(0)` finite.
fn std_log(x: f32) -> f32 {
    (x + 1e-5).ln()
}

impl Model {
    pub fn new(args: Args, dict: Dict, input: Dense, output: Dense) -> Model {
        let mut m = Model {
            args,
            dict,
            input: Matrix::Dense(input),
            output: Matrix::Dense(output),
            tree: Vec::new(),
        };
        m.build_tree();
        m
    }

    pub fn load(path: &Path) -> Result<Model> {
        let bytes = std::fs::read(path)
            .with_context(|| format!("reading fastText model {}", path.display()))?;
        Self::from_bytes(&bytes).with_context(|| format!("loading {}", path.display()))
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Model> {
        let mut r = Reader::new(bytes);
        if r.i32("magic")? != MAGIC {
            bail!("not a fastText model (wrong magic number)");
        }
        let version = r.i32("version")?;
        if version > VERSION {
            bail!("fastText model version {version} is newer than this reader ({VERSION})");
        }
        let mut args = Args::read(&mut r)?;
        if args.model != MODEL_SUPERVISED {
            bail!("this is a word-vector model, not a classifier (train with `supervised`)");
        }
        if version == 11 {
            // fastText: "old supervised models do not use char ngrams"
            args.maxn = 0;
        }
        let dict = Dict::read(&mut r, &args)?;
        let quant = r.bool("quant flag")?;
        if dict.is_pruned() && !quant {
            bail!("pruned dictionary in a non-quantized model: invalid fastText file");
        }
        let input = Matrix::read(&mut r, quant)?;
        let qout = r.bool("qout flag")?;
        let output = Matrix::read(&mut r, quant && qout)?;
        let out_rows = match args.loss {
            Loss::Hs => (dict.nlabels - 1).max(0),
            _ => dict.nlabels,
        } as usize;
        let in_rows = dict.input_rows();
        if input.cols() != args.dim as usize || output.cols() != args.dim as usize {
            bail!("matrix width differs from dim {}", args.dim);
        }
        if output.rows() < out_rows || input.rows() < in_rows {
            bail!(
                "matrices ({}x, {}x) too small for the dictionary",
                input.rows(),
                output.rows()
            );
        }
        if args.loss == Loss::Ns {
            bail!("negative-sampling classifiers are not supported (use softmax, ova or hs)");
        }
        let mut m = Model {
            args,
            dict,
            input,
            output,
            tree: Vec::new(),
        };
        m.build_tree();
        Ok(m)
    }

    /// The `.bin` bytes (dense models only: training never quantizes).
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let (Matrix::Dense(input), Matrix::Dense(output)) = (&self.input, &self.output) else {
            bail!("saving a quantized model is not supported");
        };
        let mut w = Writer::default();
        w.i32(MAGIC);
        w.i32(VERSION);
        self.args.write(&mut w);
        self.dict.write(&mut w);
        w.bool(false);
        input.write(&mut w);
        w.bool(false);
        output.write(&mut w);
        Ok(w.buf)
    }

    pub fn save(&self, path: &Path) -> Result<()> {
        std::fs::write(path, self.to_bytes()?)
            .with_context(|| format!("writing {}", path.display()))
    }

    pub fn labels(&self) -> Vec<String> {
        (0..self.dict.nlabels as usize)
            .map(|i| self.dict.label(i))
            .collect()
    }

    /// Bytes of the weight matrices.
    pub fn mem_bytes(&self) -> usize {
        self.input.mem_bytes() + self.output.mem_bytes()
    }

    /// Probability of every label (index = label id) for one line, tokenised by whitespace as
    /// fastText's `predict` does; None when the line has no known feature.
    pub fn predict_line(&self, text: &str) -> Option<Vec<f32>> {
        self.predict_tokens(whitespace_tokens(text))
    }

    /// As [`Model::predict_line`] for tokens already split; [`EOS`] is appended.
    pub fn predict_tokens<'t>(
        &self,
        tokens: impl IntoIterator<Item = &'t [u8]>,
    ) -> Option<Vec<f32>> {
        let mut ids = Vec::new();
        self.dict
            .line_ids(tokens.into_iter().chain([EOS]), &mut ids);
        self.predict_ids(&ids)
    }

    pub fn predict_ids(&self, ids: &[i32]) -> Option<Vec<f32>> {
        if ids.is_empty() || self.dict.nlabels == 0 {
            return None;
        }
        let hidden = self.hidden(ids);
        Some(match self.args.loss {
            Loss::Hs => self.hs_probs(&hidden),
            Loss::Ova => (0..self.dict.nlabels as usize)
                .map(|i| std_log(sigmoid(self.output.dot_row(&hidden, i))).exp())
                .collect(),
            _ => softmax(&self.output, &hidden, self.dict.nlabels as usize)
                .into_iter()
                .map(|p| std_log(p).exp())
                .collect(),
        })
    }

    /// The average of the input rows (fastText's `computeHidden`).
    pub fn hidden(&self, ids: &[i32]) -> Vec<f32> {
        let mut h = vec![0.0f32; self.args.dim as usize];
        for &id in ids {
            self.input.add_row(&mut h, id as usize, 1.0);
        }
        let a = (1.0f64 / ids.len() as f64) as f32;
        h.iter_mut().for_each(|x| *x *= a);
        h
    }

    /// fastText's `HierarchicalSoftmaxLoss::buildTree`: Huffman over label counts (sorted
    /// descending in the dictionary), merging the two smallest of leaves and inner nodes.
    fn build_tree(&mut self) {
        if self.args.loss != Loss::Hs {
            return;
        }
        let counts = self.dict.label_counts();
        let osz = counts.len();
        if osz == 0 {
            return;
        }
        let blank = Node {
            left: -1,
            right: -1,
            count: 1_000_000_000_000_000,
        };
        let mut tree = vec![blank; 2 * osz - 1];
        for (node, &c) in tree.iter_mut().zip(&counts) {
            node.count = c;
        }
        let (mut leaf, mut node) = (osz as i64 - 1, osz);
        for i in osz..2 * osz - 1 {
            let mut mini = [0usize; 2];
            for m in &mut mini {
                if leaf >= 0 && tree[leaf as usize].count < tree[node].count {
                    *m = leaf as usize;
                    leaf -= 1;
                } else {
                    *m = node;
                    node += 1;
                }
            }
            tree[i].left = mini[0] as i32;
            tree[i].right = mini[1] as i32;
            tree[i].count = tree[mini[0]].count + tree[mini[1]].count;
        }
        self.tree = tree;
    }

    /// Every leaf's probability by walking the whole tree (fastText's `dfs` with no cut-off).
    fn hs_probs(&self, hidden: &[f32]) -> Vec<f32> {
        let osz = self.dict.nlabels as usize;
        let mut out = vec![0.0; osz];
        let mut stack = vec![(2 * osz - 2, 0.0f32)];
        while let Some((node, score)) = stack.pop() {
            let n = self.tree[node];
            if n.left < 0 && n.right < 0 {
                out[node] = score.exp();
                continue;
            }
            // fastText's `dfs` uses the exact sigmoid here, not its table
            let f = 1.0 / (1.0 + (-self.output.dot_row(hidden, node - osz) as f64).exp());
            let f = f as f32;
            stack.push((n.left as usize, score + std_log(1.0 - f)));
            stack.push((n.right as usize, score + std_log(f)));
        }
        out
    }
}

/// fastText's `Loss::sigmoid`: a 512-step table over [-8, 8], not the exact function. OVA and
/// hierarchical-softmax scores are therefore step functions of the logit, and a reader that
/// computes the exact sigmoid disagrees with fastText by up to a few percent.
pub fn sigmoid(x: f32) -> f32 {
    const MAX: f32 = 8.0;
    const SIZE: usize = 512;
    static TABLE: std::sync::OnceLock<Vec<f32>> = std::sync::OnceLock::new();
    if x < -MAX {
        return 0.0;
    }
    if x > MAX {
        return 1.0;
    }
    let table = TABLE.get_or_init(|| {
        (0..=SIZE)
            .map(|i| {
                let x = (i * 2 * MAX as usize) as f32 / SIZE as f32 - MAX;
                (1.0 / (1.0 + (-x as f64).exp())) as f32
            })
            .collect()
    });
    table[((x + MAX) * SIZE as f32 / MAX / 2.0) as usize]
}

/// fastText's `SoftmaxLoss::computeOutput`.
pub fn softmax(output: &Matrix, hidden: &[f32], n: usize) -> Vec<f32> {
    let mut o: Vec<f32> = (0..n).map(|i| output.dot_row(hidden, i)).collect();
    softmax_in_place(&mut o);
    o
}

/// Logits to probabilities, shifted by the maximum as fastText does.
pub fn softmax_in_place(o: &mut [f32]) {
    let max = o.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut z = 0.0f32;
    for x in o.iter_mut() {
        *x = (*x - max).exp();
        z += *x;
    }
    o.iter_mut().for_each(|x| *x /= z);
}
