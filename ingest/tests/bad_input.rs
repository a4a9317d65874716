//! Issue #15's input cases, each as a user met it: a cut `.jsonl.gz` (case 1), a bogus
//! `Content-Length` in the first record (case 2), documents over the size cap (case 4) and a
//! damaged Parquet footer (case 8). Every reader run is under a watchdog (`common::run`).

mod common;

use common::{Outcome, arc_record, assert_has, gz, run, warc_record, zst};
use skypile_ingest::InputConfig;

fn cfg(json: &str) -> InputConfig {
    serde_json::from_str(json).unwrap()
}

/// Case 1: a cut or corrupt compressed JSONL ends with one counted reason after every
/// complete line before the damage, instead of repeating `bad_read` forever.
#[test]
fn cut_compressed_jsonl_ends_with_one_reason() {
    let recs = common::jsonl(20_000);
    let (plain, ends) = recs.plain();
    let (g, z) = (gz(&plain), zst(&plain));
    for (name, bytes) in [
        ("cut.jsonl.gz", g.get(..30_000).unwrap()),
        ("cut.jsonl.zst", z.get(..z.len() / 2).unwrap()),
    ] {
        let out = run(name, name, bytes, &InputConfig::default(), 100_000);
        assert_eq!(
            out.skips.len(),
            1,
            "{name}: {:?}",
            &out.skips[..3.min(out.skips.len())]
        );
        assert!(
            out.skips[0].ends_with("_truncated"),
            "{name}: {:?}",
            out.skips
        );
        // Every line the decompressor could give before the cut came out.
        let prefix = common::decompressed_prefix(name, bytes);
        let whole = ends.iter().filter(|&&e| e <= prefix).count();
        assert!(
            whole > 100,
            "{name}: only {whole} whole lines in the prefix"
        );
        assert_has(name, &out, &recs.markers[..whole]);
    }
}

fn bogus_first(recs: &mut common::Recs, from: &str, to: &str) {
    let first = String::from_utf8(recs.recs[0].clone()).unwrap();
    assert!(first.contains(from));
    recs.recs[0] = first.replacen(from, to, 1).into_bytes();
}

/// Case 2: a first record saying `Content-Length: 99999999999`, then 50 good ones: the 50 come
/// out and the bad one counts `bad_too_large` (plain, per-record gzip, whole-file gzip; WET; ARC).
#[test]
fn bogus_length_in_first_record_keeps_the_rest() {
    for wet in [false, true] {
        let mut recs = common::warc(51, wet);
        let len = recs.recs[0].len() - warc_head_len(&recs.recs[0]) - 4;
        bogus_first(
            &mut recs,
            &format!("Content-Length: {len}\r\n"),
            "Content-Length: 99999999999\r\n",
        );
        let (plain, _) = recs.plain();
        let (member, _) = recs.per_member();
        let ext = if wet { "warc.wet" } else { "warc" };
        for (name, bytes) in [
            (ext.to_string(), plain.clone()),
            (format!("{ext}.gz"), member),
            (format!("whole.{ext}.gz"), gz(&plain)),
        ] {
            check_rest(
                &name,
                &run(&name, &name, &bytes, &InputConfig::default(), 1000),
                &recs,
            );
        }
    }
    let mut recs = common::arc(51);
    let first = String::from_utf8(recs.recs[0].clone()).unwrap();
    let line = first.lines().next().unwrap().to_string();
    let bogus = format!("{} 99999999999", line.rsplit_once(' ').unwrap().0);
    bogus_first(&mut recs, &line, &bogus);
    let (plain, _) = recs.plain();
    let (member, _) = recs.per_member();
    for (name, bytes) in [("a.arc", plain), ("m.arc.gz", member)] {
        check_rest(
            name,
            &run(name, name, &bytes, &InputConfig::default(), 1000),
            &recs,
        );
    }
}

fn warc_head_len(r: &[u8]) -> usize {
    r.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4
}

fn check_rest(name: &str, out: &Outcome, recs: &common::Recs) {
    assert_has(name, out, &recs.markers[1..]);
    assert_eq!(out.count("bad_too_large"), 1, "{name}: {:?}", out.skips);
    assert!(!out.docs.contains(&recs.markers[0]), "{name}");
}

/// Case 4 (input side): `max_doc_bytes` caps a JSONL line, a WARC record and a Parquet cell;
/// each over-cap document is one `bad_too_large` and its neighbours are read.
#[test]
fn max_doc_bytes_caps_every_format() {
    let cap = cfg(r#"{"max_doc_bytes": 2000}"#);
    let mut j = common::jsonl(3);
    j.recs[1] = format!("{{\"id\":\"r1\",\"text\":\"{}\"}}\n", "长".repeat(3000)).into_bytes();
    let out = run("jsonl", "a.jsonl", &j.plain().0, &cap, 100);
    assert_eq!(out.docs, vec!["r0", "r2"], "{:?}", out.skips);
    assert_eq!(out.skips, vec!["bad_too_large"]);
    // A gzip bomb without newlines: 64 MiB of one line from a small file, skipped whole.
    let bomb = gz(&[b"{\"text\":\"".to_vec(), vec![b'a'; 64 << 20]].concat());
    let out = run("bomb", "bomb.jsonl.gz", &bomb, &cap, 100);
    assert_eq!(out.skips, vec!["bad_too_large"]);
    let w = common::warc(3, false);
    let big = warc_record("response", &common::url(9), &vec![b'x'; 5000]);
    let file = [w.recs[0].clone(), big, w.recs[1].clone()].concat();
    let out = run("warc", "a.warc", &file, &cap, 100);
    assert_eq!(out.docs, vec![common::url(0), common::url(1)]);
    assert_eq!(out.skips, vec!["bad_too_large"]);
    let a = arc_record(&common::url(9), &vec![b'x'; 5000]);
    let out = run(
        "arc",
        "a.arc",
        &[a, common::arc(1).recs[0].clone()].concat(),
        &cap,
        100,
    );
    assert_eq!(out.docs, vec![common::url(0)]);
    assert_eq!(out.skips, vec!["bad_too_large"]);
    let texts = ["short".to_string(), "长".repeat(3000), "also short".into()];
    let out = run(
        "parquet",
        "a.parquet",
        &common::parquet(&texts, 10),
        &cap,
        100,
    );
    assert_eq!(out.docs, vec!["r0", "r2"]);
    assert_eq!(out.skips, vec!["bad_too_large"]);
}

/// Case 8: opening a Parquet file whose footer is damaged is a failed open (counted as
/// `ingest.bad_file` by the runner), never a panic, for every single-byte flip of the footer.
#[test]
fn damaged_parquet_footer_is_a_bad_file_not_a_panic() {
    let texts: Vec<String> = (0..40).map(|i| format!("text {i}")).collect();
    let file = common::parquet(&texts, 10);
    let footer = common::parquet_footer_start(&file);
    let mut opened = 0;
    for at in footer..file.len() {
        for x in [0xff, 0x80, 0x01] {
            let mut f = file.clone();
            f[at] ^= x;
            let out = run(
                &format!("flip {at}^{x:#x}"),
                "f.parquet",
                &f,
                &InputConfig::default(),
                1000,
            );
            opened += usize::from(out.opened);
        }
    }
    // Some flips (inside statistics, say) leave a footer that still parses.
    eprintln!(
        "{opened} of {} footer flips still open",
        3 * (file.len() - footer)
    );
}
