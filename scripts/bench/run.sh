#!/usr/bin/env bash
# Benchmarks against peers (FastWARC, warcio, trafilatura, resiliparse, datatrove), side by side
# on the same input in the same run; prints ratios us/peer and writes them to bench-out/results.*
#
#   scripts/bench/run.sh                       # default: 300 MB bench WARC, peers on 400 docs
#   scripts/bench/run.sh --mb 100 --peer-docs 200 --dedup-docs 1000 --only read,extract
#   scripts/bench/run.sh --help
#
# Needs ../shared/data (real pages; nothing of it is copied into the repo: the bench WARC is
# built under bench-out/, git-ignored, and cached between runs). Our side is the release build.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -d ../shared/data ] || { echo "skipping: ../shared/data not found"; exit 0; }
if [ "${1:-}" = "--help" ] || [ "${1:-}" = "-h" ]; then exec python3 scripts/bench/run.py --help; fi

echo "== building the release binary and bench examples (cold: ~15-20 min on 2 cores)" >&2
cargo build --release -q --bin skypile --example bench_vs_read --example bench_vs_extract \
  --example bench_tokens --example bench_floor

# Stages of ours only (lang-cost, tokens, floor, scoring) need no Python packages: skip the peers' venv.
if [[ " $* " =~ \ --only\ (lang-cost|tokens|floor|scoring)(,(lang-cost|tokens|floor|scoring))*\  ]]; then
  exec python3 scripts/bench/run.py "$@"
fi

VENV=.venv
[ -x $VENV/bin/python ] || python3 -m venv $VENV
# datatrove's WarcReader needs cchardet + python-magic; its filters need nltk/spaCy tokenizers
# (the blank English spaCy model works offline); its LanguageFilter needs a fastText model
# download and is left out of the e2e rows. The whole-pipeline row ([processing] extra) adds
# URLFilter (tldextract, pyahocorasick), LanguageFilter (fasttext, fasteners) on a LID model
# the bench trains, and TokensCounter (tokenizers) on cl100k converted from cargo's copy.
$VENV/bin/python -c "import fastwarc, resiliparse, warcio, trafilatura, lxml_html_clean, datatrove, pyarrow, pandas, cchardet, magic, spacy, nltk, fasttext, fasteners, tokenizers, tldextract, ahocorasick" 2>/dev/null \
  || $VENV/bin/pip install -q fastwarc resiliparse warcio trafilatura "datatrove[processing,io]" \
       pyarrow pandas faust-cchardet python-magic spacy nltk jieba orjson lxml_html_clean


exec $VENV/bin/python scripts/bench/run.py "$@"
