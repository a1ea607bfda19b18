#!/bin/bash
# Safety: with no quorum provider in corosync.conf, corosync reports every
# partition as quorate. havmd must not believe it: no quorum, no
# coordinator, and an error in the log telling the operator what to fix.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../checks.sh"
harness_extra_config() {
	sed -i '/provider: corosync_votequorum/d' "$(harness_host_path "$1" /etc/corosync/corosync.conf)"
}
harness_require_root
harness_init 2
host_start 1 2
both_in_group_unquorate() {
	local i
	for i in 1 2; do
		[ "$(jq_on "$i" '[.hosts[] | select(.online)] | length')" = 2 ] || return 1
		[ "$(jq_on "$i" .quorate)" = false ] || return 1
		[ "$(coordinator_of "$i")" = null ] || return 1
	done
	return 0
}
wait_until 30 both_in_group_unquorate || harness_fail "havmd claims quorum or a coordinator without a provider"
log_has 1 'cluster: corosync has no quorum provider' || harness_fail "no error telling the operator"
harness_pass "without a quorum provider: both daemons online, never quorate, no coordinator, error logged"
