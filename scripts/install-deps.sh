#!/bin/sh
# Install what remit needs to build and test on Debian/Ubuntu:
# a C compiler, CMake, pkg-config, GMP, libyaml, zlib, Criterion; with
# --with-valgrind also valgrind (the memory check), with --with-fuzz also
# clang and its libFuzzer runtime (scripts/fuzz.sh).  Safe to run again;
# uses sudo when not root.
set -eu
pkgs="build-essential cmake pkg-config libgmp-dev libyaml-dev zlib1g-dev libcriterion-dev"
for arg in "$@"; do
	case $arg in
	--with-valgrind) pkgs="$pkgs valgrind" ;;
	--with-fuzz)
		pkgs="$pkgs clang"
		# Debian 12 ships libFuzzer in libclang-rt-14-dev; elsewhere it
		# comes with clang's own packages
		if apt-cache show libclang-rt-14-dev >/dev/null 2>&1; then
			pkgs="$pkgs libclang-rt-14-dev"
		fi
		;;
	*)
		echo "install-deps.sh: unknown option $arg (--with-valgrind, --with-fuzz)" >&2
		exit 2
		;;
	esac
done
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq $missing
