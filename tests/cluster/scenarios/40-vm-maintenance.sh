#!/bin/bash
# Maintenance of a host, on real parts (three hosts with libvirtd + qemu,
# sanlock and simulated BMCs; live migration over tcp):
#  - node2 runs 8 protected VMs and 2 more started by hand: "free1" (on
#    the shared storage) and "stuck" (its disk under node2's private /run:
#    no other host can open it, so it cannot migrate);
#  - `havm node maintenance node2 on` is refused while a protected VM
#    (vm9, which avoids node1 and node3) would have no place, naming it;
#    `--dry-run` then shows where each would go;
#  - with vm9 stopped, `maintenance node2 on --wait --timeout 45`: every
#    VM but "stuck" is live-migrated off node2 (none stopped or started:
#    no vm-stopped/vm-started event, and a sampler of every host's qemus
#    never sees one on two hosts), each protected VM's lease held by the
#    sanlock of its new host; the --wait output shows progress ("moving:")
#    and ends naming "stuck" and why it cannot move, exit 1; a vm-failed
#    event says it cannot leave node2; status says node2 is evacuating;
#  - "stuck" destroyed by hand: status says node2 is empty; `maintenance
#    node2 off --failback --wait` makes it take VMs again and brings the 8
#    protected VMs back live (configure show recorded them); `on --wait`
#    empties it again;
#  - node2, in maintenance, loses power: it is not fenced (its BMC's own
#    record shows no power-off from havm for 15 s, the fence history has
#    no entry for it) and an event says why.
set -euo pipefail
export HARNESS_SANLOCK=1 HARNESS_BMC=1 HARNESS_LIBVIRT=1
. "$(dirname "${BASH_SOURCE[0]}")/../checks.sh"
harness_extra_config() {
	FENCE_STORAGE=1 FENCE_EXTRA="vms: { shared_dir = \"$(harness_vm_dir)\"; migration = \"tcp\"; unsafe_migration_for_tests = true; max_parallel_migrations = 2; max_migrations_per_host = 2; vcpu_ratio = 16; };" \
		FENCE_HOST_EXTRA_1="address = \"$(host_addr 1)\";" \
		FENCE_HOST_EXTRA_2="address = \"$(host_addr 2)\";" \
		FENCE_HOST_EXTRA_3="address = \"$(host_addr 3)\";" \
		write_fence_conf "$1"
}

NVM=8
storage_cluster 3
all_ready() { [ "$(ready_hosts 1 2>/dev/null || echo 0)" = 3 ]; }
wait_until 120 all_ready ||
	harness_fail "the hosts never became ready for VMs: $(vms_json 1 | jq -c '.hosts')"
for v in $(seq 1 $NVM); do
	vm_define "vm$v" >/dev/null || harness_fail "vm_define vm$v"
	out=$(havm_on 1 vm add "vm$v" --xml "$(vm_xml "vm$v")" --prefer node2 --priority "$v") ||
		harness_fail "havm vm add vm$v: $out"
done
all_on2() {
	local v
	for v in $(seq 1 $NVM); do vm_runs_on "vm$v" 2 || return 1; done
}
wait_until 90 all_on2 || harness_fail "the VMs do not all run on node2: $(brief 1)"

# Two domains havm does not protect: one that can move, one that cannot.
vm_define free1 >/dev/null
host_virsh 2 create "$(vm_xml free1)" >/dev/null || harness_fail "virsh create free1 on node2"
vm_define stuck >/dev/null
host_exec 2 mkdir -p /run/stuck
host_exec 2 cp "$(vm_disk stuck)" /run/stuck/stuck.img
sed "s|$(vm_disk stuck)|/run/stuck/stuck.img|" "$(vm_xml stuck)" >"$HARNESS_RUNDIR/stuck.xml"
host_virsh 2 create "$HARNESS_RUNDIR/stuck.xml" >/dev/null || harness_fail "virsh create stuck on node2"
wait_until 20 vm_runs_on free1 2 && wait_until 20 vm_runs_on stuck 2 ||
	harness_fail "free1/stuck do not run on node2"
