#!/usr/bin/env bash
# `skypile plan` against what one docs-0 rank really uses (issue #15 item 9): the plan's doc
# count and docs-0 peak memory next to the docs the rank read and its peak RSS
# (`/usr/bin/time -v`, "Maximum resident set size").
#   scripts/bench/plan_memory.sh OUT_DIR INPUT...            # pipelines/skypile.yaml, release binary
#   BIN=target/debug/skypile PIPELINE=pipelines/extract.yaml TASKS=8 WORKERS=4 scripts/bench/plan_memory.sh ...
# TASKS (default 1: rank 0 reads the whole input, so its docs are the input's) and WORKERS
# (default 4, the shipped `slurm.cpus_per_task`) are passed to both commands.
# Prints: docs planned, docs read, docs-0 planned MB, measured MB, planned/measured.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${BIN:-target/release/skypile}
PIPELINE=${PIPELINE:-pipelines/skypile.yaml}
TASKS=${TASKS:-1}
WORKERS=${WORKERS:-4}
OUT=$1
shift
ARGS=(--tasks "$TASKS" --workers "$WORKERS")
INPUTS=()
for i in "$@"; do INPUTS+=(--input "$i"); done

PLAN=$("$BIN" plan "$PIPELINE" "${INPUTS[@]}" "${ARGS[@]}" 2>/dev/null)
DOCS_PLANNED=$(sed -n 's/.* ~\([0-9]*\) docs.*/\1/p' <<<"$PLAN" | head -1)
PLANNED_MB=$(awk '$1 == "docs-0" { v = $3; if ($4 == "GB") v *= 1024; print v }' <<<"$PLAN")

rm -rf "$OUT"
/usr/bin/time -v "$BIN" run "$PIPELINE" "${INPUTS[@]}" "${ARGS[@]}" --output "$OUT" \
  --stage docs-0 --task 0 -q 2> "$OUT.time" >/dev/null
KB=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$OUT.time")
DOCS_READ=$(sed -n 's/.*"ingest.docs": \([0-9]*\).*/\1/p' "$OUT/stats/docs-0/00000.json")
awk -v dp="$DOCS_PLANNED" -v dr="$DOCS_READ" -v pm="$PLANNED_MB" -v kb="$KB" 'BEGIN {
  m = kb / 1024
  printf "docs planned %d, read %d (x%.2f); docs-0 planned %.0f MB, measured %.0f MB (x%.2f)\n",
    dp, dr, dp / dr, pm, m, pm / m
}'
