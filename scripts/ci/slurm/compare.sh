#!/usr/bin/env bash
# compare.sh SKYPILE LOCAL_OUT OTHER_OUT: the two outputs hold the same rows in the same shards
# and the same totals: manifest shards/totals and stats counters (timings `*_ns` aside) equal,
# and every data/*.parquet and removed/*.parquet byte-identical (any difference fails).
set -euo pipefail
exe=$1 a=$2 b=$3
py=python3
man() {
  $py -c 'import json,sys; m=json.load(open(sys.argv[1])); print(m["total_docs"], m["total_tokens"]); [print(s["path"], s["rows"], s["tokens"]) for s in m["shards"]]' "$1/manifest.json"
}
diff <(man "$a") <(man "$b") || { echo "manifest totals/shards differ" >&2; exit 1; }
st() {
  $py -c 'import json,sys; s=json.load(open(sys.argv[1])); c={k:v for k,v in s["counters"].items() if not k.endswith("_ns")}; print(s["complete"], s["docs_in"], s["docs_out"], s["tokens_out"], json.dumps(c, sort_keys=True))' "$1/stats.json"
}
diff <(st "$a") <(st "$b") || { echo "stats.json counters differ" >&2; exit 1; }
m=$(man "$a")
echo "manifest + stats equal: ${m%%$'\n'*} (docs tokens), $(($(wc -l <<<"$m") - 1)) shards"
# Byte for byte: same shard names, same bytes in data/ (and removed/ when written); a
# row-level fallback would hide metadata or encoding differences between hosts.
sums() { if [ -d "$1" ]; then (cd "$1" && find . -name '*.parquet' | sort | xargs -r sha256sum --); fi; }
for d in data removed; do
  if ! diff <(sums "$a/$d") <(sums "$b/$d") >&2; then
    echo "$d/*.parquet differ (names or bytes, see above)" >&2
    exit 1
  fi
done
echo "data/*.parquet and removed/*.parquet byte-identical ($(sums "$a/data" | wc -l) + $(sums "$a/removed" | wc -l) files)"
