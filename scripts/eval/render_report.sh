#!/usr/bin/env bash
# Render a run's HTML report to a PNG with headless Chromium (Debian package), to look at it.
#   scripts/eval/render_report.sh OUTPUT_DIR [out.png]
set -euo pipefail
dir=${1:?usage: render_report.sh OUTPUT_DIR [out.png]}
png=${2:-$dir/report.png}
bin=${SKYPILE_BIN:-target/debug/skypile}
[ -f "$dir/report.html" ] || "$bin" report "$dir" >/dev/null
if ! command -v chromium >/dev/null; then
  echo "installing chromium (Debian package)" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$profile" --hide-scrollbars --window-size=1300,${HEIGHT:-6000} \
  --screenshot="$png" "file://$(realpath "$dir/report.html")" 2>/dev/null
echo "$png"
