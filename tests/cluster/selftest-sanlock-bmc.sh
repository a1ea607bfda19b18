#!/bin/bash
# selftest-sanlock-bmc.sh -- check the harness' optional per-host sanlock
# (HARNESS_SANLOCK=1) and simulated BMCs (HARNESS_BMC=1) on 3 hosts:
#   - sanlock runs on every host (preload shim, private socket), hosts 1 and
#     2 join the lockspace in parallel, see each other LIVE, a resource lease
#     in the shared lease file excludes a second holder;
#   - each BMC (ipmi_sim in the hub namespace) answers ipmitool and
#     FreeIPMI's ipmi-power from a host; power off kills the host at once
#     (corosync on the survivors sees it go), power status follows, power on
#     runs the host's full boot and it rejoins; reset; BMC stop/start;
#   - host 1's sanlock sees the dead host's delta lease go FAIL, then DEAD;
#   - cleanup leaves no namespace and no process of the run.
# Prints PASS/FAIL lines and the timings; exits non-zero on failure.
# Takes about 2 minutes (waiting for sanlock to call the host DEAD).
#
# Usage: tests/cluster/selftest-sanlock-bmc.sh     (as root)
#        SELFTEST_NO_HAVMD=1 ...                   without havmd

set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=harness.sh
. "$(dirname "${BASH_SOURCE[0]}")/harness.sh"

TIMEOUT=30
export HARNESS_SANLOCK=1 HARNESS_BMC=1

with_havmd=0
if [ "${SELFTEST_NO_HAVMD:-}" != 1 ] && [ -x "${HAVMD:-$HARNESS_REPO/daemon/havmd}" ] &&
	[ -x "${HAVM:-$HARNESS_REPO/cli/havm}" ]; then
	with_havmd=1
else
	export HAVM_HARNESS_NO_HAVMD=1
fi

all_see() {
	local n=$1 i
	shift
	for i in "$@"; do
		corosync_sees "$i" "$n" || return 1
	done
	return 0
}

# ms CMD...: run CMD (output discarded), print how long it took in ms.
ms() {
	local t0
	t0=$(harness_now_ms)
	"$@" >/dev/null 2>&1 || return 1
	echo $(($(harness_now_ms) - t0))
}

# stats LIST...: "min/avg/max ms" of the numbers given.
stats() {
	printf '%s\n' "$@" | awk '{ s += $1; if (NR == 1 || $1 < lo) lo = $1; if ($1 > hi) hi = $1 }
		END { printf "%d/%d/%d ms", lo, s / NR, hi }'
}

# The last line of host i's BMC power log matching ACTION RESULT.
power_log_line() { grep -E "^[^ ]+ [^ ]+ [0-9]+ $2 $3( |$)" "$(host_bmc_power_log "$1")" | tail -n 1; }
power_log_has() { [ -n "$(power_log_line "$@")" ]; }
power_log_ms() { power_log_line "$@" | awk '{ print $3 }'; }

lease_owner() { "$_H_SANLOCK" direct read_leader -r "$1" 2>/dev/null | awk '$1 == "owner_id" { print $2 }'; }

harness_require_root
harness_init 3
RUNID=$HARNESS_RUNID
RUNDIR=$HARNESS_RUNDIR

# --- BMCs, before any host is on ----------------------------------------------
hub_ino=$(stat -L -c %i "/run/netns/$(_harness_hub)")
for i in 1 2 3; do
	addr=$(host_bmc_addr "$i")
	pid=$(bmc_pid "$i") || harness_fail "BMC $i: no ipmi_sim"
	[ "$(readlink "/proc/$pid/ns/net")" = "net:[$hub_ino]" ] ||
		harness_fail "BMC $i: ipmi_sim is not in the hub namespace"
	[ "$(_harness_ns_pids "$(host_ns "$i")")" = "" ] || harness_fail "host $i has processes before host_start"
	if ip -o addr show | grep -qF " $addr/"; then harness_fail "BMC address $addr is on a root-namespace interface"; fi
	[ "$(stat -c %a "$(host_bmc_password_file "$i")")" = 600 ] || harness_fail "BMC $i password file is not mode 0600"
	[ "$(stat -c %a "$RUNDIR/bmc/n$i/lan.conf")" = 600 ] || harness_fail "BMC $i lan.conf is not mode 0600"
	out=$(bmc_ipmitool "$i" chassis power status) || harness_fail "BMC $i: ipmitool from the hub failed: $out"
	[ "$out" = "Chassis Power is off" ] || harness_fail "BMC $i of a host never started says: $out"
