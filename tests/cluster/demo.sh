#!/bin/bash
# demo.sh -- the demonstration cluster: three simulated hosts (node1..node3),
# each in its own network, mount and UTS namespaces with real corosync and
# havmd. Shows the cluster, powers node3 off (every process killed at once),
# shows the survivors noticing, then cleans up everything it started.
# DEMO_PAUSE=N pauses N seconds between steps (default 0).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
. "$here/checks.sh"
pause() { sleep "${DEMO_PAUSE:-0}"; }
if [ -t 1 ]; then
	step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
else
	step() { printf '\n== %s\n' "$*"; }
fi

harness_require_root
harness_init 3
step "Starting 3 hosts: corosync and havmd on each (192.0.2.1-3, private namespaces)"
start_cluster 3
step "havm status, on node1"
havm_on 1 status
pause
step "Power loss on node3: every process of the host killed at once"
host_poweroff 3
wait_until 30 all_see_state offline 3 1 2 || harness_fail "the survivors did not notice node3"
echo "node1 and node2 show node3 offline $(($(harness_now_ms) - HARNESS_LAST_POWEROFF_MS)) ms after the power loss"
step "havm status, on node2"
havm_on 2 status
step "What havmd on node1 logged"
grep -E 'cluster: (daemon left|membership|coordinator|quorum)' "$(host_log 1)" | tail -4
pause
step "Demo done: cleaning up the demo cluster"
