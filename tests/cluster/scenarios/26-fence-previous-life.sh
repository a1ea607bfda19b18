#!/bin/bash
# A storage "dead" from a previous life proves nothing about this one.
# node3 loses power and is fenced through its BMC. It is powered on again
# and rejoins the membership at once, but its sanlock needs about 80 s to
# join the lockspace again (it waits out its previous life), so sanlock's
# heartbeat of node3 stays that of the old life and turns "dead". node3 is
# lost again seconds after rejoining, this time with its BMC unreachable.
# Although the hosts announce a watchdog (storage.unsafe_no_watchdog_for_
# tests: the test bed has none) and node3's heartbeat reads dead, the old
# generation's "dead" is refused for the new life; once the BMC answers,
# node3 is fenced through it. Every decision is checked on the BMC's
# record and the fence history, not on log silence.
set -euo pipefail
export HARNESS_SANLOCK=1 HARNESS_BMC=1
. "$(dirname "${BASH_SOURCE[0]}")/../checks.sh"
harness_extra_config() {
	FENCE_STORAGE=1 FENCE_STORAGE_EXTRA='unsafe_no_watchdog_for_tests = true;' write_fence_conf "$1"
}
storage_cluster 3

inc1=$(host_incarnation 3)
host_poweroff 3
t_first=$HARNESS_LAST_POWEROFF_MS
wait_until 60 history_has 1 "host=node3 nodeid=3 result=off-verified .*incarnation=$inc1 " ||
	harness_fail "node3 not fenced in its first life: $(fence_history 1)"
harness_pass "node3's first life fenced through its BMC"

bmc_ipmitool 3 chassis power on >/dev/null || harness_fail "power on through the BMC failed"
wait_until 60 all_agree_online 3 1 1 2 3 || harness_fail "node3 did not rejoin"
inc2=$(host_incarnation 3)
[ "$inc2" -gt "$inc1" ] || harness_fail "node3's new life $inc2 is not after $inc1"
st=$(jq_on 3 '.storage.state // .storage')
[ "$st" != joined ] || harness_fail "node3's sanlock already rejoined; the case needs it late"
echo "node3's own storage state after rejoining: $st"
harness_pass "node3 back in a new life ($inc2) while its storage heartbeat is still the old one's"

bmc_stop 3
host_poweroff 3
offs=$(bmc_power_offs 3)
hb_dead() { [ "$(jq_on 1 '.hosts[] | select(.nodeid == 3) | .heartbeat')" = dead ]; }
wait_until 150 hb_dead || harness_fail "sanlock never reported node3's heartbeat dead"
echo "node3's heartbeat dead $(($(harness_now_ms) - t_first)) ms after the first power loss"
sleep 6 # several ticks of the coordinator with "dead" in view
! history_has 1 "host=node3 nodeid=3 result=dead-by-storage" ||
	harness_fail "the old life's dead heartbeat was taken for the new life: $(fence_history 1)"
[ "$(jq_on 1 '.hosts[] | select(.nodeid == 3) | .fence')" = pending ] ||
	harness_fail "node3 not shown fence pending"
log_has 1 "event: fence-failed seq=[0-9]+ host=node3 nodeid=3 incarnation=$inc2" || harness_fail "no failed attempt for the new life"
harness_pass "the dead heartbeat of node3's previous life was refused for its new life; still pending"

bmc_start 3 || harness_fail "cannot start node3's BMC again"
wait_until 90 history_has 1 "host=node3 nodeid=3 result=off-verified .*incarnation=$inc2 " ||
	harness_fail "node3's second life not fenced through its BMC: $(fence_history 1)"
[ "$(bmc_power_offs 3)" -gt "$offs" ] || harness_fail "no power off at node3's BMC for its second life"
harness_pass "node3's second life fenced through its BMC once it answered"
