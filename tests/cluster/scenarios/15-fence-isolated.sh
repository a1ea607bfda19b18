#!/bin/bash
# A host cut off from the network (link down) but alive and writing its
# storage heartbeat: status says isolated; the majority fences it through
# its BMC; the isolated host, without quorum, never fences anyone.
set -euo pipefail
export HARNESS_BMC=1 HARNESS_SANLOCK=1
. "$(dirname "${BASH_SOURCE[0]}")/../checks.sh"
# A fence delay for node3 leaves time to see it isolated before it is off.
harness_extra_config() {
	FENCE_STORAGE=1 FENCE_HOST_EXTRA_3="fence_delay_ms = 3000;" write_fence_conf "$1"
}
storage_cluster 3

host_isolate 3
isolated() { [ "$(host_state_on 1 3)" = isolated ]; }
wait_until 20 isolated || harness_fail "node3 never shown isolated (history: $(fence_history 1))"
harness_pass "node3 cut off: shown as isolated by node1 while its heartbeat is live"
fenced() { history_has 1 'host=node3 nodeid=3 result=off-verified level=1 '; }
wait_until 60 fenced || harness_fail "isolated node3 not fenced"
wait_until 10 all_see_state fenced 3 1 2 || harness_fail "node3 not shown fenced"
harness_pass "the majority fenced the isolated host through its BMC; status says fenced"
[ "$(grep -c 'event: fence-started ' "$(host_log 3)" || true)" = 0 ] ||
	harness_fail "the isolated host tried to fence someone"
log_has 3 'event: (quorum-lost|coordinator-changed seq=[0-9]+ coordinator=none)' || harness_fail "node3 did not notice losing quorum"
harness_pass "the isolated host lost quorum and never fenced anyone"
