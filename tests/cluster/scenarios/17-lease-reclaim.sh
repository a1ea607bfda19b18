#!/bin/bash
# Leases of a fenced host are freed by havmd itself. A VM lease created in
# havm's area is held by a process on host 2 (a sanlock client command, as
# qemu's lease would be); its owner reads as host 2; the lease module
# refuses to reclaim it for another host id. Host 2 loses power; the
# coordinator fences it through its BMC and then frees every lease host 2
# held, so host 3 acquires it at once instead of waiting out sanlock's
# host-dead timeout (about 80 s here).
set -euo pipefail
export HARNESS_SANLOCK=1 HARNESS_BMC=1
. "$(dirname "${BASH_SOURCE[0]}")/../checks.sh"
harness_extra_config() { FENCE_STORAGE=1 write_fence_conf "$1"; }
storage_cluster 3
area=$(harness_shared_path)/havm.leases
tool=$HARNESS_REPO/tests/cluster/lease_tool
offset=$((2 * 1024 * 1024)) # VM slot 0 (lib/storage.h)
res="havm:vm-slot-0:$area:$offset"

host_exec 1 "$tool" create "$area" vm-slot-0 "$offset" || harness_fail "lease create"
[ "$(host_exec 1 "$tool" owner "$area" vm-slot-0 "$offset" | cut -d' ' -f1)" = 0 ] ||
	harness_fail "a new lease has an owner"
host_spawn 2 "$HARNESS_RUNDIR/holder.log" sanlock client command -r "$res" -c /bin/sleep 600
held_by_2() { [ "$(host_exec 1 "$tool" owner "$area" vm-slot-0 "$offset" | cut -d' ' -f1)" = 2 ]; }
wait_until 30 held_by_2 || harness_fail "host 2 never held the lease ($(cat "$HARNESS_RUNDIR/holder.log"))"
harness_pass "lease created in havm's area; held by host 2, and its owner reads as host id 2"

rc=0
host_exec 1 "$tool" reclaim "$area" vm-slot-0 "$offset" 3 2>/dev/null || rc=$?
[ "$rc" = 3 ] || harness_fail "reclaiming for the wrong host exited $rc, want 3 (refused)"
held_by_2 || harness_fail "a refused reclaim changed the owner"
harness_pass "reclaim refused when the lease is not held by the fenced host"

host_poweroff 2
t0=$HARNESS_LAST_POWEROFF_MS
wait_until 60 history_has 1 'host=node2 nodeid=2 result=off-verified' ||
	harness_fail "node2 not fenced: $(fence_history 1)"
wait_until 60 log_has 1 'event: lease-reclaimed seq=[0-9]+ host=node2 nodeid=2 .*reclaimed=1 ' ||
	harness_fail "havmd did not reclaim node2's lease"
t_reclaimed=$(($(harness_now_ms) - t0))
[ "$(host_exec 1 "$tool" owner "$area" vm-slot-0 "$offset" | cut -d' ' -f1)" = 0 ] ||
	harness_fail "owner still set after havmd's reclaim"
! log_has 2 'event: lease-reclaimed ' || harness_fail "a host other than the coordinator reclaimed"
host_exec 3 timeout 20 sanlock client command -r "$res" -c /bin/true >/dev/null 2>&1 ||
	harness_fail "host 3 could not acquire the reclaimed lease"
grep -o 'event: lease-reclaimed .*' "$(host_log 1)" | head -1
harness_pass "node2 fenced; havmd (the coordinator) freed its lease ${t_reclaimed} ms after the power loss; host 3 acquired it"
