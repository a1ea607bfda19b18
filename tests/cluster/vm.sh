# shellcheck shell=bash
# shellcheck disable=SC2034  # VM_START_MS and VM_LOCKSPACE are read by scenario scripts
# vm.sh -- test VMs for scenarios on a HARNESS_LIBVIRT=1 cluster: a tiny
# boot disk and a domain XML per VM on the shared storage, and VM leases in
# havm's storage area. checks.sh sources this file (and harness.sh).
#
#   vm_boot_sector FILE [idle|busy]
#       write a 512-byte raw boot disk. idle: `cli; hlt` (FA F4), the vCPU
#       halts for good and uses no CPU; busy: `jmp $` (EB FE), the vCPU
#       spins at 100%. Both end in the boot signature 55 AA (offset 510).
#   vm_disk NAME / vm_xml NAME
#       paths of NAME's disk and domain XML: $(harness_vm_dir)/NAME.img, .xml
#   vm_lease_area
#       havm's storage area: VM_LEASE_AREA, else <shared>/havm.leases (the
#       file storage_cluster has `havm storage init` write)
#   vm_slot_offset K
#       byte offset of VM slot K's lease in the area: (2 + K) MiB
#       (STORAGE_VM_OFFSET in lib/storage.h)
#   vm_lease_init NAME K
#       write VM slot K's lease, free, under the name NAME (sanlock direct
#       init -r havm:NAME:AREA:OFFSET); a lease is acquired by that name
#   vm_define NAME [--slot K] [--busy] [--memory MIB] [--no-shareable]
#       write NAME's own disk and its domain XML; print the XML's path.
#       With --slot K the XML has the lease of slot K (lockspace havm, key
#       NAME), which vm_lease_init must have written before a start.
#   vm_start i NAME
#       `virsh create` NAME's XML on host i (a transient domain, as havm
#       will start them); VM_START_MS = how long it took, success or not
#   vm_state i NAME
#       the domain's state on host i (`virsh domstate`; fails if unknown)
#
# The domain: <domain type='$(harness_domain_type)'>, 32 MiB, one vCPU,
# machine "pc", the boot disk on IDE, no network, graphics, serial, USB or
# balloon. The disk is <shareable/> unless --no-shareable: qemu's own image
# locking would otherwise refuse a second qemu on the same disk file (OFD
# locks on this one machine span every simulated host, as NFSv4 locks would
# but a shared block device's would not), and a scenario could not tell
# whether the lease or the image lock kept a VM from starting twice.

VM_LOCKSPACE=${VM_LOCKSPACE:-havm} # lib/storage.h STORAGE_LOCKSPACE
VM_START_MS=0
_VM_MIB=1048576

vm_disk() { printf '%s/%s.img\n' "$(harness_vm_dir)" "$1"; }
vm_xml() { printf '%s/%s.xml\n' "$(harness_vm_dir)" "$1"; }
vm_lease_area() { printf '%s\n' "${VM_LEASE_AREA:-$(harness_shared_path)/havm.leases}"; }

vm_slot_offset() {
	case ${1:-} in '' | *[!0-9]*) _harness_err "vm_slot_offset: bad slot '${1:-}'"; return 1 ;; esac
	printf '%s\n' "$(((2 + $1) * _VM_MIB))"
}

# A name libvirt, qemu's -name and sanlock (48 bytes) all take as is.
_vm_check_name() {
	case ${1:-} in
	'' | *[!A-Za-z0-9_.-]* | [.-]*)
		_harness_err "bad VM name '${1:-}' (A-Z a-z 0-9 _ . -, not starting with . or -)"
		return 1 ;;
	esac
	if [ "${#1}" -gt 48 ]; then
		_harness_err "VM name '$1' is longer than sanlock's 48 characters"
		return 1
	fi
}

