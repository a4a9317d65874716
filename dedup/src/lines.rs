//! Recurrent-line removal ("distribution filtering" of SkyPile, the line dedup of CCNet):
//! boilerplate such as 版权所有 footers, cookie banners and navigation lines recurs across
//! many pages. Pass 1 counts, for every normalised line, the *distinct pages* and *distinct
//! sites* that carry it; pass 2 removes lines carried by more than `max_occurrences` pages of
//! at least `min_sites` sites, records `lines_removed`, and drops docs left shorter than
//! `min_doc_chars_after`.
//!
//! Why pages, not docs: a crawl read twice, or a page captured in 12 snapshots, must not turn
//! its own text into "boilerplate" (issue #23: 12 copies of a crawl lost every doc). So:
//! * a page is one site (host, `urlkey::site`) and, within it, one normalised URL *or* one
//!   text: a line's pages on a site = min(distinct URLs, distinct texts (xxh3 of
//!   `normalize_for_hash`)) carrying it. Recaptures of a URL count once whatever changed
//!   around the article; copies of a text at other URLs of the site count once;
//! * a line's pages = the sum over sites; its sites = how many sites carry it. Docs without a
//!   URL form one site and are told apart by text.
//!
//! The threshold therefore counts independent pages, and means the same whether a crawl is
//! read once or 40 times. CCNet removes every line seen twice within a ~5 GB shard; counting
//! across the whole corpus a higher limit is needed so quotations and common sentences survive
//! (default 20). `min_sites: 2` or more spares a line repeated by one site only (its
//! templates stay; its near-copies at many URLs too).
//! With `keep_one` (default) the page with the smallest text hash among those carrying a
//! recurrent line keeps it, as datatrove's sentence dedup keeps one occurrence: a mirrored or
//! syndicated article keeps one whole copy (exact/MinHash dedup decide later), boilerplate is
//! left on one page per line.
//! Lines are counted once per document: repetition inside one page is the repetition filter's
//! job (Gopher), not dedup's.
//!
//! Files: doc stage `lines-t{t}-p{p}.bin` `(line u64, text u64, site u32, url u32)` per distinct
//! line of a doc, partitioned by line; reduce `line_count` rank p: `lines-frequent-p{p}.bin`
//! `(line u64, keeper text u64)` for the recurrent lines. Reduce memory per rank: 24 B per
//! line occurrence of its partition (sorted in place).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::Result;
use serde::{Deserialize, Serialize};
use skypile_core::binfile::config_hash;
use skypile_core::text::{normalize_for_hash, normalize_for_hash_into};
use skypile_core::{
    Applier, ColType, Collector, Column, Counters, Doc, DocKey, GlobalStep, StageCtx, Verdict,
};
use xxhash_rust::xxh3::xxh3_64;

use crate::files::{Partitioned, RecReader, RecWriter, partitions, read_infos, u32_at, u64_at};
use crate::urlkey;

/// Removes lines that recur in many docs of the corpus (menus, footers).
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct LineDedupConfig {
    /// A line carried by more than this many distinct pages (recaptures count once) is removed.
    pub max_occurrences: u64,
    /// ...if those pages belong to at least this many distinct sites (hosts).
    pub min_sites: u64,
    /// Lines with fewer normalised chars are neither counted nor removed ("Home", "首页", "1").
    pub min_line_chars: usize,
    /// A doc that lost lines and kept fewer chars than this is dropped (`line_dedup_too_short`).
    pub min_doc_chars_after: usize,
    /// The page with the smallest text hash among a recurrent line's pages keeps the line.
    pub keep_one: bool,
}

impl Default for LineDedupConfig {
    fn default() -> Self {
        LineDedupConfig {
            max_occurrences: 20,
            min_sites: 1,
            min_line_chars: 5,
            min_doc_chars_after: 50,
            keep_one: true,
        }
    }
}

pub struct LineDedup {
    cfg: LineDedupConfig,
    hash: u64,
}

const KIND: &str = "lines";
const REC: usize = 24;
/// Observation header: site u32, url u32, text u64; then one u64 per distinct line.
const HEAD: usize = 16;

fn part_path(dir: &Path, t: usize, p: usize) -> PathBuf {
    dir.join(format!("lines-t{t:05}-p{p:05}.bin"))
}

