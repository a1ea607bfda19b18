#!/bin/bash
# failover.sh -- benchmark: how long from a host's power loss until every
# protected VM it ran runs again on the other hosts, with havm and, on the
# same bed, with Pacemaker (resource-agents' VirtualDomain, fence-agents'
# fence_ipmilan). Not a test: it asserts nothing about speed (this machine
# has 2 cores and is shared); it prints numbers: per run, min/median/max,
# and a "BENCH {json}" line per measurement.
#
#   tests/bench/failover.sh [--vms N] [--runs R] [--fallback-runs F]
#       [--pacemaker-runs P] [--max-starts K] [--parts havm,fallback,pacemaker]
#   FAILOVER_KEEP_LOGS=DIR keeps node2's and node3's havmd / pacemaker logs
#   (and havm's sampler files) of every run in DIR.
#   FAILOVER_CPU=1 prints, per run, the CPU time each kind of process used
#   from the power loss until all VMs ran (see cpu_snapshot).
#   (as root; defaults: 10 VMs, 5 runs, 2 fallback runs, 5 Pacemaker runs,
#   K = 12, all three parts)
#
# Every run builds a fresh 3-host cluster (harness.sh: corosync with token
# 1000 ms and token_coefficient 0, as conf/corosync.conf.example has it;
# sanlock, libvirtd + qemu and a simulated BMC per host), puts N idle test
# VMs (vm.sh: 32 MiB, one vCPU, `cli; hlt`) on node1, warms libvirt on every
# host, starts the sampler of every host's vCPU threads, then powers node1
# off through its BMC (ipmitool to its ipmi_sim: every process of node1,
# qemu included, SIGKILLed at once). The time runs from that kill (the
# BMC's own record, bmc-power.log) until a scan of the hosts' qemu
# processes finds each of the N VMs with a vCPU running guest code on
# node2 or node3 (checks.sh: vm_hosts), polled every ~50 ms; the sampler
# (every 200 ms throughout) must never see a VM on two hosts.
#
# havm: the VMs are added with `havm vm add NAME --xml ... --prefer node1`;
#   vms.max_parallel_starts = K (config maximum 12), vms.vcpu_ratio = 64
#   (the bed's hosts each report the machine's 2 CPUs; 50 one-vCPU VMs on
#   one host need a ratio of 25). libvirt is warm on every host before the
#   power loss (havmd's monitor probes qemu; a host is not eligible before).
# fallback (fencing impossible): node1's BMC dies with it, so havm takes
#   node1 as fenced only when sanlock reports its heartbeat dead; the bed
#   has no watchdog, so the hosts claim one with
#   storage.unsafe_no_watchdog_for_tests (as tests/bench/fence.sh does).
# pacemaker: the same hosts and corosync, no havmd (HAVM_HARNESS_NO_HAVMD=1),
#   Debian's pacemaker 2.1 started by hand on each host (pacemakerd as a
#   child of the host's anchor, so a power loss kills it; /var/lib/pacemaker
#   and /var/log/pacemaker private per host, /run already is). libvirt runs
#   without a lock manager here (qemu.conf's lock_manager line dropped) and
#   the VMs' XML has no lease: Pacemaker relies on fencing alone. The
#   packages are installed on demand (apt-get) if missing; they are not in
#   scripts/deps.sh: this benchmark is not part of CI. Settings (what a
#   careful admin would use to let failover go as fast as the hosts allow):
#     stonith-enabled=true, stonith-action=off (havm powers off too; a
#       reboot would boot node1 again in the middle of the measurement);
#     one fence_ipmilan device per host (ip, ipport=623, username, password,
#       lanplus=1, cipher=3, pcmk_host_list=nodeX, banned from its own host);
#       power_wait stays at its default 2 s (it is skipped when the host is
#       already off, as it is here);
#     batch-limit=1000 (no cluster-wide cap on actions in flight),
#     node-action-limit=ceil(K/2) (the same total parallelism as havm's
#       max_parallel_starts over the two survivors; its default is 2 x
#       cores = 4 per host),
#     load-threshold=1000% (Pacemaker throttles by /proc/loadavg, which here
#       is the whole shared machine's, not the host's);
#     VirtualDomain: config=<the XML>, hypervisor=qemu:///system,
#       autoset_utilization_{cpu,hv_memory,host_memory}=false (utilization is
#       unused with the default placement-strategy; each would add CIB
#       writes to every monitor), op start/stop timeout 90 s, monitor
#       interval 30 s (a 2-core machine running N monitors);
#     a location constraint per VM: node1, score 100 (havm's --prefer);
#     pacemakerd started on node1 first, the resources loaded, then on
#       node2 and node3: node1 is the DC when it fails, as node1 is havm's
#       coordinator (the lowest node id): both lose their decider.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
. "$here/../cluster/checks.sh"

