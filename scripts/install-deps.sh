#!/bin/sh
# Install what remit needs to build and test on Debian/Ubuntu:
# a C compiler, CMake, pkg-config, GMP, libyaml, zlib, Criterion (and
# valgrind for the memory check).  Safe to run again; uses sudo when not root.
set -eu
pkgs="build-essential cmake pkg-config libgmp-dev libyaml-dev zlib1g-dev libcriterion-dev"
[ "${1:-}" = "--with-valgrind" ] && pkgs="$pkgs valgrind"
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
