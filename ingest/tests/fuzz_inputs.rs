//! Mutation test of every reader (issue #15): deterministic, seeded damage — truncation at
//! many points, byte flips, inserted garbage, bogus record lengths — to WARC (plain, gzip per
//! record, whole-file gzip), WET, ARC (plain, gzip per record), JSONL (plain, .gz, .zst) and
//! Parquet built from generated records, plus truncations and flips of the real WARCs in
//! ../shared/data/warc. Each case runs under a watchdog (`common::run`) and must:
//! - not panic and not hang, and yield a bounded number of events;
//! - yield every record that lies wholly before the damage (for whole-file compressed inputs:
//!   before the point where a plain streaming decoder of the damaged file stops, for cuts).
//!
//! Not asserted: records after the damage (most readers resync, but a flip can turn one record
//! into two) and, for byte flips inside a whole-file gzip/zstd stream, the records before it:
//! the decoder drops the output of the read call that fails, and the gzip CRC that would tell
//! a damaged record from an intact one comes only at the end of the stream.

mod common;

use common::{Recs, assert_has, gz, run, zst};
use skypile_core::rng::Rng;
use skypile_ingest::InputConfig;

/// Cases per input = base × `SKYPILE_FUZZ_SCALE` (default 4, what CI runs: ~20 s in the dev
/// profile on a loaded 2-core machine); seeds are offset
/// by `SKYPILE_FUZZ_SEED` (default 0) for a deeper local search.
fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn scale() -> u64 {
    env_num("SKYPILE_FUZZ_SCALE", 4)
}

fn seeded(seed: u64) -> Rng {
    Rng::new(seed + 1_000_003 * env_num("SKYPILE_FUZZ_SEED", 0))
}

/// One way to damage a file; `at` is the first damaged byte.
#[derive(Debug, Clone)]
enum Damage {
    Cut(usize),
    Flip(usize, u8),
    Insert(usize, Vec<u8>),
}

impl Damage {
    fn at(&self) -> usize {
        match self {
            Damage::Cut(p) | Damage::Flip(p, _) | Damage::Insert(p, _) => *p,
        }
    }

    fn apply(&self, f: &[u8]) -> Vec<u8> {
        let mut f = f.to_vec();
        match self {
            Damage::Cut(p) => f.truncate(*p),
            Damage::Flip(p, x) => f[*p] ^= x,
            Damage::Insert(p, g) => drop(f.splice(*p..*p, g.iter().copied())),
        }
        f
    }
}

/// Garbage that looks like the start of something: record headers, gzip magic, a newline.
const GARBAGE: &[&[u8]] = &[
    b"WARC/1.0\r\nContent-Length: 12\r\n",
    b"\x1f\x8b\x08\x00\x00\x00",
    b"\x00\x00\x00\x00\xff",
    b"http://x.example/ 1.2.3.4 20140216050221 text/html 99\n",
    b"{\"text\":\"open",
    b"\n",
    b"PAR1",
];

/// `n` cuts spread over the file plus `n` flips and `n / 2` insertions at random places.
fn damages(len: usize, n: usize, rng: &mut Rng) -> Vec<Damage> {
    let n = n * scale() as usize;
    let mut out: Vec<Damage> = (0..n)
        .map(|i| Damage::Cut(len * i / n + rng.below(len / n)))
        .collect();
    for _ in 0..n {
        out.push(Damage::Flip(rng.below(len), 1 << rng.below(8)));
    }
    for _ in 0..n / 2 {
        let g = GARBAGE[rng.below(GARBAGE.len())].to_vec();
        out.push(Damage::Insert(rng.below(len), g));
    }
    out
}

/// How a test file is laid out, which decides what "before the damage" means.
enum Layout {
    /// Record ends are offsets in the file itself (plain, or one gzip member per record).
    Framed,
    /// One compressed stream; record ends are offsets in the decompressed data.
    Stream,
}

