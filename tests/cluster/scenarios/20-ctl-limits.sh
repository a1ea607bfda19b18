#!/bin/bash
# Local users cannot take havmd's descriptors or memory away from the
# operator or from fencing. An outsider's connections are refused when they
# are made (the refusal logged, rate-limited); a haclient member's are
# capped per uid; sockets that never authenticate are closed after 5 s and
# idle connections after 30 s. Throughout, root's `havm status` answers and
# a fence still works; afterwards havmd's descriptors and memory are back
# where they started.
set -euo pipefail
export HARNESS_BMC=1
. "$(dirname "${BASH_SOURCE[0]}")/../checks.sh"
harness_extra_config() { write_fence_conf "$1"; }
getent group haclient >/dev/null || groupadd -r haclient
gid=$(getent group haclient | cut -d: -f3)
hold=$HARNESS_REPO/tests/cluster/ipc_hold
[ -x "$hold" ] || harness_fail "$hold not built (make check builds it)"
scenario_cluster 3

pid=$(host_procs 1 havmd)
fds() { ls "/proc/$pid/fd" | wc -l; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status"; }
havm_on 1 status >/dev/null
fd0=$(fds) rss0=$(rss_kb)
echo "havmd at start: fds=$fd0 rss_kb=$rss0"
out=$HARNESS_RUNDIR/hold
mkdir -p "$out"
as_nobody() { host_exec 1 setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
# as_member UID CMD...: a haclient member (each holder its own uid, since
# the caps are per uid).
as_member() {
	local uid=$1
	shift
	host_exec 1 setpriv --reuid="$uid" --regid="$gid" --clear-groups "$@"
}

# An outsider: 1000 libqb connections, all refused at connect.
as_nobody "$hold" qb 1000 0 >"$out/nobody-qb" || harness_fail "ipc_hold failed"
grep -q 'opened=0 refused=1000' "$out/nobody-qb" || harness_fail "outsider got in: $(cat "$out/nobody-qb")"
n=$(grep -c 'ctl: refused connection uid=65534 .*reason="not root and not in group haclient"' "$(host_log 1)" || true)
[ "$n" -ge 1 ] && [ "$n" -le 3 ] || harness_fail "want 1 to 3 rate-limited refusal lines for 1000 refusals, got $n"
! grep -q 'Invalid IPC credentials' "$(host_log 1)" || harness_fail "libqb's own refusal lines reach the log"
harness_pass "1000 outsider connections refused at connect; $n log line(s) for them"

# Held in the background: a member's 200 idle libqb connections, then an
# outsider's and a member's raw sockets that never authenticate. The libqb
# connections go first: a client's connect while a thousand raw connects
# fill the socket's listen backlog can fail at once (EAGAIN), which is the
# kernel's queue, not havmd's caps, and would make the count below vary.
as_member 65532 "$hold" qb 200 45 >"$out/member-qb" 2>&1 &
p3=$!
wait_until 20 grep -q opened= "$out/member-qb" || harness_fail "the member's holder did not start"
as_nobody "$hold" raw 1000 40 >"$out/nobody-raw" 2>&1 &
p1=$!
as_member 65533 "$hold" raw 200 40 >"$out/member-raw" 2>&1 &
p2=$!
wait_until 20 grep -q opened= "$out/nobody-raw" "$out/member-raw" "$out/member-qb" ||
	harness_fail "holders did not start: $(cat "$out"/*)"
sleep 1
grep -q 'opened=16 ' "$out/member-qb" || harness_fail "member not capped at 16: $(cat "$out/member-qb")"
opened() { sed -n 's/.*opened=\([0-9]*\).*/\1/p' "$1"; }
n=$(opened "$out/nobody-raw")
[ "$n" -ge 1 ] && [ "$n" -le 2 ] || harness_fail "outsider holds $n raw sockets, want 1 or 2"
n=$(opened "$out/member-raw")
[ "$n" -ge 1 ] && [ "$n" -le 32 ] || harness_fail "member holds $n raw sockets, want 1 to 32"
flood_fds=$(fds)
echo "while held: $(cat "$out/nobody-raw" "$out/member-raw" "$out/member-qb" | tr '\n' ' ') havmd fds=$flood_fds"
[ "$flood_fds" -le $((fd0 + 120)) ] || harness_fail "havmd holds $flood_fds descriptors (started with $fd0)"
harness_pass "member capped at 16 connections; havmd holds $flood_fds descriptors (start $fd0)"

# Root keeps getting answers meanwhile.
worst=0
for _ in $(seq 20); do
	t0=$(harness_now_ms)
	havm_on 1 status >/dev/null || harness_fail "root's havm status failed during the flood"
	t=$(($(harness_now_ms) - t0))
	[ "$t" -le "$worst" ] || worst=$t
done
echo "BENCH {\"name\":\"ctl_status_under_flood\",\"worst_ms\":$worst,\"calls\":20}"
harness_pass "root's havm status answered 20 times during the flood (worst ${worst} ms)"

# A fence still works.
host_poweroff 3
wait_until 60 history_has 1 'host=node3 nodeid=3 result=off-verified' ||
	harness_fail "node3 not fenced during the flood: $(fence_history 1)"
harness_pass "a host that lost power was fenced during the flood"

wait "$p1" "$p2" || harness_fail "raw holders failed"
grep -q 'still_open=0' "$out/nobody-raw" || harness_fail "outsider raw sockets kept: $(cat "$out/nobody-raw")"
grep -q 'still_open=0' "$out/member-raw" || harness_fail "unauthenticated sockets kept: $(cat "$out/member-raw")"
wait "$p3" || harness_fail "qb holder failed"
grep -q 'still_open=0' "$out/member-qb" || harness_fail "idle connections kept past 30 s: $(cat "$out/member-qb")"
log_has 1 'ctl: closed idle connections' || harness_fail "closing idle connections not logged"
harness_pass "sockets that never authenticate and idle connections were closed by havmd"

back() { [ "$(fds)" -le $((fd0 + 2)) ] && [ "$(rss_kb)" -le $((rss0 + 2048)) ]; }
wait_until 20 back || harness_fail "havmd did not come back: fds=$(fds) (start $fd0) rss_kb=$(rss_kb) (start $rss0)"
echo "havmd after: fds=$(fds) rss_kb=$(rss_kb)"
harness_pass "descriptors and memory back to their start values (fds $(fds)/$fd0, rss $(rss_kb)/$rss0 kB)"
