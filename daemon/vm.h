/*
 * vm.h: the VM service -- VM high availability in havmd. One service
 * (vm_service in the table), in several files:
 *   vm_service.c  the table entry: hooks, the tick, CPG dispatch, status
 *   vm_cfgsync.c  the cluster configuration: changes applied in CPG order,
 *                 saved on every host, the newest version handed to joiners
 *   vm_host.c     this host's libvirt: the monitor child, start/stop jobs,
 *                 this host's report to the group
 *   vm_coord.c    the coordinator's reconcile: facts -> lib/vm_place.c's
 *                 plan -> actions
 *   vm_ctl.c      the control socket's VM requests (documents, changes)
 * Only vm_service.c is known to the core (service.h); the others are its
 * parts and share struct vm_state.
 */
#ifndef HAVMD_VM_H
#define HAVMD_VM_H

#include "config.h"
#include "vm_config.h"
#include "virt.h"
#include "wire.h"

#include <qb/qbipcs.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct havmd;
struct havmd_snapshot;

#define VM_CFG_PATH "/var/lib/havm/cluster.conf"
#define VM_TICK_MS 500
#define VM_LIBVIRT_STALE_MS 5000  /* no report from the monitor for this long: libvirt hung */
#define VM_MONITOR_RESTART_MS 2000
#define VM_UPLOADS_MAX 4
#define VM_PENDING_MAX 8
#define VM_JOBS_MAX 12            /* local start/stop jobs at once (workers: 16) */
#define VM_INFLIGHT_MS 90000      /* an action with no outcome by then is forgotten */

/* A text arriving in chunks from one sender (CPG) or one client (IPC). */
struct vm_rx {
	bool active;
	uint32_t from;          /* node id (CPG) */
	qb_ipcs_connection_t *conn; /* client (IPC) */
	struct wire_vmcfg head; /* CPG: the first chunk's fields */
	uint32_t total, got;
	char *buf;
	uint64_t since_ms;
};

/* A CLI change waiting for its CPG delivery, to be answered then. */
struct vm_pending {
	bool used;
	uint64_t req_id;
	qb_ipcs_connection_t *conn; /* referenced while here */
	uint32_t ipc_id;
	uint64_t since_ms;
};

/* The newest report of each member (and the last one of a member that left). */
struct vm_member {
	bool have;
	uint32_t nodeid;
	uint64_t recv_ms;
	uint64_t view_seq;          /* vm_state.view_seq when it came */
	struct wire_vm_report r;
};

/* A start or stop this host runs for the coordinator. */
struct vm_job {
	bool used;
	uint64_t action_id;
	uint8_t action;
	char vm[VMCFG_NAME_MAX + 1];
	uint64_t worker_id;
	uint64_t started_ms;
};

/* What the coordinator remembers of a VM between passes. None of it is
 * needed for safety (the lease is): it avoids futile attempts and spaces
 * retries, and a new coordinator starts without it. */
struct vm_track {
	char name[VMCFG_NAME_MAX + 1];
	uint64_t inflight_id;       /* an action sent and not settled; 0 none */
	uint8_t inflight_action;
	uint32_t inflight_host;
	uint64_t inflight_ms;
	uint32_t running_on;        /* where the last pass saw it running; 0 none */
	uint64_t running_inc;       /* that host's life (report incarnation) then */
	uint32_t last_host;         /* where it ran last (from reports) */
	uint32_t lost_with;         /* a host that left while an action on it ran */
	uint64_t not_before_ms;     /* back-off after a failure */
	uint32_t failures;          /* consecutive failed starts */
	uint32_t busy;              /* consecutive starts refused for a lease held elsewhere */
	uint32_t failed_host;       /* where the last start failed */
	uint64_t crash_window_ms;   /* start of the restart window */
	uint32_t crash_restarts;    /* stops where it ran, within the window */
	bool failed;                /* past max-restarts: left alone until `vm start` */
	char last_reason[200];      /* why it waits (back-off) */
	char pending_reason[200];   /* the last pending reason told */
	uint32_t migrate_to;        /* the destination of the migration under way */
	uint64_t migrate_ms;        /* when it was sent */
	uint32_t request_to;        /* an operator asked it moved there; 0 none */
	uint64_t request_ms;        /* when */
	uint32_t moved_to;          /* a migration there ended well ... */
	uint64_t moved_ms;          /* ... then: the reports may lag a moment */
	bool lease_ready;           /* its lease slot holds its lease (lease_prepare) */
	uint64_t balanced_ms;       /* when the balancer last moved it (cooldown) */
	bool balance_move;          /* the migration under way is the balancer's */
	char move_reason[160];      /* why it is being moved (balancer) */
};

