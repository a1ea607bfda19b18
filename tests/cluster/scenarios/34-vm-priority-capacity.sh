#!/bin/bash
# Priority and capacity on real parts: three hosts with libvirtd + qemu,
# sanlock and simulated BMCs; five protected VMs, each declaring 45% of a
# host's memory (placement counts a host's memory less what its VMs were
# given; the hosts here all report the same memory, the machine's as
# libvirt counts it, and qemu allocates a guest's memory only as the guest
# touches it, which these halted guests never do: checked below). So a
# host holds two of them, and the cluster cannot lose a host with two.
#  - `havm status` says N+1 is not met, naming the host and the VM;
#  - `havm plan --fail` that host: its higher-priority VM would start on
#    the host with room, its lower-priority VM would stay pending (names
#    sort the other way: the order is the priority's);
#  - the host loses power: its higher-priority VM runs again where the plan
#    said, the other stays pending with a reason naming the memory (vm
#    list, and a vm-pending event);
#  - the host is powered on again through its BMC: once it has rejoined
#    (its sanlock waits out its previous life first: about 80 s from the
#    power loss at io_timeout 2), the pending VM is placed and runs there.
# A sampler of every host's qemu processes never sees a VM on two hosts.
set -euo pipefail
export HARNESS_SANLOCK=1 HARNESS_BMC=1 HARNESS_LIBVIRT=1
. "$(dirname "${BASH_SOURCE[0]}")/../checks.sh"
harness_extra_config() {
	FENCE_STORAGE=1 FENCE_EXTRA="vms: { shared_dir = \"$(harness_vm_dir)\"; };" \
		write_fence_conf "$1"
}
# is WANT CMD...: CMD prints WANT (for wait_until, which runs CMD anew each time).
is() {
	local want=$1
	shift
	[ "$("$@" 2>/dev/null)" = "$want" ]
}

storage_cluster 3

vms_brief() { vms_json "$1" | jq -c '[.vms[] | {name, status, host, reason}]'; }
wait_until 120 is 3 ready_hosts 1 ||
	harness_fail "the hosts never became ready for VMs: $(vms_json 1 | jq -c '.hosts')"
# Every host reports the same memory here (the machine's); take the least.
host_mib=$(vms_json 1 | jq '[.hosts[] | .mem_free_mib] | min')
[ "$host_mib" -gt 1000 ] || harness_fail "hosts report $host_mib MiB"
# 45%: two fit with 10% to spare, a third does not. (libvirt's host memory
# is what the kernel's NUMA nodes hold; here that grows slowly while the
# machine runs: margin for it.)
mib=$((host_mib * 9 / 20))
harness_pass "every host ready for VMs, ${host_mib} MiB each; VMs of ${mib} MiB: two fit on a host, three do not"

# Priorities, names sorting the other way. Each prefers a host, so that
# where they start does not hang on ties of free memory (the hosts' memory
# as libvirt reports it moves a little here): node1 holds zulu and alpha.
declare -A prio=([zulu]=100 [yankee]=80 [xray]=60 [alpha]=40 [bravo]=20)
declare -A pref=([zulu]=node1 [yankee]=node2 [xray]=node3 [alpha]=node1 [bravo]=node2)
conf=$HARNESS_RUNDIR/vms.conf
: >"$conf"
for v in zulu yankee xray alpha bravo; do
	vm_define "$v" --memory "$mib" >/dev/null || harness_fail "vm_define $v"
	printf 'vm %s xml=%s priority=%s prefer=%s\n' "$v" "$(vm_xml "$v")" "${prio[$v]}" "${pref[$v]}" >>"$conf"
done
out=$(havm_on 1 configure load "$conf") || harness_fail "havm configure load: $out"

samples=$HARNESS_RUNDIR/vm.samples
vm_sampler_start "$samples"
wait_until 90 is 5 count_status 2 running ||
	harness_fail "not every VM runs: $(vms_brief 2)"
one_host() { [ "$(vm_hosts "$1" | wc -w)" = 1 ]; }
for v in "${!prio[@]}"; do
	wait_until 10 one_host "$v" || harness_fail "$v runs on hosts '$(vm_hosts "$v")'"
done
placement=$(vms_json 1 | jq -c '[.vms[] | {(.name): .host}] | add')
for v in "${!prio[@]}"; do
	[ "node$(vm_hosts "$v")" = "${pref[$v]}" ] || harness_fail "$v is not on its preferred ${pref[$v]}: $placement"
done
harness_pass "five VMs of ${mib} MiB run: $placement"

# Lazy allocation: the guests' memory was never touched, so the qemus are
# small, whatever their guests were given.
rss_all=
for v in "${!prio[@]}"; do
	p=$(vm_pid "$(vm_hosts "$v")" "$v") || harness_fail "no qemu for $v"
	rss=$(awk '/^VmRSS:/ { print int($2 / 1024) }' "/proc/$p/status")
	[ "$rss" -lt 512 ] || harness_fail "$v's qemu uses $rss MiB of real memory (given $mib)"
	rss_all="$rss_all $v=${rss}MiB"
done
harness_pass "qemu resident memory stays small:${rss_all}"

