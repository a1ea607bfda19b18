#!/bin/bash
# A wrong IPMI password on the first level: the fence says which host and
# which device failed and why, and the second level does the job.
set -euo pipefail
export HARNESS_BMC=1
. "$(dirname "${BASH_SOURCE[0]}")/../checks.sh"
harness_extra_config() {
	local bad
	bad=$(harness_host_path "$1" /etc/havm/wrong-password)
	printf 'not-the-password\n' >"$bad"
	chmod 600 "$bad"
	FENCE_LEVELS_3="( $(bmc_device 3 node3-bmc-wrong /etc/havm/wrong-password) ), ( $(bmc_device 3) )" \
		write_fence_conf "$1"
}
scenario_cluster 3

host_poweroff 3
fenced() { history_has 1 'host=node3 nodeid=3 result=off-verified level=2 '; }
wait_until 60 fenced || harness_fail "node3 not fenced by level 2 (history: $(fence_history 1))"
line=$(fence_history 1 | grep 'host=node3')
printf '%s\n' "$line" | grep -q 'level 1 device node3-bmc-wrong: .*authentication failed' ||
	harness_fail "the level-1 failure does not name the device and the cause: $line"
printf '%s\n' "$line" | grep -q 'devices=node3-bmc"' || harness_fail "level 2's device not recorded: $line"
harness_pass "wrong password on level 1 named (host, device, cause); level 2 verified off"
