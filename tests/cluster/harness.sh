# shellcheck shell=bash
# shellcheck disable=SC2034  # HARNESS_* results are read by scenario scripts
# harness.sh -- run a cluster of real corosync + havmd hosts on one machine.
#
# Source this file from a bash scenario script (it is set -euo pipefail safe):
#
#     #!/bin/bash
#     set -euo pipefail
#     . "$(dirname "$0")/harness.sh"
#     harness_require_root
#     harness_init 3                 # namespaces, config, cleanup trap
#     host_start 1 2 3               # corosync, then havmd, on each host
#     wait_until 30 havm_on 1 status --json
#     host_poweroff 3
#     ...
#
# Each host i is a network namespace <runid>-n<i> (address 192.0.2.<i>/24 on
# eth0, a veth into a bridge in the hub namespace <runid>-hub; TEST-NET-1,
# with no route out of the namespaces) plus private mount and UTS namespaces
# created by host_start, in which per-host directories of the run dir are
# bind-mounted over /run, /etc/corosync, /var/lib/corosync, /var/log/corosync,
# /etc/havm and /var/lib/havm, a private tmpfs is mounted on /dev/shm and the
# hostname is node<i>. corosync nodeid is i.
#
# Functions (the names are a contract):
#   harness_require_root          fail clearly unless root and ip netns works
#   harness_init N                create run id, run dir, hub + N host netns,
#                                 write config, install cleanup traps
#   harness_cleanup               kill this run's processes, delete its netns,
#                                 remove the run dir (unless HARNESS_KEEP=1);
#                                 idempotent; runs from the EXIT/INT/TERM/HUP traps
#   harness_write_config i        (re)write host i's corosync.conf and havm.conf,
#                                 then call harness_extra_config i if defined
#   host_start i [j ...]          start hosts (in parallel); returns when each
#                                 has corosync answering and havmd launched
#   host_exec i CMD...            run CMD in host i's net, mount and UTS namespaces
#   havm_on i ARGS...             host_exec i $HAVM ARGS...
#   host_poweroff i               SIGKILL every process of host i in one kill call
#                                 and wait until they are gone
#   host_kill_proc i NAME         SIGKILL the processes named NAME (comm) on host i
#   host_start_corosync i         restart corosync alone on a running host
#   host_start_havmd i            restart havmd alone on a running host
#   host_spawn i LOGFILE CMD...   start another daemon on host i as a child of
#                                 its anchor (stdout/stderr appended to LOGFILE)
#   host_isolate i / host_unisolate i
#                                 take host i's link down / up (partition)
#   wait_until SECS CMD...        poll CMD every 0.2 s; 0 on success, 1 (with a
#                                 message on stderr) on timeout; sets
#                                 HARNESS_WAITED_MS
#   host_log i                    path of host i's havmd log
#   corosync_log i                path of host i's corosync log
# Helpers: host_ns i, host_addr i, host_name i, host_anchor_pid i,
#   host_pids i, host_is_running i, harness_host_path i [PATH],
#   host_pre_havmd_hook i, harness_now_ms, harness_dump_logs [LINES],
#   harness_sweep_stale, corosync_nodes i, corosync_quorate i,
#   corosync_sees i N, harness_pass MSG, harness_fail MSG.
#   After host_poweroff / host_kill_proc, HARNESS_LAST_POWEROFF_MS /
#   HARNESS_LAST_KILL_MS hold the time of the kill (ms since the epoch).
#
# Environment:
#   HARNESS_TMP=/tmp        parent of the run dir
#   HARNESS_KEEP=1          keep the run dir (logs) after cleanup
#   HARNESS_CLUSTER=testclu cluster name
#   HARNESS_TOKEN=1000      corosync totem token (ms); token_coefficient is 0
#   HARNESS_TOTEM_EXTRA, HARNESS_QUORUM_EXTRA
#                           extra lines for the totem / quorum sections of
#                           corosync.conf (e.g. HARNESS_QUORUM_EXTRA="two_node: 1")
#   HARNESS_EXTRA_BIND_DIRS space-separated extra absolute directories to
#                           make private per host (e.g. "/etc/libvirt ...")
#   HARNESS_START_TIMEOUT=30, HARNESS_COROSYNC_WAIT=20   (seconds)
#   HARNESS_HOST_ENV        names of variables passed to the host daemons,
#                           which otherwise get only PATH, HOME and LANG
#                           (default: ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS
#                           TSAN_OPTIONS)
#   HARNESS_SANLOCK=1       per-host sanlock + shared storage (see below)
#   HARNESS_SANLOCK_IO_TIMEOUT=2  io_timeout of the lockspace (init and join)
#   HARNESS_SANLOCK_WAIT=10 seconds a host boot waits for sanlock to answer
#   HARNESS_SANLOCK_SLOTS=16  1 MiB resource lease slots in <shared>/leases
#   HARNESS_SANLOCK_LOCKSPACE=havm  lockspace name
#   HARNESS_SANLOCK_PRELOAD the setrlimit shim to use (default: the one
#                           `make check` built in tests/cluster, else built
#                           into the run dir with $CC/cc)
#   HARNESS_BMC=1           a simulated BMC per host (see below)
#   HARNESS_LIBVIRT=1       per-host libvirtd + qemu (needs HARNESS_SANLOCK=1;
#                           see below)
#   HARNESS_LIBVIRT_WAIT=20 seconds a host boot waits for libvirtd to answer
#   HARNESS_DUMP_ON_FAIL=1  print log tails when the script exits non-zero
#   HAVMD, HAVM             havmd / havm binaries (default: <repo>/daemon/havmd,
#                           <repo>/cli/havm, the repo found relative to this file)
#   HAVM_HARNESS_NO_HAVMD=1 do not start havmd (harness development only)
#
# sanlock (HARNESS_SANLOCK=1 before harness_init; otherwise none of this):
#   Shared storage: harness_init creates $(harness_shared_path)
#   (<run dir>/shared; every host sees it at that same absolute path) holding
#   `lockspace` (1 MiB, `sanlock direct init -o 2 -s havm:0:PATH:0`) and
#   `leases` (HARNESS_SANLOCK_SLOTS slots of 1 MiB, zeroed). Each host boot
#   starts, after corosync and before the pre-havmd hook and havmd,
#     sanlock daemon -D -w 0 -U root -G root -l 0 -h 0 -o 2 -L -1 -S -1
#   with LD_PRELOAD=setrlimit_preload.so (tests/cluster/setrlimit_preload.c:
#   the sandbox cannot raise RLIMIT_MEMLOCK/RTPRIO), socket and pid in the
#   host's private /run/sanlock, log in n<i>/sanlock.log; the boot waits until
#   `sanlock client status` answers. Hosts do not join the lockspace by
#   themselves (havmd's job); host_sanlock_join does it for tests.
#   harness_shared_path           the shared directory
#   harness_sanlock_lockspace [ID]  "havm:ID:<shared>/lockspace:0" (ID 0 if omitted)
#   harness_sanlock_resource NAME SLOT
#                                 "havm:NAME:<shared>/leases:SLOT*1MiB"; init a
#                                 slot with `sanlock direct init -r ...`
#   host_sanlock i ARGS...        host_exec i sanlock ARGS (talks to host i's daemon)
#   host_sanlock_join i [ID]      add_lockspace -o $HARNESS_SANLOCK_IO_TIMEOUT with
#                                 host id ID (default i); ~5 s with io_timeout 2
#   sanlock_host_state i ID       LIVE/FAIL/DEAD/FREE/UNKNOWN: host i's sanlock's
#                                 view of host id ID (`sanlock client gets -h 1`)
#   host_start_sanlock i          restart sanlock alone on a running host
#   sanlock_log i                 path of host i's sanlock log
#
# Simulated BMCs (HARNESS_BMC=1 before harness_init; at most 100 hosts):
#   Host i's BMC is an OpenIPMI ipmi_sim (IPMI 1.5/2.0 on UDP) that runs in
#   the hub namespace, not in the host's: it answers while the host is off,
#   and hosts reach it over the test network. It listens on
#   $(host_bmc_addr i) = 192.0.2.(100+i) (an address of the hub's bridge),
#   port 623, nowhere else. User "admin", a random 16-character password per
#   host in $(host_bmc_password_file i) (mode 0600). Files from
#   tests/cluster/bmc/ (lan.conf.in, emu.cmd); chassis control is
#   tests/cluster/bmc/chassis-control.sh: power off = host_poweroff i (SIGKILL
#   to all of the host's processes at once), power on = a full host boot as
#   host_start i (detached: the BMC answers at once, the boot goes on),
#   status = host_is_running i, reset = off then on. Every power action is
#   logged with its time in $(host_bmc_power_log i) (n<i>/bmc-power.log):
#     YYYY-MM-DD HH:MM:SS.mmm EPOCH_MS ACTION RESULT [DETAIL]
#   ACTION power-off|power-on|reset|soft-off, RESULT done|noop|failed, then
#   for power-on/reset ready|boot-failed|boot-timeout|boot-aborted. BMCs start
#   at harness_init (before any host) and die at harness_cleanup.
#   BMC files of host i: <run dir>/bmc/n<i>/ (lan.conf, emu.cmd, state/,
#   password, ipmi_sim.log, chassis.log = every chassis-control call).
#   host_bmc_addr i, host_bmc_port i (623), host_bmc_user i (admin),
#   host_bmc_password_file i, host_bmc_password i, host_bmc_power_log i, bmc_log i
#   bmc_stop i / bmc_start i      kill / restart host i's ipmi_sim only (BMC
#                                 unreachable; the host is untouched)
#   bmc_is_running i, bmc_pid i
#   host_ipmitool i j ARGS...     ipmitool -I lanplus -C 3 on host i against host
#                                 j's BMC (password from the file)
#   bmc_ipmitool j ARGS...        the same from the hub namespace (no host needed)
#   FreeIPMI (ipmi-power, libfreeipmi) needs the "opensesspriv" workaround
#   for ipmi_sim over IPMI 2.0: ipmi-power -D LAN_2_0 -I 3 -W opensesspriv ...
#   (without it: "privilege level cannot be obtained for this user").
#
# libvirt and qemu (HARNESS_LIBVIRT=1 and HARNESS_SANLOCK=1 before
# harness_init; otherwise none of this):
#   /etc/libvirt, /var/lib/libvirt, /var/log/libvirt and /var/cache/libvirt
#   are private per host too. harness_write_config writes host i's
#   /etc/libvirt/libvirtd.conf (TCP on $(host_addr i):16509, no TLS, no
#   authentication: tests only; unix sockets root-only), qemu.conf (the test
#   bed's lines: security_driver "none", user/group root, stdio_handler
#   "file" (no virtlogd), dynamic_ownership 0; then conf/libvirt/qemu.conf.snippet
#   as shipped: lock_manager "sanlock") and qemu-sanlock.conf (a copy of
#   conf/libvirt/qemu-sanlock.conf as shipped), before harness_extra_config
#   (which may change them). harness_init creates the user libvirt-qemu and
#   the groups kvm and libvirt-qemu if missing (libvirtd refuses to start
#   without them) and $(harness_vm_dir) on the shared storage. Each host
#   boot starts, after sanlock and before the pre-havmd hook and havmd,
#     libvirtd --listen      (stdout/stderr: n<i>/libvirtd.log; warnings up)
#   as a child of the anchor, pid in n<i>/libvirtd.pid, and waits until
#   `virsh -c qemu:///system uri` answers. The qemu processes libvirtd starts
#   live in the host's network namespace, so host_poweroff and
#   harness_cleanup kill them with everything else of the host. qemu gets
#   no cgroups here (libvirt finds none it can use), so <cputune> limits are
#   not applied. The first domain started on a host takes ~4 s more
#   (libvirtd probes qemu's capabilities into /var/cache/libvirt):
#   libvirt_warm spreads one host's probe to the others.
#   host_virsh i ARGS...          virsh -c qemu:///system ARGS on host i
#   host_libvirt_uri i            qemu+tcp://ADDR/system: host i's libvirtd
#                                 from another host (migration)
#   host_start_libvirtd i         restart libvirtd alone on a running host
#   libvirt_warm i [j ...]        probe qemu on host i (virsh domcapabilities),
#                                 copy the result to hosts j ... and have them
#                                 load it; then no host pays the probe in a
#                                 domain start (HARNESS_LIBVIRT_WARM_MS: ms
#                                 spent on host i)
#   libvirtd_log i                path of host i's libvirtd log
#   harness_vm_dir                <shared>/vms, for VM disks and domain XMLs
#                                 (tests/cluster/vm.sh writes them)
#   harness_domain_type           kvm if /dev/kvm exists, else qemu (TCG)
#
# Background helpers of the scenario (samplers, ...):
#   harness_bg_track PID          harness_cleanup SIGTERMs PID (and, if it
#                                 lingers, SIGKILLs it) before the hosts go
#
# Hooks a scenario may define before harness_init:
#   harness_extra_config i    called after host i's default config is written;
#                             write files with harness_host_path i /etc/...;
#                             may write the file $(host_pre_havmd_hook i), which
#                             the host sources after corosync is up and before
#                             havmd starts (to start sanlock, libvirtd, ...)
#   harness_extra_cleanup     called first thing in harness_cleanup
#
# Notes:
# - If a scenario installs its own EXIT/INT/TERM/HUP trap it replaces the
#   harness' one; call harness_cleanup from it.
# - Bash cannot trap a signal that was ignored when it started: a scenario
#   started with `&` from a non-interactive shell ignores SIGINT, so stop it
#   with SIGTERM. After SIGKILL of a scenario, `tests/cluster/harness.sh sweep`.
# - Run dir layout: n<i>/fs/<dir> is host i's <dir> (fs/etc/havm/havm.conf,
#   fs/var/log/corosync/corosync.log, ...); n<i>/havmd.log, corosync.out
#   (corosync's stdout/stderr), init.log (the host's anchor), anchor.pid.
# - host_start empties the host's /run (volatile, as at boot); everything
#   else persists across host_poweroff/host_start (like a disk).
# - Host daemons get a clean environment (PATH, HOME, LANG, HARNESS_HOST_ENV)
#   and cwd /. host_exec runs with the scenario's environment.
# - host_isolate takes the hub side of the host's veth down: the host keeps
#   its address; its eth0 just loses carrier (a pulled cable).
# - Killed host processes whose parent died too are reaped by PID 1 (up to
#   ~2 s here): "gone" means out of the namespace (zombie or reaped). Use
#   HARNESS_LAST_POWEROFF_MS to time from the kill itself.
# - host_exec i CMD runs CMD directly (no shell): host_exec i sh -c '...'.
# - A BMC power-on boots the host with the harness settings the scenario had
#   when it last started a host (or at harness_init): <run dir>/boot.env.