harness_pass "node2 runs $NVM protected VMs, free1 and stuck"

# Refused while a protected VM would have no place.
vm_define vm9 >/dev/null
havm_on 1 vm add vm9 --xml "$(vm_xml vm9)" --prefer node2 --avoid node1,node3 >/dev/null ||
	harness_fail "vm add vm9"
wait_until 60 vm_runs_on vm9 2 || harness_fail "vm9 does not run on node2"
rc=0
out=$(havm_on 1 node maintenance node2 on 2>&1) || rc=$?
[ "$rc" = 1 ] || harness_fail "maintenance with no place for vm9: exit $rc, $out"
case $out in *"vm9: no place"*"avoid"*"nothing changed"*) ;; *) harness_fail "the refusal does not name vm9 and why: $out" ;; esac
[ "$(vms_json 1 | jq -r '.hosts[] | select(.name == "node2") | .maintenance')" = off ] ||
	harness_fail "node2 is in maintenance after a refusal"
harness_pass "maintenance refused while vm9 would have no place: $(printf '%s' "$out" | tr '\n' ' ' | cut -c1-200)"
havm_on 1 vm stop vm9 >/dev/null || harness_fail "vm stop vm9"
wait_until 90 out_is "" vm_qemu_hosts vm9 || harness_fail "vm9 still runs"
out=$(havm_on 3 node maintenance node2 on --dry-run 2>&1) || harness_fail "dry run: $out"
[ "$(printf '%s\n' "$out" | grep -c ' -> node[13] ')" = $NVM ] ||
	harness_fail "the dry run does not place all $NVM VMs: $out"
[ "$(vms_json 1 | jq -r '.hosts[] | select(.name == "node2") | .maintenance')" = off ] ||
	harness_fail "node2 is in maintenance after a dry run"
harness_pass "--dry-run places the $NVM protected VMs on node1/node3 and changes nothing"

movers="$(seq -f 'vm%g' 1 $NVM | tr '\n' ' ')free1"
declare -A mark
for i in 1 2 3; do mark[$i]=$(wc -l <"$(host_log "$i")"); done
since_mark() { tail -n +"$((mark[$1] + 1))" "$(host_log "$1")"; }
samples=$HARNESS_RUNDIR/vm.samples
vm_sampler_start "$samples"
t0=$(harness_now_ms)
rc=0
out=$(havm_on 1 node maintenance node2 on --wait --timeout 45 2>&1) || rc=$?
took=$(($(harness_now_ms) - t0))
vm_sampler_stop
printf '%s\n' "$out" >"$HARNESS_RUNDIR/maintenance.out"
[ "$rc" = 1 ] || harness_fail "maintenance --wait with stuck on node2: exit $rc, $out"
printf '%s\n' "$out" | grep -q 'moving: ' || harness_fail "no progress line names a VM moving: $out"
case $(printf '%s\n' "$out" | tail -1) in *"not empty"*"stuck ("*) ;; *) harness_fail "the end of --wait does not name stuck and why: $(printf '%s\n' "$out" | tail -3)" ;; esac
off_node2() {
	local v
	for v in $movers; do
		case " $(vm_hosts "$v") " in " 1 " | " 3 ") ;; *) return 1 ;; esac
	done
}
off_node2 || harness_fail "not every VM left node2: $(for v in $movers; do printf '%s:%s ' "$v" "$(vm_hosts "$v")"; done)"
vm_runs_on stuck 2 || harness_fail "stuck does not run on node2 any more: '$(vm_hosts stuck)'"
if verdict=$(assert_never_two "$samples"); then :; else harness_fail "$verdict"; fi
area=$(vm_lease_area)
for v in $(seq 1 $NVM); do
	h=$(vm_hosts "vm$v")
	host_sanlock "$h" client status | grep -q "r havm:vm$v:$area:" ||
		harness_fail "sanlock on node$h does not hold vm$v's lease"
