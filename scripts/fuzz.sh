#!/usr/bin/env bash
# Build one libFuzzer target and run it for a while.
#
#   scripts/fuzz.sh TARGET SECONDS [libFuzzer options...]
#   scripts/fuzz.sh TARGET FILE...        run the target once on each FILE
#   scripts/fuzz.sh list                  the targets
#
# TARGET is rules, predicate, activity, population or price (fuzz/*.c).
# The build (clang, -fsanitize=fuzzer,address,undefined, REMIT_FUZZ=ON) goes
# to $REMIT_FUZZ_BUILD (default build-fuzz/).  The corpus grows in
# $REMIT_FUZZ_BUILD/corpus/TARGET, seeded from fuzz/seeds/TARGET; crashing,
# leaking, timing-out or out-of-memory inputs are kept in
# fuzz/findings/TARGET/ (add each as a regression test in
# tests/test_malformed.c).  The run goes on after a finding (fork mode), so
# one run can collect several; the script then fails, listing them.
# Each run appends "date target seconds wall-seconds new-findings" to
# $REMIT_FUZZ_BUILD/fuzz.log, from which fuzzing hours are counted
# (seconds is libFuzzer's own total; wall-seconds includes its fork-mode
# overhead and the build).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
targets="rules predicate activity population price"
if [ "${1:-}" = list ]; then
	echo "$targets"
	exit 0
fi
if [ $# -lt 2 ]; then
	echo "usage: scripts/fuzz.sh TARGET SECONDS [libFuzzer options] | TARGET FILE... | list" >&2
	exit 2
fi
target=$1
shift
case " $targets " in *" $target "*) ;; *)
	echo "fuzz.sh: unknown target '$target' (one of: $targets)" >&2
	exit 2
	;;
esac
if ! command -v clang >/dev/null; then
	echo "fuzz.sh: clang is needed (scripts/install-deps.sh --with-fuzz)" >&2
	exit 2
fi

build=${REMIT_FUZZ_BUILD:-$root/build-fuzz}
if [ ! -f "$build/CMakeCache.txt" ]; then
	CC=clang cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DREMIT_FUZZ=ON \
		-DREMIT_TESTS=OFF >/dev/null
fi
cmake --build "$build" --target "fuzz_$target" -j"${REMIT_FUZZ_JOBS:-2}" >/dev/null
bin="$build/fuzz/fuzz_$target"

case $target in
rules) dict=rules.dict max_len=16384 ;;
predicate) dict=predicate.dict max_len=4096 ;;
*) dict=csv.dict max_len=16384 ;;
esac
findings="$root/fuzz/findings/$target"
mkdir -p "$findings" "$build/corpus/$target"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# fuzz_rules resolves the relative file names of rule files (include:,
# file:) in fuzz/data; the other targets do not touch files.
if [[ $1 =~ ^[0-9]+$ ]]; then
	seconds=$1
	shift
	before=$(find "$findings" -type f | wc -l)
	marker="$build/.fuzz-start-$target"
	touch "$marker"
	t0=$(date +%s)
	(cd "$root/fuzz/data" && "$bin" -max_total_time="$seconds" -fork=1 -ignore_crashes=1 \
		-ignore_timeouts=1 -ignore_ooms=1 -timeout=10 -rss_limit_mb=2048 \
		-max_len="$max_len" -dict="$root/fuzz/dict/$dict" -print_final_stats=1 \
		-artifact_prefix="$findings/" "$@" "$build/corpus/$target" "$root/fuzz/seeds/$target")
	after=$(find "$findings" -type f | wc -l)
	echo "$(date -u +%FT%TZ) $target $seconds $(($(date +%s) - t0)) $((after - before))" \
		>>"$build/fuzz.log"
	if [ "$after" -gt "$before" ]; then
		echo "fuzz.sh: $((after - before)) new finding(s) in $findings:" >&2
		find "$findings" -type f -newer "$marker" -print >&2 || true
		exit 1
	fi
	echo "fuzz.sh: $target ran ${seconds}s; no findings"
else
	files=()
	for f in "$@"; do files+=("$(realpath "$f")"); done
	cd "$root/fuzz/data" && "$bin" -runs=1 "${files[@]}"
fi
