# shellcheck shell=bash
# checks.sh -- what scenarios assert about havm, read from `havm status --json`
# on a host (jq does the reading). Sourcing it sources harness.sh too. Every
# function returns its status explicitly: wait_until runs them with set -e
# ignored.

# shellcheck source-path=SCRIPTDIR source=harness.sh
[ -n "${HARNESS_DIR:-}" ] || . "$(dirname "${BASH_SOURCE[0]}")/harness.sh"

# status_json i: host i's status as JSON (fails if havm fails).
status_json() { havm_on "$1" status --json; }

# jq_on i FILTER: FILTER applied to host i's status; prints the result.
jq_on() {
	local out
	out=$(status_json "$1") || return 1
	printf '%s\n' "$out" | jq -r "$2"
}

# sees_online i N: host i is quorate and shows exactly N hosts online.
sees_online() {
	local n
	n=$(jq_on "$1" '[.hosts[] | select(.online)] | length') || return 1
	[ "$n" = "$2" ] || return 1
	[ "$(jq_on "$1" .quorate)" = true ]
}

# coordinator_of i: the coordinator's node id as host i sees it ("null" if none).
coordinator_of() { jq_on "$1" .coordinator; }

# host_state_on i j: how host i sees host j ("online", "offline", "no-havmd").
host_state_on() { jq_on "$1" ".hosts[] | select(.nodeid == $2) | .state"; }

# all_agree_online N COORD HOST...: every HOST sees N online, quorum and
# coordinator COORD.
all_agree_online() {
	local n=$1 coord=$2 i
	shift 2
	for i in "$@"; do
		sees_online "$i" "$n" || return 1
		[ "$(coordinator_of "$i")" = "$coord" ] || return 1
	done
	return 0
}

# all_see_state STATE J HOST...: every HOST shows host J in STATE.
all_see_state() {
	local state=$1 j=$2 i
	shift 2
	for i in "$@"; do
		[ "$(host_state_on "$i" "$j")" = "$state" ] || return 1
	done
	return 0
}

# log_has i PATTERN: host i's havmd log matches the extended regex PATTERN.
log_has() { grep -Eq -- "$2" "$(host_log "$1")"; }

# host_procs i NAME: pids of the processes named NAME on host i. (pgrep
# inside a host would see every host's processes: the hosts share the pid
# namespace, so a host's processes are those in its network namespace.)
host_procs() {
	local p
	for p in $(host_pids "$1"); do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = "$2" ] && printf '%s\n' "$p"
	done
	return 0
}

# havmd_alive i: host i's havmd process exists.
havmd_alive() { [ -n "$(host_procs "$1" havmd)" ]; }

# host_signal i SIG NAME: send SIG to the processes named NAME on host i.
host_signal() {
	local pids
	pids=$(host_procs "$1" "$3")
	[ -n "$pids" ] || return 1
	# shellcheck disable=SC2086
	kill "-$2" $pids
}

# start_cluster N: start hosts 1..N and wait until all agree on N online
# with coordinator 1; fails the scenario otherwise.
start_cluster() {
	local n=$1 hosts=() i
	for ((i = 1; i <= n; i++)); do hosts+=("$i"); done
	host_start "${hosts[@]}" || harness_fail "starting hosts ${hosts[*]}"
	wait_until "${CLUSTER_FORM_TIMEOUT:-40}" all_agree_online "$n" 1 "${hosts[@]}" ||
		harness_fail "cluster of $n did not form: every host online, quorate, coordinator 1"
}

# scenario_cluster N: the usual opening of a scenario: root check, N hosts
# set up, started, and the cluster formed.
scenario_cluster() {
	harness_require_root
	harness_init "$1"
	start_cluster "$1"
}

# --- fencing configurations ----------------------------------------------

