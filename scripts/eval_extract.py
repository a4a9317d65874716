#!/usr/bin/env python3
"""Main-text extraction: quality (token F1 vs gold) and speed (docs/s per core) of skypile's
extractor against trafilatura and resiliparse on the same pages.

Gold sets (../shared/data/extraction): zh-web-content-extraction (original/ vs cleaned/),
en-cleaneval-dev and en-dragnet-sample (input/ vs GoldStandard/, CleanEval `URL:` line and
<p>/<h>/<l> markup stripped). Token F1 = bag-of-tokens F1 with English words (lower case) and
single CJK characters as tokens, whitespace and punctuation ignored; it mirrors
extract/src/metrics.rs. Speed counts extraction calls only (pages are decoded to str first),
one process, one thread each, in process CPU time (robust when the machine is shared). Run via scripts/eval_extract.sh, which prepares the venv and the
release build of `extract_dir`.
"""
import os
import sys

# Keep this directory off the import path so that no sibling file can shadow a stdlib module.
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]

import argparse  # noqa: E402
import collections  # noqa: E402
import re  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

SETS = [
    ("zh-web-content-extraction", "original", "cleaned"),
    ("en-cleaneval-dev", "input", "GoldStandard"),
    ("en-dragnet-sample", "input", "GoldStandard"),
]


def is_cjk(c):
    o = ord(c)
    return (0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0x20000 <= o <= 0x2A6DF
            or 0x2A700 <= o <= 0x2EBEF or 0x30000 <= o <= 0x3134F or 0xF900 <= o <= 0xFAFF
            or 0x2F800 <= o <= 0x2FA1F or o == 0x3007 or 0x3040 <= o <= 0x30FF
            or 0x31F0 <= o <= 0x31FF or 0xFF66 <= o <= 0xFF9D or 0xAC00 <= o <= 0xD7AF
            or 0x1100 <= o <= 0x11FF or 0x3130 <= o <= 0x318F)


def tokens(s):
    out, word = [], []
    for c in s:
        if is_cjk(c):
            if word:
                out.append("".join(word)); word = []
            out.append(c)
        elif c.isalnum():
            word.append(c.lower())
        elif word:
            out.append("".join(word)); word = []
    if word:
        out.append("".join(word))
    return out


def prf(pred, gold):
    p, g = tokens(pred or ""), tokens(gold or "")
    if not p and not g:
        return 1.0, 1.0, 1.0
    if not p or not g:
        return 0.0, 0.0, 0.0
    common = sum((collections.Counter(p) & collections.Counter(g)).values())
    if common == 0:
        return 0.0, 0.0, 0.0
    pr, rc = common / len(p), common / len(g)
    return pr, rc, 2 * pr * rc / (pr + rc)


COMMENTS_MARK = "!@#$%^&*()"


def clean_gold(s, comments=False):
    """CleanEval: drop the `URL:` line and <p>/<h>/<l> marks. Dragnet: the gold is the article,
    then a `!@#$%^&*()  COMMENTS` line and the user comments; every tool runs with comments
    off, so the main score uses the article part (Dragnet's "content" task)."""
    if s.startswith("URL:"):
        s = s.split("\n", 1)[1] if "\n" in s else ""
    if COMMENTS_MARK in s:
        head, _, tail = s.partition(COMMENTS_MARK)
        s = head + (tail.replace("COMMENTS", "", 1) if comments else "")
    return re.sub(r"<[phlPHL]>", "", s)


def read_text(path):
    b = open(path, "rb").read()
    try:
        return b.decode("utf-8")
    except UnicodeDecodeError:
        return b.decode("cp1252", "replace")


def load(data, binary, tmp):
    """Pages are decoded once by the extract_dir example (skypile-ingest's charset decoding) so
    that every tool gets the identical str."""
    sets = []
    for name, inp, gold in SETS:
        d = os.path.join(data, name)
        if not os.path.isdir(d):
            print(f"skipping {name}: not found", file=sys.stderr)
            continue
        dec = os.path.join(tmp, "decoded", name)
        subprocess.run([binary, os.path.join(d, inp), os.path.join(tmp, "out", name), "--decoded-out", dec],
                       capture_output=True, text=True, check=True)
        pages = []
        for f in sorted(os.listdir(os.path.join(d, inp))):
            stem, ext = os.path.splitext(f)
            g = os.path.join(d, gold, stem + ".txt")
            if ext not in (".html", ".htm") or not os.path.exists(g):
                continue
            html = open(os.path.join(dec, stem + ".html"), encoding="utf-8").read()
            pages.append((stem, html, clean_gold(read_text(g)), clean_gold(read_text(g), True)))
        sets.append((name, os.path.join(d, inp), pages))
    return sets


