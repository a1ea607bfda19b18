#!/bin/bash
# The OCF agent ocf:havm:vm (agents/vm) on the libvirt + sanlock bed, as a
# Pacemaker user runs it, without havmd's VM management: two hosts joined
# by hand to the lockspace havm in havm's storage area (offset 0, as `havm
# storage init` lays it out), and a VM whose domain XML has no lease.
#  - ocf-tester (resource-agents) passes on host 1 with lease_path and
#    lease_slot: meta-data against ra-api-1.dtd, validate-all, probes,
#    start/monitor/stop, starting a started and stopping a stopped VM.
#  - By hand: start on host 1 writes the lease into the slot, injects it,
#    and the qemu holds it (sanlock client status); monitor 0 there, 7 on
#    host 2; a start on host 2 is refused (exit 1, the lease held
#    elsewhere) and leaves the VM on host 1 only; a second VM given the
#    same slot is refused; a VM started without its lease reads as failed
#    (1) to a monitor with lease_path. After the stop on host 1, host 2
#    starts it; migrate_to/migrate_from move it live back to host 1, its
#    lease with it (unsafe_migration_for_tests: the bed's "shared" storage
#    is a local directory).
set -euo pipefail
export HARNESS_SANLOCK=1 HARNESS_LIBVIRT=1
. "$(dirname "${BASH_SOURCE[0]}")/../checks.sh"

AGENT=$HARNESS_REPO/agents/vm
[ -x "$AGENT" ] || harness_fail "no $AGENT: build first (make)"
OCF_TESTER=$(command -v ocf-tester) || harness_fail "ocf-tester missing: apt-get install resource-agents"

harness_require_root
harness_init 2
area=$(vm_lease_area)
touch "$area" # the LUN exists, blank
start_cluster 2

# The area, written by havm storage init (from a copy of host 1's
# havm.conf with the storage group: havmd's own has none, so havmd leaves
# the area alone); then each host joins with its node id, as havmd would,
# both at once.
conf=$HARNESS_RUNDIR/storage.conf
{
	cat "$(harness_host_path 1 /etc/havm/havm.conf)"
	printf 'storage: { path = "%s"; io_timeout = %s; };\n' "$area" "${HARNESS_SANLOCK_IO_TIMEOUT:-2}"
} >"$conf"
havm_on 1 storage init -c "$conf" >/dev/null || harness_fail "havm storage init -c $conf"
t0=$(harness_now_ms)
pids=()
for i in 1 2; do
	host_sanlock "$i" client add_lockspace -o "${HARNESS_SANLOCK_IO_TIMEOUT:-2}" \
		-s "havm:$i:$area:0" >"$HARNESS_RUNDIR/join$i.out" 2>&1 &
	pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || harness_fail "add_lockspace: $(cat "$HARNESS_RUNDIR"/join*.out)"; done
harness_pass "hosts 1 and 2 joined the lockspace havm in $area in $(($(harness_now_ms) - t0)) ms"
libvirt_warm 1 2 || harness_fail "libvirt_warm"

xml=$(vm_define vm1) || harness_fail "vm_define vm1"
grep -q '<lease>' "$xml" && harness_fail "vm1's XML should have no lease of its own"
off=$(vm_slot_offset 0)

# lease_held_on i PID: host i's sanlock lists vm1's lease (slot 0) held
# by process PID. The status is read whole first: grep -q exits at the
# match, and under pipefail a writer killed by SIGPIPE fails the pipeline.
lease_held_on() {
	local st
	st=$(host_sanlock "$1" client status) || return 1
	grep -qx "r havm:vm1:$area:$off:[0-9]* p $2" <<<"$st"
}

# agent i ACTION [VAR=VALUE ...]: the agent on host i with vm1's
# parameters (lease slot 0) and these; exit code in $rc, stderr in $err.
agent() {
	local i=$1 action=$2
	shift 2
	rc=0
	err=$(host_exec "$i" env OCF_ROOT=/usr/lib/ocf OCF_RESOURCE_INSTANCE=vm1 \
		OCF_RESKEY_config="$xml" OCF_RESKEY_lease_path="$area" OCF_RESKEY_lease_slot=0 \
		OCF_RESKEY_stop_timeout=1 "$@" "$AGENT" "$action" 2>&1 >/dev/null) || rc=$?
}

