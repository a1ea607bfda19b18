#!/bin/bash
# The cluster configuration (the protected VMs) kept the same on every
# host. Three hosts with sanlock, the storage and a vms group, no libvirt
# (nothing here needs a VM to run: the VMs stay pending or stopped). node3
# is fenced by a test agent that takes 300 s to act, so a partitioned node3
# is never powered off during the test.
#  - changes from every host (add with every option, stop, start, remove)
#    reach all: `havm configure show` byte-identical, the same version in
#    `havm vm list --json`, and the same /var/lib/havm/cluster.conf;
#  - show -> load -> show round-trips (same text, one version more), and a
#    load that edits a VM takes effect;
#  - load checks all of a file first: one bad line changes nothing, and the
#    message names FILE:LINE; refused input, each with a clear message and
#    no change: an unknown VM for remove (exit 6), an unknown host in
#    --prefer, an XML outside vms.shared_dir, an unreadable XML, a file that
#    is not a domain XML, out-of-range or malformed numbers (exit 2);
#  - a host whose havmd is stopped while changes are made takes the newest
#    version when it comes back (its cluster.conf too);
#  - without quorum (node3 cut off) a change is refused with a clear
#    message, the quorate side goes on, and node3 catches up when the link
#    returns;
#  - the crash test: 40 adds and removes from node1 while havmd on node2,
#    then on node1 itself, is killed with SIGKILL at random moments and
#    started again: every change the CLI acknowledged (exit 0) is on every
#    host, all hosts agree, and every host's saved cluster.conf loads when
#    its havmd starts again (no cluster.conf.bad.*).
set -euo pipefail
export HARNESS_SANLOCK=1 HARNESS_BMC=1
. "$(dirname "${BASH_SOURCE[0]}")/../checks.sh"
liar_log() { printf '%s/liar.log\n' "$HARNESS_RUNDIR"; }
harness_extra_config() {
	FENCE_LEVELS_3="( { name = \"node3-slow\"; type = \"agent\"; agent = \"$HARNESS_REPO/tests/cluster/fence_havm_test_liar\"; args = ( \"log=$(liar_log)\", \"delay=300\" ); } )" \
		FENCE_TIMEOUT_MS=120000 FENCE_STORAGE=1 \
		FENCE_EXTRA="vms: { shared_dir = \"$(harness_vm_dir)\"; };" write_fence_conf "$1"
}

storage_cluster 3
for v in a1 a2 a3 a4 a5 a6; do vm_define "$v" >/dev/null || harness_fail "vm_define $v"; done

version_on() { havm_on "$1" vm list --json | jq -r .version; }
show_on() { havm_on "$1" configure show; }
saved_on() { cat "$(harness_host_path "$1" /var/lib/havm/cluster.conf)"; }
# agree HOST...: the hosts show the same text and version, and have saved
# the same file, which begins with that version.
agree() {
	local i s0 v0 f0
	s0=$(show_on "$1") && v0=$(version_on "$1") && f0=$(saved_on "$1") || return 1
	[ "$(printf '%s\n' "$f0" | head -n1)" = "version $v0" ] || return 1
	for i in "${@:2}"; do
		[ "$(show_on "$i")" = "$s0" ] && [ "$(version_on "$i")" = "$v0" ] &&
			[ "$(saved_on "$i")" = "$f0" ] || return 1
	done
}
# expect_refused EXIT PATTERN HOST ARGS...: havm ARGS on HOST exits EXIT
# with a message matching PATTERN, and nothing changed anywhere.
expect_refused() {
	local want=$1 pat=$2 i=$3 rc=0 out before
	shift 3
	before=$(version_on 1)/$(show_on 1 | md5sum)
	out=$(havm_on "$i" "$@" 2>&1) || rc=$?
	[ "$rc" = "$want" ] || harness_fail "havm $* on node$i: exit $rc, want $want: $out"
	printf '%s\n' "$out" | grep -Eq -- "$pat" || harness_fail "havm $* on node$i: message '$out' does not match '$pat'"
	[ "$(version_on 1)/$(show_on 1 | md5sum)" = "$before" ] || harness_fail "havm $* on node$i changed the configuration"
	REFUSED_MSG=$(printf '%s' "$out" | head -n1)
}

