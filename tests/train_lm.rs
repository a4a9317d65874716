//! `skypile train lm` end to end: train from a text file and a JSONL file, write ARPA, convert
//! that ARPA back, and get a model that scores like the trained one; bad flags are errors.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use skypile_ngram::Model;

/// `skypile train lm --lang en ARGS... -o OUT`.
fn train_lm(args: &[&str], files: &[PathBuf], out: &Path) -> Output {
    common::bin()
        .args(["train", "lm", "--lang", "en"])
        .args(args)
        .args(files)
        .arg("-o")
        .arg(out)
        .output()
        .unwrap()
}

#[test]
fn train_lm_writes_a_model_and_an_arpa_file_that_agree() {
    let d = common::tmp("train-lm");
    std::fs::write(
        d.join("a.txt"),
        "the cat sat on the mat\nthe dog sat on the log\n",
    )
    .unwrap();
    std::fs::write(
        d.join("b.jsonl"),
        "{\"text\": \"a cat saw the dog\"}\n{\"id\": 1}\n",
    )
    .unwrap();
    let inputs = [d.join("a.txt"), d.join("b.jsonl")];
    let arpa = d.join("m.arpa").display().to_string();
    let args = ["--order", "3", "--prune", "0", "--arpa", &arpa, "--input"];
    let out = train_lm(&args, &inputs, &d.join("m.bin"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let m = Model::load(&d.join("m.bin")).unwrap();
    assert_eq!((m.header.order, m.header.train_lines), (3, 3));
    let out = train_lm(&["--from-arpa", &arpa], &[], &d.join("a.bin"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let a = Model::load(&d.join("a.bin")).unwrap();
    for t in ["the cat sat on the log", "dog the mat"] {
        let (x, y) = (
            m.perplexity(t, 1000).unwrap().0,
            a.perplexity(t, 1000).unwrap().0,
        );
        assert!((x / y - 1.0).abs() < 1e-4, "{t}: {x} {y}");
    }
    let bad = train_lm(
        &["--smoothing", "witten-bell", "--input"],
        &inputs[..1],
        &d.join("x.bin"),
    );
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("kneser-ney"));
}
