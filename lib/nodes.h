/*
 * nodes.h: what this daemon knows about every host, and the status reply
 * built from it.
 *
 * Three sources are merged: the configured hosts (havm.conf), the cluster
 * view (corosync's quorum membership and the CPG group of havmd daemons),
 * and the node-state messages each daemon broadcast. A host that is a
 * corosync member but whose havmd is not in the group is shown as such,
 * not as online: status must tell the truth about what can act.
 * Everything here is pure: no I/O, tested directly.
 */
#ifndef HAVM_NODES_H
#define HAVM_NODES_H

#include "config.h"
#include "membership.h"
#include "wire.h"

struct node_states {
	struct wire_node_state v[WIRE_NODES_MAX];
	size_t n;
};

/* Record a state message; the newest from a node replaces the older one.
 * 0, or -ENOSPC when the table is full (more daemons than WIRE_NODES_MAX). */
int node_states_update(struct node_states *t, const struct wire_node_state *m);
/* Forget a node whose daemon left the group: its state is no longer known. */
void node_states_forget(struct node_states *t, uint32_t nodeid);
const struct wire_node_state *node_states_find(const struct node_states *t, uint32_t nodeid);

/* The shared storage as this daemon sees it (all zero: not configured). */
struct storage_view {
	uint8_t state;            /* enum havm_storage_state */
	const char *path;         /* NULL when not configured */
	const uint32_t *hb_ids;   /* host ids (= node ids) sanlock reports on */
	const uint8_t *hb_states; /* enum havm_heartbeat, one per id */
	const uint64_t *hb_generations; /* sanlock's generation of each heartbeat */
	size_t n_hb;
};

/* What fencing knows (all empty when nothing was lost). */
struct fence_view {
	const uint32_t *pending; /* lost, not proven off yet */
	size_t n_pending;
	const uint32_t *fenced;  /* proven off and not back */
	size_t n_fenced;
};

/*
 * Fill OUT for a status reply: one entry per configured host in config
 * order, then any member not in the configuration (a misconfiguration the
 * operator should see). NOW is the daemon's clock.
 */
void nodes_status_build(const struct havm_config *cfg, const struct cluster_view *view,
			const struct node_states *states, const struct storage_view *storage,
			const struct fence_view *fence, uint64_t now,
			struct wire_status_reply *out);

#endif
