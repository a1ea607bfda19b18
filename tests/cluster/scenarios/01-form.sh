#!/bin/bash
# Three hosts form a cluster: every host's `havm status --json` shows all 3
# online, quorum, the same ring id and the same coordinator (node 1), and
# each host marks itself as local. `havm node list` and the human-readable
# status agree.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../checks.sh"
scenario_cluster 3
harness_pass "3 hosts online and quorate on every host, coordinator 1 everywhere"

ring1=$(jq_on 1 '"\(.ring_id.nodeid).\(.ring_id.seq)"')
for i in 2 3; do
	r=$(jq_on "$i" '"\(.ring_id.nodeid).\(.ring_id.seq)"')
	[ "$r" = "$ring1" ] || harness_fail "host $i ring id $r differs from host 1's $ring1"
	[ "$(jq_on "$i" '.local_nodeid')" = "$i" ] || harness_fail "host $i local_nodeid wrong"
	[ "$(jq_on "$i" ".hosts[] | select(.local) | .nodeid")" = "$i" ] ||
		harness_fail "host $i does not mark itself local"
done
harness_pass "same ring id $ring1 on every host; each marks itself local"

for i in 1 2 3; do
	v=$(jq_on 1 ".hosts[] | select(.nodeid == $i) | .daemon.version")
	[ -n "$v" ] && [ "$v" != null ] || harness_fail "no daemon version for host $i"
	[ "$(jq_on 1 ".hosts[] | select(.nodeid == $i) | .daemon.state")" = running ] ||
		harness_fail "host $i daemon state is not running"
done
harness_pass "every host's daemon version and state (running) known on host 1"

list=$(havm_on 2 node list --json)
[ "$(printf '%s' "$list" | jq length)" = 3 ] || harness_fail "node list --json has not 3 entries"
human=$(havm_on 3 status)
printf '%s\n' "$human" | grep -q '^Quorum:      yes' || harness_fail "human status lacks quorum yes"
printf '%s\n' "$human" | grep -Eq '^node1 +1 +online .*coordinator' ||
	harness_fail "human status does not show node1 online as coordinator"
printf '%s\n' "$human" | grep -q "3 of 3 online" || harness_fail "human status: not 3 of 3 online"
harness_pass "node list and human status agree"

# The debug ring holds debug-level lines whatever the log level.
dump=$(havm_on 1 debug dump 2>"$HARNESS_RUNDIR/dump.err") ||
	harness_fail "havm debug dump failed: $(cat "$HARNESS_RUNDIR/dump.err")"
printf '%s\n' "$dump" | grep -q 'cluster: node state nodeid=3' ||
	harness_fail "debug dump lacks the node state debug lines"
harness_pass "havm debug dump prints havmd's debug ring"
[ "$(cat "$HARNESS_RUNDIR/dump.err")" = "havm: debug ring written to /var/lib/havm/blackbox.dump" ] ||
	harness_fail "debug dump said more than where it wrote: $(cat "$HARNESS_RUNDIR/dump.err")"
harness_pass "debug dump's stderr holds only the path (libqb's end-of-ring noise silenced)"
