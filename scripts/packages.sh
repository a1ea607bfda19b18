#!/bin/bash
# packages.sh -- the release checks, each bounded by timeout(1):
#   1. make distcheck: the tarball holds everything, builds out of tree
#      from a read-only copy, passes make check, installs and uninstalls
#      under a scratch prefix;
#   2. the Debian packages (debian/) built with dpkg-buildpackage -us -uc -b
#      from that very tarball, in a scratch directory, never in this tree;
#   3. lintian on them: an error fails, warnings are printed only.
# Run from a configured tree (scripts/build.sh) as root on Debian 12, with
# scripts/deps.sh's packages. Prints PASS:/FAIL: per step and "packages: N
# passed, M failed"; exits 1 if any failed.
#
# packages.sh DIR also leaves the .deb files in DIR (README: "Installing
# from packages"). PKG_CHECK=1 runs make check in the package build too;
# by default it is skipped there (DEB_BUILD_OPTIONS=nocheck), because
# distcheck has just run the same tests on the same tarball.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
out=${1:-}
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "PASS: $*"; }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
# Bounds (timeout's seconds below): 300, 240 and 120, where 2 cores take
# about 60, 20 and 5; the margin is for a loaded CI machine, not a hang.
run() { timeout --kill-after=10s "$@"; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/havm-packages.XXXXXX") || exit 1
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
[ -f Makefile ] || { bad "no Makefile: run scripts/build.sh first"; exit 1; }
version=$(sed -n 's/^PACKAGE_VERSION = //p' Makefile)

start=$SECONDS
if run 300 make -j"$(nproc)" distcheck >"$tmp/distcheck.log" 2>&1 &&
	[ -f "havm-$version.tar.gz" ]; then
	ok "make distcheck ($((SECONDS - start)) s)"
else
	bad "make distcheck ($((SECONDS - start)) s):"
	tail -40 "$tmp/distcheck.log"
fi

# The tarball as a Debian upstream tarball, with debian/ of this tree.
debs=()
if [ -f "havm-$version.tar.gz" ]; then
	mv "havm-$version.tar.gz" "$tmp/havm_$version.orig.tar.gz"
	tar -C "$tmp" -xzf "$tmp/havm_$version.orig.tar.gz"
	cp -a debian "$tmp/havm-$version/"
	start=$SECONDS
	opts="parallel=$(nproc)"
	[ "${PKG_CHECK:-0}" = 1 ] || opts="$opts nocheck"
	if (cd "$tmp/havm-$version" &&
		DEB_BUILD_OPTIONS=$opts run 240 dpkg-buildpackage -us -uc -b) \
		>"$tmp/build.log" 2>&1; then
		ok "dpkg-buildpackage -us -uc -b ($((SECONDS - start)) s)"
		debs=("$tmp"/*.deb)
		for d in "${debs[@]}"; do echo "  $(basename "$d")"; done
	else
		bad "dpkg-buildpackage -us -uc -b ($((SECONDS - start)) s):"
		tail -40 "$tmp/build.log"
	fi
else
	bad "dpkg-buildpackage: no tarball from make distcheck"
fi

if [ ${#debs[@]} -gt 0 ]; then
	start=$SECONDS
	if run 120 lintian --fail-on error --tag-display-limit 0 "$tmp"/havm_*.changes \
		>"$tmp/lintian.log" 2>&1; then
		ok "lintian: no errors, $(grep -c '^W: ' "$tmp/lintian.log") warnings ($((SECONDS - start)) s)"
	else
		bad "lintian ($((SECONDS - start)) s):"
	fi
	sed 's/^/  /' "$tmp/lintian.log"
	if [ -n "$out" ]; then
		mkdir -p "$out" && cp "${debs[@]}" "$out/" && echo "packages: .deb files in $out"
	fi
else
	bad "lintian: no packages to check"
fi

echo "packages: $pass passed, $fail failed"
[ "$fail" = 0 ]