# bmc_device j [NAME [PASSWORD_FILE]]: an ipmi device for host j's BMC.
bmc_device() {
	local j=$1 name=${2:-node$1-bmc} pw=${3:-$(host_bmc_password_file "$1")}
	printf '{ name = "%s"; type = "ipmi"; address = "%s"; port = %s; user = "%s"; password_file = "%s"; cipher_suite = 3; }' \
		"$name" "$(host_bmc_addr "$j")" "$(host_bmc_port "$j")" "$(host_bmc_user "$j")" "$pw"
}

# write_fence_conf i: host i's havm.conf with fence levels for every host.
# FENCE_LEVELS_<j> overrides host j's levels (a libconfig list of levels;
# default: one level, its BMC). FENCE_HOST_EXTRA_<j> adds settings to host
# j's entry (say "fence_delay_ms = 3000;"). FENCE_STORAGE=1 adds the storage group;
# FENCE_STORAGE_EXTRA is put inside it (say, "tiebreaker = true;").
# FENCE_TIMEOUT_MS sets fencing.timeout_ms (default 10000). FENCE_EXTRA is
# appended verbatim (say, a fencing group).
write_fence_conf() {
	local i=$1 j var levels
	{
		printf 'cluster: { name = "%s"; };\nhosts = (\n' "${HARNESS_CLUSTER:-testclu}"
		for ((j = 1; j <= HARNESS_N; j++)); do
			var=FENCE_LEVELS_$j
			levels=${!var:-( $(bmc_device "$j") )}
			var=FENCE_HOST_EXTRA_$j
			printf '  { name = "node%s"; nodeid = %s; fence = ( %s ); %s }%s\n' "$j" "$j" \
				"$levels" "${!var:-}" "$([ "$j" -lt "$HARNESS_N" ] && echo ,)"
		done
		printf ');\ntimers: { reconnect_ms = 1000; };\nlog: { debug = true; };\n'
		printf 'fencing: { timeout_ms = %s; retry_ms = 2000; retry_max_ms = 10000; };\n' \
			"${FENCE_TIMEOUT_MS:-10000}"
		if [ "${FENCE_STORAGE:-0}" = 1 ]; then
			printf 'storage: { path = "%s/havm.leases"; io_timeout = %s; %s };\n' \
				"$(harness_shared_path)" "${HARNESS_SANLOCK_IO_TIMEOUT:-2}" \
				"${FENCE_STORAGE_EXTRA:-}"
		fi
		printf '%s\n' "${FENCE_EXTRA:-}"
	} >"$(harness_host_path "$i" /etc/havm/havm.conf)"
}

# bmc_power_offs j: how many power offs host j's BMC has carried out (its
# own record, tests/cluster/bmc/chassis-control.sh): the evidence for "never
# fenced" and "fenced exactly once".
bmc_power_offs() {
	local f
	f=$(host_bmc_power_log "$1")
	if [ -f "$f" ]; then grep -c ' power-off' "$f" || true; else echo 0; fi
}

# host_incarnation i: the incarnation of host i's havmd now (its state
# directory's record; daemon/incarnation.h).
host_incarnation() { cat "$(harness_host_path "$1" /var/lib/havm/incarnation)"; }

# fence_history i: host i's fence history (empty if none yet).
fence_history() { host_exec "$1" cat /var/lib/havm/fence-history 2>/dev/null || true; }

# history_has i PATTERN: host i's fence history matches the extended regex.
history_has() { fence_history "$1" | grep -Eq -- "$2"; }

# all_heartbeats_live N HOST...: every HOST sees N live storage heartbeats.
all_heartbeats_live() {
	local n=$1 i
	shift
	for i in "$@"; do
		[ "$(jq_on "$i" '[.hosts[] | select(.heartbeat == "live")] | length')" = "$n" ] ||
			return 1
	done
	return 0
}

