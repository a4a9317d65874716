//! The work on one batch of a docs stage, in the pool: each step in a pass of its own over the
//! batch's docs, then the observation and spool record for the next global step, then token
//! counts; every pass counted once per batch.

use std::time::Instant;

use rayon::prelude::*;
use skypile_core::cpu::thread_cpu_ns;
use skypile_core::{Applier, Counters, Doc, Verdict};

use super::stages::{NamedGlobal, NamedStep, Plan};
use crate::output::writer::Dropped;
use crate::tokens::Tokenizer;

/// What a docs stage runs on each batch.
pub(super) struct Passes<'a> {
    pub plan: &'a Plan,
    pub segment: usize,
    pub tokenizer: &'a Tokenizer,
    /// The previous global step's decisions (segments after the first).
    pub applier: Option<&'a dyn Applier>,
    /// The global step this segment's kept docs go on to, if any.
    pub next_global: Option<&'a NamedGlobal>,
    pub write_removed: bool,
}

/// A batch's outcomes in input order, with their counters summed.
pub(super) type Processed = (Vec<Outcome>, Counters);

/// What happened to one doc in the parallel part.
pub(super) struct Outcome {
    pub(super) doc: Doc,
    pub(super) dropped: Option<Dropped>,
    /// Filled by [`count_tokens`] for a [`written`] doc.
    pub(super) tokens: i64,
    pub(super) observation: Option<Vec<u8>>,
    /// The doc serialised for the spool, and its hash (done in parallel, not in the serial
    /// sink: see `BinWriter::write_hashed_record`).
    pub(super) spooled: Option<(Vec<u8>, u64)>,
    /// Counters a step or the reader added for this doc (rare: most docs add none).
    pub(super) counters: Counters,
    /// The pass being tallied ran on this doc, and took this long: summed per batch by
    /// [`tally`] instead of counted per doc.
    ran: bool,
    ns: u64,
}

impl Passes<'_> {
    /// Run a batch through the segment, step by step: each step (then the observation, the
    /// spool encoding and the token count) in a pass of its own over the docs still kept.
    /// - Why step-major: a step's tables (whatlang's trigrams, the n-gram and fastText models,
    ///   jieba's dictionary, the token vocabulary) stay in the CPU cache from one doc to the
    ///   next; doc by doc, every doc found them evicted by the steps before (extraction above
    ///   all). Counting tokens in its own pass cut its in-run time by ~20% (0.32–0.44 →
    ///   0.26–0.27 s).
    /// - Each doc still meets the same steps in the same order, so outputs are unchanged.
    /// - Each pass is counted once per batch ([`tally`]), not per doc.
    pub(super) fn process(&self, batch: Vec<Doc>) -> Processed {
        let mut counters = Counters::default();
        let mut outcomes: Vec<Outcome> =
            batch.into_par_iter().map(|doc| begin(doc, self)).collect();
        if self.segment > 0
            && let Some(g) = self.plan.global(self.segment - 1)
        {
            tally(&g.label, &mut outcomes, &mut counters);
        }
        for s in &self.plan.segments[self.segment].steps {
            outcomes
                .par_iter_mut()
                .filter(|o| o.dropped.is_none())
                .for_each(|o| run_step(o, s));
            tally(&s.label, &mut outcomes, &mut counters);
        }
        if let Some(g) = self.next_global {
            outcomes.par_iter_mut().for_each(|o| finish(o, g));
            if let Some((n, ns)) = sum_ran(&mut outcomes) {
                counters.add(&format!("{}.observed", g.label), n);
                counters.add(&format!("{}.observe_ns", g.label), ns);
            }
        }
        outcomes
            .par_iter_mut()
            .filter(|o| written(o, self.next_global, self.write_removed))
            .for_each(|o| count_tokens(self.tokenizer, o));
        if let Some((_, ns)) = sum_ran(&mut outcomes) {
            counters.add("tokens.count_ns", ns);
        }
        // A doc no writer takes (spooled, or dropped without `removed/`) is freed here, in
        // parallel: on the sink thread, freeing the MinHash bench's 400 MB of spooled texts
        // was most of its work.
        outcomes
            .par_iter_mut()
            .filter(|o| !written(o, self.next_global, self.write_removed))
            .for_each(shed);
        // the few counters of single docs, summed here in the pool, not on the sink thread
        for o in &mut outcomes {
            counters.merge(&std::mem::take(&mut o.counters));
        }
        (outcomes, counters)
    }
}

