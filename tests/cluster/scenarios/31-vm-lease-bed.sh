#!/bin/bash
# The bed for VM high availability, proven with virsh alone: each of three
# hosts runs a real libvirtd (TCP for migration) after sanlock, with
# qemu.conf and qemu-sanlock.conf from conf/libvirt/ as shipped. Once
# havmd has joined every host to the lockspace "havm", a VM whose domain
# XML holds the lease of VM slot 0 in havm's area runs on host 1, its qemu
# holding the lease in sanlock; the same XML fails on hosts 2 and 3 with
# "Failed to acquire lock". Host 1 loses power through its BMC: its
# libvirtd and qemu die with it; havmd fences it and frees its leases, and
# the VM then starts on host 2. A sampler of every host's qemu processes
# never sees the VM on two hosts at once, and is shown to fail on a crafted
# sample that does and on a VM without a lease started on two hosts.
set -euo pipefail
export HARNESS_SANLOCK=1 HARNESS_BMC=1 HARNESS_LIBVIRT=1
. "$(dirname "${BASH_SOURCE[0]}")/../checks.sh"
harness_extra_config() { FENCE_STORAGE=1 write_fence_conf "$1"; }

harness_require_root
harness_init 3

# The sampler's verdict can fail: a crafted sample with vm1 on two hosts.
crafted=$HARNESS_RUNDIR/crafted.samples
printf '%s vm1@1\n%s vm1@3 vm1@1\n' "$(harness_now_ms)" "$(harness_now_ms)" >"$crafted"
if verdict=$(assert_never_two "$crafted"); then
	harness_fail "assert_never_two passed a sample with vm1 on hosts 3 and 1: $verdict"
fi
case $verdict in "VM vm1 on hosts 3 1 at "*) ;; *) harness_fail "assert_never_two's verdict: $verdict" ;; esac
harness_pass "assert_never_two fails on a crafted double: $(echo "$verdict" | head -1)"

area=$(vm_lease_area)
touch "$area" # the LUN exists, blank
start_cluster 3
for i in 1 2 3; do
	[ -n "$(host_procs "$i" libvirtd)" ] || harness_fail "no libvirtd on host $i"
	j=$((i % 3 + 1))
	host_exec "$j" virsh -c "$(host_libvirt_uri "$i")" uri >/dev/null ||
		harness_fail "host $j cannot reach host $i's libvirtd at $(host_libvirt_uri "$i")"
done
harness_pass "libvirtd runs in every host and answers over TCP from the next host"

# havmd joins the lockspace once the area exists; sanlock then waits to be
# sure no one else has the host id. A lease is granted only after that.
havm_on 1 storage init >/dev/null || harness_fail "havm storage init failed"
t_init=$(harness_now_ms)
joined() {
	local i
	for i in 1 2 3; do
		host_sanlock "$i" client status 2>/dev/null | grep -qx "s havm:$i:$area:0" || return 1
	done
	return 0
}
wait_until 90 joined || harness_fail "havmd did not join every host to the lockspace"
t_joined=$(($(harness_now_ms) - t_init))
harness_pass "havmd joined hosts 1, 2, 3 to the lockspace havm with host ids 1, 2, 3 (${t_joined} ms after havm storage init)"

vm_lease_init vm1 0 || harness_fail "initialising vm1's lease"
vm_lease_init vm2 1 || harness_fail "initialising vm2's lease"
vm_define vm1 --slot 0 >/dev/null || harness_fail "vm_define vm1"
vm_define vm2 --slot 1 >/dev/null || harness_fail "vm_define vm2"
samples=$HARNESS_RUNDIR/vm.samples
vm_sampler_start "$samples"

vm_start 1 vm1 >/dev/null || harness_fail "virsh create vm1 on host 1 failed"
t_first=$VM_START_MS
[ "$(vm_state 1 vm1)" = running ] || harness_fail "vm1 on host 1 is $(vm_state 1 vm1 || true)"
wait_until 5 vm_runs_on vm1 1 || harness_fail "vm1 runs on hosts '$(vm_hosts vm1)', want 1"
pid=$(vm_pid 1 vm1) || harness_fail "no qemu for vm1 on host 1"
off=$(vm_slot_offset 0)
host_sanlock 1 client status | grep -qx "r havm:vm1:$area:$off:[0-9]* p $pid" ||
	harness_fail "sanlock on host 1 does not show vm1's lease held by qemu pid $pid: $(host_sanlock 1 client status)"
harness_pass "vm1 runs on host 1 (only); sanlock shows its lease (slot 0, offset $off) held by its qemu, pid $pid"

vm_start 1 vm2 >/dev/null || harness_fail "virsh create vm2 on host 1 failed"
t_second=$VM_START_MS
echo "INFO: domain starts on host 1: first ${t_first} ms (libvirtd probes qemu first), second ${t_second} ms"

# The sampler's running/paused reading, against qemu itself.
host_virsh 1 suspend vm2 >/dev/null || harness_fail "virsh suspend vm2"
[ -z "$(vm_hosts vm2)" ] && [ "$(vm_qemu_hosts vm2)" = 1 ] ||
	harness_fail "suspended vm2: running on '$(vm_hosts vm2)', qemu on '$(vm_qemu_hosts vm2)'"
