#!/bin/bash
# Two hosts, an even split: without help neither half would be quorate.
# With storage.tiebreaker, havmd is corosync's quorum device "havm" and
# holds the tiebreaker lease on the shared storage on one host; the vote
# goes to the half holding it. Isolating the other host leaves the holder
# quorate and the isolated host not; the holder fences it (once, through
# its BMC) and the isolated host, without quorum, fences no one.
set -euo pipefail
export HARNESS_BMC=1 HARNESS_SANLOCK=1
# votes must be explicit; timeout: the vote lapses 4 s after havmd's last
# poll; sync_timeout: how long a new membership waits for havmd's poll.
export HARNESS_QUORUM_EXTRA=$'device {\n\t\tmodel: havm\n\t\tvotes: 1\n\t\ttimeout: 4000\n\t\tsync_timeout: 6000\n\t}'
. "$(dirname "${BASH_SOURCE[0]}")/../checks.sh"
harness_extra_config() {
	FENCE_STORAGE=1 FENCE_STORAGE_EXTRA='tiebreaker = true;' write_fence_conf "$1"
}
harness_require_root
harness_init 2
touch "$(harness_shared_path)/havm.leases"
start_cluster 2
havm_on 1 storage init >/dev/null || harness_fail "storage init"

lease_holder() {
	local i
	for i in 1 2; do
		log_has "$i" "event: tiebreak-lease-held seq=[0-9]+ host=node$i nodeid=$i" && { echo "$i"; return 0; }
	done
	return 1
}
wait_until 90 lease_holder >/dev/null || harness_fail "no host got the tiebreaker lease"
holder=$(lease_holder)
other=$((3 - holder))
[ "$(grep -c 'event: tiebreak-lease-held' "$(host_log "$other")" || true)" = 0 ] ||
	harness_fail "both hosts say they hold the lease"
harness_pass "node$holder holds the tiebreaker lease (node$other does not)"

both_vote() {
	log_has 1 "tiebreak: vote cast=yes holder=$holder" &&
		log_has 2 "tiebreak: vote cast=yes holder=$holder"
}
wait_until 20 both_vote || harness_fail "both hosts must cast the device vote for holder $holder"
all_joined() {
	local i
	for i in 1 2; do
		[ "$(jq_on "$i" '[.hosts[] | select(.heartbeat == "live")] | length')" = 2 ] || return 1
	done
	return 0
}
wait_until 60 all_joined || harness_fail "storage heartbeats not live on both"
for i in 1 2; do
	! log_has "$i" 'tiebreak: corosync gives quorum device havm [0-9]+ votes' ||
		harness_fail "node$i: corosync did not give the device its vote"
done
harness_pass "both hosts cast the device vote for holder node$holder"

lost_before=$(grep -c 'event: quorum-lost' "$(host_log "$holder")" || true)
no_before=$(grep -c 'tiebreak: vote cast=no' "$(host_log "$other")" || true)
# The holder fences it within a second of the split, after which its status
# cannot be asked: its log (kept on the run dir) tells as well.
lost_other_before=$(grep -c 'event: quorum-lost' "$(host_log "$other")" || true)
t0=$(harness_now_ms)
host_isolate "$other"
other_not_quorate() {
	[ "$(grep -c 'event: quorum-lost' "$(host_log "$other")" || true)" -gt "$lost_other_before" ] ||
		[ "$(jq_on "$other" .quorate 2>/dev/null)" = false ]
}
wait_until 30 other_not_quorate || harness_fail "isolated node$other stayed quorate"
t_other=$(($(harness_now_ms) - t0))
holder_alone_quorate() {
	[ "$(jq_on "$holder" .quorate)" = true ] &&
		[ "$(jq_on "$holder" "[.hosts[] | select(.member)] | length")" = 1 ]
}
wait_until 30 holder_alone_quorate || harness_fail "holder node$holder not quorate alone"
t_holder=$(($(harness_now_ms) - t0))
# Its havmd hears of the split (and the holder leaving the group) at once.
[ "$(grep -c 'tiebreak: vote cast=no' "$(host_log "$other")" || true)" -gt "$no_before" ] ||
	harness_fail "isolated node$other did not withdraw its vote"
harness_pass "split: node$holder quorate alone (${t_holder} ms), node$other not quorate (${t_other} ms)"

fenced() { history_has "$holder" "host=node$other nodeid=$other result=off-verified level=1 "; }
wait_until 60 fenced || harness_fail "isolated node$other not fenced (history: $(fence_history "$holder"))"
[ "$(fence_history "$holder" | grep -c "result=off-verified" || true)" = 1 ] ||
	harness_fail "expected exactly one fence: $(fence_history "$holder")"
[ "$(grep -c 'event: fence-started ' "$(host_log "$other")" || true)" = 0 ] ||
	harness_fail "the isolated host tried to fence someone"
lost_after=$(grep -c 'event: quorum-lost' "$(host_log "$holder")" || true)
[ "$lost_after" = "$lost_before" ] || harness_fail "the holder lost quorum during the split"
[ "$(jq_on "$holder" .quorate)" = true ] || harness_fail "holder not quorate after the fence"
harness_pass "the holder fenced node$other exactly once and never lost quorum; node$other fenced no one"
