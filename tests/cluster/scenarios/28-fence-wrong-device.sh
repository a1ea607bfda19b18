#!/bin/bash
# A record of "off" for a host that is still up was wrong (its fence
# device controls another machine): it is voided, loudly, and when that
# host really dies it is fenced, not taken as already fenced. node3's only
# fence device is an agent that says "off" without touching anything. An
# operator fences node3: the agent "verifies" it off and the record is
# made, but node3 stays up in the same life; a minute later every daemon
# voids the record. node3 then loses power and is fenced again.
set -euo pipefail
export HARNESS_BMC=1
. "$(dirname "${BASH_SOURCE[0]}")/../checks.sh"
liar_log() { printf '%s/liar.log\n' "$HARNESS_RUNDIR"; }
harness_extra_config() {
	FENCE_LEVELS_3="( { name = \"node3-liar\"; type = \"agent\"; agent = \"$HARNESS_REPO/tests/cluster/fence_havm_test_liar\"; args = ( \"log=$(liar_log)\" ); } )" \
		write_fence_conf "$1"
}
scenario_cluster 3
inc3=$(host_incarnation 3)
offs() { grep -cx off "$(liar_log)" 2>/dev/null || true; }

havm_on 2 node fence node3 --force >/dev/null || harness_fail "havm node fence node3 failed"
wait_until 30 history_has 1 "host=node3 nodeid=3 result=off-verified .*incarnation=$inc3 " ||
	harness_fail "no record for node3: $(fence_history 1)"
sleep 3
all_agree_online 3 1 1 2 3 || harness_fail "node3 is not up any more: the liar did something"
harness_pass "the lying device 'verified' node3 off; node3 is still up in the same life"

voided() { log_has "$1" "fence: host=node3 nodeid=3 is still up in incarnation $inc3 .*record is void"; }
voided_somewhere() { voided 1 || voided 2 || voided 3; }
wait_until 90 voided_somewhere || harness_fail "no daemon voided the wrong record"
# Every daemon checks for itself; the first to find it announces the void,
# and the others take it from that announcement: either way the record no
# longer counts anywhere.
for i in 1 2 3; do
	[ "$(jq_on "$i" '.hosts[] | select(.nodeid == 3) | .fence')" = null ] ||
		harness_fail "host $i still counts node3 as fenced"
done
harness_pass "the record was voided (logged at error level) and counts nowhere"

before=$(offs)
host_poweroff 3
more() { [ "$(offs)" -gt "$before" ]; }
wait_until 60 more || harness_fail "node3's real loss was not fenced (taken as already fenced?)"
records() { fence_history 1 | grep -c "host=node3 nodeid=3 result=off-verified .*incarnation=$inc3 " || true; }
two_records() { [ "$(records)" = 2 ]; }
wait_until 30 two_records || harness_fail "want 2 records for node3's life, got $(records)"
wait_until 10 all_see_state fenced 3 1 2 || harness_fail "node3 not shown fenced after its real loss"
harness_pass "node3's real loss was fenced again (device run, second record), then shown fenced"