# --------------------------------------------------------------------------
# Locations and tools

HARNESS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
HARNESS_REPO=$(cd "$HARNESS_DIR/../.." && pwd -P)
HARNESS_NET_PREFIX=192.0.2          # TEST-NET-1 (RFC 5737), never routed out
HARNESS_BASE_BIND_DIRS="/run /etc/corosync /var/lib/corosync /var/log/corosync /etc/havm /var/lib/havm"
_HARNESS_LIBVIRT_BIND_DIRS="/etc/libvirt /var/lib/libvirt /var/log/libvirt /var/cache/libvirt"
_HARNESS_BMC_MAX=100                # BMC i listens on $HARNESS_NET_PREFIX.(100+i)
_HARNESS_MIB=1048576                # sanlock lease size (512-byte sectors, 1M align)

HARNESS_RUNID=${HARNESS_RUNID:-}
HARNESS_RUNDIR=${HARNESS_RUNDIR:-}
HARNESS_N=${HARNESS_N:-0}
HARNESS_WAITED_MS=0
HARNESS_LAST_POWEROFF_MS=0
HARNESS_LAST_KILL_MS=0
_HARNESS_REQ_SEQ=0

_harness_err() { printf 'harness: %s\n' "$*" >&2; }
_harness_info() { printf 'harness: %s\n' "$*" >&2; }
# Messages from traps and cleanup go to the stderr the scenario had at
# harness_init, even if a trap fires inside a command whose stderr is
# redirected (e.g. the polled command of wait_until).
_harness_say() { printf 'harness: %s\n' "$*" >&"${_HARNESS_ERRFD:-2}"; }

# Absolute path of a program, or fail.
_harness_bin() {
	local p
	p=$(command -v "$1" 2>/dev/null) || p=
	if [ -z "$p" ] && [ -x "/usr/sbin/$1" ]; then p=/usr/sbin/$1; fi
	if [ -z "$p" ] || [ "${p#/}" = "$p" ]; then
		_harness_err "required program '$1' not found"
		return 1
	fi
	printf '%s\n' "$p"
}

_harness_tools() {
	[ -n "${_H_IP:-}" ] && return 0
	if ! { _H_IP=$(_harness_bin ip) &&
		_H_NSENTER=$(_harness_bin nsenter) &&
		_H_UNSHARE=$(_harness_bin unshare) &&
		_H_SETSID=$(_harness_bin setsid) &&
		_H_ENV=$(_harness_bin env) &&
		_H_COROSYNC=$(_harness_bin corosync) &&
		_H_QUORUMTOOL=$(_harness_bin corosync-quorumtool) &&
		_H_BASH=$(_harness_bin bash); }; then
		_H_IP=
		return 1
	fi
	HAVMD=$(realpath -m "${HAVMD:-$HARNESS_REPO/daemon/havmd}")
	HAVM=$(realpath -m "${HAVM:-$HARNESS_REPO/cli/havm}")
}

# Milliseconds since the epoch.
harness_now_ms() {
	local t=$EPOCHREALTIME
	printf '%s\n' "$(( ${t%.*} * 1000 + 10#${t#*.} / 1000 ))"
}

# --------------------------------------------------------------------------
# Checks

harness_require_root() {
	if [ "$(id -u)" != 0 ]; then
		_harness_err "must run as root (network namespaces, mounts)"
		exit 1
	fi
	_harness_tools || exit 1
	# Probe without naming anything, so an interrupt cannot leave debris.
	if ! "$_H_IP" netns list >/dev/null 2>&1 ||
		! "$_H_UNSHARE" -n -m -u --propagation private true 2>/dev/null; then
		_harness_err "network/mount/UTS namespaces (ip netns, unshare -n -m -u) do not work here; cannot build the test cluster"
		exit 1
	fi
}

# --------------------------------------------------------------------------
# Names and paths

_harness_need_init() {
	if [ -z "$HARNESS_RUNID" ]; then
		_harness_err "harness_init has not been called"
		return 1
	fi
}

_harness_check_index() {
	_harness_need_init || return 1
	case ${1:-} in
	'' | *[!0-9]*) _harness_err "bad host index '${1:-}'"; return 1 ;;
	esac
	if [ "$1" -lt 1 ] || [ "$1" -gt "$HARNESS_N" ]; then
		_harness_err "host index $1 out of range 1..$HARNESS_N"
		return 1
	fi
}

