//! Object stores by URL: one shared tokio runtime, one client per bucket, errors that say
//! what to do.
//!
//! - The rest of skypile is synchronous (rayon, std::io); every call here is `block_on` on a
//!   small shared runtime, which never runs inside a rayon or tokio worker of ours.
//! - Clients are cached per `scheme://bucket` so connections are reused across files.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use anyhow::{Result, anyhow, bail};
use object_store::path::Path as ObjPath;
use object_store::{BackoffConfig, ClientOptions, ObjectStore, RetryConfig};

use crate::config::{StorageConfig, current};

/// The runtime every object-store call runs on (2 workers: I/O bound, and the machine's
/// cores belong to the pipeline).
pub(crate) fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        // rustls needs one process-wide crypto provider; ring keeps the build free of C/cmake
        // (aws-lc-rs); deprecated only for lacking post-quantum key exchange
        #[allow(deprecated)]
        let _ = rustls::crypto::ring::default_provider().install_default();
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("skypile-io")
            .enable_all()
            .build()
            .expect("cannot start the I/O runtime")
    })
}

/// A remote location: its store, the key inside it, and the URL to name in messages.
#[derive(Clone)]
pub struct Remote {
    pub store: Arc<dyn ObjectStore>,
    pub key: ObjPath,
    /// `scheme://bucket/key` with any user info and query string removed.
    pub url: String,
}

type Cache = Mutex<HashMap<String, Arc<dyn ObjectStore>>>;

fn cache() -> &'static Cache {
    static C: OnceLock<Cache> = OnceLock::new();
    C.get_or_init(Default::default)
}

/// True the first time it is asked for a bucket (`scheme://bucket`) in this process.
pub(crate) fn bucket_unchecked(url: &str) -> bool {
    static SEEN: OnceLock<Mutex<std::collections::HashSet<String>>> = OnceLock::new();
    let id = split_url(url).map_or(String::new(), |(s, a, _)| format!("{s}://{a}"));
    let mut seen = SEEN
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    seen.insert(id)
}

/// Tests: serve `scheme://bucket` from `store` (an in-memory one).
pub(crate) fn register(id: &str, store: Arc<dyn ObjectStore>) {
    cache()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(id.to_string(), store);
}

pub(crate) fn forget_stores() {
    cache().lock().unwrap_or_else(|e| e.into_inner()).clear();
}

/// The schemes skypile opens through object_store.
pub const SCHEMES: &[&str] = &["s3", "s3a", "gs", "az", "abfs", "http", "https"];

/// `(scheme, authority, key)` of a URL, or None for a local path.
pub(crate) fn split_url(s: &str) -> Option<(&str, &str, &str)> {
    let (scheme, rest) = s.split_once("://")?;
    if !SCHEMES.contains(&scheme) {
        return None;
    }
    let (auth, key) = rest.split_once('/').unwrap_or((rest, ""));
    Some((scheme, auth, key))
}

/// A URL without user info or query string (which may hold secrets), for messages and logs.
pub fn redact(url: &str) -> String {
    let url = url.split(['?', '#']).next().unwrap_or(url);
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let (auth, path) = rest.split_once('/').unwrap_or((rest, ""));
            let host = auth.rsplit('@').next().unwrap_or(auth);
            let sep = if path.is_empty() && !rest.contains('/') {
                ""
            } else {
                "/"
            };
            format!("{scheme}://{host}{sep}{path}")
        }
        None => url.to_string(),
    }
}

/// The store and key of `url` (a client is built once per bucket).
pub(crate) fn remote(url: &str) -> Result<Remote> {
    let Some((scheme, auth, key)) = split_url(url) else {
        bail!(
            "{url} is not an object-store URL ({})",
            SCHEMES.join("://, ")
        );
    };
    if auth.is_empty() {
        bail!(
            "{}: no bucket in the URL: write {scheme}://BUCKET/KEY",
            redact(url)
        );
    }
    let id = format!("{scheme}://{auth}");
    let store = {
        let mut c = cache().lock().unwrap_or_else(|e| e.into_inner());
        match c.get(&id) {
            Some(s) => s.clone(),
            None => {
                let s = build(scheme, auth, &current())
                    .map_err(|e| anyhow!("{}: {}", redact(&id), one_line(&e.to_string())))?;
                c.insert(id, s.clone());
                s
            }
        }
    };
    let key = ObjPath::parse(key.trim_end_matches('/'))
        .map_err(|e| anyhow!("{}: bad object key: {e}", redact(url)))?;
    Ok(Remote {
        store,
        key,
        url: redact(url),
    })
}

fn env(k: &str) -> Option<String> {
    std::env::var(k).ok().filter(|v| !v.is_empty())
}

fn client_options(allow_http: bool) -> ClientOptions {
    ClientOptions::new()
        .with_allow_http(allow_http)
        .with_connect_timeout(Duration::from_secs(5))
        .with_timeout(Duration::from_secs(120))
}

fn retry(cfg: &StorageConfig) -> RetryConfig {
    RetryConfig {
        backoff: BackoffConfig {
            init_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(10),
            base: 2.0,
        },
        max_retries: cfg.retries,
        retry_timeout: Duration::from_secs(120),
    }
}

