#!/bin/sh
# Render a `remit compare --report` page with headless Chromium to a PNG, to
# look at it (Debian: apt-get install chromium).
# Usage: scripts/screenshot-report.sh report.html out.png [width] [height]
set -eu
html=$(realpath "$1")
out=$2
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
	--disable-background-networking --disable-component-update --disable-sync \
	--user-data-dir="$profile" --window-size="${3:-1200},${4:-1800}" \
	--screenshot="$(realpath -m "$out")" "file://$html" 2>/dev/null
test -s "$out" && echo "wrote $out"
