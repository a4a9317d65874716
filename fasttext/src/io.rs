//! Little-endian readers and writers for fastText's binary layout.
//!
//! - fastText writes host-order (little-endian on every platform it ships for) PODs back to
//!   back with no framing, so a cursor over the whole file is all the parser needs.
//! - Every read is bounds-checked: a truncated or foreign file is an error naming what was
//!   being read, never a panic.

use anyhow::{Result, bail};

pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    pub fn bytes(&mut self, n: usize, what: &str) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.buf.len());
        let Some(end) = end else {
            bail!(
                "file ends inside {what} (offset {}, wanted {n} bytes): truncated or not a fastText model",
                self.pos
            );
        };
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    pub fn u8(&mut self, what: &str) -> Result<u8> {
        Ok(self.bytes(1, what)?[0])
    }
    pub fn bool(&mut self, what: &str) -> Result<bool> {
        Ok(self.u8(what)? != 0)
    }
    pub fn i32(&mut self, what: &str) -> Result<i32> {
        Ok(i32::from_le_bytes(self.bytes(4, what)?.try_into()?))
    }
    pub fn i64(&mut self, what: &str) -> Result<i64> {
        Ok(i64::from_le_bytes(self.bytes(8, what)?.try_into()?))
    }
    pub fn f64(&mut self, what: &str) -> Result<f64> {
        Ok(f64::from_le_bytes(self.bytes(8, what)?.try_into()?))
    }

    /// A NUL-terminated byte string (dictionary entries).
    pub fn cstr(&mut self, what: &str) -> Result<&'a [u8]> {
        let rest = &self.buf[self.pos..];
        let Some(n) = rest.iter().position(|&b| b == 0) else {
            bail!("file ends inside {what}: truncated or not a fastText model");
        };
        self.pos += n + 1;
        Ok(&rest[..n])
    }

    /// `n` floats; `n` comes from the file, so it is checked against what is left first.
    pub fn f32s(&mut self, n: usize, what: &str) -> Result<Vec<f32>> {
        let raw = self.bytes(n.saturating_mul(4), what)?;
        Ok(raw
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect())
    }

    pub fn at_end(&self) -> bool {
        self.pos == self.buf.len()
    }
}

/// A non-negative size from the file as usize, or an error naming the field.
pub fn size(v: i64, what: &str) -> Result<usize> {
    usize::try_from(v).map_err(|_| anyhow::anyhow!("negative {what} ({v}): not a fastText model"))
}

#[derive(Default)]
pub struct Writer {
    pub buf: Vec<u8>,
}

impl Writer {
    pub fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }
    pub fn bool(&mut self, v: bool) {
        self.buf.push(v as u8);
    }
    pub fn i32(&mut self, v: i32) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    pub fn i64(&mut self, v: i64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    pub fn f64(&mut self, v: f64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    pub fn f32s(&mut self, v: &[f32]) {
        for x in v {
            self.buf.extend_from_slice(&x.to_le_bytes());
        }
    }
}
