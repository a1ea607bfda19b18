#!/bin/bash
# havmd dies under running VMs, and its next life adopts them. Three hosts
# with libvirtd + qemu, sanlock and simulated BMCs; six protected VMs, two
# preferring each host. Twice (node2, then node1, the coordinator):
#  - havmd on the host is killed with SIGKILL; corosync, sanlock, libvirtd
#    and the qemus there run on;
#  - for ~15 s: the host's VMs keep running there (the same qemu pids), no
#    VM runs anywhere else (a sampler of every host's qemus, every 200 ms),
#    no vm-placed event and no start request names them; the others show
#    the host as "its havmd is not running" and its VMs as pending, "cannot
#    tell whether nodeK still runs it (its havmd is not running)"
#    (daemon/vm_coord.c), and `havm status` shows the host as no-havmd;
#  - havmd is started again there: `havm vm list` on every host shows all
#    six VMs running, the host's on it again, every qemu pid unchanged (no
#    VM was restarted or moved), and the host takes VMs again.
set -euo pipefail
export HARNESS_SANLOCK=1 HARNESS_BMC=1 HARNESS_LIBVIRT=1
. "$(dirname "${BASH_SOURCE[0]}")/../checks.sh"
harness_extra_config() {
	FENCE_STORAGE=1 FENCE_EXTRA="vms: { shared_dir = \"$(harness_vm_dir)\"; };" \
		write_fence_conf "$1"
}

NVM=6
storage_cluster 3
for v in $(seq 1 $NVM); do vm_define "vm$v" >/dev/null || harness_fail "vm_define vm$v"; done

# home v: the host vm$v prefers (vm1, vm2 -> 1; vm3, vm4 -> 2; vm5, vm6 -> 3)
home() { echo $((($1 + 1) / 2)); }

wait_until 120 out_is 3 ready_hosts 1 ||
	harness_fail "the hosts never became ready for VMs: $(vms_json 1 | jq -c '.hosts')"
for v in $(seq 1 $NVM); do
	out=$(havm_on 1 vm add "vm$v" --xml "$(vm_xml "vm$v")" --prefer "node$(home "$v")") ||
		harness_fail "havm vm add vm$v: $out"
done
wait_until 90 out_is $NVM count_status 1 running ||
	harness_fail "not every VM runs: $(brief 1)"
on_home() {
	local v
	for v in $(seq 1 $NVM); do vm_runs_on "vm$v" "$(home "$v")" || return 1; done
}
wait_until 20 on_home || harness_fail "the VMs do not each run once on their preferred host: $(brief 1)"
harness_pass "$NVM VMs run, two on each host, as preferred"

declare -A pid
for v in $(seq 1 $NVM); do pid[vm$v]=$(vm_pid "$(home "$v")" "vm$v") || harness_fail "no qemu for vm$v"; done

# same_pids: every VM's qemu is the one it had at the start, on its host.
same_pids() {
	local v p
	for v in $(seq 1 $NVM); do
		p=$(vm_pid "$(home "$v")" "vm$v") || { echo "vm$v has no qemu on node$(home "$v")"; return 1; }
		[ "$p" = "${pid[vm$v]}" ] || { echo "vm$v: qemu pid $p, was ${pid[vm$v]}"; return 1; }
	done
}

# placed_since HOST... T: vm-placed events recorded after T (ms) by HOST.
placed_since() {
	local t=${*: -1} i
	for i in "${@:1:$#-1}"; do
		havm_on "$i" events --json -n 1000 |
			jq -r --argjson t "$t" '.[] | select(.type == "vm-placed" and .time_ms >= $t) |
				"node'"$i"': \(.vm) \(.text)"'
	done
}
declare -A loglines
mark_logs() { local i; for i in 1 2 3; do loglines[$i]=$(wc -l <"$(host_log "$i")"); done; }
# start requests carried out since mark_logs, on any host
starts_since_mark() {
	local i
	for i in 1 2 3; do
		tail -n +"$((loglines[$i] + 1))" "$(host_log "$i")" | grep -E 'vm: starting vm=' |
			sed "s/^/node$i: /" || true
	done
}

samples=$HARNESS_RUNDIR/adopt.samples
vm_sampler_start "$samples"

