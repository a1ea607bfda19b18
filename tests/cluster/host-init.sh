#!/bin/bash
# host-init.sh -- the "init" (anchor) process of one simulated havm host.
#
# Started by harness.sh (host_start) as
#   setsid ip netns exec NS unshare -m -u --propagation private \
#       /bin/bash host-init.sh RUNDIR INDEX
# so this process already lives in the host's network namespace and in fresh
# private mount and UTS namespaces. It:
#   1. bind-mounts the host's private directories (RUNDIR/n<i>/fs/<dir>) over
#      /run, /etc/corosync, /var/lib/corosync, ... and a tmpfs on /dev/shm;
#   2. sets the hostname;
#   3. starts `corosync -f` and waits until its IPC answers;
#   3b. with HARNESS_SANLOCK=1 (HV_SANLOCK=1), starts `sanlock daemon` with
#      the setrlimit LD_PRELOAD shim and waits until `sanlock client status`
#      answers (socket and pid in the private /run/sanlock, log in
#      RUNDIR/n<i>/sanlock.log);
#   3c. with HARNESS_LIBVIRT=1 (HV_LIBVIRT=1), starts `libvirtd --listen`
#      (configuration in the private /etc/libvirt, log in
#      RUNDIR/n<i>/libvirtd.log, pid in RUNDIR/n<i>/libvirtd.pid) and waits
#      until `virsh -c qemu:///system uri` answers; after sanlock, because
#      its lock driver registers every qemu with sanlock;
#   4. runs the optional hook RUNDIR/n<i>/pre-havmd.sh (sourced, so daemons it
#      starts with `&` are children of this process);
#   5. starts `havmd -f -c /etc/havm/havm.conf` (unless HAVM_HARNESS_NO_HAVMD=1);
#   6. writes "ready" to RUNDIR/n<i>/state and then serves control requests
#      from the FIFO RUNDIR/n<i>/ctl, one per line: "ID VERB ARGS...".
#      VERB is corosync | havmd | sanlock | libvirtd | spawn LOGFILE CMD ARGS...
#      (ARGS %q-quoted).
#      The exit status of each request is written to RUNDIR/n<i>/ack.ID.
# Every daemon of the host is a child of this process, so this process reaps
# them when they die (host_kill_proc). It never exits on its own; the harness
# SIGKILLs it together with everything else in the namespace (host_poweroff).
#
# This file is not meant to be run by hand.

set -u

RUNDIR=$1
I=$2
H=$RUNDIR/n$I

# shellcheck source=/dev/null
. "$H/host.env"     # HV_NODE_NAME HV_BIND_DIRS HV_COROSYNC HV_QUORUMTOOL
                    # HV_HAVMD HV_NO_HAVMD HV_COROSYNC_WAIT HV_SANLOCK
                    # [HV_SANLOCK_BIN HV_SANLOCK_PRELOAD HV_SANLOCK_IO_TIMEOUT
                    #  HV_SANLOCK_WAIT] HV_LIBVIRT [HV_LIBVIRTD HV_VIRSH
                    #  HV_LIBVIRT_WAIT]

log() { printf '%s anchor[%d] %s\n' "$(date +%H:%M:%S.%3N)" "$$" "$*"; }

set_state() {
	printf '%s\n' "$*" >"$H/state.tmp"
	mv -f "$H/state.tmp" "$H/state"
}

die() {
	log "FAILED: $*"
	set_state "failed: $*"
	exit 1
}

# Start corosync as our child and wait until its IPC (quorum service) answers.
# corosync-quorumtool -s: 0 = quorate, 2 = not quorate, anything else = no IPC
# or no quorum provider; a corosync.conf without one (a scenario tests that
# havm copes) is ready once cmap answers.
start_corosync() {
	local pid rc deadline
	if [ ! -f /etc/corosync/corosync.conf ]; then
		log "no /etc/corosync/corosync.conf"
		return 1
	fi
	"$HV_COROSYNC" -f >>"$H/corosync.out" 2>&1 </dev/null &
	pid=$!
	echo "$pid" >"$H/corosync.pid"
	log "started corosync pid $pid"
	deadline=$((SECONDS + HV_COROSYNC_WAIT))
	while :; do
		rc=0
		"$HV_QUORUMTOOL" -s >/dev/null 2>&1 || rc=$?
		if [ "$rc" = 0 ] || [ "$rc" = 2 ]; then
			log "corosync IPC answers (quorumtool rc $rc)"
			return 0
		fi
		if ! grep -q 'provider:' /etc/corosync/corosync.conf &&
			"$(dirname "$HV_QUORUMTOOL")/corosync-cmapctl" -g totem.cluster_name >/dev/null 2>&1; then
			log "corosync IPC answers (cmap; no quorum provider configured)"
			return 0
		fi
		if ! kill -0 "$pid" 2>/dev/null; then
			log "corosync pid $pid exited before its IPC answered; see $H/corosync.out and the corosync log"
			return 1
		fi
		if [ "$SECONDS" -ge "$deadline" ]; then
			log "corosync IPC did not answer within ${HV_COROSYNC_WAIT}s"
			return 1
		fi
		sleep 0.1
	done
}

