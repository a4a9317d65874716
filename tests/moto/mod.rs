//! A real S3-protocol server for tests: moto's server mode on 127.0.0.1, started per test.
//!
//! - `moto_server` comes from the test venv (`scripts/ci/test.sh` installs `moto[server]`
//!   next to pyarrow and exports `SKYPILE_PYTHON`); without it the test skips, or fails when
//!   `SKYPILE_REQUIRE_DATA=1` (as in CI).
//! - Buckets are filled and read back with boto3 (installed with moto), a client independent
//!   of the one under test.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct Moto {
    child: Child,
    pub endpoint: String,
    port: u16,
    python: PathBuf,
    server: PathBuf,
}

/// boto3 helper: `mkbucket B`, `put B KEY FILE`, `public B KEY FILE` (readable without
/// credentials, over plain http), `get B PREFIX DIR` (every object under PREFIX
/// into DIR, keys relative to PREFIX), `keys B PREFIX` (one per line).
const HELPER: &str = r#"
import os, sys, boto3
s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name="us-east-1",
                  aws_access_key_id="test", aws_secret_access_key="test")
op, b = sys.argv[1], sys.argv[2]
if op == "mkbucket":
    s3.create_bucket(Bucket=b)
elif op == "put":
    s3.upload_file(sys.argv[4], b, sys.argv[3])
elif op == "public":
    s3.upload_file(sys.argv[4], b, sys.argv[3], ExtraArgs={"ACL": "public-read"})
else:
    prefix = sys.argv[3]
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=b, Prefix=prefix):
        for o in page.get("Contents", []):
            rel = o["Key"][len(prefix):].lstrip("/")
            if op == "keys":
                print(rel)
            else:
                dst = os.path.join(sys.argv[4], rel)
                os.makedirs(os.path.dirname(dst), exist_ok=True)
                s3.download_file(b, o["Key"], dst)
"#;

impl Moto {
    /// A fresh server on a free loopback port, or None (after the skip report) without moto.
    pub fn start() -> Option<Moto> {
        let python = std::env::var_os("SKYPILE_PYTHON").map(PathBuf::from);
        let server = python
            .as_ref()
            .and_then(|p| p.parent())
            .map(|d| d.join("moto_server"))
            .filter(|s| s.exists());
        let (Some(python), Some(server)) = (python, server) else {
            return skypile_core::testdata::skip(
                "moto_server not found next to $SKYPILE_PYTHON: run scripts/ci/test.sh, which \
                 installs moto[server] into its venv",
            );
        };
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap()
            .port();
        let mut m = Moto {
            child: spawn(&server, port),
            endpoint: format!("http://127.0.0.1:{port}"),
            port,
            python,
            server,
        };
        m.wait_up();
        Some(m)
    }

    fn wait_up(&mut self) {
        // polls readiness only; no assertion depends on timing
        for _ in 0..300 {
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            if let Ok(Some(st)) = self.child.try_wait() {
                panic!("moto_server exited at start: {st}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("moto_server did not listen on port {}", self.port);
    }

    /// Stop the server (kill -9: as an outage looks to the client).
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Start it again on the same port (moto keeps state in memory: buckets are empty).
    pub fn restart(&mut self) {
        self.stop();
        self.child = spawn(&self.server, self.port);
        self.wait_up();
    }

    /// The AWS CLI variables a skypile process needs to reach this server.
    pub fn env(&self, cmd: &mut Command) {
        cmd.env("AWS_ENDPOINT_URL", &self.endpoint)
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_REGION", "us-east-1")
            .env_remove("AWS_SESSION_TOKEN")
            .env_remove("AWS_PROFILE");
    }

    fn helper(&self, args: &[&str]) -> String {
        let out = Command::new(&self.python)
            .arg("-c")
            .arg(HELPER)
            .args(args)
            .env("AWS_ENDPOINT_URL", &self.endpoint)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "boto3 {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn mkbucket(&self, b: &str) {
        self.helper(&["mkbucket", b]);
    }

    pub fn put(&self, b: &str, key: &str, file: &Path) {
        self.helper(&["put", b, key, file.to_str().unwrap()]);
    }

    /// Upload `file` readable by anyone: `{endpoint}/{b}/{key}` serves it over plain http
    /// (with Range requests), as a web server would.
    pub fn put_public(&self, b: &str, key: &str, file: &Path) -> String {
        self.helper(&["public", b, key, file.to_str().unwrap()]);
        format!("{}/{b}/{key}", self.endpoint)
    }

    /// Every object under `prefix` into `dir` (as a local output folder would look).
    pub fn get(&self, b: &str, prefix: &str, dir: &Path) {
        self.helper(&["get", b, prefix, dir.to_str().unwrap()]);
    }

    /// Keys under `prefix`, relative to it, sorted.
    pub fn keys(&self, b: &str, prefix: &str) -> Vec<String> {
        let mut v: Vec<String> = self
            .helper(&["keys", b, prefix])
            .lines()
            .map(String::from)
            .collect();
        v.sort();
        v
    }
}

fn spawn(server: &Path, port: u16) -> Child {
    Command::new(server)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

impl Drop for Moto {
    fn drop(&mut self) {
        self.stop();
    }
}
