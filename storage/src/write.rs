//! Writing one file or object: local files keep today's temp + rename commit (fsynced with the
//! rank's other files by `durable::sync_pending`); objects
//! are uploaded (multipart once past one part) and exist only once `finish` succeeds.
//!
//! - An object store has no rename, but a PUT or a completed multipart upload is atomic: the
//!   object appears whole or not at all, so no temp name is needed. A writer dropped before
//!   `finish` aborts its multipart upload (no half object, no parts billed forever).

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use object_store::{ObjectStoreExt, PutPayload, WriteMultipart};
use skypile_core::durable::{Writeback, commit_deferred, unique_tmp_path};

use crate::stores::{Remote, block, runtime};

pub enum Writer {
    Local {
        f: File,
        tmp: PathBuf,
        path: PathBuf,
        /// Bytes written so far (the file's size at `finish`), and their writeback started as
        /// they go (large Parquet shards).
        written: u64,
        writeback: Writeback,
    },
    Remote {
        r: Remote,
        buf: Vec<u8>,
        part: usize,
        upload: Option<WriteMultipart>,
        written: u64,
    },
}

impl Writer {
    pub(crate) fn local(path: &Path) -> Result<Writer> {
        if let Some(d) = path.parent() {
            std::fs::create_dir_all(d)
                .with_context(|| format!("cannot create {}: check permissions", d.display()))?;
        }
        let tmp = unique_tmp_path(path);
        let f = File::create(&tmp)
            .with_context(|| format!("cannot create {}: check permissions", tmp.display()))?;
        Ok(Writer::Local {
            f,
            tmp,
            path: path.to_path_buf(),
            written: 0,
            writeback: Writeback::default(),
        })
    }

    pub(crate) fn remote(r: Remote) -> Writer {
        let part = crate::config::current().part_mib.max(5) << 20;
        Writer::Remote {
            r,
            buf: Vec::new(),
            part,
            upload: None,
            written: 0,
        }
    }

    /// Make the file or object visible under its name; returns its size in bytes.
    pub fn finish(mut self) -> Result<u64> {
        match &mut self {
            Writer::Local {
                f,
                tmp,
                path,
                written,
                ..
            } => {
                f.flush()
                    .with_context(|| format!("cannot write {}: check disk space", tmp.display()))?;
                // fsynced with the rank's other files before its completion marker
                commit_deferred(tmp, path)?;
                // the temp is renamed: nothing for Drop to remove
                tmp.clear();
                Ok(*written)
            }
            Writer::Remote {
                r,
                buf,
                upload,
                written,
                ..
            } => {
                let bytes = std::mem::take(buf);
                match upload.take() {
                    Some(mut u) => {
                        // parts are uploaded by tasks spawned on our runtime
                        let _rt = runtime().enter();
                        u.write(&bytes);
                        block(&r.url, "upload", u.finish())?;
                    }
                    None => {
                        block(
                            &r.url,
                            "write",
                            r.store.put(&r.key, PutPayload::from(bytes)),
                        )?;
                    }
                }
                Ok(*written)
            }
        }
    }
}

impl Write for Writer {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        match self {
            Writer::Local {
                f,
                written,
                writeback,
                ..
            } => {
                let n = f.write(data)?;
                *written += n as u64;
                writeback.advance(f, *written);
                Ok(n)
            }
            Writer::Remote {
                r,
                buf,
                part,
                upload,
                written,
            } => {
                buf.extend_from_slice(data);
                *written += data.len() as u64;
                if buf.len() >= *part {
                    if upload.is_none() {
                        let u = block(&r.url, "upload", r.store.put_multipart(&r.key))
                            .map_err(io::Error::other)?;
                        *upload = Some(WriteMultipart::new_with_chunk_size(u, *part));
                    }
                    let u = upload.as_mut().expect("set above");
                    // two parts in flight at most: memory stays ~3 parts per writer
                    block(&r.url, "upload", u.wait_for_capacity(2)).map_err(io::Error::other)?;
                    let _rt = runtime().enter();
                    u.write(buf);
                    buf.clear();
                }
                Ok(data.len())
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Writer::Local { f, .. } => f.flush(),
            Writer::Remote { .. } => Ok(()),
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        match self {
            Writer::Local { tmp, .. } if !tmp.as_os_str().is_empty() => {
                let _ = std::fs::remove_file(tmp);
            }
            Writer::Remote { upload, .. } => {
                if let Some(u) = upload.take() {
                    let _ = runtime().block_on(u.abort());
                }
            }
            _ => {}
        }
    }
}