NVM=10 RUNS=5 FB_RUNS=2 PCMK_RUNS=5 MAX_STARTS=12 PARTS=havm,fallback,pacemaker
while [ $# -gt 0 ]; do
	case $1 in
	--vms) NVM=$2; shift 2 ;;
	--runs) RUNS=$2; shift 2 ;;
	--fallback-runs) FB_RUNS=$2; shift 2 ;;
	--pacemaker-runs) PCMK_RUNS=$2; shift 2 ;;
	--max-starts) MAX_STARTS=$2; shift 2 ;;
	--parts) PARTS=$2; shift 2 ;;
	*) echo "usage: $0 [--vms N] [--runs R] [--fallback-runs F] [--pacemaker-runs P] [--max-starts K] [--parts havm,fallback,pacemaker]" >&2; exit 2 ;;
	esac
done
for v in "$NVM" "$RUNS" "$FB_RUNS" "$PCMK_RUNS" "$MAX_STARTS"; do
	case $v in '' | *[!0-9]*) echo "failover.sh: '$v' is not a number" >&2; exit 2 ;; esac
done
[ "$NVM" -ge 1 ] && [ "$NVM" -le 100 ] || { echo "failover.sh: --vms is 1..100" >&2; exit 2; }
part() { case ,$PARTS, in *",$1,"*) return 0 ;; *) return 1 ;; esac; }
harness_require_root
bench_t0=$SECONDS

# stats NAME UNIT SAMPLES...: the summary line and the BENCH line.
stats() {
	local name=$1 unit=$2 sorted min max median
	shift 2
	sorted=$(printf '%s\n' "$@" | sort -n)
	min=$(printf '%s\n' "$sorted" | head -1)
	max=$(printf '%s\n' "$sorted" | tail -1)
	median=$(printf '%s\n' "$sorted" | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print int((a[NR / 2] + a[NR / 2 + 1]) / 2) }')
	printf '%s: min %d %s, median %d %s, max %d %s (%d runs, %d VMs)\n' "$name" "$min" "$unit" \
		"$median" "$unit" "$max" "$unit" "$#" "$NVM"
	printf 'BENCH {"bench":"%s","unit":"%s","vms":%d,"runs":%d,"min":%d,"median":%d,"max":%d,"samples":[%s]%s}\n' \
		"$name" "$unit" "$NVM" "$#" "$min" "$median" "$max" "$(IFS=,; echo "$*")" "${BENCH_EXTRA:-}"
	STATS_MEDIAN=$median
}

