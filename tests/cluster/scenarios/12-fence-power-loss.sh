#!/bin/bash
# A host loses power: the coordinator fences it through its BMC (real IPMI
# 2.0 over the test network to ipmi_sim), reads the power back off, and
# every survivor records the same fence in its history. The host is then
# powered on through its BMC, boots, and rejoins.
set -euo pipefail
export HARNESS_BMC=1
. "$(dirname "${BASH_SOURCE[0]}")/../checks.sh"
harness_extra_config() { write_fence_conf "$1"; }
scenario_cluster 3

host_poweroff 3
fenced() {
	history_has 1 'host=node3 nodeid=3 result=off-verified level=1 .*by=node1 detail="devices=node3-bmc"' &&
		history_has 2 'host=node3 nodeid=3 result=off-verified level=1'
}
wait_until 60 fenced || harness_fail "node3 not fenced (history of host 1: $(fence_history 1))"
elapsed=$(fence_history 1 | grep -Eo 'elapsed_ms=[0-9]+' | head -1)
harness_pass "node3 fenced by the coordinator, verified off, in both survivors' history ($elapsed after its loss)"
grep -Eq ' power-off (done|noop)' "$(host_bmc_power_log 3)" || harness_fail "node3's BMC never got a power off"
log_has 1 'event: fence-succeeded seq=[0-9]+ host=node3 nodeid=3 result=off-verified' || harness_fail "not logged on node1"
! log_has 2 'event: fence-started ' || harness_fail "node2, not the coordinator, fenced"
harness_pass "the BMC received the power off; only the coordinator fenced; logged"
[ "$(fence_history 1 | grep -c 'host=node3')" = 1 ] || harness_fail "node3 fenced more than once"
sleep 3
[ "$(fence_history 1 | grep -c 'host=node3')" = 1 ] || harness_fail "a host verified off was fenced again"
harness_pass "a host verified off is not fenced again"

wait_until 10 all_see_state fenced 3 1 2 || harness_fail "node3 not shown fenced"
[ "$(jq_on 2 '.hosts[] | select(.nodeid == 3) | .fence')" = done ] || harness_fail "JSON fence is not done"
json=$(havm_on 2 fence history --json) || harness_fail "havm fence history --json failed"
[ "$(printf '%s' "$json" | jq -r '.[0].host + " " + .[0].result + " " + (.[0].level|tostring)')" = \
	"node3 off-verified 1" ] || harness_fail "fence history --json: $json"
havm_on 2 fence check node3 | grep -q '^level 1 device node3-bmc (ipmi): power off$' ||
	harness_fail "fence check node3 does not read power off: $(havm_on 2 fence check node3 2>&1)"
havm_on 2 fence check node1 | grep -q 'power on$' || harness_fail "fence check node1 does not read on"
harness_pass "status says fenced (JSON fence: done); fence history --json; fence check off for node3, on for node1"

bmc_ipmitool 3 chassis power on >/dev/null || harness_fail "power on through the BMC failed"
wait_until 60 all_agree_online 3 1 1 2 3 || harness_fail "node3 did not come back after power on"
harness_pass "node3 powered on through its BMC, rejoined and is online everywhere"