# --- changes from every host ---------------------------------------------
[ "$(version_on 1)" = 0 ] && [ -z "$(show_on 1)" ] || harness_fail "the cluster starts with a configuration: $(show_on 1)"
havm_on 1 vm add a1 --xml "$(vm_xml a1)" --priority 10 --prefer node2,node3 --avoid node1 \
	--anti-affinity web --stopped >/dev/null || harness_fail "vm add a1 on node1"
havm_on 2 vm add a2 --xml "$(vm_xml a2)" --priority -5 --max-restarts 1 --restart-window 300 \
	--anti-affinity web --stopped >/dev/null || harness_fail "vm add a2 on node2"
havm_on 3 vm add a3 --xml "$(vm_xml a3)" --stopped >/dev/null || harness_fail "vm add a3 on node3"
havm_on 3 vm start a3 >/dev/null || harness_fail "vm start a3 on node3"
havm_on 2 vm stop a3 >/dev/null || harness_fail "vm stop a3 on node2"
havm_on 1 vm add a4 --xml "$(vm_xml a4)" --stopped >/dev/null || harness_fail "vm add a4 on node1"
havm_on 2 vm remove a4 >/dev/null || harness_fail "vm remove a4 on node2"
wait_until 30 agree 1 2 3 || harness_fail "the hosts do not agree: $(for i in 1 2 3; do echo "node$i v$(version_on "$i"):"; show_on "$i"; done)"
[ "$(version_on 1)" = 7 ] || harness_fail "version $(version_on 1) after 7 changes"
want="vm a1 xml=$(vm_xml a1) priority=10 prefer=node2,node3 avoid=node1 anti-affinity=web state=stopped
vm a2 xml=$(vm_xml a2) priority=-5 anti-affinity=web max-restarts=1 restart-window=300 state=stopped
vm a3 xml=$(vm_xml a3) state=stopped"
[ "$(show_on 3)" = "$want" ] || harness_fail "configure show on node3:
$(show_on 3)
want:
$want"
harness_pass "7 changes made on node1, node2 and node3 (add with every option, start, stop, remove): every host shows the same text at version 7, and saved the same cluster.conf"

# --- show -> load -> show ----------------------------------------------------
f=$HARNESS_RUNDIR/shown.conf
show_on 2 >"$f"
out=$(havm_on 1 configure load "$f") || harness_fail "configure load of configure show's output: $out"
[ "$(show_on 3)" = "$(cat "$f")" ] || harness_fail "show -> load -> show differs: $(diff <(show_on 3) "$f")"
wait_until 30 agree 1 2 3 || harness_fail "the hosts do not agree after the load"
[ "$(version_on 2)" = 8 ] || harness_fail "version $(version_on 2) after the load, want 8"
sed 's/priority=-5/priority=7/' "$f" >"$f.edit"
printf 'vm a5 xml=%s \\\n    prefer=node3 # a continued line, a comment\n' "$(vm_xml a5)" >>"$f.edit"
havm_on 3 configure load "$f.edit" >/dev/null || harness_fail "configure load of an edited file"
wait_until 30 agree 1 2 3 || harness_fail "the hosts do not agree after the edited load"
show_on 1 | grep -q "^vm a2 .*priority=7 " || harness_fail "the edit did not take: $(show_on 1)"
show_on 1 | grep -qx "vm a5 xml=$(vm_xml a5) prefer=node3" || harness_fail "a5 not added by load: $(show_on 1)"
harness_pass "configure show -> load -> show: the same text (version 8); a load that edits a priority and adds a VM takes effect everywhere (version 9)"

