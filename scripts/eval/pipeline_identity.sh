#!/usr/bin/env bash
# Byte-identity of a whole pipeline run between two skypile binaries (e.g. main's release build
# and a branch's), for speed work that must not change a single output byte.
#   scripts/eval/pipeline_identity.sh REFERENCE_BIN CANDIDATE_BIN OUT_DIR PIPELINE.yaml INPUT...
# e.g. with the bench's production pipeline and input:
#   scripts/eval/pipeline_identity.sh /work/main/target/release/skypile target/release/skypile \
#     /tmp/ident bench-out/run/production.yaml bench-out/input/mb300-seed1-sub400/part-{0,1}.warc.gz
# Each binary runs the pipeline with one worker; the script prints the sha256 of every Parquet
# file (kept and removed rows) and diffs stats.json without timings (keys ending in `_s` or
# `_ns`). Keys matching the regex in $IGNORE (e.g. IGNORE=max_model_bytes, a memory figure that
# a new table layout changes) are left out of the diff. Exits 1 on any other difference.
set -euo pipefail
[ $# -ge 5 ] || { echo "usage: $0 REFERENCE_BIN CANDIDATE_BIN OUT_DIR PIPELINE.yaml INPUT..." >&2; exit 2; }
ref="$1"; cand="$2"; out="$3"; pipeline="$4"; shift 4
mkdir -p "$out"
for side in ref cand; do
  bin="$ref"; [ "$side" = cand ] && bin="$cand"
  # a non-zero exit (e.g. 3: some input was bad and counted) is compared like any other run
  "$bin" run "$pipeline" --input "$@" --output "$out/$side" --workers 1 -q --overwrite \
    || echo "$side: skypile run exited $?"
  (cd "$out/$side" && find . -name '*.parquet' | sort | xargs sha256sum) > "$out/$side.parquet.sha256"
  python3 - "$out/$side/stats.json" "${IGNORE:-^$}" > "$out/$side.stats.json" <<'EOF'
import json, re, sys
ignore = re.compile(sys.argv[2])
def strip(o):
    if isinstance(o, dict):
        return {k: strip(v) for k, v in o.items()
                if not k.endswith(("_s", "_ns")) and not ignore.search(k)}
    if isinstance(o, list):
        return [strip(x) for x in o]
    return o
print(json.dumps(strip(json.load(open(sys.argv[1]))), indent=1, sort_keys=True))
EOF
done
status=0
if diff "$out/ref.parquet.sha256" "$out/cand.parquet.sha256"; then
  echo "Parquet: $(wc -l < "$out/ref.parquet.sha256") files identical ($(sha256sum < "$out/ref.parquet.sha256" | cut -c1-16))"
else
  echo "Parquet: DIFFERENT"; status=1
fi
if diff "$out/ref.stats.json" "$out/cand.stats.json"; then
  echo "stats.json: identical without timings${IGNORE:+ and keys matching $IGNORE}"
else
  echo "stats.json: DIFFERENT"; status=1
fi
exit $status