def run_ours(binary, sets, repeat, favor):
    out, secs, n = {}, 0.0, 0
    for name, inp, pages in sets:
        with tempfile.TemporaryDirectory() as tmp:
            r = subprocess.run([binary, inp, tmp, "--repeat", str(repeat), "--favor", favor],
                               capture_output=True, text=True, check=True)
            m = re.search(r"docs=(\d+) seconds=([0-9.]+)", r.stderr)
            n += int(m.group(1)); secs += float(m.group(2))
            out[name] = {stem: open(os.path.join(tmp, stem + ".txt"), encoding="utf-8").read()
                         for stem, *_ in pages if os.path.exists(os.path.join(tmp, stem + ".txt"))}
    return out, n / secs


def run_py(fn, sets, repeat):
    out, secs, n = {}, 0.0, 0
    for name, _, pages in sets:
        res = {}
        for r in range(repeat):
            for stem, html, *_ in pages:
                t = time.process_time()
                try:
                    text = fn(html) or ""
                except Exception as e:  # a crash on a page is an empty extraction
                    print(f"{name}/{stem}: {type(e).__name__}: {e}", file=sys.stderr)
                    text = ""
                secs += time.process_time() - t
                n += 1
                res[stem] = text
        out[name] = res
    return out, n / secs


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=os.path.join(root, "..", "shared", "data", "extraction"))
    ap.add_argument("--ours", default=os.path.join(root, "target", "release", "examples", "extract_dir"))
    ap.add_argument("--tools", default="ours,trafilatura,resiliparse")
    ap.add_argument("--repeat", type=int, default=5, help="passes for the speed of ours and resiliparse")
    ap.add_argument("--favor", default="balanced")
    ap.add_argument("--per-doc", action="store_true", help="print F1 of every page (ours vs trafilatura)")
    a = ap.parse_args()
    tmp = tempfile.TemporaryDirectory()
    sets = load(a.data, a.ours, tmp.name)
    tools = a.tools.split(",")
    results, speed = {}, {}
    if "ours" in tools:
        results["ours"], speed["ours"] = run_ours(a.ours, sets, a.repeat, a.favor)
    if "trafilatura" in tools:
        import trafilatura
        results["trafilatura"], speed["trafilatura"] = run_py(
            lambda h: trafilatura.extract(h, include_comments=False, include_tables=True), sets, 1)
    if "resiliparse" in tools:
        from resiliparse.extract.html2text import extract_plain_text
        results["resiliparse"], speed["resiliparse"] = run_py(
            lambda h: extract_plain_text(h, main_content=True), sets, a.repeat)
    print(f"{'set':34s} {'docs':>5s} " + " ".join(f"{t + ' F1':>15s}" for t in results))
    rows = [(name, pages, 2) for name, _, pages in sets]
    rows += [(name + " +comments", pages, 3) for name, _, pages in sets if "dragnet" in name]
    for name, pages, gi in rows:
        base = name.split(" ")[0]
        row = []
        for t, res in results.items():
            f1s = [prf(res[base].get(p[0], ""), p[gi])[2] for p in pages]
            row.append(sum(f1s) / max(len(f1s), 1))
        print(f"{name:34s} {len(pages):5d} " + " ".join(f"{v:15.3f}" for v in row))
        if a.per_doc and gi == 2:
            for p in pages:
                fs = " ".join(f"{t}={prf(results[t][base].get(p[0], ''), p[2])[2]:.2f}" for t in results)
                print(f"    {p[0]:40s} {fs}")
    print()
    print("docs/s per core: " + ", ".join(f"{t} {v:.1f}" for t, v in speed.items()))
    if "ours" in speed:
        for t in ("trafilatura", "resiliparse"):
            if t in speed:
                print(f"ours / {t}: {speed['ours'] / speed[t]:.1f}x")


if __name__ == "__main__":
    main()
