#!/bin/bash
# An operator fences a healthy host: `havm node fence` asks for
# confirmation (refuses to guess without a terminal), and with --force the
# coordinator powers it off through its BMC, verifies, and records it once;
# a partition without quorum refuses.
set -euo pipefail
export HARNESS_BMC=1
. "$(dirname "${BASH_SOURCE[0]}")/../checks.sh"
harness_extra_config() { write_fence_conf "$1"; }
scenario_cluster 3

rc=0
havm_on 3 node fence node2 </dev/null >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || harness_fail "node fence without --force and no terminal exited $rc, want 2"
[ -z "$(fence_history 1)" ] || harness_fail "something was fenced without confirmation"
harness_pass "no confirmation, no fence"

havm_on 3 node fence node2 --force | grep -q 'fence of node2 requested' || harness_fail "request not accepted"
fenced() { history_has 1 'host=node2 nodeid=2 result=off-verified level=1 .*by=node1'; }
wait_until 30 fenced || harness_fail "node2 not fenced (history: $(fence_history 1))"
wait_until 20 all_see_state fenced 2 1 3 || harness_fail "node2 not shown fenced after its fence"
sleep 3
[ "$(fence_history 3 | grep -c 'host=node2')" = 1 ] || harness_fail "node2 fenced more than once: $(fence_history 3)"
log_has 1 'fence: operator requested a fence host=node2 nodeid=2 via nodeid=3' || harness_fail "request not logged"
harness_pass "node2 fenced on request (asked on node3, done by the coordinator), once; status says fenced"

host_poweroff 3
no_quorum() { [ "$(jq_on 1 .quorate)" = false ]; }
wait_until 20 no_quorum || harness_fail "node1 alone still quorate"
rc=0
out=$(havm_on 1 node fence node3 --force 2>&1) || rc=$?
[ "$rc" = 1 ] || harness_fail "fence without quorum exited $rc, want 1 ($out)"
printf '%s' "$out" | grep -q 'no quorum' || harness_fail "refusal does not say why: $out"
harness_pass "without quorum a fence request is refused, saying why"
