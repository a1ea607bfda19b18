#!/bin/bash
# havm events: the coordinator's host (node1) loses power and is fenced
# through its BMC; on a survivor, `havm events --json` shows what happened,
# in sequence order and with the right host names: the cluster forming
# (daemons joined, quorum gained, node1 coordinator), node1's daemon gone
# (reason=nodedown), node2 taking over as coordinator; then node3 loses
# power too and node2 records quorum lost. `havm events -n 2` shows exactly
# the newest two, and every event is also one line of havmd's log.
set -euo pipefail
export HARNESS_BMC=1
. "$(dirname "${BASH_SOURCE[0]}")/../checks.sh"
harness_extra_config() { write_fence_conf "$1"; }
scenario_cluster 3

# events_on i [ARGS]: host i's `havm events --json ARGS`.
events_on() {
	local i=$1
	shift
	havm_on "$i" events --json "$@"
}
# ev i FILTER: FILTER applied to host i's events (the newest 1000).
ev() {
	local out
	out=$(events_on "$1" -n 1000) || return 1
	printf '%s\n' "$out" | jq -r "$2"
}
# seq_of i SELECT: the sequence number of the last event matching the jq
# condition SELECT on host i ("" if none).
seq_of() { ev "$1" "[.[] | select($2)] | last | .seq // empty"; }

host_poweroff 1
wait_until 20 all_agree_online 2 2 2 3 || harness_fail "coordinator did not move to node2"
fenced() { history_has 2 'host=node1 nodeid=1 result=off-verified'; }
wait_until 60 fenced || harness_fail "node1 not fenced (history of host 2: $(fence_history 2))"
harness_pass "node1 lost power; node2 took over as coordinator and fenced it"

for i in 2 3; do
	json=$(events_on "$i" -n 1000) || harness_fail "havm events --json failed on node$i"
	printf '%s' "$json" | jq -e 'type == "array" and length > 0' >/dev/null ||
		harness_fail "node$i: not a non-empty JSON array: $json"
	# Sequence numbers 1, 2, ... without gaps (nothing was dropped).
	printf '%s' "$json" | jq -e '[.[].seq] == [range(1; length + 1)]' >/dev/null ||
		harness_fail "node$i: sequence numbers not 1..N in order: $(printf '%s' "$json" | jq -c '[.[].seq]')"
	# Every event about a host names it as havm.conf does (nodeN).
	printf '%s' "$json" | jq -e 'all(.[]; .nodeid == null or .host == "node\(.nodeid)")' >/dev/null ||
		harness_fail "node$i: an event names the wrong host: $json"
	printf '%s' "$json" | jq -e 'all(.[]; (.seq | type) == "number" and (.time_ms | type) == "number"
		and (.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\\.[0-9]{3}Z$"))
		and (.severity | IN("err", "warning", "notice", "info")) and (.text | type) == "string"
		and .vm == null)' >/dev/null || harness_fail "node$i: an event lacks a key or has a bad one: $json"
done
harness_pass "havm events --json on both survivors: seq 1..N in order, host names match node ids, every key present"

