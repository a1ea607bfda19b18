#!/bin/bash
# SNMP traps, on real parts (three hosts, simulated BMCs): snmptrapd runs in
# the hub namespace on 192.0.2.200 and decodes what it gets with
# conf/HAVM-MIB.txt. Every host's havm.conf names three receivers there:
# one SNMPv2c (port 1162), one SNMPv3 authPriv SHA/AES (port 1163), and a
# v2c one whose community file is readable by others (port 1164).
#  - `havm alert test` on node2: both receivers decode one
#    HAVM-MIB::havmEventNotification each with alertTest(31), notice(5),
#    node2, node id 2, the cluster, the sender, a timestamp and a sequence;
#    the v3 one arrived as "SNMP v3, user havm" (snmptrapd accepts only
#    authPriv for that user), from the engine ID havmd logged;
#  - node3 loses power: the coordinator (node1) sends hostLost,
#    fenceStarted and fenceSucceeded for node3 to both; node2 sends none;
#  - the receiver with the world-readable community file gets nothing,
#    and havmd says why (its password files are held to the IPMI rule).
# The base MIBs HAVM-MIB imports (SNMPv2-SMI, SNMPv2-TC, SNMPv2-CONF) are
# not in Debian main (snmp-mibs-downloader, non-free): HAVM_IETF_MIBS names
# a directory holding them (default /usr/share/snmp/mibs/ietf).
set -euo pipefail
export HARNESS_BMC=1
. "$(dirname "${BASH_SOURCE[0]}")/../checks.sh"
HAVM_SRC=$(cd "$HARNESS_DIR/../.." && pwd)
IETF=${HAVM_IETF_MIBS:-/usr/share/snmp/mibs/ietf}
[ -f "$IETF/SNMPv2-SMI.txt" ] || [ -f "$IETF/SNMPv2-SMI" ] ||
	harness_fail "no SNMPv2-SMI in $IETF: install snmp-mibs-downloader (non-free) or set HAVM_IETF_MIBS to a directory with SNMPv2-SMI, SNMPv2-TC, SNMPv2-CONF, SNMPv2-MIB"
TRAP_ADDR=192.0.2.200
CLUSTER=testclu

