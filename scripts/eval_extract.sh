#!/usr/bin/env bash
# Quality (token F1 vs gold) and speed (docs/s per core) of skypile's extractor vs trafilatura
# and resiliparse on the gold pages in ../shared/data/extraction.
#   scripts/eval_extract.sh [--per-doc] [--repeat N] [--favor precision|balanced|recall]
# Sets up .venv (idempotent) and builds the release example once; extra args go to
# scripts/eval_extract.py.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
venv="$root/.venv"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c "import trafilatura, resiliparse, lxml_html_clean" 2>/dev/null; then
    # lxml >= 5.2 moved lxml.html.clean out; trafilatura's justext fallback still imports it
    "$venv/bin/pip" install -q trafilatura resiliparse lxml_html_clean
fi
# the only release build this project allows outside CI: speed numbers need it
cargo build --release -q -p skypile-extract --example extract_dir
exec "$venv/bin/python" scripts/eval_extract.py --ours "$root/target/release/examples/extract_dir" "$@"
