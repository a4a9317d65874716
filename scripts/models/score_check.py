#!/usr/bin/env python3
"""Per language: good kept % and junk dropped % of a check set run (check_quality.sh).

usage: score_check.py CHECK_JSONL OUTPUT_DIR [LABEL]
A doc is kept when its id is in OUTPUT_DIR/data/*.parquet; everything else was dropped."""
import collections
import glob
import json
import sys

import pyarrow.parquet as pq

check, out = sys.argv[1], sys.argv[2]
label = sys.argv[3] if len(sys.argv) > 3 else "run"
kept = set()
for f in sorted(glob.glob(f"{out}/data/*.parquet")):
    kept.update(pq.read_table(f, columns=["id"]).column("id").to_pylist())
by = collections.defaultdict(lambda: [0, 0])
for d in map(json.loads, open(check, encoding="utf-8")):
    good = d["kind"] == "good"
    keys = [(d["lang"], "good")] if good else [(d["lang"], "junk"), (d["lang"], d["kind"])]
    for key in keys:
        by[key][0] += 1
        by[key][1] += (d["id"] in kept) == good   # good kept, or junk dropped
print(f"== {label}: lang  set           docs  {'kept/dropped':>12}")
for (lang, kind), (n, ok) in sorted(by.items()):
    what = "good kept" if kind == "good" else "junk dropped" if kind == "junk" else f"  {kind}"
    print(f"   {lang:4} {what:16} {n:5}  {100 * ok / n:10.1f}%")
