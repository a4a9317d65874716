#!/usr/bin/env bash
# Write a small JSONL corpus (with exact copies) into $1 and print a pipeline YAML for it:
# the Slurm test's fallback when pipelines/quickstart.yaml does not exist.
set -euo pipefail
dir=$1
mkdir -p "$dir"
python3 - "$dir" <<'PY'
import json, sys
words = "river stone cloud paper lamp garden signal harbor winter copper 长江 山峰 数据 模型 城市 春天".split()
for f in range(5):
    with open(f"{sys.argv[1]}/part{f}.jsonl", "w") as out:
        for i in range(400):
            n = f * 400 + i
            src = n - 13 if n % 6 == 2 and n > 20 else n
            text = " ".join(f"{words[(src * 31 + k * 7) % len(words)]}{(src + k) % 97}" for k in range(30 + src % 50))
            out.write(json.dumps({"id": f"d{n:06}", "text": text}, ensure_ascii=False) + "\n")
PY
cat <<YAML
name: slurm-test
input:
  paths: [$dir]
tasks: 3
output:
  shard_max_rows: 300
steps:
  - exact_dedup: {}
slurm:
  time: "0:10:00"
  mem: 500M
  cpus_per_task: 1
  max_parallel: 2
YAML
