#!/bin/bash
# run-golden.sh: golden tests of havm.conf checking, through `havmd -n`.
#
#   good/NAME.conf   must load: exit 0, nothing on stderr
#   bad/NAME.err     the one line havmd must print for bad/NAME.conf, exit 1;
#                    @FILE@ stands for the path of the file, which differs
#                    between machines. A .err without its .conf tests a file
#                    that does not exist.
#   conf/havm.conf   the shipped example must load too
#   special files    that git cannot hold (a FIFO, a device) are made here
#                    and must be refused at once
#
# Every run of havmd is bounded by timeout(1): a havmd that hangs on its
# input fails its case instead of hanging make check.
# HAVMD overrides the binary. By default it is daemon/havmd of the build
# tree: under `make check` (srcdir set) that is the working directory,
# otherwise the tree this script sits in. Exit 0 if all pass, 1 if any
# fails, 99 (automake's hard error) if there is nothing to test with.
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
if [ -z "${HAVMD:-}" ]; then
	if [ -n "${srcdir:-}" ] && [ -x daemon/havmd ]; then
		HAVMD=$PWD/daemon/havmd
	else
		HAVMD=$root/daemon/havmd
	fi
fi
if [ ! -x "$HAVMD" ]; then
	echo "golden: $HAVMD not found or not executable: build it first (make) or set HAVMD" >&2
	exit 99
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/havm-golden.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT

passed=0
failed=0

pass() {
	echo "PASS: $1"
	passed=$((passed + 1))
}

# fail NAME REASON [DIFF-FILE]: one FAIL line, then the diff indented.
fail() {
	echo "FAIL: $1 ($2)"
	if [ -n "${3:-}" ]; then
		sed 's/^/    /' "$3"
	fi
	failed=$((failed + 1))
}

# check NAME FILE WANT-RC WANT-STDERR-FILE [TIMEOUT-SECONDS]
check() {
	local name=$1 file=$2 want_rc=$3 want=$4 limit=${5:-10} rc
	timeout "$limit" "$HAVMD" -n -c "$file" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" -eq 124 ]; then
		fail "$name" "hung: killed after $limit s"
	elif ! diff -u --label expected --label actual "$want" "$tmp/err" >"$tmp/diff"; then
		fail "$name" "exit $rc, stderr differs" "$tmp/diff"
	elif [ "$rc" -ne "$want_rc" ]; then
		fail "$name" "exit $rc, expected $want_rc"
	else
		pass "$name"
	fi
}

: >"$tmp/empty"
for f in "$here"/good/*.conf "$root/conf/havm.conf"; do
	name=${f#"$here"/}
	name=${name%.conf}
	[ "$f" = "$root/conf/havm.conf" ] && name=conf/havm.conf
	if [ ! -e "$f" ]; then
		fail "$name" "missing"
		continue
	fi
	check "$name" "$f" 0 "$tmp/empty"
done

for f in "$here"/bad/*.conf; do
	base=${f##*/}
	[ -e "${f%.conf}.err" ] || fail "bad/${base%.conf}" "no ${base%.conf}.err beside it"
done
for e in "$here"/bad/*.err; do
	name=bad/$(basename "$e" .err)
	f=${e%.err}.conf
	want=$(<"$e")
	# Quoted replacement: bash 5.2 would otherwise expand & in it.
	printf '%s\n' "${want//@FILE@/"$f"}" >"$tmp/want"
	check "$name" "$f" 1 "$tmp/want"
done

# Special files: havmd -n on a FIFO used to block forever in read().
# check_special NAME FILE WHAT: refused at once, naming FILE and WHAT it is.
# A refusal needs no wait: 5 s is far beyond one, even on a loaded machine.
check_special() {
	printf 'havmd: %s: is %s, not a regular file\n' "$2" "$3" >"$tmp/want"
	check "$1" "$2" 1 "$tmp/want" 5
}
mkfifo "$tmp/fifo.conf"
check_special special/fifo "$tmp/fifo.conf" "a FIFO"
ln -s "$tmp/fifo.conf" "$tmp/fifo-link.conf"
check_special special/symlink-to-fifo "$tmp/fifo-link.conf" "a FIFO"
check_special special/dev-null /dev/null "a character device"

echo "golden: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
