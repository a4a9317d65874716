#!/usr/bin/env python3
"""Per language: good kept % and junk dropped % of a check set run (check_quality.sh).

usage: score_check.py CHECK_JSONL OUTPUT_DIR [LABEL]
A doc is kept when its id is in OUTPUT_DIR/data/*.parquet; everything else was dropped.
- The check set is split in two fixed halves by a hash of the doc id (crc32, even = tuning,
  odd = held-out): rules are looked at and tuned on the tuning half only, and a change must
  help both halves (HELPERS.md: generalise, don't fit).
- The good docs that were dropped are counted by drop reason (OUTPUT_DIR/removed, written when
  the pipeline has `write_removed: true`), per language and half."""
import collections
import glob
import json
import sys
import zlib

import pyarrow.parquet as pq

HALVES = ("tuning", "held-out")


def half(doc_id):
    return HALVES[zlib.crc32(doc_id.encode("utf-8")) % 2]


def reasons(out):
    """id -> drop reason of the removed docs."""
    got = {}
    for f in sorted(glob.glob(f"{out}/removed/*.parquet")):
        t = pq.read_table(f, columns=["id", "drop_reason"])
        got.update(zip(t.column("id").to_pylist(), t.column("drop_reason").to_pylist()))
    return got


def main():
    check, out = sys.argv[1], sys.argv[2]
    label = sys.argv[3] if len(sys.argv) > 3 else "run"
    kept = set()
    for f in sorted(glob.glob(f"{out}/data/*.parquet")):
        kept.update(pq.read_table(f, columns=["id"]).column("id").to_pylist())
    why = reasons(out)
    by = collections.defaultdict(lambda: [0, 0])          # (lang, set, half) -> [docs, ok]
    lost = collections.defaultdict(collections.Counter)   # (lang, half) -> reason counts
    for d in map(json.loads, open(check, encoding="utf-8")):
        good = d["kind"] == "good"
        keys = [(d["lang"], "good")] if good else [(d["lang"], "junk"), (d["lang"], d["kind"])]
        h = half(d["id"])
        ok = (d["id"] in kept) == good                     # good kept, or junk dropped
        for key in keys:
            for part in ("all", h):
                by[key + (part,)][0] += 1
                by[key + (part,)][1] += ok
        if good and not ok:
            lost[(d["lang"], h)][why.get(d["id"], "?")] += 1
    print(f"== {label}: lang  set              {'all':>15} {'tuning half':>15} {'held-out half':>15}")
    for lang, kind in sorted({k[:2] for k in by}):
        what = "good kept" if kind == "good" else "junk dropped" if kind == "junk" else f"  {kind}"
        cells = []
        for part in ("all",) + HALVES:
            n, ok = by[(lang, kind, part)]
            cells.append(f"{100 * ok / n:6.1f}% ({n:3})" if n else f"{'-':>15}")
        print(f"   {lang:4} {what:16} {cells[0]:>15} {cells[1]:>15} {cells[2]:>15}")
    for (lang, h), c in sorted(lost.items()):
        print(f"   {lang} good dropped, {h}: " + ", ".join(f"{r} {n}" for r, n in c.most_common()))


if __name__ == "__main__":
    main()
