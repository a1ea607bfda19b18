#!/bin/bash
# A fence agent that hangs, and starts a child that hangs too, leaves
# nothing behind on the host that ran it:
#  1. when its run's time limit (fencing.timeout_ms) kills it: the fence
#     job goes on, records the failure, and neither process is left, well
#     before the job's own deadline;
#  2. when havmd is SIGKILLed while the agent runs: the worker's parent
#     death signal makes it kill the job's process group;
#  3. when havmd stops on SIGTERM while the agent runs: workers_stop kills
#     the group.
# The agent is tests/cluster/fence_havm_test_hang. What is checked is the
# process table of the host, by the agent's path and its child's renamed
# command line, not log lines. In 2 and 3 the processes must be gone long
# before the agent's own limit could explain it.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../checks.sh"
MARK=fence_havm_test_hang
RUN_MS=8000 # fencing.timeout_ms: one agent run's limit
hang_device() {
	printf '{ name = "node%s-hang"; type = "agent"; agent = "%s/tests/cluster/%s"; }' \
		"$1" "$HARNESS_REPO" "$MARK"
}
harness_extra_config() {
	FENCE_TIMEOUT_MS=$RUN_MS FENCE_LEVELS_1="( $(hang_device 1) )" \
		FENCE_LEVELS_2="( $(hang_device 2) )" FENCE_LEVELS_3="( $(hang_device 3) )" \
		write_fence_conf "$1"
}

# agent_pids i: live processes on host i (its network namespace; a zombie
# has none) whose command line holds MARK: agents and their children.
agent_pids() {
	local p cmd
	for p in $(host_pids "$1"); do
		cmd=$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null) || continue
		case $cmd in *"$MARK"*) printf '%s\n' "$p" ;; esac
	done
	return 0
}
# tree_running i: an agent and its child run on host i.
tree_running() {
	local pids
	pids=$(agent_pids "$1")
	[ "$(printf '%s' "$pids" | grep -c .)" -ge 2 ]
}
# none_on i: no agent and no agent's child on host i.
none_on() { [ -z "$(agent_pids "$1")" ]; }
# tree_gone i PID...: none of PID is an agent or agent's child on host i.
tree_gone() {
	local i=$1 now p
	shift
	now=" $(agent_pids "$i" | tr '\n' ' ') "
	for p in "$@"; do
		case $now in *" $p "*) return 1 ;; esac
	done
	return 0
}
# havmd_pid i: havmd itself, from its pid file (its workers are havmd
# processes too: killing them along with it would be another case).
havmd_pid() { cat "$(harness_host_path "$1" /run)/havmd.pid"; }
havmd_gone() { ! havmd_alive "$1"; }

scenario_cluster 3

# --- 1. the run's time limit -------------------------------------------
host_poweroff 3
wait_until 30 tree_running 1 ||
	harness_fail "no hanging agent with its child on node1 (the coordinator) after node3 lost power"
seen_ms=$(harness_now_ms)
tree=$(agent_pids 1 | tr '\n' ' ')
tree=${tree% }
# shellcheck disable=SC2086
wait_until $((RUN_MS / 1000 + 3)) tree_gone 1 $tree ||
	harness_fail "agent and child ($tree) still on node1 $((RUN_MS / 1000 + 3)) s after they started"
gone_ms=$(harness_now_ms)
[ $((gone_ms - seen_ms)) -ge $((RUN_MS - 2000)) ] ||
	harness_fail "agent gone after $((gone_ms - seen_ms)) ms: something else than its limit killed it"
failed() { history_has 1 "host=node3 nodeid=3 result=failed .*no answer within $RUN_MS ms, killed"; }
wait_until 10 failed || harness_fail "the failed run is not in the history: $(fence_history 1)"
harness_pass "an agent hung past its limit ($RUN_MS ms) is killed with its child (pids $tree), after $((gone_ms - seen_ms)) ms; the fence job records the failure"

# --- 2. havmd SIGKILLed while an agent runs --------------------------------
# The coordinator retries: take a fresh run, so that its limit is far off.
wait_until 30 none_on 1 || harness_fail "node1 never between two agent runs"
wait_until 30 tree_running 1 || harness_fail "node1 did not retry the fence"
seen_ms=$(harness_now_ms)
tree=$(agent_pids 1 | tr '\n' ' ')
tree=${tree% }
pid=$(havmd_pid 1)
kill -KILL "$pid" || harness_fail "cannot SIGKILL havmd ($pid) on node1"
wait_until 5 none_on 1 ||
	harness_fail "agent processes left on node1 after havmd was SIGKILLed: $(agent_pids 1 | tr '\n' ' ')"
gone_ms=$(harness_now_ms)
[ $((gone_ms - seen_ms)) -lt $((RUN_MS - 2000)) ] ||
	harness_fail "agent gone only after $((gone_ms - seen_ms)) ms: its own limit may have done it"
harness_pass "havmd SIGKILLed during an agent run: agent and child (pids $tree) gone $((gone_ms - seen_ms)) ms after the run was seen, long before its $RUN_MS ms limit"

# --- 3. havmd stopped (SIGTERM) while an agent runs ------------------------
# node1's corosync still runs, so node1 and node2 keep quorum; node2's
# havmd, now the only one, coordinates and fences node3 in its turn.
wait_until 30 tree_running 2 || harness_fail "node2 did not take over the fence of node3"
seen_ms=$(harness_now_ms)
tree=$(agent_pids 2 | tr '\n' ' ')
tree=${tree% }
pid=$(havmd_pid 2)
kill -TERM "$pid" || harness_fail "cannot SIGTERM havmd ($pid) on node2"
wait_until 10 havmd_gone 2 || harness_fail "havmd on node2 did not stop on SIGTERM"
wait_until 5 none_on 2 ||
	harness_fail "agent processes left on node2 after havmd stopped: $(agent_pids 2 | tr '\n' ' ')"
gone_ms=$(harness_now_ms)
log_has 2 'havmd: stopped' || harness_fail "havmd on node2 did not log a clean stop"
[ $((gone_ms - seen_ms)) -lt $((RUN_MS - 2000)) ] ||
	harness_fail "agent gone only after $((gone_ms - seen_ms)) ms: its own limit may have done it"
harness_pass "havmd stopped (SIGTERM) during an agent run: agent and child (pids $tree) gone $((gone_ms - seen_ms)) ms after the run was seen, long before its $RUN_MS ms limit"
