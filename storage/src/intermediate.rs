//! Checksummed intermediates (`skypile_core::binfile`) at a local path or an object URL, for a
//! remote `work_dir:` (spools between stages, dedup intermediates).
//!
//! - Writing: the header goes at offset 0 after the payload, which an object cannot do, so a
//!   remote intermediate is staged in a local file and uploaded whole at `finish` (multipart
//!   past one part). The object appears complete or not at all; readers trust it only once
//!   the writing rank's completion marker exists, and a rerun overwrites the same key.
//! - The staging file's name is a hash of the URL under the local scratch: a rank killed
//!   mid-write leaves one file that its rerun (the lease keeps it to one process per node)
//!   truncates, never a pile of uniquely named leftovers.
//! - Reading: ranged GETs with read-ahead ([`crate::RangeReader`]), one pass: the checksum
//!   is verified as the records stream and the last read fails on a mismatch (a local file is
//!   verified before its first record; a second GET of every object would double the traffic).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use skypile_core::binfile::{BinReader, BinWriter, HEADER_LEN, Publish, Verify};

use crate::{is_remote, redact, url};

/// Local folder of staged uploads: `$SKYPILE_SCRATCH/skypile-staging` (else the temp dir).
fn staging_path(p: &Path) -> PathBuf {
    let base = std::env::var_os("SKYPILE_SCRATCH")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let h = xxhash_rust::xxh3::xxh3_64(url(p).as_bytes());
    base.join("skypile-staging").join(format!("{h:016x}.tmp"))
}

/// Start an intermediate at `p`: a local file (temp + rename) or an object (staged, uploaded).
pub fn bin_create(p: &Path, kind: &str, version: u32, config_hash: u64) -> Result<BinWriter> {
    if !is_remote(p) {
        return BinWriter::create(p, kind, version, config_hash);
    }
    crate::reject_read_only(p)?;
    let dest = p.to_path_buf();
    let publish: Publish = Box::new(move |tmp: &Path| {
        let r = upload(tmp, &dest);
        let _ = std::fs::remove_file(tmp);
        r
    });
    // the writer names `p` only in messages: without user info or query string
    BinWriter::create_staged(
        Path::new(&redact(url(p))),
        &staging_path(p),
        kind,
        version,
        config_hash,
        Some(publish),
    )
}

/// Copy the finished local file `tmp` to the object `dest` in one (multipart) upload.
fn upload(tmp: &Path, dest: &Path) -> Result<()> {
    let mut f =
        std::fs::File::open(tmp).with_context(|| format!("reopening staged {}", tmp.display()))?;
    let mut w = crate::create(dest)?;
    std::io::copy(&mut f, &mut w).with_context(|| format!("uploading {}", redact(url(dest))))?;
    w.finish()?;
    Ok(())
}

/// Open and fully verify an intermediate (local file or object).
pub fn bin_open(p: &Path, kind: &str, version: u32, config_hash: u64) -> Result<BinReader> {
    if !is_remote(p) {
        return BinReader::open(p, kind, version, config_hash);
    }
    open_streamed(p, kind, version, config_hash)
}

/// Open an intermediate its caller reads to the end in one pass (a spool): the checksum is
/// verified as the records stream and the read that completes the payload fails on a mismatch
/// (`Verify::Streaming`), for local files too.
/// - Why: checking a local file first read all of it before the first record, serially, while
///   the rank's workers waited (a 400 MB spool: a second full read per stage after a dedup).
/// - Safe for the same reason as for objects: a rank that fails commits nothing.
pub fn bin_stream(p: &Path, kind: &str, version: u32, config_hash: u64) -> Result<BinReader> {
    if is_remote(p) {
        return open_streamed(p, kind, version, config_hash);
    }
    BinReader::open_verified(p, kind, version, config_hash, Verify::Streaming)
}

fn open_streamed(p: &Path, kind: &str, version: u32, config_hash: u64) -> Result<BinReader> {
    let size = crate::size(p).with_context(|| {
        format!(
            "intermediate {} is missing or unreadable: rerun the stage that writes it",
            redact(url(p))
        )
    })?;
    let src = crate::RangeReader::new(crate::stores::remote(url(p))?, size);
    let shown = PathBuf::from(redact(url(p)));
    BinReader::from_source(
        Box::new(src),
        size,
        &shown,
        kind,
        version,
        config_hash,
        Verify::Streaming,
    )
}