/* A domain's CPU load (vm_load.c). */
struct vm_load_dom {
	char name[VMCFG_NAME_MAX + 1];
	uint64_t cpu_ns;            /* its CPU time at AT_MS */
	uint64_t at_ms;
	uint32_t milli;             /* smoothed; 1000 = one CPU busy */
	uint32_t pub;               /* the value in our report */
	bool have, seen;
};

/* A running VM whose lease a check found not ours (vm_leasecheck.c). */
struct vm_unleased {
	char name[VMCFG_NAME_MAX + 1];
	uint8_t strikes;            /* checks in a row; 2: unleased */
};

/* A VM being moved off a host in maintenance (vm_evac.c). */
#define VM_EVAC_MAX 256
struct vm_evac {
	bool used;
	char vm[VMCFG_NAME_MAX + 1];
	uint32_t from, to;          /* the host in maintenance; where to */
	uint64_t action_id;         /* an unprotected VM's migration under way
				     * (a protected one's is its track's) */
	uint64_t action_ms;
	uint32_t failures;          /* migrations failed in a row */
	uint64_t moved_ms;          /* its last migration ended well then */
	uint64_t not_before_ms;
	char error[160];            /* the last failure, or why it has no place */
};

struct vm_state {
	bool on;                    /* havm.conf has a vms group */
	/* the cluster configuration */
	struct vm_config *cfg;      /* heap: about 2 MiB at full size */
	uint64_t cfg_hash;
	struct vm_rx rx[WIRE_NODES_MAX]; /* CPG chunks, per sender */
	struct vm_rx uploads[VM_UPLOADS_MAX];
	struct vm_pending pending[VM_PENDING_MAX];
	uint64_t next_req_id;
	uint64_t full_sent_ms;
	/* the group's reports */
	struct vm_member *members;  /* heap: WIRE_NODES_MAX of them */
	uint64_t view_seq;          /* membership changes seen (h->cluster.confchgs) */
	uint32_t view_members[WIRE_NODES_MAX]; /* the group as last seen, for leavers */
	size_t n_view_members;
	uint64_t report_refresh_ms; /* our report sent again, changed or not */
	/* this host's libvirt */
	pid_t monitor_pid;
	int monitor_fd;
	char linebuf[VIRT_LINE_MAX + 2];
	size_t linelen;
	struct virt_parser *parser; /* heap */
	struct virt_report *virt;   /* heap: the newest report */
	bool have_virt, warm, libvirt_ok;
	uint64_t virt_ms;           /* when the newest report came */
	uint64_t monitor_restart_ms;
	struct vm_job jobs[VM_JOBS_MAX];
	uint64_t report_seq;
	struct wire_vm_report *sent; /* heap: the last report sent */
	bool report_dirty;
	struct vm_load_dom *load;   /* heap: WIRE_VM_DOMS_MAX */
	size_t n_load;
	uint32_t host_load, host_load_pub; /* milli-CPUs, smoothed; published */
	bool host_load_have;
	uint64_t proc_busy, proc_total, proc_ms; /* /proc/stat, last read */
	uint64_t load_pub_ms;
	struct vm_unleased *unleased; /* heap: WIRE_VM_DOMS_MAX */
	size_t n_unleased;
	uint64_t leasecheck_job;    /* the lease check under way; 0 none */
	uint64_t leasecheck_next_ms;
	/* the coordinator */
	struct vm_track *track;     /* heap: VMCFG_VMS_MAX, by name */
	size_t n_track;
	uint64_t next_action;
	bool was_coordinator;
	uint64_t prepare_job;       /* the lease prepare job under way; 0 none */
	uint64_t host_closed_ms[HAVM_HOSTS_MAX]; /* when a lost host was seen proven off */
	uint64_t host_lost_ms[HAVM_HOSTS_MAX];   /* when a host was seen lost, not proven off */
	struct vm_evac evac[VM_EVAC_MAX];
	uint32_t evac_moved[HAVM_HOSTS_MAX]; /* moved off each host (this coordinator) */
	/* balancing (vm_balancer.c) */
	uint64_t hot_since_ms[HAVM_HOSTS_MAX]; /* above balance.high_threshold since; 0 not */
	uint64_t balance_not_before_ms;     /* no move before (a move's effect to show) */
	uint64_t disagree_since_ms;         /* the members' configurations differ since */
	uint64_t joined_ms;                 /* when we last joined the group */
	char balance_why[200];              /* why the last pass moved nothing */
	uint32_t balance_moves, balance_failures;
	/* isolation (vms.isolation): since when we have no quorum; done */
	uint64_t noquorum_since_ms;
	bool isolation_done;
	uint64_t timer;
};