/// A doc's start in the segment: charset decoding (first segment) and the previous global
/// step's decision.
fn begin(mut doc: Doc, p: &Passes) -> Outcome {
    let mut counters = Counters::default();
    let mut local = Counters::default();
    let mut dropped = None;
    if p.segment == 0 {
        // Charset decoding was deferred from the reader thread to here (the pool).
        match skypile_ingest::decode_deferred(&mut doc) {
            Ok(()) => {
                // Which source decided the charset (http/bom/meta/detected/
                // detected_over_declared): the counter that shows wrong labels.
                if let Some(src) = doc.meta_str("charset_source") {
                    counters.inc(&format!("ingest.charset_{src}"));
                }
            }
            Err((reason, detail)) => {
                log::warn!("{}: {reason}: {detail}", doc.source);
                counters.inc(&format!("ingest.{reason}"));
                dropped = Some(Dropped {
                    step: "00.ingest".to_string(),
                    reason: reason.to_string(),
                });
            }
        }
    }
    let prev = if p.segment == 0 {
        None
    } else {
        p.plan.global(p.segment - 1)
    };
    let (mut ran, mut ns) = (false, 0);
    if let (Some(a), Some(g), None) = (p.applier, prev, &dropped) {
        let t = Instant::now();
        // a key-decided drop is never `apply`ed: the reader may have left its text unread
        let v = match a.drops_key(doc.key) {
            Some(reason) => Verdict::drop(reason),
            None => guarded(|| a.apply(doc.key, &mut doc, &mut local))
                .unwrap_or_else(|msg| panicked(&g.label, &doc, &msg)),
        };
        (ran, ns) = (true, t.elapsed().as_nanos() as u64);
        scoped(&g.label, &mut local, &mut counters);
        dropped = dropped_by(&g.label, v);
    }
    Outcome {
        doc,
        dropped,
        tokens: 0,
        observation: None,
        spooled: None,
        counters,
        ran,
        ns,
    }
}

/// One step on a doc that is still kept.
fn run_step(o: &mut Outcome, s: &NamedStep) {
    let mut local = Counters::default();
    let t = Instant::now();
    let v = guarded(|| s.step.process(&mut o.doc, &mut local))
        .unwrap_or_else(|msg| panicked(&s.label, &o.doc, &msg));
    (o.ran, o.ns) = (true, t.elapsed().as_nanos() as u64);
    scoped(&s.label, &mut local, &mut o.counters);
    o.dropped = dropped_by(&s.label, v);
}

/// After the steps, for a doc that goes on to the next global step: its observation and its
/// spool record.
fn finish(o: &mut Outcome, g: &NamedGlobal) {
    if o.dropped.is_some() {
        return;
    }
    let t = Instant::now();
    o.observation = Some(g.step.observe(&o.doc));
    (o.ran, o.ns) = (true, t.elapsed().as_nanos() as u64);
    let mut rec = Vec::with_capacity(o.doc.text().len() + 256);
    skypile_core::doc_codec::encode(&o.doc, &mut rec);
    let hash = skypile_core::binfile::RecordSums::hash(&rec);
    o.spooled = Some((rec, hash));
}

/// Keep of a doc only what the sink reads when it writes no row for it: the key (dedup
/// observations) and the source (messages).
fn shed(o: &mut Outcome) {
    let mut shell = Doc::default();
    shell.key = o.doc.key;
    shell.source = std::mem::take(&mut o.doc.source);
    o.doc = shell;
}

/// Tokens are counted for what is written: kept docs of the last segment, and dropped docs
/// when `removed/` is kept (so users see how many tokens each rule removed).
fn written(o: &Outcome, next_global: Option<&NamedGlobal>, write_removed: bool) -> bool {
    match (&o.dropped, next_global) {
        (None, None) => true,
        (Some(_), _) => write_removed,
        (None, Some(_)) => false,
    }
}

/// Count the tokens of a written doc, timed: counting is always on in production, so its cost
/// is reported (`counters["tokens.count_ns"]` in stats.json; the bench's lang-cost row reads it).
/// - In this thread's CPU time, not wall time like the steps: with 2 workers plus the reader
///   and sink threads on 2 cores, counting measured 0.58–0.65 s of wall time for 0.39–0.41 s
///   of CPU. Two clock reads (~0.5 µs each) per written doc are ~1% of counting; per step
///   they would cost ~20% of a cheap stage (the one applying MinHash removals).
fn count_tokens(tokenizer: &Tokenizer, o: &mut Outcome) {
    let t = thread_cpu_ns();
    o.tokens = tokenizer.count(o.doc.text()) as i64;
    (o.ran, o.ns) = (true, thread_cpu_ns().saturating_sub(t));
}

/// Run one step on one doc, catching a panic. A panic is a bug, but real web input finds them:
/// the doc is dropped with reason `panic` and a log line naming it, instead of killing a run of
/// millions of docs.
pub(crate) fn guarded(f: impl FnOnce() -> Verdict) -> Result<Verdict, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|e| {
        e.downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| e.downcast_ref::<String>().cloned())
            .unwrap_or_default()
    })
}

fn panicked(label: &str, doc: &Doc, msg: &str) -> Verdict {
    log::error!(
        "{label} panicked on {}: {msg} (doc dropped; please report this input)",
        doc.source
    );
    Verdict::drop("panic")
}

