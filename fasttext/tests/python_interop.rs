//! Both directions against the reference fastText (the Python `fasttext` package):
//! models it trains load here with the same probabilities (1e-4), and models trained here load
//! there with the same probabilities. Needs $SKYPILE_PYTHON with `fasttext` (scripts/ci/test.sh
//! installs `fasttext-numpy2`); skips without it unless SKYPILE_REQUIRE_PYTHON=1.

use std::path::{Path, PathBuf};
use std::process::Command;

use skypile_fasttext::{Args, Example, Loss, Model, TrainOpts, train};

/// `$SKYPILE_PYTHON` with the reference `fasttext` package (see `skypile_core::testdata`).
fn python() -> Option<String> {
    skypile_core::testdata::python("fasttext")
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("skypile-ft-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A small three-class corpus with ASCII and multi-byte words (the hashing of bytes >= 0x80
/// is where a careless port differs), generated from a seed so no data file is needed.
fn corpus(n: usize, seed: u64) -> Vec<Example> {
    let vocab: [&[&str]; 3] = [
        &[
            "river", "mountain", "forest", "lake", "valley", "北京", "山水", "naïve",
        ],
        &[
            "market",
            "price",
            "bank",
            "trade",
            "stock",
            "经济",
            "货币",
            "coöperate",
        ],
        &[
            "goal", "match", "team", "score", "league", "足球", "比赛", "élan",
        ],
    ];
    let shared = ["the", "a", "of", "and", "的", "是"];
    let mut rng = skypile_fasttext::train::Rng::new(seed);
    (0..n)
        .map(|i| {
            let class = i % 3;
            let len = 3 + rng.below(8);
            let words: Vec<&str> = (0..len)
                .map(|_| match rng.below(10) {
                    0..=5 => vocab[class][rng.below(vocab[class].len())],
                    6 => vocab[rng.below(3)][rng.below(8)],
                    _ => shared[rng.below(shared.len())],
                })
                .collect();
            Example {
                text: words.join(" "),
                labels: vec![["geo", "econ", "sport"][class].to_string()],
            }
        })
        .collect()
}

fn write_lines(path: &Path, lines: impl Iterator<Item = String>) {
    std::fs::write(path, lines.map(|l| l + "\n").collect::<String>()).unwrap();
}

/// DIR/train.txt in fastText's format: the three-class corpus.
fn write_train(dir: &Path) {
    let lines = corpus(300, 7)
        .into_iter()
        .map(|e| format!("__label__{} {}", e.labels[0], e.text));
    write_lines(&dir.join("train.txt"), lines);
}

/// Queries: held-out docs plus unseen words (only char n-grams match) and an empty line.
fn queries() -> Vec<String> {
    let mut q: Vec<String> = corpus(40, 99).into_iter().map(|e| e.text).collect();
    q.extend(["mountains rivers", "足球赛 经济学", "zzzz", ""].map(String::from));
    q
}

/// Run tests/interop.py with these arguments; its stdout.
fn run_py(py: &str, args: &[&std::ffi::OsStr]) -> String {
    let out = Command::new(py)
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop.py"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn py_predict(py: &str, model: &Path, queries: &Path) -> Vec<serde_json::Value> {
    let text = run_py(py, &["predict".as_ref(), model.as_ref(), queries.as_ref()]);
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn assert_same(model: &Model, queries: &[String], expected: &[serde_json::Value], what: &str) {
    assert_eq!(queries.len(), expected.len());
    let labels = model.labels();
    let mut compared = 0;
    for (q, exp) in queries.iter().zip(expected) {
        let exp = exp.as_object().unwrap();
        let Some(ours) = model.predict_line(q) else {
            assert!(
                exp.is_empty(),
                "{what}: fastText predicts {exp:?} for {q:?}, we nothing"
            );
            continue;
        };
        assert_eq!(exp.len(), labels.len(), "{what}: {q:?}");
        for (label, p) in labels.iter().zip(&ours) {
            let e = exp[label.as_str()].as_f64().unwrap();
            assert!(
                (e - *p as f64).abs() < 1e-4,
                "{what}: P({label} | {q:?}) = {p}, fastText says {e}"
            );
            compared += 1;
        }
    }
    assert!(
        compared >= queries.len() * 2,
        "{what}: only {compared} probabilities compared"
    );
}

#[test]
fn models_trained_by_fasttext_predict_the_same_here() {
    let Some(py) = python() else { return };
    let dir = tmp("from-py");
    write_train(&dir);
    let q = queries();
    write_lines(&dir.join("queries.txt"), q.iter().cloned());
    run_py(&py, &["train".as_ref(), dir.as_ref()]);
    for name in [
        "py_softmax.bin",
        "py_ova.bin",
        "py_hs.bin",
        "py_words.bin",
        "py_softmax.ftz",
    ] {
        let model = Model::load(&dir.join(name)).unwrap();
        let expected = py_predict(&py, &dir.join(name), &dir.join("queries.txt"));
        assert_same(&model, &q, &expected, name);
    }
}

/// Many labels (300: fastText quantizes the output matrix only with >= 256 rows): label `tN`
/// has its own two words, plus the shared words of the small corpus.
fn many_label_corpus() -> Vec<String> {
    let mut rng = skypile_fasttext::train::Rng::new(11);
    (0..900)
        .map(|i| {
            let t = i % 300;
            let mut words = vec![format!("w{t}"), format!("词{t}")];
            words.extend(
                (0..rng.below(4)).map(|_| ["the", "of", "的", "是"][rng.below(4)].to_string()),
            );
            format!("__label__t{t} {}", words.join(" "))
        })
        .collect()
}

#[test]
fn quantized_models_from_fasttext_predict_the_same_here() {
    let Some(py) = python() else { return };
    let dir = tmp("ftz");
    write_train(&dir);
    write_lines(&dir.join("train_many.txt"), many_label_corpus().into_iter());
    let mut q = queries();
    q.extend(["w7 词7", "w299 the", "词42 w41 的", "w1000"].map(String::from));
    write_lines(&dir.join("queries.txt"), q.iter().cloned());
    run_py(&py, &["quantize".as_ref(), dir.as_ref()]);
    for (name, labels) in [("py_q_plain.ftz", 3), ("py_qout.ftz", 300)] {
        let model = Model::load(&dir.join(name)).unwrap();
        assert_eq!(model.labels().len(), labels, "{name}");
        let expected = py_predict(&py, &dir.join(name), &dir.join("queries.txt"));
        assert_same(&model, &q, &expected, name);
    }
}

#[test]
fn models_trained_here_predict_the_same_in_fasttext() {
    let Some(py) = python() else { return };
    let dir = tmp("to-py");
    let q = queries();
    write_lines(&dir.join("queries.txt"), q.iter().cloned());
    for (loss, threads) in [(Loss::Softmax, 1), (Loss::Ova, 2)] {
        let opts = TrainOpts {
            args: Args {
                dim: 12,
                epoch: 10,
                word_ngrams: 2,
                minn: 2,
                maxn: 4,
                bucket: 5000,
                loss,
                ..Args::default()
            },
            lr: 0.5,
            threads,
            seed: 3,
        };
        let model = train(&corpus(300, 7), &opts).unwrap();
        let path = dir.join(format!("ours_{loss:?}.bin"));
        model.save(&path).unwrap();
        let expected = py_predict(&py, &path, &dir.join("queries.txt"));
        assert_same(&model, &q, &expected, &format!("{loss:?}"));
        // and it learned something: held-out queries mostly get their class
        let right = corpus(60, 99)
            .iter()
            .filter(|e| {
                let p = model.predict_line(&e.text).unwrap();
                let best = (0..p.len()).max_by(|&a, &b| p[a].total_cmp(&p[b])).unwrap();
                model.labels()[best] == e.labels[0]
            })
            .count();
        assert!(right >= 45, "{loss:?}: only {right}/60 held-out docs right");
    }
}
