#!/bin/bash
# VM failover on real parts: three hosts with libvirtd + qemu, sanlock and
# simulated BMCs; nine protected VMs added with `havm vm add` (havmd puts
# each VM's lease in its XML), spread over the hosts by the coordinator.
#  - a second copy of a running protected VM (its live XML, lease included,
#    `virsh create` on another host) is refused by the lease;
#  - `havm plan --fail node1` says where node1's VMs would go;
#  - node1 loses power through its BMC: the survivors fence it, reclaim its
#    leases, and start its VMs on the others: each VM runs again, exactly
#    once, on the host the plan named; a sampler of every host's qemu
#    processes (every 200 ms, throughout) never sees a VM on two hosts;
#  - the events tell the story: lost, fenced, placed (with the reason),
#    started.
set -euo pipefail
export HARNESS_SANLOCK=1 HARNESS_BMC=1 HARNESS_LIBVIRT=1
. "$(dirname "${BASH_SOURCE[0]}")/../checks.sh"
harness_extra_config() {
	FENCE_STORAGE=1 FENCE_EXTRA="vms: { shared_dir = \"$(harness_vm_dir)\"; migration = \"tcp\"; unsafe_migration_for_tests = true; };" \
		FENCE_HOST_EXTRA_1="address = \"$(host_addr 1)\";" \
		FENCE_HOST_EXTRA_2="address = \"$(host_addr 2)\";" \
		FENCE_HOST_EXTRA_3="address = \"$(host_addr 3)\";" \
		write_fence_conf "$1"
}

NVM=9
storage_cluster 3
for v in $(seq 1 $NVM); do vm_define "vm$v" >/dev/null || harness_fail "vm_define vm$v"; done

# vms_json i: `havm vm list --json` on host i.

all_ready() { [ "$(ready_hosts 1 2>/dev/null || echo 0)" = 3 ]; }
wait_until 120 all_ready ||
	harness_fail "the hosts never became ready for VMs: $(vms_json 1 | jq -c '.hosts')"
harness_pass "every host ready for VMs (libvirt warm, lockspace joined): $(vms_json 1 | jq -c '[.hosts[] | .name]')"

for v in $(seq 1 $NVM); do
	out=$(havm_on $(((v % 3) + 1)) vm add "vm$v" --xml "$(vm_xml "vm$v")" --priority "$v") ||
		harness_fail "havm vm add vm$v: $out"
done
# Every host holds the same configuration, whichever host took the change.
v1=$(havm_on 1 configure show | md5sum) v2=$(havm_on 2 configure show | md5sum)
v3=$(havm_on 3 configure show | md5sum)
[ "$v1" = "$v2" ] && [ "$v2" = "$v3" ] || harness_fail "the hosts' configurations differ"
[ "$(havm_on 3 configure show | grep -c '^vm ')" = $NVM ] ||
	harness_fail "configure show lists $(havm_on 3 configure show | grep -c '^vm ') VMs, want $NVM"
harness_pass "$NVM VMs added from three hosts; configure show is the same on every host"

samples=$HARNESS_RUNDIR/vm.samples
vm_sampler_start "$samples"
all_running() { [ "$(count_status 2 running 2>/dev/null || echo 0)" = $NVM ]; }
wait_until 90 all_running ||
	harness_fail "not every VM runs: $(vms_json 2 | jq -c '[.vms[] | {name, status, host, reason}]')"
# A guest reads as running once its vCPU has run (a moment after libvirt
# says so): each on exactly one host, and the one havm names.
one_host() { [ "$(vm_hosts "$1" | wc -w)" = 1 ]; }
for v in $(seq 1 $NVM); do
	wait_until 10 one_host "vm$v" || harness_fail "vm$v runs on hosts '$(vm_hosts "vm$v")'"
	want=$(vms_json 1 | jq -r ".vms[] | select(.name == \"vm$v\") | .host")
	[ "node$(vm_hosts "vm$v" | tr -d ' ')" = "$want" ] ||
		harness_fail "vm$v runs on node$(vm_hosts "vm$v"), havm says $want"
done
per_host=$(vms_json 1 | jq -c '[.vms[] | .host] | group_by(.) | map({(.[0]): length}) | add')
harness_pass "all $NVM VMs run, each on one host, spread: $per_host"

# The sampler is paused around the second copy below: libvirt starts its
# qemu (vCPUs stopped) before sanlock refuses the lease, and the sampler,
# which never hides a double, may read that qemu as running.
vm_sampler_stop
if verdict=$(assert_never_two "$samples"); then
	harness_pass "sampler while the VMs started: $verdict"
else
	harness_fail "$verdict"
fi

# A second copy of a protected VM: its live XML (lease included) elsewhere.
victim=$(vms_json 1 | jq -r '[.vms[] | select(.host == "node2")][0].name')
host_virsh 2 dumpxml "$victim" >"$HARNESS_RUNDIR/$victim.live.xml" || harness_fail "dumpxml $victim"
grep -q '<lease>' "$HARNESS_RUNDIR/$victim.live.xml" || harness_fail "$victim runs without a lease"
rc=0
out=$(host_virsh 3 create "$HARNESS_RUNDIR/$victim.live.xml" 2>&1) || rc=$?
[ "$rc" != 0 ] || harness_fail "a second copy of $victim started on node3"
case $out in *"Failed to acquire lock"*) ;; *) harness_fail "the second copy failed, but not on the lease: $out" ;; esac
harness_pass "virsh create of $victim (running on node2) on node3 refused by its lease"
wait_until 10 test -z "$(vm_qemu_hosts "$victim" | tr -d ' 2')" ||
	harness_fail "the refused copy's qemu stayed on node3"
