#!/usr/bin/env bash
# The benchmark: remit against DuckDB on the same files, same job, then
# remit alone on the other scenarios of issue 6.
#
#   bench/run.sh [ROWS]        (default 5000000; ROUNDS=N, default 5)
#
# Builds remit (Release, and a profile-guided build of it with
# scripts/pgo-build.sh unless PGO=0) and the generator, generates ROWS claims once into
# bench/data/ROWS/ (reused afterwards), installs DuckDB's node package into
# bench/node_modules once, then:
#
#  1. the tariff job (tariff + long stay + MFF, totals per provider): remit
#     and DuckDB at 1 and 2 threads, ROUNDS times each, interleaved (a round
#     runs every tool once); the totals per provider must be identical to
#     the penny in every run; the best and the median wall time, rows/s
#     (at the best), peak RSS (the greatest) and the remit/DuckDB ratio
#     (DuckDB wall / remit wall: above 1, remit is faster) of the bests and
#     of the medians, for the Release build and the PGO one;
#  2. the same job writing every line (--lines to a file), at 1 and 2
#     threads (the two files must be byte-identical);
#     the same job read from a gzip copy of the claims (gzip -6, made once),
#     remit and DuckDB at 1 and 2 threads, one run each (the totals must
#     agree): a gzip stream is read in one piece, and remit's second thread
#     inflates it ahead of the first;
#     the same job read by remit through a pipe (cat FILE |), at 1 and 2
#     threads (totals as DuckDB's): a pipe, like gzip, cannot be read
#     again, so remit copies it to a temporary file as it reads;
#  3. `remit synth` data (SYNTH_ROWS rows, default min(ROWS, 1000000)) under
#     its regimes with a bundle, a year of care and a capitation budget (a
#     population), and `remit compare` of three regimes, at 1 and 2 threads
#     (the JSON must be byte-identical).
#
# Not part of the tests.  Wall time includes process start and loading the
# regime; DuckDB's includes starting node.
set -euo pipefail
cd "$(dirname "$0")"
rows=${1:-5000000}
data=data/$rows
build=../build-bench
synth_rows=${SYNTH_ROWS:-$((rows < 1000000 ? rows : 1000000))}
synth=data/synth-$synth_rows

cmake -S .. -B "$build" -DCMAKE_BUILD_TYPE=Release -DREMIT_TESTS=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null
pgo=../build-bench-pgo
builds=remit # the builds measured: remit, and pgo unless PGO=0
if [ "${PGO:-1}" = 1 ]; then
	builds="remit pgo"
	echo "building remit with profiles (scripts/pgo-build.sh) ..."
	../scripts/pgo-build.sh "$pgo" >/dev/null
fi
cc -O2 -Wall -Wextra -o "$build/gen-claims" gen-claims.c
if [ ! -s "$data/activity.csv" ]; then
	mkdir -p "$data"
	echo "generating $rows rows into bench/$data ..."
	"$build/gen-claims" "$rows" "$data"
fi
if [ ! -s "$synth/activity.csv" ]; then
	echo "generating $synth_rows synthetic rows into bench/$synth ..."
	"$build/remit" synth --rows "$synth_rows" --out "$synth" --quiet
fi
[ -d node_modules/@duckdb/node-api ] || npm install --no-audit --no-fund --silent >/dev/null

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# run OUT CMD...: wall seconds and peak RSS (KB) of CMD, its stdout to OUT
run() {
	local out=$1; shift
	/usr/bin/time -f "%e %M" -o "$tmp/time" "$@" >"$out" 2>"$tmp/stderr" ||
		{ cat "$tmp/stderr" >&2; return 1; }
	cat "$tmp/time"
}

# by_payee from either tool's JSON, one "provider amount" per line, sorted
totals() {
	tr -d ' \n' <"$1" | sed 's/.*"by_payee":{\([^}]*\)}.*/\1/' | tr ',' '\n' | tr -d '"' |
		tr ':' ' ' | sort
}

# line NAME THREADS WALL MEDIAN RSS_KB ROWS [RATIO [RATIO_MEDIAN]]
line() {
	printf '%-22s %7s %7s %8s %12.0f %8.0f %7s %7s\n' "$1" "$2" "$3" "$4" \
		"$(echo "$6 / $3" | bc -l)" "$(echo "$5 / 1024" | bc -l)" "${7:-}" "${8:-}"
}

# best / median / most of the numbers on stdin, one a line
best() { sort -n | head -1; }
median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
most() { sort -n | tail -1; }

echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
rounds=${ROUNDS:-5}
echo "tariff jobs: best and median of $rounds interleaved rounds; the others: one run"
printf '%-22s %7s %7s %8s %12s %8s %7s %7s\n' job threads best_s median_s rows_per_s peak_MB ratio \
	ratio_md
