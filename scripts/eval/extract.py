#!/usr/bin/env python3
"""Main-text extraction: quality (token F1 vs gold) and speed (docs/s per core) of skypile's
extractor against trafilatura and resiliparse on the same pages.

Gold sets (../shared/data/extraction): zh-web-content-extraction (original/ vs cleaned/),
en-cleaneval-dev and en-dragnet-sample (input/ vs GoldStandard/, CleanEval `URL:` line and
<p>/<h>/<l> markup stripped). Token F1 = bag-of-tokens F1 with English words (lower case) and
single CJK characters as tokens, whitespace and punctuation ignored; it mirrors
extract/src/metrics.rs. Speed counts extraction calls only (pages are decoded to str first),
one process, one thread each, in process CPU time (robust when the machine is shared). Run via scripts/eval/extract.sh, which prepares the venv and the
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

# (set, input folder, gold folder); readability-test-pages is one folder per page
# (<name>/source.html, gold = the text of <name>/expected.html); `forums` lives in the repo
# (extract/tests/forums: thread pages written for the forum rule, see its README).
SETS = [
    ("zh-web-content-extraction", "original", "cleaned"),
    ("en-cleaneval-dev", "input", "GoldStandard"),
    ("en-dragnet-sample", "input", "GoldStandard"),
    ("readability-test-pages", None, None),
    ("forums", None, None),
]

M64 = (1 << 64) - 1


def held_out(set_name, stem):
    """The fixed tuning/held-out split (mirrors `metrics::held_out` in Rust): FNV-1a 64 of
    "<set>/<stem>", then MurmurHash3's fmix64 finaliser; an odd result is held out. It depends
    on the page's name only, so adding pages never moves an old page to the other half."""
    h = 0xcbf29ce484222325
    for b in f"{set_name}/{stem}".encode():
        h = ((h ^ b) * 0x100000001b3) & M64
    h ^= h >> 33
    h = (h * 0xff51afd7ed558ccd) & M64
    h ^= h >> 33
    h = (h * 0xc4ceb9fe1a85ec53) & M64
    h ^= h >> 33
    return h & 1 == 1


# dom::is_block in extract/src/dom.rs, plus br
BLOCK_TAGS = {"p", "div", "section", "article", "main", "header", "footer", "nav", "aside", "h1", "h2",
              "h3", "h4", "h5", "h6", "ul", "ol", "li", "dl", "dt", "dd", "table", "tbody", "thead",
              "tfoot", "tr", "td", "th", "caption", "blockquote", "pre", "figure", "figcaption", "form",
              "fieldset", "address", "center", "hr", "body", "html", "details", "summary", "dir",
              "legend", "noframes", "hgroup", "listing", "plaintext", "xmp", "br"}


def html_text(html):
    """Visible text of a gold HTML fragment (readability's expected.html), a line break at every
    block element so that words of adjacent paragraphs do not glue (mirrors
    `metrics::html_text`)."""
    import lxml.html
    if not html.strip():
        return ""
    root = lxml.html.fromstring(html)
    for el in root.iter():
        if not isinstance(el.tag, str):
            el.text = None
            continue
        if el.tag in ("script", "style"):
            el.text = ""
        if el.tag in BLOCK_TAGS:
            el.tail = "\n" + (el.tail or "")
            el.text = "\n" + (el.text or "")
    return root.text_content()


EN_STOP = {"the", "and", "of", "to", "a", "in", "is", "that", "for", "it", "on", "with", "as", "was"}


def language(gold):
    """Coarse language group of a page from its gold text: zh (Han, no kana), ja, en (English
    function words), other."""
    letters = [c for c in gold if c.isalpha()]
    if not letters:
        return "other"
    cjk = sum(1 for c in letters if is_cjk(c))
    if cjk * 10 > len(letters) * 3:
        kana = sum(1 for c in letters if 0x3040 <= ord(c) <= 0x30FF)
        return "ja" if kana * 20 > cjk else "zh"
    words = re.findall(r"[a-z]+", gold.lower())
    stop = sum(1 for w in words if w in EN_STOP)
    return "en" if words and stop * 100 > len(words) * 8 else "other"


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


