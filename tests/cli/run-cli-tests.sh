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

# VM commands: usage errors need no havmd (nor a havm.conf).
expect_usage_error "havm vm: exit 2" vm
expect_usage_error "havm vm bogus: exit 2" vm bogus
expect_usage_error "havm vm add without a name: exit 2" vm add
expect_usage_error "havm vm add without --xml: exit 2" vm add web1
expect_usage_error "havm vm add --xml relative: exit 2" vm add web1 --xml web1.xml
expect_usage_error "havm vm add bad name: exit 2" vm add -web1 --xml /x.xml
expect_usage_error "havm vm add 48-character name: exit 2" vm add \
	aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa --xml /x.xml
expect_usage_error "havm vm add --priority 5000: exit 2" vm add web1 --xml /x.xml --priority 5000
expect_usage_error "havm vm add --priority 01: exit 2" vm add web1 --xml /x.xml --priority 01
expect_usage_error "havm vm add --max-restarts abc: exit 2" vm add web1 --xml /x.xml --max-restarts abc
expect_usage_error "havm vm add --restart-window 0: exit 2" vm add web1 --xml /x.xml --restart-window 0
expect_usage_error "havm vm add --prefer a,,b: exit 2" vm add web1 --xml /x.xml --prefer a,,b
expect_usage_error "havm vm add --bogus: exit 2" vm add web1 --xml /x.xml --bogus
expect_usage_error "havm vm add extra: exit 2" vm add web1 --xml /x.xml extra
expect_usage_error "havm vm remove without a name: exit 2" vm remove
expect_usage_error "havm vm remove a b: exit 2" vm remove a b
expect_usage_error "havm vm start bad name: exit 2" vm start "a b"
expect_usage_error "havm vm stop without a name: exit 2" vm stop
expect_usage_error "havm vm show without a name: exit 2" vm show
expect_usage_error "havm vm list extra: exit 2" vm list extra
expect_usage_error "havm vm migrate without a node: exit 2" vm migrate web1
expect_usage_error "havm vm migrate a b c: exit 2" vm migrate a b c
expect_usage_error "havm configure: exit 2" configure
expect_usage_error "havm configure bogus: exit 2" configure bogus
expect_usage_error "havm configure show extra: exit 2" configure show extra
expect_usage_error "havm configure load without a file: exit 2" configure load
expect_usage_error "havm plan without --fail: exit 2" plan
expect_usage_error "havm plan --fail without hosts: exit 2" plan --fail
expect_usage_error "havm plan extra: exit 2" plan --fail node1 extra
for c in "vm" "vm add" "vm migrate" "configure" "plan"; do
	# shellcheck disable=SC2086 # the command's words
	run "$HAVM" $c --help
	expect "havm $c --help: usage on stdout, exit 0" 0 "Usage: havm"
done

expect_usage_error "havm events extra: exit 2" events extra
expect_usage_error "havm events --bogus: exit 2" events --bogus
expect_usage_error "havm events -n without a value: exit 2" events -n
# -n: a whole number of events from 1 to 1000, nothing else.
for n in abc 0 -5 1001 99999999999 "" +5 " 5" 5x 1.5 0x10; do
	run "$HAVM" events -n "$n"
	expect "havm events -n \"$n\": exit 2, the value named" 2 "" \
		"havm: invalid value for -n \"$n\": give a number of events from 1 to 1000"
	[ -z "$out" ] || fail "havm events -n \"$n\": printed on stdout: ${out%%$'\n'*}"
done
run "$HAVM" events --json -n 0
expect "havm events --json -n 0: exit 2" 2 "" "invalid value for -n"

for cmd in status node fence events debug storage; do
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

# ---- hostile arguments -------------------------------------------------------

# An argument quoted back in a message is escaped (\xNN, \" and \\): no
# control byte, nor any byte outside printable ASCII, reaches the terminal.
# clean NAME: the last run's stdout and stderr hold none.
clean() {
	local f n
	for f in "$tmp/out" "$tmp/err"; do
		n=$(LC_ALL=C tr -d '\n\040-\176' <"$f" | wc -c)
		if [ "$n" != 0 ]; then
			fail "$1: $n raw byte(s) in ${f##*/}: $(od -An -c "$f" | head -3 | tr -s ' \n' ' ')"
			return
		fi
	done
	pass "$1"
}

esc=$'\x01\x1b[31m\xff'
shown='\x01\x1b[31m\xff'
hostile() {
	local name=$1 want_rc=$2 want_err=$3
	shift 3
	run "$@"
	expect "$name: exit $want_rc, quoted escaped" "$want_rc" "" "$want_err"
	clean "$name: no raw byte in the output"
}
hostile "havm CMD" 2 "havm: unknown command \"$shown\"" "$HAVM" "$esc"
hostile "havm -V ARG" 2 "havm: unexpected argument \"$shown\"" "$HAVM" -V "$esc"
hostile "havm status ARG" 2 "havm: unexpected argument \"$shown\"" "$HAVM" status "$esc"
hostile "havm status --OPT" 2 "havm: invalid option \"--$shown\"" "$HAVM" status "--$esc"
hostile "havm status -X" 2 'havm: invalid option "-\x01"' "$HAVM" status $'-\x01'
hostile "havm node CMD" 2 "havm: unknown node command \"$shown\"" "$HAVM" node "$esc"
hostile "havm fence CMD" 2 "havm: unknown fence command \"$shown\"" "$HAVM" fence "$esc"
hostile "havm fence history ARG" 2 "havm: unexpected argument \"$shown\"" \
	"$HAVM" fence history "$esc"
hostile "havm fence check --OPT" 2 "havm: invalid option \"--$shown\"" \
	"$HAVM" fence check "--$esc" kvm1
hostile "havm fence check -c FILE" 1 "havm: /nonexistent/$shown: cannot read" \
	"$HAVM" fence check -c "/nonexistent/$esc" kvm1
hostile "havm fence check NODE" 1 "havm: no host \"$shown\" in $root/conf/havm.conf" \
	"$HAVM" fence check -c "$root/conf/havm.conf" "$esc"
hostile "havm events -n ARG" 2 "havm: invalid value for -n \"$shown\"" "$HAVM" events -n "$esc"
hostile "havm storage CMD" 2 "havm: unknown storage command \"$shown\"" "$HAVM" storage "$esc"
hostile "havm storage init ARG" 2 "havm: unexpected argument \"$shown\"" \
	"$HAVM" storage init "$esc"
hostile "havm storage init -c FILE" 1 "havm: /nonexistent/$shown: cannot read" \
	"$HAVM" storage init -c "/nonexistent/$esc"
hostile "havmd ARG" 2 "havmd: unexpected argument \"$shown\"" "$HAVMD" "$esc"
hostile "havmd --OPT" 2 "havmd: invalid option \"--$shown\"" "$HAVMD" "--$esc"
hostile "havmd -X" 2 'havmd: invalid option "-\x01"' "$HAVMD" $'-\x01'
hostile "havmd -n -c FILE" 1 "havmd: /nonexistent/$shown: cannot read" \
	"$HAVMD" -n -c "/nonexistent/$esc"
# A file that exists under such a name: its errors carry the name escaped too.
cp "$root/conf/havm.conf" "$tmp/$esc.conf"
printf 'bogus = 1;\n' >>"$tmp/$esc.conf"
hostile "havmd -n on a file of that name" 1 "havmd: $tmp/$shown.conf:" \
	"$HAVMD" -n -c "$tmp/$esc.conf"

echo "cli: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
