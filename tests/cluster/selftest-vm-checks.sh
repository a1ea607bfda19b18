#!/bin/bash
# selftest-vm-checks.sh -- the VM checks of checks.sh and vm.sh can fail:
# assert_never_two against crafted sample files (a VM on two hosts in one
# sample must fail, naming the time and hosts; the same VM moving between
# samples must pass; no samples must fail), and the boot sectors and domain
# XML that vm.sh writes (bytes, libvirt's schema). No root, no cluster:
# part of make check.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=checks.sh
. "$(dirname "${BASH_SOURCE[0]}")/checks.sh"

pass=0 fail=0
ok() { pass=$((pass + 1)); echo "PASS: $*"; }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# --- assert_never_two ------------------------------------------------------
t=1700000000000
{
	echo "$t"
	echo "$((t + 200)) vm1@1 vm2@3"
	echo "$((t + 400)) vm2@3"           # vm1 gone from host 1 ...
	echo "$((t + 600)) vm1@2 vm2@3"     # ... and back on host 2: a move, fine
	echo "$((t + 800)) vm1@2 vm1@2 vm2@3" # the same host twice is not two hosts
} >"$tmp/moved"
if out=$(assert_never_two "$tmp/moved"); then
	ok "a VM that moves between samples passes: $out"
else
	bad "a clean sample file failed: $out"
fi
case $out in "5 samples over 0.8 s, never a VM on two hosts at once") ;;
*) bad "unexpected summary '$out'" ;; esac

{
	cat "$tmp/moved"
	echo "$((t + 1000)) vm2@3 vm1@2 vm1@1"
	echo "$((t + 1200)) vm1@1"
} >"$tmp/double"
if out=$(assert_never_two "$tmp/double"); then
	bad "a sample with vm1 on hosts 2 and 1 passed: $out"
else
	ok "a crafted double fails: $(echo "$out" | head -1)"
	echo "$out" | grep -q "^VM vm1 on hosts 2 1 at [0-9:.]* ($((t + 1000)) ms, sample 6)$" ||
		bad "the failure does not name the VM, both hosts and the time: $out"
fi

# A paused qemu beside a running one (a start the lease refused, a
# migration's destination) is not a second running VM, unless strict.
{
	echo "$t vm1@1 vm1@2:paused"
	echo "$((t + 200)) vm1@1:paused vm1@2"
	echo "$((t + 400)) vm1@2:paused vm1@3:paused"
} >"$tmp/paused"
if out=$(assert_never_two "$tmp/paused"); then
	ok "paused qemu beside a running one pass: $out"
	[ "$out" = "3 samples over 0.4 s, never a VM on two hosts at once (a paused qemu beside the running one in 2)" ] ||
		bad "unexpected summary '$out'"
else
	bad "paused qemu counted as running: $out"
fi
if out=$(ASSERT_STRICT=1 assert_never_two "$tmp/paused"); then
	bad "ASSERT_STRICT=1 passed vm1 on 1 and 2:paused"
else
	[ "$(echo "$out" | grep -c '^VM vm1 on hosts ')" = 3 ] && ok "ASSERT_STRICT=1 counts paused qemu: $(echo "$out" | tail -1)" ||
		bad "ASSERT_STRICT=1: $out"
fi

# A name with @ in it still splits at the last @.
echo "$t a@b@1 a@b@2" >"$tmp/at"
if out=$(assert_never_two "$tmp/at"); then bad "a@b on hosts 1 and 2 passed"; else ok "names split at the last @: $(echo "$out" | head -1)"; fi

: >"$tmp/empty"
if out=$(assert_never_two "$tmp/empty"); then bad "an empty sample file passed"; else ok "no samples fails: $out"; fi
if out=$(assert_never_two "$tmp/missing"); then bad "a missing sample file passed"; else ok "a missing file fails: $out"; fi

# --- vm.sh ------------------------------------------------------------------
vm_boot_sector "$tmp/idle.img" idle
vm_boot_sector "$tmp/busy.img" busy
hex() { od -An -tx1 -v "$1" | tr -d ' \n'; }
zeros=$(printf '%01016d' 0)
want_idle="faf4${zeros:0:1016}55aa"
want_busy="ebfe${zeros:0:1016}55aa"
[ "$(stat -c %s "$tmp/idle.img")" = 512 ] && [ "$(hex "$tmp/idle.img")" = "$want_idle" ] &&
	ok "idle boot sector: FA F4 (cli; hlt), 55 AA at 510, 512 bytes" || bad "idle boot sector: $(hex "$tmp/idle.img")"
[ "$(hex "$tmp/busy.img")" = "$want_busy" ] &&
	ok "busy boot sector: EB FE (jmp \$), 55 AA at 510" || bad "busy boot sector: $(hex "$tmp/busy.img")"

HARNESS_RUNDIR=$tmp/run # where harness_shared_path points; no cluster needed
xml=$(vm_define vm-a --slot 3) || bad "vm_define failed"
xml_b=$(vm_define vm-b --busy --memory 48 --no-shareable) || bad "vm_define --busy failed"
if command -v virt-xml-validate >/dev/null; then
	for x in "$xml" "$xml_b"; do
		if out=$(virt-xml-validate "$x" domain 2>&1); then
			ok "$(basename "$x") is valid against libvirt's domain schema"
		else
			bad "$(basename "$x"): $out"
		fi
	done
else
	echo "SKIP: virt-xml-validate not installed (libvirt-clients)"
fi
grep -q "<target path='$tmp/run/shared/havm.leases' offset='$((5 * 1048576))'/>" "$xml" &&
	grep -q '<key>vm-a</key>' "$xml" && grep -q '<lockspace>havm</lockspace>' "$xml" &&
	grep -q '<shareable/>' "$xml" &&
	ok "slot 3's lease is at 5 MiB of <shared>/havm.leases, key vm-a, lockspace havm" ||
	bad "lease of vm-a: $(cat "$xml")"
! grep -q '<lease>\|<shareable/>' "$xml_b" && grep -q "<memory unit='MiB'>48</memory>" "$xml_b" &&
	[ "$(hex "$(vm_disk vm-b)")" = "$want_busy" ] &&
	ok "vm-b: no lease, not shareable, 48 MiB, busy disk of its own" || bad "vm-b: $(cat "$xml_b")"
if vm_define 'bad name' 2>/dev/null || vm_define -x 2>/dev/null ||
	vm_define "$(printf 'v%.0s' {1..49})" 2>/dev/null; then
	bad "vm_define took a name libvirt/sanlock cannot"
else
	ok "vm_define refuses bad names (spaces, leading -, over 48 characters)"
fi

echo "vmchecks: $pass passed, $fail failed"
[ "$fail" = 0 ]
