/*
 * tiebreak_vote.c: the quorum device's vote decision (see tiebreak_vote.h).
 *
 * Safety: sanlock grants the tiebreaker lease to one host at a time, and
 * corosync's memberships of a split are disjoint, so at most one partition
 * contains the holder and only its hosts cast. A stale announcement can
 * only make a host withhold its vote (the holder's partition then has no
 * extra vote), never give it to a partition without the holder: the
 * holder must be in the very membership the vote is polled for.
 */
#include "tiebreak_vote.h"

#include "membership.h"

bool tiebreak_vote(const struct tiebreak_facts *f, uint32_t *holder)
{
	uint32_t who = f->local_held ? f->local_nodeid : f->holder;
	bool cast;

	if (f->local_held)
		cast = f->local_nodeid != 0;
	else
		cast = who != 0 && who != f->local_nodeid &&
		       membership_contains(f->members, f->n_members, who) &&
		       membership_contains(f->daemons, f->n_daemons, who);
	if (holder)
		*holder = who;
	return cast;
}