extern const struct havmd_service vm_service;

/* vm_cfgsync.c */
int vmcfg_sync_start(struct havmd *h);
void vmcfg_sync_stop(struct havmd *h);
int vmcfg_sync_on_cpg(struct havmd *h, const struct wire_vmcfg *m, uint32_t nodeid);
void vmcfg_sync_tick(struct havmd *h, uint64_t now);
void vmcfg_sync_member_left(struct havmd *h, uint32_t nodeid);
/* A client's change (its whole text): checked, sent to the group; the
 * client is answered once it is applied here (or refused now). */
void vmcfg_sync_submit(struct havmd *h, qb_ipcs_connection_t *c, uint32_t ipc_id, const char *text,
		       size_t len);
/* Whether every member holds our configuration (version and hash). */
bool vmcfg_sync_agreed(const struct havmd *h);
/* The same, counting with FRESH only reports sent in the current view. */
bool vmcfg_sync_agreed_ex(const struct havmd *h, bool fresh);

/* vm_host.c */
int vm_host_start(struct havmd *h);
void vm_host_stop(struct havmd *h);
void vm_host_tick(struct havmd *h, uint64_t now);
void vm_host_on_action(struct havmd *h, const struct wire_vm_action *a, uint32_t from);
/* Send our report if it changed (or FORCE). */
void vm_host_report(struct havmd *h, bool force);

/* The cluster configuration's maintenance (false when VMs are off). */
bool vm_node_in_maintenance(const struct havmd *h, const char *host);
bool vm_cluster_maintenance(const struct havmd *h);
/*
 * Fencing waits (VM_FENCE_HOLD_MS at most) while the members' cluster
 * configurations differ: which hosts are in maintenance, and whether the
 * cluster is, is in it, and a coordinator that just came back with an
 * old copy must not fence a host the others know is being serviced.
 */
bool vm_fence_hold(const struct havmd *h);
#define VM_FENCE_HOLD_MS 30000

/* vm_load.c: CPU loads, after each report of the libvirt monitor */
void vm_load_update(struct havmd *h, uint64_t now);
/* VM's published load here (milli-CPUs), 0 when unknown. */
uint32_t vm_load_dom(const struct havmd *h, const char *vm);

/* vm_leasecheck.c: our running protected VMs hold their leases */
void vm_leasecheck_tick(struct havmd *h, uint64_t now);
/* Two checks in a row found VM running here without its lease. */
bool vm_leasecheck_unleased(const struct havmd *h, const char *vm);

/* vm_evac.c: hosts in maintenance emptied by live migration */
struct place_host;
struct place_vm;
void vm_evac_tick(struct havmd *h, struct place_host *hosts, size_t n_hosts,
		  const struct place_vm *vms, size_t n, uint64_t now);
