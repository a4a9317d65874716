#!/usr/bin/env bash
# Trains the shipped n-gram models models/lm_zh.bin and models/lm_en.bin for the `perplexity`
# step from ../shared/data/reference (clean zh + en prose, licences in its SOURCES.md), holding
# out every 10th paragraph of each file, then prints the calibration on that held-out text vs
# generated junk (fixed seed) and on real web articles (extraction gold, never trained on).
# Regenerating gives byte-identical files. The numbers in models/README.md come from this.
#   scripts/models/train_lm.sh            # dev profile
#   RELEASE=1 scripts/models/train_lm.sh  # release profile
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA=../shared/data
[ -d $DATA/reference ] || { echo "skipping: $DATA/reference not found"; exit 0; }
PROFILE=()
[ "${RELEASE:-0}" = 1 ] && PROFILE=(--release)
cargo build -q "${PROFILE[@]}" --bin skypile
BIN=${CARGO_TARGET_DIR:-target}/$([ "${RELEASE:-0}" = 1 ] && echo release || echo debug)/skypile
E=$DATA/extraction

# Chinese: characters, 5-grams, trigrams and longer seen once pruned.
$BIN train lm --lang zh --order 5 --prune 0,0,1 --calibrate \
  --input $DATA/reference/zh/*.txt \
  --check-dir $E/zh-web-content-extraction/cleaned \
  -o models/lm_zh.bin
# English: words, 4-grams, trigrams and longer seen once pruned.
$BIN train lm --lang en --order 4 --prune 0,0,1 --calibrate \
  --input $DATA/reference/en/*.txt \
  --check-dir $E/en-cleaneval-dev/GoldStandard $E/en-dragnet-sample/GoldStandard \
  -o models/lm_en.bin
sha256sum models/lm_zh.bin models/lm_en.bin