done
# The hub namespace's UDP sockets are exactly the BMCs' <addr>:623 (hex,
# little-endian, as in /proc/net/udp).
pid=$(bmc_pid 1)
socks=$(awk 'NR > 1 { print $2 }' "/proc/$pid/net/udp" | sort | tr '\n' ' ')
[ "$socks" = "650200C0:026F 660200C0:026F 670200C0:026F " ] ||
	harness_fail "hub namespace UDP sockets are not just 192.0.2.101-103:623: $socks"
harness_pass "3 BMCs (ipmi_sim in the hub namespace, 192.0.2.101-103:623, mode 0600 secrets) say power off before boot"

t=$(harness_now_ms)
host_start 1 2 3
wait_until "$TIMEOUT" all_see 3 1 2 3 || harness_fail "cluster did not form"
harness_pass "cluster of 3 formed with sanlock on each host ($(($(harness_now_ms) - t)) ms from host_start)"

# --- sanlock on every host ---------------------------------------------------
_harness_sanlock_tools
declare -A daemons=()
for i in 1 2 3; do
	spid=
	for p in $(host_pids "$i"); do
		if [ "$(cat "/proc/$p/comm" 2>/dev/null)" = sanlock ]; then spid=$p; break; fi
	done
	[ -n "$spid" ] || harness_fail "no sanlock process on host $i"
	tr '\0' '\n' <"/proc/$spid/environ" | grep -qx "LD_PRELOAD=$RUNDIR/setrlimit_preload.so" ||
		harness_fail "host $i's sanlock does not have the preload shim"
	host_exec "$i" test -S /run/sanlock/sanlock.sock || harness_fail "host $i: no /run/sanlock/sanlock.sock"
	name=$(host_sanlock "$i" client status | awk '$1 == "daemon" { print $2 }')
	case $name in *".node$i") ;; *) harness_fail "host $i's sanlock client reached daemon '$name'" ;; esac
	daemons[$name]=1
done
[ "${#daemons[@]}" = 3 ] || harness_fail "hosts do not each have their own sanlock daemon"
harness_pass "sanlock runs on hosts 1-3 (LD_PRELOAD shim, private /run/sanlock socket, each client reaches its own daemon)"

t=$(harness_now_ms)
host_sanlock_join 1 >"$RUNDIR/join1.out" 2>&1 &
j1=$!
host_sanlock_join 2 >"$RUNDIR/join2.out" 2>&1 &
j2=$!
rc1=0 rc2=0
wait "$j1" || rc1=$?
wait "$j2" || rc2=$?
join_ms=$(($(harness_now_ms) - t))
[ "$rc1" = 0 ] && [ "$rc2" = 0 ] || harness_fail "add_lockspace failed: $(cat "$RUNDIR/join1.out" "$RUNDIR/join2.out")"
both_live() { [ "$(sanlock_host_state 1 1)" = LIVE ] && [ "$(sanlock_host_state 1 2)" = LIVE ]; }
wait_until 20 both_live || harness_fail "host 1's sanlock does not see host ids 1 and 2 LIVE"
harness_pass "hosts 1 and 2 joined lockspace havm in parallel in $join_ms ms; host 1 saw both LIVE $HARNESS_WAITED_MS ms later"
echo "  host 1: sanlock client host_status -s havm:"
host_sanlock 1 client host_status -s havm | sed 's/^/  | /'

res=$(harness_sanlock_resource selftest 0)
"$_H_SANLOCK" direct init -r "$res" >/dev/null || harness_fail "sanlock direct init -r $res"
host_spawn 1 "$RUNDIR/n1/lease-holder.log" "$_H_SANLOCK" client command -r "$res" -c /bin/sleep 1000 ||
	harness_fail "host_spawn of a lease holder on host 1"
# shellcheck disable=SC2016
wait_until 15 eval '[ "$(lease_owner "$res")" = 1 ]' || harness_fail "host 1 did not acquire $res"
if host_sanlock 2 client command -r "$res" -c /bin/true >"$RUNDIR/acquire2.out" 2>&1; then
	harness_fail "host 2 acquired $res while host 1 holds it"
