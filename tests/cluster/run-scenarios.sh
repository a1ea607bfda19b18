#!/bin/bash
# run-scenarios.sh -- run every scenario in tests/cluster/scenarios (as root),
# each on a cluster of its own, with its output in a log; print one line per
# scenario and a summary. Exit 1 if any failed.
#
#   tests/cluster/run-scenarios.sh [NAME-PATTERN]
#
# SCENARIO_TIMEOUT (seconds, default 300) bounds each one; a hung scenario
# fails rather than holding CI. Logs: $SCENARIO_LOGDIR (default
# tests/cluster/logs); cluster logs of failed runs are kept (HARNESS_KEEP).
set -uo pipefail
dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
logdir=${SCENARIO_LOGDIR:-$dir/logs}
pattern=${1:-}
mkdir -p "$logdir"
passed=0 failed=0 asserts=0
for s in "$dir"/scenarios/*.sh; do
	name=$(basename "$s" .sh)
	[ -z "$pattern" ] || [[ $name == *$pattern* ]] || continue
	log=$logdir/$name.log
	start=$(date +%s)
	HARNESS_DUMP_ON_FAIL=1 timeout -k 10 "${SCENARIO_TIMEOUT:-300}" bash "$s" >"$log" 2>&1
	rc=$?
	secs=$(($(date +%s) - start))
	n=$(grep -c '^PASS: ' "$log")
	asserts=$((asserts + n))
	# A scenario passes only by exiting 0 having asserted something.
	if [ "$rc" = 0 ] && [ "$n" -gt 0 ] && ! grep -q '^FAIL: ' "$log"; then
		passed=$((passed + 1))
		printf 'PASS: %s (%d checks, %ds)\n' "$name" "$n" "$secs"
	else
		failed=$((failed + 1))
		printf 'FAIL: %s (exit %d, %ds); log %s:\n' "$name" "$rc" "$secs" "$log"
		tail -n 60 "$log" | sed 's/^/  | /'
	fi
done
printf 'scenarios: %d passed, %d failed (%d checks)\n' "$passed" "$failed" "$asserts"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
