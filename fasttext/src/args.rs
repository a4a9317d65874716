//! The hyper-parameters fastText stores at the head of a `.bin` (its `Args::save` order).

use anyhow::{Result, bail};

use crate::io::{Reader, Writer};

/// fastText's `loss_name` enum (stored as a 4-byte int).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loss {
    Hs = 1,
    Ns = 2,
    Softmax = 3,
    Ova = 4,
}

/// The fields of fastText's `Args` that its model file stores, in file order.
#[derive(Debug, Clone, PartialEq)]
pub struct Args {
    pub dim: i32,
    pub ws: i32,
    pub epoch: i32,
    pub min_count: i32,
    pub neg: i32,
    pub word_ngrams: i32,
    pub loss: Loss,
    /// 1 cbow, 2 skipgram, 3 supervised; only 3 is a classifier.
    pub model: i32,
    pub bucket: i32,
    pub minn: i32,
    pub maxn: i32,
    pub lr_update_rate: i32,
    pub t: f64,
}

/// fastText's `model_name::sup`.
pub const MODEL_SUPERVISED: i32 = 3;

impl Default for Args {
    /// fastText's defaults for `supervised`.
    fn default() -> Self {
        Args {
            dim: 100,
            ws: 5,
            epoch: 5,
            min_count: 1,
            neg: 5,
            word_ngrams: 1,
            loss: Loss::Softmax,
            model: MODEL_SUPERVISED,
            bucket: 2_000_000,
            minn: 0,
            maxn: 0,
            lr_update_rate: 100,
            t: 1e-4,
        }
    }
}

impl Args {
    pub fn read(r: &mut Reader) -> Result<Args> {
        let dim = r.i32("args.dim")?;
        let ws = r.i32("args.ws")?;
        let epoch = r.i32("args.epoch")?;
        let min_count = r.i32("args.minCount")?;
        let neg = r.i32("args.neg")?;
        let word_ngrams = r.i32("args.wordNgrams")?;
        let loss = match r.i32("args.loss")? {
            1 => Loss::Hs,
            2 => Loss::Ns,
            3 => Loss::Softmax,
            4 => Loss::Ova,
            x => bail!("unknown loss {x} in the model header: not a fastText model"),
        };
        let args = Args {
            dim,
            ws,
            epoch,
            min_count,
            neg,
            word_ngrams,
            loss,
            model: r.i32("args.model")?,
            bucket: r.i32("args.bucket")?,
            minn: r.i32("args.minn")?,
            maxn: r.i32("args.maxn")?,
            lr_update_rate: r.i32("args.lrUpdateRate")?,
            t: r.f64("args.t")?,
        };
        if args.dim <= 0 || args.bucket < 0 || args.maxn < 0 || args.word_ngrams < 0 {
            bail!("implausible model header {args:?}: not a fastText model");
        }
        Ok(args)
    }

    pub fn write(&self, w: &mut Writer) {
        for v in [
            self.dim,
            self.ws,
            self.epoch,
            self.min_count,
            self.neg,
            self.word_ngrams,
            self.loss as i32,
            self.model,
            self.bucket,
            self.minn,
            self.maxn,
            self.lr_update_rate,
        ] {
            w.i32(v);
        }
        w.f64(self.t);
    }
}
