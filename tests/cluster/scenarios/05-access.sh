#!/bin/bash
# The control socket admits root and the haclient group only: an ordinary
# user is refused (exit 4, a log line naming uid and gid); a user whose
# group is haclient gets the status.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../checks.sh"
harness_require_root
getent group haclient >/dev/null || groupadd -r haclient
gid=$(getent group haclient | cut -d: -f3)
harness_init 1
start_cluster 1

rc=0
out=$(host_exec 1 setpriv --reuid=65534 --regid=65534 --clear-groups "$HAVM" status 2>&1) || rc=$?
[ "$rc" = 4 ] || harness_fail "nobody got exit $rc, want 4 (output: $out)"
printf '%s' "$out" | grep -q 'permission denied' || harness_fail "no clear message: $out"
log_has 1 'ctl: refused connection uid=65534 gid=65534' || harness_fail "refusal not logged"
harness_pass "uid 65534 refused with exit 4 and logged"

out=$(host_exec 1 setpriv --reuid=65534 --regid="$gid" --clear-groups "$HAVM" status --json) ||
	harness_fail "haclient member refused"
[ "$(printf '%s' "$out" | jq -r .cluster)" = testclu ] || harness_fail "haclient member got no status"
# A supplementary haclient group counts: havmd reads the client's groups
# from the kernel (/proc/PID/status), not from the group database.
out=$(host_exec 1 setpriv --reuid=65534 --regid=65534 --groups="$gid" "$HAVM" status --json) ||
	harness_fail "a process with haclient as a supplementary group was refused"
[ "$(printf '%s' "$out" | jq -r .cluster)" = testclu ] || harness_fail "no status for it"
harness_pass "haclient members (primary and supplementary group) get the status"