fi
grep -q 'acquire_token -243 lease owned by other host' "$(sanlock_log 2)" ||
	harness_fail "host 2's sanlock log does not say the lease is owned by another host"
harness_pass "resource lease in the shared lease file: held by host id 1, refused to host 2 (-243, lease owned by other host)"

# --- IPMI from host 1 to host 2's BMC ----------------------------------------
addr2=$(host_bmc_addr 2)
pw2=$(host_bmc_password 2)
out=$(host_ipmitool 1 2 chassis power status) || harness_fail "ipmitool power status: $out"
[ "$out" = "Chassis Power is on" ] || harness_fail "host 2's BMC says '$out' while host 2 runs"
lat=()
for k in 1 2 3 4 5; do lat+=("$(ms host_ipmitool 1 2 chassis power status)") || harness_fail "ipmitool power status"; done
harness_pass "ipmitool -I lanplus -C 3 from host 1: host 2's power is on (latency $(stats "${lat[@]}") min/avg/max over 5)"

out=$(host_exec 1 ipmi-power -h "$addr2" -u admin -p "$pw2" -D LAN_2_0 -I 3 -W opensesspriv --stat 2>&1) ||
	harness_fail "ipmi-power --stat: $out"
[ "$out" = "$addr2: on" ] || harness_fail "ipmi-power -D LAN_2_0 -I 3 -W opensesspriv says '$out'"
lat=()
for k in 1 2 3 4 5; do
	lat+=("$(ms host_exec 1 ipmi-power -h "$addr2" -u admin -p "$pw2" -D LAN_2_0 -I 3 -W opensesspriv --stat)") ||
		harness_fail "ipmi-power --stat"
done
out15=$(host_exec 1 ipmi-power -h "$addr2" -u admin -p "$pw2" -D LAN --stat 2>&1) || true
[ "$out15" = "$addr2: on" ] || harness_fail "ipmi-power -D LAN (IPMI 1.5) says '$out15'"
noflag=$(host_exec 1 ipmi-power -h "$addr2" -u admin -p "$pw2" -D LAN_2_0 -I 3 --stat 2>&1) || true
harness_pass "FreeIPMI ipmi-power from host 1: '$out' (LAN_2_0 -I 3 -W opensesspriv, latency $(stats "${lat[@]}")); LAN 1.5: on; without -W opensesspriv: '$noflag'"

# --- power off through the BMC --------------------------------------------------
anchor2=$(host_anchor_pid 2)
t=$(harness_now_ms)
out=$(host_ipmitool 1 2 chassis power off) || harness_fail "ipmitool power off: $out"
ret_ms=$(($(harness_now_ms) - t))
[ "$out" = "Chassis Power Control: Down/Off" ] || harness_fail "power off answered '$out'"
host_is_running 2 && harness_fail "host 2 still running after the BMC power off returned"
[ -z "$(host_pids 2)" ] || harness_fail "host 2 has processes after the BMC power off returned: $(host_pids 2 | tr '\n' ' ')"
[ ! -d "/proc/$anchor2" ] || [ "$(awk '{ print $3 }' "/proc/$anchor2/stat" 2>/dev/null)" = Z ] ||
	harness_fail "host 2's anchor $anchor2 is alive"
power_log_has 2 power-off 'done' || harness_fail "no 'power-off done' in $(host_bmc_power_log 2)"
kill_ms=$(power_log_ms 2 power-off 'done')
harness_pass "ipmitool power off: host 2 gone when the command returned ($ret_ms ms; the kill $((kill_ms - t)) ms after the command started)"
wait_until "$TIMEOUT" all_see 2 1 3 || harness_fail "hosts 1, 3 did not see host 2 leave"
harness_pass "corosync on hosts 1, 3 saw host 2 leave $(($(harness_now_ms) - kill_ms)) ms after the BMC killed it"
out=$(host_ipmitool 1 2 chassis power status)
[ "$out" = "Chassis Power is off" ] || harness_fail "host 2's BMC says '$out' after power off"
out=$(host_exec 1 ipmi-power -h "$addr2" -u admin -p "$pw2" -D LAN_2_0 -I 3 -W opensesspriv --stat 2>&1) || true
[ "$out" = "$addr2: off" ] || harness_fail "ipmi-power says '$out' after power off"
out=$(host_ipmitool 3 2 chassis power off) || harness_fail "second power off: $out"
power_log_has 2 power-off noop || harness_fail "power off of an off host not logged as noop"
harness_pass "power status says off (ipmitool and ipmi-power); a second power off is a logged no-op"