/// A pass's verdict on a doc, as the doc's drop (labelled with the step).
fn dropped_by(label: &str, v: Verdict) -> Option<Dropped> {
    match v {
        Verdict::Keep => None,
        Verdict::Drop(reason) => Some(Dropped {
            step: label.to_string(),
            reason,
        }),
    }
}

/// A step's own counters for one doc, moved under its label (most docs have none).
fn scoped(label: &str, local: &mut Counters, counters: &mut Counters) {
    for (k, n) in std::mem::take(&mut local.0) {
        counters.merge_one(&format!("{label}.{k}"), n);
    }
}

/// The docs a pass ran on (flags cleared) and their summed time; `None` when it ran on none.
fn sum_ran(outcomes: &mut [Outcome]) -> Option<(u64, u64)> {
    let (mut n, mut ns) = (0, 0);
    for o in outcomes.iter_mut().filter(|o| o.ran) {
        o.ran = false;
        n += 1;
        ns += std::mem::take(&mut o.ns);
    }
    (n > 0).then_some((n, ns))
}

/// Count in/kept/dropped/dropped_<reason>/time_ns of the pass just run under `label`, once for
/// the batch.
/// - Why per batch: naming and inserting five counters per doc per step (string keys) was
///   ~15% of the CPU of a stage applying a dedup step's removals, and ~1% of a production run.
/// - The same keys as counting per doc: none for a pass that ran on no doc, no `kept` (or
///   `dropped`) when none was kept (dropped).
fn tally(label: &str, outcomes: &mut [Outcome], counters: &mut Counters) {
    let mut reasons: Vec<(&str, u64)> = Vec::new();
    for o in outcomes.iter().filter(|o| o.ran) {
        if let Some(d) = &o.dropped {
            match reasons.iter_mut().find(|(r, _)| *r == d.reason) {
                Some((_, n)) => *n += 1,
                None => reasons.push((&d.reason, 1)),
            }
        }
    }
    let dropped: u64 = reasons.iter().map(|(_, n)| n).sum();
    for (r, n) in reasons {
        counters.add(&format!("{label}.dropped_{r}"), n);
    }
    let Some((n, ns)) = sum_ran(outcomes) else {
        return;
    };
    counters.add(&format!("{label}.in"), n);
    counters.add(&format!("{label}.time_ns"), ns);
    if n > dropped {
        counters.add(&format!("{label}.kept"), n - dropped);
    }
    if dropped > 0 {
        counters.add(&format!("{label}.dropped"), dropped);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panicking_step_becomes_a_drop() {
        let doc = Doc::from_text("x", "text");
        let v = guarded(|| panic!("bad input")).unwrap_or_else(|m| {
            assert_eq!(m, "bad input");
            panicked("01.test", &doc, &m)
        });
        assert_eq!(v, Verdict::drop("panic"));
        assert_eq!(guarded(|| Verdict::Keep), Ok(Verdict::Keep));
    }

    fn outcome(ran: bool, ns: u64, drop: Option<&str>) -> Outcome {
        Outcome {
            doc: Doc::from_text("x", "text"),
            dropped: drop.map(|r| dropped_by("02.f", Verdict::drop(r)).unwrap()),
            tokens: 0,
            observation: None,
            spooled: None,
            counters: Counters::default(),
            ran,
            ns,
        }
    }

    /// A batch's tally gives the keys counting each doc gave: only docs the pass ran on count,
    /// and a key with nothing to count is absent.
    #[test]
    fn a_pass_is_tallied_once_per_batch_with_the_per_doc_keys() {
        let mut batch = vec![
            outcome(true, 5, None),
            outcome(true, 7, Some("short")),
            outcome(false, 0, Some("earlier")), // dropped by an earlier pass
            outcome(true, 1, Some("short")),
            outcome(true, 2, Some("long")),
        ];
        let mut c = Counters::default();
        tally("02.f", &mut batch, &mut c);
        let want = [
            ("02.f.in", 4),
            ("02.f.time_ns", 15),
            ("02.f.kept", 1),
            ("02.f.dropped", 3),
            ("02.f.dropped_short", 2),
            ("02.f.dropped_long", 1),
        ];
        assert_eq!(c.0, want.map(|(k, n)| (k.to_string(), n)).into());
        assert!(
            batch.iter().all(|o| !o.ran && o.ns == 0),
            "flags are cleared"
        );
        // a second pass that ran on none adds nothing; one that kept all adds no `dropped`
        tally("03.g", &mut batch, &mut c);
        assert_eq!(c.0.len(), 6);
        batch[0].ran = true;
        tally("03.g", &mut batch, &mut c);
        assert_eq!((c.get("03.g.in"), c.get("03.g.kept")), (1, 1));
        assert!(!c.0.contains_key("03.g.dropped"));
        // all dropped: no `kept`
        let mut c = Counters::default();
        tally("02.f", &mut vec![outcome(true, 1, Some("x"))], &mut c);
        assert!(!c.0.contains_key("02.f.kept") && c.get("02.f.dropped_x") == 1);
    }
}