samples=$HARNESS_RUNDIR/vm-failover.samples
vm_sampler_start "$samples"

plan=$(havm_on 2 plan --fail node1 --json) || harness_fail "havm plan --fail node1 failed"
on1=$(vms_json 2 | jq -r '[.vms[] | select(.host == "node1") | .name] | join(" ")')
[ -n "$on1" ] || harness_fail "no VM on node1 to fail over"
declare -A planned
for v in $on1; do
	planned[$v]=$(echo "$plan" | jq -r ".vms[] | select(.name == \"$v\") | .target")
	case ${planned[$v]} in node2 | node3) ;; *) harness_fail "plan for $v: '${planned[$v]}'" ;; esac
done
harness_pass "havm plan --fail node1: $(for v in $on1; do printf '%s->%s ' "$v" "${planned[$v]}"; done)"

t0=$(harness_now_ms)
bmc_ipmitool 1 chassis power off >/dev/null || harness_fail "power off through node1's BMC"
all_back() {
	local v
	for v in $on1; do [ "$(vm_hosts "$v")" = 2 ] || [ "$(vm_hosts "$v")" = 3 ] || return 1; done
}
wait_until 120 all_back || harness_fail "node1's VMs ($on1) did not come back: $(vms_json 2 | jq -c '[.vms[] | {name, status, host, reason}]')"
took=$(($(harness_now_ms) - t0))
harness_pass "node1's VMs ($on1) run again on node2/node3, ${took} ms after the power loss"

wait_until 30 all_running ||
	harness_fail "havm vm list does not show all $NVM running"
for v in $on1; do
	got=$(vm_hosts "$v" | tr -d ' ')
	[ "node$got" = "${planned[$v]}" ] || harness_fail "$v went to node$got, the plan said ${planned[$v]}"
done
harness_pass "each VM went where havm plan --fail said it would"

sleep 2
vm_sampler_stop
if verdict=$(assert_never_two "$samples"); then
	harness_pass "sampler: $verdict"
else
	harness_fail "$verdict"
fi

# A live migration: the VM moves while it runs, its lease with it, and
# never runs on both hosts at once.
mover=$(vms_json 2 | jq -r '[.vms[] | select(.host == "node2")][0].name')
pid=$(vm_pid 2 "$mover") || harness_fail "no qemu for $mover on node2"
samples=$HARNESS_RUNDIR/vm-migrate.samples
vm_sampler_start "$samples"
out=$(havm_on 2 vm migrate "$mover" node3 --no-wait 2>&1) || harness_fail "havm vm migrate $mover node3: $out"
wait_until 60 vm_runs_on "$mover" 3 || harness_fail "$mover does not run on node3 after the migration: $(grep -h "migrat" "$(host_log 2)" "$(host_log 3)" | tail -5)"
! _harness_pid_runs "$pid" || harness_fail "$mover's qemu on node2 (pid $pid) still runs"
area=$(vm_lease_area)
host_sanlock 3 client status | grep -q "r havm:$mover:$area:" ||
	harness_fail "sanlock on node3 does not hold $mover's lease: $(host_sanlock 3 client status)"
vm_sampler_stop
if verdict=$(assert_never_two "$samples"); then
	harness_pass "havm vm migrate $mover node3: $out; lease held on node3; sampler: $verdict"
else
	harness_fail "$verdict"
fi
listed_on3() { [ "$(vms_json 2 | jq -r ".vms[] | select(.name == \"$mover\") | .host")" = node3 ]; }
wait_until 20 listed_on3 || harness_fail "havm vm list does not show $mover on node3"
rc=0
out=$(havm_on 2 vm migrate "$mover" node3 2>&1) || rc=$?
[ "$rc" = 1 ] && echo "$out" | grep -q 'runs on node3 already' ||
	harness_fail "a migration to where it runs: exit $rc, $out"
harness_pass "a migration to where the VM runs already is refused: $out"

c=$(coordinator_of 2)
# The migration's own end (its job returns once libvirt has cleaned up the
# source) may come a moment after the VM runs at its destination.
migrated_ev() { havm_on "$c" events -n 200 | grep -Eq "vm-migrated .*vm=$mover .*from=node2"; }
wait_until 60 migrated_ev || true
ev=$(havm_on "$c" events -n 200)
echo "$ev" | grep -E 'host-lost|fence-|lease-reclaimed|vm-' | sed 's/^/INFO: /'
for want in "host-lost .*host=node1" "fence-succeeded .*host=node1" "lease-reclaimed .*host=node1" \
	"vm-placed .*reason=" "vm-started " "vm-migrated .*vm=$mover .*from=node2"; do
	echo "$ev" | grep -Eq -- "$want" || harness_fail "no event matching '$want' on node$c: $ev"
done
harness_pass "events on the coordinator: host-lost, fence-succeeded, lease-reclaimed, vm-placed with a reason, vm-started, vm-migrated"
echo "BENCH {\"name\":\"scenario_failover\",\"vms\":$(echo "$on1" | wc -w),\"ms\":$took}"
