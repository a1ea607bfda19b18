#!/bin/bash
# run-ocf-tests.sh -- the OCF agent agents/vm as Pacemaker runs it, with no
# libvirtd, qemu or sanlock: meta-data against resource-agents' DTD
# (ra-api-1.dtd), validate-all's exit codes for good and bad parameters,
# the actions' codes, and monitor/start against libvirt's in-process test
# driver (test:///default, whose own domain "test" always runs).
#
# Prints PASS:/FAIL: lines and "ocf: N passed, M failed"; exits 1 if any
# failed. Needs no root. xmllint (libxml2-utils) and the DTD (resource-agents)
# are required: missing ones FAIL, naming the package, rather than skip.
#
# AGENT overrides the binary; by default agents/vm of the build tree.
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
if [ -z "${AGENT:-}" ]; then
	if [ -n "${srcdir:-}" ] && [ -x agents/vm ]; then
		AGENT=$PWD/agents/vm
	else
		AGENT=$root/agents/vm
	fi
fi
DTD=${OCF_DTD:-/usr/share/resource-agents/ra-api-1.dtd}
passed=0 failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

pass() { echo "PASS: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }

# run WANT NAME ACTION [VAR=VALUE ...]: the agent with only these
# OCF_RESKEY_ variables (and PATH); its stderr in $tmp/err.
run() {
	local want=$1 name=$2 action=$3 rc=0
	shift 3
	env -i PATH="$PATH" "$@" "$AGENT" "$action" >"$tmp/out" 2>"$tmp/err" || rc=$?
	if [ "$rc" = "$want" ]; then
		pass "$name: exit $rc"
	else
		fail "$name: exit $rc, want $want; stderr: $(head -c 400 "$tmp/err")"
	fi
	return 0
}

# A reason line for Pacemaker, mentioning WORD.
reason_has() {
	if grep -q "^ocf-exit-reason:.*$1" "$tmp/err"; then
		pass "reason names '$1': $(grep '^ocf-exit-reason:' "$tmp/err" | head -1)"
	else
		fail "no ocf-exit-reason naming '$1' in: $(cat "$tmp/err")"
	fi
}

[ -x "$AGENT" ] || { echo "FAIL: no agent at $AGENT"; exit 1; }

# --- meta-data ---
run 0 "meta-data" meta-data
cp "$tmp/out" "$tmp/meta.xml"
if ! command -v xmllint >/dev/null; then
	fail "xmllint missing: apt-get install libxml2-utils"
elif [ ! -f "$DTD" ]; then
	fail "$DTD missing: apt-get install resource-agents"
elif out=$(xmllint --noout --dtdvalid "$DTD" "$tmp/meta.xml" 2>&1); then
	pass "meta-data is valid against $DTD"
else
	fail "meta-data against $DTD: $out"
fi
for p in config hypervisor lease_path lease_slot migration_transport migration_uri stop_timeout \
	unsafe_migration_for_tests; do
	grep -q "<parameter name=\"$p\"" "$tmp/meta.xml" || fail "meta-data lacks parameter $p"
done
for a in start stop monitor migrate_to migrate_from reload validate-all meta-data; do
	grep -q "<action name=\"$a\"" "$tmp/meta.xml" || fail "meta-data lacks action $a"
done
grep -q '<version>1.1</version>' "$tmp/meta.xml" && pass "meta-data says OCF 1.1" ||
	fail "meta-data lacks <version>1.1</version>"

# --- the command line ---
rc=0; "$AGENT" >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] && pass "no action: exit 2" || fail "no action: exit $rc, want 2"
run 3 "unknown action" promote
run 0 "usage" usage

# --- validate-all ---
xml=$tmp/vm1.xml
cat >"$xml" <<XML
<domain type='kvm'>
  <name>vm1</name>
  <memory unit='MiB'>32</memory>
  <os><type>hvm</type></os>
  <devices>
    <disk type='file' device='disk'><source file='$tmp/vm1.img'/><target dev='vda'/></disk>
  </devices>
</domain>
XML
: >"$tmp/leases"
run 0 "validate-all, config only" validate-all OCF_RESKEY_config="$xml"
run 0 "reload (= validate-all)" reload OCF_RESKEY_config="$xml"
run 0 "validate-all with a lease" validate-all OCF_RESKEY_config="$xml" \
	OCF_RESKEY_lease_path="$tmp/leases" OCF_RESKEY_lease_slot=3
run 0 "validate-all, every parameter" validate-all OCF_RESKEY_config="$xml" \
	OCF_RESKEY_lease_path="$tmp/leases" OCF_RESKEY_lease_slot=1023 \
	OCF_RESKEY_migration_transport=tcp OCF_RESKEY_migration_uri=tcp://%n \
	OCF_RESKEY_stop_timeout=30 OCF_RESKEY_hypervisor=qemu:///system
