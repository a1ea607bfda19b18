#!/bin/bash
# A host cut off from the network (link down) but alive and writing its
# storage heartbeat: status says isolated; the majority fences it through
# its BMC; the isolated host, without quorum, never fences anyone.
set -euo pipefail
export HARNESS_BMC=1 HARNESS_SANLOCK=1
. "$(dirname "${BASH_SOURCE[0]}")/../checks.sh"
harness_extra_config() { FENCE_STORAGE=1 write_fence_conf "$1"; }
harness_require_root
harness_init 3
touch "$(harness_shared_path)/havm.leases"
start_cluster 3
havm_on 1 storage init >/dev/null || harness_fail "storage init"
all_joined() {
	local i
	for i in 1 2 3; do
		[ "$(jq_on "$i" '[.hosts[] | select(.heartbeat == "live")] | length')" = 3 ] || return 1
	done
	return 0
}
wait_until 90 all_joined || harness_fail "storage not joined with 3 live heartbeats"

host_isolate 3
# The fence follows within a second, so look at status right away.
isolated() { [ "$(host_state_on 1 3)" = isolated ]; }
wait_until 20 isolated || harness_fail "node3 never shown isolated (history: $(fence_history 1))"
harness_pass "node3 cut off: shown as isolated by node1 while its heartbeat is live"
fenced() { history_has 1 'host=node3 nodeid=3 result=off-verified level=1 '; }
wait_until 60 fenced || harness_fail "isolated node3 not fenced"
harness_pass "the majority fenced the isolated host through its BMC"
[ "$(grep -c 'fence: fencing host=' "$(host_log 3)" || true)" = 0 ] ||
	harness_fail "the isolated host tried to fence someone"
log_has 3 'cluster: (quorum lost|no coordinator)' || harness_fail "node3 did not notice losing quorum"
harness_pass "the isolated host lost quorum and never fenced anyone"
