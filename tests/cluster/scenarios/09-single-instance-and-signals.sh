#!/bin/bash
# A second havmd on a host refuses to start (exit 1, a message naming the
# running one) and disturbs nothing; SIGHUP is logged and ignored, not
# fatal; the CLI's --help works on every command without a daemon call.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../checks.sh"
scenario_cluster 2

first=$(host_procs 1 havmd)
rc=0
out=$(host_exec 1 "$HAVMD" -f -c /etc/havm/havm.conf 2>&1) || rc=$?
[ "$rc" = 1 ] || harness_fail "second havmd exited $rc, want 1 ($out)"
printf '%s' "$out" | grep -q "another havmd is already running (pid $first" ||
	harness_fail "second havmd did not name the running one: $out"
[ "$(host_procs 1 havmd)" = "$first" ] || harness_fail "the first havmd was disturbed"
all_agree_online 2 1 1 2 || harness_fail "cluster view changed after the second start"
harness_pass "a second havmd refuses to start and names the running one"

host_signal 2 HUP havmd
wait_until 5 log_has 2 'SIGHUP ignored' || harness_fail "SIGHUP not logged"
havmd_alive 2 || harness_fail "havmd died on SIGHUP"
all_agree_online 2 1 1 2 || harness_fail "view changed after SIGHUP"
harness_pass "SIGHUP is logged and ignored"

for cmd in "status" "node list" "node" "debug dump" "debug"; do
	# shellcheck disable=SC2086
	havm_on 1 $cmd --help | grep -q '^Usage: havm' || harness_fail "havm $cmd --help"
done
havm_on 1 --help | grep -q '^Usage: havm' || harness_fail "havm --help"
rc=0
havm_on 1 status --bogus >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || harness_fail "unknown option exited $rc, want 2"
harness_pass "--help on every command; usage errors exit 2"
