#!/bin/bash
# An "agent" fence device: any program following the fence-agents API.
# Here that program is havm's own fence_havm_ipmi, driven by havmd exactly
# as it would drive fence_ipmilan or fence_apc (options on stdin, no shell,
# action=off then action=status until it reports off), against node3's
# simulated BMC. Also: a level of two devices where both must succeed.
set -euo pipefail
export HARNESS_BMC=1
. "$(dirname "${BASH_SOURCE[0]}")/../checks.sh"
agent_device() { # j NAME
	printf '{ name = "%s"; type = "agent"; agent = "%s/fence/fence_havm_ipmi"; args = ( "ip=%s", "ipport=%s", "username=%s", "password_file=%s", "cipher=3" ); }' \
		"$2" "$HARNESS_REPO" "$(host_bmc_addr "$1")" "$(host_bmc_port "$1")" \
		"$(host_bmc_user "$1")" "$(host_bmc_password_file "$1")"
}
harness_extra_config() {
	FENCE_LEVELS_3="( $(agent_device 3 node3-agent) )" \
		FENCE_LEVELS_2="( $(agent_device 2 node2-agent), $(bmc_device 2) )" write_fence_conf "$1"
}
scenario_cluster 3

host_poweroff 3
fenced() { history_has 1 'host=node3 nodeid=3 result=off-verified level=1 .*detail="devices=node3-agent"'; }
wait_until 60 fenced || harness_fail "node3 not fenced through the agent (history: $(fence_history 1))"
grep -Eq ' power-off (done|noop)' "$(host_bmc_power_log 3)" || harness_fail "the agent never reached the BMC"
harness_pass "node3 fenced through an agent device (fence-agents API), verified off"

# Back to three (losing node2 with node3 down would leave no quorum, and
# rightly no fence), then node2 goes.
bmc_ipmitool 3 chassis power on >/dev/null || harness_fail "power on node3"
wait_until 60 all_agree_online 3 1 1 2 3 || harness_fail "node3 did not come back"
host_poweroff 2
fenced2() { history_has 1 'host=node2 nodeid=2 result=off-verified level=1 .*detail="devices=node2-agent,node2-bmc"'; }
wait_until 60 fenced2 || harness_fail "node2's two-device level did not complete (history: $(fence_history 1))"
harness_pass "a level of two devices (agent and ipmi) counts only when both verify off"
