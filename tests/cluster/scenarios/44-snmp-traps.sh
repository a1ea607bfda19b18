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
# a directory holding them (default /usr/share/snmp/mibs/ietf). With them,
# snmptrapd decodes the traps by name with HAVM-MIB; without them (stock
# Debian, CI), it prints numeric OIDs and raw values (-On -m ''), and the
# same checks are made on the numbers, which the script reads from
# conf/HAVM-MIB.txt (the OIDs' "::= { parent n }" and the event types'
# "label(n)"; test_alerts_snmp checks the daemon's against the same file).
set -euo pipefail
export HARNESS_BMC=1
. "$(dirname "${BASH_SOURCE[0]}")/../checks.sh"
HAVM_SRC=$(cd "$HARNESS_DIR/../.." && pwd)
IETF=${HAVM_IETF_MIBS:-/usr/share/snmp/mibs/ietf}
MIB=$HAVM_SRC/conf/HAVM-MIB.txt
if [ -f "$IETF/SNMPv2-SMI.txt" ] || [ -f "$IETF/SNMPv2-SMI" ]; then
	MODE=names
	SNMPTRAPD_MIBS=(-m SNMPv2-MIB:HAVM-MIB -M "$IETF:$HAVM_SRC/conf")
else
	MODE=numeric
	SNMPTRAPD_MIBS=(-On -m '')
fi

# mib_oid NAME: NAME's numeric OID in HAVM-MIB, from its "::= { parent n }"
# up to enterprises (1.3.6.1.4.1, SNMPv2-SMI).
mib_oid() {
	awk -v want="$1" '
	/^[a-z][A-Za-z0-9-]*[ \t]+(OBJECT-TYPE|OBJECT IDENTIFIER|MODULE-IDENTITY|NOTIFICATION-TYPE|MODULE-COMPLIANCE|OBJECT-GROUP|NOTIFICATION-GROUP)/ { name = $1 }
	match($0, /::=[ \t]*\{[ \t]*[A-Za-z][A-Za-z0-9-]*[ \t]+[0-9]+[ \t]*\}/) {
		split(substr($0, RSTART, RLENGTH), a, /[{} \t]+/)
		if (name != "") { par[name] = a[2]; num[name] = a[3]; name = "" }
	}
	END {
		n = want; s = ""
		while (n != "enterprises") {
			if (!(n in par)) exit 1
			s = "." num[n] s; n = par[n]
		}
		print "1.3.6.1.4.1" s
	}' "$MIB"
}
# ev_num LABEL: the havmEventType number of LABEL in HAVM-MIB.
ev_num() { grep -Eo "[[:space:]]$1\([0-9]+\)" "$MIB" | grep -Eo '[0-9]+' | head -1; }
esc() { printf '%s' "$1" | sed 's/\./\\./g'; }
OID_NOTIFICATION=$(mib_oid havmEventNotification) || harness_fail "no havmEventNotification OID in $MIB"
[ "$OID_NOTIFICATION" = 1.3.6.1.4.1.99999.0.1 ] ||
	harness_fail "havmEventNotification is $OID_NOTIFICATION in $MIB; daemon/alerts_snmp.c sends 1.3.6.1.4.1.99999.0.1"
# Patterns (grep -E) for a trap line in either mode.
# vb NAME: the start of NAME's varbind ("... = ").
vb() {
	if [ "$MODE" = names ]; then
		printf 'HAVM-MIB::%s\.0 = ' "$1"
	else
		local o
		o=$(mib_oid "$1") || harness_fail "no $1 in $MIB"
		printf '\.%s\.0 = ' "$(esc "$o")"
	fi
}
# re_enum NAME LABEL: NAME's INTEGER varbind with value LABEL.
re_enum() {
	local n
	n=$(ev_num "$2")
	[ -n "$n" ] || harness_fail "no $2 in $MIB"
	if [ "$MODE" = names ]; then
		printf '%sINTEGER: %s\(%s\)' "$(vb "$1")" "$2" "$n"
	else
		printf '%sINTEGER: %s([[:space:]]|$)' "$(vb "$1")" "$n"
	fi
}
# re_str NAME VALUE: NAME's string varbind with value VALUE (a regex; "" for empty).
re_str() {
	if [ "$MODE" = names ]; then
		printf '%sSTRING: %s' "$(vb "$1")" "$2"
	elif [ -z "$2" ]; then
		printf '%s""([[:space:]]|$)' "$(vb "$1")"
	else
		printf '%sSTRING: "%s' "$(vb "$1")" "$2"
		case $2 in *.) ;; *) printf '"' ;; esac
	fi
}
if [ "$MODE" = names ]; then
	RE_TRAPOID='SNMPv2-MIB::snmpTrapOID\.0 = OID: HAVM-MIB::havmEventNotification([[:space:]]|$)'
	RE_STAMP="$(vb havmEventTimestamp)STRING: 20[0-9]{2}-[0-9]{1,2}-[0-9]{1,2},[0-9:.]+,\\+0:0"
