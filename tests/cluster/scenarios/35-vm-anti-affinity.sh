#!/bin/bash
# Anti-affinity on real parts: three hosts with libvirtd + qemu, sanlock and
# simulated BMCs; protected VMs in two anti-affinity groups, and a big VM
# that prefers node3, so that free memory alone would crowd the groups onto
# node1 and node2:
#   big   priority 100, half a host's memory, prefer node3
#   db1 db2          priority 50, group db
#   web1 web2 web3   priority 10, group web
#  - at the start every group is spread over distinct hosts, web3 on node3
#    although node1 and node2 have more free memory (its vm-placed reason
#    names the group);
#  - the host running db1 (and a web VM) loses power. db1 goes to the one
#    survivor without a db VM, although the other has more free memory; the
#    web VM must share (two survivors, three web VMs) and goes to the
#    survivor with the most free memory, its reason saying it shares; both
#    where `havm plan --fail` said.
# A sampler of every host's qemu processes never sees a VM on two hosts.
set -euo pipefail
export HARNESS_SANLOCK=1 HARNESS_BMC=1 HARNESS_LIBVIRT=1
. "$(dirname "${BASH_SOURCE[0]}")/../checks.sh"
harness_extra_config() {
	FENCE_STORAGE=1 FENCE_EXTRA="vms: { shared_dir = \"$(harness_vm_dir)\"; };" \
		write_fence_conf "$1"
}
# is WANT CMD...: CMD prints WANT (for wait_until, which runs CMD anew each time).
is() {
	local want=$1
	shift
	[ "$("$@" 2>/dev/null)" = "$want" ]
}

storage_cluster 3

vm_host() { vms_json "$1" | jq -r ".vms[] | select(.name == \"$2\") | .host"; }
vms_brief() { vms_json "$1" | jq -c '[.vms[] | {name, status, host, reason}]'; }
# placed_text i VM: "HOST TEXT" of the newest vm-placed event of VM on host i.
placed_text() {
	havm_on "$1" events -n 300 --json |
		jq -r --arg v "$2" '[.[] | select(.type == "vm-placed" and .vm == $v)] | last | "\(.host) \(.text)"'
}

wait_until 120 is 3 ready_hosts 1 ||
	harness_fail "the hosts never became ready for VMs: $(vms_json 1 | jq -c '.hosts')"
host_mib=$(vms_json 1 | jq '[.hosts[] | .mem_free_mib] | min')
big_mib=$((host_mib / 2))
harness_pass "every host ready for VMs, ${host_mib} MiB each; big VM of ${big_mib} MiB"

ALL="big db1 db2 web1 web2 web3"
conf=$HARNESS_RUNDIR/vms.conf
vm_define big --memory "$big_mib" >/dev/null || harness_fail "vm_define big"
printf 'vm big xml=%s priority=100 prefer=node3\n' "$(vm_xml big)" >"$conf"
for v in db1 db2 web1 web2 web3; do
	vm_define "$v" --memory 1024 >/dev/null || harness_fail "vm_define $v"
	printf 'vm %s xml=%s priority=%s anti-affinity=%s\n' "$v" "$(vm_xml "$v")" \
		"$(case $v in db*) echo 50 ;; *) echo 10 ;; esac)" "${v%[0-9]}" >>"$conf"
done
out=$(havm_on 2 configure load "$conf") || harness_fail "havm configure load: $out"

samples=$HARNESS_RUNDIR/vm.samples
vm_sampler_start "$samples"
wait_until 90 is 6 count_status 2 running ||
	harness_fail "not every VM runs: $(vms_brief 2)"
one_host() { [ "$(vm_hosts "$1" | wc -w)" = 1 ]; }
declare -A at
for v in $ALL; do
	wait_until 10 one_host "$v" || harness_fail "$v runs on hosts '$(vm_hosts "$v")'"
	at[$v]=$(vm_hosts "$v")
	[ "node${at[$v]}" = "$(vm_host 1 "$v")" ] || harness_fail "$v runs on node${at[$v]}, havm says $(vm_host 1 "$v")"
