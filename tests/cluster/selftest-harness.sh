#!/bin/bash
# selftest-harness.sh -- check the harness functions that smoke-corosync.sh
# does not use: the config hooks, host_kill_proc + host_start_corosync,
# host_isolate/unisolate, host_spawn, wait_until's timeout, and (when
# the binaries exist) havmd start/restart and havm_on.
#
# Usage: tests/cluster/selftest-harness.sh     (as root)
#        SELFTEST_NO_HAVMD=1 ...               skip the havmd part

set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=harness.sh
. "$(dirname "${BASH_SOURCE[0]}")/harness.sh"

TIMEOUT=30

# Hook: a marker in /etc/havm and a pre-havmd script that starts a daemon.
harness_extra_config() {
	local i=$1
	echo "marker for node$i" >"$(harness_host_path "$i" /etc/havm/selftest.marker)"
	cat >"$(host_pre_havmd_hook "$i")" <<-'EOF'
		sleep 1000 &
		echo "$!" >/run/selftest-sleep.pid
	EOF
}

with_havmd=0
if [ "${SELFTEST_NO_HAVMD:-}" != 1 ] && [ -x "${HAVMD:-$HARNESS_REPO/daemon/havmd}" ] &&
	[ -x "${HAVM:-$HARNESS_REPO/cli/havm}" ]; then
	with_havmd=1
else
	export HAVM_HARNESS_NO_HAVMD=1
fi

harness_require_root
harness_init 3

all_see() {
	local n=$1 i
	shift
	for i in "$@"; do
		corosync_sees "$i" "$n" || return 1
	done
	return 0
}

host_start 1 2 3
wait_until "$TIMEOUT" all_see 3 1 2 3 || harness_fail "cluster did not form"
harness_pass "cluster of 3 formed"

# --- hooks ---------------------------------------------------------------
for i in 1 2 3; do
	[ "$(host_exec "$i" cat /etc/havm/selftest.marker)" = "marker for node$i" ] ||
		harness_fail "harness_extra_config marker missing on host $i"
	spid=$(host_exec "$i" cat /run/selftest-sleep.pid)
	[ "$(awk '{ print $4 }' "/proc/$spid/stat")" = "$(host_anchor_pid "$i")" ] ||
		harness_fail "pre-havmd hook daemon on host $i is not a child of the anchor"
done
harness_pass "harness_extra_config and the pre-havmd hook ran on every host"

# --- corosync goes away and comes back ------------------------------------
host_kill_proc 2 corosync || harness_fail "host_kill_proc 2 corosync"
_host_has_proc 2 corosync && harness_fail "corosync still running on host 2"
wait_until "$TIMEOUT" all_see 2 1 3 || harness_fail "hosts 1, 3 did not see host 2's corosync leave"
harness_pass "corosync killed on host 2: hosts 1, 3 saw it leave after $(($(harness_now_ms) - HARNESS_LAST_KILL_MS)) ms"
host_start_corosync 2 || harness_fail "host_start_corosync 2"
wait_until "$TIMEOUT" all_see 3 1 2 3 || harness_fail "host 2's corosync did not rejoin"
harness_pass "host_start_corosync 2: rejoined after $HARNESS_WAITED_MS ms"
if host_start_corosync 2 2>/dev/null; then harness_fail "second corosync allowed on host 2"; fi
harness_pass "host_start_corosync refuses a second corosync"

# --- partition -----------------------------------------------------------
t=$(harness_now_ms)
host_isolate 2
wait_until "$TIMEOUT" all_see 2 1 3 || harness_fail "hosts 1, 3 did not see host 2 isolated"
# shellcheck disable=SC2016  # expanded by eval, on each poll
wait_until "$TIMEOUT" eval '[ "$(corosync_nodes 2)" = 1 ] && ! corosync_quorate 2' ||
	harness_fail "isolated host 2 does not see itself alone and inquorate"
harness_pass "host_isolate 2: majority saw 2 members, host 2 alone and inquorate after $(($(harness_now_ms) - t)) ms"
host_unisolate 2
wait_until "$TIMEOUT" all_see 3 1 2 3 || harness_fail "host 2 did not rejoin after host_unisolate"
harness_pass "host_unisolate 2: all see 3 again after $HARNESS_WAITED_MS ms"

# --- host_spawn ----------------------------------------------------------
spawn_log=$HARNESS_RUNDIR/n1/spawn.log
# shellcheck disable=SC2016  # expanded on the host
host_spawn 1 "$spawn_log" sh -c 'echo "hello from $(hostname)"; exec sleep 1000' ||
	harness_fail "host_spawn"
wait_until 5 grep -q 'hello from node1' "$spawn_log" || harness_fail "spawned command did not run on node1"
host_kill_proc 1 sleep || harness_fail "host_kill_proc 1 sleep"
harness_pass "host_spawn runs a command on the host; host_kill_proc kills it"

# --- negative cases ------------------------------------------------------
if wait_until 0.5 false 2>/dev/null; then harness_fail "wait_until false succeeded"; fi
if host_kill_proc 1 no-such-proc 2>/dev/null; then harness_fail "host_kill_proc of a missing process succeeded"; fi
host_poweroff 3
if host_exec 3 true 2>/dev/null; then harness_fail "host_exec on a powered-off host succeeded"; fi
host_poweroff 3 2>/dev/null || harness_fail "second host_poweroff is not a no-op"
harness_pass "wait_until timeout, missing process, host_exec on an off host, double poweroff"
host_start 3
wait_until "$TIMEOUT" all_see 3 1 2 3 || harness_fail "host 3 did not rejoin"

# --- havmd ---------------------------------------------------------------
if [ "$with_havmd" = 1 ]; then
	for i in 1 2 3; do
		wait_until "$TIMEOUT" havm_on "$i" status --json || harness_fail "havm status on host $i"
	done
	harness_pass "havmd started by the harness answers havm status on every host"
	host_kill_proc 1 havmd || harness_fail "host_kill_proc 1 havmd"
	host_start_havmd 1 || harness_fail "host_start_havmd 1"
	wait_until "$TIMEOUT" havm_on 1 status --json || harness_fail "havm status after havmd restart"
	harness_pass "havmd killed and restarted on host 1 ($HARNESS_WAITED_MS ms until it answered)"
else
	echo "SKIP: havmd part (no havmd/havm binary or SELFTEST_NO_HAVMD=1)"
fi

echo "PASS: selftest-harness"