for k in 2 1; do
	others=$(for i in 1 2 3; do [ "$i" = "$k" ] || printf '%s ' "$i"; done)
	o=${others%% *}
	mine=$(for v in $(seq 1 $NVM); do [ "$(home "$v")" != "$k" ] || printf 'vm%s ' "$v"; done)
	mine=${mine% }
	c_before=$(coordinator_of "$o")
	mark_logs
	t0=$(harness_now_ms)
	host_kill_proc "$k" havmd || harness_fail "cannot kill havmd on node$k"
	harness_pass "havmd on node$k (coordinator before: node$c_before) killed with SIGKILL; its VMs: $mine"

	# What the others make of it.
	wait_until 30 out_is no-havmd host_state_on "$o" "$k" ||
		harness_fail "node$o does not show node$k as no-havmd: $(havm_on "$o" status)"
	wait_until 30 out_is "its havmd is not running" host_field "$o" "node$k" why_not ||
		harness_fail "node$o: node$k why_not '$(host_field "$o" "node$k" why_not)', want 'its havmd is not running'"
	for v in $mine; do
		want="cannot tell whether node$k still runs it (its havmd is not running)"
		wait_until 30 out_is "$want" vm_field "$o" "$v" reason ||
			harness_fail "node$o: $v reason '$(vm_field "$o" "$v" reason)', want '$want'"
		st=$(vm_field "$o" "$v" status)
		[ "$st" = pending ] || harness_fail "node$o: $v status '$st', want pending"
	done
	st=$(havm_on "$o" status) || harness_fail "havm status on node$o failed"
	printf '%s\n' "$st" | grep -Eq "^node$k +$k +no-havmd" ||
		harness_fail "havm status on node$o does not show node$k as no-havmd: $st"
	printf '%s\n' "$st" | grep -Fq "node$k takes no VMs now: its havmd is not running" ||
		harness_fail "havm status on node$o does not say node$k takes no VMs: $st"
	harness_pass "node$o shows node$k no-havmd, taking no VMs, and $mine pending: 'cannot tell whether node$k still runs it'"

	# The VMs run on; nothing starts them elsewhere. Watch for ~15 s.
	end=$((SECONDS + 15))
	while [ $SECONDS -lt $end ]; do
		why=$(same_pids) || harness_fail "while havmd on node$k was down: $why"
		sleep 1
	done
	placed=$(placed_since $others "$t0")
	[ -z "$placed" ] || harness_fail "VMs were placed while havmd on node$k was down: $placed"
	started=$(starts_since_mark)
	[ -z "$started" ] || harness_fail "start requests while havmd on node$k was down: $started"
	harness_pass "15 s without havmd on node$k: every qemu pid unchanged, no vm-placed event, no start request"

	host_start_havmd "$k" || harness_fail "cannot start havmd on node$k again"
	back_on_k() {
		local v i
		for i in 1 2 3; do
			[ "$(count_status "$i" running)" = $NVM ] || return 1
			for v in $mine; do [ "$(vm_field "$i" "$v" host)" = "node$k" ] || return 1; done
		done
	}
	wait_until 90 back_on_k || harness_fail "after havmd restarted on node$k: $(brief "$o") / node$k: $(brief "$k" 2>&1)"
	took=$(($(harness_now_ms) - t0))
	why=$(same_pids) || harness_fail "after havmd restarted on node$k: $why"
	harness_pass "havmd on node$k back: every host lists all $NVM running, $mine on node$k, the same qemu pids"
	wait_until 90 out_is true host_field "$o" "node$k" eligible ||
		harness_fail "node$k never takes VMs again: why_not '$(host_field "$o" "node$k" why_not)'"
	sleep 3 # let a wrong start, if one were coming, come
	why=$(same_pids) || harness_fail "after node$k became eligible: $why"
	placed=$(placed_since 1 2 3 "$t0")
	[ -z "$placed" ] || harness_fail "VMs were placed around havmd's restart on node$k: $placed"
	started=$(starts_since_mark)
	[ -z "$started" ] || harness_fail "start requests around havmd's restart on node$k: $started"
	harness_pass "node$k takes VMs again; still no VM placed or started anywhere (${took} ms from the kill to all listed)"
done

vm_sampler_stop
if verdict=$(assert_never_two "$samples"); then
	harness_pass "sampler: $verdict"
else
	harness_fail "$verdict"
fi
# Every sample has every VM running (never a gap: nothing was restarted).
gaps=$(awk -v n=$NVM '$1 ~ /^[0-9]+$/ { c = 0; for (f = 2; f <= NF; f++) { if ($f ~ /^#/) break; if ($f !~ /:paused$/) c++ } if (c != n) bad++ } END { print bad + 0 }' "$samples")
[ "$gaps" = 0 ] || harness_fail "$gaps samples do not show all $NVM VMs running"
harness_pass "every sample shows all $NVM VMs running, each on one host"
