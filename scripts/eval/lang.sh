#!/usr/bin/env bash
# Language-ID accuracy (16 lingua languages on >=200-char docs, real zh/en web text, legacy
# charsets), Hans/Hant accuracy and per-doc cost of the lang + zh_variant steps.
# Needs ../shared/data next to the repo; exits 1 when a floor is missed.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo run --release -q -p skypile-lang --example eval_lang "$@"