fn frequent_path(dir: &Path, p: usize) -> PathBuf {
    dir.join(format!("lines-frequent-p{p:05}.bin"))
}

impl LineDedup {
    pub fn new(cfg: LineDedupConfig) -> Self {
        // the counting part only: min_doc_chars_after and keep_one act in the applier
        let hash = config_hash(&(
            "line_dedup/pages",
            cfg.max_occurrences,
            cfg.min_sites,
            cfg.min_line_chars,
        ));
        LineDedup { cfg, hash }
    }

    /// Is a line with these (line, text, site, url) records recurrent? Records sorted.
    fn tally(&self, recs: &[(u64, u32, u32, u64)], scratch: &mut Vec<u64>) -> Tally {
        let mut t = Tally {
            keeper: u64::MAX,
            ..Default::default()
        };
        for site in recs.chunk_by(|a, b| a.1 == b.1) {
            let urls = site.chunk_by(|a, b| a.2 == b.2).count() as u64;
            scratch.clear();
            scratch.extend(site.iter().map(|r| r.3));
            scratch.sort_unstable();
            scratch.dedup();
            t.pages += urls.min(scratch.len() as u64);
            t.sites += 1;
            t.keeper = t.keeper.min(scratch.first().copied().unwrap_or(u64::MAX));
        }
        t.recurrent = t.pages > self.cfg.max_occurrences && t.sites >= self.cfg.min_sites;
        t
    }
}

#[derive(Default)]
struct Tally {
    pages: u64,
    sites: u64,
    keeper: u64,
    recurrent: bool,
}

/// Hash of a line worth counting, or None for short lines; `buf` is scratch space.
fn line_hash(line: &str, min_chars: usize, buf: &mut String) -> Option<u64> {
    buf.clear();
    normalize_for_hash_into(line, buf);
    hash_if_long(buf, min_chars)
}

/// Hash of a normalised line with at least `min_chars` chars.
fn hash_if_long(normalized: &str, min_chars: usize) -> Option<u64> {
    (normalized.chars().count() >= min_chars).then(|| xxh3_64(normalized.as_bytes()))
}

/// The page identity of a doc's text (same folding as exact dedup).
fn text_hash(doc: &Doc) -> u64 {
    xxh3_64(normalize_for_hash(doc.text()).as_bytes())
}

/// Hashes of a doc's lines worth counting, sorted and distinct, and its [`text_hash`].
/// - One normalisation pass: the text's normalisation is its lines' joined (whitespace, which
///   trimming and line breaks remove, is dropped by the normalisation anyway).
fn line_and_text_hashes(doc: &Doc, min_chars: usize) -> (Vec<u64>, u64) {
    let mut all = String::with_capacity(doc.text().len());
    let mut hs = Vec::new();
    for line in doc.lines() {
        let start = all.len();
        normalize_for_hash_into(line, &mut all);
        hs.extend(hash_if_long(&all[start..], min_chars));
    }
    hs.sort_unstable();
    hs.dedup();
    (hs, xxh3_64(all.as_bytes()))
}

struct LineCollector(Partitioned);

