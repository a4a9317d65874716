#!/usr/bin/env bash
# The quality check set: good kept % and junk dropped % per language, through the production
# pipeline (pipelines/skypile.yaml) on JSONL input, with and without the quality_model step.
#   scripts/models/check_quality.sh [WORK_DIR]        (default target/quality-check)
# The check set is data the model never saw (make_data.py): the held-out fifth of every
# reference file, and junk from other seeds, other template halves and spam phrases absent from
# filters/data/keywords_*.txt. Env: SKYPILE_DATA, SKYPILE (binary), SKYPILE_PYTHON (pyarrow).
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA=${SKYPILE_DATA:-../shared/data}
WORK=${1:-target/quality-check}
SKYPILE=${SKYPILE:-cargo run -q --}
PY=${SKYPILE_PYTHON:-.venv/bin/python}
python3 scripts/models/make_data.py "$DATA/reference" "$WORK/data" >/dev/null
# the same pipeline without the quality_model step (rules, perplexity and the rest stay)
python3 - "$WORK/rules.yaml" <<'PY'
import re, sys
y = open("pipelines/skypile.yaml", encoding="utf-8").read()
y = re.sub(r"  - quality_model:\n(?:      .*\n)+", "", y).replace("../models/", "models/")
open(sys.argv[1], "w", encoding="utf-8").write(y)
PY
for run in without_quality_model with_quality_model; do
  yaml=pipelines/skypile.yaml; [ $run = without_quality_model ] && yaml=$WORK/rules.yaml
  rm -rf "$WORK/out-$run"
  $SKYPILE -q run "$yaml" --input "$WORK/data/check.jsonl" --output "$WORK/out-$run" --tasks 1
  "$PY" scripts/models/score_check.py "$WORK/data/check.jsonl" "$WORK/out-$run" "$run"
done