# N+1, from the status of a host (the same facts everywhere).
n1_json=$(vms_json 2 | jq -c .n_plus_one)
[ "$(echo "$n1_json" | jq .ok)" = false ] || harness_fail "N+1 said met: $n1_json"
victim=$(echo "$n1_json" | jq -r .worst_host)
n1_vms=$(echo "$n1_json" | jq -r .vms)
on_victim=$(vms_json 2 | jq -r --arg h "$victim" '[.vms[] | select(.host == $h)] | sort_by(-.priority) | map(.name) | join(" ")')
[ "$(echo "$on_victim" | wc -w)" = 2 ] || harness_fail "$victim runs '$on_victim', want two VMs"
high=${on_victim% *} low=${on_victim#* }
[ "$n1_vms" = "$low" ] || harness_fail "N+1 names '$n1_vms' for $victim, want its lower-priority VM $low"
status_text=$(havm_on 3 status) || harness_fail "havm status failed"
n1_line=$(echo "$status_text" | grep '^N+1:') || harness_fail "no N+1 line in havm status: $status_text"
[ "$n1_line" = "N+1: NOT MET: if $victim failed, these would have no place: $low" ] ||
	harness_fail "havm status N+1 line: '$n1_line'"
harness_pass "havm status: '$n1_line' ($victim runs $high, priority ${prio[$high]}, and $low, priority ${prio[$low]})"

vi=${victim#node}
rc=0
plan=$(havm_on 2 plan --fail "$victim" --json) || rc=$?
[ "$rc" = 1 ] || harness_fail "havm plan --fail $victim exited $rc, want 1 (a VM would not run)"
p_high=$(echo "$plan" | jq -r --arg v "$high" '.vms[] | select(.name == $v) | "\(.status) \(.target)"')
p_low=$(echo "$plan" | jq -r --arg v "$low" '.vms[] | select(.name == $v) | "\(.status) \(.reason)"')
case $p_high in "would-start node"[123]) ;; *) harness_fail "plan for $high: '$p_high'" ;; esac
case $p_low in "pending no host has $mib MiB free"*) ;; *) harness_fail "plan for $low: '$p_low'" ;; esac
high_to=${p_high#would-start }
harness_pass "havm plan --fail $victim: $high -> $high_to; $low: $p_low"

t0=$(harness_now_ms)
bmc_ipmitool "$vi" chassis power off >/dev/null || harness_fail "power off through $victim's BMC"
wait_until 120 vm_runs_on "$high" "${high_to#node}" ||
	harness_fail "$high did not run again on $high_to: $(vms_brief 2)"
took=$(($(harness_now_ms) - t0))
harness_pass "$high runs again on $high_to, ${took} ms after $victim lost power"

c=$(coordinator_of 2)
pending_reason() { vm_field "$c" "$low" reason; }
wait_until 30 is pending vm_field "$c" "$low" status ||
	harness_fail "$low is not pending: $(vms_brief "$c")"
for_memory() { case $(pending_reason) in "no host has $mib MiB free (most: "*) return 0 ;; esac; return 1; }
wait_until 30 for_memory ||
	harness_fail "$low pending, but for: '$(pending_reason)'"
[ -z "$(vm_qemu_hosts "$low")" ] || harness_fail "$low has a qemu on '$(vm_qemu_hosts "$low")'"
ev=$(havm_on "$c" events -n 300 --json)
pend_ev=$(echo "$ev" | jq -r --arg v "$low" '[.[] | select(.type == "vm-pending" and .vm == $v and (.text | test("MiB free")))] | last | .text // empty')
[ -n "$pend_ev" ] || harness_fail "no vm-pending event for $low naming the memory: $(echo "$ev" | jq -c --arg v "$low" '[.[] | select(.vm == $v)]')"
harness_pass "$low pending: vm list reason '$(pending_reason)'; vm-pending event $pend_ev"
# Still so while the host is off: the survivors are full.
for v in "${!prio[@]}"; do
	[ "$v" = "$low" ] || [ "$(vm_hosts "$v" | wc -w)" = 1 ] || harness_fail "$v runs on '$(vm_hosts "$v")'"
done

t_on=$(harness_now_ms)
bmc_ipmitool "$vi" chassis power on >/dev/null || harness_fail "power on through $victim's BMC"
# Back in the cluster, but not taking VMs until its sanlock has rejoined
# the lockspace; meanwhile the VM stays pending (one document: both at once).
joining() {
	vms_json "$c" | jq -e --arg h "$victim" --arg v "$low" '
		(.hosts[] | select(.name == $h) | .why_not | test("lockspace")) and
		(.vms[] | select(.name == $v) | .status == "pending")' >/dev/null
}
wait_until 120 joining ||
	harness_fail "$victim never showed as joining the lockspace with $low pending: $(vms_json "$c" | jq -c .hosts)"
t_join=$(harness_now_ms)
harness_pass "$victim back in the cluster $((t_join - t0)) ms after the loss, waiting for the lockspace; $low still pending"
wait_until 240 vm_runs_on "$low" "$vi" ||
	harness_fail "$low did not start on $victim once it was back: $(vms_brief "$c"); hosts $(vms_json "$c" | jq -c .hosts)"
back=$(($(harness_now_ms) - t0))
# The returning host may be the coordinator now (the lowest node id is).
c=$(coordinator_of 2)
placed=$(havm_on "$c" events -n 300 --json | jq -r --arg v "$low" '[.[] | select(.type == "vm-placed" and .vm == $v)] | last | "\(.host) \(.text)"')
case $placed in "$victim reason="*) ;; *) harness_fail "vm-placed for $low: '$placed'" ;; esac
harness_pass "$victim powered on $((t_on - t0)) ms after the loss; $low placed and running there ${back} ms after the loss (node$c coordinates): $placed"
wait_until 30 is 5 count_status "$c" running ||
	harness_fail "not all five run: $(vms_brief "$c")"

sleep 1
vm_sampler_stop
if verdict=$(assert_never_two "$samples"); then
	harness_pass "sampler: $verdict"
else
	harness_fail "$verdict"
fi
echo "BENCH {\"name\":\"scenario_capacity_rejoin\",\"ms\":$back}"
