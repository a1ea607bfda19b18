#!/bin/bash
# The BMC died with its host: power fencing cannot work. The coordinator
# says so loudly and retries, and the host is taken as fenced only when
# sanlock reports its storage heartbeat dead, with a distinct record. The
# test bed has no watchdog, so the hosts run with
# storage.unsafe_no_watchdog_for_tests (they announce one): without it the
# fallback is refused (unit-tested in test_fence_plan).
set -euo pipefail
export HARNESS_BMC=1 HARNESS_SANLOCK=1
. "$(dirname "${BASH_SOURCE[0]}")/../checks.sh"
harness_extra_config() {
	FENCE_STORAGE=1 FENCE_STORAGE_EXTRA='unsafe_no_watchdog_for_tests = true;' write_fence_conf "$1"
}
storage_cluster 3
log_has 1 'havmd: storage.unsafe_no_watchdog_for_tests is set' || harness_fail "the unsafe setting is not logged"
[ "$(jq_on 1 '.hosts[] | select(.nodeid == 3) | .unsafe_no_watchdog')" = true ] ||
	harness_fail "status does not show the unsafe setting"
havm_on 1 status | grep -q 'UNSAFE-TEST-WATCHDOG' || harness_fail "no UNSAFE-TEST-WATCHDOG in status"

bmc_stop 3
host_poweroff 3
failed() { history_has 1 'host=node3 nodeid=3 result=failed '; }
wait_until 60 failed || harness_fail "no failed fence recorded"
log_has 1 'event: fence-failed seq=[0-9]+ host=node3' || harness_fail "the failure is not logged as an error"
! history_has 1 'host=node3 .*result=off-verified' || harness_fail "an unreachable BMC counted as off"
harness_pass "BMC unreachable: fence failed, recorded and logged; retrying"
t0=$HARNESS_LAST_POWEROFF_MS
dead() { history_has 1 'host=node3 nodeid=3 result=dead-by-storage level=0 '; }
wait_until 180 dead || harness_fail "never taken as fenced by the storage heartbeat"
history_has 2 'host=node3 nodeid=3 result=dead-by-storage' || harness_fail "not in node2's history"
harness_pass "taken as fenced when sanlock reported node3 dead, $(($(harness_now_ms) - t0)) ms after power loss; distinct record on both survivors"
