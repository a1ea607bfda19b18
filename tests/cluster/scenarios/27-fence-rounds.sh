#!/bin/bash
# Round after round on one cluster, never restarted: hosts lose power, or
# are cut off, are fenced, are powered on again through their BMCs (as an
# operator would), and rejoin. Each loss gets exactly one power off at the
# victim's BMC and one record for the life that was lost; nothing left from
# one round decides the next.
set -euo pipefail
export HARNESS_BMC=1
. "$(dirname "${BASH_SOURCE[0]}")/../checks.sh"
harness_extra_config() { write_fence_conf "$1"; }
scenario_cluster 3
records() { fence_history 1 | grep -c "host=node$1 nodeid=$1 result=off-verified" || true; }

# round VICTIM HOW: lose VICTIM (poweroff or isolate), check the fence,
# power it on again and wait for it to rejoin.
round() {
	local v=$1 how=$2 inc offs recs
	inc=$(host_incarnation "$v")
	offs=$(bmc_power_offs "$v")
	recs=$(records "$v")
	if [ "$how" = isolate ]; then host_isolate "$v"; else host_poweroff "$v"; fi
	wait_until 60 history_has 1 "host=node$v nodeid=$v result=off-verified .*incarnation=$inc " ||
		harness_fail "round $how $v: not fenced: $(fence_history 1)"
	[ "$how" != isolate ] || host_unisolate "$v"
	sleep 2 # a fence twice would show by now
	[ "$(bmc_power_offs "$v")" = $((offs + 1)) ] ||
		harness_fail "round $how $v: $(($(bmc_power_offs "$v") - offs)) power offs at its BMC, want 1"
	[ "$(records "$v")" = $((recs + 1)) ] || harness_fail "round $how $v: not exactly one new record"
	bmc_ipmitool "$v" chassis power on >/dev/null || harness_fail "round $how $v: power on failed"
	wait_until 60 all_agree_online 3 1 1 2 3 || harness_fail "round $how $v: did not rejoin"
	[ "$(host_incarnation "$v")" -gt "$inc" ] || harness_fail "round $how $v: no new incarnation"
}

for v in 3 2 3 2; do round "$v" poweroff; done
harness_pass "4 power-loss rounds: each loss fenced once, through the BMC, for the life lost"
for v in 3 2; do round "$v" isolate; done
harness_pass "2 isolation rounds: each isolated host fenced once by the majority, then back"
for j in 1 2 3; do
	[ "$(jq_on 1 ".hosts[] | select(.nodeid == $j) | .fence")" = null ] ||
		harness_fail "node$j still shown fenced or pending after the rounds"
done
[ "$(bmc_power_offs 1)" = 0 ] || harness_fail "the coordinator's BMC got a power off"
harness_pass "after 6 rounds every host is online, nothing pending, the coordinator never fenced"
