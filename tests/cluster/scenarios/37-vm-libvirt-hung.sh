#!/bin/bash
# A hung libvirtd, and a paused VM. Three hosts with libvirtd + qemu,
# sanlock and simulated BMCs; four protected VMs: vm1, vm2 prefer node2,
# vm3 node1, vm4 node3.
#  - libvirtd on node2 is stopped (SIGSTOP) for ~30 s: within seconds
#    (5 s without a report from the monitor) every host shows node2 taking no VMs,
#    why_not "libvirt not answering", and `havm status` says so; node2
#    records a libvirt-changed event; membership holds, and `havm status`
#    answers on every host throughout (each call timed: the worst is
#    printed, and must be under a generous 5 s); nothing fails over: vm1
#    and vm2 stay listed running on node2, every qemu keeps its pid, no
#    vm-placed event, no start request anywhere. SIGCONT: node2 takes VMs
#    again, and nothing was restarted.
#  - vm4 is paused on node3 (`virsh suspend`; libvirt's sanlock driver
#    releases the lease on pause): havm lists it running there (a paused
#    domain may hold its lease) and does nothing. A second copy from its
#    live XML (lease included) is started by hand on node1 -- the lease is
#    free, so sanlock lets it -- and then `virsh resume` of the paused one
#    on node3 must fail on the lease: the lease, not havm, is what keeps
#    one VM from running twice. The copy is destroyed, the resume then
#    succeeds, vm4 runs on node3 in the same qemu, and havm placed nothing.
#    The sampler (every 200 ms, all hosts' qemus) never sees a VM running
#    on two hosts.
set -euo pipefail
export HARNESS_SANLOCK=1 HARNESS_BMC=1 HARNESS_LIBVIRT=1
. "$(dirname "${BASH_SOURCE[0]}")/../checks.sh"
harness_extra_config() {
	FENCE_STORAGE=1 FENCE_EXTRA="vms: { shared_dir = \"$(harness_vm_dir)\"; };" \
		write_fence_conf "$1"
}

NVM=4
storage_cluster 3
for v in $(seq 1 $NVM); do vm_define "vm$v" >/dev/null || harness_fail "vm_define vm$v"; done

declare -A home=([vm1]=2 [vm2]=2 [vm3]=1 [vm4]=3)

wait_until 120 out_is 3 ready_hosts 1 ||
	harness_fail "the hosts never became ready for VMs: $(vms_json 1 | jq -c '.hosts')"
for v in $(seq 1 $NVM); do
	out=$(havm_on 1 vm add "vm$v" --xml "$(vm_xml "vm$v")" --prefer "node${home[vm$v]}") ||
		harness_fail "havm vm add vm$v: $out"
done
wait_until 90 out_is $NVM count_status 1 running || harness_fail "not every VM runs: $(brief 1)"
on_home() {
	local v
	for v in "${!home[@]}"; do vm_runs_on "$v" "${home[$v]}" || return 1; done
}
wait_until 20 on_home || harness_fail "the VMs do not each run once on their preferred host: $(brief 1)"
harness_pass "$NVM VMs run where preferred: vm1 vm2 on node2, vm3 on node1, vm4 on node3"

declare -A pid
for v in "${!home[@]}"; do pid[$v]=$(vm_pid "${home[$v]}" "$v") || harness_fail "no qemu for $v"; done
same_pids() {
	local v p
	for v in "${!home[@]}"; do
		p=$(vm_pid "${home[$v]}" "$v") || { echo "$v has no qemu on node${home[$v]}"; return 1; }
		[ "$p" = "${pid[$v]}" ] || { echo "$v: qemu pid $p, was ${pid[$v]}"; return 1; }
	done
}
# placed_since T: vm-placed events recorded after T (ms) on any host.
placed_since() {
	local i
	for i in 1 2 3; do
		havm_on "$i" events --json -n 1000 |
			jq -r --argjson t "$1" '.[] | select(.type == "vm-placed" and .time_ms >= $t) |
				"node'"$i"': \(.vm) \(.text)"'
	done
}
declare -A loglines
mark_logs() { local i; for i in 1 2 3; do loglines[$i]=$(wc -l <"$(host_log "$i")"); done; }
starts_since_mark() {
	local i
	for i in 1 2 3; do
		tail -n +"$((loglines[$i] + 1))" "$(host_log "$i")" | grep -E 'vm: starting vm=' |
			sed "s/^/node$i: /" || true
	done
}

samples=$HARNESS_RUNDIR/hung.samples
vm_sampler_start "$samples"

