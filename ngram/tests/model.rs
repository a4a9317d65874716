//! Known-probability checks on tiny corpora, file round trips and ARPA reading.

use skypile_ngram::model::{LineScratch, Model, ngram_key, unit_hash};
use skypile_ngram::train::{Smoothing, TrainConfig, train};
use skypile_ngram::{Units, arpa};

const TINY: &[&str] = &[
    "the cat sat on the mat",
    "the dog sat on the log",
    "a cat saw the dog",
    "the cat ate the fish",
    "a dog ate a bone on the mat",
];

fn cfg(order: usize, prune: Vec<u64>) -> TrainConfig {
    TrainConfig {
        order,
        prune,
        ..Default::default()
    }
}

fn tmp(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("skypile-ngram-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn kneser_ney_distributions_sum_to_one_for_every_context() {
    for (order, prune) in [(2, vec![0]), (3, vec![0]), (4, vec![0, 0, 1])] {
        let t = train(TINY, "en", Units::Words, &cfg(order, prune.clone()), "tiny").unwrap();
        for ctx in [
            vec![],
            vec!["<s>"],
            vec!["the"],
            vec!["the", "cat"],
            vec!["sat", "on", "the"],
            vec!["unseen", "words"],
        ] {
            let dist = t.distribution(&ctx);
            let sum: f64 = dist.iter().map(|d| d.1).sum();
            assert!(
                (sum - 1.0).abs() < 1e-9,
                "order {order} prune {prune:?} ctx {ctx:?}: {sum}"
            );
            assert!(dist.iter().all(|d| d.1 > 0.0), "every unit keeps some mass");
        }
    }
}

#[test]
fn kneser_ney_prefers_seen_continuations_and_continuation_counts() {
    let t = train(TINY, "en", Units::Words, &cfg(3, vec![0]), "tiny").unwrap();
    let p = |ctx: &[&str], w: &str| {
        t.distribution(ctx)
            .into_iter()
            .find(|d| d.0 == w)
            .unwrap()
            .1
    };
    assert!(p(&["sat"], "on") > 0.5, "'sat' is always followed by 'on'");
    assert!(p(&["sat"], "on") > 10.0 * p(&["sat"], "fish"));
    // "the" follows 4 distinct words, "fish" only "the": KN's unigram favours "the".
    assert!(p(&["unseen"], "the") > p(&["unseen"], "fish"));
}

#[test]
fn stupid_backoff_scores_seen_text_above_shuffled_text() {
    let c = TrainConfig {
        smoothing: Smoothing::StupidBackoff,
        ..cfg(3, vec![0])
    };
    let m = train(TINY, "en", Units::Words, &c, "tiny")
        .unwrap()
        .to_model()
        .unwrap();
    let good = m.perplexity("the cat sat on the mat", 1000).unwrap().0;
    let bad = m.perplexity("mat the on cat the sat", 1000).unwrap().0;
    assert!(good < bad, "{good} {bad}");
}

#[test]
fn model_file_round_trips_with_identical_bytes_and_scores() {
    let d = tmp("rt");
    let mk = || {
        train(TINY, "en", Units::Words, &cfg(3, vec![0]), "tiny")
            .unwrap()
            .to_model()
            .unwrap()
    };
    let m = mk();
    m.save(&d.join("a.bin")).unwrap();
    mk().save(&d.join("b.bin")).unwrap();
    let (a, b) = (
        std::fs::read(d.join("a.bin")).unwrap(),
        std::fs::read(d.join("b.bin")).unwrap(),
    );
    assert_eq!(a, b, "training twice gives the same file");
    let l = Model::load(&d.join("a.bin")).unwrap();
    assert_eq!(l.header, m.header);
    for text in [
        "the cat sat on the mat",
        "zebra quantum",
        "a dog\nsaw a cat",
    ] {
        assert_eq!(l.perplexity(text, 1000), m.perplexity(text, 1000), "{text}");
    }
    let mut bad = a.clone();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    std::fs::write(d.join("c.bin"), &bad).unwrap();
    let e = Model::load(&d.join("c.bin")).err().unwrap();
    assert!(format!("{e:#}").contains("checksum"), "{e:#}");
}

#[test]
fn arpa_written_then_read_scores_like_the_trained_model() {
    let mut t = train(TINY, "en", Units::Words, &cfg(3, vec![0, 0, 1]), "tiny").unwrap();
    let mut buf = Vec::new();
    t.write_arpa(&mut buf).unwrap();
    let from_arpa = arpa::read(&buf[..], "en", Units::Words, "arpa").unwrap();
    let m = t.to_model().unwrap();
    assert_eq!(from_arpa.len(), m.len());
    for text in [
        "the cat sat on the mat",
        "a dog ate the fish on the log",
        "never seen",
    ] {
        let (a, b) = (
            from_arpa.perplexity(text, 1000).unwrap(),
            m.perplexity(text, 1000).unwrap(),
        );
        assert!(
            (a.0 / b.0 - 1.0).abs() < 1e-4 && a.1 == b.1,
            "{text}: {a:?} {b:?}"
        );
    }
}

/// A hand-written bigram ARPA file: every probability below is worked out by hand.
const HAND: &str = "\\data\\
ngram 1=5
ngram 2=3

\\1-grams:
-1.0\t<unk>\t0
-99\t<s>\t-0.5
-0.5\ta\t-0.25
-0.75\tb\t0
-0.6\t</s>

\\2-grams:
-0.2\t<s> a
-0.1\ta b
-0.3\tb </s>

\\end\\
";

#[test]
fn hand_written_arpa_follows_the_backoff_rule() {
    let m = arpa::read(HAND.as_bytes(), "en", Units::Words, "hand").unwrap();
    assert_eq!(m.header.ngrams, vec![5, 3]);
    let h = |s: &str| unit_hash(s);
    let (s, a, b, e) = (h("<s>"), h("a"), h("b"), h("</s>"));
    assert_eq!(m.log10_prob(&[s, a]), -0.2, "stored bigram");
    assert_eq!(m.log10_prob(&[a, b]), -0.1);
    assert_eq!(m.log10_prob(&[a, a]), -0.25 + -0.5, "backoff(a) + p(a)");
    assert_eq!(m.log10_prob(&[s, b]), -0.5 + -0.75, "backoff(<s>) + p(b)");
    assert_eq!(m.log10_prob(&[b, e]), -0.3);
    // "a b": <s> a, a b, b </s> = -0.6 over 3 units.
    let (ppl, n) = m.perplexity("a b", 100).unwrap();
    assert_eq!(n, 3);
    assert!((ppl - 10f64.powf(0.6 / 3.0)).abs() < 1e-5, "{ppl}");
    // An unseen word scores as <unk> after the back-off of its context.
    let (ppl, _) = m.perplexity("zzz", 100).unwrap();
    let want = 10f64.powf((0.5 + 1.0 + 0.6) / 2.0);
    assert!((ppl - want).abs() < 1e-4, "{ppl} {want}");
    assert!(m.log10_prob(&[h("zzz")]) < 0.0 && ngram_key(&[a]) != ngram_key(&[b]));
}

#[test]
fn broken_arpa_files_are_errors_not_panics() {
    let truncated = HAND.replace("-0.3\tb </s>\n", "");
    let e = arpa::read(truncated.as_bytes(), "en", Units::Words, "x")
        .err()
        .unwrap();
    assert!(e.to_string().contains("truncated"), "{e}");
    assert!(arpa::read("hello world\n".as_bytes(), "en", Units::Words, "x").is_err());
    assert!(arpa::read("".as_bytes(), "en", Units::Words, "x").is_err());
}

#[test]
fn scoring_reads_at_most_max_bytes() {
    let m = train(TINY, "en", Units::Words, &cfg(2, vec![0]), "t")
        .unwrap()
        .to_model()
        .unwrap();
    let long = "the cat sat on the mat\n".repeat(1000);
    let (_, n_all) = m.perplexity(&long, usize::MAX).unwrap();
    let (_, n_cut) = m.perplexity(&long, 230).unwrap();
    assert_eq!(n_all, 7000);
    assert_eq!(n_cut, 70, "10 lines of 23 bytes start before byte 230");
    assert!(m.perplexity("", 100).is_none());
    // A cut inside a multi-byte character does not panic.
    let zh = train(&["中文句子"], "zh", Units::ZhChars, &cfg(2, vec![0]), "t")
        .unwrap()
        .to_model()
        .unwrap();
    assert!(zh.perplexity("中文句子", 4).is_some());
}

#[test]
fn state_skipping_scores_equal_a_full_backoff_search() {
    let m = train(TINY, "en", Units::Words, &cfg(4, vec![0, 0, 1]), "t")
        .unwrap()
        .to_model()
        .unwrap();
    for line in [
        "the cat sat on the mat",
        "on the mat the dog ate a bone",
        "zebra the cat",
    ] {
        let fast = m.score_line(line, &mut LineScratch::default()).log10;
        let mut hashes = vec![unit_hash("<s>")];
        let mut slow = 0.0f64;
        for u in Units::Words
            .split(line)
            .iter()
            .map(String::as_str)
            .chain(["</s>"])
        {
            let h = unit_hash(u);
            let known = m.log10_prob(&[h]) != m.unk_log10() || u == "<unk>";
            hashes.push(if known { h } else { unit_hash("<unk>") });
            let n = hashes.len().min(4);
            slow += m.log10_prob(&hashes[hashes.len() - n..]) as f64;
        }
        assert!((fast - slow).abs() < 1e-4, "{line}: {fast} {slow}");
    }
}

#[test]
fn a_model_file_is_loaded_once_per_process() {
    let d = tmp("shared");
    let p = d.join("m.bin");
    train(TINY, "en", Units::Words, &cfg(2, vec![0]), "t")
        .unwrap()
        .to_model()
        .unwrap()
        .save(&p)
        .unwrap();
    let a = Model::load_shared(&p).unwrap();
    let b = Model::load_shared(&d.join(".").join("m.bin")).unwrap();
    assert!(std::sync::Arc::ptr_eq(&a, &b), "same file, same model");
}
