#!/usr/bin/env bash
# Peak RSS of one big gzipped WARC read from a local disk and streamed from S3 (moto on
# 127.0.0.1), with the same output: memory per remote input must stay bounded by
# storage.read_chunk_mib x (read_ahead + 1), whatever the object's size.
#   scripts/bench/s3_stream.sh [COPIES]   (COPIES of sample_data/web/sample.warc.gz, default 800
#                                          = 211 MB; needs python3 with moto[server] + boto3)
# CI checks the same bound on a 1 GB WARC in tests/s3_stream.rs (SKYPILE_S3_STREAM_MB sets its
# size); this script compares against a local read of the same file.
set -euo pipefail
cd "$(dirname "$0")/../.."
COPIES=${1:-800}
PY=${SKYPILE_PYTHON:-.venv/bin/python}
"$PY" -c "import moto.server, boto3" || { echo "needs moto[server] in $PY (scripts/ci/test.sh installs it)"; exit 1; }
cargo build -q
BIN=${CARGO_TARGET_DIR:-target}/debug/skypile
W=$(mktemp -d)
trap 'kill $MOTO 2>/dev/null || true; rm -rf "$W"' EXIT
"$PY" -c "
src = open('sample_data/web/sample.warc.gz', 'rb').read()
with open('$W/big.warc.gz', 'wb') as f:
    for _ in range($COPIES): f.write(src)   # gzip members concatenate into one valid file
"
PORT=$("$PY" -c "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])")
"$(dirname "$PY")/moto_server" -H 127.0.0.1 -p "$PORT" >/dev/null 2>&1 & MOTO=$!
export AWS_ENDPOINT_URL=http://127.0.0.1:$PORT AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1
for _ in $(seq 100); do "$PY" -c "import socket; socket.create_connection(('127.0.0.1',$PORT))" 2>/dev/null && break; sleep 0.1; done
"$PY" -c "
import boto3; s3 = boto3.client('s3', endpoint_url='$AWS_ENDPOINT_URL')
s3.create_bucket(Bucket='big'); s3.upload_file('$W/big.warc.gz', 'big', 'in/big.warc.gz')"
printf 'name: big\ninput: {paths: [%s]}\noutput: {dir: %s}\nsteps:\n  - extract: {}\n' "$W/big.warc.gz" "$W/local" > "$W/p.yaml"
echo "input: $(du -m "$W/big.warc.gz" | cut -f1) MB gzip"
/usr/bin/time -f "local: peak RSS %M KB, %e s" "$BIN" -q run "$W/p.yaml" --workers 2
/usr/bin/time -f "s3:    peak RSS %M KB, %e s" "$BIN" -q run "$W/p.yaml" --workers 2 --input s3://big/in/big.warc.gz --output "$W/s3"
"$PY" -c "
import json; a, b = (json.load(open('$W/' + d + '/manifest.json')) for d in ('local', 's3'))
print('docs', a['total_docs'], b['total_docs'], 'tokens', a['total_tokens'], b['total_tokens'])
assert (a['total_docs'], a['total_tokens']) == (b['total_docs'], b['total_tokens'])"