# --- refused input -------------------------------------------------------------
bad=$HARNESS_RUNDIR/bad.conf
{ show_on 1 | head -n 2; echo "vm a6 xml=$(vm_xml a6) priority=5000"; show_on 1 | tail -n +3; } >"$bad"
expect_refused 1 "$bad:3: .*priority" 1 configure load "$bad"
harness_pass "a load with one bad line (3 of $(wc -l <"$bad")) changes nothing: $REFUSED_MSG"
{ show_on 1; echo "vm a6 xml=$(vm_xml a6) slot=3"; } >"$bad"
expect_refused 1 "$bad:$(wc -l <"$bad"): .*slot" 2 configure load "$bad"
harness_pass "a load that sets slot= is refused, naming the line: $REFUSED_MSG"
{ show_on 1; echo "vm a6 xml=$(vm_xml a6)"; echo "vm a1 xml=$(vm_xml a1)"; } >"$bad"
expect_refused 1 "$bad:$(wc -l <"$bad"): " 3 configure load "$bad"
harness_pass "a load naming a VM twice is refused, naming the line: $REFUSED_MSG"
{ show_on 1; echo "vm a6 xml=$(harness_vm_dir)/nosuch.xml"; } >"$bad"
expect_refused 1 "nosuch.xml" 1 configure load "$bad"
harness_pass "a load whose XML is missing changes nothing: $REFUSED_MSG"

expect_refused 6 "a9|no .*VM|not protected" 2 vm remove a9
harness_pass "vm remove of an unknown VM: exit 6: $REFUSED_MSG"
expect_refused 6 "a9|no .*VM|not protected" 3 vm stop a9
harness_pass "vm stop of an unknown VM: exit 6: $REFUSED_MSG"
expect_refused 1 'node9' 1 vm add a6 --xml "$(vm_xml a6)" --prefer node2,node9
harness_pass "vm add --prefer with an unknown host refused: $REFUSED_MSG"
expect_refused 1 'node9' 2 vm add a6 --xml "$(vm_xml a6)" --avoid node9
harness_pass "vm add --avoid with an unknown host refused: $REFUSED_MSG"
{ show_on 1; echo "vm a6 xml=$(vm_xml a6) prefer=node7"; } >"$bad"
expect_refused 1 'node7' 3 configure load "$bad"
harness_pass "a load with an unknown host refused: $REFUSED_MSG"
outside=$HARNESS_RUNDIR/outside
mkdir -p "$outside"
cp "$(vm_xml a6)" "$outside/a6.xml" # its disk is under vms.shared_dir
expect_refused 1 'not under vms.shared_dir' 1 vm add a6 --xml "$outside/a6.xml"
harness_pass "vm add of an XML outside vms.shared_dir refused: $REFUSED_MSG"
sed "s|$(harness_vm_dir)/a6.img|$outside/a6.img|" "$(vm_xml a6)" >"$(harness_vm_dir)/a6-outdisk.xml"
cp "$(vm_disk a6)" "$outside/a6.img"
expect_refused 1 'a6.img.* not under a shared directory' 2 vm add a6 --xml "$(harness_vm_dir)/a6-outdisk.xml"
harness_pass "vm add of an XML whose disk is outside vms.shared_dir refused: $REFUSED_MSG"
expect_refused 1 'nosuch.xml' 1 vm add a6 --xml "$(harness_vm_dir)/nosuch.xml"
harness_pass "vm add of a missing XML refused: $REFUSED_MSG"
printf 'this is not a domain\n' >"$(harness_vm_dir)/junk.xml"
expect_refused 1 'junk.xml' 3 vm add junk --xml "$(harness_vm_dir)/junk.xml"
harness_pass "vm add of a file that is not a domain XML refused: $REFUSED_MSG"
expect_refused 1 'a5' 1 vm add a6 --xml "$(vm_xml a5)"
harness_pass "vm add whose XML names another domain refused: $REFUSED_MSG"
expect_refused 1 'a1' 2 vm add a1 --xml "$(vm_xml a1)"
harness_pass "vm add of a VM protected already refused: $REFUSED_MSG"
expect_refused 2 'priority' 1 vm add a6 --xml "$(vm_xml a6)" --priority 5000
expect_refused 2 'priority' 1 vm add a6 --xml "$(vm_xml a6)" --priority 01
expect_refused 2 'max-restarts' 2 vm add a6 --xml "$(vm_xml a6)" --max-restarts abc
expect_refused 2 'restart-window' 3 vm add a6 --xml "$(vm_xml a6)" --restart-window 0
expect_refused 2 'xml' 3 vm add a6 --xml a6.xml
harness_pass "bad numbers and a relative --xml refused with exit 2, naming the option: $REFUSED_MSG"
wait_until 30 agree 1 2 3 || harness_fail "the hosts disagree after the refusals"

