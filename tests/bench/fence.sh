#!/bin/bash
# fence.sh -- benchmark: how long from a host's power loss until its fence
# is verified off and recorded (the coordinator fences it through its
# simulated BMC: real IPMI 2.0 to ipmi_sim). Not a test: it prints numbers
# (min/median/max and a "BENCH {json}" line); this machine is shared.
#
#   tests/bench/fence.sh [RUNS] [FALLBACK_RUNS]   (as root; default 5 and 1)
#
# Also measures the fallback: the BMC dead with its host, so the host is
# taken as fenced only when sanlock reports its heartbeat dead (io_timeout
# 2 s here; production's 10 s makes it five times longer).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
export HARNESS_BMC=1 HARNESS_SANLOCK=1
. "$here/../cluster/checks.sh"
runs=${1:-5}
fallback_runs=${2:-1}
# The fallback needs a watchdog behind sanlock's "dead"; the test bed has
# none, so the hosts claim one with the test-only unsafe setting.
harness_extra_config() {
	FENCE_STORAGE=1 FENCE_STORAGE_EXTRA='unsafe_no_watchdog_for_tests = true;' write_fence_conf "$1"
}
storage_cluster 3
# node3 has joined the lockspace in its current life: its own havmd says
# so. (Host 1 seeing a live heartbeat is not enough: for some 20 s after a
# power loss, that is still the previous life's.) After a power loss
# sanlock waits out the previous life first, about 80 s here.
joined3() { [ "$(jq_on 3 .storage.state)" = joined ]; }

# wait_record N PATTERN: until host 1's history has N lines matching PATTERN.
wait_record() {
	local n=$1 pat=$2
	[ "$(fence_history 1 | grep -cE -- "$pat" || true)" -ge "$n" ]
}

stats() { # name unit samples...
	local name=$1 unit=$2 sorted min max median
	shift 2
	sorted=$(printf '%s\n' "$@" | sort -n)
	min=$(printf '%s\n' "$sorted" | head -1)
	max=$(printf '%s\n' "$sorted" | tail -1)
	median=$(printf '%s\n' "$sorted" | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print int((a[NR / 2] + a[NR / 2 + 1]) / 2) }')
	printf '%s: min %d %s, median %d %s, max %d %s (%d runs)\n' "$name" "$min" "$unit" "$median" "$unit" "$max" "$unit" "$#"
	printf 'BENCH {"bench":"%s","unit":"%s","runs":%d,"min":%d,"median":%d,"max":%d,"samples":[%s]}\n' \
		"$name" "$unit" "$#" "$min" "$median" "$max" "$(IFS=,; echo "$*")"
}

samples=()
for ((r = 1; r <= runs; r++)); do
	host_poweroff 3
	t0=$HARNESS_LAST_POWEROFF_MS
	until wait_record "$r" 'host=node3 .*result=off-verified'; do
		[ $(($(harness_now_ms) - t0)) -lt 60000 ] || harness_fail "run $r: no fence in 60 s"
		sleep 0.05
	done
	samples+=("$(($(harness_now_ms) - t0))")
	printf 'run %d: power loss -> fence verified and recorded: %d ms\n' "$r" "${samples[-1]}"
	host_start 3
	wait_until 60 all_agree_online 3 1 1 2 3 || harness_fail "run $r: no re-form"
	# Each run starts from a node3 whose current life has joined the
	# lockspace (about 80 s after the power loss), as the first did.
	wait_until 150 joined3 || harness_fail "run $r: node3 did not rejoin the lockspace"
done
stats fence_power_loss_to_verified ms "${samples[@]}"

fb=()
for ((r = 1; r <= fallback_runs; r++)); do
	bmc_stop 3
	host_poweroff 3
	t0=$HARNESS_LAST_POWEROFF_MS
	until wait_record "$r" 'host=node3 .*result=dead-by-storage'; do
		[ $(($(harness_now_ms) - t0)) -lt 240000 ] || harness_fail "fallback run $r: none in 240 s"
		sleep 0.2
	done
	fb+=("$(($(harness_now_ms) - t0))")
	printf 'fallback run %d: power loss, BMC dead -> taken as fenced by storage: %d ms\n' "$r" "${fb[-1]}"
	bmc_start 3
	if [ "$r" -lt "$fallback_runs" ]; then
		host_start 3
		wait_until 60 all_agree_online 3 1 1 2 3 || harness_fail "no re-form"
		wait_until 150 joined3 || harness_fail "node3 did not rejoin the lockspace"
	fi
done
stats fence_fallback_storage_dead ms "${fb[@]}"
