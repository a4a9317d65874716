#!/usr/bin/env python3
"""Recall/precision of the `decontam` step, end to end through `skypile run`.

Two checks, both on data written by the project (sample_data/):
 1. the sample corpus (WARC + JSONL): the docs dropped by extract → lang → decontam must be
    exactly the planted leaks listed in sample_data/MANIFEST.md;
 2. a variant set built here from every sample benchmark item: verbatim, re-spaced,
    re-punctuated (full-width ↔ ASCII, case), embedded in a longer page, question only
    (embedded), plus negatives (the clean sample docs and pages made of common exam phrases).

    scripts/eval_decontam.py            # builds skypile (dev profile) if needed
Prints recall per variant kind, false positives and the step's docs/s from stats.json.
"""
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# scripts/ holds other tools (e.g. inspect.py) that would shadow standard modules.
sys.path = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "scripts"]
VENV = ROOT / ".venv"
PY = VENV / "bin" / "python"
BENCH = ROOT / "sample_data" / "benchmarks"
# Same fields as pipelines/decontam.yaml.
SPECS = {
    "ceval": ("ceval_like.jsonl", ["question", "A", "B", "C", "D", "answer"]),
    "cmmlu": ("cmmlu_like.jsonl", ["question", "A", "B", "C", "D", "answer"]),
    "mmlu": ("mmlu_like.jsonl", ["question", "choices"]),
    "gsm8k": ("gsm8k_like.jsonl", ["question", "answer"]),
}
NEGATIVES = [
    "根据以上材料，下列说法正确的是哪一项？阅读下面的文字，完成各题。下列关于细胞结构的叙述中，正确的是哪一项？请根据题目要求作答，时间为九十分钟。",
    "本次期中考试共有选择题二十道，每题只有一个正确答案。下列各项中不属于本单元重点的是哪一项？请同学们认真复习课本上的例题。",
    "Which of the following is true? Read the passage and answer the questions below. Which of the following best describes the author's view? Explain your answer in two sentences.",
    "How many dollars does she earn at the fair? How many passengers does the ferry carry in one day? These are the kinds of word problems our fourth graders practise every week.",
]


def ensure_python():
    if os.environ.get("VIRTUAL_ENV") or sys.executable == str(PY):
        try:
            import pyarrow  # noqa: F401
            return
        except ImportError:
            pass
    if not PY.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    if subprocess.run([str(PY), "-c", "import pyarrow"], capture_output=True).returncode != 0:
        subprocess.run([str(PY), "-m", "pip", "install", "-q", "pyarrow"], check=True)
    os.execv(str(PY), [str(PY), __file__, *sys.argv[1:]])


def items():
    for name, (file, fields) in SPECS.items():
        for line in (BENCH / file).read_text(encoding="utf-8").split("\n"):
            if line.strip():
                rec = json.loads(line)
                parts = []
                for f in fields:
                    v = rec.get(f)
                    parts += [str(x) for x in v] if isinstance(v, list) else ([str(v)] if v is not None else [])
                yield name, rec["id"], rec["question"], "\n".join(parts)


def is_zh(s):
    return sum("\u4e00" <= c <= "\u9fff" for c in s) > len(s) * 0.3


def respace(s):
    return " ".join(s) if is_zh(s) else "  \n ".join(s.split(" "))


def repunct(s):
    table = str.maketrans({"，": ",", "。": ".", "？": "?", "：": ":", "“": '"', "”": '"', ",": "，", ".": "。", "?": "？"})
    return s.translate(table).upper()


def variant_docs(host_zh, host_en):
    docs = []
    for bench, iid, question, text in items():
        host = host_zh if is_zh(text) else host_en
        for kind, body in [
            ("verbatim", text),
            ("respaced", respace(text)),
            ("repunct", repunct(text)),
            ("embedded", f"{host}\n\n{text}\n\n{host}"),
            ("question_only", f"{host}\n\n{question}\n\n{host}"),
        ]:
            docs.append({"id": f"{kind}|{bench}|{iid}", "text": body})
    for i, t in enumerate(NEGATIVES):
        docs.append({"id": f"negative|common|{i}", "text": t})
    return docs