host_ns() { printf '%s-n%s\n' "$HARNESS_RUNID" "$1"; }
host_addr() { printf '%s.%s\n' "$HARNESS_NET_PREFIX" "$1"; }
host_name() { printf 'node%s\n' "$1"; }
_harness_hub() { printf '%s-hub\n' "$HARNESS_RUNID"; }
_harness_hubif() { printf '%sh%s\n' "$HARNESS_RUNID" "$1"; }
_harness_hostdir() { printf '%s/n%s\n' "$HARNESS_RUNDIR" "$1"; }

# harness_host_path i [PATH]: where host i's view of PATH is stored in the
# run dir (PATH must be inside one of the private directories), or the
# host's private root of those directories when PATH is omitted.
harness_host_path() { printf '%s/n%s/fs%s\n' "$HARNESS_RUNDIR" "$1" "${2:-}"; }

host_log() { printf '%s/n%s/havmd.log\n' "$HARNESS_RUNDIR" "$1"; }
corosync_log() { printf '%s/n%s/fs/var/log/corosync/corosync.log\n' "$HARNESS_RUNDIR" "$1"; }

# Path of the optional per-host hook sourced by the anchor after corosync is
# up and before havmd starts (daemons started there with & are reaped by it).
host_pre_havmd_hook() { printf '%s/n%s/pre-havmd.sh\n' "$HARNESS_RUNDIR" "$1"; }

# The private directories of every host, each once.
_harness_bind_dirs() {
	local d out=" "
	for d in $HARNESS_BASE_BIND_DIRS \
		$([ "${HARNESS_LIBVIRT:-0}" = 1 ] && printf '%s' "$_HARNESS_LIBVIRT_BIND_DIRS") \
		${HARNESS_EXTRA_BIND_DIRS:-}; do
		case $out in *" $d "*) ;; *) out="$out$d " ;; esac
	done
	out=${out# }
	printf '%s\n' "${out% }"
}

# This run's namespaces (hosts and hub), from the kernel's list.
_harness_ns_list() {
	[ -n "$HARNESS_RUNID" ] || return 0
	{ "$_H_IP" netns list 2>/dev/null || true; } |
		awk -v p="$HARNESS_RUNID-" 'index($1, p) == 1 { print $1 }'
}

_harness_ns_pids() { "$_H_IP" netns pids "$1" 2>/dev/null || true; }

# --------------------------------------------------------------------------
# Init and cleanup

harness_init() {
	local n=${1:-} i suffix="" letters=abcdefghijklmnopqrstuvwxyz k=0
	case $n in '' | *[!0-9]*) _harness_err "usage: harness_init N"; return 1 ;; esac
	if [ "$n" -lt 1 ] || [ "$n" -gt 200 ]; then
		_harness_err "harness_init: N must be 1..200"
		return 1
	fi
	if [ "${HARNESS_BMC:-0}" = 1 ] && [ "$n" -gt "$_HARNESS_BMC_MAX" ]; then
		_harness_err "harness_init: HARNESS_BMC=1 allows at most $_HARNESS_BMC_MAX hosts (BMC addresses are $HARNESS_NET_PREFIX.(100+i))"
		return 1
	fi
	if [ -n "$HARNESS_RUNID" ]; then
		_harness_err "harness_init called twice (run $HARNESS_RUNID)"
		return 1
	fi
	_harness_tools || return 1

	local tmp=${HARNESS_TMP:-/tmp}
	tmp=$(realpath -m "$tmp")
	local d
	for d in $(_harness_bind_dirs); do
		case $tmp/ in "$d"/*)
			_harness_err "HARNESS_TMP=$tmp is inside $d, which is replaced per host"
			return 1 ;;
		esac
	done

	# Unique run id: hv<pid>[a-z]. Short: interface names are <runid>h<i>.
	while :; do
		HARNESS_RUNID=hv$$$suffix
		if [ -z "$(_harness_ns_list)" ] && [ ! -e "$tmp/havm-harness.$HARNESS_RUNID" ]; then
			break
		fi
		suffix=${letters:k:1}
		k=$((k + 1))
		if [ "$k" -gt 26 ]; then
			_harness_err "cannot find a free run id"
			HARNESS_RUNID=
			return 1
		fi
	done
	HARNESS_RUNDIR=$tmp/havm-harness.$HARNESS_RUNID
	HARNESS_N=$n
	_HARNESS_CLEANED=0
	exec {_HARNESS_ERRFD}>&2

	trap harness_cleanup EXIT
	trap '_harness_on_signal INT 130' INT
	trap '_harness_on_signal TERM 143' TERM
	trap '_harness_on_signal HUP 129' HUP

	mkdir -p "$HARNESS_RUNDIR"
	printf 'runid=%s\nowner=%s\nhosts=%s\n' "$HARNESS_RUNID" "$$" "$n" >"$HARNESS_RUNDIR/run.info"

	if [ "${HARNESS_SANLOCK:-0}" = 1 ]; then
		_harness_sanlock_setup || return 1
	fi
	if [ "${HARNESS_LIBVIRT:-0}" = 1 ]; then
		_harness_libvirt_setup || return 1
	fi

	local hub ns br=${HARNESS_RUNID}br hif
	hub=$(_harness_hub)
	_harness_ip netns add "$hub" || return 1
	_harness_ip -n "$hub" link set lo up || return 1
	_harness_sysctl_quiet "$hub"
	_harness_ip -n "$hub" link add "$br" type bridge || return 1
	_harness_ip -n "$hub" link set "$br" up || return 1

	for ((i = 1; i <= n; i++)); do
		ns=$(host_ns "$i")
		hif=$(_harness_hubif "$i")
		_harness_ip netns add "$ns" || return 1
		_harness_ip -n "$ns" link set lo up || return 1
		_harness_sysctl_quiet "$ns"
		_harness_ip -n "$hub" link add "$hif" type veth peer name eth0 netns "$ns" || return 1
		_harness_ip -n "$hub" link set "$hif" master "$br" up || return 1
		_harness_ip -n "$ns" addr add "$(host_addr "$i")/24" dev eth0 || return 1
		_harness_ip -n "$ns" link set eth0 up || return 1
		mkdir -p "$(_harness_hostdir "$i")" || return 1
		harness_write_config "$i" || return 1
	done
	_harness_write_boot_env || return 1
	if [ "${HARNESS_BMC:-0}" = 1 ]; then
		_harness_bmc_setup || return 1
	fi
	_harness_info "run $HARNESS_RUNID: $n hosts, run dir $HARNESS_RUNDIR"
}

_harness_ip() {
	"$_H_IP" "$@" || {
		_harness_err "ip $* failed"
		return 1
	}
}

# No IPv6 (no router solicitations, DAD noise) in our namespaces.
_harness_sysctl_quiet() {
	"$_H_IP" netns exec "$1" sh -c \
		'echo 1 >/proc/sys/net/ipv6/conf/all/disable_ipv6; echo 1 >/proc/sys/net/ipv6/conf/default/disable_ipv6' \
		2>/dev/null || true
}

_harness_on_signal() {
	_harness_say "caught SIG$1, cleaning up"
	trap - INT TERM HUP
	harness_cleanup
	trap - EXIT
	exit "$2"
}

# SIGKILL everything in the given namespaces until nothing is left (bounded).
_harness_kill_ns_procs() {
	local ns pids all deadline=$((SECONDS + 15))
	while :; do
		all=
		for ns in "$@"; do
			pids=$(_harness_ns_pids "$ns")
			all="$all $pids"
		done
		# shellcheck disable=SC2086,SC2116  # flatten to one line
		all=$(echo $all)
		[ -z "$all" ] && return 0
		_HARNESS_KILLED="$_HARNESS_KILLED $all"
		# shellcheck disable=SC2086
		kill -KILL $all 2>/dev/null || true
		if [ "$SECONDS" -ge "$deadline" ]; then
			_harness_err "processes still alive in $*: $all"
			return 1
		fi
		sleep 0.05
	done
}

# Wait (bounded) until the given pids have been reaped, not just killed.
# Orphans of a dead anchor are reaped by PID 1, which may take a moment.
_harness_wait_reaped() {
	local p left deadline=$((SECONDS + ${1:-5}))
	shift
	while :; do
		left=
		for p in "$@"; do
			[ -e "/proc/$p" ] && left="$left $p"
		done
		[ -z "$left" ] && return 0
		[ "$SECONDS" -ge "$deadline" ] && return 1
		sleep 0.1
	done
}

harness_cleanup() {
	local rc=$? had_e=0 had_u=0
	[ -n "$HARNESS_RUNID" ] || return 0
	case $- in *e*) had_e=1 ;; esac
	case $- in *u*) had_u=1 ;; esac
	set +e +u
	trap '' INT TERM HUP # do not get interrupted half-way

	if [ "${_HARNESS_CLEANED:-0}" != 1 ]; then
		if [ "$rc" != 0 ] && [ "${HARNESS_DUMP_ON_FAIL:-1}" = 1 ] && [ -d "$HARNESS_RUNDIR" ]; then
			harness_dump_logs 15 >&"${_HARNESS_ERRFD:-2}"
		fi
		if declare -F harness_extra_cleanup >/dev/null; then
			harness_extra_cleanup
		fi
	fi
	_harness_bg_kill

	_HARNESS_KILLED=
	local nslist
	nslist=$(_harness_ns_list)
	if [ -n "$nslist" ]; then
		# shellcheck disable=SC2086
		_harness_kill_ns_procs $nslist
		local ns
		for ns in $nslist; do
			"$_H_IP" netns del "$ns" 2>/dev/null || _harness_say "ip netns del $ns failed"
		done
	fi
	# shellcheck disable=SC2086
	[ -n "$_HARNESS_KILLED" ] && _harness_wait_reaped 5 $_HARNESS_KILLED

	if [ -d "$HARNESS_RUNDIR" ]; then
		case $HARNESS_RUNDIR in
		*/havm-harness."$HARNESS_RUNID")
			if [ "${HARNESS_KEEP:-}" = 1 ]; then
				date '+%F %T' >"$HARNESS_RUNDIR/cleaned" # harness_sweep_stale keeps it
				[ "${_HARNESS_CLEANED:-0}" != 1 ] && _harness_say "HARNESS_KEEP=1: logs kept in $HARNESS_RUNDIR"
			else
				rm -rf -- "$HARNESS_RUNDIR"
			fi
			;;
		esac
	fi
	_HARNESS_CLEANED=1
	trap - INT TERM HUP
	trap '_harness_on_signal INT 130' INT
	trap '_harness_on_signal TERM 143' TERM
	trap '_harness_on_signal HUP 129' HUP
	if [ "$had_e" = 1 ]; then set -e; fi
	if [ "$had_u" = 1 ]; then set -u; fi
	return 0
}