# --- host 1's sanlock watches host 2's delta lease (in the background) ----------
watch_lease() {
	local prev="" st now deadline=$((SECONDS + 130))
	while [ "$SECONDS" -lt "$deadline" ] && host_is_running 1; do
		st=$(sanlock_host_state 1 2 2>/dev/null) || st=none
		now=$(harness_now_ms)
		if [ "$st" != "$prev" ]; then echo "$((now - kill_ms)) $st"; fi
		prev=$st
		[ "$st" = DEAD ] && return 0
		sleep 0.5
	done
	return 0
}
watch_lease >"$RUNDIR/lease-watch.log" 2>&1 &
watcher=$!

# --- meanwhile: BMC 3 unreachable, then back; reset of host 3 -----------------
bmc_stop 3
bmc_is_running 3 && harness_fail "bmc_stop 3: ipmi_sim still running"
host_is_running 3 || harness_fail "bmc_stop 3 took host 3 down"
t=$(harness_now_ms)
if out=$(host_ipmitool 1 3 -N 1 -R 1 chassis power status 2>&1); then harness_fail "stopped BMC 3 answered: $out"; fi
fail_ms=$(($(harness_now_ms) - t))
bmc_is_running 2 || harness_fail "bmc_stop 3 stopped BMC 2"
bmc_start 3
out=$(host_ipmitool 1 3 chassis power status) || harness_fail "restarted BMC 3: $out"
[ "$out" = "Chassis Power is on" ] || harness_fail "restarted BMC 3 says '$out'"
harness_pass "bmc_stop 3: BMC unreachable (ipmitool -N 1 -R 1 failed after $fail_ms ms), host 3 untouched; bmc_start 3: answers again"

anchor3=$(host_anchor_pid 3)
t=$(harness_now_ms)
out=$(host_exec 1 ipmi-power -h "$(host_bmc_addr 3)" -u admin -p "$(host_bmc_password 3)" -D LAN_2_0 -I 3 \
	-W opensesspriv --reset 2>&1) || harness_fail "ipmi-power --reset: $out"
wait_until "$TIMEOUT" power_log_has 3 reset ready || harness_fail "reset of host 3: no 'reset ready' in its power log"
[ "$(host_anchor_pid 3)" != "$anchor3" ] || harness_fail "reset did not reboot host 3"
wait_until "$TIMEOUT" all_see 2 1 3 || harness_fail "host 3 did not rejoin after reset"
harness_pass "ipmi-power --reset of host 3: killed and booted again, rejoined $(($(harness_now_ms) - t)) ms after the command"

host_kill_proc 3 sanlock || harness_fail "host_kill_proc 3 sanlock"
if host_sanlock 3 client status >/dev/null 2>&1; then harness_fail "sanlock on host 3 answers after being killed"; fi
host_start_sanlock 3 || harness_fail "host_start_sanlock 3"
host_sanlock 3 client status >/dev/null || harness_fail "restarted sanlock on host 3 does not answer"
if host_start_sanlock 3 2>/dev/null; then harness_fail "second sanlock allowed on host 3"; fi
harness_pass "host_kill_proc 3 sanlock + host_start_sanlock 3: sanlock back alone; a second one is refused"

host_poweroff 3
out=$(bmc_ipmitool 3 chassis power status)
[ "$out" = "Chassis Power is off" ] || harness_fail "BMC 3 says '$out' after host_poweroff 3"
host_start 3
out=$(bmc_ipmitool 3 chassis power status)
[ "$out" = "Chassis Power is on" ] || harness_fail "BMC 3 says '$out' after host_start 3"
wait_until "$TIMEOUT" all_see 2 1 3 || harness_fail "host 3 did not rejoin after host_start"
harness_pass "BMC power status follows the harness' own host_poweroff/host_start"