bytes=$(stat -c %s "$data/activity.csv")
ok=1
# tariff BIN THREADS JSON: wall and RSS of BIN's tariff job
tariff() {
	run "$3" "$1" price "$data/regime.yaml" --activity "$data/activity.csv" --json - --quiet \
		--threads "$2"
}
# ratio DUCK_WALL REMIT_WALL
ratio() { printf '%.2f' "$(echo "$1 / $2" | bc -l)"; }
declare -A dir=([remit]=$build [pgo]=$pgo) name=([remit]="tariff: remit" [pgo]="tariff: remit PGO")
for t in 1 2; do
	for b in $builds duck; do : >"$tmp/walls-$b" && : >"$tmp/rss-$b"; done
	for ((k = 0; k < rounds; k++)); do
		for b in $builds duck; do
			if [ "$b" = duck ]; then
				read -r w m < <(run "$tmp/$b.json" node duckdb-price.mjs "$data" "$t")
			else
				read -r w m < <(tariff "${dir[$b]}/remit" "$t" "$tmp/$b.json")
			fi
			echo "$w" >>"$tmp/walls-$b"
			echo "$m" >>"$tmp/rss-$b"
		done
		for b in $builds; do
			if ! diff <(totals "$tmp/$b.json") <(totals "$tmp/duck.json") >"$tmp/diff"; then
				echo "$b: totals differ at $t threads:"; head "$tmp/diff"; ok=0
			fi
		done
	done
	declare -A wb=() wm=()
	for b in $builds duck; do
		wb[$b]=$(best <"$tmp/walls-$b")
		wm[$b]=$(median <"$tmp/walls-$b")
	done
	for b in $builds; do
		line "${name[$b]}" "$t" "${wb[$b]}" "${wm[$b]}" "$(most <"$tmp/rss-$b")" "$rows" \
			"$(ratio "${wb[duck]}" "${wb[$b]}")" "$(ratio "${wm[duck]}" "${wm[$b]}")"
	done
	line "tariff: duckdb" "$t" "${wb[duck]}" "${wm[duck]}" "$(most <"$tmp/rss-duck")" "$rows"
done
for t in 1 2; do
	read -r w m < <(run /dev/null "$build/remit" price "$data/regime.yaml" \
		--activity "$data/activity.csv" --lines "$tmp/lines-$t.csv" --quiet --threads "$t")
	line "tariff --lines: remit" "$t" "$w" - "$m" "$rows"
done
cmp -s "$tmp/lines-1.csv" "$tmp/lines-2.csv" || { echo "lines differ between 1 and 2 threads"; ok=0; }
rm -f "$tmp"/lines-*.csv
if [ ! -s "$data/activity.csv.gz" ]; then
	echo "compressing bench/$data/activity.csv (gzip -6) ..."
	gzip -6 -c "$data/activity.csv" >"$data/activity.csv.gz.part"
	mv "$data/activity.csv.gz.part" "$data/activity.csv.gz"
fi
for t in 1 2; do
	read -r wr mr < <(run "$tmp/gz.json" "$build/remit" price "$data/regime.yaml" \
		--activity "$data/activity.csv.gz" --json - --quiet --threads "$t")
	read -r wd md < <(run "$tmp/gzduck.json" node duckdb-price.mjs "$data" "$t" activity.csv.gz)
	line "tariff .gz: remit" "$t" "$wr" - "$mr" "$rows" "$(ratio "$wd" "$wr")"
	line "tariff .gz: duckdb" "$t" "$wd" - "$md" "$rows"
	diff -q <(totals "$tmp/gz.json") <(totals "$tmp/gzduck.json") >/dev/null ||
		{ echo "gzip: totals differ at $t threads"; ok=0; }
done
for t in 1 2; do
	read -r w m < <(run "$tmp/pipe.json" "$build/remit" price "$data/regime.yaml" \
		--activity /dev/stdin --json - --quiet --threads "$t" < <(cat "$data/activity.csv"))
	line "tariff pipe: remit" "$t" "$w" - "$m" "$rows"
	diff -q <(totals "$tmp/pipe.json") <(totals "$tmp/duck.json") >/dev/null ||
		{ echo "pipe: totals differ at $t threads"; ok=0; }
done
# both_threads NAME CMD...: CMD (its stdout kept) at 1 and 2 threads, a line
# each; the two outputs must be byte-identical
both_threads() {
	local name=$1 t w m; shift
	for t in 1 2; do
		read -r w m < <(run "$tmp/both-$t" "$@" --quiet --threads "$t")
		line "$name" "$t" "$w" - "$m" "$synth_rows"
	done
	cmp -s "$tmp/both-1" "$tmp/both-2" ||
		{ echo "$name: the output differs between 1 and 2 threads"; ok=0; }
}
for regime in pbr-bundle pbr-yoc ico; do
	both_threads "synth $regime" "$build/remit" price "$synth/regimes/$regime.yaml" \
		--activity "$synth/activity.csv" --population "$synth/population.csv" --json -
done
both_threads "synth compare x3" "$build/remit" compare "$synth/regimes/pbr.yaml" \
	"$synth/regimes/pbr-bundle.yaml" "$synth/regimes/pbr-yoc.yaml" \
	--activity "$synth/activity.csv" --population "$synth/population.csv" --json -
echo "file: $rows rows, $((bytes / 1000000)) MB; ratio (on remit's lines) = DuckDB wall / that remit's wall (above 1: remit faster), of the bests; ratio_md of the medians"
[ $ok = 1 ] && echo "totals per provider: identical to the penny; outputs identical at 1 and 2 threads" ||
	exit 1
