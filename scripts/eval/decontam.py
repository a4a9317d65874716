#!/usr/bin/env python3
"""The `decontam` step end to end through `skypile run` on the sample corpus (WARC + JSONL):
the docs dropped by extract → lang → decontam must be exactly the planted leaks listed in
sample_data/MANIFEST.md (data written by the project).

    scripts/eval/decontam.py            # builds skypile (dev profile) if needed
Prints planted leaks found, false drops and the step's cost from stats.json.

Variants of every benchmark item (verbatim, re-spaced, re-punctuated, embedded, question only)
and near-miss negatives are a CI test: filters/tests/decontam_variants.rs.
"""
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# scripts/ holds other tools (e.g. inspect.py) that would shadow standard modules.
sys.path = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "scripts" / "eval"]
VENV = ROOT / ".venv"
PY = VENV / "bin" / "python"
BENCH = ROOT / "sample_data" / "benchmarks"


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

    # 2. Variants of every item (incl. question only) and near-miss negatives: a CI test now,
    #    `cargo test -p skypile-filters --test decontam_variants -- --nocapture`.
    print(f"outputs in {tmp}")


if __name__ == "__main__":
    main()
