//! What a user sees at the terminal (#20):
//! - the progress bar: on a terminal, input bytes read against the inputs' total size with a
//!   rate and an ETA, log lines printed on a cleared line, never into the bar; with `-q`, or
//!   when stderr is not a terminal, no bar (and no cursor codes in the logs);
//! - log levels: `-v` debug, `-q` quiet, flags win over `RUST_LOG`, which applies without them;
//!   `--color always|never`;
//! - every command's help describes each argument and option; the top help has examples and
//!   the exit codes.
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

/// The fixture run on a terminal (`-q` when `quiet`): what it showed, the `/<total size>` the
/// bar would show, and the test folder.
fn bar_run(name: &str, quiet: bool) -> Option<(String, String, std::path::PathBuf)> {
    let d = tmp(name);
    let (args, total) = fixture(&d, quiet);
    let shown = on_a_terminal(&args)?;
    Some((shown, format!("/{}", indicatif::HumanBytes(total)), d))
}

#[test]
fn a_terminal_shows_bytes_read_of_the_input_total_with_an_eta() {
    let Some((shown, of_total, _)) = bar_run("tty", false) else {
        return;
    };
    assert!(shown.contains(&of_total), "no {of_total:?} in {shown:?}");
    assert!(shown.contains("ETA"), "{shown:?}");
    assert!(shown.contains("docs-0 ["), "{shown:?}");
    // log lines printed while the bar is up start on a cleared line, never after bar text
    assert!(shown.contains("[20"), "no log lines: {shown:?}");
    for (i, _) in shown.match_indices("[20") {
        let before = &shown[..i];
        let clean = before.is_empty() || before.ends_with('\n') || before.ends_with("\x1b[2K");
        assert!(clean, "a log line garbled by the bar: {:?}", tail(before));
    }
}

fn tail(s: &str) -> &str {
    let cut = s.char_indices().rev().nth(60).map_or(0, |(i, _)| i);
    &s[cut..]
}

#[test]
fn quiet_shows_no_bar_even_on_a_terminal() {
    let Some((shown, of_total, d)) = bar_run("quiet", true) else {
        return;
    };
    assert!(!shown.contains(&of_total), "{shown:?}");
    assert!(!shown.contains("ETA"), "{shown:?}");
    assert!(d.join("out/stats.json").exists(), "the run did not finish");
}

/// A run of the small fixture with `flags` before `run` and `RUST_LOG` set or not: its stderr.
fn run_stderr(d: &Path, flags: &[&str], rust_log: Option<&str>) -> String {
    let _ = std::fs::remove_dir_all(d.join("out"));
    let mut c = bin();
    c.args(flags)
        .args(fixture(d, false).0)
        .env_remove("RUST_LOG");
    if let Some(l) = rust_log {
        c.env("RUST_LOG", l);
    }
    let o = c.output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(o.status.success(), "{err}");
    err
}

#[test]
fn log_levels_follow_the_flags_over_rust_log_and_color_is_switchable() {
    let d = tmp("levels");
    let plain = run_stderr(&d, &[], None);
    assert!(
        plain.contains("INFO") && !plain.contains("DEBUG"),
        "{plain}"
    );
    let v = run_stderr(&d, &["-v"], None);
    assert!(v.contains("DEBUG"), "-v shows no debug lines: {v}");
    let q = run_stderr(&d, &["-q"], Some("debug"));
    assert!(
        !q.contains("INFO") && !q.contains("DEBUG"),
        "RUST_LOG beat -q: {q}"
    );
    let env = run_stderr(&d, &[], Some("warn"));
    assert!(
        !env.contains("INFO"),
        "RUST_LOG ignored without flags: {env}"
    );
    let always = run_stderr(&d, &["--color", "always"], None);
    assert!(
        always.contains("\x1b["),
        "--color always: no colour: {always:?}"
    );
    let never = run_stderr(&d, &["--color", "never"], None);
    assert!(!never.contains("\x1b["), "--color never: colour: {never:?}");
}

/// Entries of the `Arguments:` and `Options:` sections of a help text without a description.
fn undescribed(help: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_list = false;
    for line in help.lines() {
        if !line.starts_with(' ') {
            in_list = line == "Arguments:" || line == "Options:";
            continue;
        }
        let t = line.trim_start();
        let entry = line.starts_with("  ") && !line.starts_with("   ");
        if in_list && entry && t.starts_with(['-', '<', '[']) {
            let described = t
                .split_once("  ")
                .is_some_and(|(_, d)| !d.trim().is_empty());
            if !described {
                out.push(t.to_string());
            }
        }
    }
    out
}

#[test]
fn every_command_documents_its_arguments_and_options() {
    let top = bin().arg("--help").output().unwrap();
    let top = String::from_utf8_lossy(&top.stdout).into_owned();
    for want in [
        "Examples:",
        "Exit status: 0 success, 1 runtime error, 2 usage",
        "3 run complete",
    ] {
        assert!(top.contains(want), "skypile --help lacks {want:?}:\n{top}");
    }
    let commands: Vec<&str> = top
        .split("Commands:\n")
        .nth(1)
        .unwrap()
        .lines()
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .collect();
    assert!(commands.len() >= 10, "{commands:?}");
    let mut missing = Vec::new();
    for cmd in commands
        .iter()
        .map(|c| vec![*c])
        .chain([vec!["train", "classifier"], vec!["train", "lm"]])
    {
        let o = bin().args(&cmd).arg("--help").output().unwrap();
        let help = String::from_utf8_lossy(&o.stdout).into_owned();
        assert!(
            o.status.success() && help.contains("Usage:"),
            "{cmd:?}: {help}"
        );
        missing.extend(
            undescribed(&help)
                .into_iter()
                .map(|e| format!("{cmd:?}: {e}")),
        );
    }
    assert!(
        missing.is_empty(),
        "entries without help text: {missing:#?}"
    );
    // the test reads clap's layout: an entry without text must be caught
    assert_eq!(
        undescribed("Arguments:\n  <DIR>\n"),
        vec!["<DIR>".to_string()]
    );
}