fn check(
    name: &str,
    file: &[u8],
    ends: &[usize],
    recs: &Recs,
    layout: Layout,
    rng: &mut Rng,
) -> usize {
    let cfg = InputConfig::default();
    let ds = damages(file.len(), 48, rng);
    let (mut kept, mut checked) = (0, 0);
    for d in &ds {
        let case = format!("{name} {d:?}");
        let case = case.get(..case.len().min(120)).unwrap_or(&case);
        let bad = d.apply(file);
        // A damaged stream can inflate to garbage with many "lines": allow one event per
        // decompressed byte (a reader repeating itself forever still goes over).
        let max_events = match layout {
            Layout::Framed => 10 * recs.recs.len() + 100,
            Layout::Stream => common::decompressed_prefix(name, &bad) + 100,
        };
        let out = run(case, name, &bad, &cfg, max_events);
        let limit = match (&layout, d) {
            (Layout::Framed, _) => d.at(),
            (Layout::Stream, Damage::Cut(_)) => common::decompressed_prefix(name, &bad),
            (Layout::Stream, _) => 0,
        };
        let whole = ends.iter().filter(|&&e| e <= limit).count();
        assert_has(case, &out, recs.markers.get(..whole).unwrap_or_default());
        kept += whole;
        checked += usize::from(limit > 0);
    }
    // The cases must test something: records before the damage exist in most of them.
    assert!(
        kept >= checked * recs.recs.len() / 8,
        "{name}: only {kept} records checked in {checked} cases"
    );
    ds.len()
}

/// Bogus lengths in record `j` (before any compression): the other records all come out.
///
/// Except, without a gzip member per record, when the bogus length ends exactly where a later
/// record ends (before its CRLF CRLF in WARC, at or before its newline in ARC): that file is
/// byte for byte a record that embeds the records in between, and the reader rightly reads it
/// so. One gzip member per record tells the two apart, so there every case is checked.
fn check_lengths(
    name: &str,
    recs: &Recs,
    field: &str,
    rng: &mut Rng,
    pack: impl Fn(&Recs) -> Vec<u8>,
) {
    for _ in 0..16 * scale() {
        let j = rng.below(recs.recs.len());
        let rec = String::from_utf8(recs.recs[j].clone()).unwrap();
        let len: usize = length_of(&rec, field);
        let bogus = [99_999_999_999, len + 1 + rng.below(4000), len / 2, 0][rng.below(4)];
        let mut bad = Recs {
            head: recs.head.clone(),
            recs: recs.recs.clone(),
            markers: vec![],
        };
        bad.recs[j] = set_length(&rec, field, len, bogus).into_bytes();
        let case = format!("{name}: record {j} length {len} -> {bogus}");
        let per_member = name.ends_with(".gz") && !name.starts_with("whole.");
        if !per_member && embeds(&bad, j, bogus, field) {
            continue;
        }
        let out = run(&case, name, &pack(&bad), &InputConfig::default(), 1000);
        let others: Vec<String> = recs
            .markers
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != j)
            .map(|(_, m)| m.clone())
            .collect();
        assert_has(&case, &out, &others);
    }
}

/// Does record `j`'s content, `len` bytes long, end exactly where a later record ends?
fn embeds(recs: &Recs, j: usize, len: usize, field: &str) -> bool {
    let (_, ends) = recs.plain();
    let rec = &recs.recs[j];
    let header = if field.is_empty() {
        rec.iter().position(|&b| b == b'\n').unwrap() + 1
    } else {
        rec.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4
    };
    let start = if j == 0 { recs.head.len() } else { ends[j - 1] };
    let end = start + header + len;
    let trailers: &[usize] = if field.is_empty() { &[0, 1] } else { &[4] };
    ends.iter()
        .skip(j + 1)
        .any(|&e| trailers.iter().any(|&t| e.checked_sub(t) == Some(end)))
}

/// The record length in a WARC header (`field` = "Content-Length: ") or an ARC header line
/// (`field` = "" : the line's last token).
fn length_of(rec: &str, field: &str) -> usize {
    let line = if field.is_empty() {
        rec.lines().next().unwrap().rsplit(' ').next().unwrap()
    } else {
        rec.split(field).nth(1).unwrap().split('\r').next().unwrap()
    };
    line.trim().parse().unwrap()
}

fn set_length(rec: &str, field: &str, old: usize, new: usize) -> String {
    if field.is_empty() {
        let (line, rest) = rec.split_once('\n').unwrap();
        let head = line.strip_suffix(&old.to_string()).unwrap();
        format!("{head}{new}\n{rest}")
    } else {
        rec.replacen(&format!("{field}{old}"), &format!("{field}{new}"), 1)
    }
}

