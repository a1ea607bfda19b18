#!/bin/bash
# Alert scripts, on real parts (three hosts, simulated BMCs): each host's
# havm.conf names one script that appends its environment to a file per
# sending host, and a second one that hangs.
#  - `havm alert test` on node2: node2's script runs (the event is about
#    node2) with HAVM_ALERT_KIND=alert-test, the cluster, the node, a
#    timestamp, the sequence, CRM_alert_kind=havm, PATH, and nothing of
#    havmd's environment;
#  - node3 loses power: the coordinator (node1) sends host-lost,
#    fence-started and fence-succeeded for node3; node2 sends none of them
#    (each cluster-wide event goes out once);
#  - the hanging script is killed at its time limit and logged;
#  - a flood of 10000 test events on node1: havm status keeps answering
#    (the worst reply time is printed), scripts run at most per_minute
#    times plus the summary, an alerts-suppressed event counts the rest,
#    and havmd's memory does not grow.
set -euo pipefail
export HARNESS_BMC=1
. "$(dirname "${BASH_SOURCE[0]}")/../checks.sh"
# ALERT_DIR is in the run dir, which harness_init makes (HARNESS_RUNDIR is
# empty before): harness_init calls harness_extra_config for each host.
harness_extra_config() {
	ALERT_DIR=$HARNESS_RUNDIR/alerts
	FENCE_EXTRA="alerts: { scripts = ( \"$ALERT_DIR/record.sh\", \"$ALERT_DIR/hang.sh\" ); timeout_ms = 2000; per_minute = 20; min_severity = \"notice\"; };" \
		write_fence_conf "$1"
}
harness_require_root
harness_init 3
ALERT_DIR=$HARNESS_RUNDIR/alerts
mkdir -p "$ALERT_DIR"
cat >"$ALERT_DIR/record.sh" <<EOF
#!/bin/sh
# One line per alert: the sender, then every variable, sorted.
{ printf 'ALERT from=%s ' "\$HAVM_ALERT_FROM"; env | sort | tr '\n' ' '; echo; } >>"$ALERT_DIR/got.\$HAVM_ALERT_FROM"
EOF
cat >"$ALERT_DIR/hang.sh" <<'EOF'
#!/bin/sh
exec sleep 1000
EOF
chmod 755 "$ALERT_DIR/record.sh" "$ALERT_DIR/hang.sh"
start_cluster 3

got() { cat "$ALERT_DIR/got.$1" 2>/dev/null || true; }
out=$(havm_on 2 alert test) || harness_fail "havm alert test: $out"
tested() { got node2 | grep -q 'HAVM_ALERT_KIND=alert-test '; }
wait_until 20 tested || harness_fail "node2's script did not get the test alert: $(got node2)"
line=$(got node2 | grep 'HAVM_ALERT_KIND=alert-test ' | head -1)
for want in 'HAVM_ALERT_NODE=node2 ' 'HAVM_ALERT_NODEID=2 ' 'HAVM_ALERT_CLUSTER=' 'HAVM_ALERT_SEVERITY=notice ' \
	'HAVM_ALERT_TIMESTAMP=20[0-9-]*T[0-9:.]*Z ' 'HAVM_ALERT_SEQUENCE=[0-9]' 'CRM_alert_kind=havm ' 'PATH=/usr/sbin'; do
	printf '%s\n' "$line" | grep -Eq -- "$want" || harness_fail "the test alert lacks $want: $line"
done
! printf '%s\n' "$line" | grep -Eq '(^| )(HOME|NOTIFY_SOCKET|LANG|HAVM_HARNESS[A-Z_]*)=' ||
	harness_fail "the script saw havmd's environment: $line"
harness_pass "havm alert test on node2: its script got $(printf '%s' "$line" | tr ' ' '\n' | grep -c '=') variables: $(printf '%s' "$line" | cut -c1-160)"

host_poweroff 3
fenced() { got node1 | grep -q 'HAVM_ALERT_KIND=fence-succeeded .*HAVM_ALERT_NODE=node3 '; }
wait_until 60 fenced || harness_fail "node1's script got no fence-succeeded for node3: $(got node1 | cut -c1-200)"
for kind in host-lost fence-started fence-succeeded; do
	got node1 | grep -q "HAVM_ALERT_KIND=$kind .*HAVM_ALERT_NODE=node3 " || harness_fail "node1 sent no $kind for node3"
	! got node2 | grep -q "HAVM_ALERT_KIND=$kind .*HAVM_ALERT_NODE=node3 " || harness_fail "node2 sent $kind for node3 too"
done
harness_pass "node3 lost power: the coordinator's script got host-lost, fence-started, fence-succeeded; node2's none of them"

killed() { log_has 1 'alerts: script failed path=[^ ]*/hang.sh .*killed at its time limit'; }
wait_until 20 killed || harness_fail "the hanging script was not killed at its time limit"
harness_pass "the hanging script was killed at its time limit (2 s) and logged"

pid=
for p in $(host_pids 1); do
	[ "$(cat "/proc/$p/comm" 2>/dev/null)" = havmd ] && { pid=$p; break; }
done
[ -n "$pid" ] || harness_fail "no havmd on node1"
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$pid/status"; }
rss0=$(rss)
before=$(got node1 | grep -c 'HAVM_ALERT_KIND=alert-test ' || true)
havm_on 1 alert test --count 10000 >/dev/null || harness_fail "havm alert test --count 10000"
worst=0
for i in $(seq 1 20); do
	t0=$(harness_now_ms)
	havm_on 1 status >/dev/null || harness_fail "havm status failed during the flood"
	t=$(($(harness_now_ms) - t0))
	[ "$t" -le "$worst" ] || worst=$t
	sleep 0.2
done
rss1=$(rss)
sent=$(($(got node1 | grep -c 'HAVM_ALERT_KIND=alert-test ' || true) - before))
[ "$sent" -le 20 ] || harness_fail "$sent test alerts ran within the minute (per_minute = 20)"
[ $((rss1 - rss0)) -lt 8192 ] || harness_fail "havmd grew from $rss0 to $rss1 KiB during the flood"
summary() { got node1 | grep -q 'HAVM_ALERT_KIND=alerts-suppressed '; }
wait_until 75 summary || harness_fail "no alerts-suppressed alert within a minute and a quarter"
n=$(got node1 | grep 'HAVM_ALERT_KIND=alerts-suppressed ' | grep -Eo 'suppressed=[0-9]+' | head -1)
harness_pass "flood of 10000: worst havm status reply ${worst} ms; $sent scripts run in the minute; then an alerts-suppressed alert ($n); havmd RSS $rss0 -> $rss1 KiB"
echo "BENCH {\"bench\":\"alerts_flood_status_worst\",\"unit\":\"ms\",\"value\":$worst}"
