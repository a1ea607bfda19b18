#!/bin/bash
# deps.sh -- install what havm needs to build and to run its tests and demo
# on Debian 12 (as root). Installs only what is missing; safe to re-run.
set -euo pipefail
packages=(
	# build
	build-essential autoconf automake libtool pkg-config
	# libraries havm links (configure names each one it misses)
	libcpg-dev libquorum-dev libvotequorum-dev libcmap-dev libcorosync-common-dev
	libqb-dev libsanlock-dev libvirt-dev libxml2-dev libconfig-dev libfreeipmi-dev libsnmp-dev
	libsystemd-dev libcmocka-dev libjson-c-dev
	# the real parts the test cluster runs. libvirt: the daemon, its QEMU
	# driver, virsh (and virt-xml-validate), the sanlock lock driver. Not
	# libvirt-daemon-system: it would bring systemd units and init scripts
	# that start a machine-wide libvirtd, polkit, iptables and a default
	# network; the harness runs one libvirtd per simulated host instead.
	corosync sanlock libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients
	libvirt-sanlock qemu-system-x86 qemu-utils freeipmi-tools ipmitool openipmi
	snmp snmptrapd smitools
	# test tooling: namespaces, JSON, fuzzing, unit checks, man pages, and
	# fence-agents' metadata schema with xmllint to validate our agent
	iproute2 util-linux procps jq clang systemd groff-base man-db
	fence-agents libxml2-utils
	# release checks (scripts/packages.sh): the Debian packages and lintian
	dpkg-dev debhelper fakeroot lintian
)
if [ "$(id -u)" != 0 ]; then
	echo "deps.sh: run as root (it installs Debian packages)" >&2
	exit 1
fi
missing=()
for p in "${packages[@]}"; do
	[ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" = installed ] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "deps.sh: installing ${missing[*]}"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The group allowed to use the havm CLI (Pacemaker's name for it).
getent group haclient >/dev/null || groupadd -r haclient
# libvirtd refuses to start without the user libvirt-qemu and the groups
# kvm and libvirt-qemu, which only libvirt-daemon-system creates. (The
# harness creates them too if missing; the test VMs run as root.)
getent group kvm >/dev/null || groupadd -r kvm
getent group libvirt-qemu >/dev/null || groupadd -r libvirt-qemu
getent passwd libvirt-qemu >/dev/null ||
	useradd -r -g libvirt-qemu -G kvm -d /var/lib/libvirt -s /usr/sbin/nologin -c "Libvirt Qemu" libvirt-qemu
echo "deps.sh: all packages present"