done
for i in 1 2 3; do
	! since_mark "$i" | grep -Eq "event: vm-(stopped|started) .*vm=(vm[1-8]|free1) " ||
		harness_fail "node$i recorded a VM stopped or started during the maintenance: $(since_mark "$i" | grep -E 'event: vm-(stopped|started)' | tail -3)"
done
migrated=$(for i in 1 2 3; do since_mark "$i"; done | grep -c 'event: vm-migrated .*from=node2')
[ "$migrated" -ge $((NVM + 1)) ] || harness_fail "only $migrated vm-migrated events from node2"
harness_pass "node2 emptied by live migration in ${took} ms but for stuck: $NVM protected VMs and free1 on node1/node3, leases held there, none stopped; sampler: $verdict"

stuck_told() { grep -hq 'event: vm-failed .*vm=stuck .*cannot leave node2' "$(host_log 1)" "$(host_log 2)" "$(host_log 3)"; }
wait_until 60 stuck_told || harness_fail "no vm-failed event says stuck cannot leave node2"
st=$(havm_on 1 status)
printf '%s\n' "$st" | grep -q 'node2 in maintenance: evacuating, 1 VM(s) left; stuck cannot move: ' ||
	harness_fail "status does not say node2 is evacuating with stuck blocked: $st"
harness_pass "stuck is named: $(printf '%s\n' "$st" | grep 'node2 in maintenance' | cut -c1-200)"

host_virsh 2 destroy stuck >/dev/null || harness_fail "virsh destroy stuck"
empty2() { havm_on 1 status | grep -q 'node2 in maintenance: empty'; }
wait_until 20 empty2 || harness_fail "status does not say node2 is empty: $(havm_on 1 status)"
why2() { vms_json 1 | jq -r '.hosts[] | select(.name == "node2") | .why_not'; }
[ "$(why2)" = "in maintenance" ] || harness_fail "node2's why_not: $(why2)"
havm_on 1 configure show | grep -q "^node node2 maintenance=on vms=vm1,vm2,vm3,vm4,vm5,vm6,vm7,vm8$" ||
	harness_fail "configure show does not record node2's VMs: $(havm_on 1 configure show | grep '^node')"
out=$(havm_on 3 node maintenance node2 off --failback --wait --timeout 90 2>&1) || harness_fail "maintenance off --failback: $out"
wait_until 20 out_is "" why2 || harness_fail "node2 takes no VMs after maintenance off: $(why2)"
all_on2 || harness_fail "not every VM is back on node2: $(brief 1)"
vm_runs_on free1 1 || vm_runs_on free1 3 || harness_fail "free1 (not protected, not failed back) moved: $(vm_hosts free1)"
harness_pass "stuck gone: node2 empty; off --failback brought vm1..vm$NVM back live: $(printf '%s' "$out" | tail -1)"
out=$(havm_on 1 node maintenance node2 on --wait --timeout 90 2>&1) || harness_fail "maintenance on again: $out"
off_node2 || harness_fail "not every VM left node2 the second time: $(brief 1)"
harness_pass "on again: $(printf '%s' "$out" | tail -1)"

offs=$(bmc_power_offs 2)
host_poweroff 2
t1=$(harness_now_ms)
lost_told() { log_has 1 'event: host-lost .*node2 .*in maintenance: not fenced' || log_has 3 'event: host-lost .*node2 .*in maintenance: not fenced'; }
wait_until 20 lost_told || harness_fail "no event says node2 is not fenced for its maintenance"
while [ $(($(harness_now_ms) - t1)) -lt 15000 ]; do
	[ "$(bmc_power_offs 2)" = "$offs" ] || harness_fail "node2 was powered off by its BMC while in maintenance"
	sleep 1
done
history_has 1 'host=node2 ' && harness_fail "node2 has a fence record: $(fence_history 1 | tail -2)"
harness_pass "node2, in maintenance, lost power: not fenced for 15 s (BMC power-offs still $offs), and told"
