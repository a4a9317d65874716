//! The `storage:` section of a pipeline: how to reach object stores (never credentials).
//!
//! - Credentials come only from the environment (the AWS CLI's `AWS_ACCESS_KEY_ID`,
//!   `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`; `GOOGLE_*` / `AZURE_*` for the others), so a
//!   pipeline file can be shared and `run.json` never holds a secret.
//! - Keys set here override the environment's `AWS_ENDPOINT_URL` / `AWS_REGION`.

use std::sync::{Mutex, OnceLock};

use serde::{Deserialize, Serialize};

/// How to reach object stores: endpoint and addressing for S3-compatible stores (MinIO, Ceph,
/// Aliyun OSS, Tencent COS), retries and read-ahead.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct StorageConfig {
    /// S3 endpoint URL (overrides `AWS_ENDPOINT_URL`), e.g. `http://127.0.0.1:9000`.
    pub endpoint: Option<String>,
    /// S3 region (overrides `AWS_REGION`).
    pub region: Option<String>,
    /// Path-style addressing (`endpoint/bucket/key`), which most S3-compatible stores need.
    /// Default: on when an endpoint is set, else virtual-hosted style.
    pub path_style: Option<bool>,
    /// Allow a plain-http endpoint. Default: on when the endpoint starts with `http://`.
    pub allow_http: Option<bool>,
    /// Retries of one request (with exponential backoff) before the run fails.
    pub retries: usize,
    /// Size of one ranged GET when streaming an input, in MiB.
    pub read_chunk_mib: usize,
    /// Ranged GETs in flight ahead of the reader (memory per open input: chunk × (this + 1)).
    pub read_ahead: usize,
    /// Part size of multipart uploads, in MiB (S3 needs at least 5).
    pub part_mib: usize,
}

impl Default for StorageConfig {
    fn default() -> Self {
        StorageConfig {
            endpoint: None,
            region: None,
            path_style: None,
            allow_http: None,
            retries: 5,
            read_chunk_mib: 8,
            read_ahead: 2,
            part_mib: 16,
        }
    }
}

fn slot() -> &'static Mutex<StorageConfig> {
    static CFG: OnceLock<Mutex<StorageConfig>> = OnceLock::new();
    CFG.get_or_init(|| Mutex::new(StorageConfig::default()))
}

/// Use `cfg` for every store opened from now on (the pipeline's `storage:` section).
pub fn configure(cfg: &StorageConfig) {
    let mut cur = slot().lock().unwrap_or_else(|e| e.into_inner());
    if *cur != *cfg {
        *cur = cfg.clone();
        crate::stores::forget_stores();
    }
}

/// The configuration in force.
pub fn current() -> StorageConfig {
    slot().lock().unwrap_or_else(|e| e.into_inner()).clone()
}
