#!/bin/bash
# Killing the coordinator's host moves the coordinator to the next-lowest
# node id, on every survivor, without any election. (Between the two a
# survivor may briefly have none while its membership views settle, so the
# log's "previous" may be 1 or 0.)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../checks.sh"
scenario_cluster 3

host_poweroff 1
wait_until 20 all_agree_online 2 2 2 3 || harness_fail "coordinator did not move to node 2 on hosts 2 and 3"
harness_pass "coordinator moved to node2 on both survivors"
log_has 2 'event: coordinator-changed seq=[0-9]+ host=node2 nodeid=2 previous=[01] .*local=yes' || harness_fail "host 2 did not log taking over"
log_has 3 'event: coordinator-changed seq=[0-9]+ host=node2 nodeid=2 previous=[01] .*local=no' || harness_fail "host 3 did not log the move"
harness_pass "the move is logged on both survivors"