/// The header of an intermediate, unverified (to size buffers before the full read).
pub fn bin_header(p: &Path) -> Result<[u8; HEADER_LEN as usize]> {
    let what = || {
        format!(
            "intermediate file {} is missing or truncated: rerun the stage that writes it",
            redact(url(p))
        )
    };
    let b = crate::read_range(p, 0..HEADER_LEN).with_context(what)?;
    b.try_into().map_err(|_| anyhow::anyhow!(what()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A local spool read by `bin_stream` hands out its records and fails on the read that
    /// completes a damaged payload, as an object does.
    #[test]
    fn a_local_streamed_intermediate_fails_at_its_last_record_when_damaged() {
        let d = std::env::temp_dir().join(format!("skypile-stream-{}", std::process::id()));
        let p = d.join("00000.bin");
        let mut w = bin_create(&p, "spool", 3, 77).unwrap();
        for i in 0..100u32 {
            w.write_record(format!("record {i}").as_bytes()).unwrap();
        }
        w.finish().unwrap();
        let mut r = bin_stream(&p, "spool", 3, 77).unwrap();
        let mut n = 0;
        while r.read_record().unwrap().is_some() {
            n += 1;
        }
        assert_eq!(n, 100);
        let mut bad = std::fs::read(&p).unwrap();
        let at = bad.len() - 5;
        bad[at] ^= 1;
        std::fs::write(&p, &bad).unwrap();
        let mut r = bin_stream(&p, "spool", 3, 77).unwrap();
        let e = loop {
            match r.read_record() {
                Ok(Some(_)) => {}
                Ok(None) => panic!("a damaged spool read to the end without an error"),
                Err(e) => break e.to_string(),
            }
        };
        assert!(
            e.contains("checksum mismatch") && e.contains("00000.bin"),
            "{e}"
        );
        assert!(bin_stream(&d.join("gone.bin"), "spool", 3, 77).is_err());
        std::fs::remove_dir_all(&d).ok();
    }

    #[test]
    fn a_remote_intermediate_round_trips_and_a_damaged_one_is_refused() {
        crate::serve_from_memory("s3://inter");
        let p = Path::new("s3://inter/work/spool-0/00001.bin");
        let mut w = bin_create(p, "spool", 3, 77).unwrap();
        for i in 0..1000u32 {
            w.write_record(format!("record {i}").as_bytes()).unwrap();
        }
        assert!(!crate::exists(p).unwrap(), "visible before finish");
        assert!(staging_path(p).exists(), "staged locally while open");
        assert_eq!(w.finish().unwrap(), 1000);
        assert!(!staging_path(p).exists(), "staging file left after upload");

        let mut r = bin_open(p, "spool", 3, 77).unwrap();
        assert_eq!(r.count, 1000);
        assert_eq!(r.read_record().unwrap().unwrap(), b"record 0");
        let mut last = Vec::new();
        while let Some(rec) = r.read_record().unwrap() {
            last = rec;
        }
        assert_eq!(last, b"record 999");
        let header = bin_header(p).unwrap();
        assert_eq!(u64::from_le_bytes(header[32..40].try_into().unwrap()), 1000);

        let e = bin_open(p, "spool", 3, 78).unwrap_err().to_string();
        assert!(
            e.contains("different config") && e.contains("s3://inter"),
            "{e}"
        );
        // a flipped payload byte fails the read that completes the payload, not before
        let whole = crate::read(p).unwrap();
        let mut bad = whole.clone();
        let at = bad.len() - 20;
        bad[at] ^= 1;
        crate::write_atomic(p, &bad).unwrap();
        let mut r = bin_open(p, "spool", 3, 77).unwrap();
        let mut read = 0;
        let e = loop {
            match r.read_record() {
                Ok(Some(_)) => read += 1,
                Ok(None) => panic!("a corrupted object read to the end without an error"),
                Err(e) => break e.to_string(),
            }
        };
        assert!(
            e.contains("checksum mismatch") && e.contains("s3://inter"),
            "{e}"
        );
        assert_eq!(read, 999, "the error comes with the last record");
        // a truncated object (as a torn upload of a foreign tool would leave) is refused
        crate::write_atomic(p, &whole).unwrap();
        crate::write_atomic(p, &whole[..whole.len() - 1]).unwrap();
        let e = bin_open(p, "spool", 3, 77).unwrap_err().to_string();
        assert!(e.contains("truncated"), "{e}");
        let missing = Path::new("s3://inter/work/spool-0/00002.bin");
        let e = format!("{:#}", bin_open(missing, "spool", 3, 77).unwrap_err());
        assert!(
            e.contains("00002.bin") && e.contains("rerun the stage"),
            "{e}"
        );
    }
}
