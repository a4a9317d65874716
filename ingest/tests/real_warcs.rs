//! Integration tier over ../shared/data (see its MANIFEST.md): every WARC/ARC/WET reads to the
//! end, record counts match the manifest table, and Chinese pages decode without U+FFFD.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use skypile_core::Doc;
use skypile_ingest::{Event, InputConfig};

fn data_dir() -> Option<PathBuf> {
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data");
    if d.join("warc").is_dir() {
        Some(d)
    } else {
        eprintln!("skipping: ../shared/data not found");
        None
    }
}

fn events(path: &Path) -> Vec<Event> {
    skypile_ingest::open(path, 0, &InputConfig::default())
        .unwrap()
        .collect()
}

fn docs(path: &Path) -> Vec<Box<Doc>> {
    events(path)
        .into_iter()
        .filter_map(|e| match e {
            Event::Doc(d) => Some(d),
            Event::Skip { .. } => None,
        })
        .collect()
}

/// (file, records, docs). Records = docs + per-record skips (not `bad_garbage`/`bad_gzip_garbage`,
/// which are bytes between records). Equal to the manifest's "records parsed" except where noted.
const EXPECTED: &[(&str, usize, usize)] = &[
    ("commoncrawl-whirlwind/whirlwind.warc.gz", 4, 1),
    ("commoncrawl-whirlwind/whirlwind.warc.wat.gz", 2, 0),
    ("commoncrawl-whirlwind/whirlwind.warc.wet.gz", 2, 1),
    ("dolma/sample-0000.warc.gz", 48, 22),
    ("dolma/sample-0001.warc.gz", 34, 15),
    ("pywb/dupes.warc.gz", 25, 1),
    ("pywb/example-extra.warc", 6, 1),
    ("pywb/example-url-agnostic-orig.warc.gz", 2, 1),
    ("pywb/example-url-agnostic-revisit.warc.gz", 2, 0),
    ("pywb/example-wget-1-14.warc.gz", 6, 1),
    ("pywb/example-wpull.warc.gz", 4, 1),
    ("pywb/httpbin-resource.warc.gz", 1, 0),
    ("pywb/iana.warc.gz", 343, 16),
    // Manifest: 0 (its strict CRLF parser stops); the one record is a 302.
    ("pywb/missing-status-text.warc", 1, 0),
    ("resiliparse/block-sized-records.warc", 3, 0),
    // The single record is cut: counted as bad_gzip_truncated.
    ("resiliparse/clipped.warc.gz", 1, 0),
    ("resiliparse/clueweb-quirk.warc.gz", 30, 29),
    ("resiliparse/warcfile.warc.gz", 50, 16),
    (
        "servo-warc-tests/360-rec-20180807111526033235-anjiadeMacBook-Pro.local.warc.gz",
        272,
        1,
    ),
    (
        "servo-warc-tests/Baidu-rec-20180221105728786818-PUCHE.warc.gz",
        30,
        1,
    ),
    (
        "servo-warc-tests/JD-rec-20180405000106248848-userland.warc.gz",
        178,
        16,
    ),
    (
        "servo-warc-tests/Sina-rec-20180808064152840331-anjiadeMacBook-Pro.local.warc.gz",
        392,
        6,
    ),
    (
        "servo-warc-tests/Sohu-rec-20180808063643743492-anjiadeMacBook-Pro.local.warc.gz",
        112,
        1,
    ),
    (
        "servo-warc-tests/Weibo-rec-20181122165417074276-goller.warc.gz",
        296,
        4,
    ),
    (
        "servo-warc-tests/Wikipedia-rec-20180220120751277617-PUCHE.warc.gz",
        12,
        1,
    ),
    (
        "servo-warc-tests/qq-rec-20180222114434301946-paragon.warc.gz",
        104,
        1,
    ),
    (
        "ukwa/BL-20140325122341434-00000-32090~opera~8443.warc.gz",
        190,
        6,
    ),
    (
        "ukwa/IAH-20080430204825-00000-blackbook-truncated.arc.gz",
        9,
        2,
    ),
    (
        "ukwa/IAH-20080430204825-00000-blackbook-truncated.warc.gz",
        23,
        2,
    ),
    ("ukwa/IAH-urls-wget.warc.gz", 36, 2),
    ("ukwa/ip-host-testcase.warc.gz", 6, 0),
    ("ukwa/transfer_compression_brotli.warc", 5, 1),
    ("ukwa/transfer_compression_brotli.warc.gz", 5, 1),
    ("ukwa/transfer_compression_gzip.warc.gz", 5, 1),
    ("ukwa/transfer_compression_none.warc.gz", 5, 1),
    ("ukwa/truncated_datetime.warc", 5, 1),
    // Manifest: 1 (it stops at the broken header); we skip 3 bad lengths and read on.
    ("warcio/bad.arc", 4, 0),
    ("warcio/example-bad-non-chunked.warc.gz", 6, 1),
    ("warcio/example-bad.warc.gz.bad", 6, 1),
    ("warcio/example-digest.warc", 4, 0),
    ("warcio/example-iana.org-chunked.warc", 3, 1),
    ("warcio/example-resource.warc.gz", 3, 0),
    ("warcio/example-space-in-target-uri.warc.gz", 2, 0),
    // The last record is 12 bytes short: bad_truncated.
    ("warcio/example-space-in-url.arc", 2, 0),
    // Manifest: 3 (stops at the NUL padding); all 4 `WARC/1.0` records are read.
    ("warcio/example-trunc.warc", 4, 1),
    ("warcio/example-wget-bad-target-uri.warc.gz", 6, 1),
    ("warcio/example-wrong-chunks.warc.gz", 2, 1),
    ("warcio/example.arc", 2, 1),
    ("warcio/example.arc.gz", 2, 1),
    ("warcio/example.warc", 6, 1),
    ("warcio/example.warc.gz", 6, 1),
    ("warcio/post-test.warc.gz", 6, 0),
];

