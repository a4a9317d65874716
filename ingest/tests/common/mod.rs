//! Inputs built from generated records, in every format the readers take, and a watchdog
//! runner. Shared by `bad_input.rs` (the issue #15 cases) and `fuzz_inputs.rs`.

#![allow(dead_code)]

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use skypile_ingest::{Event, InputConfig};

/// How long one reader run may take before the test calls it a hang. Generous: a busy
/// 2-core machine running a dev build; only hangs (minutes to forever) go over it.
pub const WATCHDOG: Duration = Duration::from_secs(60);

/// Records of one input file as the reader should see them: bytes per record and the marker
/// (URL or id) its document carries. `framing` bytes come first (WARC/ARC file headers).
pub struct Recs {
    pub head: Vec<u8>,
    pub recs: Vec<Vec<u8>>,
    pub markers: Vec<String>,
}

impl Recs {
    /// The whole uncompressed file, and each record's end offset in it.
    pub fn plain(&self) -> (Vec<u8>, Vec<usize>) {
        let mut out = self.head.clone();
        let mut ends = Vec::new();
        for r in &self.recs {
            out.extend_from_slice(r);
            ends.push(out.len());
        }
        (out, ends)
    }

    /// One gzip member per record (and one for the head), with each record's member end.
    pub fn per_member(&self) -> (Vec<u8>, Vec<usize>) {
        let mut out = if self.head.is_empty() {
            Vec::new()
        } else {
            gz(&self.head)
        };
        let mut ends = Vec::new();
        for r in &self.recs {
            out.extend_from_slice(&gz(r));
            ends.push(out.len());
        }
        (out, ends)
    }
}

fn page(i: usize) -> Vec<u8> {
    let body = format!(
        "<html><head><title>页面 {i}</title></head><body><p>第{i}段 paragraph {i}. {}</p></body></html>",
        "词语 words ".repeat(i % 37 + 3)
    );
    let mut p = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    p.extend_from_slice(body.as_bytes());
    p
}

pub fn url(i: usize) -> String {
    format!("http://h{i}.example/p{i}")
}

pub fn warc_record(typ: &str, url: &str, payload: &[u8]) -> Vec<u8> {
    let mut r = format!(
        "WARC/1.0\r\nWARC-Type: {typ}\r\nWARC-Record-ID: <urn:uuid:{typ}-{url}>\r\nWARC-Target-URI: {url}\r\nWARC-Date: 2024-05-01T00:00:00Z\r\nContent-Type: application/http; msgtype=response\r\nContent-Length: {}\r\n\r\n",
        payload.len()
    )
    .into_bytes();
    r.extend_from_slice(payload);
    r.extend_from_slice(b"\r\n\r\n");
    r
}

/// `n` WARC response records (`wet`: text `conversion` records).
pub fn warc(n: usize, wet: bool) -> Recs {
    let recs = (0..n)
        .map(|i| {
            if wet {
                let text = format!("纯文本 {i}\nplain text {i} {}", "x".repeat(i * 13 % 500));
                warc_record("conversion", &url(i), text.as_bytes())
            } else {
                warc_record("response", &url(i), &page(i))
            }
        })
        .collect();
    Recs {
        head: warc_record("warcinfo", "", b"software: test\r\n"),
        recs,
        markers: (0..n).map(url).collect(),
    }
}

pub fn arc_record(url: &str, body: &[u8]) -> Vec<u8> {
    let mut r = format!("{url} 1.2.3.4 20140216050221 text/html {}\n", body.len()).into_bytes();
    r.extend_from_slice(body);
    r.push(b'\n');
    r
}

/// An ARC v1 file: the `filedesc` header and `n` records.
pub fn arc(n: usize) -> Recs {
    let desc = b"1 0 Test\nURL IP-address Archive-date Content-type Archive-length\n";
    Recs {
        head: arc_record("filedesc://test.arc", desc),
        recs: (0..n).map(|i| arc_record(&url(i), &page(i))).collect(),
        markers: (0..n).map(url).collect(),
    }
}

pub fn jsonl(n: usize) -> Recs {
    let recs = (0..n)
        .map(|i| {
            let text = format!("第{i}行 line {i} {}", "词 w ".repeat(i * 7 % 300));
            let v = serde_json::json!({"id": format!("r{i}"), "text": text});
            format!("{v}\n").into_bytes()
        })
        .collect();
    Recs {
        head: Vec::new(),
        recs,
        markers: (0..n).map(|i| format!("r{i}")).collect(),
    }
}

pub fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

pub fn zst(data: &[u8]) -> Vec<u8> {
    zstd::encode_all(data, 3).unwrap()
}