# --- a host away while changes are made --------------------------------------
v_before=$(version_on 3)
host_signal 3 TERM havmd || harness_fail "cannot stop havmd on node3"
wait_until 20 out_is no-havmd host_state_on 1 3 || harness_fail "node1 does not see node3's havmd gone"
havm_on 1 vm add a6 --xml "$(vm_xml a6)" --stopped >/dev/null || harness_fail "vm add a6 with node3's havmd stopped"
havm_on 2 vm remove a5 >/dev/null || harness_fail "vm remove a5 with node3's havmd stopped"
havm_on 1 vm start a1 >/dev/null || harness_fail "vm start a1 with node3's havmd stopped"
v_now=$(version_on 1)
[ "$(saved_on 3 | head -n1)" = "version $v_before" ] || harness_fail "node3's cluster.conf changed while its havmd was stopped"
host_start_havmd 3 || harness_fail "cannot start havmd on node3"
wait_until 60 agree 1 2 3 || harness_fail "node3 did not catch up: v$(version_on 3 2>&1) $(show_on 3 2>&1)"
harness_pass "node3's havmd stopped at version $v_before; 3 changes made (version $v_now); restarted, it took the newest: same text, version $v_now, and its cluster.conf"

# --- no quorum -----------------------------------------------------------------
host_isolate 3
wait_until 30 out_is false jq_on 3 .quorate || harness_fail "node3 still quorate when cut off"
wait_until 30 sees_online 1 2 || harness_fail "node1 does not see 2 online"
expect_refused 1 'quorum' 3 vm remove a6
harness_pass "node3 cut off, without quorum: a change is refused: $REFUSED_MSG"
havm_on 2 vm stop a1 >/dev/null || harness_fail "the quorate side cannot change the configuration"
v_q=$(version_on 1)
[ "$(version_on 3)" = "$((v_q - 1))" ] || harness_fail "node3 is at version $(version_on 3) without quorum"
host_unisolate 3
wait_until 60 all_agree_online 3 1 1 2 3 || harness_fail "node3 did not rejoin"
wait_until 60 agree 1 2 3 || harness_fail "node3 did not catch up after the partition"
grep -qx off-done "$(liar_log)" 2>/dev/null && harness_fail "node3 was fenced"
harness_pass "the quorate side changed it (version $v_q); node3 rejoined and took it"

# --- the crash test ----------------------------------------------------------
NC=40
for c in $(seq 1 $NC); do vm_define "c$c" >/dev/null || harness_fail "vm_define c$c"; done
declare -A want # name -> 1 present, 0 absent: what the CLI acknowledged
acked=0 unacked=0
# killer VICTIM SECS MAXGAP: kill havmd on VICTIM with SIGKILL at random
# moments (0 to MAXGAP s after it answers again), restart it, for SECS
# seconds (in the background); the count goes to kills.VICTIM.
killer() {
	local victim=$1 end=$((SECONDS + $2)) gap=$3 n=0
	while [ $SECONDS -lt $end ]; do
		sleep "$((RANDOM % gap)).$((RANDOM % 10))"
		host_kill_proc "$victim" havmd 2>/dev/null && n=$((n + 1))
		sleep "0.$((RANDOM % 10))"
		host_start_havmd "$victim" >/dev/null 2>&1 || true
		wait_until 10 havm_on "$victim" status >/dev/null 2>&1 || true
	done
	echo "$n" >"$HARNESS_RUNDIR/kills.$victim"
}
# op C: change number C from node1: remove an acknowledged VM every third
# time, else add cC.
op() {
	local c=$1 name verb rc=0 k
	name=
	if [ $((c % 3)) = 0 ]; then
		for k in "${!want[@]}"; do [ "${want[$k]}" = 1 ] && { name=$k; break; }; done
	fi
	if [ -n "$name" ]; then
		verb=remove
		havm_on 1 vm remove "$name" >/dev/null 2>>"$HARNESS_RUNDIR/crash.err" || rc=$?
	else
		verb=add name=c$c
		havm_on 1 vm add "$name" --xml "$(vm_xml "$name")" --stopped >/dev/null 2>>"$HARNESS_RUNDIR/crash.err" || rc=$?
	fi
	echo "$c $verb $name rc=$rc" >>"$HARNESS_RUNDIR/crash.ops"
	if [ "$rc" = 0 ]; then
		acked=$((acked + 1))
		if [ $verb = add ]; then want[$name]=1; else want[$name]=0; fi
	else
		unacked=$((unacked + 1))
		# not acknowledged: it may or may not have been made
		want[$name]=x
	fi
}
t_crash=$(date +%s)
killer 2 40 3 &
kpid=$!
harness_bg_track "$kpid"
for c in $(seq 1 $((NC / 2))); do op "$c"; done
wait "$kpid" || true
wait_until 30 havm_on 2 status >/dev/null 2>&1 || host_start_havmd 2 || true
killer 1 40 2 &
kpid=$!
harness_bg_track "$kpid"
for c in $(seq $((NC / 2 + 1)) $NC); do
	op "$c"
	# the origin's havmd is down: try the next change a moment later
	havmd_alive 1 || sleep 0.3
