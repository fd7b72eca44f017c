#!/usr/bin/env bash
# The tariff benchmark: remit against DuckDB on the same files, same job.
#
#   bench/run.sh [ROWS]        (default 5000000)
#
# Builds remit (Release) and the generator, generates ROWS claims once into
# bench/data/ROWS/ (reused afterwards), installs DuckDB's node package into
# bench/node_modules once, then runs both at 1 and 2 threads, checks that
# the totals per provider are identical to the penny, and prints rows/s,
# wall time, peak RSS and the remit/DuckDB ratio.  Not part of the tests.
set -euo pipefail
cd "$(dirname "$0")"
rows=${1:-5000000}
data=data/$rows
build=../build-bench

cmake -S .. -B "$build" -DCMAKE_BUILD_TYPE=Release -DREMIT_TESTS=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null
cc -O2 -Wall -Wextra -o "$build/gen-claims" gen-claims.c
if [ ! -s "$data/activity.csv" ]; then
	mkdir -p "$data"
	echo "generating $rows rows into bench/$data ..."
	"$build/gen-claims" "$rows" "$data"
fi
[ -d node_modules/@duckdb/node-api ] || npm install --no-audit --no-fund --silent >/dev/null

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# run NAME OUT CMD...: wall seconds and peak RSS (KB) of CMD, its stdout to OUT
run() {
	local out=$1; shift
	/usr/bin/time -f "%e %M" -o "$tmp/time" "$@" >"$out" 2>/dev/null
	cat "$tmp/time"
}

# by_payee from either tool's JSON, one "provider amount" per line, sorted
totals() {
	tr -d ' \n' <"$1" | sed 's/.*"by_payee":{\([^}]*\)}.*/\1/' | tr ',' '\n' | tr -d '"' |
		tr ':' ' ' | sort
}

printf '%-8s %7s %9s %12s %9s %8s\n' tool threads wall_s rows_per_s peak_MB ratio
bytes=$(stat -c %s "$data/activity.csv")
ok=1
for t in 1 2; do
	read -r rw rm < <(run "$tmp/remit.json" "$build/remit" price "$data/regime.yaml" \
		--activity "$data/activity.csv" --json - --quiet --threads "$t")
	read -r dw dm < <(run "$tmp/duck.json" node duckdb-price.mjs "$data" "$t")
	if ! diff <(totals "$tmp/remit.json") <(totals "$tmp/duck.json") >"$tmp/diff"; then
		echo "totals differ at $t threads:"; head "$tmp/diff"; ok=0
	fi
	printf '%-8s %7s %9s %12.0f %9.0f\n' remit "$t" "$rw" "$(echo "$rows / $rw" | bc -l)" \
		"$(echo "$rm / 1024" | bc -l)"
	printf '%-8s %7s %9s %12.0f %9.0f %8.2f\n' duckdb "$t" "$dw" "$(echo "$rows / $dw" | bc -l)" \
		"$(echo "$dm / 1024" | bc -l)" "$(echo "$dw / $rw" | bc -l)"
done
echo "file: $rows rows, $((bytes / 1000000)) MB; ratio = DuckDB wall / remit wall (above 1: remit faster)"
[ $ok = 1 ] && echo "totals per provider: identical to the penny" || exit 1
