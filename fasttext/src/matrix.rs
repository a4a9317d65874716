//! The two weight matrices of a model: dense (`.bin`) or product-quantized (`.ftz`).
//!
//! Quantized rows are sums of 256-entry sub-vector codebooks (fastText's `QuantMatrix` and
//! `ProductQuantizer`), optionally scaled by a separately quantized norm; only reading and
//! scoring are needed here, so the codebooks are never retrained.

use anyhow::{Result, bail};

use crate::io::{Reader, Writer, size};

pub struct Dense {
    pub rows: usize,
    pub cols: usize,
    pub data: Vec<f32>,
}

impl Dense {
    pub fn zeros(rows: usize, cols: usize) -> Dense {
        Dense {
            rows,
            cols,
            data: vec![0.0; rows * cols],
        }
    }

    pub fn row(&self, i: usize) -> &[f32] {
        &self.data[i * self.cols..(i + 1) * self.cols]
    }

    pub fn row_mut(&mut self, i: usize) -> &mut [f32] {
        &mut self.data[i * self.cols..(i + 1) * self.cols]
    }

    fn read(r: &mut Reader) -> Result<Dense> {
        let rows = size(r.i64("matrix rows")?, "matrix rows")?;
        let cols = size(r.i64("matrix columns")?, "matrix columns")?;
        let data = r.f32s(rows.saturating_mul(cols), "matrix data")?;
        Ok(Dense { rows, cols, data })
    }

    pub fn write(&self, w: &mut Writer) {
        w.i64(self.rows as i64);
        w.i64(self.cols as i64);
        w.f32s(&self.data);
    }
}

/// fastText's `ProductQuantizer`: `nsubq` codebooks of 256 centroids, the last one may be
/// narrower (`lastdsub`).
struct Pq {
    nsubq: usize,
    dsub: usize,
    lastdsub: usize,
    centroids: Vec<f32>,
}

const KSUB: usize = 256;

impl Pq {
    fn read(r: &mut Reader) -> Result<Pq> {
        let dim = size(r.i32("pq dim")? as i64, "pq dim")?;
        let nsubq = size(r.i32("pq nsubq")? as i64, "pq nsubq")?;
        let dsub = size(r.i32("pq dsub")? as i64, "pq dsub")?;
        let lastdsub = size(r.i32("pq lastdsub")? as i64, "pq lastdsub")?;
        if nsubq == 0 || (nsubq - 1) * dsub + lastdsub != dim {
            bail!("quantizer shape {nsubq}x{dsub}+{lastdsub} does not make {dim} columns");
        }
        let centroids = r.f32s(dim * KSUB, "pq centroids")?;
        Ok(Pq {
            nsubq,
            dsub,
            lastdsub,
            centroids,
        })
    }

    fn centroid(&self, m: usize, code: u8) -> &[f32] {
        let i = code as usize;
        if m == self.nsubq - 1 {
            let s = m * KSUB * self.dsub + i * self.lastdsub;
            &self.centroids[s..s + self.lastdsub]
        } else {
            let s = (m * KSUB + i) * self.dsub;
            &self.centroids[s..s + self.dsub]
        }
    }
}

pub struct Quant {
    rows: usize,
    cols: usize,
    codes: Vec<u8>,
    pq: Pq,
    norms: Option<(Vec<u8>, Pq)>,
}

impl Quant {
    fn read(r: &mut Reader) -> Result<Quant> {
        let qnorm = r.bool("qnorm flag")?;
        let rows = size(r.i64("qmatrix rows")?, "qmatrix rows")?;
        let cols = size(r.i64("qmatrix columns")?, "qmatrix columns")?;
        let codesize = size(r.i32("qmatrix codesize")? as i64, "codesize")?;
        let codes = r.bytes(codesize, "qmatrix codes")?.to_vec();
        let pq = Pq::read(r)?;
        if codesize != rows * pq.nsubq {
            bail!(
                "{codesize} codes for {rows} rows of {} sub-vectors",
                pq.nsubq
            );
        }
        let norms = if qnorm {
            let codes = r.bytes(rows, "norm codes")?.to_vec();
            Some((codes, Pq::read(r)?))
        } else {
            None
        };
        Ok(Quant {
            rows,
            cols,
            codes,
            pq,
            norms,
        })
    }

    fn norm(&self, i: usize) -> f32 {
        match &self.norms {
            Some((codes, npq)) => npq.centroid(0, codes[i])[0],
            None => 1.0,
        }
    }

    fn add_row(&self, x: &mut [f32], i: usize, a: f32) {
        let a = a * self.norm(i);
        let code = &self.codes[i * self.pq.nsubq..(i + 1) * self.pq.nsubq];
        for (m, &c) in code.iter().enumerate() {
            let cen = self.pq.centroid(m, c);
            let off = m * self.pq.dsub;
            for (xv, cv) in x[off..off + cen.len()].iter_mut().zip(cen) {
                *xv += a * cv;
            }
        }
    }

    fn dot_row(&self, x: &[f32], i: usize) -> f32 {
        let code = &self.codes[i * self.pq.nsubq..(i + 1) * self.pq.nsubq];
        let mut s = 0.0;
        for (m, &c) in code.iter().enumerate() {
            let cen = self.pq.centroid(m, c);
            let off = m * self.pq.dsub;
            s += x[off..off + cen.len()]
                .iter()
                .zip(cen)
                .map(|(a, b)| a * b)
                .sum::<f32>();
        }
        s * self.norm(i)
    }
}

pub enum Matrix {
    Dense(Dense),
    Quant(Quant),
}

impl Matrix {
    pub fn read(r: &mut Reader, quant: bool) -> Result<Matrix> {
        Ok(if quant {
            Matrix::Quant(Quant::read(r)?)
        } else {
            Matrix::Dense(Dense::read(r)?)
        })
    }

    pub fn rows(&self) -> usize {
        match self {
            Matrix::Dense(d) => d.rows,
            Matrix::Quant(q) => q.rows,
        }
    }

    pub fn cols(&self) -> usize {
        match self {
            Matrix::Dense(d) => d.cols,
            Matrix::Quant(q) => q.cols,
        }
    }

    /// Bytes held in memory (shown by `skypile plan`).
    pub fn mem_bytes(&self) -> usize {
        match self {
            Matrix::Dense(d) => d.data.len() * 4,
            Matrix::Quant(q) => q.codes.len() + q.pq.centroids.len() * 4,
        }
    }

    /// `x += a * row(i)`.
    pub fn add_row(&self, x: &mut [f32], i: usize, a: f32) {
        match self {
            Matrix::Dense(d) => {
                for (xv, rv) in x.iter_mut().zip(d.row(i)) {
                    *xv += a * rv;
                }
            }
            Matrix::Quant(q) => q.add_row(x, i, a),
        }
    }

    pub fn dot_row(&self, x: &[f32], i: usize) -> f32 {
        match self {
            Matrix::Dense(d) => d.row(i).iter().zip(x).map(|(a, b)| a * b).sum(),
            Matrix::Quant(q) => q.dot_row(x, i),
        }
    }
}
