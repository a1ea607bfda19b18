#!/bin/bash
# A protected VM that keeps crashing, on real parts: three hosts with
# libvirtd + qemu, sanlock and simulated BMCs; one VM added with
# `havm vm add --max-restarts 2 --restart-window 600`. Its qemu is killed
# (SIGKILL, as a crash) again and again:
#  - crashes 1 and 2: it is started again on the same host, each time after
#    its back-off (1 s, then 2 s: the events' times show the gap);
#  - crash 3 (the restarts in place are used up): it is started once on
#    another host, after a back-off of 4 s;
#  - crash 4: it is failed: `havm vm list` says so, a vm-failed event
#    records it, and it stays down;
#  - `havm vm start` makes it run again.
# Each crash is a vm-lost event, each start a vm-placed (with its reason)
# and a vm-started; a sampler of every host's qemu processes (every 200 ms,
# throughout) never sees the VM on two hosts.
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

VM=crash1
storage_cluster 3
vm_define "$VM" >/dev/null || harness_fail "vm_define $VM"

vm_field() { vms_json "$1" | jq -r ".vms[] | select(.name == \"$VM\") | .$2"; }

wait_until 120 is 3 ready_hosts 1 ||
	harness_fail "the hosts never became ready for VMs: $(vms_json 1 | jq -c '.hosts')"
# What a coordinator remembers of restarts is on its host alone: read there.
c=$(coordinator_of 1)
harness_pass "every host ready for VMs; coordinator node$c"

samples=$HARNESS_RUNDIR/vm.samples
vm_sampler_start "$samples"
out=$(havm_on 2 vm add "$VM" --xml "$(vm_xml "$VM")" --max-restarts 2 --restart-window 600) ||
	harness_fail "havm vm add $VM: $out"
one_host() { [ "$(vm_hosts "$VM" | wc -w)" = 1 ]; }
wait_until 90 one_host || harness_fail "$VM does not run: $(vms_json "$c" | jq -c .vms)"
h0=$(vm_hosts "$VM")
wait_until 20 is "node$h0" vm_field "$c" host ||
	harness_fail "$VM runs on node$h0, havm says '$(vm_field "$c" host)'"
harness_pass "$VM protected (max-restarts 2, window 600 s) and running on node$h0"

# events_json: the coordinator's events about the VM, as a JSON array.
events_json() { havm_on "$c" events -n 500 --json | jq -c "[.[] | select(.vm == \"$VM\")]"; }
n_events() { events_json | jq "[.[] | select(.type == \"$1\")] | length"; }

# crash N HOST: kill the VM's qemu on HOST (it must run there); sets
# KILLED_PID. Then wait for the coordinator to see the N-th loss.
crash() {
	local n=$1 host=$2
	KILLED_PID=$(vm_pid "$host" "$VM") || harness_fail "no qemu for $VM on node$host"
	kill -9 "$KILLED_PID" || harness_fail "kill -9 $KILLED_PID ($VM's qemu on node$host)"
	wait_until 60 is "$n" n_events vm-lost ||
		harness_fail "crash $n: no vm-lost event for $VM: $(events_json)"
}
# runs_anew HOST: the VM runs on HOST alone, in a qemu other than the one killed.
runs_anew() {
	local p
	vm_runs_on "$VM" "$1" || return 1
	p=$(vm_pid "$1" "$VM") || return 1
	[ "$p" != "$KILLED_PID" ]
}
# gap_after_loss N: ms from the N-th vm-lost to the N-th vm-placed that
# follows it (the first vm-placed was the initial start).
gap_after_loss() {
	events_json | jq -r --argjson n "$1" '
		([.[] | select(.type == "vm-lost")][$n - 1].time_ms) as $lost |
		[.[] | select(.type == "vm-placed" and .time_ms >= $lost)][0].time_ms - $lost'
}
placed_text() {
	events_json | jq -r --argjson n "$1" '
		([.[] | select(.type == "vm-lost")][$n - 1].time_ms) as $lost |
		[.[] | select(.type == "vm-placed" and .time_ms >= $lost)][0] |
		"\(.host) \(.text)"'
}

# Crashes 1 and 2: in place, after 1 s then 2 s.
for n in 1 2; do
	want_ms=$((1000 << (n - 1)))
	crash "$n" "$h0"
	wait_until 60 runs_anew "$h0" ||
		harness_fail "crash $n: $VM did not run again on node$h0 (runs on '$(vm_hosts "$VM")'): $(vms_json "$c" | jq -c .vms)"
	wait_until 20 is $((n + 1)) n_events vm-started ||
		harness_fail "crash $n: no vm-started event: $(events_json)"
	gap=$(gap_after_loss "$n")
	placed=$(placed_text "$n")
	[ "$gap" -ge "$want_ms" ] ||
		harness_fail "crash $n: placed ${gap} ms after the loss, before its back-off of $want_ms ms"
	case $placed in "node$h0 "*reason=*) ;; *) harness_fail "crash $n: vm-placed '$placed', want node$h0 with a reason" ;; esac
	harness_pass "crash $n: $VM restarted in place on node$h0, placed ${gap} ms after the loss (back-off $want_ms ms): $placed"
