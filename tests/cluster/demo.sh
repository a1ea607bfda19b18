#!/bin/bash
# demo.sh -- the demonstration cluster: three simulated hosts (node1..node3),
# each in its own network, mount and UTS namespaces with real corosync,
# sanlock, libvirtd + qemu and havmd, each with a simulated BMC (OpenIPMI's
# ipmi_sim, real IPMI 2.0 over the test network), sharing a storage
# directory for the leases and the VMs' disks. Protects six tiny VMs, shows
# where they run and what would happen if node3 failed (havm plan), cuts
# node3's power (every process of the host, its VMs included, killed at
# once), and shows the survivors fencing node3 through its BMC, reclaiming
# its leases and starting its VMs again elsewhere, with the event timeline.
# Cleans up everything it started. DEMO_PAUSE=N pauses N seconds between
# steps (default 0).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
export HARNESS_BMC=1 HARNESS_SANLOCK=1 HARNESS_LIBVIRT=1
. "$here/checks.sh"
pause() { sleep "${DEMO_PAUSE:-0}"; }
if [ -t 1 ]; then
	step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
else
	step() { printf '\n== %s\n' "$*"; }
fi
harness_extra_config() {
	FENCE_STORAGE=1 FENCE_EXTRA="vms: { shared_dir = \"$(harness_vm_dir)\"; };" \
		write_fence_conf "$1"
}
ready() { [ "$(havm_on 1 vm list --json | jq '[.hosts[] | select(.eligible)] | length')" = 3 ]; }
running() { [ "$(havm_on "$1" vm list --json | jq '[.vms[] | select(.status == "running")] | length')" = 6 ]; }

step "Starting 3 hosts: corosync, sanlock, libvirtd and havmd on each (192.0.2.1-3), a BMC for each (192.0.2.101-103)"
storage_cluster 3
echo "shared storage initialised (havm storage init); every host writes its storage heartbeat"
wait_until 120 ready || harness_fail "the hosts did not become ready for VMs"
havm_on 1 status
pause
step "Protecting six VMs (32 MiB each, disks and XML on the shared storage): havm vm add"
for v in 1 2 3 4 5 6; do
	vm_define "web$v" >/dev/null
	echo "havm vm add web$v --xml $(vm_xml "web$v") --priority $((v * 10))"
	havm_on 1 vm add "web$v" --xml "$(vm_xml "web$v")" --priority $((v * 10))
done
wait_until 60 running 1 || harness_fail "the VMs did not all start"
step "havm vm list, on node1"
havm_on 1 vm list
pause
step "havm plan --fail node3: what would happen if node3 failed now"
havm_on 1 plan --fail node3 || true
pause
step "Power loss on node3: every process of the host, its VMs included, killed at once"
on3=$(havm_on 1 vm list --json | jq -r '[.vms[] | select(.host == "node3") | .name] | join(" ")')
host_poweroff 3
t0=$HARNESS_LAST_POWEROFF_MS
moved() {
	local v
	for v in $on3; do vm_hosts "$v" | grep -qx '[12]' || return 1; done
}
wait_until 60 moved || harness_fail "node3's VMs ($on3) did not come back"
wait_until 30 running 1 || harness_fail "havm vm list does not show every VM running"
echo "node3's VMs ($on3) running again elsewhere $(($(harness_now_ms) - t0)) ms after the power loss"
step "havm vm list, on node1"
havm_on 1 vm list
step "havm events, on the coordinator: the story of the failover"
havm_on "$(coordinator_of 1)" events -n 200 | grep -E 'host-lost|fence-|lease-reclaimed|vm-' | tail -14
step "havm status, on node2"
havm_on 2 status
pause
step "Demo done: cleaning up the demo cluster"