run 6 "validate-all without config" validate-all
reason_has "config"
run 6 "validate-all, relative config" validate-all OCF_RESKEY_config=vm1.xml
run 5 "validate-all, config missing" validate-all OCF_RESKEY_config="$tmp/none.xml"
reason_has "No such file"
echo 'not xml' >"$tmp/bad.xml"
run 6 "validate-all, config not XML" validate-all OCF_RESKEY_config="$tmp/bad.xml"
sed 's/<name>vm1/<name>bad name/' "$xml" >"$tmp/badname.xml"
run 6 "validate-all, bad domain name" validate-all OCF_RESKEY_config="$tmp/badname.xml"
sed "s|<disk type='file'|<disk type='network'|" "$xml" >"$tmp/net.xml"
run 6 "validate-all, network disk" validate-all OCF_RESKEY_config="$tmp/net.xml"
reason_has "network"
run 6 "validate-all, lease_path without lease_slot" validate-all OCF_RESKEY_config="$xml" \
	OCF_RESKEY_lease_path="$tmp/leases"
reason_has "lease_slot"
run 6 "validate-all, lease_slot without lease_path" validate-all OCF_RESKEY_config="$xml" \
	OCF_RESKEY_lease_slot=1
run 6 "validate-all, lease_slot 1024" validate-all OCF_RESKEY_config="$xml" \
	OCF_RESKEY_lease_path="$tmp/leases" OCF_RESKEY_lease_slot=1024
run 6 "validate-all, lease_slot abc" validate-all OCF_RESKEY_config="$xml" \
	OCF_RESKEY_lease_path="$tmp/leases" OCF_RESKEY_lease_slot=abc
run 5 "validate-all, lease area missing" validate-all OCF_RESKEY_config="$xml" \
	OCF_RESKEY_lease_path="$tmp/none.leases" OCF_RESKEY_lease_slot=1
run 6 "validate-all, lease with a remote hypervisor" validate-all OCF_RESKEY_config="$xml" \
	OCF_RESKEY_lease_path="$tmp/leases" OCF_RESKEY_lease_slot=1 \
	OCF_RESKEY_hypervisor=qemu+ssh://kvm2/system
run 6 "validate-all, migration_transport rdma" validate-all OCF_RESKEY_config="$xml" \
	OCF_RESKEY_migration_transport=rdma
run 6 "validate-all, stop_timeout 5s" validate-all OCF_RESKEY_config="$xml" \
	OCF_RESKEY_stop_timeout=5s
run 6 "validate-all, hypervisor not a URI" validate-all OCF_RESKEY_config="$xml" \
	OCF_RESKEY_hypervisor=qemu

# --- monitor and probes ---
run 7 "probe, config missing" monitor OCF_RESKEY_config="$tmp/none.xml" \
	OCF_RESKEY_CRM_meta_interval=0
run 5 "recurring monitor, config missing" monitor OCF_RESKEY_config="$tmp/none.xml" \
	OCF_RESKEY_CRM_meta_interval=10000
run 5 "stop, config missing (cannot prove it stopped)" stop OCF_RESKEY_config="$tmp/none.xml"
run 1 "monitor, libvirt unreachable" monitor OCF_RESKEY_config="$xml" \
	OCF_RESKEY_hypervisor=test:///nonexistent/havm-ocf-test.xml
reason_has "libvirt"
# test:///default: a fresh in-process driver per run, its domain "test" running.
sed 's/<name>vm1/<name>test/' "$xml" >"$tmp/test.xml"
run 0 "monitor, domain running (test driver)" monitor OCF_RESKEY_config="$tmp/test.xml" \
	OCF_RESKEY_hypervisor=test:///default
run 0 "probe, domain running (test driver)" monitor OCF_RESKEY_config="$tmp/test.xml" \
	OCF_RESKEY_hypervisor=test:///default OCF_RESKEY_CRM_meta_interval=0
run 7 "monitor, domain unknown (test driver)" monitor OCF_RESKEY_config="$xml" \
	OCF_RESKEY_hypervisor=test:///default
run 0 "start, already running (test driver)" start OCF_RESKEY_config="$tmp/test.xml" \
	OCF_RESKEY_hypervisor=test:///default
run 0 "start without a lease (test driver)" start OCF_RESKEY_config="$xml" \
	OCF_RESKEY_hypervisor=test:///default
run 0 "stop, not running (test driver)" stop OCF_RESKEY_config="$xml" \
	OCF_RESKEY_hypervisor=test:///default
run 0 "stop, running (test driver)" stop OCF_RESKEY_config="$tmp/test.xml" \
	OCF_RESKEY_hypervisor=test:///default OCF_RESKEY_stop_timeout=0
run 2 "migrate_to without a target" migrate_to OCF_RESKEY_config="$tmp/test.xml" \
	OCF_RESKEY_hypervisor=test:///default
run 2 "migrate_to, target with a slash" migrate_to OCF_RESKEY_config="$tmp/test.xml" \
	OCF_RESKEY_hypervisor=test:///default OCF_RESKEY_CRM_meta_migrate_target=a/b
run 1 "migrate_from, domain not there" migrate_from OCF_RESKEY_config="$xml" \
	OCF_RESKEY_hypervisor=test:///default

echo "ocf: $passed passed, $failed failed"
[ "$failed" = 0 ]
