#!/bin/bash
# chassis-control.sh -- the power switch of one simulated host, for its BMC.
#
# ipmi_sim (started by harness.sh bmc_start in the run's hub namespace, with
# HV_BMC_RUNDIR, HV_BMC_RUNID and HV_BMC_HOST in its environment) runs this
# through `chassis_control "bash chassis-control.sh 0x20"`, waiting for it:
#
#   chassis-control.sh 0x20 get power [boot]  prints power:1 / power:0 (boot:default)
#   chassis-control.sh 0x20 set power 0       power off: the harness'
#                 host_poweroff, SIGKILL to every process of the host's
#                 network namespace at once (a host losing power)
#   chassis-control.sh 0x20 set power 1       power on: the harness' host
#                 launch, the full boot (corosync, sanlock, havmd); returns
#                 once the host's anchor exists, the boot goes on detached
#   chassis-control.sh 0x20 set reset 1       power off, then on (nothing if off)
#   set boot X / identify X / shutdown 1      accepted; shutdown = power off
#
# Power status is whether the host's anchor process is alive
# (host_is_running). Only the host HV_BMC_HOST of the run HV_BMC_RUNID is
# ever touched, after checking both against RUNDIR/run.info.
#
# Each power action is appended to RUNDIR/n<i>/bmc-power.log as
#   YYYY-MM-DD HH:MM:SS.mmm EPOCH_MS ACTION RESULT [DETAIL]
# ACTION is power-off, power-on, reset or soft-off; RESULT is done, noop or
# failed, and later (from the boot watcher) ready, boot-failed, boot-timeout
# or boot-aborted. For power-off the time is that of the kill itself. Every
# call is logged in RUNDIR/bmc/n<i>/chassis.log. Errors go to stdout (ipmi_sim
# logs it) with exit status 1.

set -u

# ipmi_sim's descriptors are inherited (its UDP socket among them): close
# them, or a host booted from here would keep the BMC's port open.
for _fd in "/proc/$$/fd/"*; do
	_fd=${_fd##*/}
	case $_fd in
	0 | 1 | 2 | 255) ;;
	*[!0-9]* | '') ;;
	*) eval "exec $_fd>&-" 2>/dev/null || true ;;
	esac
done
unset _fd

fail() {
	echo "chassis-control: $*"
	[ -n "${LOG:-}" ] && printf '%s ERROR %s\n' "$(date '+%F %T.%3N')" "$*" >>"$LOG"
	exit 1
}

RUNDIR=${HV_BMC_RUNDIR:-}
RUNID=${HV_BMC_RUNID:-}
I=${HV_BMC_HOST:-}
[ -n "$RUNDIR" ] && [ -n "$RUNID" ] && [ -n "$I" ] ||
	fail "HV_BMC_RUNDIR, HV_BMC_RUNID, HV_BMC_HOST not set (run by the harness' ipmi_sim only)"
case $RUNDIR in */havm-harness."$RUNID") ;; *) fail "$RUNDIR is not the run dir of $RUNID" ;; esac
[ -f "$RUNDIR/run.info" ] || fail "no $RUNDIR/run.info"
[ "$(sed -n 's/^runid=//p' "$RUNDIR/run.info")" = "$RUNID" ] || fail "$RUNDIR/run.info is not run $RUNID"
HOSTS=$(sed -n 's/^hosts=//p' "$RUNDIR/run.info")
case $I in '' | *[!0-9]*) fail "bad host index '$I'" ;; esac
[ "$I" -ge 1 ] && [ "$I" -le "$HOSTS" ] || fail "host $I is not in run $RUNID"

LOG=$RUNDIR/bmc/n$I/chassis.log
POWERLOG=$RUNDIR/n$I/bmc-power.log
exec 2>>"$LOG"
printf '%s call: %s\n' "$(date '+%F %T.%3N')" "$*" >>"$LOG"

[ "${1:-}" = 0x20 ] || fail "unknown device '${1:-}' (only the BMC, 0x20)"
OP=${2:-}
shift 2 || fail "usage: chassis-control.sh 0x20 get|set PARM..."

# The harness, for this run and host; boot.env holds what a host boot needs
# (HAVMD, HARNESS_SANLOCK, ...), as the scenario last started a host.
# shellcheck disable=SC2034  # read by harness.sh
HARNESS_RUNID=$RUNID HARNESS_RUNDIR=$RUNDIR HARNESS_N=$HOSTS
# shellcheck source-path=SCRIPTDIR/.. source=../harness.sh
. "$(dirname "${BASH_SOURCE[0]}")/../harness.sh"
# shellcheck source=/dev/null
[ -f "$RUNDIR/boot.env" ] && . "$RUNDIR/boot.env"
exec {_HARNESS_ERRFD}>>"$LOG"
_harness_tools || fail "harness tools missing"