# storage_cluster N: the opening of a storage scenario (HARNESS_SANLOCK=1
# and a havm.conf with the storage group at <shared>/havm.leases): a blank
# storage file, N hosts started, `havm storage init` on host 1, and every
# host seeing N live heartbeats.
storage_cluster() {
	local n=$1 hosts=() i
	for ((i = 1; i <= n; i++)); do hosts+=("$i"); done
	harness_require_root
	harness_init "$n"
	touch "$(harness_shared_path)/havm.leases" # the LUN exists, blank
	start_cluster "$n"
	havm_on 1 storage init >/dev/null || harness_fail "havm storage init failed"
	wait_until 90 all_heartbeats_live "$n" "${hosts[@]}" ||
		harness_fail "storage not joined with $n live heartbeats on every host"
}

# --- VMs (HARNESS_LIBVIRT=1) -----------------------------------------------
# shellcheck source-path=SCRIPTDIR source=vm.sh
. "$HARNESS_DIR/vm.sh"

# Where VMs run is read from the processes, not from libvirt: every qemu of
# this run is in one host's network namespace (the hosts share the pid
# namespace), and libvirt names the guest in qemu's command line
# (-name guest=NAME,...). A qemu of another run or of the machine is in no
# host's namespace and is not counted.
#
# A qemu process is not yet a running VM: libvirt starts every qemu with its
# vCPUs stopped (-S) and only lets them run once the domain's lease is
# acquired, so a start that sanlock refuses leaves a paused qemu on that
# host for up to a second or two before libvirt kills it; the destination
# of a live migration is paused too until the source has stopped. So a VM
# runs where a vCPU thread of its qemu ("CPU n/KVM", named by libvirt's
# debug-threads=on) is running guest code, as the kernel shows it, with no
# lag: the thread is in ioctl(KVM_RUN) (/proc/PID/task/TID/syscall "16 FD
# 0xae80 ...": a halted idle guest sleeps there), or it is on a CPU
# ("running": a busy guest) having used more than VM_VCPU_RAN_NS (20 ms)
# of CPU (/proc/PID/task/TID/schedstat). A vCPU stopped by libvirt waits in
# futex(2); one that never ran guest code has used 0.5-2.5 ms setting
# itself up (measured here), and may be seen on a CPU doing so or dying, so
# the threshold; ten ms of a freshly resumed guest used about 18. A qemu
# that has no such thread yet (starting) or any more (exiting) does not
# run; one whose command line lacks debug-threads=on counts as running
# (nothing to go by: never hide a double). Caveats: a guest just resumed runs its firmware,
# with many exits to qemu, for its first ~0.1 s and may read paused then
# (poll: wait_until 5 vm_runs_on NAME HOSTS); a vCPU of a guest doing I/O may be
# in userspace for a moment (read as paused in that one sample); under TCG
# (no /dev/kvm) a halted vCPU waits in futex, so an idle (cli; hlt) guest
# reads as paused there: use busy guests then.

