#!/bin/sh
# The demo: a synthetic integrated care system (20,000 activity rows, its
# registered population, five providers, two commissioners), priced under
# payment by results and under a capitated budget held by an integrated care
# organisation with a block contract for community services.  Prints who
# gains, who loses and where cost shifts; writes demo/report.html.
# Deterministic: the same files every time.
set -eu
cd "$(dirname "$0")/.."
remit=${REMIT:-build/remit}
"$remit" synth --rows 20000 --seed 7 --out demo >/dev/null
"$remit" compare demo/regimes/pbr.yaml demo/regimes/ico.yaml \
	--activity demo/activity.csv --population demo/population.csv \
	--report demo/report.html --quiet
echo
echo "HTML report with charts: demo/report.html (other regimes in demo/regimes/)"
