/*
 * tiebreak_vote.h: whether this host's quorum device casts its vote.
 *
 * corosync's votequorum counts a quorum device's vote only on the nodes
 * that cast it, so every host of the partition that holds the tiebreaker
 * lease must cast, and no host of any other partition may. A host casts
 * iff the lease holder, as last announced in the havm group, is in the
 * membership being voted on. Pure: the daemon gathers the facts.
 */
#ifndef HAVM_TIEBREAK_VOTE_H
#define HAVM_TIEBREAK_VOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The quorum device's name: corosync.conf declares it (quorum { device {
 * model: havm; votes: 1; } }) and havmd registers under it. */
#define QDEVICE_NAME "havm"

struct tiebreak_facts {
	uint32_t local_nodeid;
	bool local_held; /* our own lease child says it holds the lease */
	uint32_t holder; /* last announced holder in the group; 0: none */
	/* corosync's membership of the ring the vote is for (votequorum's
	 * node list, the device's pseudo node 0 already removed) */
	const uint32_t *members;
	size_t n_members;
	/* the havm CPG group: a holder whose havmd left it no longer speaks
	 * for the lease */
	const uint32_t *daemons;
	size_t n_daemons;
};

/*
 * True iff this host casts the device's vote. *HOLDER (if not NULL) gets
 * the holder the decision relied on (0: none known). Rules:
 *  - we hold it ourselves: cast (we are in our own membership);
 *  - else the announced holder must be another node, in MEMBERS and in
 *    DAEMONS; an announcement naming us while we do not hold it is stale.
 */
bool tiebreak_vote(const struct tiebreak_facts *f, uint32_t *holder);

#endif
