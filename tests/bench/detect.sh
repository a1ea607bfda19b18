#!/bin/bash
# detect.sh -- benchmark: how long from a host's power loss until every
# survivor's `havm status` shows it offline. Not a test: it asserts nothing
# about speed (this machine is shared and noisy); it prints numbers.
#
#   tests/bench/detect.sh [RUNS]        (as root; default 5 runs)
#
# Each run powers off one host of a 3-host cluster (all its processes
# SIGKILLed at once), polls both survivors' `havm status --json` as fast as
# the CLI answers, and records when both show it offline. The host is then
# started again and the cluster re-forms before the next run. Prints
# min/median/max and one JSON line (prefix "BENCH ") for machines.
# corosync: token 1000 ms, token_coefficient 0 (conf/corosync.conf.example).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
. "$here/../cluster/checks.sh"
runs=${1:-5}
harness_require_root
harness_init 3
start_cluster 3

both_offline() {
	local victim=$1 i
	for i in 1 2 3; do
		[ "$i" = "$victim" ] && continue
		[ "$(host_state_on "$i" "$victim")" = offline ] || return 1
	done
	return 0
}

samples=()
for ((r = 1; r <= runs; r++)); do
	victim=3
	host_poweroff "$victim"
	t0=$HARNESS_LAST_POWEROFF_MS
	deadline=$((t0 + 30000))
	until both_offline "$victim"; do
		[ "$(harness_now_ms)" -lt "$deadline" ] || harness_fail "run $r: not detected in 30 s"
	done
	ms=$(($(harness_now_ms) - t0))
	samples+=("$ms")
	printf 'run %d: %d ms\n' "$r" "$ms"
	host_start "$victim"
	wait_until 60 all_agree_online 3 1 1 2 3 || harness_fail "run $r: cluster did not re-form"
done

sorted=$(printf '%s\n' "${samples[@]}" | sort -n)
min=$(printf '%s\n' "$sorted" | head -1)
max=$(printf '%s\n' "$sorted" | tail -1)
median=$(printf '%s\n' "$sorted" | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print int((a[NR / 2] + a[NR / 2 + 1]) / 2) }')
printf 'power loss -> offline on every survivor: min %d ms, median %d ms, max %d ms (%d runs)\n' \
	"$min" "$median" "$max" "$runs"
printf 'BENCH {"bench":"detect_power_loss","unit":"ms","runs":%d,"min":%d,"median":%d,"max":%d,"samples":[%s]}\n' \
	"$runs" "$min" "$median" "$max" "$(IFS=,; echo "${samples[*]}")"