struct vm_evac *vm_evac_find(const struct havmd *h, const char *vm);
/* Whether one more migration from FROM to TO stays within the limits. */
bool vm_evac_may_migrate(const struct havmd *h, uint32_t from, uint32_t to);
/* A protected VM's migration ended (its track had it): count it. */
void vm_evac_result(struct havmd *h, const char *vm, uint32_t from, int rc, const char *msg);
/* An unprotected VM's migration result: true when it was ours. */
bool vm_evac_on_result(struct havmd *h, const struct wire_vm_result *r, uint32_t from);

/* vm_balancer.c: CPU-load balancing (the coordinator's, and the facts
 * every daemon keeps for `havm balance --dry-run`) */
void vm_balancer_observe(struct havmd *h, uint64_t now);
void vm_balancer_tick(struct havmd *h, const struct place_host *hosts, size_t n_hosts,
		      const struct place_vm *vms, size_t n, uint64_t now);
/* A migration of T ended (RC) or was forgotten: if the balancer's, the
 * next move waits for balance.window_ms. */
void vm_balancer_result(struct havmd *h, struct vm_track *t, int rc);
void vm_balancer_forgotten(struct havmd *h, struct vm_track *t);
struct json_object;
struct json_object *vm_balancer_doc(struct havmd *h, const struct place_host *hosts,
				    size_t n_hosts, const struct place_vm *vms, size_t n);

/* vm_coord.c */
const struct wire_vm_report *vm_coord_report(const struct havmd *h, uint32_t host);
const struct vm_track *vm_coord_track(const struct havmd *h, const char *vm);
int vm_coord_send_migrate(struct havmd *h, uint32_t from, uint32_t to, const char *vm,
			  uint64_t *id);
/* SPEC's memory and vCPUs taken on host ID in HOSTS (a start or a
 * migration sent there, not yet in its report). */
void vm_coord_hold_room(const struct havmd *h, struct place_host *hosts, uint32_t id,
			const struct vm_spec *spec);
void vm_coord_tick(struct havmd *h, uint64_t now);
void vm_coord_on_result(struct havmd *h, const struct wire_vm_result *r, uint32_t from);
void vm_coord_on_request(struct havmd *h, const struct wire_vm_request *r, uint32_t from);
struct place_host;
struct place_vm;
void vm_coord_migrations(struct havmd *h, struct place_host *hosts, size_t n_hosts,
			 const struct place_vm *vms, size_t n, uint64_t now);
struct vm_track *vm_track_get(struct havmd *h, const char *name);
/* VM as host HOST's report from its current life lists it, or NULL. */
const struct wire_vm_dom *vm_coord_dom(const struct havmd *h, uint32_t host, const char *vm);
/* Forget a VM's failures and restarts (`havm vm start`). */
void vm_track_reset(struct havmd *h, const char *name);
/*
 * The planner's input as the facts stand (for the coordinator, `havm plan`
 * and status): hosts and VMs, FAIL (node ids, 0-ended; NULL: none) taken
 * as failed. Arrays sized by the caller: HAVM_HOSTS_MAX hosts, n_vms VMs.
 */
struct place_host;
struct place_vm;
void vm_coord_input(const struct havmd *h, const struct havmd_snapshot *s, const uint32_t *fail,
		    struct place_host *hosts, size_t *n_hosts, struct place_vm *vms,
		    struct vm_spec *specs, uint64_t now);

/* vm_ctl.c */
void vm_ctl_doc(struct havmd *h, qb_ipcs_connection_t *c, uint32_t id, const void *msg, size_t len);
void vm_ctl_change(struct havmd *h, qb_ipcs_connection_t *c, uint32_t id, const void *msg,
		   size_t len);
void vm_ctl_conn_gone(struct havmd *h, qb_ipcs_connection_t *c);
void vm_ctl_migrate(struct havmd *h, qb_ipcs_connection_t *c, uint32_t id, const void *msg,
		    size_t len);

#endif