#[test]
fn every_archive_reads_with_manifest_record_counts() {
    let Some(data) = data_dir() else { return };
    let dir = data.join("warc");
    let mut seen = 0;
    for &(file, records, ndocs) in EXPECTED {
        let path = dir.join(file);
        let mut skips = BTreeMap::new();
        let mut got_docs = 0;
        for e in events(&path) {
            match e {
                Event::Doc(d) => {
                    got_docs += 1;
                    assert!(
                        !d.source.is_empty()
                            && d.url.as_deref().is_some_and(|u| !u.starts_with('<')),
                        "{file}: {d:?}"
                    );
                }
                Event::Skip { reason, .. } => *skips.entry(reason).or_insert(0usize) += 1,
            }
        }
        let got_records = got_docs
            + skips
                .iter()
                .filter(|(r, _)| !r.ends_with("garbage"))
                .map(|(_, n)| n)
                .sum::<usize>();
        assert_eq!(
            (got_records, got_docs),
            (records, ndocs),
            "{file}: skips {skips:?}"
        );
        seen += 1;
    }
    // Every archive in the directory is in the table.
    let all = std::fs::read_dir(&dir)
        .unwrap()
        .flat_map(|d| std::fs::read_dir(d.unwrap().path()).unwrap());
    let archives = all.filter(|e| {
        let n = e
            .as_ref()
            .unwrap()
            .file_name()
            .to_string_lossy()
            .to_string();
        n.contains(".warc") || n.contains(".arc")
    });
    assert_eq!(archives.count(), seen);
}

fn has_fffd(d: &Doc) -> bool {
    d.raw.as_ref().is_some_and(|r| r.html.contains('\u{FFFD}'))
}

fn han(s: &str) -> usize {
    s.chars()
        .filter(|c| ('\u{4e00}'..='\u{9fff}').contains(c))
        .count()
}

#[test]
fn known_chinese_pages_decode_cleanly() {
    let Some(data) = data_dir() else { return };
    let w = data.join("warc");
    let cc = docs(&w.join("resiliparse/warcfile.warc.gz"));
    let zh: Vec<&Box<Doc>> = cc
        .iter()
        .filter(|d| han(&d.raw.as_ref().unwrap().html) > 100)
        .collect();
    assert!(
        zh.len() >= 11,
        "the 11 Chinese Common Crawl pages: {}",
        zh.len()
    );
    for d in &cc {
        assert!(!has_fffd(d), "{:?} {:?}", d.url, d.meta);
        assert!(d.id.starts_with("<urn:uuid:") && d.meta_str("date").is_some());
    }
    let charset = |url: &str| {
        let d = cc
            .iter()
            .find(|d| d.url.as_deref().is_some_and(|u| u.starts_with(url)))
            .unwrap();
        (
            d.meta_str("charset").unwrap().to_string(),
            d.meta_str("charset_source").unwrap().to_string(),
        )
    };
    assert_eq!(
        charset("http://037426.cn/"),
        ("GB18030".into(), "http".into())
    );
    assert_eq!(
        charset("http://096355.com/video/"),
        ("GB18030".into(), "meta".into())
    );
    assert_eq!(
        charset("http://01spb.ru/"),
        ("windows-1251".into(), "http".into())
    );
    // qq.com: labelled GB2312, needs GBK/GB18030.
    let qq = docs(&w.join("servo-warc-tests/qq-rec-20180222114434301946-paragon.warc.gz"));
    let home = qq
        .iter()
        .find(|d| d.url.as_deref() == Some("https://www.qq.com/"))
        .unwrap();
    assert!(!has_fffd(home) && han(&home.raw.as_ref().unwrap().html) > 5000);
    assert_eq!(home.meta_str("charset"), Some("GB18030"));
    for f in [
        "Baidu-rec-20180221105728786818-PUCHE",
        "Sina-rec-20180808064152840331-anjiadeMacBook-Pro.local",
        "Sohu-rec-20180808063643743492-anjiadeMacBook-Pro.local",
        "JD-rec-20180405000106248848-userland",
    ] {
        for d in docs(&w.join(format!("servo-warc-tests/{f}.warc.gz"))) {
            assert!(!has_fffd(&d), "{f}: {:?}", d.url);
        }
    }
    // Brotli, gzip and identity Content-Encoding give the same page.
    for c in ["none", "gzip", "brotli"] {
        let d = docs(&w.join(format!("ukwa/transfer_compression_{c}.warc.gz")));
        assert!(
            d[0].raw.as_ref().unwrap().html.contains(
                "Extremely simple webpage used for testing GZip and Brotli transmission compression"
            ),
            "{c}"
        );
    }
    // Real chunked body is de-chunked.
    let d = docs(&w.join("warcio/example-iana.org-chunked.warc"));
    let html = &d[0].raw.as_ref().unwrap().html;
    assert!(
        html.trim_start().starts_with("<!doctype") && html.trim_end().ends_with("</html>"),
        "{}",
        &html[..50]
    );
    // WET conversion record is plain text.
    let wet = docs(&w.join("commoncrawl-whirlwind/whirlwind.warc.wet.gz"));
    assert!(wet[0].raw.is_none() && wet[0].text().contains("Wikipedia"));
}

