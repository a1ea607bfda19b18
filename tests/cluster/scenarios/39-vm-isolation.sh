#!/bin/bash
# Isolation, with VMs (vms.isolation = "stop", grace 5 s):
#  1. node3 cut off the network with its BMC dead too: the quorate side
#     cannot fence it (and sanlock never calls it dead: it still writes
#     its heartbeat); node3, without quorum, stops its protected VMs after
#     the grace, which frees their leases; the quorate side then starts
#     them (their leases decide): they come back without any fence, and no
#     VM ever runs twice (sampler).
#     isou, started by hand without a lease and then protected, is
#     reported as unleased, stopped by node3 too, and not started on the
#     quorate side while node3 is lost (no lease would stop a second copy);
#     it starts, with its lease, once node3 is back.
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

# isou: started on node3 by hand from an XML without a <lease>, then
# protected: havm adopts it where it runs, and node3's lease check finds it
# running without its lease.
vm_define isou >/dev/null
host_virsh 3 create "$(vm_xml isou)" >/dev/null || harness_fail "virsh create isou on node3"
havm_on 1 vm add isou --xml "$(vm_xml isou)" --prefer node3 >/dev/null || harness_fail "vm add isou"
unleased() { [ "$(vms_json 1 | jq -r '.vms[] | select(.name == "isou") | "\(.unleased)/\(.host)"')" = true/node3 ]; }
wait_until 60 unleased || harness_fail "isou not listed as unleased on node3: $(vms_json 1 | jq -c '.vms[] | select(.name == "isou")')"
log_has 3 'event: vm-unleased .*vm=isou' || harness_fail "no vm-unleased event for isou on node3"
havm_on 1 vm list | grep -q '^isou .*RUNS WITHOUT ITS LEASE' || harness_fail "havm vm list does not say isou runs without its lease: $(havm_on 1 vm list)"
harness_pass "isou, started by hand without a lease and then protected, is adopted on node3 and reported as running without its lease"

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

# isou ran without a lease: node3 stopped it too, but nothing would have
# kept a second copy from starting had it failed to, so the quorate side
# must wait for proof that node3 is off (never, here).
log_has 3 'event: vm-stopped .*vm=isou .*reason="isolation' || harness_fail "node3 did not stop isou for its isolation"
end=$((SECONDS + 8))
while [ $SECONDS -lt $end ]; do
	[ -z "$(vm_qemu_hosts isou)" ] || harness_fail "isou was started on node$(vm_qemu_hosts isou) while node3 (where it ran without a lease) was lost"
	sleep 1
done
why=$(vms_json 1 | jq -r '.vms[] | select(.name == "isou") | "\(.status): \(.reason)"')
case $why in "pending: "*"node3 is lost; waiting until it is proven off"*) ;; *) harness_fail "isou on node1: $why" ;; esac
harness_pass "isou (unleased on node3) not started elsewhere 8 s after isoa/isob were: $why"

host_unisolate 3
bmc_start 3 || harness_fail "restarting node3's BMC"
wait_until 60 sees_online 1 3 || harness_fail "node3 did not rejoin"
wait_until 120 all_ready || harness_fail "node3 not ready for VMs again"
isou_back() { [ -n "$(vm_hosts isou)" ]; }
wait_until 60 isou_back || harness_fail "isou did not run again once node3 was back: $(vms_json 1 | jq -c '.vms[] | select(.name == "isou")')"
h=$(vm_hosts isou)
host_virsh "$h" dumpxml isou | grep -q '<lease>' || harness_fail "isou runs again on node$h without a lease"
harness_pass "node3 back (isou stopped there): isou started once, on node$h, with its lease"
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
