#!/usr/bin/env bash
# The test suites under valgrind memcheck: every test process (Criterion
# forks one per test) and every `remit` the CLI tests start, with leak
# checking.  Any memory error or definite/indirect leak fails the suite.
#
#   scripts/valgrind.sh [SUITE...]     default: every suite but test_threads
#
# SUITE is a test binary's name (test_cli, ...).  test_threads prices a
# 150,000-row file a dozen times through the CLI: under valgrind that is
# most of an hour, and its code paths are those of the other suites at
# smaller sizes (ASan and UBSan run it in CI); name it to include it.
# The build (Debug, no sanitizer) goes to $REMIT_VALGRIND_BUILD (default
# build-valgrind/).  Each suite's valgrind output is in
# $REMIT_VALGRIND_BUILD/valgrind/SUITE.log.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=${REMIT_VALGRIND_BUILD:-$root/build-valgrind}
if ! command -v valgrind >/dev/null; then
	echo "valgrind.sh: valgrind is needed (apt-get install valgrind)" >&2
	exit 2
fi
if [ ! -f "$build/CMakeCache.txt" ]; then
	cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Debug >/dev/null
fi
cmake --build "$build" -j"${REMIT_VALGRIND_JOBS:-2}" >/dev/null

if [ $# -gt 0 ]; then
	suites=("$@")
else
	suites=()
	for t in "$build"/test_*; do
		name=$(basename "$t")
		[ "$name" = test_threads ] || suites+=("$name")
	done
fi

# What CTest sets for the suites (CMakeLists.txt, REMIT_TEST_ENV).
export REMIT_BIN=$build/remit REMIT_SRC=$root REMIT_PLUGINS=$build/plugins
# Everything runs some 30 times slower: a test that depends on timing
# (interrupting a run 0.3 s in) skips itself.
export REMIT_TEST_SLOW=1
mkdir -p "$build/valgrind"
failed=()
for s in "${suites[@]}"; do
	log=$build/valgrind/$s.log
	t0=$(date +%s)
	if (cd "$root/tests" && valgrind --error-exitcode=99 --leak-check=full \
		--show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
		--trace-children=yes --track-origins=no --log-file="$log.%p" \
		"$build/$s" --jobs 1 >"$log.out" 2>&1); then
		status=ok
	else
		status=FAILED
		failed+=("$s")
	fi
	# one log per process: keep those that report something
	errors=0
	for f in "$log".[0-9]*; do
		if grep -qE "ERROR SUMMARY: [1-9]|definitely lost: [1-9]|indirectly lost: [1-9]" "$f"; then
			cat "$f" >>"$log"
			errors=$((errors + 1))
		fi
		rm -f "$f"
	done
	[ "$errors" -eq 0 ] || { status=FAILED; [[ " ${failed[*]} " == *" $s "* ]] || failed+=("$s"); }
	printf '%-16s %-6s %4ss  %s\n' "$s" "$status" "$(($(date +%s) - t0))" \
		"$(grep -o 'Synthesis: .*' "$log.out" | tail -1)"
done
if [ ${#failed[@]} -gt 0 ]; then
	echo "valgrind.sh: failed: ${failed[*]} (see $build/valgrind/)" >&2
	exit 1
fi
echo "valgrind.sh: every suite clean"