#[test]
fn mutated_web_archives_never_hang_and_keep_what_came_before() {
    let mut rng = seeded(15);
    let mut cases = 0;
    for (kind, recs) in [
        ("warc", common::warc(30, false)),
        ("warc.wet", common::warc(30, true)),
    ] {
        let (plain, ends) = recs.plain();
        cases += check(kind, &plain, &ends, &recs, Layout::Framed, &mut rng);
        let (member, mends) = recs.per_member();
        cases += check(
            &format!("{kind}.gz"),
            &member,
            &mends,
            &recs,
            Layout::Framed,
            &mut rng,
        );
        cases += check(
            &format!("whole.{kind}.gz"),
            &gz(&plain),
            &ends,
            &recs,
            Layout::Stream,
            &mut rng,
        );
        check_lengths(kind, &recs, "Content-Length: ", &mut rng, |r| r.plain().0);
        check_lengths(
            &format!("{kind}.gz"),
            &recs,
            "Content-Length: ",
            &mut rng,
            |r| r.per_member().0,
        );
        check_lengths(
            &format!("whole.{kind}.gz"),
            &recs,
            "Content-Length: ",
            &mut rng,
            |r| gz(&r.plain().0),
        );
    }
    let recs = common::arc(30);
    let (plain, ends) = recs.plain();
    cases += check("arc", &plain, &ends, &recs, Layout::Framed, &mut rng);
    let (member, mends) = recs.per_member();
    cases += check("arc.gz", &member, &mends, &recs, Layout::Framed, &mut rng);
    check_lengths("arc", &recs, "", &mut rng, |r| r.plain().0);
    check_lengths("arc.gz", &recs, "", &mut rng, |r| r.per_member().0);
    eprintln!("{cases} damaged web archives read");
}

#[test]
fn mutated_jsonl_never_hangs_and_keeps_what_came_before() {
    let mut rng = seeded(150);
    let recs = common::jsonl(400);
    let (plain, ends) = recs.plain();
    check("jsonl", &plain, &ends, &recs, Layout::Framed, &mut rng);
    check(
        "jsonl.gz",
        &gz(&plain),
        &ends,
        &recs,
        Layout::Stream,
        &mut rng,
    );
    check(
        "jsonl.zst",
        &zst(&plain),
        &ends,
        &recs,
        Layout::Stream,
        &mut rng,
    );
}

/// Parquet: damage inside a row group costs at most that row group (earlier groups come out);
/// damage to the footer or a cut (which loses the footer) is a failed open. Never a panic.
#[test]
fn mutated_parquet_never_panics_and_keeps_earlier_row_groups() {
    let mut rng = seeded(1500);
    let texts: Vec<String> = (0..200)
        .map(|i| format!("第{i}行 row {i} {}", "w ".repeat(i % 50)))
        .collect();
    let file = common::parquet(&texts, 20);
    let groups = common::parquet_groups(&file);
    let footer = common::parquet_footer_start(&file);
    let markers: Vec<String> = (0..texts.len()).map(|i| format!("r{i}")).collect();
    for d in damages(file.len(), 64, &mut rng) {
        let case = format!("parquet {d:?}");
        let out = run(
            &case,
            "f.parquet",
            &d.apply(&file),
            &InputConfig::default(),
            1000,
        );
        if matches!(d, Damage::Cut(_)) || d.at() >= footer {
            continue;
        }
        assert!(out.opened, "{case}: footer intact, open must succeed");
        let before = groups
            .iter()
            .take_while(|g| g.2 <= d.at())
            .map(|g| g.0 + g.1)
            .last()
            .unwrap_or(0);
        assert_has(&case, &out, &markers[..before]);
    }
}

/// The real WARCs of ../shared/data/warc: cut and flipped at seeded points, each read under the
/// watchdog; records before the damage are not checked here (their layout is not generated),
/// only that no case panics, hangs or loops.
#[test]
fn mutated_real_warcs_never_hang() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/warc");
    if !dir.is_dir() {
        assert!(
            std::env::var("SKYPILE_REQUIRE_DATA").as_deref() != Ok("1"),
            "SKYPILE_REQUIRE_DATA=1 but {} is missing",
            dir.display()
        );
        eprintln!("skipping: {} not found", dir.display());
        return;
    }
    let mut files: Vec<_> = walk(&dir)
        .into_iter()
        .filter(|p| std::fs::metadata(p).is_ok_and(|m| m.len() < 2 << 20))
        .collect();
    files.sort();
    assert!(
        files.len() >= 20,
        "only {} WARC files under {}",
        files.len(),
        dir.display()
    );
    let mut rng = seeded(15_000);
    for p in &files {
        let bytes = std::fs::read(p).unwrap();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        for d in damages(bytes.len(), 8, &mut rng) {
            run(
                &format!("{name} {d:?}"),
                &name,
                &d.apply(&bytes),
                &InputConfig::default(),
                100_000,
            );
        }
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else if !p.extension().is_some_and(|x| x == "md" || x == "txt") {
            out.push(p);
        }
    }
    out
}
