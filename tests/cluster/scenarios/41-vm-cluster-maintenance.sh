#!/bin/bash
# Cluster maintenance mode, on real parts (three hosts with libvirtd +
# qemu, sanlock and simulated BMCs):
#  - three protected VMs run on node3; `havm cluster maintenance on`;
#    status says so;
#  - node3 loses power: for 15 s nobody fences it (its BMC's own record
#    shows no power-off), none of its VMs starts anywhere (every host's
#    qemus sampled), and they are pending with the mode as the reason;
#  - `havm cluster maintenance off`: node3 is fenced through its BMC and
#    the three VMs run on node1/node2, each once (sampler throughout).
set -euo pipefail
export HARNESS_SANLOCK=1 HARNESS_BMC=1 HARNESS_LIBVIRT=1
. "$(dirname "${BASH_SOURCE[0]}")/../checks.sh"
harness_extra_config() {
	FENCE_STORAGE=1 FENCE_EXTRA="vms: { shared_dir = \"$(harness_vm_dir)\"; };" \
		write_fence_conf "$1"
}

NVM=3
storage_cluster 3
all_ready() { [ "$(ready_hosts 1 2>/dev/null || echo 0)" = 3 ]; }
wait_until 120 all_ready ||
	harness_fail "the hosts never became ready for VMs: $(vms_json 1 | jq -c '.hosts')"
for v in $(seq 1 $NVM); do
	vm_define "cm$v" >/dev/null || harness_fail "vm_define cm$v"
	havm_on 1 vm add "cm$v" --xml "$(vm_xml "cm$v")" --prefer node3 >/dev/null ||
		harness_fail "havm vm add cm$v"
done
on3() {
	local v
	for v in $(seq 1 $NVM); do vm_runs_on "cm$v" 3 || return 1; done
}
wait_until 90 on3 || harness_fail "the VMs do not all run on node3: $(brief 1)"
harness_pass "cm1..cm$NVM run on node3"

out=$(havm_on 2 cluster maintenance on) || harness_fail "cluster maintenance on: $out"
havm_on 1 status | grep -q '^CLUSTER MAINTENANCE MODE' ||
	harness_fail "status does not say cluster maintenance mode: $(havm_on 1 status)"
havm_on 3 configure show | grep -qx 'property maintenance-mode=true' ||
	harness_fail "configure show on node3 lacks the property: $(havm_on 3 configure show)"
harness_pass "cluster maintenance on: $out"

samples=$HARNESS_RUNDIR/vm.samples
vm_sampler_start "$samples"
offs=$(bmc_power_offs 3)
host_poweroff 3
t0=$(harness_now_ms)
while [ $(($(harness_now_ms) - t0)) -lt 15000 ]; do
	[ "$(bmc_power_offs 3)" = "$offs" ] || harness_fail "node3 was fenced in cluster maintenance mode"
	for v in $(seq 1 $NVM); do
		[ -z "$(vm_qemu_hosts "cm$v")" ] || harness_fail "cm$v started on node$(vm_qemu_hosts "cm$v") in cluster maintenance mode"
	done
	sleep 1
done
why=$(vms_json 1 | jq -r '.vms[] | select(.name == "cm1") | "\(.status): \(.reason)"')
case $why in "pending: "*) ;; *) harness_fail "cm1 during cluster maintenance: $why" ;; esac
history_has 1 'host=node3 ' && harness_fail "node3 has a fence record"
harness_pass "node3 lost power in cluster maintenance mode: not fenced for 15 s, its VMs started nowhere (cm1: $why)"

t1=$(harness_now_ms)
out=$(havm_on 1 cluster maintenance off) || harness_fail "cluster maintenance off: $out"
fenced() { [ "$(bmc_power_offs 3)" -gt "$offs" ] || history_has 1 'host=node3 .*result=off-verified'; }
wait_until 60 fenced || harness_fail "node3 not fenced after cluster maintenance off"
back() {
	local v
	for v in $(seq 1 $NVM); do
		case " $(vm_hosts "cm$v") " in " 1 " | " 2 ") ;; *) return 1 ;; esac
	done
}
wait_until 90 back || harness_fail "the VMs did not come back on node1/node2: $(brief 1)"
took=$(($(harness_now_ms) - t1))
vm_sampler_stop
if verdict=$(assert_never_two "$samples"); then :; else harness_fail "$verdict"; fi
harness_pass "cluster maintenance off: node3 fenced, cm1..cm$NVM run on node1/node2 ${took} ms later; sampler: $verdict"
