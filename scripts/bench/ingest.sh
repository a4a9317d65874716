#!/usr/bin/env bash
# Reader benchmark: skypile-ingest vs FastWARC on the same multi-member .warc.gz, one thread.
# The file is built from the real WARCs in ../shared/data/warc (concatenated gzip members,
# repeated up to BENCH_MB megabytes) in $BENCH_DIR, never in the repo.
#   scripts/bench/ingest.sh            # 200 MB
#   BENCH_MB=50 scripts/bench/ingest.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
DATA=${DATA:-$ROOT/../shared/data/warc}
BENCH_DIR=${BENCH_DIR:-/tmp/skypile-bench}
BENCH_MB=${BENCH_MB:-200}
mkdir -p "$BENCH_DIR"
FILE=$BENCH_DIR/mixed-${BENCH_MB}mb.warc.gz

if [ ! -s "$FILE" ]; then
  # Well-formed, one-member-per-record files only (the broken ones would skew the count).
  SRC=("$DATA"/servo-warc-tests/*.warc.gz "$DATA"/resiliparse/warcfile.warc.gz "$DATA"/dolma/*.warc.gz
       "$DATA"/pywb/iana.warc.gz "$DATA"/ukwa/BL-*.warc.gz "$DATA"/resiliparse/clueweb-quirk.warc.gz)
  : > "$FILE.tmp"
  while [ "$(stat -c %s "$FILE.tmp")" -lt $((BENCH_MB * 1000000)) ]; do cat "${SRC[@]}" >> "$FILE.tmp"; done
  mv "$FILE.tmp" "$FILE"
fi

VENV=$ROOT/.venv
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -c "import fastwarc" 2>/dev/null || "$VENV/bin/pip" install -q fastwarc

cargo build --release -q -p skypile-ingest --no-default-features --example bench_read
BIN=$ROOT/target/release/examples/bench_read

echo "file: $FILE ($(stat -c %s "$FILE") bytes)"
cat "$FILE" > /dev/null  # warm the page cache for both readers
# Wall time is noisy on a shared 2-core machine: CPU seconds (user+sys) are printed too, and
# the FastWARC figure includes Python's start-up and import (~0.1 s).
for run in 1 2; do
  /usr/bin/time -f '{"reader":"skypile","cpu_s":%e_wall/%U_user/%S_sys,"max_rss_kb":%M}' "$BIN" "$FILE"
  BENCH_READ_ONLY=1 /usr/bin/time -f '{"reader":"skypile-read-only","cpu_s":%e_wall/%U_user/%S_sys,"max_rss_kb":%M}' "$BIN" "$FILE"
  /usr/bin/time -f '{"reader":"fastwarc","cpu_s":%e_wall/%U_user/%S_sys,"max_rss_kb":%M}' "$VENV/bin/python" - "$FILE" <<'PY'
import json, os, sys, time
from fastwarc.warc import ArchiveIterator
path = sys.argv[1]
t = time.time()
n = 0
with open(path, "rb") as f:
    for rec in ArchiveIterator(f, parse_http=True):
        rec.reader.read()  # decompress and read every payload, as our reader does
        n += 1
s = time.time() - t
print(json.dumps({"reader": "fastwarc", "records": n, "seconds": round(s, 3),
                  "records_per_s": round(n / s), "mb_per_s": round(os.path.getsize(path) / 1e6 / s, 1)}))
PY
done
