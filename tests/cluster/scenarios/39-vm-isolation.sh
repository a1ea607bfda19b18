#!/bin/bash
# Isolation, with VMs (vms.isolation = "stop", grace 5 s):
#  1. node3 cut off the network with its BMC dead too: the quorate side
#     cannot fence it (and sanlock never calls it dead: it still writes
#     its heartbeat); node3, without quorum, stops its protected VMs after
#     the grace, which frees their leases; the quorate side then starts
#     them (their leases decide): they come back without any fence, and no
#     VM ever runs twice (sampler).
#  2. node3 returns; a VM runs there again; node3 is cut off once more, its
#     BMC alive this time: the quorate side fences it (the BMC's own record
#     shows the power off) and restarts the VM elsewhere.
set -euo pipefail
export HARNESS_SANLOCK=1 HARNESS_BMC=1 HARNESS_LIBVIRT=1
. "$(dirname "${BASH_SOURCE[0]}")/../checks.sh"
harness_extra_config() {
	FENCE_STORAGE=1 FENCE_EXTRA="vms: { shared_dir = \"$(harness_vm_dir)\"; isolation = \"stop\"; isolation_grace_ms = 5000; };" \
		write_fence_conf "$1"
}
storage_cluster 3
vm_host_of() { vms_json "$1" | jq -r ".vms[] | select(.name == \"$2\") | .host"; }
all_ready() { [ "$(ready_hosts 1 2>/dev/null || echo 0)" = 3 ]; }
wait_until 120 all_ready ||
	harness_fail "the hosts never became ready for VMs: $(vms_json 1 | jq -c '.hosts')"

for v in a b; do
	vm_define "iso$v" >/dev/null
	havm_on 1 vm add "iso$v" --xml "$(vm_xml "iso$v")" --prefer node3 >/dev/null ||
		harness_fail "vm add iso$v"
done
wait_until 60 vm_runs_on isoa 3 && wait_until 30 vm_runs_on isob 3 ||
	harness_fail "isoa/isob not running on node3: $(vms_json 1 | jq -c '.vms')"
harness_pass "isoa and isob run on node3 (preferred)"

samples=$HARNESS_RUNDIR/vm.samples
vm_sampler_start "$samples"
offs=$(bmc_power_offs 3)
bmc_stop 3 || harness_fail "stopping node3's BMC"
t0=$(harness_now_ms)
host_isolate 3
back() { vm_hosts isoa | grep -qx '[12]' && vm_hosts isob | grep -qx '[12]'; }
wait_until 120 back || harness_fail "isoa/isob did not come back on node1/node2: $(vms_json 1 | jq -c '[.vms[] | {name, status, host, reason}]')"
took=$(($(harness_now_ms) - t0))
log_has 3 'event: vm-stopped .*vm=isoa .*reason="isolation' ||
	harness_fail "node3 did not stop isoa for its isolation"
[ "$(bmc_power_offs 3)" = "$offs" ] || harness_fail "node3 was powered off (its BMC was dead)"
history_has 1 'host=node3 .*result=off-verified' && harness_fail "node3 recorded as fenced"
harness_pass "node3 isolated with a dead BMC: it stopped its VMs after the grace; they run on node1/node2 ${took} ms after the cut, without a fence"

host_unisolate 3
bmc_start 3 || harness_fail "restarting node3's BMC"
wait_until 60 sees_online 1 3 || harness_fail "node3 did not rejoin"
wait_until 120 all_ready || harness_fail "node3 not ready for VMs again"
vm_define isoc >/dev/null
havm_on 2 vm add isoc --xml "$(vm_xml isoc)" --prefer node3 >/dev/null || harness_fail "vm add isoc"
wait_until 60 vm_runs_on isoc 3 || harness_fail "isoc not running on node3"
harness_pass "node3 back; isoc runs there; isoa, isob stayed where they were: $(vm_hosts isoa), $(vm_hosts isob)"

offs=$(bmc_power_offs 3)
host_isolate 3
fenced_again() { [ "$(bmc_power_offs 3)" -gt "$offs" ]; }
wait_until 60 fenced_again || harness_fail "isolated node3 was not fenced through its BMC"

moved() { vm_hosts isoc | grep -qx '[12]'; }
wait_until 60 moved || harness_fail "isoc did not come back after node3's fence"
harness_pass "node3 isolated with its BMC alive: fenced (BMC power-offs $offs -> $(bmc_power_offs 3)); isoc runs on node$(vm_hosts isoc)"

vm_sampler_stop
if verdict=$(assert_never_two "$samples"); then
	harness_pass "sampler: $verdict"
else
	harness_fail "$verdict"
fi