def page_files(data, root, name, inp, gold):
    """(stem, html path, gold text, gold with comments) of every page of a set that has gold."""
    if name == "forums":
        d = os.path.join(root, "extract", "tests", "forums")
        for f in sorted(os.listdir(d)):
            stem, ext = os.path.splitext(f)
            if ext == ".html" and os.path.exists(os.path.join(d, stem + ".txt")):
                g = read_text(os.path.join(d, stem + ".txt"))
                yield stem, os.path.join(d, f), g, g
        return
    d = os.path.join(data, name)
    if inp is None:  # readability-test-pages: <name>/source.html + expected.html
        for stem in sorted(os.listdir(d)):
            src, exp = os.path.join(d, stem, "source.html"), os.path.join(d, stem, "expected.html")
            if os.path.exists(src) and os.path.exists(exp):
                g = html_text(read_text(exp))
                yield stem, src, g, g
        return
    for f in sorted(os.listdir(os.path.join(d, inp))):
        stem, ext = os.path.splitext(f)
        g = os.path.join(d, gold, stem + ".txt")
        if ext in (".html", ".htm") and os.path.exists(g):
            yield stem, os.path.join(d, inp, f), clean_gold(read_text(g)), clean_gold(read_text(g), True)


def load(data, root, binary, tmp):
    """Every set becomes one flat folder of `<stem>.html` links (the input of extract_dir);
    pages are decoded once by extract_dir (skypile-ingest's charset decoding) so that every
    tool gets the identical str. A page is (stem, html, gold, gold+comments, lang, held)."""
    sets = []
    for name, inp, gold in SETS:
        if name != "forums" and not os.path.isdir(os.path.join(data, name)):
            print(f"skipping {name}: not found", file=sys.stderr)
            continue
        flat = os.path.join(tmp, "in", name)
        os.makedirs(flat)
        golds = []
        for stem, path, g, gc in page_files(data, root, name, inp, gold):
            os.symlink(os.path.abspath(path), os.path.join(flat, stem + ".html"))
            golds.append((stem, g, gc))
        dec = os.path.join(tmp, "decoded", name)
        subprocess.run([binary, flat, os.path.join(tmp, "out", name), "--decoded-out", dec],
                       capture_output=True, text=True, check=True)
        pages = []
        for stem, g, gc in golds:
            html = open(os.path.join(dec, stem + ".html"), encoding="utf-8").read()
            pages.append((stem, html, g, gc, language(g), held_out(name, stem)))
        sets.append((name, flat, pages))
    return sets


