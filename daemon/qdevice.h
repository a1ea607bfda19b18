/*
 * qdevice.h: havmd as corosync's quorum device "havm" (votequorum), when
 * storage.tiebreaker is on. The vote is lib/tiebreak_vote.h's rule on the
 * tiebreaker's facts in the snapshot (daemon/service.h).
 */
#ifndef HAVMD_QDEVICE_H
#define HAVMD_QDEVICE_H

#include "service.h"
#include "wire.h"

#include <corosync/votequorum.h>
#include <stdbool.h>
#include <stdint.h>

struct havmd;

struct qdevice {
	votequorum_handle_t handle;
	bool open;         /* initialised, registered, fd on the loop */
	bool have_ring;    /* a node list arrived: we know the ring to vote on */
	bool ring_changed; /* poll at once: corosync's sync waits for it */
	votequorum_ring_id_t ring;
	uint32_t members[WIRE_NODES_MAX];
	size_t n_members;
	int last_cast; /* -1: not polled yet */
	bool votes_ok; /* corosync gives the device exactly one vote */
	uint32_t last_holder;
	unsigned int failed_attempts;
	uint64_t timer; /* qb_loop_timer_handle: poll or reconnect */
};

/* The quorum device, as a service: start registers it (nothing to do
 * unless storage.tiebreaker); stop withdraws our vote and closes the
 * handle; every view change, and every change of the tiebreaker's facts,
 * polls at once with the new vote. */
extern const struct havmd_service qdevice_service;

#endif