done
events_json | jq -e '[.[] | select(.type == "vm-lost")][0].text | test("crash or shutdown")' >/dev/null ||
	harness_fail "vm-lost does not say the VM stopped where it ran: $(events_json)"

# Crash 3: restarts in place used up; once on another host, after 4 s.
crash 3 "$h0"
elsewhere() { one_host && [ "$(vm_hosts "$VM")" != "$h0" ]; }
wait_until 60 elsewhere ||
	harness_fail "crash 3: $VM did not start on another host (runs on '$(vm_hosts "$VM")'): $(vms_json "$c" | jq -c .vms)"
h1=$(vm_hosts "$VM")
wait_until 20 is 4 n_events vm-started ||
	harness_fail "crash 3: no vm-started event: $(events_json)"
gap=$(gap_after_loss 3)
placed=$(placed_text 3)
[ "$gap" -ge 4000 ] || harness_fail "crash 3: placed ${gap} ms after the loss, before its back-off of 4000 ms"
case $placed in "node$h1 "*reason=*) ;; *) harness_fail "crash 3: vm-placed '$placed', want node$h1 with a reason" ;; esac
harness_pass "crash 3: $VM moved from node$h0 to node$h1, placed ${gap} ms after the loss: $placed"

# Crash 4: failed, and left down.
crash 4 "$h1"
wait_until 30 is 1 n_events vm-failed ||
	harness_fail "crash 4: no vm-failed event: $(events_json)"
failed_ms=$(events_json | jq '[.[] | select(.type == "vm-failed")][0].time_ms')
ftext=$(events_json | jq -r '[.[] | select(.type == "vm-failed")][0] | "\(.severity) \(.host) \(.text)"')
case $ftext in "err node$h1 "*"stopped 4 times within 600 s"*"havm vm start $VM"*) ;;
*) harness_fail "vm-failed event: '$ftext'" ;; esac
wait_until 20 is failed vm_field "$c" status ||
	harness_fail "havm vm list on the coordinator: $(vms_json "$c" | jq -c .vms)"
reason=$(vm_field "$c" reason)
case $reason in *"havm vm start $VM"*) ;; *) harness_fail "failed VM's reason: '$reason'" ;; esac
harness_pass "crash 4: $VM failed: vm-failed event ($ftext); vm list status failed, reason: $reason"

# Left down: longer than the next back-off (8 s) would have been.
sleep 12
[ -z "$(vm_qemu_hosts "$VM")" ] || harness_fail "the failed $VM has a qemu on '$(vm_qemu_hosts "$VM")'"
[ "$(vm_field "$c" status)" = failed ] || harness_fail "$VM is no longer failed: $(vm_field "$c" status)"
[ "$(n_events vm-placed)" = 4 ] || harness_fail "the failed $VM was placed again: $(events_json)"
ran_after=$(awk -v t="$failed_ms" -v re="^$VM@[0-9]+\$" '$1 > t { for (f = 2; f <= NF; f++) if ($f ~ re) { print; exit } }' "$samples")
[ -z "$ran_after" ] || harness_fail "$VM ran after it failed: $ran_after"
harness_pass "$VM stays down for 12 s after it failed (no qemu, no placement, the sampler never saw it run)"

# havm vm start: a fresh count, and it runs again.
out=$(havm_on 3 vm start "$VM") || harness_fail "havm vm start $VM: $out"
wait_until 60 one_host || harness_fail "$VM did not run again after havm vm start: $(vms_json "$c" | jq -c .vms)"
wait_until 20 is running vm_field "$c" status ||
	harness_fail "havm vm list after vm start: $(vms_json "$c" | jq -c .vms)"
wait_until 20 is 5 n_events vm-started ||
	harness_fail "no vm-started event after havm vm start: $(events_json)"
harness_pass "havm vm start: $VM runs again on node$(vm_hosts "$VM")"

sleep 1
vm_sampler_stop
if verdict=$(assert_never_two "$samples"); then
	harness_pass "sampler: $verdict"
else
	harness_fail "$verdict"
fi
summary=$(events_json | jq -r '[.[] | .type] | join(" ")')
harness_pass "the coordinator's events for $VM: $summary"
