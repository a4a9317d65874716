//! The progress bar (#20): on a terminal it shows the input bytes read against the inputs'
//! total size, with a rate and an ETA; with `-q`, or when stderr is not a terminal, there is
//! none (and no cursor codes in the logs).
//!
//! A terminal comes from util-linux `script` (a pseudo-terminal around the command).

mod common;

use std::path::Path;
use std::process::Command;

use common::{bin, tmp, write_corpus};

/// Slows each batch so the bar is drawn at least once (timing only, never output).
const THROTTLE: (&str, &str) = ("SKYPILE_TEST_THROTTLE_MS", "400");

/// A corpus of 3 JSONL files and a one-filter pipeline: the `run` arguments (with `-q` when
/// `quiet`) and the inputs' total size.
fn fixture(d: &Path, quiet: bool) -> (Vec<String>, u64) {
    let dir = d.join("in");
    write_corpus(&dir, 3, 40);
    let inputs = common::files(&dir);
    let total = inputs
        .iter()
        .map(|p| std::fs::metadata(p).unwrap().len())
        .sum();
    let yaml = d.join("p.yaml");
    std::fs::write(&yaml, "name: bar\nsteps:\n  - gopher_repetition: {}\n").unwrap();
    let path = |p: &Path| p.display().to_string();
    let mut a: Vec<String> = Vec::new();
    if quiet {
        a.push("-q".into());
    }
    a.extend(["run".into(), path(&yaml), "--input".into()]);
    a.extend(inputs.iter().map(|p| path(p)));
    a.extend(["--output".into(), path(&d.join("out"))]);
    (a, total)
}

/// What the terminal showed while skypile ran under a pseudo-terminal; `None` (and a message)
/// without `script`.
fn on_a_terminal(args: &[String]) -> Option<String> {
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("SKIPPED: no `script` (util-linux) for a pseudo-terminal");
        return None;
    }
    let quote = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
    let mut cmd = quote(env!("CARGO_BIN_EXE_skypile"));
    for a in args {
        cmd += " ";
        cmd += &quote(a);
    }
    let o = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env(THROTTLE.0, THROTTLE.1)
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(o.status.success(), "{shown}");
    Some(shown)
}

#[test]
fn a_terminal_shows_bytes_read_of_the_input_total_with_an_eta() {
    let d = tmp("tty");
    let (args, total) = fixture(&d, false);
    let Some(shown) = on_a_terminal(&args) else {
        return;
    };
    let of_total = format!("/{}", indicatif::HumanBytes(total));
    assert!(shown.contains(&of_total), "no {of_total:?} in {shown:?}");
    assert!(shown.contains("ETA"), "{shown:?}");
    assert!(shown.contains("docs-0 ["), "{shown:?}");
}

#[test]
fn quiet_shows_no_bar_even_on_a_terminal() {
    let d = tmp("quiet");
    let (args, total) = fixture(&d, true);
    let Some(shown) = on_a_terminal(&args) else {
        return;
    };
    let of_total = format!("/{}", indicatif::HumanBytes(total));
    assert!(!shown.contains(&of_total), "{shown:?}");
    assert!(!shown.contains("ETA"), "{shown:?}");
    assert!(d.join("out/stats.json").exists(), "the run did not finish");
}

#[test]
fn a_pipe_gets_log_lines_only() {
    let d = tmp("pipe");
    let o = bin()
        .args(fixture(&d, false).0)
        .env(THROTTLE.0, THROTTLE.1)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("INFO"), "no log lines at all: {err:?}");
    for bar in ["ETA", "\r", "\x1b["] {
        assert!(!err.contains(bar), "{bar:?} in {err:?}");
    }
}
