#!/bin/bash
# check-files.sh -- the shipped files are valid: every man page renders
# without groff warnings, conf/havm.conf passes `havmd -n`, and the systemd
# unit passes `systemd-analyze verify` (conf/havmd.service.in with its
# ExecStart pointed at the binary just built, not at an installed one).
set -uo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
build=${PWD}
havmd=$build/daemon/havmd
[ -x "$havmd" ] || havmd=$top/daemon/havmd
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "PASS: $*"; }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

for m in "$top"/man/*.[0-9]; do
	if out=$(groff -ww -man -z "$m" 2>&1) && [ -z "$out" ]; then
		ok "man page $(basename "$m") renders cleanly"
	else
		bad "man page $(basename "$m"): $out"
	fi
done

if "$havmd" -n -c "$top/conf/havm.conf"; then ok "conf/havm.conf is valid"; else bad "conf/havm.conf"; fi

if command -v systemd-analyze >/dev/null; then
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	sed "s#@sbindir@/havmd#$havmd#g" "$top/conf/havmd.service.in" >"$tmp/havmd.service"
	mkdir -p "$tmp/man/man8" "$tmp/man/man5"
	cp "$top"/man/*.8 "$tmp/man/man8/"
	cp "$top"/man/*.5 "$tmp/man/man5/"
	if out=$(MANPATH=$tmp/man systemd-analyze verify "$tmp/havmd.service" 2>&1) && [ -z "$out" ]; then
		ok "conf/havmd.service passes systemd-analyze verify"
	else
		bad "conf/havmd.service: $out"
	fi
else
	echo "SKIP: systemd-analyze not installed (apt-get install systemd)"
fi
echo "files: $pass passed, $fail failed"
[ "$fail" = 0 ]
