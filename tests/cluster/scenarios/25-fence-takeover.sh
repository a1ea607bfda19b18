#!/bin/bash
# A new coordinator finishes a fence it never watched begin. node3 loses
# power while its BMC is unreachable: coordinator node1 keeps failing.
# node2's havmd is restarted meanwhile (so it never saw node3 in its own
# life), then node1's havmd is killed: node2 becomes coordinator, learns of
# node3's open loss from what node1 announced, and once the BMC answers
# again fences node3 through it.
set -euo pipefail
export HARNESS_BMC=1
. "$(dirname "${BASH_SOURCE[0]}")/../checks.sh"
harness_extra_config() { write_fence_conf "$1"; }
scenario_cluster 3

bmc_stop 3
host_poweroff 3
wait_until 60 history_has 1 'host=node3 nodeid=3 result=failed' ||
	harness_fail "no failed fence of node3 recorded"
harness_pass "node3 lost with its BMC unreachable: the coordinator's fence fails"

host_kill_proc 2 havmd
host_start_havmd 2 || harness_fail "havmd did not start again on node2"
wait_until 20 log_has 2 'cluster: node state nodeid=1 .*facts=' ||
	harness_fail "the restarted havmd heard no announcement from node1"
host_kill_proc 1 havmd
wait_until 20 log_has 2 'event: coordinator-changed seq=[0-9]+ host=node2 nodeid=2 .*local=yes' ||
	harness_fail "node2 did not become coordinator"
wait_until 20 log_has 2 'event: fence-started seq=[0-9]+ host=node3' ||
	harness_fail "the new coordinator did not take the fence of node3 on"
bmc_start 3 || harness_fail "cannot start node3's BMC again"
wait_until 60 history_has 2 'host=node3 nodeid=3 result=off-verified level=1 .*by=node2' ||
	harness_fail "node2 did not fence node3: $(fence_history 2)"
grep -Eq ' power-off (done|noop)' "$(host_bmc_power_log 3)" || harness_fail "node3's BMC never got a power off"
harness_pass "node2, coordinator after a restart and a takeover, fenced node3 through its BMC"