# --- the dead host's delta lease ---------------------------------------------------
wait "$watcher" || true
echo "  host 1's view of host id 2 (ms after the kill, state):"
sed 's/^/  | /' "$RUNDIR/lease-watch.log"
fail_at=$(awk '$2 == "FAIL" { print $1; exit }' "$RUNDIR/lease-watch.log")
dead_at=$(awk '$2 == "DEAD" { print $1; exit }' "$RUNDIR/lease-watch.log")
[ -n "$fail_at" ] && [ "$fail_at" -le 40000 ] || harness_fail "host 1's sanlock did not report host 2 FAIL within 40 s"
[ -n "$dead_at" ] || harness_fail "host 1's sanlock did not report host 2 DEAD within 130 s"
harness_pass "host 1's sanlock: host 2's delta lease FAIL after $fail_at ms, DEAD after $dead_at ms (io_timeout ${HARNESS_SANLOCK_IO_TIMEOUT:-2}, no watchdog)"
host_sanlock 1 client host_status -D -s havm 2>/dev/null | sed 's/^/  | /'

# --- power on through the BMC ----------------------------------------------------
t=$(harness_now_ms)
out=$(host_ipmitool 1 2 chassis power on) || harness_fail "ipmitool power on: $out"
ret_ms=$(($(harness_now_ms) - t))
[ "$out" = "Chassis Power Control: Up/On" ] || harness_fail "power on answered '$out'"
host_is_running 2 || harness_fail "host 2 not running when power on returned"
wait_until "$TIMEOUT" power_log_has 2 power-on ready || harness_fail "host 2 not ready after the BMC power on"
ready_ms=$(($(power_log_ms 2 power-on ready) - t))
wait_until "$TIMEOUT" all_see 3 1 2 3 || harness_fail "host 2 did not rejoin after the BMC power on"
harness_pass "ipmitool power on: returned in $ret_ms ms, host 2 booted (ready) after $ready_ms ms, rejoined after $(($(harness_now_ms) - t)) ms"
out=$(host_ipmitool 3 2 chassis power status)
[ "$out" = "Chassis Power is on" ] || harness_fail "host 2's BMC says '$out' after power on"
_host_has_proc 2 corosync && _host_has_proc 2 sanlock || harness_fail "BMC boot of host 2 lacks corosync or sanlock"
if [ "$with_havmd" = 1 ]; then
	_host_has_proc 2 havmd || harness_fail "BMC boot of host 2 did not start havmd"
	wait_until "$TIMEOUT" havm_on 2 status || harness_fail "havm status on host 2 after the BMC boot"
fi
host_sanlock 2 client status >/dev/null || harness_fail "sanlock on host 2 does not answer after the BMC boot"
out=$(host_ipmitool 1 2 chassis power on) || harness_fail "second power on: $out"
power_log_has 2 power-on noop || harness_fail "power on of a running host not logged as noop"
harness_pass "the BMC boot ran the full host boot (corosync, sanlock$([ "$with_havmd" = 1 ] && echo ", havmd")); a second power on is a logged no-op"
echo "  host 2's BMC power log:"
sed 's/^/  | /' "$(host_bmc_power_log 2)"

# --- cleanup leaves nothing of this run --------------------------------------------
harness_cleanup
[ -z "$({ ip netns list 2>/dev/null || true; } | awk -v p="$RUNID-" 'index($1, p) == 1')" ] ||
	harness_fail "namespaces of $RUNID left after cleanup"
left=
for p in /proc/[0-9]*; do
	[ "${p#/proc/}" = "$$" ] && continue
	if { tr '\0' '\n' <"$p/environ"; } 2>/dev/null | grep -qE "^(HV_BMC_RUNID=$RUNID|LD_PRELOAD=$RUNDIR/)" ||
		{ tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null | grep -qF "$RUNDIR/"; then
		left="$left ${p#/proc/}($(cat "$p/comm" 2>/dev/null))"
	fi
done
[ -z "$left" ] || harness_fail "processes of $RUNID left after cleanup:$left"
[ ! -e "$RUNDIR" ] || [ "${HARNESS_KEEP:-}" = 1 ] || harness_fail "$RUNDIR left after cleanup"
harness_pass "harness_cleanup: no namespace, ipmi_sim, sanlock or other process of run $RUNID left"
