#!/usr/bin/env python3
"""Load a skypile run with pandas: token totals per language, re-threshold a filter score,
and sample documents.  Usage: inspect.py OUTPUT_DIR [--column COL --max VALUE] [-n 3]

Every filter writes its score as a column (with `keep_scores: true`, the default), so a
stricter threshold can be tried here without re-running the crawl.
"""
import sys

# This file is named like the stdlib `inspect` module that numpy imports (it lives in its own
# folder so it cannot shadow it for other scripts): drop the folder from the import path.
sys.path = [p for p in sys.path if p not in ("", __file__.rsplit("/", 1)[0])]

import argparse
import json
import pathlib

import pandas as pd


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--column", help="score column to re-threshold (default: first *_ratio/score column)")
    ap.add_argument("--max", type=float, help="keep rows with column <= MAX (default: the column's 90th percentile)")
    ap.add_argument("-n", type=int, default=3, help="documents to sample")
    a = ap.parse_args()

    out = pathlib.Path(a.dir)
    df = pd.read_parquet(out / "data")
    manifest = json.loads((out / "manifest.json").read_text())
    print(f"{len(df)} docs, {int(df.token_count.sum())} tokens (manifest: {manifest['total_docs']} docs)")

    per_lang = df.groupby("lang").agg(docs=("id", "size"), tokens=("token_count", "sum"), chars=("text", lambda s: s.str.len().sum()))
    per_lang["tokens_per_char"] = per_lang.tokens / per_lang.chars
    print("\ntokens per language:\n" + per_lang.to_string())

    base = {"id", "url", "text", "lang", "lang_score", "token_count", "source", "title", "date", "charset", "charset_source"}
    scores = [c for c in df.columns if c not in base and pd.api.types.is_float_dtype(df[c])]
    col = a.column or next((c for c in scores if "ratio" in c or "frac" in c), scores[0] if scores else "lang_score")
    vals = df[col].dropna()
    limit = a.max if a.max is not None else float(vals.quantile(0.9)) if len(vals) else 0.0
    kept = df[df[col].isna() | (df[col] <= limit)]
    print(f"\nre-threshold {col} <= {limit:.4f}: keeps {len(kept)}/{len(df)} docs, "
          f"{int(kept.token_count.sum())}/{int(df.token_count.sum())} tokens")

    print(f"\n{a.n} random docs:")
    for _, r in df.sample(min(a.n, len(df)), random_state=0).iterrows():
        print(f"-- {r['id']} [{r['lang']}] {r['token_count']} tokens {r['url']}\n   {r['text'][:200]!r}")


if __name__ == "__main__":
    main()
