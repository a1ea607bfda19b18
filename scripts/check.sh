#!/bin/bash
# check.sh -- install what is missing, build, and run the whole test suite:
# unit tests and golden config tests (make check), a short bounded run of
# each libFuzzer target, the release checks (make distcheck, the Debian
# packages and lintian: scripts/packages.sh), and the scenario tests on a
# real 3-host corosync cluster in network namespaces. Run as root on
# Debian 12.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/deps.sh
scripts/build.sh

failed=0 passed=0
count() { passed=$((passed + $1)); failed=$((failed + $2)); }

echo "== unit and golden tests (make check)"
if make -j"$(nproc)" check >make-check.out 2>&1; then rc=0; else rc=$?; fi
grep -E '^(PASS|FAIL|ERROR|XPASS):' make-check.out || true
# Count single tests: cmocka's per-binary totals and the golden cases.
u_pass=$(cat tests/unit/*.log 2>/dev/null | awk '/\[  PASSED  \]/ { n += $4 } END { print n + 0 }')
u_fail=$(cat tests/unit/*.log 2>/dev/null | awk '/\[  FAILED  \]/ && /test\(s\)/ { n += $4 } END { print n + 0 }')
# Script tests end with "NAME: N passed, M failed" (golden, files, agent, cli, vmchecks).
script_logs() { cat tests/config/*.log tests/conf/*.log tests/fence/*.log tests/cli/*.log tests/cluster/*.log 2>/dev/null; }
g_pass=$(script_logs | awk '/^(golden|files|agent|cli|vmchecks): [0-9]+ passed, [0-9]+ failed/ { n += $2 } END { print n + 0 }')
g_fail=$(script_logs | awk '/^(golden|files|agent|cli|vmchecks): [0-9]+ passed, [0-9]+ failed/ { n += $4 } END { print n + 0 }')
count "$((u_pass + g_pass))" "$((u_fail + g_fail))"
if [ "$rc" != 0 ]; then
	echo "make check failed:"; tail -40 make-check.out
	count 0 1
fi

echo "== fuzzing each wire decoder for ${FUZZ_SECONDS:-20}s"
if make fuzz-run FUZZ_SECONDS="${FUZZ_SECONDS:-20}"; then
	count "$(ls tests/fuzz/fuzz_*.c | wc -l)" 0
else
	count 0 1
fi

echo "== release checks: make distcheck, the Debian packages, lintian"
# About 1.5 minutes on 2 cores; each step is bounded inside packages.sh.
if scripts/packages.sh | tee packages.out; then :; fi
k_pass=$(grep -c '^PASS: ' packages.out || true)
k_fail=$(grep -c '^FAIL: ' packages.out || true)
[ $((k_pass + k_fail)) -gt 0 ] || k_fail=1
count "$k_pass" "$k_fail"

echo "== scenario tests on a real corosync cluster"
if tests/cluster/run-scenarios.sh | tee scenarios.out; then :; fi
s_pass=$(grep -c '^PASS: ' scenarios.out || true)
s_fail=$(grep -c '^FAIL: ' scenarios.out || true)
[ "$s_pass" -gt 0 ] || s_fail=$((s_fail + 1))
count "$s_pass" "$s_fail"

echo "== summary"
printf '%d passed, %d failed\n' "$passed" "$failed"
[ "$failed" = 0 ]