# harness_bg_track PID: a background helper of the scenario (a sampler, ...)
# that harness_cleanup stops before it takes the hosts down.
_HARNESS_BG_PIDS=
harness_bg_track() {
	case ${1:-} in '' | *[!0-9]*) _harness_err "usage: harness_bg_track PID"; return 1 ;; esac
	_HARNESS_BG_PIDS="$_HARNESS_BG_PIDS $1"
}

# A pid that runs (exists and is not a zombie).
_harness_pid_runs() {
	local st
	st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	st=${st##*) }
	[ "${st%% *}" != Z ]
}

# SIGTERM the tracked helpers, SIGKILL those still running after 2 s, and
# reap those that are our children.
_harness_bg_kill() {
	local p left deadline=$((SECONDS + 2))
	[ -n "$_HARNESS_BG_PIDS" ] || return 0
	# shellcheck disable=SC2086
	kill -TERM $_HARNESS_BG_PIDS 2>/dev/null
	while :; do
		left=
		for p in $_HARNESS_BG_PIDS; do _harness_pid_runs "$p" && left="$left $p"; done
		[ -z "$left" ] && break
		if [ "$SECONDS" -ge "$deadline" ]; then
			# shellcheck disable=SC2086
			kill -KILL $left 2>/dev/null
			break
		fi
		sleep 0.05
	done
	for p in $_HARNESS_BG_PIDS; do wait "$p" 2>/dev/null; done
	_HARNESS_BG_PIDS=
	return 0
}

# Kill and remove runs whose owning shell is gone (after a SIGKILLed scenario).
# Run dirs kept with HARNESS_KEEP=1 after a normal cleanup are left alone.
harness_sweep_stale() {
	_harness_tools || return 1
	local tmp=${HARNESS_TMP:-/tmp} info runid owner ns nslist
	for info in "$tmp"/havm-harness.*/run.info; do
		[ -f "$info" ] || continue
		runid=$(sed -n 's/^runid=//p' "$info")
		owner=$(sed -n 's/^owner=//p' "$info")
		[ -n "$runid" ] || continue
		[ "$runid" = "$HARNESS_RUNID" ] && continue
		[ -f "$(dirname "$info")/cleaned" ] && continue # kept logs (HARNESS_KEEP=1)
		if [ -n "$owner" ] && kill -0 "$owner" 2>/dev/null; then continue; fi
		nslist=$({ "$_H_IP" netns list 2>/dev/null || true; } |
			awk -v p="$runid-" 'index($1, p) == 1 { print $1 }')
		_harness_info "sweeping stale run $runid"
		_HARNESS_KILLED=
		# shellcheck disable=SC2086
		[ -n "$nslist" ] && _harness_kill_ns_procs $nslist
		for ns in $nslist; do "$_H_IP" netns del "$ns" 2>/dev/null || true; done
		# shellcheck disable=SC2086
		[ -n "$_HARNESS_KILLED" ] && _harness_wait_reaped 5 $_HARNESS_KILLED
		rm -rf -- "$(dirname "$info")"
	done
}

# --------------------------------------------------------------------------
# Configuration

harness_write_config() {
	_harness_check_index "$1" || return 1
	local i=$1 j cluster=${HARNESS_CLUSTER:-testclu} d
	for d in $(_harness_bind_dirs); do
		mkdir -p "$(harness_host_path "$i" "$d")"
	done
	local cc hc
	cc=$(harness_host_path "$i" /etc/corosync/corosync.conf)
	hc=$(harness_host_path "$i" /etc/havm/havm.conf)
	{
		echo "# written by tests/cluster/harness.sh for run $HARNESS_RUNID, host node$i"
		echo "totem {"
		echo "	version: 2"
		echo "	cluster_name: $cluster"
		echo "	transport: knet"
		echo "	crypto_cipher: none"
		echo "	crypto_hash: none"
		echo "	token: ${HARNESS_TOKEN:-1000}"
		echo "	token_coefficient: 0"
		[ -n "${HARNESS_TOTEM_EXTRA:-}" ] && printf '\t%s\n' "$HARNESS_TOTEM_EXTRA"
		echo "}"
		echo
		echo "nodelist {"
		for ((j = 1; j <= HARNESS_N; j++)); do
			echo "	node {"
			echo "		ring0_addr: $(host_addr "$j")"
			echo "		name: $(host_name "$j")"
			echo "		nodeid: $j"
			echo "	}"
		done
		echo "}"
		echo
		echo "quorum {"
		echo "	provider: corosync_votequorum"
		[ -n "${HARNESS_QUORUM_EXTRA:-}" ] && printf '\t%s\n' "$HARNESS_QUORUM_EXTRA"
		echo "}"
		echo
		echo "logging {"
		echo "	to_logfile: yes"
		echo "	logfile: /var/log/corosync/corosync.log"
		echo "	to_syslog: no"
		echo "	to_stderr: no"
		echo "	timestamp: hires"
		echo "}"
	} >"$cc"
	{
		printf 'cluster: { name = "%s"; };\n' "$cluster"
		echo "hosts = ("
		for ((j = 1; j <= HARNESS_N; j++)); do
			printf '  { name = "%s"; nodeid = %d; }' "$(host_name "$j")" "$j"
			if [ "$j" -lt "$HARNESS_N" ]; then echo ","; else echo; fi
		done
		echo ");"
		echo "timers: { reconnect_ms = 1000; };"
		echo "log: { debug = true; };"
	} >"$hc"
	if [ "${HARNESS_LIBVIRT:-0}" = 1 ]; then
		_harness_libvirt_config "$i" || return 1
	fi
	if declare -F harness_extra_config >/dev/null; then
		harness_extra_config "$i" || { _harness_err "harness_extra_config $i failed"; return 1; }
	fi
	return 0
}

# --------------------------------------------------------------------------
# Hosts

host_anchor_pid() {
	local f
	f=$(_harness_hostdir "$1")/anchor.pid
	[ -f "$f" ] || return 1
	cat "$f"
}

# host_is_running i: the anchor process is alive in host i's namespace.
host_is_running() {
	_harness_check_index "$1" || return 1
	local pid ino
	pid=$(host_anchor_pid "$1" 2>/dev/null) || return 1
	[ -n "$pid" ] || return 1
	ino=$(stat -L -c %i "/run/netns/$(host_ns "$1")" 2>/dev/null) || return 1
	[ "$(readlink "/proc/$pid/ns/net" 2>/dev/null)" = "net:[$ino]" ]
}

# host_pids i: all processes in host i's network namespace.
host_pids() {
	_harness_check_index "$1" || return 1
	_harness_ns_pids "$(host_ns "$1")"
}

_host_launch() {
	local i=$1 h d
	h=$(_harness_hostdir "$i")
	if host_is_running "$i"; then
		_harness_err "host $i is already running"
		return 1
	fi
	if [ -n "$(host_pids "$i")" ]; then
		_harness_err "host $i has leftover processes: $(host_pids "$i" | tr '\n' ' ')"
		return 1
	fi
	if [ "${HAVM_HARNESS_NO_HAVMD:-}" != 1 ] && [ ! -x "$HAVMD" ]; then
		_harness_err "havmd not found at $HAVMD (build it, set HAVMD=, or HAVM_HARNESS_NO_HAVMD=1 for harness development)"
		return 1
	fi
	if [ "${HARNESS_LIBVIRT:-0}" = 1 ] && [ ! -d "$(harness_vm_dir)" ]; then
		_harness_err "HARNESS_LIBVIRT=1 but harness_init did not set up libvirt (set HARNESS_LIBVIRT=1 before harness_init)"
		return 1
	fi
	if [ "${HARNESS_LIBVIRT:-0}" = 1 ]; then
		_harness_libvirt_tools || return 1
	fi
	if [ "${HARNESS_SANLOCK:-0}" = 1 ]; then
		_harness_sanlock_tools || return 1
		if [ ! -f "$(_harness_sanlock_preload)" ]; then
			_harness_err "HARNESS_SANLOCK=1 but harness_init did not set up sanlock (set HARNESS_SANLOCK=1 before harness_init)"
			return 1
		fi
	fi
	for d in $(_harness_bind_dirs); do
		case $d in /*) ;; *) _harness_err "bind dir '$d' is not absolute"; return 1 ;; esac
		mkdir -p "$(harness_host_path "$i" "$d")"
		# mount --bind needs the target to exist in the root namespace
		[ -d "$d" ] || mkdir -p "$d"
	done
	rm -f "$h/state" "$h/anchor.pid" "$h/ack."* "$h/ctl"
	# /run is volatile: a (re)boot starts with it empty.
	find "$(harness_host_path "$i" /run)" -mindepth 1 -delete
	mkfifo -m 0600 "$h/ctl"
	ln -sfn fs/var/log/corosync/corosync.log "$h/corosync.log"
	{
		printf 'HV_NODE_NAME=%q\n' "$(host_name "$i")"
		printf 'HV_BIND_DIRS=%q\n' "$(_harness_bind_dirs)"
		printf 'HV_COROSYNC=%q\n' "$_H_COROSYNC"
		printf 'HV_QUORUMTOOL=%q\n' "$_H_QUORUMTOOL"
		printf 'HV_HAVMD=%q\n' "$HAVMD"
		printf 'HV_NO_HAVMD=%q\n' "${HAVM_HARNESS_NO_HAVMD:-0}"
		printf 'HV_COROSYNC_WAIT=%q\n' "${HARNESS_COROSYNC_WAIT:-20}"
		printf 'HV_SANLOCK=%q\n' "${HARNESS_SANLOCK:-0}"
		if [ "${HARNESS_SANLOCK:-0}" = 1 ]; then
			printf 'HV_SANLOCK_BIN=%q\n' "$_H_SANLOCK"
			printf 'HV_SANLOCK_PRELOAD=%q\n' "$(_harness_sanlock_preload)"
			printf 'HV_SANLOCK_IO_TIMEOUT=%q\n' "${HARNESS_SANLOCK_IO_TIMEOUT:-2}"
			printf 'HV_SANLOCK_WAIT=%q\n' "${HARNESS_SANLOCK_WAIT:-10}"
		fi
		printf 'HV_LIBVIRT=%q\n' "${HARNESS_LIBVIRT:-0}"
		if [ "${HARNESS_LIBVIRT:-0}" = 1 ]; then
			printf 'HV_LIBVIRTD=%q\n' "$_H_LIBVIRTD"
			printf 'HV_VIRSH=%q\n' "$_H_VIRSH"
			printf 'HV_LIBVIRT_WAIT=%q\n' "${HARNESS_LIBVIRT_WAIT:-20}"
		fi
	} >"$h/host.env"
	# What a BMC power-on needs to boot this host the same way.
	_harness_write_boot_env || return 1
	echo "=== $(date '+%F %T') host_start $i" >>"$h/init.log"
	# Daemons get a small, clean environment (as under systemd), plus the
	# variables named in HARNESS_HOST_ENV (sanitizer options by default).
	local -a envv=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
		HOME=/root LANG=C.UTF-8)
	local v
	for v in ${HARNESS_HOST_ENV:-ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS TSAN_OPTIONS}; do
		if [ -n "${!v+set}" ]; then envv+=("$v=${!v}"); fi
	done
	# Subshell + setsid: not our child (a bare `wait` in a scenario won't
	# block on it) and not in the terminal's process group (Ctrl-C reaches
	# the scenario, whose trap then cleans up in order).
	(
		"$_H_ENV" -i "${envv[@]}" "$_H_SETSID" "$_H_IP" netns exec "$(host_ns "$i")" \
			"$_H_UNSHARE" -m -u --propagation private \
			"$_H_BASH" "$HARNESS_DIR/host-init.sh" "$HARNESS_RUNDIR" "$i" \
			</dev/null >>"$h/init.log" 2>&1 {_HARNESS_ERRFD}>&- &
	)
}

_host_wait_ready() {
	local i=$1 h st deadline=$((SECONDS + ${HARNESS_START_TIMEOUT:-30}))
	h=$(_harness_hostdir "$i")
	while :; do
		st=
		[ -f "$h/state" ] && st=$(cat "$h/state")
		case $st in
		ready) return 0 ;;
		failed*)
			_harness_err "host $i failed to start: ${st#failed: }"
			_harness_tail "$h/init.log" 10
			_harness_tail "$h/corosync.out" 10
			_harness_tail "$(corosync_log "$i")" 10
			return 1
			;;
		esac
		if [ "$SECONDS" -ge "$deadline" ]; then
			_harness_err "host $i not ready after ${HARNESS_START_TIMEOUT:-30}s"
			_harness_tail "$h/init.log" 10
			return 1
		fi
		sleep 0.05
	done
}

host_start() {
	local i rc=0
	if [ $# -eq 0 ]; then _harness_err "usage: host_start i [j ...]"; return 1; fi
	for i in "$@"; do _harness_check_index "$i" || return 1; done
	for i in "$@"; do _host_launch "$i" || return 1; done
	for i in "$@"; do _host_wait_ready "$i" || rc=1; done
	return "$rc"
}

_harness_tail() {
	[ -s "$1" ] || return 0
	printf '  --- %s (last %s lines)\n' "$1" "$2" >&2
	tail -n "$2" "$1" | sed 's/^/  | /' >&2
}

# harness_dump_logs [LINES]: tails of every host's logs, on stdout.
harness_dump_logs() {
	local lines=${1:-20} i h f
	[ -n "$HARNESS_RUNDIR" ] || return 0
	for ((i = 1; i <= HARNESS_N; i++)); do
		h=$(_harness_hostdir "$i")
		for f in "$h/init.log" "$h/corosync.out" "$(corosync_log "$i")" "$h/sanlock.log" \
			"$h/libvirtd.log" \
			"$h/bmc-power.log" "$HARNESS_RUNDIR/bmc/n$i/chassis.log" "$(host_log "$i")"; do
			[ -s "$f" ] || continue
			printf '=== node%s: %s\n' "$i" "$f"
			tail -n "$lines" "$f"
		done
	done
}

host_exec() {
	_harness_check_index "${1:-}" || return 1
	local i=$1 pid
	shift
	if [ $# -eq 0 ]; then _harness_err "usage: host_exec i CMD..."; return 1; fi
	if ! host_is_running "$i"; then
		_harness_err "host $i is not running"
		return 1
	fi
	pid=$(host_anchor_pid "$i")
	"$_H_NSENTER" -t "$pid" -n -m -u -- "$@"
}

havm_on() {
	local i=${1:-}
	shift || true
	host_exec "$i" "$HAVM" "$@"
}

host_poweroff() {
	_harness_check_index "${1:-}" || return 1
	local i=$1 ns pids h
	ns=$(host_ns "$i")
	h=$(_harness_hostdir "$i")
	pids=$(_harness_ns_pids "$ns")
	if [ -z "$pids" ]; then
		_harness_info "host $i is already off"
		return 0
	fi
	HARNESS_LAST_POWEROFF_MS=$(harness_now_ms)
	# shellcheck disable=SC2086
	kill -KILL $pids 2>/dev/null || true
	_HARNESS_KILLED=
	# Stragglers (forked between listing and kill) are killed in the loop.
	_harness_kill_ns_procs "$ns" || return 1
	rm -f "$h/anchor.pid" "$h/ack."*
	echo off >"$h/state"
	echo "=== $(date '+%F %T.%3N') host_poweroff $i: killed $(echo "$pids" | tr '\n' ' ')" >>"$h/init.log"
	return 0
}

host_kill_proc() {
	_harness_check_index "${1:-}" || return 1
	local i=$1 name=${2:-} p comm victims="" deadline
	if [ -z "$name" ]; then _harness_err "usage: host_kill_proc i NAME"; return 1; fi
	for p in $(host_pids "$i"); do
		comm=$(cat "/proc/$p/comm" 2>/dev/null) || continue
		[ "$comm" = "$name" ] && victims="$victims $p"
	done
	if [ -z "$victims" ]; then
		_harness_err "no process named '$name' on host $i"
		return 1
	fi
	HARNESS_LAST_KILL_MS=$(harness_now_ms)
	# shellcheck disable=SC2086
	kill -KILL $victims 2>/dev/null || true
	# gone = no longer in the namespace (and reaped by the anchor)
	deadline=$((SECONDS + 10))
	while :; do
		local left=
		for p in $victims; do
			if [ -e "/proc/$p" ]; then left="$left $p"; fi
		done
		[ -z "$left" ] && break
		if [ "$SECONDS" -ge "$deadline" ]; then
			_harness_err "host $i: $name ($left) still present after SIGKILL"
			return 1
		fi
		sleep 0.05
	done
	echo "=== $(date '+%F %T.%3N') host_kill_proc $i $name: killed$victims" >>"$(_harness_hostdir "$i")/init.log"
}

# Send a request to host i's anchor and wait for its answer (exit status).
_host_request() {
	local i=$1 timeout=$2 h id fd deadline rc
	shift 2
	if ! host_is_running "$i"; then
		_harness_err "host $i is not running"
		return 1
	fi
	h=$(_harness_hostdir "$i")
	_HARNESS_REQ_SEQ=$((_HARNESS_REQ_SEQ + 1))
	id=$$.$BASHPID.$_HARNESS_REQ_SEQ
	# read-write open never blocks, even if the anchor died meanwhile
	exec {fd}<>"$h/ctl"
	printf '%s %s\n' "$id" "$*" >&"$fd"
	exec {fd}>&-
	deadline=$((SECONDS + timeout))
	while [ ! -f "$h/ack.$id" ]; do
		if [ "$SECONDS" -ge "$deadline" ] || ! host_is_running "$i"; then
			_harness_err "host $i: no answer to request '$*'"
			return 1
		fi
		sleep 0.05
	done
	rc=$(cat "$h/ack.$id")
	rm -f "$h/ack.$id"
	return "$rc"
}

_host_has_proc() {
	local p
	for p in $(host_pids "$1"); do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = "$2" ] && return 0
	done
	return 1
}

host_start_corosync() {
	_harness_check_index "${1:-}" || return 1
	if _host_has_proc "$1" corosync; then
		_harness_err "host $1: corosync is already running"
		return 1
	fi
	_host_request "$1" $((${HARNESS_COROSYNC_WAIT:-20} + 5)) corosync || {
		_harness_err "host $1: corosync did not come back"
		_harness_tail "$(_harness_hostdir "$1")/init.log" 5
		return 1
	}
}

host_start_havmd() {
	_harness_check_index "${1:-}" || return 1
	if _host_has_proc "$1" havmd; then
		_harness_err "host $1: havmd is already running"
		return 1
	fi
	_host_request "$1" 10 havmd
}

# host_spawn i LOGFILE CMD...: start CMD on host i as a child of its anchor.
host_spawn() {
	_harness_check_index "${1:-}" || return 1
	local i=$1 words
	shift
	if [ $# -lt 2 ]; then _harness_err "usage: host_spawn i LOGFILE CMD..."; return 1; fi
	words=$(printf '%q ' "$@")
	_host_request "$i" 10 spawn "$words"
}

host_isolate() {
	_harness_check_index "${1:-}" || return 1
	_harness_ip -n "$(_harness_hub)" link set "$(_harness_hubif "$1")" down || return 1
	echo "=== $(date '+%F %T.%3N') host_isolate $1" >>"$(_harness_hostdir "$1")/init.log"
}

host_unisolate() {
	_harness_check_index "${1:-}" || return 1
	_harness_ip -n "$(_harness_hub)" link set "$(_harness_hubif "$1")" up || return 1
	echo "=== $(date '+%F %T.%3N') host_unisolate $1" >>"$(_harness_hostdir "$1")/init.log"
}

# --------------------------------------------------------------------------
# sanlock and the shared storage (HARNESS_SANLOCK=1)

# harness_shared_path: the run's shared storage directory. Every host sees
# it at this same absolute path (the run dir is not inside any per-host
# private directory), like a shared disk mounted everywhere.
harness_shared_path() { printf '%s/shared\n' "$HARNESS_RUNDIR"; }

_harness_sanlock_ls() { printf '%s\n' "${HARNESS_SANLOCK_LOCKSPACE:-havm}"; }

# harness_sanlock_lockspace [HOSTID]: sanlock's LOCKSPACE argument for the
# run's lockspace, "havm:HOSTID:<shared>/lockspace:0" (HOSTID 0 if omitted).
harness_sanlock_lockspace() {
	printf '%s:%s:%s/lockspace:0\n' "$(_harness_sanlock_ls)" "${1:-0}" "$(harness_shared_path)"
}

# harness_sanlock_resource NAME SLOT: sanlock's RESOURCE argument for slot
# SLOT (0 .. HARNESS_SANLOCK_SLOTS-1, 1 MiB each) of the shared lease file
# <shared>/leases. Slots start zeroed: `sanlock direct init -r RESOURCE`.
harness_sanlock_resource() {
	local name=${1:-} slot=${2:-} slots=${HARNESS_SANLOCK_SLOTS:-16}
	case $slot in '' | *[!0-9]*)
		_harness_err "usage: harness_sanlock_resource NAME SLOT"
		return 1 ;;
	esac
	if [ -z "$name" ] || [ "$slot" -ge "$slots" ]; then
		_harness_err "harness_sanlock_resource: need a name and a slot 0..$((slots - 1))"
		return 1
	fi
	printf '%s:%s:%s/leases:%s\n' "$(_harness_sanlock_ls)" "$name" "$(harness_shared_path)" \
		"$((slot * _HARNESS_MIB))"
}

sanlock_log() { printf '%s/n%s/sanlock.log\n' "$HARNESS_RUNDIR" "$1"; }

_harness_sanlock_preload() { printf '%s/setrlimit_preload.so\n' "$HARNESS_RUNDIR"; }

_harness_sanlock_tools() {
	[ -n "${_H_SANLOCK:-}" ] && return 0
	_H_SANLOCK=$(_harness_bin sanlock) || { _H_SANLOCK=; return 1; }
}

# The LD_PRELOAD shim goes into the run dir: HARNESS_SANLOCK_PRELOAD if set,
# else the one `make check` built next to this file (unless older than its
# source), else it is compiled now.
_harness_sanlock_build_preload() {
	local dst src=$HARNESS_DIR/setrlimit_preload.c so=$HARNESS_DIR/setrlimit_preload.so cc=${CC:-cc}
	dst=$(_harness_sanlock_preload)
	if [ -n "${HARNESS_SANLOCK_PRELOAD:-}" ]; then
		cp -- "$HARNESS_SANLOCK_PRELOAD" "$dst" || return 1
	elif [ -f "$so" ] && ! [ "$src" -nt "$so" ]; then
		cp -- "$so" "$dst" || return 1
	elif ! "$cc" -shared -fPIC -O2 -Wall -Wextra -o "$dst" "$src" -ldl \
		>"$HARNESS_RUNDIR/preload-build.log" 2>&1; then
		_harness_err "cannot build $src with $cc (see $HARNESS_RUNDIR/preload-build.log); run make check or set HARNESS_SANLOCK_PRELOAD"
		return 1
	fi
}

# Shared storage: the lockspace file (1 MiB, initialised for up to 2000
# host ids) and the lease file (HARNESS_SANLOCK_SLOTS x 1 MiB, zeroed).
_harness_sanlock_setup() {
	local sh slots=${HARNESS_SANLOCK_SLOTS:-16} out
	case $slots in '' | *[!0-9]* | 0)
		_harness_err "HARNESS_SANLOCK_SLOTS must be a positive number"
		return 1 ;;
	esac
	_harness_sanlock_tools || return 1
	_harness_sanlock_build_preload || return 1
	sh=$(harness_shared_path)
	mkdir -p "$sh" || return 1
	dd if=/dev/zero of="$sh/lockspace" bs=1M count=1 status=none || return 1
	dd if=/dev/zero of="$sh/leases" bs=1M count="$slots" status=none || return 1
	# -o: the io_timeout written in the host_id leases. Without it they say
	# 10 (the default) and hosts renew every 20 s whatever the daemon's -o.
	if ! out=$("$_H_SANLOCK" direct init -o "${HARNESS_SANLOCK_IO_TIMEOUT:-2}" \
		-s "$(harness_sanlock_lockspace 0)" 2>&1); then
		_harness_err "sanlock direct init -s $(harness_sanlock_lockspace 0) failed: $out"
		return 1
	fi
}

# host_sanlock i ARGS...: the sanlock command on host i; its client talks to
# host i's daemon (socket in host i's private /run/sanlock).
host_sanlock() {
	local i=${1:-}
	shift || true
	_harness_sanlock_tools || return 1
	host_exec "$i" "$_H_SANLOCK" "$@"
}

# host_sanlock_join i [HOSTID]: host i joins the run's lockspace with host
# id HOSTID (default i) and io_timeout HARNESS_SANLOCK_IO_TIMEOUT (add_lockspace
# -o: the io_timeout is the joining host's, written in its delta lease; the
# daemon has no such option). Blocks until joined.
host_sanlock_join() {
	_harness_check_index "${1:-}" || return 1
	host_sanlock "$1" client add_lockspace -o "${HARNESS_SANLOCK_IO_TIMEOUT:-2}" \
		-s "$(harness_sanlock_lockspace "${2:-$1}")"
}

# sanlock_host_state i HOSTID: how host i's sanlock sees HOSTID's delta lease
# in the run's lockspace (`sanlock client gets -h 1`): LIVE, FAIL, DEAD,
# FREE or UNKNOWN; status 1 and no output if HOSTID is not listed (yet: a
# host lists the others from its first renewal after joining).
sanlock_host_state() {
	local out
	out=$(host_sanlock "$1" client gets -h 1 2>/dev/null) || return 1
	printf '%s\n' "$out" | awk -v ls="$(_harness_sanlock_ls)" -v id="$2" '
		$1 == "s" { split($2, f, ":"); cur = f[1] }
		$1 == "h" && cur == ls && $2 == id { print $NF; found = 1; exit }
		END { exit !found }'
}

# host_start_sanlock i: (re)start sanlock alone on a running host.
host_start_sanlock() {
	_harness_check_index "${1:-}" || return 1
	if [ "${HARNESS_SANLOCK:-0}" != 1 ]; then
		_harness_err "host_start_sanlock: set HARNESS_SANLOCK=1 before harness_init"
		return 1
	fi
	if _host_has_proc "$1" sanlock; then
		_harness_err "host $1: sanlock is already running"
		return 1
	fi
	_host_request "$1" $((${HARNESS_SANLOCK_WAIT:-10} + 5)) sanlock || {
		_harness_err "host $1: sanlock did not come back"
		_harness_tail "$(sanlock_log "$1")" 5
		return 1
	}
}

# --------------------------------------------------------------------------
# libvirt and qemu (HARNESS_LIBVIRT=1)

# harness_vm_dir: where VM disks and domain XMLs live, on the shared storage
# (every host sees them at the same path, as a VM's disk on an NFS export).
harness_vm_dir() { printf '%s/vms\n' "$(harness_shared_path)"; }

# harness_domain_type: the <domain type> this machine can run: kvm if it
# has /dev/kvm, else qemu (TCG, slower but the same to libvirt and sanlock).
harness_domain_type() {
	if [ -c /dev/kvm ]; then echo kvm; else echo qemu; fi
}

libvirtd_log() { printf '%s/n%s/libvirtd.log\n' "$HARNESS_RUNDIR" "$1"; }

# host_libvirt_uri i: host i's libvirtd as another host reaches it (TCP,
# what live migration between hosts uses).
host_libvirt_uri() { printf 'qemu+tcp://%s/system\n' "$(host_addr "$1")"; }

_harness_libvirt_tools() {
	[ -n "${_H_LIBVIRTD:-}" ] && return 0
	local f
	if ! { _H_LIBVIRTD=$(_harness_bin libvirtd) && _H_VIRSH=$(_harness_bin virsh) &&
		_harness_bin qemu-system-x86_64 >/dev/null; }; then
		_H_LIBVIRTD=
		return 1
	fi
	for f in /usr/lib/*/libvirt/lock-driver/sanlock.so /usr/lib*/libvirt/lock-driver/sanlock.so; do
		[ -f "$f" ] && return 0
	done
	_harness_err "libvirt's sanlock lock driver (lock-driver/sanlock.so) is missing: apt-get install libvirt-sanlock"
	_H_LIBVIRTD=
	return 1
}

# libvirtd refuses to start without Debian's libvirt-qemu user (and the kvm
# and libvirt-qemu groups), which only libvirt-daemon-system creates; that
# package also brings systemd units, AppArmor and a default network the
# test bed does not want. The VMs still run as root (qemu.conf).
_harness_libvirt_users() {
	local g
	for g in kvm libvirt-qemu; do
		getent group "$g" >/dev/null && continue
		_harness_info "creating group $g (libvirtd needs it)"
		groupadd -r "$g" 2>/dev/null || getent group "$g" >/dev/null || {
			_harness_err "groupadd $g failed"
			return 1
		}
	done
	getent passwd libvirt-qemu >/dev/null && return 0
	_harness_info "creating user libvirt-qemu (libvirtd needs it)"
	useradd -r -g libvirt-qemu -G kvm -d /var/lib/libvirt -s /usr/sbin/nologin \
		-c "Libvirt Qemu" libvirt-qemu 2>/dev/null || getent passwd libvirt-qemu >/dev/null || {
		_harness_err "useradd libvirt-qemu failed"
		return 1
	}
}

_harness_libvirt_setup() {
	local f
	if [ "${HARNESS_SANLOCK:-0}" != 1 ]; then
		_harness_err "HARNESS_LIBVIRT=1 needs HARNESS_SANLOCK=1 (qemu.conf has lock_manager = \"sanlock\")"
		return 1
	fi
	for f in qemu.conf.snippet qemu-sanlock.conf; do
		if [ ! -f "$HARNESS_REPO/conf/libvirt/$f" ]; then
			_harness_err "missing $HARNESS_REPO/conf/libvirt/$f"
			return 1
		fi
	done
	_harness_libvirt_tools || return 1
	_harness_libvirt_users || return 1
	mkdir -p "$(harness_vm_dir)"
}

# Host i's /etc/libvirt. qemu.conf and qemu-sanlock.conf carry the files
# shipped in conf/libvirt/ unchanged, so what an operator is told to
# install is what the scenarios run with; the other lines are the test
# bed's (root, no confinement, no virtlogd, no TLS).
_harness_libvirt_config() {
	local i=$1 d
	d=$(harness_host_path "$i" /etc/libvirt)
	mkdir -p "$d" || return 1
	{
		echo "# written by tests/cluster/harness.sh for run $HARNESS_RUNID, host $(host_name "$i")"
		echo "# Test bed only: TCP without TLS or authentication, on the test network."
		echo "listen_tls = 0"
		echo "listen_tcp = 1"
		echo "listen_addr = \"$(host_addr "$i")\""
		echo "auth_tcp = \"none\""
		echo "unix_sock_group = \"root\""
		echo "unix_sock_ro_perms = \"0700\""
		echo "unix_sock_rw_perms = \"0700\""
		echo "auth_unix_ro = \"none\""
		echo "auth_unix_rw = \"none\""
		echo "# warnings and errors to stderr, which is n$i/libvirtd.log"
		echo "log_outputs = \"3:stderr\""
	} >"$d/libvirtd.conf" || return 1
	{
		echo "# written by tests/cluster/harness.sh for run $HARNESS_RUNID, host $(host_name "$i")"
		echo "# The test bed's settings first: no AppArmor/SELinux in the sandbox, qemu"
		echo "# as root (so nothing to chown: dynamic_ownership off, which also keeps"
		echo "# libvirt's ownership xattrs off the shared disks, whose staleness check"
		echo "# relies on each host having its own boot time), and qemu's output"
		echo "# straight to files (no virtlogd)."
		echo "security_driver = \"none\""
		echo "user = \"root\""
		echo "group = \"root\""
		echo "dynamic_ownership = 0"
		echo "stdio_handler = \"file\""
		echo
		echo "# conf/libvirt/qemu.conf.snippet, as shipped:"
		cat "$HARNESS_REPO/conf/libvirt/qemu.conf.snippet"
	} >"$d/qemu.conf" || return 1
	cp "$HARNESS_REPO/conf/libvirt/qemu-sanlock.conf" "$d/qemu-sanlock.conf"
}

# host_virsh i ARGS...: virsh on host i, talking to host i's libvirtd.
host_virsh() {
	local i=${1:-}
	shift || true
	_harness_libvirt_tools || return 1
	host_exec "$i" "$_H_VIRSH" -c qemu:///system "$@"
}

# host_start_libvirtd i: (re)start libvirtd alone on a running host (the
# VMs it left running keep running; libvirtd finds them again).
host_start_libvirtd() {
	_harness_check_index "${1:-}" || return 1
	if [ "${HARNESS_LIBVIRT:-0}" != 1 ]; then
		_harness_err "host_start_libvirtd: set HARNESS_LIBVIRT=1 before harness_init"
		return 1
	fi
	if _host_has_proc "$1" libvirtd; then
		_harness_err "host $1: libvirtd is already running"
		return 1
	fi
	_host_request "$1" $((${HARNESS_LIBVIRT_WAIT:-20} + 5)) libvirtd || {
		_harness_err "host $1: libvirtd did not come back"
		_harness_tail "$(libvirtd_log "$1")" 10
		return 1
	}
}

# libvirt_warm i [j ...]: the probe of qemu's capabilities that libvirtd
# makes before its first domain (about 4 s here), done now on host i
# (`virsh domcapabilities`; its time in HARNESS_LIBVIRT_WARM_MS) instead of
# inside a timed domain start. Hosts j ... get host i's result in their
# /var/cache/libvirt (same machine, same qemu: libvirtd checks that and
# probes again itself if anything differs) and load it at once.
HARNESS_LIBVIRT_WARM_MS=0
libvirt_warm() {
	local i=${1:-} j t0 src dst
	_harness_check_index "$i" || return 1
	shift
	t0=$(harness_now_ms)
	host_virsh "$i" domcapabilities >/dev/null || {
		_harness_err "host $i: virsh domcapabilities failed"
		return 1
	}
	HARNESS_LIBVIRT_WARM_MS=$(($(harness_now_ms) - t0))
	src=$(harness_host_path "$i" /var/cache/libvirt/qemu/capabilities)
	for j in "$@"; do
		_harness_check_index "$j" || return 1
		dst=$(harness_host_path "$j" /var/cache/libvirt/qemu/capabilities)
		mkdir -p "$dst" && cp -p "$src"/*.xml "$dst"/ || return 1
		host_virsh "$j" domcapabilities >/dev/null || {
			_harness_err "host $j: virsh domcapabilities failed"
			return 1
		}
	done
}

# --------------------------------------------------------------------------
# Simulated BMCs (HARNESS_BMC=1)

host_bmc_addr() { printf '%s.%s\n' "$HARNESS_NET_PREFIX" "$((100 + $1))"; }
host_bmc_port() { echo 623; }
host_bmc_user() { echo admin; }
_harness_bmcdir() { printf '%s/bmc/n%s\n' "$HARNESS_RUNDIR" "$1"; }
host_bmc_password_file() { printf '%s/password\n' "$(_harness_bmcdir "$1")"; }
host_bmc_password() { cat "$(host_bmc_password_file "$1")"; }
host_bmc_power_log() { printf '%s/bmc-power.log\n' "$(_harness_hostdir "$1")"; }
bmc_log() { printf '%s/chassis.log\n' "$(_harness_bmcdir "$1")"; }

_harness_bmc_tools() {
	[ -n "${_H_IPMISIM:-}" ] && return 0
	_H_IPMISIM=$(_harness_bin ipmi_sim) || { _H_IPMISIM=; return 1; }
}

_harness_hex() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }

# Per host: an address on the hub's bridge, a password, lan.conf and the
# emulator commands from tests/cluster/bmc/, a state dir; then the BMC runs.
_harness_bmc_setup() {
	local i d hub br=${HARNESS_RUNID}br pw p
	_harness_bmc_tools || return 1
	# ipmi_sim runs chassis_control through sh -c, unquoted
	for p in "$HARNESS_DIR" "$HARNESS_RUNDIR" "$_H_BASH"; do
		case $p in *[!A-Za-z0-9_./+-]*)
			_harness_err "HARNESS_BMC=1: path '$p' has characters ipmi_sim's chassis_control cannot take"
			return 1 ;;
		esac
	done
	hub=$(_harness_hub)
	for ((i = 1; i <= HARNESS_N; i++)); do
		d=$(_harness_bmcdir "$i")
		mkdir -p "$d/state" || return 1
		_harness_ip -n "$hub" addr add "$(host_bmc_addr "$i")/24" dev "$br" || return 1
		pw=$(_harness_hex 8) # 16 characters: IPMI 1.5 passwords have at most 16
		[ "${#pw}" = 16 ] || { _harness_err "cannot make a BMC password"; return 1; }
		(
			umask 077
			printf '%s\n' "$pw" >"$d/password"
			sed -e "s|@NAME@|bmc-$HARNESS_RUNID-n$i|" \
				-e "s|@ADDR@|$(host_bmc_addr "$i")|" \
				-e "s|@PORT@|$(host_bmc_port "$i")|" \
				-e "s|@GUID@|$(_harness_hex 16)|" \
				-e "s|@CHASSIS@|$_H_BASH $HARNESS_DIR/bmc/chassis-control.sh|" \
				-e "s|@USER@|$(host_bmc_user "$i")|" \
				-e "s|@PASSWORD@|$pw|" \
				"$HARNESS_DIR/bmc/lan.conf.in" >"$d/lan.conf"
		) || return 1
		cp "$HARNESS_DIR/bmc/emu.cmd" "$d/emu.cmd" || return 1
		bmc_start "$i" || return 1
	done
}

# bmc_pid i: pid of host i's ipmi_sim (status 1 if it is not running).
bmc_pid() {
	local p d
	d=$(_harness_bmcdir "$1")
	for p in $(_harness_ns_pids "$(_harness_hub)"); do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = ipmi_sim ] || continue
		case " $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)" in
		*" -c $d/lan.conf "*) printf '%s\n' "$p"; return 0 ;;
		esac
	done
	return 1
}

bmc_is_running() { bmc_pid "$1" >/dev/null; }

# Host i's ipmi_sim has its UDP port bound (read from its own netns' table).
_bmc_listening() {
	local pid want a b c d
	pid=$(bmc_pid "$1") || return 1
	IFS=. read -r a b c d <<<"$(host_bmc_addr "$1")"
	want=$(printf '%02X%02X%02X%02X:%04X' "$d" "$c" "$b" "$a" "$(host_bmc_port "$1")")
	awk -v w="$want" '$2 == w { found = 1 } END { exit !found }' "/proc/$pid/net/udp" 2>/dev/null
}

# bmc_start i: start host i's BMC (ipmi_sim in the hub namespace, detached)
# and wait until it listens.
bmc_start() {
	_harness_check_index "${1:-}" || return 1
	local i=$1 d deadline
	d=$(_harness_bmcdir "$i")
	if [ ! -f "$d/lan.conf" ]; then
		_harness_err "host $i has no BMC (set HARNESS_BMC=1 before harness_init)"
		return 1
	fi
	_harness_bmc_tools || return 1
	if bmc_is_running "$i"; then
		_harness_err "BMC of host $i is already running"
		return 1
	fi
	echo "=== $(date '+%F %T.%3N') bmc_start $i" >>"$d/ipmi_sim.log"
	# Clean environment; HV_BMC_* tell chassis-control.sh whose BMC it is.
	# (A lone command, not a list: the subshell must not stay around waiting
	# for it, or it would report "Killed" on our stderr at bmc_stop.)
	(
		"$_H_ENV" -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
			HOME=/root LANG=C.UTF-8 HV_BMC_RUNDIR="$HARNESS_RUNDIR" \
			HV_BMC_RUNID="$HARNESS_RUNID" HV_BMC_HOST="$i" \
			"$_H_SETSID" "$_H_IP" netns exec "$(_harness_hub)" \
			"$_H_IPMISIM" -n -c "$d/lan.conf" -f "$d/emu.cmd" -s "$d/state" \
			</dev/null >>"$d/ipmi_sim.log" 2>&1 {_HARNESS_ERRFD}>&- &
	)
	deadline=$((SECONDS + 10))
	until _bmc_listening "$i"; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			_harness_err "BMC of host $i does not listen on $(host_bmc_addr "$i"):$(host_bmc_port "$i")"
			_harness_tail "$d/ipmi_sim.log" 10
			return 1
		fi
		sleep 0.05
	done
}

# bmc_stop i: SIGKILL host i's ipmi_sim (the BMC becomes unreachable; the
# host itself is untouched).
bmc_stop() {
	_harness_check_index "${1:-}" || return 1
	local i=$1 pid deadline
	pid=$(bmc_pid "$i") || {
		_harness_err "BMC of host $i is not running"
		return 1
	}
	kill -KILL "$pid" 2>/dev/null || true
	deadline=$((SECONDS + 10))
	while bmc_is_running "$i"; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			_harness_err "BMC of host $i (pid $pid) still running after SIGKILL"
			return 1
		fi
		sleep 0.05
	done
	echo "=== $(date '+%F %T.%3N') bmc_stop $i: killed $pid" >>"$(_harness_bmcdir "$i")/ipmi_sim.log"
}

_harness_ipmitool_args() {
	printf '%s\n' -I lanplus -C 3 -H "$(host_bmc_addr "$1")" -p "$(host_bmc_port "$1")" \
		-U "$(host_bmc_user "$1")" -f "$(host_bmc_password_file "$1")"
}

# host_ipmitool i j ARGS...: ipmitool on host i talking to host j's BMC
# (lanplus, cipher suite 3), e.g. host_ipmitool 1 2 chassis power status.
host_ipmitool() {
	local i=${1:-} j=${2:-}
	_harness_check_index "$j" || return 1
	shift 2
	local -a a
	mapfile -t a < <(_harness_ipmitool_args "$j")
	host_exec "$i" ipmitool "${a[@]}" "$@"
}

# bmc_ipmitool j ARGS...: the same from the hub namespace (an operator's
# console that is not one of the hosts; works with every host off).
bmc_ipmitool() {
	local j=${1:-}
	_harness_check_index "$j" || return 1
	shift
	local -a a
	mapfile -t a < <(_harness_ipmitool_args "$j")
	"$_H_IP" netns exec "$(_harness_hub)" ipmitool "${a[@]}" "$@"
}

# The harness variables a later host boot depends on, for the BMC's
# chassis-control.sh (rewritten at harness_init and at each host start).
_harness_write_boot_env() {
	local v f=$HARNESS_RUNDIR/boot.env
	{
		for v in HAVMD HAVM HAVM_HARNESS_NO_HAVMD HARNESS_EXTRA_BIND_DIRS HARNESS_HOST_ENV \
			HARNESS_COROSYNC_WAIT HARNESS_START_TIMEOUT HARNESS_SANLOCK HARNESS_SANLOCK_IO_TIMEOUT \
			HARNESS_SANLOCK_WAIT HARNESS_SANLOCK_LOCKSPACE HARNESS_SANLOCK_SLOTS HARNESS_BMC \
			HARNESS_LIBVIRT HARNESS_LIBVIRT_WAIT \
			${HARNESS_HOST_ENV:-ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS TSAN_OPTIONS}; do
			if [ -n "${!v+set}" ]; then printf 'export %s=%q\n' "$v" "${!v}"; fi
		done
	} >"$f.tmp" && mv -f "$f.tmp" "$f"
}

# --------------------------------------------------------------------------
# Polling

# wait_until SECONDS CMD...: run CMD (output discarded) every 0.2 s until it
# succeeds. Returns 0 on success (HARNESS_WAITED_MS = time spent), 1 on
# timeout after printing a message and CMD's last output on stderr.
# CMD may be a shell function; note bash ignores set -e inside it here, so
# such a function must return its status explicitly.
wait_until() {
	local timeout=${1:-} start now limit_ms
	shift || true
	if [ -z "$timeout" ] || [ $# -eq 0 ]; then
		_harness_err "usage: wait_until TIMEOUT_SECONDS CMD..."
		return 2
	fi
	limit_ms=$(awk -v t="$timeout" 'BEGIN { printf "%d", t * 1000 }')
	start=$(harness_now_ms)
	while :; do
		if "$@" >/dev/null 2>&1; then
			now=$(harness_now_ms)
			HARNESS_WAITED_MS=$((now - start))
			return 0
		fi
		now=$(harness_now_ms)
		if [ $((now - start)) -ge "$limit_ms" ]; then
			HARNESS_WAITED_MS=$((now - start))
			_harness_err "wait_until: timed out after ${timeout}s waiting for: $*"
			{ "$@" 2>&1 || true; } | tail -n 20 | sed 's/^/  | /' >&2
			return 1
		fi
		sleep 0.2
	done
}

# --------------------------------------------------------------------------
# corosync views and reporting

# corosync_nodes i: the "Nodes:" count of corosync-quorumtool -s on host i
# (empty output and status 1 if corosync does not answer).
corosync_nodes() {
	local out n
	out=$(host_exec "$1" corosync-quorumtool -s 2>/dev/null) || true
	n=$(printf '%s\n' "$out" | awk '/^Nodes:/ { print $2 }')
	[ -n "$n" ] || return 1
	printf '%s\n' "$n"
}

# corosync_quorate i: status 0 if host i's corosync says "Quorate: Yes".
corosync_quorate() {
	local out
	out=$(host_exec "$1" corosync-quorumtool -s 2>/dev/null) || true
	[ "$(printf '%s\n' "$out" | awk '/^Quorate:/ { print $2 }')" = Yes ]
}

# corosync_sees i N: host i's corosync has N members and is quorate.
corosync_sees() {
	local n
	n=$(corosync_nodes "$1") || return 1
	[ "$n" = "$2" ] || return 1
	corosync_quorate "$1"
}

harness_pass() { printf 'PASS: %s\n' "$*"; }

# harness_fail MSG: print FAIL (and log tails, via the exit trap) and exit 1.
harness_fail() {
	printf 'FAIL: %s\n' "$*"
	exit 1
}

# Run directly: `tests/cluster/harness.sh sweep` removes runs left behind by
# a scenario that was SIGKILLed (its trap could not run).
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -euo pipefail
	case ${1:-} in
	sweep) harness_sweep_stale ;;
	*) echo "usage: $0 sweep   (this file is a library: source it from a scenario)" >&2; exit 2 ;;
	esac
fi
