/* membership.c: see membership.h. */
#include "membership.h"

bool membership_contains(const uint32_t *ids, size_t n, uint32_t nodeid)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i] == nodeid)
			return true;
	return false;
}

bool membership_settled(const struct cluster_view *v)
{
	if (!v->corosync_up || v->quorum_ring.seq == 0)
		return false;
	if (v->quorum_ring.nodeid != v->cpg_ring.nodeid || v->quorum_ring.seq != v->cpg_ring.seq)
		return false;
	for (size_t i = 0; i < v->n_cpg; i++)
		if (!membership_contains(v->quorum_members, v->n_quorum, v->cpg_members[i]))
			return false;
	return true;
}

uint32_t membership_coordinator(const struct cluster_view *v)
{
	uint32_t best = 0;

	if (!v->quorate || !membership_settled(v))
		return 0;
	for (size_t i = 0; i < v->n_cpg; i++)
		if (v->cpg_members[i] != 0 && (best == 0 || v->cpg_members[i] < best))
			best = v->cpg_members[i];
	return best;
}
