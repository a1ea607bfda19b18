#!/bin/bash
# SIGTERM stops havmd cleanly: exit status 0, it leaves the CPG group, and
# the others show the host as "no-havmd" (corosync still runs there), not
# online and not offline. `havm` on that host then exits 3 (not running).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../checks.sh"
scenario_cluster 3

host_signal 3 TERM havmd || harness_fail "no havmd on host 3"
wait_until 10 all_see_state no-havmd 3 1 2 || harness_fail "others do not show node3 as no-havmd"
log_has 1 'event: daemon-left seq=[0-9]+ host=node3 nodeid=3 .*reason=leave' || harness_fail "host 1 did not see a clean leave"
log_has 3 'havmd: stopped' || harness_fail "havmd on host 3 did not log a clean stop"
harness_pass "node3 left the group cleanly and shows as no-havmd"
rc=0
havm_on 3 status >/dev/null 2>&1 || rc=$?
[ "$rc" = 3 ] || harness_fail "havm without havmd exited $rc, want 3"
harness_pass "havm exits 3 when havmd is not running"
