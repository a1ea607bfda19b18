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
