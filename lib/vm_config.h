/*
 * vm_config.h: the cluster configuration -- the protected VMs and their
 * rules. Cluster-wide state: it changes only through CPG messages that every
 * havmd applies in the same order (daemon/vm_config_sync.c), and each host
 * keeps a copy on its disk (HAVM_STATE_DIR/cluster.conf).
 *
 * Everything here is pure (no I/O) except vmcfg_save/vmcfg_load_file.
 *
 * Text form, one VM per line, crm-like (what `havm configure show` prints
 * and `havm configure load FILE` reads back):
 *
 *   # comment
 *   vm web1 xml=/srv/shared/web1.xml priority=10 prefer=kvm1,kvm2 avoid=kvm3 \
 *       anti-affinity=web max-restarts=3 restart-window=600 state=started
 *
 * Keys may come in any order, each at most once; `xml=` is required, the
 * rest have the defaults below. A trailing backslash continues a line; a
 * word that begins with # begins a comment, to the end of its line (a
 * backslash in a comment continues nothing). Printed, a VM has one form:
 * its keys in the order above, defaults left out (xml= always; state= only
 * when stopped), so show -> load -> show gives the same bytes.
 * Values are bare words (no spaces); names are [A-Za-z0-9][A-Za-z0-9._-]*.
 * The stored form (vmcfg_format with internal=true, and the state file) adds
 * a first line `version N` and, per VM, the keys `slot=`, `memory=` (MiB)
 * and `vcpus=` which havm fills in itself; `internal` parsing requires them,
 * the operator's form refuses them.
 */
#ifndef HAVM_VM_CONFIG_H
#define HAVM_VM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VMCFG_NAME_MAX 63       /* VM, group and host names, without the NUL */
#define VMCFG_PATH_MAX 1023     /* the domain XML's path, without the NUL */
#define VMCFG_HOSTS_MAX 8       /* names in prefer= and in avoid= */
#define VMCFG_VMS_MAX 1024      /* = STORAGE_VM_SLOTS: one lease slot each */
#define VMCFG_PRIORITY_MIN (-1000)
#define VMCFG_PRIORITY_MAX 1000
#define VMCFG_DEFAULT_MAX_RESTARTS 3
#define VMCFG_DEFAULT_RESTART_WINDOW_S 600
#define VMCFG_TEXT_MAX (1024 * 1024) /* the whole text form, stored or sent */
/* slot= not given (to assign on apply). Not 0: slot 0 is a real lease slot. */
#define VMCFG_SLOT_NONE UINT32_MAX

struct vm_spec {
	char name[VMCFG_NAME_MAX + 1];   /* the libvirt domain name */
	char xml[VMCFG_PATH_MAX + 1];    /* absolute path of its domain XML */
	int32_t priority;                /* higher starts first; default 0 */
	char prefer[VMCFG_HOSTS_MAX][VMCFG_NAME_MAX + 1]; /* in order of preference */
	size_t n_prefer;
	char avoid[VMCFG_HOSTS_MAX][VMCFG_NAME_MAX + 1];
	size_t n_avoid;
	char group[VMCFG_NAME_MAX + 1];  /* anti-affinity group; "" none */
	uint32_t max_restarts;           /* within restart_window_s; default 3 */
	uint32_t restart_window_s;       /* default 600 */
	bool stopped;                    /* state=stopped: keep it off */
	/* internal: filled by havm, not by the operator */
	uint32_t slot;                   /* its lease slot, < VMCFG_VMS_MAX, or
					  * VMCFG_SLOT_NONE: to assign */
	uint32_t memory_mib;             /* from the XML */
	uint32_t vcpus;                  /* from the XML */
};

/*
 * Maintenance, cluster-wide state like the VMs (text form):
 *   property maintenance-mode=true   every automatic action paused
 *   node kvm2 maintenance=on         kvm2 emptied of its VMs, then left alone
 *   node kvm2 maintenance=protected  the same for its protected VMs only
 *   node kvm2 maintenance=on vms=web1,db1   and those VMs ran there when it
 *                                    went into maintenance (for failback)
 * printed before the VM lines, the property first, nodes by name; a node
 * line with maintenance=off is read and dropped (it is the default).
 */
