#!/usr/bin/env bash
# A profile-guided (PGO) Release build of remit, with GCC:
#
#   scripts/pgo-build.sh [BUILD_DIR]        (default build-pgo)
#
#  1. builds remit instrumented (-DREMIT_PGO=generate) into BUILD_DIR;
#  2. trains it on data made for the purpose, not on any file it will be
#     measured on: 400,000 claims from bench/gen-claims.c (its own seed)
#     under the bench's tariff job, at 1 and 2 threads, totals and lines;
#     and 100,000 `remit synth` rows under every synth regime and compare;
#  3. builds again in the same directory with the profiles
#     (-DREMIT_PGO=use).
#
# The result is BUILD_DIR/remit (and the libraries).  The outputs are those
# of any other build, to the byte: only code layout and inlining change.
# bench/README.md says what it buys.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(realpath -m "${1:-$root/build-pgo}")
train=$build/train
profiles=$build/pgo

cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DREMIT_TESTS=OFF \
	-DREMIT_PGO=generate -DREMIT_PGO_DIR="$profiles" >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null
rm -rf "$profiles" "$train"
mkdir -p "$train"

cc -O2 -Wall -Wextra -o "$train/gen-claims" "$root/bench/gen-claims.c"
mkdir -p "$train/claims"
"$train/gen-claims" 400000 "$train/claims" 7 >/dev/null
"$build/remit" synth --rows 100000 --out "$train/synth" --quiet

remit=$build/remit
for t in 1 2; do
	"$remit" price "$train/claims/regime.yaml" --activity "$train/claims/activity.csv" \
		--json /dev/null --quiet --threads "$t"
	"$remit" price "$train/claims/regime.yaml" --activity "$train/claims/activity.csv" \
		--lines /dev/null --quiet --threads "$t"
	for regime in pbr pbr-bundle pbr-yoc ico; do
		"$remit" price "$train/synth/regimes/$regime.yaml" \
			--activity "$train/synth/activity.csv" \
			--population "$train/synth/population.csv" --json /dev/null --quiet \
			--threads "$t"
	done
done >/dev/null
"$remit" compare "$train/synth/regimes/pbr.yaml" "$train/synth/regimes/pbr-bundle.yaml" \
	"$train/synth/regimes/pbr-yoc.yaml" --activity "$train/synth/activity.csv" \
	--population "$train/synth/population.csv" --json /dev/null >/dev/null

cmake -S "$root" -B "$build" -DREMIT_PGO=use >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null
rm -rf "$train"
echo "$build/remit: built with the profiles in $profiles"
