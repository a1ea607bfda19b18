#!/bin/bash
# A fence that is no longer wanted is stopped. node3 is cut off; the
# coordinator starts its fence, whose device takes 15 s to power off. The
# link comes back within seconds and node3 rejoins: the job is cancelled
# and its agent killed before it acts. Evidence: the agent never reached
# its end, no record, node3 up in the same life, no agent process left.
set -euo pipefail
export HARNESS_BMC=1
. "$(dirname "${BASH_SOURCE[0]}")/../checks.sh"
liar_log() { printf '%s/liar.log\n' "$HARNESS_RUNDIR"; }
harness_extra_config() {
	FENCE_LEVELS_3="( { name = \"node3-slow\"; type = \"agent\"; agent = \"$HARNESS_REPO/tests/cluster/fence_havm_test_liar\"; args = ( \"log=$(liar_log)\", \"delay=15\" ); } )" \
		FENCE_TIMEOUT_MS=30000 write_fence_conf "$1"
}
scenario_cluster 3
inc3=$(host_incarnation 3)

host_isolate 3
wait_until 30 grep -qx off "$(liar_log)" || harness_fail "the fence of node3 did not start"
host_unisolate 3
wait_until 30 all_agree_online 3 1 1 2 3 || harness_fail "node3 did not rejoin"
wait_until 10 log_has 1 "fence: fence job no longer wanted host=node3 incarnation=$inc3 .*stopping it" ||
	harness_fail "the coordinator did not stop the job"
sleep 17 # past the moment the agent would have powered off
! grep -qx off-done "$(liar_log)" || harness_fail "the agent ran to its end: the job was not killed"
[ -z "$(fence_history 1)" ] || harness_fail "a record was made: $(fence_history 1)"
[ "$(host_incarnation 3)" = "$inc3" ] || harness_fail "node3 restarted"
for p in $(host_pids 1); do
	! grep -q fence_havm_test_liar "/proc/$p/cmdline" 2>/dev/null || harness_fail "agent process $p left on node1"
done
all_agree_online 3 1 1 2 3 || harness_fail "node3 not online"
harness_pass "node3 rejoined while its fence ran: job cancelled, agent killed before acting, no record, node3 up in the same life"
