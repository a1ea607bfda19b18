/*
 * vm_params.h: the OCF resource agent's parameters (OCF_RESKEY_*), read
 * and checked strictly, and the URIs built from them. Pure: the values
 * come through a lookup function (getenv in the agent, a table in tests),
 * nothing here touches a file, libvirt or sanlock.
 */
#ifndef HAVM_AGENT_VM_PARAMS_H
#define HAVM_AGENT_VM_PARAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* OCF exit codes (OCF resource agent API 1.1). */
enum ocf_rc {
	OCF_SUCCESS = 0,
	OCF_ERR_GENERIC = 1,
	OCF_ERR_ARGS = 2,
	OCF_ERR_UNIMPLEMENTED = 3,
	OCF_ERR_PERM = 4,
	OCF_ERR_INSTALLED = 5,
	OCF_ERR_CONFIGURED = 6,
	OCF_NOT_RUNNING = 7,
};

enum vm_transport {
	VM_TRANSPORT_SSH,
	VM_TRANSPORT_TLS,
	VM_TRANSPORT_TCP
};

#define VM_DEFAULT_HYPERVISOR "qemu:///system"
#define VM_STOP_GRACE_DEFAULT_MS 30000u /* no stop_timeout, no meta timeout (by hand) */
#define VM_STOP_TIMEOUT_MAX_S 86400u
#define VM_URI_MAX 512

struct vm_params {
	const char *config;        /* the domain XML's path */
	const char *hypervisor;    /* libvirt URI */
	const char *lease_path;    /* NULL: no lease is injected */
	uint32_t lease_slot;       /* with lease_path */
	const char *migration_uri; /* NULL: libvirt's default; "%n" is the target */
	enum vm_transport transport;
	uint32_t stop_grace_ms; /* ACPI shutdown, then destroy */
	bool unsafe_migration;  /* unsafe_migration_for_tests: VIR_MIGRATE_UNSAFE */
	bool probe;             /* monitor with CRM_meta_interval 0 */
};

/* A lookup of OCF_RESKEY_<KEY> (KEY without the prefix): the value or NULL. */
typedef const char *(*vm_param_get)(const char *key, void *ctx);

/*
 * Read and check every parameter. 0, or OCF_ERR_CONFIGURED with a message
 * in ERR: config missing or not absolute; hypervisor not a URI; lease_path
 * not absolute; lease_slot missing with lease_path, given without it, or
 * not an integer from 0 to STORAGE_VM_SLOTS - 1; migration_transport not
 * ssh, tls or tcp; stop_timeout not an integer from 0 to
 * VM_STOP_TIMEOUT_MAX_S; unsafe_migration_for_tests not a boolean (true,
 * false, yes, no, on, off, 1, 0, as Pacemaker reads them); CRM_meta_timeout or CRM_meta_interval not
 * integers (milliseconds). Empty values count as absent (crm and pcs pass
 * a parameter deleted from the CIB as "").
 */
int vm_params_read(struct vm_params *p, vm_param_get get, void *ctx, char *err, size_t errlen);

/*
 * The libvirt URI of TARGET's hypervisor for a migration: HYPERVISOR's
 * driver and path with TRANSPORT and TARGET as host ("qemu:///system",
 * tls, "kvm2" -> "qemu+tls://kvm2/system"). 0, or -EINVAL for a target
 * that is not a host name or address, a hypervisor URI that cannot be
 * read, or a result longer than LEN.
 */
int vm_dest_uri(const char *hypervisor, enum vm_transport transport, const char *target, char *out,
		size_t len);

/* MIGRATION_URI with each "%n" replaced by TARGET: 0 or -EINVAL (too long,
 * bad target). */
int vm_migration_uri(const char *migration_uri, const char *target, char *out, size_t len);

/* Whether HYPERVISOR is the local system qemu (qemu:///system), the one
 * whose qemu pid files the agent knows where to find (for the lease). */
bool vm_hypervisor_is_local_system(const char *hypervisor);

#endif
