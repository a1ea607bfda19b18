#!/bin/bash
# demo-cluster.sh -- start a cluster of N simulated hosts (corosync + havmd)
# on this machine and keep it running until Ctrl-C, then clean up.
#
# Usage: scripts/demo-cluster.sh [N]        (as root; N defaults to 3)
#
# While it runs, it prints for each host a command that opens a shell inside
# that host (its network, mount and UTS namespaces), where `havm status`
# talks to that host's havmd. Logs are in the printed run dir; set
# HARNESS_KEEP=1 to keep them after exit. HAVM_HARNESS_NO_HAVMD=1 starts
# corosync only.

set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=../tests/cluster/harness.sh
. "$(dirname "${BASH_SOURCE[0]}")/../tests/cluster/harness.sh"

n=${1:-3}
harness_require_root
harness_init "$n"

hosts=()
for ((i = 1; i <= n; i++)); do hosts+=("$i"); done
host_start "${hosts[@]}"

all_see() {
	local i
	for ((i = 1; i <= n; i++)); do
		corosync_sees "$i" "$n" || return 1
	done
	return 0
}
if wait_until 60 all_see; then
	echo "cluster of $n formed (corosync, quorate) in $HARNESS_WAITED_MS ms"
else
	echo "warning: the cluster has not formed; see the logs" >&2
fi

echo
echo "run dir: $HARNESS_RUNDIR"
for ((i = 1; i <= n; i++)); do
	printf '  %s  %-12s shell: nsenter -t %s -n -m -u -- bash\n' \
		"$(host_name "$i")" "$(host_addr "$i")" "$(host_anchor_pid "$i")"
	printf '         havmd log: %s\n         corosync log: %s\n' "$(host_log "$i")" "$(corosync_log "$i")"
done
echo
echo "Ctrl-C to stop the cluster and clean up."
while :; do sleep 1; done
