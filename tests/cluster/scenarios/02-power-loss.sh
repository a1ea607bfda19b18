#!/bin/bash
# A host whose processes are all killed at once (power loss) is shown
# offline by the others, which stay quorate with the same coordinator;
# powered on again, it rejoins and is online everywhere.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../checks.sh"
scenario_cluster 3

host_poweroff 3
wait_until 20 all_see_state offline 3 1 2 || harness_fail "survivors do not show node3 offline"
harness_pass "node3 offline on hosts 1 and 2 $(($(harness_now_ms) - HARNESS_LAST_POWEROFF_MS)) ms after power loss"
all_agree_online 2 1 1 2 || harness_fail "survivors are not 2 online, quorate, coordinator 1"
log_has 1 'event: daemon-left seq=[0-9]+ host=node3 nodeid=3 .*reason=nodedown' || harness_fail "host 1 did not log node 3 leaving"
harness_pass "survivors quorate with coordinator 1; the departure is logged with reason=nodedown"

host_start 3
wait_until 40 all_agree_online 3 1 1 2 3 || harness_fail "node3 did not rejoin"
harness_pass "node3 powered on again and online everywhere"
