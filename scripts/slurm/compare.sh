#!/usr/bin/env bash
# compare.sh SKYPILE LOCAL_OUT OTHER_OUT: the two outputs hold the same rows in the same shards
# and the same totals. Parquet files are compared byte for byte first; if they differ, rows
# (id, text, token_count) are compared with pyarrow ($SKYPILE_PYTHON or .venv) to say where.
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
if diff <(cd "$a/data" && sha256sum -- *.parquet) <(cd "$b/data" && sha256sum -- *.parquet) >/dev/null; then
  echo "data/*.parquet byte-identical"
  exit 0
fi
PYA=${SKYPILE_PYTHON:-$(dirname "$0")/../../.venv/bin/python}
if ! "$PYA" -c 'import pyarrow' 2>/dev/null; then
  echo "Parquet bytes differ and no pyarrow to compare rows (set SKYPILE_PYTHON)" >&2
  exit 1
fi
"$PYA" - "$a" "$b" <<'PY'
import glob, os, sys
import pyarrow.parquet as pq
def rows(d):
    out = []
    for f in sorted(glob.glob(os.path.join(d, "data", "*.parquet"))):
        t = pq.read_table(f, columns=["id", "text", "token_count"])
        out.append((os.path.basename(f), t.to_pylist()))
    return out
a, b = rows(sys.argv[1]), rows(sys.argv[2])
if a != b:
    for (fa, ra), (fb, rb) in zip(a, b):
        if (fa, ra) != (fb, rb):
            sys.exit(f"first difference in shard {fa} vs {fb}")
    sys.exit("different shard count")
print(f"rows equal (id, text, token_count) in {len(a)} shards (files differ only in metadata)")
PY