# record MS ACTION RESULT [DETAIL]: one line of the power log.
record() {
	local ms=$1
	shift
	printf '%s.%03d %s %s\n' "$(date -d "@$((ms / 1000))" '+%F %T')" "$((ms % 1000))" "$ms" "$*" >>"$POWERLOG"
	printf '%s power: %s\n' "$(date '+%F %T.%3N')" "$*" >>"$LOG"
}

host_is_on() { host_is_running "$I" || [ -n "$(host_pids "$I")" ]; }

power_off() {
	local action=$1
	if ! host_is_on; then
		record "$(harness_now_ms)" "$action" noop "host is off"
		return 0
	fi
	if host_poweroff "$I" >>"$LOG" 2>&1; then
		record "$HARNESS_LAST_POWEROFF_MS" "$action" 'done' "every process of $(host_ns "$I") killed"
	else
		record "$(harness_now_ms)" "$action" failed "host_poweroff $I failed"
		return 1
	fi
}

# Boot watcher (detached): records when the host is ready, or why not.
watch_boot() {
	local action=$1 t0=$2 h st deadline=$((SECONDS + ${HARNESS_START_TIMEOUT:-30}))
	h=$RUNDIR/n$I
	while :; do
		st=$(cat "$h/state" 2>/dev/null) || st=
		case $st in
		ready) record "$(harness_now_ms)" "$action" ready "after $(($(harness_now_ms) - t0)) ms"; return ;;
		failed*) record "$(harness_now_ms)" "$action" boot-failed "$st"; return ;;
		off) record "$(harness_now_ms)" "$action" boot-aborted "powered off while booting"; return ;;
		esac
		if [ "$SECONDS" -ge "$deadline" ]; then
			record "$(harness_now_ms)" "$action" boot-timeout "not ready after ${HARNESS_START_TIMEOUT:-30}s"
			return
		fi
		sleep 0.05
	done
}

power_on() {
	local action=$1 t0 deadline
	if host_is_on; then
		record "$(harness_now_ms)" "$action" noop "host is on"
		return 0
	fi
	t0=$(harness_now_ms)
	if ! _host_launch "$I" </dev/null >>"$LOG" 2>&1; then
		record "$t0" "$action" failed "host launch failed"
		return 1
	fi
	deadline=$((SECONDS + 5))
	until host_is_running "$I"; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			record "$t0" "$action" failed "the host's anchor did not appear"
			return 1
		fi
		sleep 0.02
	done
	record "$t0" "$action" 'done' "booting, anchor pid $(host_anchor_pid "$I")"
	# Not holding ipmi_sim's pipe (stdout): ipmi_sim reads it to EOF.
	watch_boot "$action" "$t0" </dev/null >>"$LOG" 2>&1 &
}

case $OP in
get)
	[ $# -gt 0 ] || fail "get what?"
	for p in "$@"; do
		case $p in
		power) if host_is_running "$I"; then echo power:1; else echo power:0; fi ;;
		boot) echo boot:default ;;
		*) fail "cannot get '$p'" ;;
		esac
	done
	;;
set)
	[ $# -ge 2 ] || fail "set what?"
	while [ $# -ge 2 ]; do
		p=$1 v=$2
		shift 2
		case $p in
		power)
			case $v in
			0) power_off power-off || fail "power off failed" ;;
			1) power_on power-on || fail "power on failed" ;;
			*) fail "bad power value '$v'" ;;
			esac
			;;
		reset)
			[ "$v" = 0 ] && continue
			if host_is_on; then
				power_off reset && power_on reset || fail "reset failed"
			else
				record "$(harness_now_ms)" reset noop "host is off"
			fi
			;;
		shutdown)
			[ "$v" = 0 ] && continue
			power_off soft-off || fail "soft off failed"
			;;
		boot | identify) printf '%s ignored: %s %s\n' "$(date '+%F %T.%3N')" "$p" "$v" >>"$LOG" ;;
		*) fail "cannot set '$p'" ;;
		esac
	done
	;;
*) fail "unknown operation '$OP'" ;;
esac
printf '%s done\n' "$(date '+%F %T.%3N')" >>"$LOG"
exit 0
