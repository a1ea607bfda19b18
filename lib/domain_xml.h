/*
 * domain_xml.h: what havm reads from and adds to a libvirt domain XML,
 * through libxml2. Pure (no I/O; the caller reads the file).
 *
 * A protected VM's XML lives on the shared storage; havm checks it when the
 * VM is added and again before every start, and adds the VM's lease itself:
 *   <lease><lockspace>havm</lockspace><key>NAME</key>
 *          <target path='LEASE_PATH' offset='OFFSET'/></lease>
 * inside <devices>, so that libvirt's sanlock lock driver makes the qemu
 * process hold it: a VM then runs on at most one host.
 */
#ifndef HAVM_DOMAIN_XML_H
#define HAVM_DOMAIN_XML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DOMAIN_XML_MAX (1024 * 1024) /* bigger files are refused */

struct domain_info {
	char name[64];         /* <name> */
	char uuid[37];         /* <uuid>, "" if absent */
	uint64_t memory_mib;   /* <memory unit=...> converted (KiB default), rounded up */
	uint32_t vcpus;        /* <vcpu> (default 1) */
	bool has_lease;        /* a <lease> element is already there */
};

/*
 * Read and check XML (LEN bytes). Refused with a message in ERR, -EINVAL:
 * not well-formed XML or not a <domain>; no <name>; a name that is not a
 * valid VM name (vm_config.h); memory missing or 0; a disk
 * (<disk type='file'|'block'> with <source file|dev>, devices
 * 'disk'/'cdrom'/'lun') whose path is not under one of SHARED (N_SHARED
 * absolute directories; a path is under D when it starts with D + "/"
 * after removing repeated and trailing slashes from D, and contains no
 * "/../" or "/./" component); a disk of another type (network, volume:
 * "disk type 'network' is not supported"); a <lease> whose lockspace is
 * not "havm" (a lease of ours is accepted, and replaced on start).
 * No network access, no DTD loading, no entity expansion (XML_PARSE_NONET,
 * no XML_PARSE_NOENT / DTDLOAD).
 */
int domain_xml_read(const char *xml, size_t len, const char *const *shared, size_t n_shared,
		    struct domain_info *out, char *err, size_t errlen);

/*
 * XML with havm's lease for VM NAME: LEASE_PATH (the storage area) at
 * OFFSET; any <lease> already in <devices> with lockspace "havm" is
 * dropped first. Returns a malloc'ed NUL-terminated document (*OUT_LEN its
 * length), or NULL with ERR.
 */
char *domain_xml_with_lease(const char *xml, size_t len, const char *name, const char *lease_path,
			    uint64_t offset, size_t *out_len, char *err, size_t errlen);

#endif