# --- libvirtd on node2 hung ------------------------------------------------
lpid=$(host_procs 2 libvirtd)
[ -n "$lpid" ] || harness_fail "no libvirtd on node2"
mark_logs
t0=$(harness_now_ms)
host_signal 2 STOP libvirtd || harness_fail "cannot SIGSTOP libvirtd on node2"
hung_seen_everywhere() {
	local i
	for i in 1 2 3; do
		[ "$(host_field "$i" node2 eligible)" = false ] || return 1
		[ "$(host_field "$i" node2 why_not)" = "libvirt not answering" ] || return 1
	done
}
wait_until 30 hung_seen_everywhere ||
	harness_fail "node2's hung libvirt not shown: $(for i in 1 2 3; do vms_json "$i" | jq -c '.hosts[1]'; done)"
detect_ms=$(($(harness_now_ms) - t0))
harness_pass "libvirtd on node2 stopped: every host shows node2 not eligible, 'libvirt not answering', after ${detect_ms} ms (monitor silent 5 s = not answering)"
for i in 1 2; do
	st=$(havm_on "$i" status) || harness_fail "havm status on node$i failed"
	printf '%s\n' "$st" | grep -Fq "node2 takes no VMs now: libvirt not answering" ||
		harness_fail "havm status on node$i does not say node2 takes no VMs: $st"
done
havm_on 2 events -n 100 | grep -Eq 'libvirt-changed .*libvirt=unresponsive' ||
	harness_fail "no libvirt-changed libvirt=unresponsive event on node2: $(havm_on 2 events -n 30)"
harness_pass "havm status on node1 and node2: 'node2 takes no VMs now: libvirt not answering'; node2 recorded libvirt-changed libvirt=unresponsive"

worst=0 worst_on=0 calls=0
end=$((SECONDS + 25 - detect_ms / 1000))
while [ $SECONDS -lt $end ]; do
	for i in 1 2 3; do
		a=$(harness_now_ms)
		havm_on "$i" status >/dev/null || harness_fail "havm status on node$i failed while libvirtd on node2 hung"
		d=$(($(harness_now_ms) - a))
		calls=$((calls + 1))
		[ "$d" -le "$worst" ] || { worst=$d; worst_on=$i; }
	done
	all_agree_online 3 1 1 2 3 || harness_fail "membership changed while libvirtd on node2 hung: $(havm_on 1 status)"
	why=$(same_pids) || harness_fail "while libvirtd on node2 hung: $why"
	listed=$(vms_json 1 | jq -r '[.vms[] | select(.name == "vm1" or .name == "vm2") | "\(.status)/\(.host)"] | join(" ")')
	[ "$listed" = "running/node2 running/node2" ] ||
		harness_fail "while libvirtd on node2 hung, node1 lists vm1 vm2 as: $listed"
	sleep 1
done
echo "INFO: havm status while libvirtd on node2 hung: $calls calls, the slowest ${worst} ms (on node$worst_on)"
[ "$worst" -lt 5000 ] || harness_fail "havm status took ${worst} ms on node$worst_on while libvirtd on node2 hung"
placed=$(placed_since "$t0")
[ -z "$placed" ] || harness_fail "VMs were placed while libvirtd on node2 hung: $placed"
started=$(starts_since_mark)
[ -z "$started" ] || harness_fail "start requests while libvirtd on node2 hung: $started"
hung_s=$((($(harness_now_ms) - t0) / 1000))
harness_pass "${hung_s} s hung: membership held, havm status answered on every host ($calls calls, slowest ${worst} ms), vm1 vm2 listed running on node2, the same qemu pids, no vm-placed event, no start request"
grep -Eq 'libvirt monitor ended' "$(host_log 2)" &&
	echo "INFO: node2's libvirt monitor was ended by its keepalive and started again during the hang"

host_signal 2 CONT libvirtd || harness_fail "cannot SIGCONT libvirtd on node2"
wait_until 60 out_is true host_field 1 node2 eligible ||
	harness_fail "node2 never takes VMs again after SIGCONT: why_not '$(host_field 1 node2 why_not)'"
harness_pass "libvirtd on node2 continued: node2 takes VMs again"
sleep 3 # let a wrong start, if one were coming, come
why=$(same_pids) || harness_fail "after libvirtd on node2 continued: $why"
[ "$(count_status 1 running)" = $NVM ] || harness_fail "not all running after the hang: $(brief 1)"
placed=$(placed_since "$t0")
[ -z "$placed" ] || harness_fail "VMs were placed around the libvirtd hang: $placed"
started=$(starts_since_mark)
[ -z "$started" ] || harness_fail "start requests around the libvirtd hang: $started"
harness_pass "after the hang: all $NVM running, the same qemu pids, nothing placed or started"

