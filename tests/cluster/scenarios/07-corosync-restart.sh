#!/bin/bash
# corosync goes away under havmd: havmd stays up, logs it, its status says
# corosync is disconnected (claiming no members), the others show the host
# offline; when corosync returns, havmd reconnects by itself.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../checks.sh"
scenario_cluster 3

host_kill_proc 2 corosync
disconnected() { [ "$(jq_on 2 .corosync)" = disconnected ]; }
wait_until 10 disconnected || harness_fail "host 2 status does not say corosync disconnected"
[ "$(jq_on 2 '[.hosts[] | select(.online)] | length')" = 0 ] ||
	harness_fail "host 2 claims online hosts without corosync"
havm_on 2 status | grep -q 'NOT CONNECTED' || harness_fail "human status does not say NOT CONNECTED"
log_has 2 'cluster: lost corosync' || harness_fail "loss of corosync not logged"
havmd_alive 2 || harness_fail "havmd died with corosync"
harness_pass "havmd on host 2 survives, logs and reports the lost corosync"
wait_until 20 all_see_state offline 2 1 3 || harness_fail "others do not show node2 offline"
harness_pass "others show node2 offline"

sleep 3 # several reconnect attempts; they must not flood the log
n=$(grep -c 'cannot connect to corosync' "$(host_log 2)" || true)
[ "$n" -le 2 ] || harness_fail "reconnect attempts flood the log ($n lines in 3 s)"
host_start_corosync 2
wait_until 30 all_agree_online 3 1 1 2 3 || harness_fail "node2 did not come back after corosync restart"
log_has 2 'cluster: connected to corosync' || harness_fail "reconnect not logged"
harness_pass "havmd reconnected by itself; node2 online everywhere"