done
wait "$kpid" || true
havmd_alive 1 || host_start_havmd 1 || harness_fail "cannot start havmd on node1 after the crash test"
havmd_alive 2 || host_start_havmd 2 || harness_fail "cannot start havmd on node2 after the crash test"
echo "INFO: crash test: $acked changes acknowledged, $unacked not, in $(($(date +%s) - t_crash)) s; havmd killed $(cat "$HARNESS_RUNDIR/kills.2") times on node2, $(cat "$HARNESS_RUNDIR/kills.1") on node1"
[ "$acked" -ge 10 ] || harness_fail "only $acked of $NC changes acknowledged: $(tail -n 5 "$HARNESS_RUNDIR/crash.err")"
wait_until 90 agree 1 2 3 || harness_fail "the hosts do not agree after the crash test: $(for i in 1 2 3; do echo "node$i v$(version_on "$i" 2>&1)"; done)"
missing=
for i in 1 2 3; do
	s=$(show_on "$i")
	for k in "${!want[@]}"; do
		case ${want[$k]} in
		1) printf '%s\n' "$s" | grep -q "^vm $k " || missing="$missing node$i:$k(added)" ;;
		0) printf '%s\n' "$s" | grep -q "^vm $k " && missing="$missing node$i:$k(removed)" ;;
		esac
	done
done
[ -z "$missing" ] || harness_fail "acknowledged changes lost:$missing"
harness_pass "crash test: all $acked acknowledged changes (of $NC) are on every host; the hosts agree at version $(version_on 1)"

# Every saved cluster.conf loads: each havmd, killed and started again,
# reads its own at the cluster's version (it would set a bad one aside as
# cluster.conf.bad.* and say so).
v=$(version_on 1)
for i in 1 2 3; do
	n=$(wc -l <"$(host_log "$i")")
	host_kill_proc "$i" havmd || harness_fail "kill havmd on node$i"
	host_start_havmd "$i" || harness_fail "start havmd on node$i"
	wait_until 20 sh -c "tail -n +$((n + 1)) '$(host_log "$i")' | grep -q 'vm: cluster configuration loaded version=$v '" ||
		harness_fail "node$i's havmd did not load its saved configuration at version $v: $(tail -n +$((n + 1)) "$(host_log "$i")" | grep 'vm: ' | head -5)"
	wait_until 30 all_agree_online 3 1 1 2 3 || harness_fail "cluster not formed after restarting havmd on node$i"
done
bads=$(ls "$HARNESS_RUNDIR"/n*/fs/var/lib/havm/ 2>/dev/null | grep -c 'cluster.conf.bad' || true)
[ "$bads" = 0 ] || harness_fail "a saved configuration was set aside as bad"
grep -l 'cannot read the saved cluster configuration' "$HARNESS_RUNDIR"/n*/havmd.log &&
	harness_fail "a havmd could not read its saved configuration"
wait_until 30 agree 1 2 3 || harness_fail "the hosts do not agree after the restarts"
harness_pass "every host's cluster.conf loads at version $v when its havmd starts again; none set aside as bad"