# _vm_scan: every qemu of this run now, into _VM_PIDS, _VM_HOSTS, _VM_NAMES
# and _VM_RUNS (1 = a vCPU runs, 0 = paused). Builtins only in the loops
# (read, mapfile, test -ef; no $(...)): the sampler runs this every
# VM_SAMPLE_MS on a busy 2-core machine.
_vm_scan() {
	local p c i k host name t sc req ns runs cpus
	local -a argv
	_VM_PIDS=() _VM_HOSTS=() _VM_NAMES=() _VM_RUNS=()
	_VM_DEBUG=
	for p in /proc/[0-9]*; do
		read -r c 2>/dev/null <"$p/comm" || continue
		case $c in qemu-system-*) ;; *) continue ;; esac
		host=
		for ((i = 1; i <= HARNESS_N; i++)); do
			if [ "$p/ns/net" -ef "/run/netns/$HARNESS_RUNID-n$i" ]; then host=$i; break; fi
		done
		[ -n "$host" ] || continue
		mapfile -d '' -t argv 2>/dev/null <"$p/cmdline" || continue
		name=
		for ((k = 0; k + 1 < ${#argv[@]}; k++)); do
			if [ "${argv[k]}" = -name ]; then
				name=${argv[k + 1]}
				break
			fi
		done
		case $name in guest=*) name=${name#guest=}; name=${name%%,*} ;; esac
		[ -n "$name" ] || continue # exiting (empty cmdline) or not a libvirt guest
		runs=0 cpus=0
		for t in "$p"/task/*; do
			read -r c 2>/dev/null <"$t/comm" || continue
			case $c in "CPU "*/*) ;; *) continue ;; esac
			# a thread that cannot be read has just exited
			read -r ns _ 2>/dev/null <"$t/schedstat" || continue
			read -r sc _ req _ 2>/dev/null <"$t/syscall" || continue
			cpus=$((cpus + 1))
			[ -z "${VM_SAMPLE_DEBUG:-}" ] || _VM_DEBUG="$_VM_DEBUG ${p#/proc/}/${t##*/}:$ns:$sc:$req"
			if [ "$sc" = 16 ] && [ "$req" = 0xae80 ]; then runs=1; break; fi
			case $ns in '' | *[!0-9]*) continue ;; esac
			if [ "$sc" = running ] && [ "$ns" -gt "${VM_VCPU_RAN_NS:-20000000}" ]; then
				runs=1
				break
			fi
		done
		if [ "$cpus" = 0 ]; then
			# No vCPU thread: guest code runs in no other thread, so
			# with debug-threads=on (libvirt's) the qemu is still
			# setting up or exiting; without it the threads have no
			# names to go by and it counts as running. An exiting one
			# (memory, so command line, gone) does not count at all.
			case ${argv[k + 1]:-} in *debug-threads=on*) runs=0 ;; *) runs=1 ;; esac
			mapfile -d '' -t argv 2>/dev/null <"$p/cmdline" || continue
			[ "${#argv[@]}" -gt 0 ] || continue
		fi
		_VM_PIDS+=("${p#/proc/}") _VM_HOSTS+=("$host") _VM_NAMES+=("$name") _VM_RUNS+=("$runs")
	done
}

# _vm_runs_of PID: _VM_RUN=1 when a vCPU thread of qemu PID runs guest
# code now, as _vm_scan reads it; else 0.
_vm_runs_of() {
	local t c ns sc req
	_VM_RUN=0
	for t in /proc/"$1"/task/*; do
		read -r c 2>/dev/null <"$t/comm" || continue
		case $c in "CPU "*/*) ;; *) continue ;; esac
		read -r ns _ 2>/dev/null <"$t/schedstat" || continue
		read -r sc _ req _ 2>/dev/null <"$t/syscall" || continue
		if [ "$sc" = 16 ] && [ "$req" = 0xae80 ]; then _VM_RUN=1; return; fi
		case $ns in '' | *[!0-9]*) continue ;; esac
		if [ "$sc" = running ] && [ "$ns" -gt "${VM_VCPU_RAN_NS:-20000000}" ]; then
			_VM_RUN=1
			return
		fi
	done
}

