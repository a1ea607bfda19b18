#!/bin/bash
# Shared storage through real sanlock: havmd reports storage that is not
# initialised; `havm storage init` on one host prepares it; every havmd
# then joins the lockspace with its node id as host id (status shows
# "joining storage" meanwhile) and sees every host's heartbeat live. A
# host that loses power leaves the membership at once; until its heartbeat
# is seen to stop it cannot be told from an isolated host, and status says
# "isolated"; then its heartbeat fails and it is "offline". And the probe
# behind storage.watchdog asks the test bed's sanlock, started with -w 0,
# and hears that it has no watchdog.
set -euo pipefail
export HARNESS_SANLOCK=1
. "$(dirname "${BASH_SOURCE[0]}")/../checks.sh"
harness_extra_config() {
	printf 'storage: { path = "%s/havm.leases"; io_timeout = %s; };\n' "$(harness_shared_path)" \
		"${HARNESS_SANLOCK_IO_TIMEOUT:-2}" \
		>>"$(harness_host_path "$1" /etc/havm/havm.conf)"
}
harness_require_root
harness_init 3
touch "$(harness_shared_path)/havm.leases" # the LUN exists, blank
start_cluster 3

wd=$(host_exec 1 "$HARNESS_REPO/tests/cluster/lease_tool" watchdog) ||
	harness_fail "storage_watchdog_probe failed on host 1"
[ "$wd" = no ] || harness_fail "storage_watchdog_probe says \"$wd\" of a sanlock started with -w 0"
harness_pass "storage_watchdog_probe: host 1's sanlock (-w 0) reports no watchdog"

storage_is() { [ "$(jq_on "$1" .storage.state)" = "$2" ]; }
wait_until 30 storage_is 1 "not initialised" || harness_fail "blank storage not reported"
havm_on 1 status | grep -q '^Storage:     not initialised' || harness_fail "human status lacks it"
log_has 1 'event: storage-state-changed .*state="not initialised"' || harness_fail "not logged"
harness_pass "blank storage reported as not initialised (status and log)"

out=$(havm_on 1 storage init 2>&1) || harness_fail "havm storage init failed: $out"
rc=0
havm_on 2 storage init >/dev/null 2>&1 || rc=$?
[ "$rc" = 1 ] || harness_fail "a second storage init exited $rc, want 1 (refuse)"
harness_pass "storage init works once, then refuses without --force"

wait_until 30 storage_is 2 "joining storage" || harness_fail "status never said joining storage"
harness_pass "status shows joining storage while sanlock acquires the host id"
all_live() {
	local i j
	for i in 1 2 3; do
		storage_is "$i" joined || return 1
		for j in 1 2 3; do
			[ "$(jq_on "$i" ".hosts[] | select(.nodeid == $j) | .heartbeat")" = live ] || return 1
		done
	done
	return 0
}
t0=$(harness_now_ms)
wait_until 90 all_live || harness_fail "hosts did not all join with live heartbeats"
harness_pass "all 3 joined; every host sees 3 live heartbeats ($(($(harness_now_ms) - t0)) ms after init)"
log_has 2 'event: storage-state-changed .*state="joined" .*lockspace=havm host_id=2' || harness_fail "join not logged"
# The test bed's sanlock runs without a watchdog (-w 0) and havm.conf
# requires one by default: said at error level, announced, and shown.
wait_until 20 log_has 2 'storage: sanlock runs without a watchdog' || harness_fail "missing watchdog not logged"
[ "$(jq_on 1 '.hosts[] | select(.nodeid == 2) | .watchdog')" = false ] ||
	harness_fail "status does not say node2 has no watchdog"
out=$(havm_on 1 status)
printf '%s' "$out" | grep -q 'NO-WATCHDOG' || harness_fail "no NO-WATCHDOG in status: $out"
printf '%s' "$out" | grep -q 'fence-less recovery' || harness_fail "status does not explain NO-WATCHDOG"
printf '%s' "$out" | grep -Eq '^Storage: +joined for [0-9]+s' || harness_fail "no storage state age: $out"
harness_pass "no watchdog: logged at error level, shown (NO-WATCHDOG, fence-less recovery unavailable)"

host_poweroff 3
gone() {
	local st
	st=$(host_state_on 1 3)
	[ "$st" = isolated ] || [ "$st" = offline ]
}
wait_until 20 gone || harness_fail "node3 still online after power loss"
harness_pass "node3 out of the membership: $(host_state_on 1 3) (heartbeat $(jq_on 1 '.hosts[] | select(.nodeid == 3) | .heartbeat'))"
hb_stopped() {
	local hb
	hb=$(jq_on 1 '.hosts[] | select(.nodeid == 3) | .heartbeat')
	{ [ "$hb" = failing ] || [ "$hb" = dead ]; } && [ "$(host_state_on 1 3)" = offline ]
}
wait_until 120 hb_stopped || harness_fail "node3's heartbeat still live after power loss"
harness_pass "node3's heartbeat $(jq_on 1 '.hosts[] | select(.nodeid == 3) | .heartbeat') $(($(harness_now_ms) - HARNESS_LAST_POWEROFF_MS)) ms after power loss; status offline"