# --- a paused VM, and its lease ---------------------------------------------
mark_logs
t1=$(harness_now_ms)
host_virsh 3 suspend vm4 >/dev/null || harness_fail "virsh suspend vm4 on node3"
wait_until 10 out_is paused vm_state 3 vm4 || harness_fail "vm4 on node3 is '$(vm_state 3 vm4)', not paused"
wait_until 10 out_is "" vm_hosts vm4 || harness_fail "the sampler still reads vm4 as running on '$(vm_hosts vm4)'"
end=$((SECONDS + 8))
while [ $SECONDS -lt $end ]; do
	[ "$(vm_field 1 vm4 status)/$(vm_field 1 vm4 host)" = paused/node3 ] ||
		harness_fail "paused vm4: node1 lists it as $(vm_field 1 vm4 status) on '$(vm_field 1 vm4 host)'"
	sleep 1
done
why=$(same_pids) || harness_fail "after vm4 was paused: $why"
placed=$(placed_since "$t1")
[ -z "$placed" ] || harness_fail "VMs were placed while vm4 was paused: $placed"
started=$(starts_since_mark)
[ -z "$started" ] || harness_fail "start requests while vm4 was paused: $started"
harness_pass "vm4 paused on node3: havm lists it paused there (a paused domain may hold its lease again) and starts nothing for 8 s"

host_virsh 3 dumpxml vm4 >"$HARNESS_RUNDIR/vm4.live.xml" || harness_fail "dumpxml vm4 on node3"
grep -q '<lease>' "$HARNESS_RUNDIR/vm4.live.xml" || harness_fail "vm4 runs without a lease"
rc=0
out=$(host_virsh 1 create "$HARNESS_RUNDIR/vm4.live.xml" 2>&1) || rc=$?
[ "$rc" = 0 ] || harness_fail "a copy of paused vm4 on node1 failed (the lease is expected free while vm4 is paused): $out"
wait_until 10 out_is 1 vm_hosts vm4 || harness_fail "the copy of vm4 does not run on node1: '$(vm_hosts vm4)'"
harness_pass "vm4 paused on node3 holds no lease: a copy from its live XML started on node1"
rc=0
out=$(host_virsh 3 resume vm4 2>&1) || rc=$?
[ "$rc" != 0 ] || harness_fail "vm4 resumed on node3 while its copy runs on node1"
case $out in *"Failed to acquire lock"* | *"resource busy"* | *lease*) ;; *) harness_fail "the resume on node3 failed, but not on the lease: $out" ;; esac
sleep 1
[ "$(vm_state 3 vm4)" = paused ] || harness_fail "after the refused resume, vm4 on node3 is '$(vm_state 3 vm4)'"
vm_runs_on vm4 1 || harness_fail "vm4 runs on '$(vm_hosts vm4)' after the refused resume"
harness_pass "virsh resume of vm4 on node3 refused by the lease the copy on node1 holds: $(printf '%s' "$out" | tr '\n' ' ' | cut -c1-160)"

host_virsh 1 destroy vm4 >/dev/null || harness_fail "virsh destroy of the copy on node1"
wait_until 10 out_is "3" vm_qemu_hosts vm4 || harness_fail "the copy's qemu stayed: '$(vm_qemu_hosts vm4)'"
host_virsh 3 resume vm4 >/dev/null || harness_fail "virsh resume vm4 on node3 after the copy ended"
wait_until 10 vm_runs_on vm4 3 || harness_fail "vm4 does not run on node3 after the resume: '$(vm_hosts vm4)'"
vm4_listed() { echo "$(vm_field 1 vm4 status)/$(vm_field 1 vm4 host)"; }
wait_until 30 out_is running/node3 vm4_listed || harness_fail "node1 lists vm4 as $(vm4_listed)"
sleep 2
p=$(vm_pid 3 vm4) || harness_fail "no qemu for vm4 on node3"
[ "$p" = "${pid[vm4]}" ] || harness_fail "vm4's qemu on node3 is pid $p, was ${pid[vm4]}"
why=$(same_pids) || harness_fail "after the paused-VM test: $why"
placed=$(placed_since "$t1")
[ -z "$placed" ] || harness_fail "VMs were placed during the paused-VM test: $placed"
started=$(starts_since_mark)
[ -z "$started" ] || harness_fail "start requests during the paused-VM test: $started"
harness_pass "the copy destroyed, vm4 resumed on node3 in its own qemu (pid ${pid[vm4]}); havm lists it running there and placed or started nothing"

vm_sampler_stop
if verdict=$(assert_never_two "$samples"); then
	harness_pass "sampler: $verdict"
else
	harness_fail "$verdict"
fi