vm_boot_sector() {
	local f=${1:-} kind=${2:-idle} code
	case $kind in
	idle) code='\372\364' ;; # FA F4: cli; hlt
	busy) code='\353\376' ;; # EB FE: jmp $
	*) _harness_err "vm_boot_sector: kind is idle or busy, not '$kind'"; return 1 ;;
	esac
	[ -n "$f" ] || { _harness_err "usage: vm_boot_sector FILE [idle|busy]"; return 1; }
	{
		# shellcheck disable=SC2059 # code is octal escapes for printf
		printf "$code"
		head -c $((510 - 2)) /dev/zero
		printf '\125\252' # 55 AA
	} >"$f.tmp" && mv -f "$f.tmp" "$f"
}

vm_lease_init() {
	local name=${1:-} slot=${2:-} off out
	_vm_check_name "$name" || return 1
	off=$(vm_slot_offset "$slot") || return 1
	_harness_sanlock_tools || return 1
	if ! out=$("$_H_SANLOCK" direct init -r "$VM_LOCKSPACE:$name:$(vm_lease_area):$off" 2>&1); then
		_harness_err "sanlock direct init -r $VM_LOCKSPACE:$name:$(vm_lease_area):$off failed: $out"
		return 1
	fi
}

vm_define() {
	local name=${1:-} slot='' kind=idle mem=32 share=1 lease='' disk xml
	_vm_check_name "$name" || return 1
	shift
	while [ $# -gt 0 ]; do
		case $1 in
		--slot) slot=${2:-}; shift 2 || return 1 ;;
		--busy) kind=busy; shift ;;
		--memory) mem=${2:-}; shift 2 || return 1 ;;
		--no-shareable) share=0; shift ;;
		*) _harness_err "vm_define: unknown option '$1'"; return 1 ;;
		esac
	done
	case $mem in '' | *[!0-9]*) _harness_err "vm_define: bad --memory '$mem'"; return 1 ;; esac
	if [ -n "$slot" ]; then
		lease=$(printf "    <lease>\n      <lockspace>%s</lockspace>\n      <key>%s</key>\n      <target path='%s' offset='%s'/>\n    </lease>" \
			"$VM_LOCKSPACE" "$name" "$(vm_lease_area)" "$(vm_slot_offset "$slot")") || return 1
	fi
	disk=$(vm_disk "$name")
	xml=$(vm_xml "$name")
	mkdir -p "$(harness_vm_dir)" || return 1
	vm_boot_sector "$disk" "$kind" || return 1
	cat >"$xml.tmp" <<-EOF || return 1
		<domain type='$(harness_domain_type)'>
		  <name>$name</name>
		  <memory unit='MiB'>$mem</memory>
		  <vcpu>1</vcpu>
		  <os>
		    <type arch='x86_64' machine='pc'>hvm</type>
		    <boot dev='hd'/>
		  </os>
		  <on_poweroff>destroy</on_poweroff>
		  <on_reboot>restart</on_reboot>
		  <on_crash>destroy</on_crash>
		  <devices>
		    <disk type='file' device='disk'>
		      <driver name='qemu' type='raw'/>
		      <source file='$disk'/>
		      <target dev='hda' bus='ide'/>$([ "$share" = 1 ] && printf '\n      <shareable/>')
		    </disk>$([ -n "$lease" ] && printf '\n%s' "$lease")
		    <controller type='usb' model='none'/>
		    <memballoon model='none'/>
		  </devices>
		</domain>
	EOF
	mv -f "$xml.tmp" "$xml" || return 1
	printf '%s\n' "$xml"
}

vm_start() {
	local i=${1:-} name=${2:-} t0 rc=0
	_vm_check_name "$name" || return 1
	t0=$(harness_now_ms)
	host_virsh "$i" create "$(vm_xml "$name")" || rc=$?
	VM_START_MS=$(($(harness_now_ms) - t0))
	return "$rc"
}

vm_state() {
	local out
	out=$(host_virsh "${1:-}" domstate "${2:-}" 2>/dev/null) || return 1
	printf '%s\n' "$out" | sed '/^$/d'
}
