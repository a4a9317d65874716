#!/usr/bin/env bash
# Quality of the minhash dedup step on planted near-duplicates of real zh/en text from
# ../shared/data (read at run time) and on the Clough & Stevenson plagiarism pairs:
# recall by true-Jaccard bucket, false removals of unrelated docs, goal PASS/FAIL lines.
# Extra flags go to the example: --rounds N --bands B --rows R --zh-unit chars|words --tasks T
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo run --release -q -p skypile-dedup --example eval_dedup -- "$@"
