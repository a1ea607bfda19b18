#!/bin/bash
# check-mib.sh: conf/HAVM-MIB.txt loads in net-snmp (snmptranslate) and
# passes smilint -l 3 (when smitools is installed) without a message.
# Both need the base MIBs HAVM-MIB imports (SNMPv2-SMI, SNMPv2-TC,
# SNMPv2-CONF), which Debian keeps out of main (snmp-mibs-downloader, in
# non-free): HAVM_IETF_MIBS names their directory (default
# /usr/share/snmp/mibs/ietf); without them the check is skipped (77).
set -u
here=$(cd "$(dirname "$0")" && pwd)
conf=$(cd "$here/../../conf" && pwd)
ietf=${HAVM_IETF_MIBS:-/usr/share/snmp/mibs/ietf}
if [ ! -f "$ietf/SNMPv2-SMI.txt" ] && [ ! -f "$ietf/SNMPv2-SMI" ]; then
	echo "check-mib: no SNMPv2-SMI in $ietf (set HAVM_IETF_MIBS): skipped"
	exit 77
fi
command -v snmptranslate >/dev/null || { echo "check-mib: no snmptranslate: skipped"; exit 77; }
rc=0
out=$(snmptranslate -m HAVM-MIB -M "$ietf:$conf" -On HAVM-MIB::havmEventNotification 2>&1)
if [ "$out" != ".1.3.6.1.4.1.99999.0.1" ]; then
	echo "check-mib: snmptranslate: $out"
	rc=1
fi
if command -v smilint >/dev/null; then
	out=$(SMIPATH="$ietf:$conf" smilint -l 3 "$conf/HAVM-MIB.txt" 2>&1)
	[ -z "$out" ] || { echo "check-mib: smilint -l 3: $out"; rc=1; }
else
	echo "check-mib: no smilint (apt-get install smitools): not linted"
fi
[ "$rc" = 0 ] && echo "check-mib: HAVM-MIB loads and lints cleanly"
exit "$rc"
