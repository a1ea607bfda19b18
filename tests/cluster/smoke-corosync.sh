#!/bin/bash
# smoke-corosync.sh -- prove the cluster test bed works, with corosync alone.
#
# Starts 3 hosts (without havmd), checks every host's corosync sees 3 quorate
# members, powers host 3 off, checks the survivors see 2 quorate members,
# starts host 3 again and checks all see 3 again. Prints PASS/FAIL lines and
# the measured times; exits non-zero on failure.
#
# Usage: tests/cluster/smoke-corosync.sh      (as root)
#        HARNESS_KEEP=1 tests/cluster/smoke-corosync.sh   to keep the logs

set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=harness.sh
. "$(dirname "${BASH_SOURCE[0]}")/harness.sh"

# This smoke test checks the test bed itself; havmd is not needed.
export HAVM_HARNESS_NO_HAVMD=1

N=3
TIMEOUT=${SMOKE_TIMEOUT:-30}

harness_require_root
harness_init "$N"

# all_see N HOST...: every listed host sees N quorate members.
all_see() {
	local n=$1 i
	shift
	for i in "$@"; do
		corosync_sees "$i" "$n" || return 1
	done
	return 0
}

# --- formation -----------------------------------------------------------
t0=$(harness_now_ms)
host_start 1 2 3 || harness_fail "starting hosts 1 2 3"
t_ready=$(harness_now_ms)
harness_pass "3 hosts started, corosync IPC answering on each after $((t_ready - t0)) ms"

for i in 1 2 3; do
	name=$(host_exec "$i" hostname)
	[ "$name" = "node$i" ] || harness_fail "host $i hostname is '$name', want node$i"
	nodeid=$(host_exec "$i" corosync-cmapctl -g runtime.votequorum.this_node_id | awk '{ print $NF }')
	[ "$nodeid" = "$i" ] || harness_fail "host $i corosync nodeid is '$nodeid', want $i"
	host_exec "$i" test -f /etc/havm/havm.conf || harness_fail "host $i has no /etc/havm/havm.conf"
	host_exec "$i" test -f /run/corosync.pid || harness_fail "host $i has no private /run/corosync.pid"
done
[ ! -e /run/corosync.pid ] || harness_fail "/run/corosync.pid exists in the root namespace (private /run broken?)"
harness_pass "hostnames node1..3, nodeids 1..3, private /run and /etc/havm"

wait_until "$TIMEOUT" all_see 3 1 2 3 || harness_fail "cluster did not form (3 members, quorate) within ${TIMEOUT}s"
t_formed=$(harness_now_ms)
formation=$((t_formed - t0))
harness_pass "all 3 hosts see 3 members, Quorate: Yes; formation took ${formation} ms from start ($((t_formed - t_ready)) ms after IPC ready)"

# --- power off host 3 ----------------------------------------------------
host_poweroff 3 || harness_fail "host_poweroff 3"
[ -z "$(host_pids 3)" ] || harness_fail "host 3 still has processes after power-off"
wait_until "$TIMEOUT" all_see 2 1 2 || harness_fail "survivors did not see host 3 leave within ${TIMEOUT}s"
detection=$(($(harness_now_ms) - HARNESS_LAST_POWEROFF_MS))
harness_pass "hosts 1 and 2 see 2 members, Quorate: Yes; detection took ${detection} ms after power-off"

# --- power host 3 back on ------------------------------------------------
t1=$(harness_now_ms)
host_start 3 || harness_fail "restarting host 3 after power-off"
wait_until "$TIMEOUT" all_see 3 1 2 3 || harness_fail "host 3 did not rejoin within ${TIMEOUT}s"
rejoin=$(($(harness_now_ms) - t1))
harness_pass "host 3 restarted, all 3 hosts see 3 members again; rejoin took ${rejoin} ms"

echo "PASS: smoke-corosync (formation ${formation} ms, detection ${detection} ms, rejoin ${rejoin} ms)"
