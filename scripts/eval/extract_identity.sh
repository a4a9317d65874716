#!/usr/bin/env bash
# Byte-identity of the `extract` step between two skypile binaries (e.g. main's release build
# and a branch's), for speed work that must not change a single output byte.
#   scripts/eval/extract_identity.sh REFERENCE_BIN CANDIDATE_BIN OUT_DIR [EXTRA_INPUT...]
# Inputs: every *.html/*.htm page under ../shared/data wrapped into one WARC (OUT_DIR/pages.warc,
# so the pipeline's own charset decoding applies), every WARC under ../shared/data/warc, and
# EXTRA_INPUT (e.g. the bench WARCs). Each binary runs an extract-only pipeline (kept and removed
# rows as uncompressed JSONL, one worker) with the default config and again with every option
# that changes what the parser sees (links, comments, recall); the script prints the sha256 of the
# sorted rows of data/ and removed/ and of stats.json without timings, and exits 1 on any
# difference.
set -euo pipefail
[ $# -ge 3 ] || { echo "usage: $0 REFERENCE_BIN CANDIDATE_BIN OUT_DIR [EXTRA_INPUT...]" >&2; exit 2; }
ref="$1"; cand="$2"; out="$3"; shift 3
root="$(cd "$(dirname "$0")/../.." && pwd)"
data="$root/../shared/data"
[ -d "$data" ] || { echo "$data not found: the shared test data is needed" >&2; exit 2; }
mkdir -p "$out"
python3 - "$data" "$out/pages.warc" <<'EOF'
import os, sys
data, dst = sys.argv[1], sys.argv[2]
paths = sorted(os.path.join(d, f) for d, _, fs in os.walk(data) for f in fs
               if f.lower().endswith((".html", ".htm")))
with open(dst, "wb") as w:
    for i, p in enumerate(paths):
        body = open(p, "rb").read()
        http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n" + body
        rel = os.path.relpath(p, data).replace(os.sep, "/")
        head = ("WARC/1.0\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:00000000-0000-0000-0000-%012d>\r\n"
                "WARC-Date: 2024-01-01T00:00:00Z\r\nWARC-Target-URI: http://shared.test/%s\r\n"
                "Content-Type: application/http; msgtype=response\r\nContent-Length: %d\r\n\r\n"
                % (i, rel, len(http))).encode()
        w.write(head + http + b"\r\n\r\n")
print(f"{len(paths)} HTML pages -> {dst}", file=sys.stderr)
EOF
inputs=("$out/pages.warc")
while IFS= read -r f; do inputs+=("$f"); done < <(find "$data/warc" -type f \( -name '*.warc' -o -name '*.warc.gz' \) | sort)
inputs+=("$@")
cat > "$out/extract-only.yaml" <<'EOF'
name: extract-identity
input:
  paths: []
output:
  dir: out
  write_removed: true
  format: jsonl
  compression: none
steps:
  - extract: {}
EOF
sed 's/  - extract: {}/  - extract: {favor: recall, include_links: true, include_comments: true}/' \
    "$out/extract-only.yaml" > "$out/extract-options.yaml"
digest() { # DIR: sorted rows of data/ and removed/, then stats.json without timings
    local d="$1"
    for sub in data removed; do
        printf '%s ' "$sub"
        find "$d/$sub" -name '*.jsonl' -print0 2>/dev/null | sort -z | xargs -0 -r cat | LC_ALL=C sort | sha256sum | cut -c1-64
    done
    printf 'stats '
    python3 - "$d/stats.json" <<'EOF' | sha256sum | cut -c1-64
import json, sys
def strip(x):
    if isinstance(x, dict):
        return {k: strip(v) for k, v in x.items()
                if not (k.endswith(("_s", "_ns", "_per_s")) or any(t in k for t in ("time", "elapsed", "rss")))}
    if isinstance(x, list):
        return [strip(v) for v in x]
    return x
print(json.dumps(strip(json.load(open(sys.argv[1]))), sort_keys=True))
EOF
}
status=0
for cfg in extract-only extract-options; do
    for side in ref cand; do
        bin="$ref"; [ "$side" = cand ] && bin="$cand"
        dir="$out/$cfg-$side"
        rm -rf "$dir"
        # damaged test WARCs make the run exit non-zero; a complete run is all that matters here
        "$bin" run -q --workers 1 --output "$dir" --input "${inputs[@]}" -- "$out/$cfg.yaml" 2>/dev/null || true
        grep -q '"complete": true' "$dir/stats.json" || { echo "$dir: run did not complete" >&2; exit 1; }
        digest "$dir" > "$dir.sha256"
        echo "$cfg $side: $(tr '\n' ' ' < "$dir.sha256")"
    done
    rows=$(find "$out/$cfg-ref/data" "$out/$cfg-ref/removed" -name '*.jsonl' -print0 | xargs -0 cat | wc -l)
    if cmp -s "$out/$cfg-ref.sha256" "$out/$cfg-cand.sha256"; then
        echo "$cfg IDENTICAL: $rows rows (kept + removed) from ${#inputs[@]} inputs"
    else
        echo "$cfg DIFFERENT: compare $out/$cfg-ref and $out/$cfg-cand" >&2
        status=1
    fi
done
exit $status
