#!/bin/sh
# check-exports.sh LIBREMIT.so — the shared library must export remit_*
# functions and nothing else (internal remit__ names, the bundled modules
# and every helper stay hidden).  Prints what is wrong; exit 1 if anything.
set -eu
lib=${1:?usage: check-exports.sh path/to/libremit.so}
syms=$(nm -D --defined-only "$lib" | awk '{print $NF}')
[ -n "$syms" ] || { echo "$lib: no exported symbols at all" >&2; exit 1; }
bad=$(printf '%s\n' "$syms" | grep -v '^remit_' || true)
internal=$(printf '%s\n' "$syms" | grep '^remit__' || true)
if [ -n "$bad$internal" ]; then
	echo "$lib exports symbols other than remit_*:" >&2
	printf '%s\n' "$bad" "$internal" | sed '/^$/d; s/^/  /' >&2
	exit 1
fi
n=$(printf '%s\n' "$syms" | wc -l)
for want in remit_version remit_regime_load remit_price_buffers remit_run_new remit_load_plugin \
	remit_register_module; do
	printf '%s\n' "$syms" | grep -qx "$want" || { echo "$lib: $want is not exported" >&2; exit 1; }
done
soname=$(objdump -p "$lib" | awk '/SONAME/ {print $2}')
[ "$soname" = libremit.so.0.2 ] || { echo "$lib: SONAME is '$soname', expected libremit.so.0.2" >&2; exit 1; }
echo "$lib: $n symbols, all remit_*; SONAME $soname"
