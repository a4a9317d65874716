#!/usr/bin/env bash
# Dedup benchmarks (release build):
#  1. MinHash signatures (stage 1) in GB of text per core-hour, skypile vs datatrove's
#     MinhashDedupSignature (pip `datatrove`, same JSONL input, one task, one worker, default
#     14x8 buckets, 5-grams; datatrove tokenizes en with spaCy and zh with spaCy+jieba).
#     The input is built at run time from ../shared/data (zh + en), repeated to --mb MB, in /tmp.
#  2. Clustering peak RSS on synthetic signatures for --docs N docs vs estimate_memory.
# Usage: scripts/eval/dedup_bench.sh [--mb 20] [--docs 10000000]
set -euo pipefail
cd "$(dirname "$0")/../.."
MB=20; DOCS=10000000
while [ $# -gt 0 ]; do
  case "$1" in --mb) MB=$2; shift 2;; --docs) DOCS=$2; shift 2;; *) echo "unknown flag $1"; exit 2;; esac
done
DATA=$(cd .. && pwd)/shared/data
[ -d "$DATA" ] || { echo "skipping: ../shared/data not found"; exit 0; }
VENV=.venv
[ -x $VENV/bin/python ] || python3 -m venv $VENV
$VENV/bin/python -c "import datatrove, spacy, jieba, nltk, orjson" 2>/dev/null \
  || $VENV/bin/pip install -q "datatrove[processing]" spacy jieba nltk orjson
WORK=$(mktemp -d /tmp/skypile-dedup-bench.XXXX)
trap 'rm -rf "$WORK"' EXIT

$VENV/bin/python - "$DATA" "$WORK" "$MB" <<'PY'
import json, sys, pathlib
data, work, mb = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), float(sys.argv[3])
docs = []
for f in ["text-zh/chinesewebtext/2021-43-cleared1.jsonl"]:
    for l in open(data / f, encoding="utf-8"):
        docs.append(("zh", json.loads(l)["raw_content"]))
pku = [l for l in open(data / "segmentation/sighan2005-pku/testing/pku_test.utf8", encoding="utf-8") if l.strip()]
docs += [("zh", "".join(pku[i:i + 12])) for i in range(0, len(pku), 12)]
for d in ["extraction/en-cleaneval-dev/GoldStandard", "extraction/en-dragnet-sample/GoldStandard"]:
    for p in sorted((data / d).glob("*.txt")):
        t = p.read_bytes().decode("utf-8", "replace")
        docs.append(("en", "\n".join(x for x in t.splitlines() if not x.startswith("URL:"))))
target = mb * 1e6 / 2
for lang in ["zh", "en"]:
    size, i, n = 0, 0, 0
    src = [t for l, t in docs if l == lang]
    with open(work / f"{lang}.jsonl", "w", encoding="utf-8") as out:
        while size < target:
            t = src[i % len(src)] + f"\n{n}"
            out.write(json.dumps({"id": str(n), "text": t, "lang": lang}, ensure_ascii=False) + "\n")
            size += len(t.encode()); i += 1; n += 1
    print(f"{lang}: {n} docs, {size/1e6:.1f} MB")
PY

cargo build --release -q -p skypile-dedup --example bench_signatures --example bench_cluster
cat "$WORK/zh.jsonl" "$WORK/en.jsonl" > "$WORK/all.jsonl"
echo "== skypile (zh chars, en words)"; ours=$(target/release/examples/bench_signatures "$WORK/all.jsonl"); echo "$ours"
echo "== skypile (zh jieba words)"; target/release/examples/bench_signatures "$WORK/all.jsonl" --zh-unit words

echo "== datatrove MinhashDedupSignature (same input, zh via spaCy+jieba, en via spaCy)"
theirs=$($VENV/bin/python - "$WORK" <<'PY'
import sys, time, os, logging
work = sys.argv[1]
from loguru import logger; logger.remove()
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.dedup.minhash import MinhashDedupSignature, MinhashConfig
from datatrove.utils.typeshelper import Languages
total_bytes, total_cpu = 0, 0.0
for lang, L in [("zh", Languages.chinese), ("en", Languages.english)]:
    path = f"{work}/{lang}.jsonl"
    total_bytes += sum(len(__import__("json").loads(l)["text"].encode()) for l in open(path, encoding="utf-8"))
    sig = MinhashDedupSignature(output_folder=f"{work}/dt-{lang}", config=MinhashConfig(), language=L)
    sig.word_tokenizer.word_tokenize("warm up")  # model load is a one-off
    reader = JsonlReader(work, glob_pattern=f"{lang}.jsonl", text_key="text")
    t0 = time.process_time()
    sig.run(reader.run(None, 0, 1), 0, 1)
    total_cpu += time.process_time() - t0
mb = total_bytes / 1e6
print(f"datatrove minhash stage 1: {mb:.1f} MB in {total_cpu:.2f} s CPU: {mb/total_cpu:.2f} MB/s, {total_bytes/1e9/(total_cpu/3600):.3f} GB/core-hour")
PY
)
echo "$theirs"
o=$(echo "$ours" | sed -E 's/.* ([0-9.]+) GB\/core-hour/\1/'); t=$(echo "$theirs" | sed -E 's/.* ([0-9.]+) GB\/core-hour/\1/')
python3 -c "r=$o/$t; print(f'speed-up: {r:.1f}x (goal >= 10x) ' + ('PASS' if r >= 10 else 'FAIL'))"

echo "== clustering memory, $DOCS docs (synthetic signatures)"
target/release/examples/bench_cluster --docs "$DOCS"
