#!/bin/bash
# demo.sh -- the demonstration cluster: three simulated hosts (node1..node3),
# each in its own network, mount and UTS namespaces with real corosync and
# havmd, and each with a simulated BMC (OpenIPMI's ipmi_sim, real IPMI 2.0
# over the test network). Shows the cluster, cuts node3's power (every
# process killed at once), shows the survivors noticing and the coordinator
# fencing node3 through its BMC, verified off; then powers node3 on through
# its BMC and shows it rejoin. Cleans up everything it started.
# DEMO_PAUSE=N pauses N seconds between steps (default 0).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
export HARNESS_BMC=1
. "$here/checks.sh"
pause() { sleep "${DEMO_PAUSE:-0}"; }
if [ -t 1 ]; then
	step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
else
	step() { printf '\n== %s\n' "$*"; }
fi
harness_extra_config() { write_fence_conf "$1"; }

harness_require_root
harness_init 3
step "Starting 3 hosts: corosync and havmd on each (192.0.2.1-3), a BMC for each (192.0.2.101-103)"
start_cluster 3
step "havm status, on node1"
havm_on 1 status
pause
step "Power loss on node3: every process of the host killed at once"
host_poweroff 3
fenced() { history_has 2 'host=node3 .*result=off-verified'; }
wait_until 30 fenced || harness_fail "node3 was not fenced"
echo "node3 fenced through its BMC and verified off $(($(harness_now_ms) - HARNESS_LAST_POWEROFF_MS)) ms after the power loss"
step "havm status, on node2"
havm_on 2 status
step "havm fence history, on node2 (every host records every fence)"
havm_on 2 fence history
step "What havmd on node1 (the coordinator) logged"
grep -E 'event: (daemon-left|quorum-|host-lost|fence-|lease-)' "$(host_log 1)" | tail -6
pause
step "Powering node3 on through its BMC (ipmitool chassis power on)"
bmc_ipmitool 3 chassis power on
wait_until 60 all_agree_online 3 1 1 2 3 || harness_fail "node3 did not come back"
havm_on 1 node list
step "Demo done: cleaning up the demo cluster"
