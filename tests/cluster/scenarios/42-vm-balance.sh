#!/bin/bash
# CPU-load balancing, on real parts (three hosts with libvirtd + qemu,
# sanlock and simulated BMCs; live migration over tcp):
#  - three CPU-hungry protected VMs (boot sector `jmp $`) prefer node1;
#    balance: high_threshold 35 (percent of a host's 2 CPUs), hold 8 s,
#    window 5 s, cooldown 300 s;
#  - node1 goes above the threshold; the coordinator live-migrates VMs
#    away, one at a time, until every host is below it; each move is a
#    vm-migrated event with its reason ("node1 at N% for the hold time:
#    ..."); over 30 s more no VM moves twice (cooldown) and none moves
#    back to a host it left (no ping-pong); a sampler of every host's
#    qemus never sees a VM on two hosts;
#  - `havm balance --dry-run` shows each host's load and what it would do.
# On this bed every host reports the machine's 2 CPUs, and the three VMs
# share them: each VM reads about 20-30% of a host, node1 starts near
# 66%, and one VM per host (the end) is below the threshold, two maybe
# not: the balancer moves one or two VMs.
set -euo pipefail
export HARNESS_SANLOCK=1 HARNESS_BMC=1 HARNESS_LIBVIRT=1
. "$(dirname "${BASH_SOURCE[0]}")/../checks.sh"
harness_extra_config() {
	FENCE_STORAGE=1 FENCE_EXTRA="vms: { shared_dir = \"$(harness_vm_dir)\"; migration = \"tcp\"; unsafe_migration_for_tests = true; }; balance: { high_threshold = 35; hold_time_ms = 8000; window_ms = 5000; cooldown_ms = 300000; min_gain = 5; };" \
		FENCE_HOST_EXTRA_1="address = \"$(host_addr 1)\";" \
		FENCE_HOST_EXTRA_2="address = \"$(host_addr 2)\";" \
		FENCE_HOST_EXTRA_3="address = \"$(host_addr 3)\";" \
		write_fence_conf "$1"
}

NVM=3
storage_cluster 3
all_ready() { [ "$(ready_hosts 1 2>/dev/null || echo 0)" = 3 ]; }
wait_until 120 all_ready ||
	harness_fail "the hosts never became ready for VMs: $(vms_json 1 | jq -c '.hosts')"
samples=$HARNESS_RUNDIR/vm.samples
vm_sampler_start "$samples"
for v in $(seq 1 $NVM); do
	vm_define "hot$v" --busy >/dev/null || harness_fail "vm_define hot$v"
	havm_on 1 vm add "hot$v" --xml "$(vm_xml "hot$v")" --prefer node1 >/dev/null ||
		harness_fail "havm vm add hot$v"
done
running() { [ "$(count_status 1 running 2>/dev/null || echo 0)" = $NVM ]; }
wait_until 90 running || harness_fail "the VMs do not all run: $(brief 1)"
harness_pass "hot1..hot$NVM run (placed on node1, as preferred): $(vms_json 1 | jq -c '[.vms[] | .host]')"

load() { vms_json 1 | jq -r ".hosts[] | select(.name == \"$1\") | .load_pct"; }
migrations() { grep -h 'event: vm-migrated ' "$(host_log 1)" "$(host_log 2)" "$(host_log 3)" 2>/dev/null | grep -c 'node1 at ' || true; }
below() {
	local i
	[ "$(migrations)" -ge 1 ] || return 1
	for i in 1 2 3; do [ "$(load "node$i")" -lt 35 ] || return 1; done
	[ -z "$(vms_json 1 | jq -r '.vms[] | select(.status != "running") | .name')" ]
}
# Below for 10 s on end: loads read low for a moment while a migration
# takes the machine's CPU.
balanced() {
	local t
	below || return 1
	t=$((SECONDS + 10))
	while [ $SECONDS -lt $t ]; do below || return 1; sleep 1; done
}
wait_until 180 balanced ||
	harness_fail "not balanced: loads $(load node1)/$(load node2)/$(load node3)%, $(migrations) moves; $(havm_on 1 balance --dry-run)"
n=$(migrations)
harness_pass "balanced after $n move(s): loads node1 $(load node1)%, node2 $(load node2)%, node3 $(load node3)%; $(grep -h 'event: vm-migrated ' "$(host_log 1)" | head -1 | grep -o 'reason=.*' | cut -c1-160)"

sleep 30
# Ping-pong: a VM moved again within its cooldown, or back to where it was.
for v in $(seq 1 $NVM); do
	c=$(grep -h "event: vm-migrated .*vm=hot$v " "$(host_log 1)" | grep -c . || true)
	[ "$c" -le 1 ] || harness_fail "hot$v moved $c times within its cooldown"
done
! grep -h 'event: vm-migrated ' "$(host_log 1)" | grep -q 'host=node1 ' ||
	harness_fail "a VM moved back to node1: $(grep -h 'event: vm-migrated ' "$(host_log 1)")"
vm_sampler_stop
if verdict=$(assert_never_two "$samples"); then :; else harness_fail "$verdict"; fi
harness_pass "over 30 s more: $(migrations) move(s) in all, no VM moved twice or back to node1; sampler: $verdict"

out=$(havm_on 2 balance --dry-run) || harness_fail "balance --dry-run: $out"
[ "$(printf '%s\n' "$out" | grep -c '^  node[123] ')" = 3 ] || harness_fail "balance --dry-run lists no loads: $out"
case $(printf '%s\n' "$out" | tail -1) in "No move: "* | "Would move hot"*" from node"*) ;; *) harness_fail "balance --dry-run: $out" ;; esac
[ "$(havm_on 3 balance --dry-run --json | jq -r '.hosts | length')" = 3 ] || harness_fail "balance --dry-run --json: $(havm_on 3 balance --dry-run --json)"
harness_pass "havm balance --dry-run: $(printf '%s' "$out" | tail -1)"