fn build(scheme: &str, auth: &str, cfg: &StorageConfig) -> Result<Arc<dyn ObjectStore>> {
    runtime(); // installs rustls' crypto provider, which building a client needs
    let endpoint = cfg.endpoint.clone().or_else(|| env("AWS_ENDPOINT_URL"));
    let http = |e: &Option<String>| e.as_deref().is_some_and(|e| e.starts_with("http://"));
    Ok(match scheme {
        "s3" | "s3a" => {
            let mut b = object_store::aws::AmazonS3Builder::from_env()
                .with_bucket_name(auth)
                .with_retry(retry(cfg));
            let keyed = env("AWS_ACCESS_KEY_ID").is_some()
                || env("AWS_WEB_IDENTITY_TOKEN_FILE").is_some()
                || env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI").is_some()
                || env("AWS_SKIP_SIGNATURE").is_some_and(|v| v == "true");
            if let Some(e) = &endpoint {
                // a custom endpoint is no EC2 instance: asking its metadata service would hang
                if !keyed {
                    bail!(
                        "no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY \
                         (or AWS_SKIP_SIGNATURE=true for a public bucket)"
                    );
                }
                b = b
                    .with_endpoint(e.trim_end_matches('/'))
                    .with_virtual_hosted_style_request(!cfg.path_style.unwrap_or(true));
            } else if let Some(p) = cfg.path_style {
                b = b.with_virtual_hosted_style_request(!p);
            }
            if let Some(r) = cfg.region.clone().or_else(|| env("AWS_REGION")) {
                b = b.with_region(r);
            }
            let allow = cfg.allow_http.unwrap_or(http(&endpoint));
            Arc::new(b.with_client_options(client_options(allow)).build()?)
        }
        "gs" => Arc::new(
            object_store::gcp::GoogleCloudStorageBuilder::from_env()
                .with_bucket_name(auth)
                .with_retry(retry(cfg))
                .with_client_options(client_options(false))
                .build()?,
        ),
        "az" | "abfs" => Arc::new(
            object_store::azure::MicrosoftAzureBuilder::from_env()
                .with_container_name(auth)
                .with_retry(retry(cfg))
                .with_client_options(client_options(false))
                .build()?,
        ),
        _ => Arc::new(
            object_store::http::HttpBuilder::new()
                .with_url(format!("{scheme}://{auth}"))
                .with_retry(retry(cfg))
                .with_client_options(client_options(scheme == "http"))
                .build()?,
        ),
    })
}

/// Run one async object-store call to completion, its error explained for `url`.
pub(crate) fn block<T>(
    url: &str,
    what: &str,
    f: impl std::future::Future<Output = object_store::Result<T>>,
) -> Result<T> {
    runtime().block_on(f).map_err(|e| explain(url, what, &e))
}

fn one_line(s: &str) -> String {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    // request URLs inside the client's messages may carry a signed query string
    s.split(' ')
        .map(|w| match w.split_once('?') {
            Some((a, _)) if w.contains("://") => format!("{a}?…"),
            _ => w.to_string(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// One line naming the URL and what to do, for the failures users meet.
pub(crate) fn explain(url: &str, what: &str, e: &object_store::Error) -> anyhow::Error {
    use object_store::Error as E;
    let msg = one_line(&e.to_string());
    let bucket = split_url(url).map_or("", |(_, a, _)| a);
    let hint = if msg.contains("NoSuchBucket") || msg.contains("bucket does not exist") {
        format!("bucket `{bucket}` does not exist: create it or fix the URL")
    } else if matches!(e, E::NotFound { .. }) {
        "not found: check the URL".to_string()
    } else if msg.contains("InvalidAccessKeyId")
        || msg.contains("SignatureDoesNotMatch")
        || matches!(e, E::Unauthenticated { .. })
    {
        "the store rejected the credentials: check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY \
         and AWS_SESSION_TOKEN"
            .to_string()
    } else if matches!(e, E::PermissionDenied { .. }) || msg.contains("AccessDenied") {
        "access denied: the credentials may not do this on that bucket (check its policy)"
            .to_string()
    } else if msg.contains("credential") || msg.contains("Credential") {
        "no usable credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or the \
         store's own variables)"
            .to_string()
    } else if msg.contains("error sending request")
        || msg.contains("connect")
        || msg.contains("timed out")
        || msg.contains("dns")
    {
        let ep = current().endpoint.or_else(|| env("AWS_ENDPOINT_URL"));
        let ep = ep.map_or(String::new(), |e| format!(" {}", redact(&e)));
        format!(
            "cannot reach the endpoint{ep}: check AWS_ENDPOINT_URL / storage.endpoint, that the \
             server runs, and the network"
        )
    } else {
        return anyhow!("{url}: {what} failed: {msg}");
    };
    anyhow!("{url}: {what} failed: {hint}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_drops_user_info_and_query() {
        assert_eq!(
            redact("https://u:secret@host/a/b.gz?X-Amz-Signature=abc"),
            "https://host/a/b.gz"
        );
        assert_eq!(redact("s3://bucket/key"), "s3://bucket/key");
        assert_eq!(redact("s3://bucket"), "s3://bucket");
        assert!(!one_line("for url (http://h/k?sig=1)\n x").contains("sig"));
    }

    #[test]
    fn urls_split_and_local_paths_do_not() {
        assert_eq!(split_url("s3://b/x/y"), Some(("s3", "b", "x/y")));
        assert_eq!(split_url("gs://b"), Some(("gs", "b", "")));
        assert_eq!(split_url("/data/x.warc.gz"), None);
        assert_eq!(split_url("ftp://h/x"), None);
    }
}
