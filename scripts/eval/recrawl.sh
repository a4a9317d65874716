#!/usr/bin/env bash
# Issue #23: does a crawl read N times keep what one read keeps? Builds a crawl from the real
# pages of ../shared/data with the bench WARC builder (scripts/bench/make_warc.py, cached
# under bench-out/recrawl/, git-ignored), links it N times into one input folder (symlinks),
# runs PIPELINE over each, and prints kept docs, wall time and peak RSS per N; with pyarrow
# (PY=python-with-pyarrow) it also checks that the kept (id, text) sets are identical.
#
#   scripts/eval/recrawl.sh                         # real pages once each (587), N = 1 12 40
#   MB=196.1733 scripts/eval/recrawl.sh 1 12        # the 2,585-doc bench crawl (exact/near copies)
#   PIPELINE=pipelines/quickstart.yaml BIN=target/release/skypile scripts/eval/recrawl.sh 1 2
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -d ../shared/data ] || { echo "skipping: ../shared/data not found"; exit 0; }
MB=${MB:-46.2027}          # = the pool's bytes: every real page exactly once
PIPELINE=${PIPELINE:-pipelines/skypile.yaml}
TASKS=${TASKS:-4}
BIN=${BIN:-${CARGO_TARGET_DIR:-target}/debug/skypile}
NS=("$@"); [ ${#NS[@]} -gt 0 ] || NS=(1 12 40)
[ -x "$BIN" ] || cargo build -q --bin skypile
work=bench-out/recrawl/mb$MB
nice python3 scripts/bench/make_warc.py ../shared/data "$work/crawl" --mb "$MB" --parts 2 \
  --sub 10 --seed 1 >/dev/null
for n in "${NS[@]}"; do
  in=$work/in$n out=$work/out$n
  rm -rf "$in" "$out" && mkdir -p "$in"
  for c in $(seq 1 "$n"); do
    for p in 0 1; do ln -s "$PWD/$work/crawl/part-$p.warc.gz" "$in/c$(printf %02d "$c")-part-$p.warc.gz"; done
  done
  /usr/bin/time -f "%e %M" -o "$work/time$n" nice "$BIN" -q run "$PIPELINE" --input "$in" \
    --output "$out" --tasks "$TASKS" 2>/dev/null
  read -r wall rss < "$work/time$n"
  docs=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['total_docs'])" "$out/manifest.json")
  echo "N=$n docs_kept=$docs wall_s=$wall peak_rss_mb=$((rss / 1024))"
  rm -rf "$out/work" "$out/removed"
done
PY=${PY:-python3}
if "$PY" -c "import pyarrow" 2>/dev/null; then
  "$PY" - "$work" "${NS[@]}" <<'EOF'
import collections, glob, sys
import pyarrow.parquet as pq
work, ns = sys.argv[1], sys.argv[2:]
def rows(n):
    c = collections.Counter()
    for f in sorted(glob.glob(f"{work}/out{n}/data/*.parquet")):
        t = pq.read_table(f, columns=["id", "text"])
        c.update(zip(t.column("id").to_pylist(), t.column("text").to_pylist()))
    return c
base = rows(ns[0])
for n in ns[1:]:
    r = rows(n)
    print(f"N={n} vs N={ns[0]}: lost {len(set(base) - set(r))}, new {len(set(r) - set(base))}, "
          f"kept twice {sum(v > 1 for v in r.values())}")
EOF
else
  echo "(no pyarrow in $PY: doc sets not compared, set PY=...)"
fi