#[test]
fn gold_chinese_pages_decode_from_raw_bytes() {
    let Some(data) = data_dir() else { return };
    let x = data.join("extraction/zh-web-content-extraction");
    let mut files: Vec<PathBuf> = std::fs::read_dir(x.join("original"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert_eq!(files.len(), 69);
    let mut gold_found = 0;
    for f in &files {
        let d = skypile_ingest::charset::decode_html(&std::fs::read(f).unwrap(), None);
        // Two pages hold a handful of corrupt bytes (MANIFEST: "none of the tested encodings").
        let bad = d.text.matches('\u{FFFD}').count();
        assert!(
            bad <= 12,
            "{}: {bad} U+FFFD as {} ({})",
            f.display(),
            d.charset,
            d.source
        );
        assert!(
            d.charset == "UTF-8" || d.charset == "GB18030",
            "{}: {}",
            f.display(),
            d.charset
        );
        let stem = f.file_stem().unwrap().to_string_lossy();
        let gold =
            std::fs::read_to_string(x.join(format!("cleaned/{stem}.txt"))).unwrap_or_default();
        let probe: String = gold
            .chars()
            .filter(|c| ('\u{4e00}'..='\u{9fff}').contains(c))
            .take(10)
            .collect();
        let page: String = d
            .text
            .chars()
            .filter(|c| ('\u{4e00}'..='\u{9fff}').contains(c))
            .collect();
        gold_found += page.contains(&probe) as usize;
    }
    // Two gold texts start with words not on their page; all others are found verbatim.
    assert!(gold_found >= 67, "{gold_found}");
    // Browser-saved UTF-8 pages that still say gb2312 in <meta>.
    let g = data.join("extraction/zh-gne-news-pages");
    for f in ["163-9.html", "people-1.html", "qq-2.html"] {
        let d = skypile_ingest::charset::decode_html(&std::fs::read(g.join(f)).unwrap(), None);
        assert_eq!(
            (d.charset, d.source),
            ("UTF-8", "detected_over_declared"),
            "{f}"
        );
        assert!(!d.text.contains('\u{FFFD}'));
    }
}

/// Deterministic xorshift so the fuzz cases are the same on every run.
fn rng(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

#[test]
fn random_truncation_and_bit_flips_never_panic() {
    let Some(data) = data_dir() else { return };
    let w = data.join("warc");
    let tmp = std::env::temp_dir().join(format!("skypile-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let mut seed = 0x5eed_u64;
    for (file, ext) in [
        ("resiliparse/warcfile.warc.gz", "warc.gz"),
        ("warcio/example.warc", "warc"),
        ("warcio/example-wrong-chunks.warc.gz", "warc.gz"),
        ("warcio/example-bad-non-chunked.warc.gz", "warc.gz"),
        ("warcio/example.arc", "arc"),
        (
            "ukwa/IAH-20080430204825-00000-blackbook-truncated.arc.gz",
            "arc.gz",
        ),
        ("pywb/missing-status-text.warc", "warc"),
    ] {
        let orig = std::fs::read(w.join(file)).unwrap();
        let full_docs = docs(&w.join(file)).len();
        for case in 0..25 {
            let mut b = orig.clone();
            let cut = (rng(&mut seed) as usize) % (b.len() + 1);
            if case % 2 == 0 {
                b.truncate(cut);
            }
            for _ in 0..(rng(&mut seed) % 8) {
                if !b.is_empty() {
                    let i = (rng(&mut seed) as usize) % b.len();
                    b[i] ^= 1 << (rng(&mut seed) % 8);
                }
            }
            let p = tmp.join(format!("case.{ext}"));
            std::fs::write(&p, &b).unwrap();
            let ev = events(&p);
            let n = ev.iter().filter(|e| matches!(e, Event::Doc(_))).count();
            assert!(
                n <= full_docs + 2,
                "{file} case {case}: {n} docs from a damaged file"
            );
        }
    }
}