def run(pipeline_yaml: str, inputs: list, out: Path):
    exe = ROOT / "target" / "debug" / "skypile"
    if not exe.exists():
        subprocess.run(["cargo", "build", "-q", "-p", "skypile"], cwd=ROOT, check=True)
    subprocess.run([str(exe), "-q", "run", pipeline_yaml, "--output", str(out), "--input", *inputs], cwd=ROOT, check=True)
    import pyarrow.parquet as pq
    removed = {}
    for f in sorted((out / "removed").glob("*.parquet")):
        t = pq.read_table(f).to_pylist()
        for r in t:
            if str(r.get("drop_reason", "")).startswith("decontam:"):
                removed[r["id"]] = (r.get("url"), r.get("decontam_item"))
    stats = json.loads((out / "stats.json").read_text())
    return removed, stats


def pipeline(tmp: Path, extract: bool) -> str:
    text = (ROOT / "pipelines" / "decontam.yaml").read_text(encoding="utf-8")
    text = text.replace("../sample_data/benchmarks", str(BENCH))
    if extract:
        text = text.replace("  - lang: {}", "  - extract: {}\n  - lang: {}")
    p = tmp / ("with_extract.yaml" if extract else "decontam.yaml")
    p.write_text(text, encoding="utf-8")
    return str(p)


def main():
    ensure_python()
    tmp = Path(tempfile.mkdtemp(prefix="skypile-eval-decontam-"))
    # 1. the sample corpus against MANIFEST.md
    manifest = (ROOT / "sample_data" / "MANIFEST.md").read_text(encoding="utf-8")
    planted = {}
    for line in manifest.splitlines():
        cols = [c.strip() for c in line.split("|")]
        if len(cols) > 5 and cols[1] in ("warc", "jsonl") and cols[4].count("-like-"):
            planted[cols[2]] = cols[4]
    removed, stats = run(pipeline(tmp, True), ["sample_data/text/", "sample_data/web/"], tmp / "sample")
    cost = {st["label"]: st["time_s"] * 1e6 / max(st["in"], 1) for st in stats.get("steps", [])}
    print("step cost (µs/doc, dev build, tiny index): " + ", ".join(f"{k} {v:.0f}" for k, v in cost.items()))
    got = {(url if (url or "") in planted else iid): item for iid, (url, item) in removed.items()}
    hit = sum(1 for k, v in planted.items() if got.get(k) == v)
    fp = [k for k in got if k not in planted]
    print(f"sample corpus: {hit}/{len(planted)} planted leaks dropped with the right item; false drops: {len(fp)} {fp}")

    # 2. variants of every item, and negatives
    sample_docs = []
    for line in (ROOT / "sample_data/text/sample.jsonl").read_bytes().split(b"\n"):
        try:
            d = json.loads(line)
        except ValueError:
            continue  # the sample has broken records on purpose
        if isinstance(d, dict) and isinstance(d.get("text"), str) and isinstance(d.get("id"), str):
            sample_docs.append(d)
    clean = [d for d in sample_docs if d["id"] not in planted]
    host_zh = next(d["text"] for d in clean if is_zh(d["text"]))
    host_en = next(d["text"] for d in clean if not is_zh(d["text"]))
    docs = variant_docs(host_zh, host_en) + [{"id": f"negative|sample|{d['id']}", "text": d["text"]} for d in clean]
    (tmp / "variants").mkdir()
    with open(tmp / "variants" / "variants.jsonl", "w", encoding="utf-8") as f:
        for d in docs:
            f.write(json.dumps(d, ensure_ascii=False) + "\n")
    removed, stats = run(pipeline(tmp, False), [str(tmp / "variants")], tmp / "variants_out")
    by_kind = {}
    for d in docs:
        kind, bench, iid = d["id"].split("|")
        ok = removed.get(d["id"], (None, None))[1] == iid if kind != "negative" else d["id"] not in removed
        t = by_kind.setdefault(kind, [0, 0, []])
        t[0] += ok
        t[1] += 1
        if not ok:
            t[2].append(f"{bench}/{iid}")
    for kind, (ok, n, missed) in by_kind.items():
        label = "kept (no false drop)" if kind == "negative" else "found"
        print(f"  {kind:14s} {label}: {ok}/{n}" + (f"   missed: {', '.join(missed)}" if missed else ""))
    print(f"outputs in {tmp}")


if __name__ == "__main__":
    main()