# count_running_on "HOSTS": from one scan of every host's qemu processes,
# how many of vm1..vmN run (a vCPU in guest code) on exactly one host, and
# that host one of HOSTS. _count_running "HOSTS" puts it in RUNNING, without
# a subshell, so that a poller keeps _vm_scan's cache between scans.
count_running_on() {
	_count_running "$1"
	echo "$RUNNING"
}
_count_running() {
	local k n=0 v h
	local -A where=()
	_vm_scan
	for ((k = 0; k < ${#_VM_PIDS[@]}; k++)); do
		[ "${_VM_RUNS[k]}" = 1 ] || continue
		h=${where[${_VM_NAMES[k]}]:-}
		# two qemus of one VM on one host cannot be (libvirt refuses
		# a second domain of that name): a second host is "two"
		if [ -n "$h" ] && [ "$h" != "${_VM_HOSTS[k]}" ]; then h=two; else h=${_VM_HOSTS[k]}; fi
		where[${_VM_NAMES[k]}]=$h
	done
	for ((v = 1; v <= NVM; v++)); do
		h=${where[vm$v]:-none}
		case " $1 " in *" $h "*) n=$((n + 1)) ;; esac
	done
	RUNNING=$n
}
all_running_on() { _count_running "$1" && [ "$RUNNING" = "$NVM" ]; }

# now_ms VAR: harness_now_ms into VAR, without a fork.
now_ms() {
	local t=$EPOCHREALTIME
	printf -v "$1" '%s' "$((${t%.*} * 1000 + 10#${t#*.} / 1000))"
}

# power_loss_ms i: the time of host i's last power-off, the BMC's record.
power_loss_ms() { awk '$4 == "power-off" && $5 == "done" { t = $3 } END { print t }' "$(host_bmc_power_log "$1")"; }

# wait_all_back T0 LIMIT_S: poll until every VM runs on node2/node3; print
# the ms from T0 to the end of the scan that found them. A scan takes time
# on a loaded machine: the moment they all ran lies between the start of
# the scan before (which missed one) and the end of this one; that window,
# the number of scans and their mean length go to $HARNESS_RUNDIR/poll.
# The poller (a subshell: run as $(wait_all_back ...)) runs at nice -10:
# at nice 0 it waited its turn behind the starting VMs, and with them
# running, a poll took ~250 ms, all of it added to the result. A scan
# costs ~3 ms of CPU.
wait_all_back() {
	local t0=$1 limit=$(($2 * 1000)) now prev=$1 end n=0 scan_ms=0
	renice -n -10 -p "$BASHPID" >/dev/null 2>&1 || true
	while :; do
		now_ms now
		if all_running_on "2 3"; then
			now_ms end
			n=$((n + 1)) scan_ms=$((scan_ms + end - now))
			echo "$((prev - t0)) $((end - t0)) $n $((scan_ms / n))" >"$HARNESS_RUNDIR/poll"
			echo $((end - t0))
			return 0
		fi
		now_ms end
		n=$((n + 1)) scan_ms=$((scan_ms + end - now)) prev=$now
		[ $((now - t0)) -lt "$limit" ] || return 1
		sleep 0.05
	done
}

machine_load() { cut -d' ' -f1-3 /proc/loadavg; }

# since_ms T0 FILE... PATTERN: ms from T0 to the first and to the last line
# of the logs (syslog-style "Mon DD HH:MM:SS.mmm" stamps, this machine's
# clock) matching PATTERN after T0, as "first/last"; "-" if none.
since_ms() {
	local t0=$1 pat=${*: -1} f first='' last='' ts ms
	for f in "${@:2:$#-2}"; do
		[ -f "$f" ] || continue
		while read -r ts; do
			ms=$(date -d "$ts" +%s%3N 2>/dev/null) || continue
			[ "$ms" -ge "$t0" ] || continue
			if [ -z "$first" ] || [ "$ms" -lt "$first" ]; then first=$ms; fi
			if [ -z "$last" ] || [ "$ms" -gt "$last" ]; then last=$ms; fi
		done < <(grep -E -- "$pat" "$f" | awk '{ print $1, $2, $3 }')
	done
	if [ -n "$first" ]; then echo "+$((first - t0))/+$((last - t0))"; else echo -; fi
}

# cpu_snapshot FILE: every process of the machine, one line each:
#   PID STARTTIME WHERE COMM PPID UTIME STIME CUTIME CSTIME
# (clock ticks, /proc/PID/stat). WHERE is the host (n1..nN) or hub whose
# network namespace the process is in, "bench" for this shell, its
# sampler and any other process of the root namespace descending from it,
# else "other" (the rest of the shared machine). Builtins only: a snapshot
# costs the bench shell some CPU, which the table shows under bench.
cpu_snapshot() {
	local p line rest comm where i f hub
	local -a v
	local -A ppid_of=() where_of=()
	: >"$1"
	hub=/run/netns/$(_harness_hub)
	for p in /proc/[0-9]*; do
		read -r line 2>/dev/null <"$p/stat" || continue
		# comm may hold spaces and parentheses: it ends at the last ')'
		rest=${line##*) } comm=${line#*(} comm=${comm%) *}
		read -r -a v <<<"$rest"
		where=
		for ((i = 1; i <= HARNESS_N; i++)); do
			if [ "$p/ns/net" -ef "/run/netns/$HARNESS_RUNID-n$i" ]; then where=n$i; break; fi
		done
		[ -n "$where" ] || ! [ "$p/ns/net" -ef "$hub" ] || where=hub
		p=${p#/proc/}
		ppid_of[$p]=${v[1]}
		where_of[$p]=$where
		# state ppid ... utime(14) stime cutime cstime ... starttime(22)
		printf '%s %s %s %s %s %s %s %s %s\n' "$p" "${v[19]}" "${where:-?}" "${comm// /_}" \
			"${v[1]}" "${v[11]}" "${v[12]}" "${v[13]}" "${v[14]}" >>"$1"
	done
	# root-namespace processes: this shell's descendants are the bench's
	f=$1.tmp
	while read -r p rest; do
		where=${where_of[$p]:-}
		if [ -z "$where" ]; then
			where=other i=$p
			while [ -n "$i" ] && [ "$i" -gt 1 ]; do
				if [ "$i" = "$BASHPID" ]; then where=bench; break; fi
				i=${ppid_of[$i]:-}
			done
		fi
		printf '%s %s\n' "$p" "${rest/ \? / $where }"
	done <"$1" >"$f" && mv -f "$f" "$1"
}

# cpu_table BEFORE AFTER SHELL_PID: CPU ms used between the two snapshots, by where
# and comm: "own" is the processes' own time (all threads), "reaped" the
# time of their children that exited and were waited for in between (a
# havmd's worker jobs, a shell's $(...) and commands). A process seen only
# in AFTER counts whole. havmd's children (monitor, tiebreaker, running
# jobs) show as havmd-child; the bench's own shell as bench-shell (its
# reaped time is the poller, wait_all_back, and the snapshots' cost), its
# sampler as bench-sampler. PID 1 reaps orphans, node1's killed qemus
# among them, with their whole lives' CPU: its reaped time is left out.
cpu_table() {
	awk -v tck="$(getconf CLK_TCK)" -v shell="$3" -v sampler="${VM_SAMPLER_PID:-}" '
		function key(w, c, pp, p) {
			if (c == "havmd" && comm_of[pp] == "havmd") c = "havmd-child"
			if (p == shell) c = "bench-shell"
			if (p == sampler) c = "bench-sampler"
			return w " " c
		}
		FNR == NR { b[$1 " " $2] = $6 + $7; bc[$1 " " $2] = $8 + $9; next }
		{ comm_of[$1] = $4; line[FNR] = $0; n = FNR }
		END {
			for (l = 1; l <= n; l++) {
				split(line[l], f, " ")
				id = f[1] " " f[2]
				k = key(f[3], f[4], f[5], f[1])
				own[k] += f[6] + f[7] - b[id]
				reaped[k] += (id in bc) && f[1] != 1 ? f[8] + f[9] - bc[id] : 0
				procs[k]++
			}
			for (k in own) {
				tot = own[k] + reaped[k]
				if (tot <= 0) continue
				printf "%-6s %-22s %5d %8d %8d %8d\n", substr(k, 1, index(k, " ") - 1),
					substr(k, index(k, " ") + 1), procs[k], own[k] * 1000 / tck,
					reaped[k] * 1000 / tck, tot * 1000 / tck
				sum += tot
				if (k !~ /^other /) run += tot
			}
			printf "%-6s %-22s %5s %8s %8s %8d\n", "all", "(this run)", "", "", "", run * 1000 / tck
			printf "%-6s %-22s %5s %8s %8s %8d\n", "all", "(machine)", "", "", "", sum * 1000 / tck
		}' "$1" "$2" | sort -k6,6nr
}

# ---------------------------------------------------------------------------
# havm

# One havm run in a subshell (its own harness: a fresh cluster, cleaned up
# when the subshell exits). Prints "RESULT ms" last; FALLBACK=1: node1's BMC
# dies with it.
havm_run() {
	local fallback=$1 r=$2
	export HARNESS_SANLOCK=1 HARNESS_BMC=1 HARNESS_LIBVIRT=1
	harness_extra_config() {
		local extra=
		[ "$fallback" = 1 ] && extra='unsafe_no_watchdog_for_tests = true;'
		FENCE_STORAGE=1 FENCE_STORAGE_EXTRA=$extra \
			FENCE_EXTRA="vms: { shared_dir = \"$(harness_vm_dir)\"; max_parallel_starts = $MAX_STARTS; vcpu_ratio = 64; };" \
			write_fence_conf "$1"
	}
	storage_cluster 3
	local v out
	for ((v = 1; v <= NVM; v++)); do vm_define "vm$v" >/dev/null || harness_fail "vm_define vm$v"; done
	vms_json() { havm_on "$1" vm list --json; }
	ready_hosts() { vms_json "$1" | jq '[.hosts[] | select(.eligible)] | length'; }
	three_ready() { [ "$(ready_hosts 1 2>/dev/null)" = 3 ]; }
	wait_until 120 three_ready ||
		harness_fail "the hosts never became ready for VMs: $(vms_json 1 | jq -c '.hosts')"
	# In batches of 10, each running before the next is added: 50 starts
	# at once on one host of this loaded 2-core machine had a few VMs
	# placed on node2/node3 (seen once; the logs were gone).
	local b=0
	for ((v = 1; v <= NVM; v++)); do
		out=$(havm_on 1 vm add "vm$v" --xml "$(vm_xml "vm$v")" --prefer node1) ||
			harness_fail "havm vm add vm$v: $out"
		b=$((b + 1))
		if [ "$b" = 10 ] || [ "$v" = "$NVM" ]; then
			b=0
			at_least_on1() { [ "$(count_running_on 1)" -ge "$1" ]; }
			wait_until 120 at_least_on1 "$v" || break
		fi
	done
	# Any VM placed elsewhere all the same (the coordinator places a new
	# VM on the hosts that have reported the newest configuration
	# version, and node1's report can lag): stop it (a `cli; hlt` guest
	# ignores ACPI: havm powers it off after 30 s), wait until havm shows
	# it stopped (started earlier, it counts as a crash and restarts in
	# place), and start it again.
	local stray try
	stray_vms() { vms_json 1 | jq -r '[.vms[] | select(.host != "node1") | .name] | join(" ")'; }
	all_stopped() {
		local x
		for x in "$@"; do
			[ "$(vms_json 1 | jq -r ".vms[] | select(.name == \"$x\") | .status")" = stopped ] || return 1
			[ -z "$(vm_qemu_hosts "$x")" ] || return 1
		done
	}
	for try in 1 2 3; do
		stray=$(stray_vms)
		[ -n "$stray" ] || break
		echo "  (setup, try $try: $stray placed elsewhere than node1; stopping and starting them again)"
		for v in $stray; do havm_on 1 vm stop "$v" >/dev/null || harness_fail "havm vm stop $v"; done
		# shellcheck disable=SC2086
		wait_until 90 all_stopped $stray || harness_fail "$stray did not stop"
		sleep 2
		for v in $stray; do havm_on 1 vm start "$v" >/dev/null || harness_fail "havm vm start $v"; done
		wait_until 60 all_running_on "1 2 3" || true
	done
	wait_until $((60 + 3 * NVM)) all_running_on 1 ||
		harness_fail "not all $NVM VMs run on node1 ($(count_running_on 1)): $(vms_json 1 | jq -c '[.vms[] | {name, status, host, reason}]')"
	local samples=$HARNESS_RUNDIR/vm.samples
	vm_sampler_start "$samples"
	sleep 1
	local load t0 took verdict ev
	load=$(machine_load)
	if [ "$fallback" = 1 ]; then
		bmc_stop 1
		host_poweroff 1
		t0=$HARNESS_LAST_POWEROFF_MS
	else
		[ -z "${FAILOVER_CPU:-}" ] || cpu_snapshot "$HARNESS_RUNDIR/cpu.before"
		bmc_ipmitool 1 chassis power off >/dev/null || harness_fail "power off through node1's BMC"
		t0=$(power_loss_ms 1)
		[ -n "$t0" ] || harness_fail "no power-off in node1's BMC record"
	fi
	took=$(wait_all_back "$t0" $((fallback ? 300 : 120))) ||
		harness_fail "node1's VMs did not all come back ($(count_running_on "2 3") of $NVM): $(vms_json 2 | jq -c '[.vms[] | {name, status, host, reason}]')"
	if [ -n "${FAILOVER_CPU:-}" ] && [ "$fallback" = 0 ]; then
		local cpu_t1
		cpu_t1=$(harness_now_ms)
		cpu_snapshot "$HARNESS_RUNDIR/cpu.after"
		echo "  CPU ms from just before the power loss to all VMs running ($((cpu_t1 - t0)) ms wall, 2 CPUs):"
		printf '    %-6s %-22s %5s %8s %8s %8s\n' where comm procs own reaped total
		cpu_table "$HARNESS_RUNDIR/cpu.before" "$HARNESS_RUNDIR/cpu.after" "$BASHPID" | sed 's/^/    /'
	fi
	sleep 1
	vm_sampler_stop
	verdict=$(assert_never_two "$samples") || harness_fail "run $r: $verdict"
	# What the new coordinator (node2, the lowest node id left) recorded,
	# ms after the power loss: the first event of each type.
	ev=$(havm_on 2 events --json -n 1000 | jq -r --argjson t0 "$t0" '
		[.[] | select(.time_ms >= $t0)] | group_by(.type) | map(min_by(.time_ms)) |
		sort_by(.time_ms) | map("\(.type)+\(.time_ms - $t0)") | join(" ")')
	local last
	last=$(havm_on 2 events --json -n 1000 | jq -r --argjson t0 "$t0" '
		[.[] | select(.time_ms >= $t0 and .type == "vm-started")] | max_by(.time_ms) | .time_ms - $t0')
	local per_host
	per_host=$(vms_json 2 | jq -c '[.vms[] | .host] | group_by(.) | map({(.[0]): length}) | add')
	echo "  events on node2 (first of each type, ms after the power loss): $ev; last vm-started +$last"
	echo "  starts (havmd logs of node2+node3, first/last, ms after the power loss):" \
		"asked $(since_ms "$t0" "$(host_log 2)" "$(host_log 3)" 'vm: starting vm=')," \
		"done $(since_ms "$t0" "$(host_log 2)" "$(host_log 3)" 'vm: start done vm=')"
	echo "  VMs now: $per_host; sampler: $verdict; load before: $load"
	local poll
	read -r -a poll <"$HARNESS_RUNDIR/poll"
	echo "  poller: all ran between +${poll[0]} (the scan before began) and +${poll[1]} ms;" \
		"${poll[2]} scans of ${poll[3]} ms on average"
	if [ -n "${FAILOVER_KEEP_LOGS:-}" ]; then
		mkdir -p "$FAILOVER_KEEP_LOGS/havm.$fallback.$r"
		for j in 2 3; do cp "$(host_log "$j")" "$FAILOVER_KEEP_LOGS/havm.$fallback.$r/node$j.log"; done
		cp "$samples" "$FAILOVER_KEEP_LOGS/havm.$fallback.$r/"
	fi
	echo "RESULT $took"
}

# run_part NAME RUNS FUNCTION ARGS...: RUNS runs of FUNCTION in subshells;
# the samples in SAMPLES.
run_part() {
	local name=$1 runs=$2 r out took
	shift 2
	SAMPLES=()
	for ((r = 1; r <= runs; r++)); do
		local rs=$SECONDS
		if ! out=$( ("$@" "$r") 2>"$BENCH_TMP/$name.$r.err"); then
			printf '%s\n' "$out"
			echo "$name run $r FAILED; its stderr (tail):"
			tail -n 40 "$BENCH_TMP/$name.$r.err" | sed 's/^/  | /'
			exit 1
		fi
		took=$(printf '%s\n' "$out" | awk '$1 == "RESULT" { print $2 }')
		printf '%s\n' "$out" | grep -v '^RESULT ' | grep -v '^PASS: ' || true
		SAMPLES+=("$took")
		printf '%s run %d: power loss -> all %d VMs run on node2/node3: %d ms (run took %d s, load now %s)\n' \
			"$name" "$r" "$NVM" "$took" $((SECONDS - rs)) "$(machine_load)"
	done
}

BENCH_TMP=$(mktemp -d /tmp/failover-bench.XXXXXX)
trap 'rm -rf "$BENCH_TMP"' EXIT

echo "failover benchmark: $NVM VMs, parts $PARTS; machine: $(nproc) CPUs, load $(machine_load); $(uname -r)"
echo "corosync: token ${HARNESS_TOKEN:-1000} ms, token_coefficient 0; sanlock io_timeout ${HARNESS_SANLOCK_IO_TIMEOUT:-2} s"
HAVM_MEDIAN="" PCMK_MEDIAN=""
if part havm; then
	echo "== havm: $RUNS runs, vms.max_parallel_starts = $MAX_STARTS, vms.vcpu_ratio = 64"
	run_part havm "$RUNS" havm_run 0
	BENCH_EXTRA=",\"max_parallel_starts\":$MAX_STARTS" stats havm_failover_power_loss ms "${SAMPLES[@]}"
	HAVM_MEDIAN=$STATS_MEDIAN
fi
if part fallback; then
	echo "== havm, fencing impossible (BMC dead with its host; storage fallback): $FB_RUNS runs"
	run_part fallback "$FB_RUNS" havm_run 1
	BENCH_EXTRA=",\"max_parallel_starts\":$MAX_STARTS,\"io_timeout\":${HARNESS_SANLOCK_IO_TIMEOUT:-2}" \
		stats havm_failover_bmc_dead ms "${SAMPLES[@]}"
fi

# ---------------------------------------------------------------------------
# Pacemaker

# node-action-limit = K, not K/2 per survivor: a DC that has just been
# elected holds a throttle record per node in mode "low" until that node
# reports a change of mode, which an idle node does not, and "low" allows
# half of node-action-limit (controld_throttle.c, throttle_get_job_limit):
# K gives each survivor K/2 starts at once, K in all, as havm's
# max_parallel_starts = K. (Seen: with 6, three starts per node at a time.)
PCMK_NAL=$MAX_STARTS

pcmk_install() {
	command -v pacemakerd >/dev/null && command -v fence_ipmilan >/dev/null &&
		[ -x /usr/lib/ocf/resource.d/heartbeat/VirtualDomain ] && command -v crm_mon >/dev/null && return 0
	echo "installing pacemaker pacemaker-cli-utils resource-agents fence-agents (apt-get)"
	DEBIAN_FRONTEND=noninteractive apt-get install -y pacemaker pacemaker-cli-utils \
		resource-agents fence-agents >"$BENCH_TMP/apt.log" 2>&1 || {
		tail -20 "$BENCH_TMP/apt.log"
		return 1
	}
}

# Host i's pacemaker directories, private (HARNESS_EXTRA_BIND_DIRS), owned
# as the package makes them; libvirt without a lock manager.
pcmk_extra_config() {
	local i=$1 d
	for d in cib pengine blackbox cores; do
		install -d -o hacluster -g haclient -m 0750 "$(harness_host_path "$i" /var/lib/pacemaker/$d)"
	done
	chown hacluster:haclient "$(harness_host_path "$i" /var/log/pacemaker)"
	chmod 0770 "$(harness_host_path "$i" /var/log/pacemaker)"
	sed -i '/^[[:space:]]*lock_manager[[:space:]]*=/d' "$(harness_host_path "$i" /etc/libvirt/qemu.conf)"
}

pcmk_start() {
	host_spawn "$1" "$HARNESS_RUNDIR/n$1/pacemakerd.out" env \
		PCMK_logfile=/var/log/pacemaker/pacemaker.log PCMK_debug=no pacemakerd
}

pcmk_log() { printf '%s\n' "$(harness_host_path "$1" /var/log/pacemaker/pacemaker.log)"; }

# The DC as host i sees it (empty if none).
pcmk_dc() {
	host_exec "$1" crm_mon -1 --output-as=xml 2>/dev/null |
		sed -n 's/.*<current_dc [^>]*present="true"[^>]*name="\([^"]*\)".*/\1/p'
}
pcmk_online() {
	host_exec "$1" crm_mon -1 --output-as=xml 2>/dev/null | grep -c '<node name="node[0-9]*" .*online="true"' || true
}

pcmk_resources_xml() {
	local j v
	echo "<resources>"
	for j in 1 2 3; do
		cat <<-EOF
		<primitive id="fence-node$j" class="stonith" type="fence_ipmilan">
		  <instance_attributes id="fence-node$j-ia">
		    <nvpair id="fence-node$j-ip" name="ip" value="$(host_bmc_addr "$j")"/>
		    <nvpair id="fence-node$j-ipport" name="ipport" value="$(host_bmc_port "$j")"/>
		    <nvpair id="fence-node$j-username" name="username" value="$(host_bmc_user "$j")"/>
		    <nvpair id="fence-node$j-password" name="password" value="$(host_bmc_password "$j")"/>
		    <nvpair id="fence-node$j-lanplus" name="lanplus" value="1"/>
		    <nvpair id="fence-node$j-cipher" name="cipher" value="3"/>
		    <nvpair id="fence-node$j-hosts" name="pcmk_host_list" value="node$j"/>
		  </instance_attributes>
		  <operations><op id="fence-node$j-monitor" name="monitor" interval="60s"/></operations>
		</primitive>
		EOF
	done
	for ((v = 1; v <= NVM; v++)); do
		cat <<-EOF
		<primitive id="vm$v" class="ocf" provider="heartbeat" type="VirtualDomain">
		  <instance_attributes id="vm$v-ia">
		    <nvpair id="vm$v-config" name="config" value="$(vm_xml "vm$v")"/>
		    <nvpair id="vm$v-hypervisor" name="hypervisor" value="qemu:///system"/>
		    <nvpair id="vm$v-ucpu" name="autoset_utilization_cpu" value="false"/>
		    <nvpair id="vm$v-uhv" name="autoset_utilization_hv_memory" value="false"/>
		    <nvpair id="vm$v-uhost" name="autoset_utilization_host_memory" value="false"/>
		  </instance_attributes>
		  <operations>
		    <op id="vm$v-start" name="start" interval="0s" timeout="90s"/>
		    <op id="vm$v-stop" name="stop" interval="0s" timeout="90s"/>
		    <op id="vm$v-monitor" name="monitor" interval="30s" timeout="30s"/>
		  </operations>
		</primitive>
		EOF
	done
	echo "</resources>"
}

pcmk_constraints_xml() {
	local j v
	echo "<constraints>"
	for j in 1 2 3; do
		echo "<rsc_location id=\"loc-fence-node$j\" rsc=\"fence-node$j\" node=\"node$j\" score=\"-INFINITY\"/>"
	done
	for ((v = 1; v <= NVM; v++)); do
		echo "<rsc_location id=\"loc-vm$v\" rsc=\"vm$v\" node=\"node1\" score=\"100\"/>"
	done
	echo "</constraints>"
}

pcmk_prop() { host_exec "$1" crm_attribute --type crm_config --name "$2" --update "$3" >/dev/null; }
pcmk_props() {
	pcmk_prop 1 stonith-enabled true
	pcmk_prop 1 stonith-action off
	pcmk_prop 1 batch-limit 1000
	pcmk_prop 1 node-action-limit "$PCMK_NAL"
	pcmk_prop 1 load-threshold "$1"
}

pcmk_run() {
	local r=$1 v
	export HARNESS_SANLOCK=1 HARNESS_BMC=1 HARNESS_LIBVIRT=1 HAVM_HARNESS_NO_HAVMD=1
	export HARNESS_EXTRA_BIND_DIRS="/var/lib/pacemaker /var/log/pacemaker"
	harness_extra_config() { pcmk_extra_config "$1"; }
	harness_init 3
	host_start 1 2 3 || harness_fail "starting hosts"
	wait_until 40 corosync_sees 1 3 || harness_fail "corosync did not form"
	libvirt_warm 1 2 3 || harness_fail "libvirt_warm"
	for ((v = 1; v <= NVM; v++)); do vm_define "vm$v" >/dev/null || harness_fail "vm_define vm$v"; done
	grep -q '<lease>' "$(vm_xml vm1)" && harness_fail "the Pacemaker VMs have a lease"
	# node1 first: it becomes the DC (alone, after dc-deadtime) and stays
	# DC when the others join (the oldest controller wins the election).
	# The configuration goes in with stop-all-resources=true, so that no
	# VM starts before its constraint is there.
	pcmk_start 1 || harness_fail "pacemakerd on node1"
	dc_is_node1() { [ "$(pcmk_dc "$1")" = node1 ]; }
	wait_until 60 dc_is_node1 1 || harness_fail "node1 is not the DC: $(host_exec 1 crm_mon -1 2>&1 | head -20)"
	pcmk_prop 1 stop-all-resources true
	pcmk_props 999%
	pcmk_resources_xml >"$HARNESS_RUNDIR/pcmk-resources.xml"
	pcmk_constraints_xml >"$HARNESS_RUNDIR/pcmk-constraints.xml"
	host_exec 1 cibadmin --replace --scope resources --xml-file "$HARNESS_RUNDIR/pcmk-resources.xml" ||
		harness_fail "cibadmin resources"
	host_exec 1 cibadmin --replace --scope constraints --xml-file "$HARNESS_RUNDIR/pcmk-constraints.xml" ||
		harness_fail "cibadmin constraints"
	pcmk_start 2 || harness_fail "pacemakerd on node2"
	pcmk_start 3 || harness_fail "pacemakerd on node3"
	three_online() { [ "$(pcmk_online 1)" = 3 ]; }
	wait_until 90 three_online || harness_fail "pacemaker: not 3 online: $(host_exec 1 crm_mon -1 2>&1 | head -30)"
	# Changed again once every controller runs: a controller reads the
	# throttle settings at start and at a change, and one that started
	# before the CIB was synced to it kept the defaults (seen: node3
	# throttled at the default 80% load-threshold).
	pcmk_props 1000%
	pcmk_prop 1 stop-all-resources false
	wait_until $((90 + 3 * NVM)) all_running_on 1 ||
		harness_fail "not all $NVM VMs run on node1 ($(count_running_on 1)): $(host_exec 1 crm_mon -1 2>&1 | tail -30)"
	host_exec 1 crm_resource --wait --timeout=120s >/dev/null 2>&1 ||
		harness_fail "pacemaker did not settle: $(host_exec 1 crm_mon -1 2>&1 | tail -30)"
	[ "$(pcmk_dc 2)" = node1 ] || harness_fail "the DC is $(pcmk_dc 2), not node1"
	local samples=$HARNESS_RUNDIR/vm.samples load t0 took verdict dc fh
	vm_sampler_start "$samples"
	sleep 1
	load=$(machine_load)
	bmc_ipmitool 1 chassis power off >/dev/null || harness_fail "power off through node1's BMC"
	t0=$(power_loss_ms 1)
	[ -n "$t0" ] || harness_fail "no power-off in node1's BMC record"
	took=$(wait_all_back "$t0" 180) ||
		harness_fail "node1's VMs did not all come back ($(count_running_on "2 3") of $NVM): $(host_exec 2 crm_mon -1 2>&1 | tail -40)"
	sleep 1
	vm_sampler_stop
	verdict=$(assert_never_two "$samples") || harness_fail "run $r: $verdict"
	dc=$(pcmk_dc 2)
	fh=$(host_exec 2 stonith_admin --history node1 2>/dev/null | grep -E 'off of node1|node1' | head -2 | tr '\n' ' ')
	local per_host
	per_host=$(host_exec 2 crm_mon -1 --output-as=xml 2>/dev/null |
		awk -F'"' '/<resource id="vm[0-9]+"/ { getline; for (i = 1; i < NF; i++) if ($i ~ /name=$/) print $(i + 1) }' |
		sort | uniq -c | awk '{ printf "%s%s:%s", s, $2, $1; s = " " }')
	local thr
	thr=$(cat "$(pcmk_log 2)" "$(pcmk_log 3)" | grep -E 'New throttle mode|load detected' |
		awk -F'\t' '{ split($1, a, " "); printf "%s %s: %s; ", a[3], a[4], $2 }')
	[ -n "$thr" ] || thr="none logged"
	local l2 l3
	l2=$(pcmk_log 2) l3=$(pcmk_log 3)
	echo "  new DC $dc; fencing: $fh"
	echo "  timeline (pacemaker logs of node2+node3, first/last, ms after the power loss):" \
		"node lost $(since_ms "$t0" "$l2" "$l3" 'pacemaker-controld.*Node node1 state is now lost')," \
		"fence asked $(since_ms "$t0" "$l2" "$l3" 'Requesting fencing .* of node node1')," \
		"fenced $(since_ms "$t0" "$l2" "$l3" 'Fence operation [0-9]+ for node1 succeeded')," \
		"VM starts asked $(since_ms "$t0" "$l2" "$l3" 'Initiating start operation vm[0-9]+_start_0')," \
		"done $(since_ms "$t0" "$l2" "$l3" 'Result of start operation for vm[0-9]+ on node[23]: ok')"
	echo "  throttle (last lines of node2, node3): $thr"
	echo "  VMs now: $per_host; sampler: $verdict; load before: $load"
	if [ -n "${FAILOVER_KEEP_LOGS:-}" ]; then
		mkdir -p "$FAILOVER_KEEP_LOGS/pacemaker.$r"
		for j in 2 3; do cp "$(pcmk_log "$j")" "$FAILOVER_KEEP_LOGS/pacemaker.$r/node$j.log"; done
	fi
	echo "RESULT $took"
}

if part pacemaker; then
	pcmk_install || { echo "cannot install pacemaker"; exit 1; }
	echo "== Pacemaker $(pacemakerd --version | head -1 | awk '{ print $2 }'): $PCMK_RUNS runs;" \
		"stonith-action=off, batch-limit=1000, node-action-limit=$PCMK_NAL, load-threshold=1000%," \
		"fence_ipmilan lanplus=1 cipher=3, VirtualDomain monitor 30s, no lock manager"
	run_part pacemaker "$PCMK_RUNS" pcmk_run
	BENCH_EXTRA=",\"node_action_limit\":$PCMK_NAL,\"batch_limit\":1000" \
		stats pacemaker_failover_power_loss ms "${SAMPLES[@]}"
	PCMK_MEDIAN=$STATS_MEDIAN
fi

if [ -n "$HAVM_MEDIAN" ] && [ -n "$PCMK_MEDIAN" ]; then
	ratio=$(awk -v a="$HAVM_MEDIAN" -v b="$PCMK_MEDIAN" 'BEGIN { printf "%.2f", a / b }')
	echo "havm median / Pacemaker median: $HAVM_MEDIAN / $PCMK_MEDIAN ms = $ratio ($NVM VMs)"
	printf 'BENCH {"bench":"failover_havm_vs_pacemaker","vms":%d,"havm_median":%d,"pacemaker_median":%d,"ratio":%s}\n' \
		"$NVM" "$HAVM_MEDIAN" "$PCMK_MEDIAN" "$ratio"
fi
echo "benchmark took $((SECONDS - bench_t0)) s; load now $(machine_load)"