impl Collector for LineCollector {
    fn push(&mut self, _key: DocKey, obs: Vec<u8>) -> Result<()> {
        self.0.docs += 1;
        let (Some(head), Some(lines)) = (obs.get(..HEAD), obs.get(HEAD..)) else {
            return Ok(());
        };
        let mut rec = [0u8; REC];
        rec[8..16].copy_from_slice(&head[8..16]);
        rec[16..24].copy_from_slice(&head[..8]);
        for c in lines.chunks_exact(8) {
            rec[..8].copy_from_slice(c);
            self.0.put(u64_at(c, 0), &rec)?;
        }
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<()> {
        self.0.finish()
    }
}

struct LineApplier {
    cfg: LineDedupConfig,
    /// recurrent line → the text hash of the page that keeps it
    frequent: HashMap<u64, u64>,
}

impl LineApplier {
    /// Keep-flags per line of `text`, and how many lines go.
    fn verdicts(&self, doc: &Doc) -> (Vec<bool>, usize) {
        let mut own: Option<u64> = None;
        let (mut removed, mut buf) = (0, String::new());
        let keep = doc
            .text()
            .split_inclusive('\n')
            .map(|line| {
                let Some(keeper) = line_hash(line.trim(), self.cfg.min_line_chars, &mut buf)
                    .and_then(|h| self.frequent.get(&h))
                else {
                    return true;
                };
                let mine =
                    self.cfg.keep_one && *own.get_or_insert_with(|| text_hash(doc)) == *keeper;
                removed += usize::from(!mine);
                mine
            })
            .collect();
        (keep, removed)
    }
}

impl Applier for LineApplier {
    fn apply(&self, _key: DocKey, doc: &mut Doc, stats: &mut Counters) -> Verdict {
        let (keep, removed) = self.verdicts(doc);
        doc.set_meta("lines_removed", removed);
        if removed == 0 {
            return Verdict::Keep;
        }
        let kept: String = doc
            .text()
            .split_inclusive('\n')
            .zip(&keep)
            .filter(|(_, k)| **k)
            .map(|(l, _)| l)
            .collect();
        stats.add("lines_removed", removed as u64);
        stats.add(
            "chars_removed",
            (doc.text().chars().count() - kept.chars().count()) as u64,
        );
        let short = kept.trim().chars().count() < self.cfg.min_doc_chars_after;
        doc.set_text(kept);
        if short {
            Verdict::drop("line_dedup_too_short")
        } else {
            Verdict::Keep
        }
    }
}

impl GlobalStep for LineDedup {
    fn name(&self) -> &str {
        "line_dedup"
    }

    /// (line, text, site, url) hashes per distinct line; ~80 text bytes per line.
    fn observation_bytes(&self, docs: u64, text_bytes: f64) -> u64 {
        (docs as f64 * (text_bytes / 80.0).max(1.0) * 24.0) as u64
    }

    /// Every line occurrence of a partition, sorted in place (24 B, ~30 lines per doc).
    fn reduce_memory(&self, _stage: &str, docs: u64, ranks: usize) -> u64 {
        docs.div_ceil(ranks.max(1) as u64) * 30 * 24
    }

    fn columns(&self) -> Vec<Column> {
        vec![Column::new("lines_removed", ColType::Int64)]
    }

    fn config_hash(&self) -> u64 {
        self.hash
    }

    fn observe(&self, doc: &Doc) -> Vec<u8> {
        let (hs, text) = line_and_text_hashes(doc, self.cfg.min_line_chars);
        if hs.is_empty() {
            return Vec::new();
        }
        let url = doc.url.as_deref().and_then(urlkey::normalize);
        let site = doc.url.as_deref().map(urlkey::site).unwrap_or_default();
        // no URL: the text stands for the URL, so such a page counts once per distinct text
        let url = url.map_or(text, |u| xxh3_64(u.as_bytes()));
        let mut o = Vec::with_capacity(HEAD + 8 * hs.len());
        o.extend_from_slice(&(xxh3_64(site.as_bytes()) as u32).to_le_bytes());
        o.extend_from_slice(&(url as u32).to_le_bytes());
        o.extend_from_slice(&text.to_le_bytes());
        o.extend(hs.iter().flat_map(|h| h.to_le_bytes()));
        o
    }

    fn collector(&self, ctx: &StageCtx) -> Result<Box<dyn Collector>> {
        Ok(Box::new(LineCollector(Partitioned::create(
            ctx, KIND, part_path,
        )?)))
    }

    fn reduce_stages(&self, tasks: usize) -> Vec<(String, usize)> {
        vec![("line_count".into(), partitions(tasks))]
    }

    fn reduce(&self, _stage: &str, ctx: &StageCtx) -> Result<Counters> {
        let tasks = read_infos(&ctx.dir, KIND, ctx.config_hash)?.len();
        // (line, site, url, text): sorted, one line's records are contiguous, by site
        let mut recs: Vec<(u64, u32, u32, u64)> = Vec::new();
        for t in 0..tasks {
            let path = part_path(&ctx.dir, t, ctx.task);
            let mut r = RecReader::<REC>::open(&path, KIND, ctx.config_hash)?;
            recs.reserve(r.count() as usize);
            while let Some(b) = r.next_rec()? {
                recs.push((u64_at(&b, 0), u32_at(&b, 16), u32_at(&b, 20), u64_at(&b, 8)));
            }
        }
        recs.sort_unstable();
        let mut c = Counters::default();
        c.add("line_occurrences", recs.len() as u64);
        let path = frequent_path(&ctx.dir, ctx.task);
        let mut w = RecWriter::create(&path, "linefreq", ctx.config_hash)?;
        let mut scratch = Vec::new();
        for line in recs.chunk_by(|a, b| a.0 == b.0) {
            let t = self.tally(line, &mut scratch);
            c.inc("distinct_lines");
            c.add("line_pages", t.pages);
            if let (true, Some(first)) = (t.recurrent, line.first()) {
                c.inc("recurrent_lines");
                let mut rec = [0u8; 16];
                rec[..8].copy_from_slice(&first.0.to_le_bytes());
                rec[8..].copy_from_slice(&t.keeper.to_le_bytes());
                w.put(&rec)?;
            }
        }
        w.finish()?;
        Ok(c)
    }

