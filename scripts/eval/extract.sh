#!/usr/bin/env bash
# Quality (token F1 vs gold, per set / language / tuning-or-held-out half) and speed (docs/s per
# core) of skypile's extractor vs trafilatura and resiliparse on the gold pages in
# ../shared/data/extraction plus extract/tests/forums, in one run.
#   scripts/eval/extract.sh [--per-doc] [--repeat N] [--favor precision|balanced|recall] [--min-text-len N]
# EVAL_PROFILE=dev builds the dev profile instead (quality only).
# Creates or reuses the venv at $EVAL_VENV (default .venv) with trafilatura and resiliparse from
# PyPI, builds the release example once (into $CARGO_TARGET_DIR, default target/); extra args go
# to scripts/eval/extract.py.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
venv="${EVAL_VENV:-$root/.venv}"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c "import trafilatura, resiliparse, lxml_html_clean" 2>/dev/null; then
    # lxml >= 5.2 moved lxml.html.clean out; trafilatura's justext fallback still imports it
    "$venv/bin/pip" install -q trafilatura resiliparse lxml_html_clean
fi
target="${CARGO_TARGET_DIR:-$root/target}"
if [ "${EVAL_PROFILE:-release}" = dev ]; then
    # quality only (same F1, quicker to build while iterating; its speed numbers mean nothing)
    cargo build -q -p skypile-extract --example extract_dir
    bin="$target/debug/examples/extract_dir"
else
    # the only release build this project allows outside CI: speed numbers need it
    cargo build --release -q -p skypile-extract --example extract_dir
    bin="$target/release/examples/extract_dir"
fi
exec "$venv/bin/python" scripts/eval/extract.py --ours "$bin" "$@"