else
	# snmpTrapOID.0 is 1.3.6.1.6.3.1.1.4.1.0 (SNMPv2-MIB, RFC 3418).
	RE_TRAPOID="\\.1\\.3\\.6\\.1\\.6\\.3\\.1\\.1\\.4\\.1\\.0 = OID: \\.$(esc "$OID_NOTIFICATION")([[:space:]]|\$)"
	# DateAndTime, 11 octets: year 20xx (07 xx), month, day, hh, mm, ss, tenths, '+' 0 0 (UTC).
	RE_STAMP="$(vb havmEventTimestamp)Hex-STRING: 07 [0-9A-F]{2}( [0-9A-F]{2}){6} 2B 00 00"
fi
RE_TEST=$(re_enum havmEventType alertTest)
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
	snmptrapd -f -Lf "$D/traps.log" -C -c "$D/snmptrapd.conf" "${SNMPTRAPD_MIBS[@]}" -F 'TRAP %b|%P|%v\n' \
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
tested() { v2c | grep -Eq "$RE_TEST" && v3 | grep -Eq "$RE_TEST"; }
wait_until 20 tested || harness_fail "snmptrapd ($MODE) did not get the test trap on both receivers: $(traps | tail -5 | cut -c1-300)"
RE_SEQ="$(vb havmEventSequence)Counter64: [1-9][0-9]*"
for kind in v2c v3; do
	line=$($kind | grep -E "$RE_TEST" | head -1)
	for want in "$RE_TRAPOID" "$(re_enum havmEventSeverity notice)" \
		"$(re_str havmEventNode node2)" "$(vb havmEventNodeId)Gauge32: 2([[:space:]]|$)" \
		"$(re_str havmEventVm '')" "$(re_str havmEventDescription .)" "$RE_STAMP" "$RE_SEQ" \
		"$(re_str havmEventCluster "$CLUSTER")" "$(re_str havmEventFrom node2)"; do
		printf '%s\n' "$line" | grep -Eq -- "$want" || harness_fail "the $kind test trap ($MODE) lacks $want: $line"
	done
done
# The sequence is the event's: the same in both traps.
s2=$(v2c | grep -E "$RE_TEST" | head -1 | grep -Eo "$RE_SEQ" | grep -Eo '[0-9]+$')
s3=$(v3 | grep -E "$RE_TEST" | head -1 | grep -Eo "$RE_SEQ" | grep -Eo '[0-9]+$')
[ "$s2" = "$s3" ] || harness_fail "the two test traps carry sequences $s2 and $s3"
log_has 2 "alerts: snmp engine_id=$(engine_id 2) nodeid=2" || harness_fail "node2 did not log the engine ID $(engine_id 2)"
if [ "$MODE" = names ]; then
	how="decoded by name with HAVM-MIB (base MIBs in $IETF)"
else
	how="checked by numeric OID (.$OID_NOTIFICATION, havmEventType $(ev_num alertTest)) from conf/HAVM-MIB.txt: no base MIBs in $IETF"
fi
harness_pass "[$MODE] havm alert test on node2: havmEventNotification $how, on the v2c and the v3 (authPriv) receiver, sequence $s2: $(v3 | grep -E "$RE_TEST" | head -1 | cut -c1-220)"

host_poweroff 3
RE_N3=$(re_str havmEventNode node3)
RE_F1=$(re_str havmEventFrom node1)
RE_F2=$(re_str havmEventFrom node2)
RE_FS=$(re_enum havmEventType fenceSucceeded)
fenced() { v2c | grep -E "$RE_FS" | grep -Eq "$RE_N3" && v3 | grep -E "$RE_FS" | grep -Eq "$RE_N3"; }
wait_until 60 fenced || harness_fail "no fenceSucceeded trap for node3 on both receivers ($MODE): $(traps | tail -5 | cut -c1-300)"
for kind in v2c v3; do
	for ev in hostLost fenceStarted fenceSucceeded; do
		re=$(re_enum havmEventType $ev)
		$kind | grep -E "$re" | grep -E "$RE_N3" | grep -Eq "$RE_F1" ||
			harness_fail "node1 sent no $ev trap for node3 ($kind, $MODE)"
		! $kind | grep -E "$re" | grep -E "$RE_N3" | grep -Eq "$RE_F2" ||
			harness_fail "node2 sent a $ev trap for node3 too ($kind, $MODE)"
	done
done
harness_pass "[$MODE] node3 lost power: the coordinator's hostLost($(ev_num hostLost)), fenceStarted($(ev_num fenceStarted)), fenceSucceeded($(ev_num fenceSucceeded)) traps for node3 on both receivers; none from node2"

refused() { log_has 1 "alerts: trap not sent address=udp:$TRAP_ADDR:1164 .*readable by others"; }
wait_until 10 refused || harness_fail "no log of the refused world-readable community file"
! traps | grep -qF -- "->[$TRAP_ADDR]:1164|" || harness_fail "a trap went out with the world-readable community file"
harness_pass "a community file readable by others: no trap, and havmd says why: $(grep -m1 -Eo 'alerts: trap not sent address=udp:[^ ]*:1164 .*' "$(host_log 1)" | cut -c1-200)"