def run_ours(binary, sets, repeat, extra):
    out, secs, n = {}, 0.0, 0
    for name, inp, pages in sets:
        with tempfile.TemporaryDirectory() as tmp:
            r = subprocess.run([binary, inp, tmp, "--repeat", str(repeat)] + extra,
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


def mean(xs):
    return sum(xs) / len(xs) if xs else float("nan")


def report(results, sets, per_doc):
    """Mean F1 per set, per language group and overall, each split into the tuning and the
    held-out half; then whole-page failures per tool on the held-out half."""
    tools = list(results)
    scores = {t: {} for t in tools}  # tool -> (set, stem) -> (p, r, f)
    for name, _, pages in sets:
        for stem, _, g, *_ in pages:
            for t in tools:
                scores[t][(name, stem)] = prf(results[t][name].get(stem, ""), g)
    groups = []
    for name, _, pages in sets:
        groups.append((name, [(name, p) for p in pages]))
    every = [(name, p) for name, _, pages in sets for p in pages]
    for lang in sorted({p[4] for _, p in every}):
        groups.append((f"lang={lang}", [(n, p) for n, p in every if p[4] == lang]))
    groups.append(("all", every))
    print(f"{'group':30s} {'half':5s} {'docs':>5s} " + " ".join(f"{t + ' F1':>15s}" for t in tools))
    for label, members in groups:
        for half, want in (("tune", False), ("held", True)):
            sel = [(n, p) for n, p in members if p[5] == want]
            vals = [mean([scores[t][(n, p[0])][2] for n, p in sel]) for t in tools]
            print(f"{label:30s} {half:5s} {len(sel):5d} " + " ".join(f"{v:15.3f}" for v in vals))
    for name, _, pages in sets:
        if "dragnet" in name:
            vals = [mean([prf(results[t][name].get(p[0], ""), p[3])[2] for p in pages]) for t in tools]
            print(f"{name + ' +comments':30s} {'both':5s} {len(pages):5d} " + " ".join(f"{v:15.3f}" for v in vals))
    print()
    print("whole-page failures on the held-out half (empty / recall < 0.3 / precision < 0.3):")
    held = [(n, p) for n, p in every if p[5]]
    for t in tools:
        s = [scores[t][(n, p[0])] for n, p in held]
        empty = sum(1 for n, p in held if not results[t][n].get(p[0], "").strip())
        print(f"  {t:12s} empty {empty:3d}  low recall {sum(1 for x in s if x[1] < 0.3):3d}  "
              f"low precision {sum(1 for x in s if x[0] < 0.3):3d}  of {len(held)}")
    if per_doc:
        for n, p in every:
            fs = " ".join(f"{t}={scores[t][(n, p[0])][2]:.2f}" for t in tools)
            pr = scores[tools[0]][(n, p[0])]
            print(f"    {'H' if p[5] else 'T'} {n[:12]:12s} {p[0][:40]:40s} {p[4]:5s} {fs}  "
                  f"P={pr[0]:.2f} R={pr[1]:.2f}")


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=os.path.join(root, "..", "shared", "data", "extraction"))
    ap.add_argument("--ours", default=os.path.join(root, "target", "release", "examples", "extract_dir"))
    ap.add_argument("--tools", default="ours,trafilatura,resiliparse")
    ap.add_argument("--repeat", type=int, default=5, help="passes for the speed of ours and resiliparse")
    ap.add_argument("--favor", default="balanced")
    ap.add_argument("--min-text-len", type=int, default=None, help="ours: ExtractConfig.min_text_len")
    ap.add_argument("--per-doc", action="store_true", help="print F1 of every page (ours vs trafilatura)")
    a = ap.parse_args()
    tmp = tempfile.TemporaryDirectory()
    sets = load(a.data, root, a.ours, tmp.name)
    tools = a.tools.split(",")
    results, speed = {}, {}
    if "ours" in tools:
        extra = ["--favor", a.favor]
        if a.min_text_len is not None:
            extra += ["--min-text-len", str(a.min_text_len)]
        results["ours"], speed["ours"] = run_ours(a.ours, sets, a.repeat, extra)
    if "trafilatura" in tools:
        import trafilatura
        results["trafilatura"], speed["trafilatura"] = run_py(
            lambda h: trafilatura.extract(h, include_comments=False, include_tables=True), sets, 1)
    if "resiliparse" in tools:
        from resiliparse.extract.html2text import extract_plain_text
        results["resiliparse"], speed["resiliparse"] = run_py(
            lambda h: extract_plain_text(h, main_content=True), sets, a.repeat)
    report(results, sets, a.per_doc)
    print()
    print("docs/s per core: " + ", ".join(f"{t} {v:.1f}" for t, v in speed.items()))
    if "ours" in speed:
        for t in ("trafilatura", "resiliparse"):
            if t in speed:
                print(f"ours / {t}: {speed['ours'] / speed[t]:.1f}x")


if __name__ == "__main__":
    main()