# Called by harness_init for each host: $D is in the run dir it makes.
harness_extra_config() {
	local D=$HARNESS_RUNDIR/snmp
	FENCE_EXTRA="alerts: { min_severity = \"notice\"; per_minute = 60; snmp = (
	  { address = \"udp:$TRAP_ADDR:1162\"; version = \"2c\"; community_file = \"$D/community\"; },
	  { address = \"udp:$TRAP_ADDR:1163\"; version = \"3\"; user = \"havm\";
	    auth_password_file = \"$D/auth\"; priv_password_file = \"$D/priv\"; },
	  { address = \"udp:$TRAP_ADDR:1164\"; version = \"2c\"; community_file = \"$D/community.open\"; } ); };" \
		write_fence_conf "$1"
}
harness_require_root
harness_init 3
D=$HARNESS_RUNDIR/snmp
mkdir -p "$D/persist"
(
	umask 077
	echo public >"$D/community"
	echo 'havm-auth-pass-1' >"$D/auth"
	echo 'havm-priv-pass-1' >"$D/priv"
)
echo public >"$D/community.open"
chmod 644 "$D/community.open"

# v3: one usmUser per sender, keyed with its engine ID (alerts_snmp.h:
# 0x8001869f04 then "havm-NODEID-CLUSTER" in ASCII).
engine_id() { printf '0x8001869f04%s' "$(printf 'havm-%s-%s' "$1" "$CLUSTER" | od -An -tx1 | tr -d ' \n')"; }
{
	echo 'authCommunity log public'
	for i in 1 2 3; do
		echo "createUser -e $(engine_id "$i") havm SHA havm-auth-pass-1 AES havm-priv-pass-1"
	done
	echo 'authUser log havm priv'
} >"$D/snmptrapd.conf"
_harness_ip -n "$(_harness_hub)" addr add "$TRAP_ADDR/24" dev "${HARNESS_RUNID}br"
SNMP_PERSISTENT_DIR=$D/persist "$_H_IP" netns exec "$(_harness_hub)" \
	snmptrapd -f -Lf "$D/traps.log" -C -c "$D/snmptrapd.conf" -m SNMPv2-MIB:HAVM-MIB \
	-M "$IETF:$HAVM_SRC/conf" -F 'TRAP %b|%P|%v\n' \
	"udp:$TRAP_ADDR:1162,udp:$TRAP_ADDR:1163,udp:$TRAP_ADDR:1164" >"$D/snmptrapd.out" 2>&1 &
harness_bg_track $!
listening() { grep -q 'NET-SNMP version' "$D/traps.log" 2>/dev/null; }
wait_until 10 listening || harness_fail "snmptrapd did not start: $(cat "$D/snmptrapd.out" "$D/traps.log" 2>/dev/null)"

start_cluster 3

traps() { cat "$D/traps.log" 2>/dev/null || true; }
# One line per trap: "TRAP UDP: [from]:port->[to]:port|TRAP2, SNMP v2c, ...|varbinds".
v2c() { traps | grep -F -- "->[$TRAP_ADDR]:1162|TRAP2, SNMP v2c, community public|" || true; }
v3() { traps | grep -F -- "->[$TRAP_ADDR]:1163|TRAP2, SNMP v3, user havm, " || true; }

out=$(havm_on 2 alert test) || harness_fail "havm alert test: $out"
tested() { v2c | grep -q 'havmEventType.0 = INTEGER: alertTest(31)' && v3 | grep -q 'havmEventType.0 = INTEGER: alertTest(31)'; }
wait_until 20 tested || harness_fail "snmptrapd did not decode the test trap on both receivers: $(traps | tail -5 | cut -c1-300)"
for kind in v2c v3; do
	line=$($kind | grep 'alertTest(31)' | head -1)
	for want in 'SNMPv2-MIB::snmpTrapOID.0 = OID: HAVM-MIB::havmEventNotification' \
		'HAVM-MIB::havmEventSeverity.0 = INTEGER: notice\(5\)' \
		'HAVM-MIB::havmEventNode.0 = STRING: node2' 'HAVM-MIB::havmEventNodeId.0 = Gauge32: 2' \
		'HAVM-MIB::havmEventVm.0 = STRING: ' 'HAVM-MIB::havmEventDescription.0 = STRING: .' \
		'HAVM-MIB::havmEventTimestamp.0 = STRING: 20[0-9]{2}-[0-9]{1,2}-[0-9]{1,2},[0-9:.]+,\+0:0' \
		'HAVM-MIB::havmEventSequence.0 = Counter64: [1-9][0-9]*' \
		"HAVM-MIB::havmEventCluster.0 = STRING: $CLUSTER" 'HAVM-MIB::havmEventFrom.0 = STRING: node2'; do
		printf '%s\n' "$line" | grep -Eq -- "$want" || harness_fail "the $kind test trap lacks $want: $line"
	done
done
# The sequence is the event's: the same in both traps and in havm events.
s2=$(v2c | grep 'alertTest(31)' | head -1 | grep -Eo 'havmEventSequence.0 = Counter64: [0-9]+' | grep -Eo '[0-9]+$')
s3=$(v3 | grep 'alertTest(31)' | head -1 | grep -Eo 'havmEventSequence.0 = Counter64: [0-9]+' | grep -Eo '[0-9]+$')
[ "$s2" = "$s3" ] || harness_fail "the two test traps carry sequences $s2 and $s3"
log_has 2 "alerts: snmp engine_id=$(engine_id 2) nodeid=2" || harness_fail "node2 did not log the engine ID $(engine_id 2)"
harness_pass "havm alert test on node2: HAVM-MIB::havmEventNotification decoded on the v2c and the v3 (authPriv) receiver, sequence $s2: $(v3 | grep 'alertTest(31)' | head -1 | cut -c1-220)"

host_poweroff 3
fenced() { v2c | grep -q 'fenceSucceeded(5).*havmEventNode.0 = STRING: node3' && v3 | grep -q 'fenceSucceeded(5).*havmEventNode.0 = STRING: node3'; }
wait_until 60 fenced || harness_fail "no fenceSucceeded trap for node3 on both receivers: $(traps | tail -5 | cut -c1-300)"
for kind in v2c v3; do
	for ev in 'hostLost(1)' 'fenceStarted(4)' 'fenceSucceeded(5)'; do
		$kind | grep -F "INTEGER: $ev" | grep -q 'havmEventNode.0 = STRING: node3.*havmEventFrom.0 = STRING: node1' ||
			harness_fail "node1 sent no $ev trap for node3 ($kind)"
		! $kind | grep -F "INTEGER: $ev" | grep 'havmEventNode.0 = STRING: node3' | grep -q 'havmEventFrom.0 = STRING: node2' ||
			harness_fail "node2 sent a $ev trap for node3 too ($kind)"
	done
done
harness_pass "node3 lost power: the coordinator's hostLost, fenceStarted, fenceSucceeded traps decoded on both receivers; none from node2"

refused() { log_has 1 "alerts: trap not sent address=udp:$TRAP_ADDR:1164 .*readable by others"; }
wait_until 10 refused || harness_fail "no log of the refused world-readable community file"
! traps | grep -qF -- "->[$TRAP_ADDR]:1164|" || harness_fail "a trap went out with the world-readable community file"
harness_pass "a community file readable by others: no trap, and havmd says why: $(grep -m1 -Eo 'alerts: trap not sent address=udp:[^ ]*:1164 .*' "$(host_log 1)" | cut -c1-200)"