# The story on node2, in order.
joined1=$(seq_of 2 '.type == "daemon-joined" and .host == "node1" and .nodeid == 1')
joined3=$(seq_of 2 '.type == "daemon-joined" and .host == "node3" and .nodeid == 3')
gained=$(seq_of 2 '.type == "quorum-gained" and .host == null and (.text | test("^members=[23] ring="))')
coord1=$(seq_of 2 '.type == "coordinator-changed" and .host == "node1" and (.text | test("local=no"))')
left1=$(seq_of 2 '.type == "daemon-left" and .host == "node1" and .nodeid == 1 and .severity == "notice"
	and (.text | test("reason=nodedown"))')
coord2=$(seq_of 2 '.type == "coordinator-changed" and .host == "node2" and .nodeid == 2
	and (.text | test("local=yes"))')
for v in joined1 joined3 gained coord1 left1 coord2; do
	[ -n "${!v}" ] || harness_fail "node2 has no $v event: $(events_on 2 -n 1000)"
done
[ "$joined1" -lt "$coord1" ] && [ "$gained" -lt "$coord1" ] && [ "$coord1" -lt "$left1" ] &&
	[ "$left1" -lt "$coord2" ] ||
	harness_fail "node2's events out of order: joined1=$joined1 gained=$gained coord1=$coord1 left1=$left1 coord2=$coord2"
# Nothing after node1's departure names node1 as coordinator.
[ -z "$(seq_of 2 ".seq > $left1 and .type == \"coordinator-changed\" and .host == \"node1\"")" ] ||
	harness_fail "node2 made node1 coordinator again after it left"
harness_pass "node2: node1 and node3 joined, quorum gained, node1 coordinator; node1 left (nodedown), then node2 coordinator (seq $joined1 $gained $coord1 $left1 $coord2)"
# node3 saw the same, with local=no for node2.
[ -n "$(seq_of 3 '.type == "daemon-left" and .host == "node1" and (.text | test("reason=nodedown"))')" ] &&
	[ -n "$(seq_of 3 '.type == "coordinator-changed" and .host == "node2" and (.text | test("local=no"))')" ] ||
	harness_fail "node3 lacks node1's departure or node2's takeover: $(events_on 3 -n 1000)"
harness_pass "node3: node1 left (nodedown), node2 coordinator (local=no)"

# Every event is also one line of the log, with the same seq.
line=$(ev 2 "[.[] | select(.seq == $left1)] | first | \"event: \\(.type) seq=\\(.seq) host=\\(.host) nodeid=\\(.nodeid) \\(.text)\"")
grep -qF -- "$line" "$(host_log 2)" || harness_fail "node2's log lacks \"$line\""
harness_pass "node2's log has the same event: $line"

# -n 2: exactly the newest two, in the human form and in JSON.
all=$(ev 2 '[.[].seq] | map(tostring) | join(" ")')
newest2=$(printf '%s\n' "$all" | tr ' ' '\n' | tail -2 | tr '\n' ' ')
human=$(havm_on 2 events -n 2) || harness_fail "havm events -n 2 failed"
[ "$(printf '%s\n' "$human" | wc -l)" = 2 ] || harness_fail "havm events -n 2 printed: $human"
printf '%s\n' "$human" | grep -Evq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{3}Z +[0-9]+ (err|warning|notice|info) +[a-z-]+( .*)?$' &&
	harness_fail "havm events -n 2: a line not in the form TIME SEQ SEVERITY TYPE ...: $human"
[ "$(printf '%s\n' "$human" | awk '{printf "%s ", $2}')" = "$newest2" ] ||
	harness_fail "havm events -n 2 shows seq $(printf '%s\n' "$human" | awk '{printf "%s ", $2}'), want $newest2"
[ "$(events_on 2 -n 2 | jq -r '[.[].seq] | map(tostring) | join(" ")') " = "$newest2" ] ||
	harness_fail "havm events --json -n 2 is not the newest two ($newest2)"
harness_pass "havm events -n 2 (and --json -n 2): exactly the newest two, seq $newest2"

# node3 goes too: node2 alone loses quorum and says so after node3 left.
host_poweroff 3
no_quorum() { [ "$(jq_on 2 .quorate)" = false ]; }
wait_until 20 no_quorum || harness_fail "node2 still quorate alone"
left3=$(seq_of 2 '.type == "daemon-left" and .host == "node3" and (.text | test("reason=nodedown"))')
lost=$(seq_of 2 '.type == "quorum-lost" and .host == null and (.text | test("members=1 "))')
none=$(seq_of 2 '.type == "coordinator-changed" and .host == null and (.text | test("coordinator=none previous=2 previous_host=node2 "))')
[ -n "$left3" ] && [ -n "$lost" ] && [ -n "$none" ] && [ "$left3" -lt "$none" ] ||
	harness_fail "node2 lacks node3's departure, quorum lost or no coordinator: $(events_on 2 -n 5)"
[ "$(ev 2 "[.[] | select(.seq == $lost)] | first | .severity")" = notice ] ||
	harness_fail "quorum-lost is not at notice"
harness_pass "node3 lost power: node2 recorded node3 leaving, quorum lost and no coordinator (seq $left3 $lost $none)"
