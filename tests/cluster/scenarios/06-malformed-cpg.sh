#!/bin/bash
# Malformed messages multicast into the havm CPG group are dropped and
# logged by every daemon, which keep running and keep a correct view;
# a message claiming another node's id is dropped too. A well-formed
# message of a type this version does not know (a newer havmd's, in a
# rolling upgrade) is ignored with a debug line, not called malformed.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../checks.sh"
scenario_cluster 3

inject=$HARNESS_REPO/tests/cluster/cpg_inject
kinds=(garbage short badmagic badversion badlength trailing spoof)
host_exec 2 "$inject" "havm:testclu" "${kinds[@]}" unknowntype || harness_fail "cpg_inject failed"
dropped_all() {
	local i n
	for i in 1 2 3; do
		n=$(grep -c 'cluster: dropped malformed message from nodeid=2' "$(host_log "$i")" || true)
		[ "$n" -ge "${#kinds[@]}" ] || return 1
	done
	return 0
}
wait_until 10 dropped_all || harness_fail "not every daemon logged ${#kinds[@]} dropped messages"
harness_pass "every daemon dropped and logged all ${#kinds[@]} malformed messages"
for i in 1 2 3; do
	[ "$(grep -c 'cluster: dropped malformed message from nodeid=2' "$(host_log "$i")")" = "${#kinds[@]}" ] ||
		harness_fail "host $i called the unknown type malformed"
	log_has "$i" 'cluster: ignored a message of a type this version does not know type=77 from nodeid=2' ||
		harness_fail "host $i did not note the unknown type"
done
harness_pass "a message of an unknown type is ignored with a debug line, not called malformed"
for i in 1 2 3; do havmd_alive "$i" || harness_fail "havmd on host $i died"; done
all_agree_online 3 1 1 2 3 || harness_fail "view damaged after malformed messages"
[ "$(jq_on 1 '[.hosts[] | select(.name == "evil")] | length')" = 0 ] ||
	harness_fail "a spoofed node state was accepted"
harness_pass "daemons alive, view intact, spoofed state not accepted"