host_virsh 1 resume vm2 >/dev/null || harness_fail "virsh resume vm2"
wait_until 5 vm_runs_on vm2 1 || harness_fail "resumed vm2 runs on '$(vm_hosts vm2)', want 1"
harness_pass "vm2 started on host 1; the sampler reads it paused while suspended, running once resumed"

libvirt_warm 1 2 3 || harness_fail "libvirt_warm"
for i in 2 3; do
	rc=0
	vm_start "$i" vm1 >"$HARNESS_RUNDIR/refused.out" 2>&1 || rc=$?
	out=$(cat "$HARNESS_RUNDIR/refused.out")
	[ "$rc" != 0 ] || harness_fail "vm1 started on host $i while host 1 holds its lease"
	case $out in *"Failed to acquire lock"*) ;; *) harness_fail "vm1 on host $i failed, but not on the lease: $out" ;; esac
	! vm_state "$i" vm1 >/dev/null || harness_fail "host $i knows a domain vm1 after the refusal"
	[ "$(vm_hosts vm1)" = 1 ] || harness_fail "vm1 runs on hosts '$(vm_hosts vm1)' after the refusal"
	harness_pass "virsh create vm1 on host $i refused in ${VM_START_MS} ms: $(echo "$out" | grep -o 'Failed to acquire lock.*' | head -1)"
done

pids=$(host_procs 1 qemu-system-x86)
[ "$(echo "$pids" | wc -w)" = 2 ] || harness_fail "host 1 should run 2 qemu, runs: $pids"
bmc_ipmitool 1 chassis power off >/dev/null || harness_fail "power off through node1's BMC failed"
gone() {
	local p
	for p in $pids $(host_procs 1 libvirtd); do _harness_pid_runs "$p" && return 1; done
	[ -z "$(host_pids 1)" ]
}
wait_until 10 gone || harness_fail "host 1's qemu ($pids) or libvirtd survived its power off"
[ -z "$(vm_qemu_hosts vm1)" ] && [ -z "$(vm_qemu_hosts vm2)" ] || harness_fail "vm1/vm2 still seen after host 1's power off"
harness_pass "host 1 powered off through its BMC: its libvirtd and both qemu ($(echo "$pids" | tr '\n' ' ' | sed 's/ $//')) are gone"

# havmd (host 2, the coordinator now) fences node1 and frees its leases;
# then vm1 can start elsewhere at once.
wait_until 60 log_has 2 'event: lease-reclaimed seq=[0-9]+ host=node1 nodeid=1 .*reclaimed=2 ' ||
	harness_fail "havmd did not reclaim node1's two leases: $(fence_history 2)"
vm_start 2 vm1 >/dev/null || harness_fail "vm1 did not start on host 2 after node1's leases were freed"
wait_until 5 vm_runs_on vm1 2 || harness_fail "vm1 runs on hosts '$(vm_hosts vm1)', want 2"
harness_pass "node1 fenced, its leases freed by havmd; vm1 then started on host 2 in ${VM_START_MS} ms"

vm_sampler_stop
grep -q ' vm1@1' "$samples" && grep -q ' vm1@2' "$samples" ||
	harness_fail "the sampler never saw vm1 on host 1 and then on host 2"
if verdict=$(assert_never_two "$samples"); then
	harness_pass "sampler: $verdict (vm1 seen on host 1, then on host 2)"
else
	harness_fail "$verdict"
fi

# And it fails on a real double: vm3 has no lease, so nothing stops it
# from running on hosts 2 and 3 at once.
vm_define vm3 >/dev/null || harness_fail "vm_define vm3"
vm_start 2 vm3 >/dev/null && vm_start 3 vm3 >/dev/null || harness_fail "starting vm3 on hosts 2 and 3"
wait_until 5 vm_runs_on vm3 "2 3" || harness_fail "vm3 runs on '$(vm_hosts vm3)', want 2 3"
double=$HARNESS_RUNDIR/double.samples
vm_sample >"$double"
if verdict=$(assert_never_two "$double"); then
	harness_fail "assert_never_two missed vm3 on hosts 2 and 3: $verdict ($(cat "$double"))"
fi
case $verdict in "VM vm3 on hosts "[23]" "[23]" at "*) ;; *) harness_fail "assert_never_two's verdict: $verdict" ;; esac
harness_pass "a VM without a lease runs on hosts 2 and 3 at once, and the sampler says so: $(echo "$verdict" | head -1)"

# Cleanup leaves no qemu behind (host_pids, like the sampler, see only
# this run's namespaces; the pid is checked itself).
pid=$(vm_pid 2 vm1) || harness_fail "no qemu for vm1 on host 2"
rundir=$HARNESS_RUNDIR
harness_cleanup
! _harness_pid_runs "$pid" || harness_fail "vm1's qemu (pid $pid) survived harness_cleanup"
! grep -lsFf <(printf '%s\n' "$rundir") /proc/[0-9]*/cmdline >/dev/null || harness_fail "a process still names $rundir"
harness_pass "harness_cleanup left no qemu (vm1's pid $pid is gone, no process names the run dir)"
