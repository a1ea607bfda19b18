/*
 * service.h: what a havmd service is, and the core's calls that reach
 * every service. The one table of services is daemon/services.c.
 *
 * A service is one subsystem of the daemon (the cluster link, the storage
 * watch, fencing, the tiebreaker lease and its quorum device; later VMs,
 * balancing, alerts), described by one struct havmd_service: every hook
 * is optional (NULL: nothing to do). Services do not call each other, and
 * no service's .c includes another service's header: the core calls them
 * through the table, in the table's order, and they meet in
 *  - the snapshot (struct havmd_snapshot): the facts each one offers the
 *    others, gathered when needed (services_snapshot), and
 *    services_facts_changed when a service's facts changed;
 *  - node states: our announcement is the cluster link's, each service
 *    adds its part, and every service hears every member's;
 *  - status: each service adds its part to the reply;
 *  - the event ring (daemon/events.h).
 * The core is what every service may call: this header, havmd.h (struct
 * havmd: every service's state, so that one context goes everywhere),
 * cluster.h (the link to the group: send, announce, synced; h->cluster is
 * read by all), send_queue.h, worker.h, events.h and lib/.
 *
 * A new service: its state in struct havmd (havmd.h), a header with that
 * struct and its `extern const struct havmd_service`, the hooks it needs
 * (static in its .c file), a wire type and decoder for each message it
 * sends (lib/wire.h, which wire_cpg_type_known must accept), its facts in
 * struct havmd_snapshot if others need them, and its entry in the table
 * and the stop order of services.c.
 */
#ifndef HAVMD_SERVICE_H
#define HAVMD_SERVICE_H

#include "config.h"
#include "membership.h"
#include "nodes.h"
#include "wire.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct havmd;

/*
 * The snapshot: the facts services offer each other, gathered afresh by
 * services_snapshot from every service's snapshot_fill. A service that
 * needs another's facts reads them here, never by calling it. The views
 * point into struct havmd: valid until the loop runs on.
 */
struct havmd_snapshot {
	struct cluster_view cluster; /* the cluster link: membership, quorum */
	struct storage_view storage; /* the storage watch: its state, heartbeats */
	bool own_watchdog;           /* the storage watch: we announce a watchdog */
	uint64_t own_generation;     /* the storage watch: our heartbeat's generation */
	bool tiebreak_held;          /* the tiebreaker: our lease child holds it */
	uint32_t tiebreak_holder;    /* the tiebreaker: another host announced it; 0: none */
	/*
	 * fencing, per host of havm.conf (same index as h->cfg.hosts):
	 * host_open: out of the membership with a life not proven off: what
	 * it ran may still run. host_closed: out of the membership, its newest
	 * life proven off (or dead by storage). host_leases_free: closed, and
	 * this daemon has reclaimed its leases. host_reclaiming: it is doing
	 * so now (a start then could race the reclaim's write).
	 */
	bool host_open[HAVM_HOSTS_MAX];
	bool host_closed[HAVM_HOSTS_MAX];
	bool host_leases_free[HAVM_HOSTS_MAX];
	bool host_reclaiming[HAVM_HOSTS_MAX]; /* a reclaim job of ours is under way */
};

/* A status reply in the making (services_status). */
struct havmd_status {
	struct havmd_snapshot snap;
	/* fencing: hosts lost and not yet proven off, and fenced (the
	 * arrays fence points into) */
	struct fence_view fence;
	uint32_t fence_pending[WIRE_NODES_MAX], fence_fenced[WIRE_NODES_MAX];
	struct wire_status_reply *reply;
};

struct havmd_service {
	const char *name; /* in logs: "havmd: cannot start service=NAME" */
	/* Start, from main, in table order: 0 or -errno (havmd then exits). */
	int (*start)(struct havmd *h);
	/* Stop, from main once the loop has ended (services.c gives the order). */
	void (*stop)(struct havmd *h);

	/*
	 * The CPG message types this service handles (wire.h), and its
	 * handler: MSG is the whole message (header included), of a type
	 * among CPG_TYPES, from process PID on node NODEID, ours included.
	 * The handler decodes it: 0, or -errno when it is malformed (or
	 * claims another node's id), which the dispatcher logs and drops.
	 * Every type wire_cpg_type_known accepts is handled by exactly one
	 * service (checked at start); any other type is ignored before this.
	 */
	const uint16_t *cpg_types;
	size_t n_cpg_types;
	int (*on_cpg)(struct havmd *h, uint16_t type, const void *msg, size_t len, uint32_t nodeid,
		      uint32_t pid);

	/*
	 * Node states (HAVM_MSG_NODE_STATE) belong to the cluster link, which
	 * keeps every member's newest in h->states and announces ours; the
	 * other services take part through these two hooks.
	 * on_node_state: a member's announcement (ours included), just
	 * recorded: fold in what it says.
	 * fill_node_state: our own announcement in the making: add this
	 * service's part (the cluster link has filled the header fields).
	 */
	void (*on_node_state)(struct havmd *h, const struct wire_node_state *m);
	void (*fill_node_state)(const struct havmd *h, struct wire_node_state *m);

	/*
	 * After every corosync dispatch (membership, quorum, corosync lost or
	 * back), with the view V. Called before the cluster link records the
	 * coordinator V gives: h->cluster.coordinator is still the previous
	 * one, so that a service can tell it moved.
	 */
	void (*on_view)(struct havmd *h, const struct cluster_view *v);

	/* Add this service's facts to the snapshot (struct havmd_snapshot). */
	void (*snapshot_fill)(const struct havmd *h, struct havmd_snapshot *s);
	/* Facts in the snapshot changed (another service said so through
	 * services_facts_changed): act on them now, not at the next tick. */
	void (*on_facts_changed)(struct havmd *h);
	/*
	 * A status reply: status_view gives this service's view of the hosts
	 * to the merge (lib/nodes.c's nodes_status_build, which reads
	 * st->snap and st->fence); after the merge, status_fill adds this
	 * service's own fields to st->reply.
	 */
	void (*status_view)(const struct havmd *h, struct havmd_status *st);
	void (*status_fill)(const struct havmd *h, struct havmd_status *st);
};

/* Start every service in table order. 0, or the first one's -errno
 * (logged; the daemon exits, as for any failure at start). */
int services_start(struct havmd *h);
/* Stop every service, in the stop order services.c explains. */
void services_stop(struct havmd *h);
/* The service that handles CPG message type TYPE; NULL: none. */
const struct havmd_service *services_for_cpg(uint16_t type);
/* Every service's on_node_state / fill_node_state, in table order. */
void services_on_node_state(struct havmd *h, const struct wire_node_state *m);
void services_fill_node_state(const struct havmd *h, struct wire_node_state *m);
/* Every service's on_view, in table order. */
void services_on_view(struct havmd *h, const struct cluster_view *v);
/* The facts now, from every service's snapshot_fill in table order. */
void services_snapshot(const struct havmd *h, struct havmd_snapshot *s);
/* A service changed its facts in the snapshot: every service's
 * on_facts_changed, in table order. */
void services_facts_changed(struct havmd *h);
/* The status reply: the snapshot, every service's view, the merge of
 * the hosts' lines (pure, lib/nodes.c), every service's own fields. */
void services_status(const struct havmd *h, struct wire_status_reply *r);

#endif