done
placement=$(for v in $ALL; do printf '%s@node%s ' "$v" "${at[$v]}"; done)
[ "${at[big]}" = 3 ] || harness_fail "big is not on its preferred node3: $placement"
distinct() { [ "$(printf '%s\n' "$@" | sort -u | wc -l)" = $# ]; }
distinct "${at[web1]}" "${at[web2]}" "${at[web3]}" || harness_fail "the web VMs share a host: $placement"
distinct "${at[db1]}" "${at[db2]}" || harness_fail "the db VMs share a host: $placement"
# The web VM on node3 is there for its group: node1 and node2 had more room.
# on_host H VM...: those of the VMs that run on host H.
on_host() {
	local h=$1 v
	shift
	for v in "$@"; do [ "${at[$v]}" != "$h" ] || echo "$v"; done
}
w3=$(on_host 3 web1 web2 web3)
c=$(coordinator_of 1)
why=$(placed_text "$c" "$w3")
case $why in "node3 reason=\"anti-affinity group web, then most free memory"*) ;;
*) harness_fail "vm-placed of $w3 on node3: '$why'" ;; esac
harness_pass "each group on distinct hosts: $placement; $w3: $why"

# Fail db1's host: db1 must go where there is no db VM, the web VM there
# must share a host with another web VM.
vi=${at[db1]}
victim=node$vi
db_free=${at[db2]}
nodb=$((6 - vi - db_free))
wv=$(on_host "$vi" web1 web2 web3)
[ -n "$wv" ] || harness_fail "no web VM on $victim: $placement"
mem_db=$(vms_json 1 | jq --arg h "node$db_free" '.hosts[] | select(.name == $h) | .mem_free_mib')
mem_nodb=$(vms_json 1 | jq --arg h "node$nodb" '.hosts[] | select(.name == $h) | .mem_free_mib')
[ "$mem_db" -gt "$mem_nodb" ] ||
	harness_fail "node$db_free ($mem_db MiB free) should have more room than node$nodb ($mem_nodb MiB)"

rc=0
plan=$(havm_on 2 plan --fail "$victim" --json) || rc=$?
[ "$rc" = 0 ] || harness_fail "havm plan --fail $victim exited $rc: $plan"
plan_db1=$(echo "$plan" | jq -r '.vms[] | select(.name == "db1") | "\(.status) \(.target)"')
plan_wv=$(echo "$plan" | jq -r --arg v "$wv" '.vms[] | select(.name == $v) | "\(.status) \(.target) \(.reason)"')
[ "$plan_db1" = "would-start node$nodb" ] || harness_fail "plan for db1: '$plan_db1', want node$nodb"
case $plan_wv in "would-start node$db_free "*"shares anti-affinity group web (no host without it fits)"*) ;;
*) harness_fail "plan for $wv: '$plan_wv', want node$db_free (most free memory), sharing" ;; esac
harness_pass "havm plan --fail $victim: db1 -> node$nodb (no db VM; node$db_free has $mem_db MiB free, node$nodb $mem_nodb), $wv -> node$db_free, sharing"

t0=$(harness_now_ms)
bmc_ipmitool "$vi" chassis power off >/dev/null || harness_fail "power off through $victim's BMC"
back() { vm_runs_on db1 "$nodb" && vm_runs_on "$wv" "$db_free"; }
wait_until 120 back ||
	harness_fail "db1 runs on '$(vm_hosts db1)' (want $nodb), $wv on '$(vm_hosts "$wv")' (want $db_free): $(vms_brief 2)"
took=$(($(harness_now_ms) - t0))
harness_pass "db1 runs on node$nodb and $wv on node$db_free, ${took} ms after $victim lost power"

c=$(coordinator_of 2)
wait_until 30 is 6 count_status "$c" running ||
	harness_fail "not all six run: $(vms_brief "$c")"
why_db=$(placed_text "$c" db1)
why_wv=$(placed_text "$c" "$wv")
case $why_db in "node$nodb reason=\"anti-affinity group db, then most free memory"*) ;;
*) harness_fail "vm-placed of db1: '$why_db'" ;; esac
case $why_wv in "node$db_free reason=\"most free memory"*"; shares anti-affinity group web (no host without it fits)\""*) ;;
*) harness_fail "vm-placed of $wv: '$why_wv'" ;; esac
distinct "$(vm_hosts db1)" "$(vm_hosts db2)" || harness_fail "db1 and db2 share a host"
webs=$(for v in web1 web2 web3; do vm_hosts "$v"; done | sort | uniq -c | awk '{ printf "%s:%s ", $2, $1 }')
[ "$webs" = "$(for h in 1 2 3; do [ "$h" = "$vi" ] || printf '%s:%s ' "$h" "$([ "$h" = "$db_free" ] && echo 2 || echo 1)"; done)" ] ||
	harness_fail "web VMs per host: $webs"
harness_pass "events: db1 $why_db; $wv $why_wv; web VMs per host (host:count) $webs"

sleep 1
vm_sampler_stop
if verdict=$(assert_never_two "$samples"); then
	harness_pass "sampler: $verdict"
else
	harness_fail "$verdict"
fi
