#!/usr/bin/env bash
# Run every test of the project: the Rust workspace (unit + integration tiers; the tier that
# uses ../shared/data skips itself when that folder is absent) and the pandas read-back of the
# quickstart output. Installs what the tests need (a Python venv with pyarrow + pandas).
# CI calls exactly this script (.ci/run). One build profile (dev) for everything.
set -euo pipefail
cd "$(dirname "$0")/../.."

VENV=${SKYPILE_VENV:-.venv}
if ! "$VENV/bin/python" -c "import pyarrow, pandas, fasttext, zstandard, moto.server" 2>/dev/null; then
  echo "== setting up $VENV (pyarrow, pandas, fasttext, zstandard, moto) for the read-back, interop and S3 tests"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check pyarrow pandas fasttext-numpy2 zstandard "moto[server]"
fi
export SKYPILE_PYTHON="$PWD/$VENV/bin/python"
export SKYPILE_REQUIRE_PYTHON=1
# Tests that read ../shared/data fail instead of skipping (skypile_core::testdata); run
# `SKYPILE_REQUIRE_DATA=0 scripts/ci/test.sh` on a machine without it.
export SKYPILE_REQUIRE_DATA=${SKYPILE_REQUIRE_DATA:-1}

echo "== cargo test (workspace, dev profile)"
mkdir -p target   # a fresh clone has no target/ until cargo makes it, and tee opens first
set +e
# hf-tokenizer: the optional `tokenizer.hf_json` path (tokenizers crate) is tested too.
cargo test --workspace --features skypile/hf-tokenizer --no-fail-fast 2>&1 | tee target/test.log
status=${PIPESTATUS[0]}
set -e

if [ -x scripts/ci/slurm_test.sh ] && [ "${SKYPILE_SKIP_SLURM:-0}" != 1 ]; then
  echo "== real Slurm test (single-node cluster on 127.0.0.1)"
  scripts/ci/slurm_test.sh || status=1
fi

# One summary line that CI can read.
passed=$(grep -Eo '[0-9]+ passed' target/test.log | awk '{s+=$1} END {print s+0}')
failed=$(grep -Eo '[0-9]+ failed' target/test.log | awk '{s+=$1} END {print s+0}')
# A SKIPPED: line can follow libtest's own output on the same line; none found is not an error.
skipped=$( (grep -o 'SKIPPED: ' target/test.log || true) | wc -l)
echo "tests: $passed passed, $failed failed, $skipped skipped for missing data"
exit "$status"
