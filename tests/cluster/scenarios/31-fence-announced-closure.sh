#!/bin/bash
# A closure the coordinator only heard of is checked before it is believed.
# A process on node2 (not the coordinator) announces, in a well-formed node
# state, that node3's current life was fenced. node3 is then cut off from
# the network, alive. The coordinator, holding no record of that closure
# itself, reads node3's power through its BMC: on. The closure is void and
# node3 is fenced through its BMC. Without the check, node3 would never be
# fenced (and shown "fenced" while running).
set -euo pipefail
export HARNESS_BMC=1
. "$(dirname "${BASH_SOURCE[0]}")/../checks.sh"
harness_extra_config() { write_fence_conf "$1"; }
scenario_cluster 3
inject=$HARNESS_REPO/tests/cluster/cpg_inject
inc3=$(host_incarnation 3)

host_exec 2 "$inject" "havm:testclu" "closed:3:$inc3" || harness_fail "cpg_inject failed"
host_isolate 3
wait_until 30 log_has 1 "fence: host=node3 nodeid=3 incarnation=$inc3 was announced fenced but its power reads on" ||
	harness_fail "the coordinator did not check the announced closure against node3's power"
wait_until 60 history_has 1 "host=node3 nodeid=3 result=off-verified .*incarnation=$inc3 " ||
	harness_fail "node3 not fenced: $(fence_history 1)"
[ "$(bmc_power_offs 3)" = 1 ] || harness_fail "node3's BMC got $(bmc_power_offs 3) power offs, want 1"
harness_pass "a forged closure of a live host's life was checked (its power read on), voided, and the host fenced through its BMC"