# --- ocf-tester ---
t0=$(harness_now_ms)
out=$HARNESS_RUNDIR/ocf-tester.out
trc=0
host_exec 1 env OCF_ROOT=/usr/lib/ocf "$OCF_TESTER" -n vm1 -o config="$xml" -o lease_path="$area" \
	-o lease_slot=0 -o stop_timeout=1 "$AGENT" >"$out" 2>&1 || trc=$?
sed 's/^/  ocf-tester: /' "$out"
[ "$trc" = 0 ] && grep -q "passed all tests" "$out" ||
	harness_fail "ocf-tester failed (exit $trc)"
[ -z "$(vm_qemu_hosts vm1)" ] || harness_fail "vm1 left running by ocf-tester on $(vm_qemu_hosts vm1)"
harness_pass "ocf-tester passed all tests on host 1 with lease_path and lease_slot ($(($(harness_now_ms) - t0)) ms); no qemu left"

# --- start, monitor, stop by hand, with the lease ---
agent 2 monitor OCF_RESKEY_CRM_meta_interval=0
[ "$rc" = 7 ] || harness_fail "probe on host 2 before any start: exit $rc, want 7: $err"
t0=$(harness_now_ms)
agent 1 start
[ "$rc" = 0 ] || harness_fail "start on host 1: exit $rc: $err"
t_start=$(($(harness_now_ms) - t0))
wait_until 5 vm_runs_on vm1 1 || harness_fail "vm1 runs on '$(vm_hosts vm1)', want 1"
pid=$(vm_pid 1 vm1) || harness_fail "no qemu for vm1 on host 1"
lease_held_on 1 "$pid" ||
	harness_fail "sanlock on host 1 does not show vm1's lease held by qemu $pid: $(host_sanlock 1 client status)"
# Read whole before grep -q (which exits at the match: under pipefail a
# virsh killed by SIGPIPE would fail the pipeline).
dom=$(host_virsh 1 dumpxml vm1) || harness_fail "virsh dumpxml vm1 on host 1"
grep -q "<key>vm1</key>" <<<"$dom" || harness_fail "the running vm1 has no <lease> with key vm1"
harness_pass "agent start on host 1 in $t_start ms: lease written into slot 0 and injected; sanlock shows it held by qemu $pid ($err)"
agent 1 monitor
[ "$rc" = 0 ] || harness_fail "monitor on host 1: exit $rc: $err"
agent 1 monitor OCF_RESKEY_CRM_meta_interval=0
[ "$rc" = 0 ] || harness_fail "probe on host 1: exit $rc: $err"
agent 2 monitor
[ "$rc" = 7 ] || harness_fail "monitor on host 2: exit $rc, want 7: $err"
harness_pass "monitor and probe: 0 on host 1, 7 on host 2"

t0=$(harness_now_ms)
agent 2 start
[ "$rc" = 1 ] || harness_fail "start on host 2 while host 1 holds the lease: exit $rc, want 1: $err"
case $err in *"ocf-exit-reason:"*"lease is held by another host"*) ;;
*) harness_fail "start on host 2 failed, but not on the lease: $err" ;; esac
[ "$(vm_qemu_hosts vm1)" = 1 ] || harness_fail "vm1's qemu on '$(vm_qemu_hosts vm1)' after the refusal, want 1"
reason=$(echo "$err" | grep '^ocf-exit-reason:')
agent 2 monitor
[ "$rc" = 7 ] || harness_fail "monitor on host 2 after the refusal: exit $rc, want 7"
harness_pass "second start on host 2 refused in $(($(harness_now_ms) - t0)) ms, vm1 on host 1 only: $reason"

# Another VM given vm1's slot: lease_prepare refuses, nothing is written.
xml2=$(vm_define vm2) || harness_fail "vm_define vm2"
rc=0
err=$(host_exec 2 env OCF_RESKEY_config="$xml2" OCF_RESKEY_lease_path="$area" OCF_RESKEY_lease_slot=0 \
	"$AGENT" start 2>&1 >/dev/null) || rc=$?
