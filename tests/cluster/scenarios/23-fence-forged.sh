#!/bin/bash
# Forged but well-formed messages from a group member change nothing: a
# fence result "off-verified" for a live host, sent by a process on a host
# that is not the coordinator, is dropped and logged by every daemon (no
# record, no "fenced", no power command at the BMC); a fence request for
# the coordinator itself is refused by the coordinator's own checks. When
# that host really loses power later, it is fenced through its BMC: the
# forged record closed nothing.
set -euo pipefail
export HARNESS_BMC=1
. "$(dirname "${BASH_SOURCE[0]}")/../checks.sh"
harness_extra_config() { write_fence_conf "$1"; }
scenario_cluster 3
inject=$HARNESS_REPO/tests/cluster/cpg_inject
inc3=$(host_incarnation 3)
[ -n "$inc3" ] || harness_fail "no incarnation recorded on host 3"
before=$(bmc_power_offs 3)

host_exec 2 "$inject" "havm:testclu" "result:3:$inc3" "request:1" || harness_fail "cpg_inject failed"
dropped() {
	local i
	for i in 1 2 3; do
		log_has "$i" "fence: dropped a fence result from nodeid=2, not the coordinator .*host=node3 incarnation=$inc3" ||
			return 1
	done
}
wait_until 10 dropped || harness_fail "the forged result was not dropped and logged by every daemon"
wait_until 10 log_has 1 'fence: refused a fence request target=1 from nodeid=2 reason="the target is the coordinator"' ||
	harness_fail "the coordinator did not refuse a request to fence itself"
sleep 2
for i in 1 2 3; do
	[ -z "$(fence_history "$i")" ] || harness_fail "host $i recorded something: $(fence_history "$i")"
done
[ "$(bmc_power_offs 3)" = "$before" ] || harness_fail "node3's BMC got a power command"
[ "$(bmc_power_offs 1)" = 0 ] || harness_fail "node1's BMC got a power command"
all_agree_online 3 1 1 2 3 || harness_fail "the view changed"
[ "$(jq_on 1 '.hosts[] | select(.nodeid == 3) | .fence')" = null ] || harness_fail "node3 shown fenced"
harness_pass "forged fence result dropped and logged everywhere, forged request for the coordinator refused; no record, no power command"

host_poweroff 3
wait_until 60 history_has 1 "host=node3 nodeid=3 result=off-verified level=1 .*incarnation=$inc3 " ||
	harness_fail "node3 not fenced after its power loss: $(fence_history 1)"
[ "$(bmc_power_offs 3)" -gt "$before" ] || harness_fail "node3 taken as fenced without its BMC"
harness_pass "node3's real loss was fenced through its BMC (the forged record had closed nothing)"