#define VMCFG_NODES_MAX 32      /* = HAVM_HOSTS_MAX */
enum vmcfg_maint {
	VMCFG_MAINT_OFF = 0,
	VMCFG_MAINT_ALL = 1,       /* every domain of the host is moved off */
	VMCFG_MAINT_PROTECTED = 2, /* its protected VMs only */
};
#define VMCFG_NODE_VMS_MAX 3000   /* vms=: characters of names and commas */
struct vm_node {
	char name[VMCFG_NAME_MAX + 1];   /* a host of havm.conf (checked by havmd) */
	enum vmcfg_maint maint;          /* never OFF in a configuration */
	/* The protected VMs that ran there when it went into maintenance,
	 * comma-separated ("" none): `havm node maintenance NODE off
	 * --failback` moves them back. */
	char vms[VMCFG_NODE_VMS_MAX + 1];
};

struct vm_config {
	uint64_t version;                /* +1 per change applied; 0: never set */
	bool maintenance;                /* property maintenance-mode */
	/* Parsed only: the text had a node or property line. A replace by a
	 * text without any keeps the maintenance as it is (a file of VMs
	 * must not end a host's maintenance, which would have it fenced). */
	bool head_given;
	size_t n_nodes;
	struct vm_node nodes[VMCFG_NODES_MAX]; /* sorted by name */
	size_t n_vms;
	struct vm_spec vms[VMCFG_VMS_MAX]; /* sorted by name */
};

/* Host NAME's maintenance (VMCFG_MAINT_OFF when it has no node line). */
enum vmcfg_maint vmcfg_node_maint(const struct vm_config *c, const char *name);

/* A spec with every default set and the name given; the rest empty (slot
 * VMCFG_SLOT_NONE, memory and vcpus 0). A NAME longer than VMCFG_NAME_MAX
 * is left out (name ""), never cut into what could be another VM's name. */
void vmcfg_spec_init(struct vm_spec *s, const char *name);

/* Whether NAME is a valid VM, group or host name (see above). */
bool vmcfg_name_ok(const char *name);

/* The VM named NAME, or NULL. */
const struct vm_spec *vmcfg_find(const struct vm_config *c, const char *name);

/*
 * Parse TEXT (LEN bytes, need not be NUL-terminated) into *OUT (whose
 * version is set from the `version` line when INTERNAL, else left 0).
 * Strict: an unknown key, a key twice, a bad number or name, a VM twice,
 * a line over 64 KiB, a NUL byte or more than VMCFG_VMS_MAX VMs is an error
 * "line N: what" in ERR, and *OUT is then unspecified. 0 or -EINVAL.
 * Operator's form (INTERNAL false): slots are left VMCFG_SLOT_NONE, memory
 * and vcpus 0.
 */
int vmcfg_parse(const char *text, size_t len, bool internal, struct vm_config *out, char *err,
		size_t errlen);

/*
 * The text form of C, as vmcfg_parse reads it back (same INTERNAL), VMs
 * sorted by name: a malloc'ed NUL-terminated string (*LEN its length
 * without the NUL), or NULL when out of memory.
 */
char *vmcfg_format(const struct vm_config *c, bool internal, size_t *len);
/* One VM's line (INTERNAL: with slot=, memory=, vcpus=; no newline) into
 * BUF (CAP bytes, the NUL included): its length, or -ENOSPC. For `havm vm
 * show`. slot= is left out when VMCFG_SLOT_NONE (a change's line). */
int vmcfg_format_vm(const struct vm_spec *s, bool internal, char *buf, size_t cap);

/*
 * A change, as carried by the CPG message (which sends the text form):
 *   "add"     SPEC (internal form line; fails if the name exists)
 *   "remove"  NAME
 *   "state"   NAME started|stopped
 *   "replace" a whole operator's-form configuration (configure load)
 * vmcfg_apply applies it to C and bumps C->version by one, or leaves C
 * unchanged and returns -EINVAL/-ENOENT/-EEXIST/-ENOSPC with ERR. It
 * assigns slots: a new VM gets the lowest free slot; on replace, a VM that
 * exists keeps its slot, memory and vcpus unless the new one has them set.
 * Deterministic: every daemon applying the same change to the same
 * configuration gets the same result.
 *   ADD: -EEXIST when the name exists; -ENOSPC when all slots are used;
 *     -EINVAL for a bad spec (memory and vcpus required) or a given slot
 *     that is taken.
 *   REMOVE, STATE: -ENOENT when there is no such VM. STATE to the state
 *     the VM already has is still a change (the version moves).
 *   NODE: -ENOSPC past VMCFG_NODES_MAX hosts in maintenance; clearing a
 *     host not in maintenance is still a change. PROPERTY: always applies.
 *   REPLACE: the maintenance property and node lines are replaced too,
 *     when ALL has any (head_given); else they are kept.
 *     ALL must be sorted by name with no name twice; new VMs need
 *     memory and vcpus; slots given first, then kept, then the lowest free
 *     to each new VM in name order; two VMs wanting one slot: -EINVAL.
 *   Any: -ENOSPC when the stored form would exceed VMCFG_TEXT_MAX (what
 *     vmcfg_load_file would refuse); -EINVAL when the version would wrap.
 */