    fn applier(&self, ctx: &StageCtx) -> Result<Box<dyn Applier>> {
        let mut frequent = HashMap::new();
        for p in 0..partitions(ctx.tasks) {
            let mut r =
                RecReader::<16>::open(&frequent_path(&ctx.dir, p), "linefreq", ctx.config_hash)?;
            while let Some(b) = r.next_rec()? {
                frequent.insert(u64_at(&b, 0), u64_at(&b, 8));
            }
        }
        Ok(Box::new(LineApplier {
            cfg: self.cfg.clone(),
            frequent,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harness::{Order, Outcome, run, run_corrupting, tmpdir};

    const POOL: [char; 24] = [
        '甲', '乙', '丙', '丁', '戊', '己', '庚', '辛', '壬', '癸', '子', '丑', '寅', '卯', '辰',
        '巳', '午', '未', '申', '酉', '戌', '亥', '天', '地',
    ];

    /// A short line unique to `i` (digits fold in normalisation, so letters and CJK tell apart).
    fn unique(i: usize) -> String {
        let (a, b) = (POOL[i % 24], POOL[i / 24 % 24]);
        let (x, y) = (
            (b'a' + (i % 26) as u8) as char,
            (b'a' + (i / 26 % 26) as u8) as char,
        );
        format!("{a}{b}公司发布了关于{b}{a}地区的年度报告。\nThe page about {x}{y} things here.")
    }

    fn doc(i: usize, url: &str, body: &str, key: DocKey) -> Doc {
        let text = format!(
            "首页\n{body}\n版权所有 © 2020 新浪网 保留所有权利\nWe use cookies to improve your experience.\n"
        );
        let mut d = Doc::from_text(format!("d{i}"), text);
        d.url = Some(url.to_string());
        d.key = key;
        d
    }

    /// 30 pages of 30 sites sharing a footer and a cookie line; doc 7 has only a stub body.
    /// `copies` reads the same crawl that many times (as later input files).
    fn corpus(copies: u32) -> Vec<Doc> {
        (0..copies)
            .flat_map(|c| {
                (0..30).map(move |i| {
                    let body = if i == 7 { "短".to_string() } else { unique(i) };
                    let url = format!("https://site{i}.example/p/{i}");
                    doc(i, &url, &body, DocKey::new(c * 30 + i as u32, 0))
                })
            })
            .collect()
    }

    fn step(max: u64, min_sites: u64, keep_one: bool) -> LineDedup {
        LineDedup::new(LineDedupConfig {
            max_occurrences: max,
            min_sites,
            min_line_chars: 5,
            min_doc_chars_after: 10,
            keep_one,
        })
    }

    fn go(s: &LineDedup, docs: Vec<Doc>, tasks: usize, name: &str, order: Order) -> Outcome {
        run(s, docs, tasks, &tmpdir(name), order).unwrap()
    }

    fn texts(out: &Outcome) -> Vec<String> {
        out.kept.iter().map(|d| d.text().to_string()).collect()
    }

    #[test]
    fn a_line_on_many_sites_is_removed() {
        let mut prev: Option<Vec<String>> = None;
        for (tasks, order) in [(1, Order::Forward), (2, Order::Reverse)] {
            let name = format!("lines-{tasks}");
            let out = go(&step(10, 1, false), corpus(1), tasks, &name, order);
            assert_eq!(
                out.dropped.get("line_dedup_too_short"),
                1,
                "doc 7 has only 首页 and 短 left"
            );
            assert_eq!(out.kept.len(), 29);
            let d = &out.kept[0];
            assert!(
                !d.text().contains("版权所有") && !d.text().contains("cookies"),
                "{}",
                d.text()
            );
            assert!(d.text().contains("首页"), "short lines are not counted");
            assert!(d.text().contains("The page about aa things"));
            assert_eq!(d.meta_f64("lines_removed"), Some(2.0));
            assert_eq!(out.reduce.get("recurrent_lines"), 2);
            let texts = texts(&out);
            if let Some(p) = &prev {
                assert_eq!(p, &texts, "same result for any task count");
            }
            prev = Some(texts);
        }
    }

    #[test]
    fn keep_one_leaves_each_recurrent_line_on_one_page() {
        let out = go(
            &step(10, 1, true),
            corpus(1),
            2,
            "lines-one",
            Order::Forward,
        );
        let with: Vec<&Doc> = out
            .kept
            .iter()
            .filter(|d| d.text().contains("版权所有"))
            .collect();
        assert_eq!(with.len(), 1, "one page keeps the footer");
        assert!(
            with[0].text().contains("cookies"),
            "the same page keeps both"
        );
        assert_eq!(out.apply.get("lines_removed"), 2 * 29);
    }

    #[test]
    fn a_crawl_read_many_times_keeps_what_one_read_keeps() {
        let once = go(
            &step(10, 1, false),
            corpus(1),
            1,
            "lines-x1",
            Order::Forward,
        );
        for copies in [2, 12] {
            let name = format!("lines-x{copies}");
            let out = go(
                &step(10, 1, false),
                corpus(copies),
                3,
                &name,
                Order::Reverse,
            );
            assert_eq!(out.reduce.get("recurrent_lines"), 2, "copies={copies}");
            assert_eq!(out.reduce.get("line_pages"), once.reduce.get("line_pages"));
            let first: Vec<String> = texts(&out).into_iter().take(once.kept.len()).collect();
            assert_eq!(first, texts(&once), "copies={copies}");
            assert_eq!(out.kept.len(), once.kept.len() * copies as usize);
        }
    }

    #[test]
    fn a_page_recaptured_50_times_keeps_its_text() {
        // one URL (scheme, www and tracking vary), 50 captures whose sidebar line differs
        let docs: Vec<Doc> = (0..50)
            .map(|i| {
                let url = [
                    "http://news.example/a/1",
                    "https://www.news.example/a/1?utm_source=x",
                ][i % 2];
                let body = format!("{}\n相关阅读：{}", unique(1), unique(100 + i));
                doc(i, url, &body, DocKey::new(i as u32, 0))
            })
            .collect();
        let out = go(&step(10, 1, false), docs, 2, "lines-50", Order::Forward);
        assert_eq!(out.kept.len(), 50);
        assert_eq!(out.reduce.get("recurrent_lines"), 0);
        let article = unique(1);
        assert!(
            out.kept
                .iter()
                .all(|d| d.text().contains("版权所有") && d.text().contains(&article))
        );
    }

    #[test]
    fn min_sites_spares_lines_of_one_site() {
        let docs = || -> Vec<Doc> {
            (0..25)
                .map(|i| {
                    let url = format!("https://one.example/p/{i}");
                    doc(i, &url, &unique(i), DocKey::new(i as u32, 0))
                })
                .collect()
        };
        let one = go(&step(20, 1, false), docs(), 1, "lines-s1", Order::Forward);
        assert_eq!(
            one.reduce.get("recurrent_lines"),
            2,
            "a site's own footer is boilerplate"
        );
        let two = go(&step(20, 2, false), docs(), 1, "lines-s2", Order::Forward);
        assert_eq!(two.reduce.get("recurrent_lines"), 0);
        assert!(two.kept.iter().all(|d| d.text().contains("版权所有")));
    }

    #[test]
    fn lines_below_the_limit_stay() {
        let out = go(
            &step(30, 1, false),
            corpus(1),
            1,
            "lines-limit",
            Order::Forward,
        );
        assert!(out.kept.iter().all(|d| d.text().contains("版权所有")));
    }

    #[test]
    fn truncated_frequent_file_stops_the_applier() {
        let dir = tmpdir("lines-corrupt");
        let f = frequent_path(&dir, 3);
        let e = crate::harness::err_of(run_corrupting(&step(10, 1, true), corpus(1), &dir, &f));
        assert!(e.contains("lines-frequent-p00003.bin"), "{e}");
    }
}