# _vm_recheck_doubles: a scan reads the qemus one after the other, in
# /proc's order. A live migration's switch-over (the source stops, then the
# destination runs) can fall between the reads of its two qemus, the
# source's read first, and show the VM running on both. So a VM a scan
# found running on two hosts is read again, the later-read qemu first:
# a switch-over shows one of them stopped then; a real double runs on in
# both orders and stands.
_vm_recheck_doubles() {
	local i j
	for ((i = 0; i < ${#_VM_PIDS[@]}; i++)); do
		[ "${_VM_RUNS[i]}" = 1 ] || continue
		for ((j = i + 1; j < ${#_VM_PIDS[@]}; j++)); do
			[ "${_VM_RUNS[j]}" = 1 ] && [ "${_VM_NAMES[j]}" = "${_VM_NAMES[i]}" ] &&
				[ "${_VM_HOSTS[j]}" != "${_VM_HOSTS[i]}" ] || continue
			_vm_runs_of "${_VM_PIDS[j]}"
			_VM_RUNS[j]=$_VM_RUN
			_vm_runs_of "${_VM_PIDS[i]}"
			_VM_RUNS[i]=$_VM_RUN
		done
	done
}

# vm_sample: one sample of every qemu of this run, on one line:
#   EPOCH_MS NAME@HOST NAME@HOST:paused ...
# NAME@HOST: VM NAME runs on host HOST; NAME@HOST:paused: a qemu for NAME
# is there but its vCPUs do not run (see above).
# VM_SAMPLE_DEBUG=1 appends " # PID/TID:RUN_NS:SYSCALL:ARG2 ..." for each
# vCPU thread read (assert_never_two stops reading a line at the #).
vm_sample() {
	local k line=$EPOCHREALTIME
	line=$((${line%.*} * 1000 + 10#${line#*.} / 1000)) # harness_now_ms, without a fork
	_vm_scan
	_vm_recheck_doubles
	for ((k = 0; k < ${#_VM_PIDS[@]}; k++)); do
		line="$line ${_VM_NAMES[k]}@${_VM_HOSTS[k]}"
		[ "${_VM_RUNS[k]}" = 1 ] || line="$line:paused"
	done
	printf '%s%s\n' "$line" "${_VM_DEBUG:+ #$_VM_DEBUG}"
}

# vm_hosts NAME: the hosts (indexes, ascending, space-separated) where VM
# NAME runs now; empty if none. vm_qemu_hosts NAME: where a qemu for NAME
# exists, running or paused.
vm_hosts() { _vm_hosts "$1" 1; }
vm_qemu_hosts() { _vm_hosts "$1" 0; }
_vm_hosts() {
	local k out=
	_vm_scan
	for ((k = 0; k < ${#_VM_PIDS[@]}; k++)); do
		[ "${_VM_NAMES[k]}" = "$1" ] || continue
		[ "$2" = 0 ] || [ "${_VM_RUNS[k]}" = 1 ] || continue
		out="$out ${_VM_HOSTS[k]}"
	done
	# shellcheck disable=SC2086
	[ -z "$out" ] || printf '%s\n' $out | sort -nu | tr '\n' ' ' | sed 's/ $//'
	echo
}

# vm_runs_on NAME "HOSTS": VM NAME runs on exactly HOSTS (e.g. "2", "1 3",
# "" for nowhere), for wait_until.
vm_runs_on() { [ "$(vm_hosts "$1")" = "${2:-}" ]; }

# vm_pid i NAME: the pid of the qemu for VM NAME on host i (status 1 if
# there is none).
vm_pid() {
	local k found=1
	_vm_scan
	for ((k = 0; k < ${#_VM_PIDS[@]}; k++)); do
		if [ "${_VM_HOSTS[k]}" = "$1" ] && [ "${_VM_NAMES[k]}" = "$2" ]; then
			printf '%s\n' "${_VM_PIDS[k]}"
			found=0
		fi
	done
	return "$found"
}

# vm_sampler_start FILE: sample every VM_SAMPLE_MS (200) ms into FILE, in
# the background, until vm_sampler_stop (or harness_cleanup, or the
# scenario's death: the loop checks that its owner still runs).
VM_SAMPLER_PID=
vm_sampler_start() {
	local f=${1:-} owner=$$ ms=${VM_SAMPLE_MS:-200}
	if [ -z "$f" ]; then _harness_err "usage: vm_sampler_start FILE"; return 1; fi
	if [ -n "$VM_SAMPLER_PID" ]; then _harness_err "a sampler already runs (pid $VM_SAMPLER_PID)"; return 1; fi
	: >"$f" || return 1
	(
		trap 'exit 0' TERM
		interval=$(awk -v m="$ms" 'BEGIN { printf "%.3f", m / 1000 }')
		while kill -0 "$owner" 2>/dev/null; do
			vm_sample >>"$f"
			sleep "$interval"
		done
	) </dev/null {_HARNESS_ERRFD}>&- &
	VM_SAMPLER_PID=$!
	harness_bg_track "$VM_SAMPLER_PID"
	VM_SAMPLER_FILE=$f
}

# vm_sampler_stop: stop the sampler after one last sample.
vm_sampler_stop() {
	[ -n "$VM_SAMPLER_PID" ] || return 0
	kill -TERM "$VM_SAMPLER_PID" 2>/dev/null || true
	wait "$VM_SAMPLER_PID" 2>/dev/null || true
	vm_sample >>"$VM_SAMPLER_FILE"
	VM_SAMPLER_PID=
}

# assert_never_two FILE: status 0 if no sample of FILE shows a VM running
# on two hosts at once; prints one line saying so (samples, span, and how
# often a paused qemu stood beside a running one: refused starts,
# migrations), or, on failure, each offending sample's time and the VM's
# hosts. With ASSERT_STRICT=1 a paused qemu counts as running. A file
# without samples fails too: it proves nothing.
assert_never_two() {
	local f=${1:-}
	if [ ! -r "$f" ]; then echo "no sample file '$f'"; return 1; fi
	awk -v strict="${ASSERT_STRICT:-0}" '
		function clock(ms,   s) {
			s = int(ms / 1000)
			return sprintf("%s.%03d", strftime("%H:%M:%S", s), ms % 1000)
		}
		NF >= 1 && $1 ~ /^[0-9]+$/ {
			n++
			if (n == 1) first = $1
			last = $1
			delete seen
			delete where
			delete pz
			for (f = 2; f <= NF; f++) {
				tok = $f
				if (tok ~ /^#/) break # VM_SAMPLE_DEBUG detail
				paused = sub(/:paused$/, "", tok)
				k = split(tok, a, "@")
				vm = substr(tok, 1, length(tok) - length(a[k]) - 1)
				h = a[k]
				if (paused) pz[vm]++
				if (paused && !strict) continue
				if ((vm, h) in seen) continue
				seen[vm, h] = 1
				if (vm in where) where[vm] = where[vm] " " h
				else where[vm] = h
			}
			for (vm in where) {
				if (split(where[vm], hs, " ") > 1) {
					bad++
					if (bad <= 10)
						printf "VM %s on hosts %s at %s (%s ms, sample %d)\n", vm, where[vm], clock($1), $1, n
				} else if (vm in pz)
					beside++
			}
		}
		END {
			if (n == 0) { print "no samples"; exit 1 }
			if (bad) { printf "%d time(s) a VM was on two hosts at once, in %d samples\n", bad, n; exit 1 }
			printf "%d samples over %.1f s, never a VM on two hosts at once", n, (last - first) / 1000
			if (beside) printf " (a paused qemu beside the running one in %d)", beside
			printf "\n"
		}' "$f"
}

# --- VM high availability (the vms group; HARNESS_LIBVIRT=1) ---------------
# `havm vm list --json` on host i, and what scenarios read from it.
vms_json() { havm_on "$1" vm list --json; }
# count_status i STATUS: how many VMs host i lists with STATUS.
count_status() { vms_json "$1" | jq "[.vms[] | select(.status == \"$2\")] | length"; }
# ready_hosts i: how many hosts take VMs now, as host i sees it.
ready_hosts() { vms_json "$1" | jq '[.hosts[] | select(.eligible)] | length'; }
# vm_field i NAME FIELD / host_field i HOST FIELD: one field of the document.
vm_field() { vms_json "$1" | jq -r ".vms[] | select(.name == \"$2\") | .$3"; }
host_field() { vms_json "$1" | jq -r ".hosts[] | select(.name == \"$2\") | .$3"; }
# brief i: the VMs in one line (for failure messages).
brief() { vms_json "$1" | jq -c '[.vms[] | {name, status, host, reason}]'; }
# out_is WANT CMD...: CMD prints WANT. For wait_until, which runs CMD anew
# each time: a $(...) among its arguments would be read only once.
out_is() { local out; out=$("${@:2}" 2>/dev/null) && [ "$out" = "$1" ]; }