[ "$rc" = 1 ] && [[ $err == *"holds another VM's lease"* ]] ||
	harness_fail "vm2 in vm1's slot: exit $rc: $err"
[ -z "$(vm_qemu_hosts vm2)" ] || harness_fail "vm2 started in vm1's slot"
lease_held_on 1 "$pid" ||
	harness_fail "vm1 lost its lease to vm2's attempt"
harness_pass "vm2 given vm1's slot 0 is refused, vm1 keeps its lease: $(echo "$err" | grep '^ocf-exit-reason:')"

# A VM started by hand without its lease is a failure to a monitor that
# expects one.
host_virsh 2 create "$xml2" >/dev/null || harness_fail "virsh create vm2 on host 2"
rc=0
err=$(host_exec 2 env OCF_RESKEY_config="$xml2" OCF_RESKEY_lease_path="$area" OCF_RESKEY_lease_slot=1 \
	"$AGENT" monitor 2>&1 >/dev/null) || rc=$?
[ "$rc" = 1 ] && [[ $err == *"without holding its lease"* ]] ||
	harness_fail "monitor of vm2 running without its lease: exit $rc: $err"
host_virsh 2 destroy vm2 >/dev/null || harness_fail "virsh destroy vm2"
harness_pass "monitor with lease_path fails (1) on vm2 running without its lease: $(echo "$err" | grep '^ocf-exit-reason:')"

t0=$(harness_now_ms)
agent 1 stop
[ "$rc" = 0 ] || harness_fail "stop on host 1: exit $rc: $err"
t_stop=$(($(harness_now_ms) - t0))
agent 1 monitor
[ "$rc" = 7 ] || harness_fail "monitor on host 1 after the stop: exit $rc, want 7"
[ -z "$(vm_qemu_hosts vm1)" ] || harness_fail "vm1's qemu still on $(vm_qemu_hosts vm1)"
agent 1 stop
[ "$rc" = 0 ] || harness_fail "second stop on host 1: exit $rc: $err"
harness_pass "stop on host 1 in $t_stop ms (stop_timeout=1: the idle guest ignores ACPI, then destroyed); monitor 7; a second stop succeeds"

agent 2 start
[ "$rc" = 0 ] || harness_fail "start on host 2 after host 1's stop: exit $rc: $err"
wait_until 5 vm_runs_on vm1 2 || harness_fail "vm1 runs on '$(vm_hosts vm1)', want 2"
pid=$(vm_pid 2 vm1) || harness_fail "no qemu for vm1 on host 2"
lease_held_on 2 "$pid" ||
	harness_fail "sanlock on host 2 does not show vm1's lease held by qemu $pid"
harness_pass "after the stop on host 1, vm1 starts on host 2 holding the lease (qemu $pid)"

# Live migration back to host 1, as Pacemaker drives it with
# allow-migrate: migrate_to on the source, migrate_from on the target.
t0=$(harness_now_ms)
agent 2 migrate_to OCF_RESKEY_CRM_meta_migrate_target="$(host_addr 1)" \
	OCF_RESKEY_migration_transport=tcp OCF_RESKEY_migration_uri=tcp://%n \
	OCF_RESKEY_unsafe_migration_for_tests=true # the bed's shared storage is a local directory
[ "$rc" = 0 ] || harness_fail "migrate_to host 1: exit $rc: $err"
agent 1 migrate_from
[ "$rc" = 0 ] || harness_fail "migrate_from on host 1: exit $rc: $err"
wait_until 5 vm_runs_on vm1 1 || harness_fail "vm1 runs on '$(vm_hosts vm1)' after the migration, want 1"
pid=$(vm_pid 1 vm1) || harness_fail "no qemu for vm1 on host 1"
lease_held_on 1 "$pid" ||
	harness_fail "sanlock on host 1 does not show vm1's lease held by qemu $pid after the migration"
agent 2 monitor
[ "$rc" = 7 ] || harness_fail "monitor on host 2 after the migration: exit $rc, want 7"
harness_pass "live migration host 2 -> host 1 (migrate_to, migrate_from) in $(($(harness_now_ms) - t0)) ms: the lease moved with the VM (qemu $pid)"
agent 1 stop
[ "$rc" = 0 ] || harness_fail "stop on host 1: exit $rc: $err"
