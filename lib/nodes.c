/* nodes.c: see nodes.h. */
#include "nodes.h"

#include "membership.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Config names travel in wire strings: a longer one would be cut. */
_Static_assert(HAVM_NAME_MAX == WIRE_NAME_MAX, "config and wire agree on name length");

int node_states_update(struct node_states *t, const struct wire_node_state *m)
{
	for (size_t i = 0; i < t->n; i++) {
		if (t->v[i].nodeid == m->nodeid) {
			t->v[i] = *m;
			return 0;
		}
	}
	if (t->n == WIRE_NODES_MAX)
		return -ENOSPC;
	t->v[t->n++] = *m;
	return 0;
}

void node_states_forget(struct node_states *t, uint32_t nodeid)
{
	for (size_t i = 0; i < t->n; i++) {
		if (t->v[i].nodeid == nodeid) {
			t->v[i] = t->v[--t->n];
			return;
		}
	}
}

const struct wire_node_state *node_states_find(const struct node_states *t, uint32_t nodeid)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].nodeid == nodeid)
			return &t->v[i];
	return NULL;
}

static void fill_node(struct wire_status_node *n, uint32_t nodeid, const char *name,
		      bool configured, const struct cluster_view *view,
		      const struct node_states *states, uint32_t coordinator)
{
	const struct wire_node_state *st = node_states_find(states, nodeid);

	memset(n, 0, sizeof(*n));
	n->nodeid = nodeid;
	snprintf(n->name, sizeof(n->name), "%s", name);
	if (configured)
		n->flags |= WIRE_NODE_CONFIGURED;
	if (nodeid == view->local_nodeid)
		n->flags |= WIRE_NODE_LOCAL;
	if (view->corosync_up) {
		if (membership_contains(view->quorum_members, view->n_quorum, nodeid))
			n->flags |= WIRE_NODE_MEMBER;
		if (membership_contains(view->cpg_members, view->n_cpg, nodeid))
			n->flags |= WIRE_NODE_ONLINE;
	}
	if (nodeid == coordinator)
		n->flags |= WIRE_NODE_COORDINATOR;
	/* A state is shown only for a daemon that is in the group now. */
	if (st && (n->flags & WIRE_NODE_ONLINE)) {
		n->flags |= WIRE_NODE_HAVE_STATE;
		n->state = st->state;
		n->start_time = st->start_time;
		snprintf(n->version, sizeof(n->version), "%s", st->version);
	}
}

static bool listed(const struct wire_status_reply *out, uint32_t nodeid)
{
	for (uint16_t i = 0; i < out->n_nodes; i++)
		if (out->nodes[i].nodeid == nodeid)
			return true;
	return false;
}

static void add_unconfigured(struct wire_status_reply *out, const uint32_t *ids, size_t n,
			     const struct cluster_view *view, const struct node_states *states)
{
	for (size_t i = 0; i < n && out->n_nodes < WIRE_NODES_MAX; i++) {
		if (listed(out, ids[i]))
			continue;
		const struct wire_node_state *st = node_states_find(states, ids[i]);
		char name[WIRE_NAME_MAX + 1];
		if (st)
			snprintf(name, sizeof(name), "%s", st->name);
		else
			snprintf(name, sizeof(name), "nodeid-%u", ids[i]);
		fill_node(&out->nodes[out->n_nodes++], ids[i], name, false, view, states,
			  out->coordinator);
	}
}

static uint8_t heartbeat_of(const struct storage_view *sv, uint32_t nodeid)
{
	for (size_t i = 0; sv && i < sv->n_hb; i++)
		if (sv->hb_ids[i] == nodeid)
			return sv->hb_states[i];
	/* Joined, and sanlock has no record of it: it never wrote one. */
	if (sv && sv->state == HAVM_STORAGE_JOINED)
		return HAVM_HB_NONE;
	return HAVM_HB_UNKNOWN;
}

void nodes_status_build(const struct havm_config *cfg, const struct cluster_view *view,
			const struct node_states *states, const struct storage_view *storage,
			const struct fence_view *fence, uint64_t now,
			struct wire_status_reply *out)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->cluster_name, sizeof(out->cluster_name), "%s", cfg->cluster_name);
	out->local_nodeid = view->local_nodeid;
	out->now = now;
	if (view->corosync_up) {
		out->flags |= WIRE_STATUS_COROSYNC_UP;
		if (view->quorate)
			out->flags |= WIRE_STATUS_QUORATE;
		if (!membership_settled(view))
			out->flags |= WIRE_STATUS_SETTLING;
		out->ring_nodeid = view->quorum_ring.nodeid;
		out->ring_seq = view->quorum_ring.seq;
		out->coordinator = membership_coordinator(view);
	}
	if (storage) {
		out->storage = storage->state;
		if (storage->path)
			snprintf(out->storage_path, sizeof(out->storage_path), "%s", storage->path);
	}
	for (size_t i = 0; i < cfg->n_hosts && out->n_nodes < WIRE_NODES_MAX; i++)
		fill_node(&out->nodes[out->n_nodes++], cfg->hosts[i].nodeid, cfg->hosts[i].name,
			  true, view, states, out->coordinator);
	if (view->corosync_up) {
		add_unconfigured(out, view->cpg_members, view->n_cpg, view, states);
		add_unconfigured(out, view->quorum_members, view->n_quorum, view, states);
	}
	for (uint16_t i = 0; i < out->n_nodes; i++) {
		struct wire_status_node *n = &out->nodes[i];

		n->heartbeat = heartbeat_of(storage, n->nodeid);
		if (!fence || (n->flags & WIRE_NODE_MEMBER))
			continue;
		if (membership_contains(fence->pending, fence->n_pending, n->nodeid))
			n->flags |= WIRE_NODE_FENCE_PENDING;
		else if (membership_contains(fence->fenced, fence->n_fenced, n->nodeid))
			n->flags |= WIRE_NODE_FENCED;
	}
}