enum vmcfg_op {
	VMCFG_ADD = 1,
	VMCFG_REMOVE = 2,
	VMCFG_STATE = 3,
	VMCFG_REPLACE = 4,
	VMCFG_NODE = 5,     /* "node NAME maintenance=on|protected|off": set it */
	VMCFG_PROPERTY = 6, /* "property maintenance-mode=true|false" */
};
struct vmcfg_change {
	enum vmcfg_op op;
	struct vm_node node;      /* NODE (maint OFF: clear it) */
	bool maintenance;         /* PROPERTY */
	struct vm_spec spec;      /* ADD: the VM; REMOVE, STATE: name (+ stopped) */
	struct vm_config *all;    /* REPLACE: the new set (slot VMCFG_SLOT_NONE:
				   * to assign; memory, vcpus 0: keep) */
};
int vmcfg_apply(struct vm_config *c, const struct vmcfg_change *ch, char *err, size_t errlen);

/*
 * A change's text form, for the CPG message: "add LINE", "remove NAME",
 * "state NAME started|stopped", or "replace" then a newline and a whole
 * configuration. LINE and the configuration are in the stored form without
 * `version` and where `slot=` may be left out (assigned on apply); memory=
 * and vcpus= are required (the sender read them from the XML).
 * vmcfg_change_format: malloc'ed, NUL-terminated, ending in a newline; NULL
 * when out of memory, for an unknown op, or a replace without ALL.
 * vmcfg_change_parse: strict as vmcfg_parse; 0 or -EINVAL with ERR; a
 * replace allocates OUT->all, which vmcfg_change_free frees.
 */
char *vmcfg_change_format(const struct vmcfg_change *ch, size_t *len);
int vmcfg_change_parse(const char *text, size_t len, struct vmcfg_change *out, char *err,
		       size_t errlen);
void vmcfg_change_free(struct vmcfg_change *ch);

/* A 64-bit hash of C's stored form (FNV-1a): two daemons with the same
 * version and hash hold the same configuration. The `version` line is left
 * out (FNV-1a 64 of the VM lines, each with its newline), so equal contents
 * hash equal whatever their history; compare versions separately. */
uint64_t vmcfg_hash(const struct vm_config *c);

/*
 * The state file. vmcfg_save writes C's stored form to PATH crash-safely:
 * to PATH.tmp, fsync, rename over PATH, fsync the directory; mode 0640.
 * vmcfg_load_file reads it back: 0; -ENOENT when there is none (a new
 * host: an empty configuration, version 0); -EINVAL with "PATH:LINE: what"
 * in ERR when it is malformed; other -errno. PATH.tmp left by a crash is
 * ignored (and overwritten by the next save).
 * vmcfg_save: 0 or -errno, and then PATH is untouched (a failure of the
 * final directory fsync aside: PATH is then the new file, maybe not yet
 * durable); -EFBIG for a stored form over VMCFG_TEXT_MAX, -EINVAL for one
 * vmcfg_load_file would refuse (a slot not assigned...); -ELOOP when
 * PATH.tmp is a symlink (not written through).
 * vmcfg_load_file: ERR always says what; -EINVAL for a file that is not
 * regular (a FIFO is not waited on), -ELOOP for a symlink, -EFBIG over
 * VMCFG_TEXT_MAX; on any failure *C is left empty (version 0, no VMs).
 */
int vmcfg_save(const char *path, const struct vm_config *c);
int vmcfg_load_file(const char *path, struct vm_config *c, char *err, size_t errlen);

#endif
