#!/bin/bash
# After a partition heals, no host is fenced a second time for a loss the
# other side already closed. Five hosts; node1 (whose BMC is unreachable,
# so it cannot be fenced) and node4 are each cut off. The majority
# {2,3,5} fences node4 through its BMC, verified off, and keeps failing
# on node1. The links come back: node1 rejoins and, as the lowest node id,
# becomes coordinator. It lost sight of node4 in its own life and never
# saw the record, but the members' announcements close that loss before it
# may act: node4's BMC receives exactly one power off. node4 is powered on
# again and rejoins in a new life, unfenced.
set -euo pipefail
export HARNESS_BMC=1
. "$(dirname "${BASH_SOURCE[0]}")/../checks.sh"
harness_extra_config() { write_fence_conf "$1"; }
scenario_cluster 5
records() { fence_history "$1" | grep -c "host=node$2 nodeid=$2 result=off-verified" || true; }

bmc_stop 1
host_isolate 1
host_isolate 4
wait_until 30 all_agree_online 3 2 2 3 5 || harness_fail "the majority did not form with coordinator 2"
wait_until 60 history_has 2 'host=node4 nodeid=4 result=off-verified' ||
	harness_fail "the majority did not fence node4: $(fence_history 2)"
wait_until 60 history_has 2 'host=node1 nodeid=1 result=failed' ||
	harness_fail "no failed fence of node1 recorded"
[ "$(bmc_power_offs 4)" = 1 ] || harness_fail "node4's BMC got $(bmc_power_offs 4) power offs, want 1"
harness_pass "split: the majority fenced node4 through its BMC and keeps failing on node1"

host_unisolate 4 # its link back; the host itself is off
host_unisolate 1
wait_until 40 all_agree_online 4 1 1 2 3 5 || harness_fail "node1 did not rejoin as coordinator"
log_has 1 'event: coordinator-changed seq=[0-9]+ host=node1 nodeid=1 .*local=yes' || harness_fail "node1 not coordinator"
sleep 8 # several fence ticks of the new coordinator
[ "$(bmc_power_offs 4)" = 1 ] || harness_fail "node4 fenced again after the heal: $(bmc_power_offs 4) power offs"
[ "$(records 2 4)" = 1 ] || harness_fail "node2's history has $(records 2 4) records for node4"
! log_has 1 'event: fence-started seq=[0-9]+ host=node4' || harness_fail "node1 started a fence of node4"
[ "$(jq_on 1 '.hosts[] | select(.nodeid == 4) | .fence')" = done ] ||
	harness_fail "node1 does not show node4 fenced"
harness_pass "healed: node1 coordinates, knows node4's loss is closed, and did not fence it again"

bmc_ipmitool 4 chassis power on >/dev/null || harness_fail "power on through the BMC failed"
wait_until 60 all_agree_online 5 1 1 2 3 4 5 || harness_fail "node4 did not rejoin"
sleep 3
[ "$(bmc_power_offs 4)" = 1 ] || harness_fail "node4 fenced in its new life"
[ "$(jq_on 1 '.hosts[] | select(.nodeid == 4) | .fence')" = null ] ||
	harness_fail "node4 still shown fenced in its new life"
harness_pass "node4 powered on, rejoined in a new life, not fenced, not shown fenced"
