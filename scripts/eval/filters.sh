#!/usr/bin/env bash
# Quality and cost of the skypile-filters steps on real text from ../shared/data (read at run
# time): keep rate per set/language and per drop reason, the labelled check set (good articles
# kept %, generated zh/en junk dropped %), and µs/doc for all filters together and per step.
#   scripts/eval/filters.sh                # dev profile (what the tests use)
#   RELEASE=1 scripts/eval/filters.sh      # release profile (benchmark figure; slow first build)
#   scripts/eval/filters.sh --show 20      # also print dropped good articles / kept junk
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ ! -d ../shared/data ]; then
  echo "skipping: ../shared/data not found"
  exit 0
fi
PROFILE=()
[ "${RELEASE:-0}" = 1 ] && PROFILE=(--release)
exec cargo run -q "${PROFILE[@]}" -p skypile-filters --example eval_filters -- "$@"
