#!/bin/bash
# run-cli-tests.sh -- the command lines of havm and havmd: exit codes and
# messages for what needs no running havmd (usage errors, --help,
# --version, havmd -n). havm(8) and havmd(8) document the exit codes:
# 0 ok, 1 error, 2 bad command line.
#
# Nothing here talks to a havmd: every case fails on its command line, or
# reads only files made here. Each run is bounded by timeout(1).
#
# HAVM and HAVMD override the binaries. By default they are those of the
# build tree (the working directory under `make check`, else the tree this
# script sits in). Prints PASS:/FAIL: lines and "cli: N passed, M failed";
# exits 1 if any failed, 99 (automake's hard error) without binaries.
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
for v in HAVM:cli/havm HAVMD:daemon/havmd; do
	name=${v%%:*} rel=${v#*:}
	if [ -z "${!name:-}" ]; then
		if [ -n "${srcdir:-}" ] && [ -x "$rel" ]; then
			printf -v "$name" '%s' "$PWD/$rel"
		else
			printf -v "$name" '%s' "$root/$rel"
		fi
	fi
	if [ ! -x "${!name}" ]; then
		echo "cli: ${!name} not found or not executable: build it first (make) or set $name" >&2
		exit 99
	fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/havm-cli.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT

passed=0
failed=0
pass() {
	echo "PASS: $1"
	passed=$((passed + 1))
}
fail() {
	echo "FAIL: $1"
	failed=$((failed + 1))
}

# run BINARY ARGS...: sets rc, out, err. A hang is exit 124.
run() {
	timeout 10 "$@" </dev/null >"$tmp/out" 2>"$tmp/err"
	rc=$?
	out=$(cat "$tmp/out")
	err=$(cat "$tmp/err")
}

# expect NAME RC [STDOUT-SUBSTRING [STDERR-SUBSTRING]]: of the last run.
expect() {
	local name=$1 want_rc=$2 want_out=${3:-} want_err=${4:-}
	if [ "$rc" != "$want_rc" ]; then
		fail "$name: exit $rc, want $want_rc (stdout: ${out%%$'\n'*}) (stderr: ${err%%$'\n'*})"
	elif [ -n "$want_out" ] && [[ $out != *"$want_out"* ]]; then
		fail "$name: stdout lacks \"$want_out\": $out"
	elif [ -n "$want_err" ] && [[ $err != *"$want_err"* ]]; then
		fail "$name: stderr lacks \"$want_err\": $err"
	else
		pass "$name"
	fi
}

# expect_usage_error NAME ARGS...: havm ARGS exits 2 with a message, prints
# nothing on stdout.
expect_usage_error() {
	local name=$1
	shift
	run "$HAVM" "$@"
	if [ "$rc" = 2 ] && [ -z "$out" ] && [ -n "$err" ]; then
		pass "$name"
	else
		fail "$name: exit $rc, want 2 with a message on stderr only" \
			"(stdout: ${out%%$'\n'*}) (stderr: ${err%%$'\n'*})"
	fi
}

# ---- havm: its own options ---------------------------------------------------

run "$HAVM"
expect "havm without a command: exit 2, usage on stderr" 2 "" "Usage: havm"
run "$HAVM" -h
expect "havm -h: usage on stdout, exit 0" 0 "Usage: havm"
run "$HAVM" --help
expect "havm --help: usage on stdout, exit 0" 0 "Usage: havm"
run "$HAVM" -V
expect "havm -V: the version, exit 0" 0 "havm "
run "$HAVM" --version
expect "havm --version: the version, exit 0" 0 "havm "

# havm(8): an unexpected argument is exit 2, also after an option that
# would otherwise end the run at once.
for opt in -V --version -h --help; do
	run "$HAVM" "$opt" extra
	expect "havm $opt extra: exit 2, the argument named" 2 "" \
		'havm: unexpected argument "extra"'
	[ -z "$out" ] && pass "havm $opt extra: nothing on stdout" ||
		fail "havm $opt extra: printed on stdout: ${out%%$'\n'*}"
done
run "$HAVM" -V -h
expect "havm -V -h: exit 2" 2 "" 'unexpected argument "-h"'

run "$HAVM" bogus
expect "havm bogus: exit 2, unknown command" 2 "" 'havm: unknown command "bogus"'

# ---- havm: commands' arguments ---------------------------------------------

expect_usage_error "havm status extra: exit 2" status extra
expect_usage_error "havm status --bogus: exit 2" status --bogus
expect_usage_error "havm node: exit 2" node
expect_usage_error "havm node list extra: exit 2" node list extra
expect_usage_error "havm node fence without a node: exit 2" node fence
expect_usage_error "havm node fence a b: exit 2" node fence a b
expect_usage_error "havm fence: exit 2" fence
expect_usage_error "havm fence bogus: exit 2" fence bogus
expect_usage_error "havm fence history extra: exit 2" fence history extra
expect_usage_error "havm fence check without a node: exit 2" fence check
expect_usage_error "havm fence check a b: exit 2" fence check a b
expect_usage_error "havm debug: exit 2" debug
expect_usage_error "havm debug dump extra: exit 2" debug dump extra
expect_usage_error "havm storage: exit 2" storage
expect_usage_error "havm storage init extra: exit 2" storage init extra
expect_usage_error "havm storage init --bogus: exit 2" storage init --bogus

for cmd in status node fence debug storage; do
	run "$HAVM" "$cmd" --help
	expect "havm $cmd --help: usage on stdout, exit 0" 0 "Usage: havm $cmd"
done

# ---- havmd -------------------------------------------------------------------

run "$HAVMD" -V
expect "havmd -V: the version, exit 0" 0 "havmd "
run "$HAVMD" -h
expect "havmd -h: usage on stdout, exit 0" 0 "Usage: havmd"
for opt in -V --version -h --help; do
	run "$HAVMD" "$opt" extra
	expect "havmd $opt extra: exit 2, the argument named" 2 "" \
		'havmd: unexpected argument "extra"'
	[ -z "$out" ] && pass "havmd $opt extra: nothing on stdout" ||
		fail "havmd $opt extra: printed on stdout: ${out%%$'\n'*}"
done
run "$HAVMD" -n -c "$root/conf/havm.conf" extra
expect "havmd -n -c FILE extra: exit 2" 2 "" 'havmd: unexpected argument "extra"'
run "$HAVMD" --bogus
expect "havmd --bogus: exit 2" 2 "" "Usage: havmd"
run "$HAVMD" -n -c "$root/conf/havm.conf"
expect "havmd -n on the shipped configuration: exit 0" 0

echo "cli: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
