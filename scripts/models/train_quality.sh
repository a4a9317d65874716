#!/usr/bin/env bash
# Train the default quality model models/quality_zh_en.bin (data card: models/README.md).
#   scripts/models/train_quality.sh [WORK_DIR]        (default target/quality-model)
# Deterministic: the same reference data, WARCs and code give the same bytes (fixed seed,
# fixed thread count; the training merges thread updates in a fixed order).
# Env: SKYPILE_DATA (default ../shared/data), SKYPILE (the binary; default `cargo run -q --`).
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA=${SKYPILE_DATA:-../shared/data}
WORK=${1:-target/quality-model}
SKYPILE=${SKYPILE:-cargo run -q --}
[ -d "$DATA/reference" ] || { echo "no $DATA/reference: set SKYPILE_DATA" >&2; exit 1; }

# 1. good reference articles (80% of each file) and generated junk (train pool, seed 17)
python3 scripts/models/make_data.py "$DATA/reference" "$WORK/data"
# 2. train; 10% held out (seeded) for the accuracy in models/README.md and threshold tuning.
#    Raw WARC text is NOT a negative: as one, it taught the model "web register = junk" and it
#    dropped 20% of the real pages that pass the rules (models/README.md, "Blind spots").
$SKYPILE train classifier --input "$WORK/data/train.jsonl" \
  --output models/quality_zh_en.bin --holdout 0.1 --seed 1 --threads 2 \
  --dim 16 --bucket 100000 --min-count 2 --word-ngrams 2 --epoch 15 --lr 0.3 | tee "$WORK/train.log"
sha256sum models/quality_zh_en.bin