# sanlock without a watchdog (-w 0), real-time priority (-h 0) or mlockall
# (-l 0). -o HV_SANLOCK_IO_TIMEOUT is as TESTBED.md has it, but sanlock 3.8
# takes a lockspace's io_timeout from `add_lockspace -o` (written in the
# joining host's delta lease; 10 without it). -D logs everything to stderr
# (our sanlock.log); -L -1 -S -1: no /var/log/sanlock.log (shared with the
# machine and every host) and no syslog. The preload shim makes its
# setrlimit(RLIMIT_MEMLOCK/RTPRIO) succeed: no CAP_SYS_RESOURCE here.
start_sanlock() {
	local pid rc deadline
	LD_PRELOAD=$HV_SANLOCK_PRELOAD "$HV_SANLOCK_BIN" daemon -D -w 0 -U root -G root \
		-l 0 -h 0 -o "$HV_SANLOCK_IO_TIMEOUT" -L -1 -S -1 >>"$H/sanlock.log" 2>&1 </dev/null &
	pid=$!
	echo "$pid" >"$H/sanlock.pid"
	log "started sanlock pid $pid"
	deadline=$((SECONDS + HV_SANLOCK_WAIT))
	while :; do
		rc=0
		"$HV_SANLOCK_BIN" client status >/dev/null 2>&1 || rc=$?
		if [ "$rc" = 0 ]; then
			log "sanlock answers"
			return 0
		fi
		if ! kill -0 "$pid" 2>/dev/null; then
			log "sanlock pid $pid exited before answering; see $H/sanlock.log"
			return 1
		fi
		if [ "$SECONDS" -ge "$deadline" ]; then
			log "sanlock did not answer within ${HV_SANLOCK_WAIT}s"
			return 1
		fi
		sleep 0.1
	done
}

# libvirtd in the foreground as our child: the qemu processes it starts are
# in this host's network namespace, so a power-off kills them with it.
# --listen: TCP per libvirtd.conf (the harness writes it), for migration.
start_libvirtd() {
	local pid deadline
	"$HV_LIBVIRTD" --listen >>"$H/libvirtd.log" 2>&1 </dev/null &
	pid=$!
	echo "$pid" >"$H/libvirtd.pid"
	log "started libvirtd pid $pid"
	deadline=$((SECONDS + HV_LIBVIRT_WAIT))
	while :; do
		if timeout 5 "$HV_VIRSH" -q -c qemu:///system uri >/dev/null 2>&1; then
			log "libvirtd answers"
			return 0
		fi
		if ! kill -0 "$pid" 2>/dev/null; then
			log "libvirtd pid $pid exited before answering; see $H/libvirtd.log"
			return 1
		fi
		if [ "$SECONDS" -ge "$deadline" ]; then
			log "libvirtd did not answer within ${HV_LIBVIRT_WAIT}s"
			return 1
		fi
		sleep 0.1
	done
}

start_havmd() {
	local pid
	if [ ! -x "$HV_HAVMD" ]; then
		log "havmd binary $HV_HAVMD missing or not executable"
		return 1
	fi
	"$HV_HAVMD" -f -c /etc/havm/havm.conf >>"$H/havmd.log" 2>&1 </dev/null &
	pid=$!
	echo "$pid" >"$H/havmd.pid"
	log "started havmd pid $pid ($HV_HAVMD)"
	return 0
}

cd /
log "host $HV_NODE_NAME starting in $(readlink /proc/self/ns/net) $(readlink /proc/self/ns/mnt)"
echo "$$" >"$H/anchor.pid"

# Private directories. The targets exist in the root namespace (the harness
# created them if needed); the sources live in the run dir.
for d in $HV_BIND_DIRS; do
	mount --bind "$H/fs$d" "$d" || die "mount --bind $H/fs$d $d"
done
mount -t tmpfs -o mode=1777 havm-shm /dev/shm || die "mount tmpfs /dev/shm"
mkdir -p /run/lock
hostname "$HV_NODE_NAME" || die "hostname $HV_NODE_NAME"

start_corosync || die "corosync did not start"

if [ "${HV_SANLOCK:-0}" = 1 ]; then
	start_sanlock || die "sanlock did not start"
fi

if [ "${HV_LIBVIRT:-0}" = 1 ]; then
	start_libvirtd || die "libvirtd did not start"
fi

if [ -f "$H/pre-havmd.sh" ]; then
	log "sourcing $H/pre-havmd.sh"
	# shellcheck source=/dev/null
	. "$H/pre-havmd.sh" || die "pre-havmd.sh failed"
fi

if [ "$HV_NO_HAVMD" = 1 ]; then
	log "HAVM_HARNESS_NO_HAVMD=1: not starting havmd"
else
	start_havmd || die "havmd did not start"
fi

# Open the control FIFO read-write: the open never blocks and read never
# sees EOF when a writer goes away.
exec 3<>"$H/ctl"
set_state ready
log "ready"

while :; do
	if ! read -r id verb rest <&3; then
		sleep 0.1
		continue
	fi
	log "request $id: $verb $rest"
	rc=0
	case $verb in
	corosync) start_corosync || rc=$? ;;
	havmd) start_havmd || rc=$? ;;
	sanlock)
		if [ "${HV_SANLOCK:-0}" = 1 ]; then start_sanlock || rc=$?; else rc=2; fi
		;;
	libvirtd)
		if [ "${HV_LIBVIRT:-0}" = 1 ]; then start_libvirtd || rc=$?; else rc=2; fi
		;;
	spawn)
		eval "set -- $rest"
		if [ $# -lt 2 ]; then
			rc=2
		else
			out=$1
			shift
			"$@" >>"$out" 2>&1 </dev/null &
			log "spawned pid $!: $*"
		fi
		;;
	*) log "unknown request '$verb'"; rc=2 ;;
	esac
	echo "$rc" >"$H/ack.$id.tmp"
	mv -f "$H/ack.$id.tmp" "$H/ack.$id"
done
