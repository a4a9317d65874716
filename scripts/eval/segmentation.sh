#!/usr/bin/env bash
# Word P/R/F1 of the zh words view (jieba, HMM on) vs the SIGHAN 2005 PKU gold in ../shared/data.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo run --release -q -p skypile-lang --example eval_segmentation "$@"
