/*
 * membership.h: pure decisions about who is in the cluster.
 *
 * No election protocol: CPG gives every member the same view in the same
 * order, so each daemon computes the coordinator from that view alone and
 * all of them agree without exchanging a message.
 *
 * The view has two halves that corosync delivers on two connections: the
 * CPG group of havmd daemons, and the quorum state with corosync's own
 * membership. Nothing orders one against the other, so after a split a
 * daemon can hold its new CPG group next to the quorum of the old ring. A
 * coordinator is named only when both halves come from the same ring and
 * every daemon of the group is in the quorate membership; in between, the
 * membership is "settling" and there is none.
 */
#ifndef HAVM_MEMBERSHIP_H
#define HAVM_MEMBERSHIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ring_id {
	uint32_t nodeid;
	uint64_t seq;
};

struct cluster_view {
	bool corosync_up;
	bool quorate;
	uint32_t local_nodeid;
	struct ring_id quorum_ring;     /* from libquorum */
	struct ring_id cpg_ring;        /* from CPG's totem configuration change */
	const uint32_t *cpg_members;    /* havmd daemons in the group */
	size_t n_cpg;
	const uint32_t *quorum_members; /* corosync membership */
	size_t n_quorum;
};

/* Both halves of the view describe the same ring (see above). */
bool membership_settled(const struct cluster_view *v);

/*
 * The coordinator: the lowest node id among the daemons of the group,
 * provided corosync is connected, the partition is quorate and the view is
 * settled. Returns 0 when there is none: an inquorate or unsettled partition
 * must not act, so it has no coordinator.
 */
uint32_t membership_coordinator(const struct cluster_view *v);

/* Whether NODEID is among the N ids in IDS. */
bool membership_contains(const uint32_t *ids, size_t n, uint32_t nodeid);

#endif
