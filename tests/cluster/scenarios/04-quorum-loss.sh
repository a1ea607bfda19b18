#!/bin/bash
# With 2 of 3 hosts gone the last one reports no quorum and no coordinator,
# in JSON and in words; when a peer returns, quorum comes back.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../checks.sh"
scenario_cluster 3

host_poweroff 2
host_poweroff 3
no_quorum() {
	[ "$(jq_on 1 .quorate)" = false ] && [ "$(coordinator_of 1)" = null ] &&
		[ "$(host_state_on 1 2)" = offline ] && [ "$(host_state_on 1 3)" = offline ]
}
wait_until 20 no_quorum || harness_fail "host 1 still claims quorum or a coordinator"
harness_pass "last host reports quorate=false and no coordinator"
havm_on 1 status | grep -q '^Quorum:      NO' || harness_fail "human status does not say NO quorum"
log_has 1 'event: quorum-lost' || harness_fail "quorum loss not logged"
harness_pass "human status and log say quorum is lost"

host_start 2
wait_until 40 all_agree_online 2 1 1 2 || harness_fail "quorum did not come back with node2"
# Once when the cluster formed, once now.
[ "$(grep -c 'event: quorum-gained' "$(host_log 1)")" -ge 2 ] || harness_fail "quorum regained not logged"
harness_pass "quorum regained when node2 returned"