/// Write `bytes` under a fresh name ending in `name` (the extension picks the format).
pub fn write(name: &str, bytes: &[u8]) -> PathBuf {
    static N: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!("skypile-badin-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(format!("{}-{name}", N.fetch_add(1, Ordering::Relaxed)));
    std::fs::write(&p, bytes).unwrap();
    p
}

/// What one run gave: document markers (URL, else id) and skip reasons, in order.
#[derive(Debug, Default)]
pub struct Outcome {
    pub opened: bool,
    pub docs: Vec<String>,
    pub skips: Vec<String>,
}

impl Outcome {
    pub fn count(&self, reason: &str) -> usize {
        self.skips.iter().filter(|r| *r == reason).count()
    }
}

/// Open and read `bytes` (written as `name`) on a thread; panics with `case` when the reader
/// panics or does not finish within [`WATCHDOG`]. At most `max_events` are taken: a reader
/// that repeats an event forever fails instead of filling memory.
pub fn run(case: &str, name: &str, bytes: &[u8], cfg: &InputConfig, max_events: usize) -> Outcome {
    let path = write(name, bytes);
    let cfg = cfg.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    let p = path.clone();
    std::thread::spawn(move || {
        let mut out = Outcome::default();
        if let Ok(events) = skypile_ingest::open(&p, 0, &cfg) {
            out.opened = true;
            for e in events.take(max_events) {
                match e {
                    Event::Doc(d) => out.docs.push(d.url.clone().unwrap_or(d.id.clone())),
                    Event::Skip { reason, .. } => out.skips.push(reason),
                }
            }
        }
        let _ = tx.send(out);
    });
    let out = match rx.recv_timeout(WATCHDOG) {
        Ok(o) => o,
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
            panic!("{case}: reader did not finish within {WATCHDOG:?} (hang)")
        }
        Err(_) => panic!("{case}: reader panicked (see above)"),
    };
    let _ = std::fs::remove_file(&path);
    assert!(
        out.docs.len() + out.skips.len() < max_events,
        "{case}: {} events, the reader repeats itself; skips end with {:?}",
        out.docs.len() + out.skips.len(),
        out.skips.iter().rev().take(3).collect::<Vec<_>>()
    );
    out
}

/// Panics with `case` unless every marker in `want` is among the docs.
pub fn assert_has(case: &str, out: &Outcome, want: &[String]) {
    let missing: Vec<&String> = want.iter().filter(|m| !out.docs.contains(m)).collect();
    assert!(
        missing.is_empty(),
        "{case}: {} of {} records lost: {:?}...; skips {:?}",
        missing.len(),
        want.len(),
        missing.iter().take(3).collect::<Vec<_>>(),
        out.skips.iter().take(5).collect::<Vec<_>>()
    );
}

/// How many decompressed bytes a plain streaming decoder gets from `bytes` before it fails:
/// the reference for "every record before the damage" in whole-file compressed inputs.
pub fn decompressed_prefix(name: &str, bytes: &[u8]) -> usize {
    use std::io::Read;
    let mut r: Box<dyn Read> = if name.ends_with(".gz") {
        Box::new(flate2::read::MultiGzDecoder::new(bytes))
    } else if name.ends_with(".zst") {
        Box::new(zstd::Decoder::new(bytes).unwrap())
    } else {
        return bytes.len();
    };
    let (mut buf, mut n) = (vec![0u8; 4096], 0);
    while let Ok(k @ 1..) = r.read(&mut buf) {
        n += k;
    }
    n
}

/// A Parquet file with columns `id` ("r<i>") and `text`, `group` rows per row group.
pub fn parquet(texts: &[String], group: usize) -> Vec<u8> {
    use arrow_array::{RecordBatch, StringArray};
    use arrow_schema::{DataType, Field, Schema};
    use std::sync::Arc;
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Utf8, false),
        Field::new("text", DataType::Utf8, true),
    ]));
    let ids: Vec<String> = (0..texts.len()).map(|i| format!("r{i}")).collect();
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(StringArray::from(ids)),
            Arc::new(StringArray::from(texts.to_vec())),
        ],
    )
    .unwrap();
    let props = parquet::file::properties::WriterProperties::builder()
        .set_max_row_group_row_count(Some(group))
        .build();
    let mut out = Vec::new();
    let mut w = parquet::arrow::ArrowWriter::try_new(&mut out, schema, Some(props)).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    out
}

/// Offset where a Parquet file's footer (thrift metadata, length, magic) starts.
pub fn parquet_footer_start(file: &[u8]) -> usize {
    let n = file.len();
    let len = u32::from_le_bytes(file[n - 8..n - 4].try_into().unwrap()) as usize;
    n - 8 - len
}

/// Row groups of a Parquet file as (first row, rows, end offset of its last column chunk).
pub fn parquet_groups(file: &[u8]) -> Vec<(usize, usize, usize)> {
    use parquet::file::reader::FileReader;
    let path = write("groups.parquet", file);
    let f = std::fs::File::open(&path).unwrap();
    let r = parquet::file::serialized_reader::SerializedFileReader::new(f).unwrap();
    let mut row = 0;
    r.metadata()
        .row_groups()
        .iter()
        .map(|g| {
            let end = g
                .columns()
                .iter()
                .map(|c| {
                    let (s, l) = c.byte_range();
                    (s + l) as usize
                })
                .max()
                .unwrap_or(0);
            let rows = g.num_rows() as usize;
            row += rows;
            (row - rows, rows, end)
        })
        .collect()
}
