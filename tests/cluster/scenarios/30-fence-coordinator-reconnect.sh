#!/bin/bash
# Nothing remembered from before a corosync restart fences a live host.
# node3 is cut off while its BMC is unreachable, so coordinator node1 keeps
# failing to fence it. node1's corosync dies; node3's link comes back and
# it rejoins; node1's corosync returns and node1 is coordinator again. Its
# BMC answering again, node3 would now be powered off if anything from
# before still counted: its BMC's record must show no power command.
set -euo pipefail
export HARNESS_BMC=1
. "$(dirname "${BASH_SOURCE[0]}")/../checks.sh"
harness_extra_config() { write_fence_conf "$1"; }
scenario_cluster 3

bmc_stop 3
host_isolate 3
wait_until 60 history_has 1 'host=node3 nodeid=3 result=failed' || harness_fail "no failed fence of node3"
harness_pass "node3 cut off; the coordinator's fence keeps failing (BMC unreachable)"

host_kill_proc 1 corosync
host_unisolate 3
bmc_start 3 || harness_fail "cannot start node3's BMC again"
host_start_corosync 1 || harness_fail "corosync did not start again on node1"
wait_until 60 all_agree_online 3 1 1 2 3 || harness_fail "the cluster did not re-form with coordinator node1"
sleep 8 # many fence ticks of the coordinator, with the BMC answering
[ "$(bmc_power_offs 3)" = 0 ] || harness_fail "node3 was powered off after it came back"
! history_has 1 'host=node3 .*result=off-verified' || harness_fail "node3 recorded off"
all_agree_online 3 1 1 2 3 || harness_fail "node3 not online"
harness_pass "node1 coordinates again after its corosync restart; live node3 was not fenced (its BMC got no power command)"
