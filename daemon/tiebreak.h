/*
 * tiebreak.h: the tiebreaker lease (storage.tiebreaker in havm.conf).
 *
 * A long-lived child process holds sanlock's "tiebreaker" paxos lease on
 * the shared storage (lib/storage.h) for as long as it lives; havmd tells
 * the group whether it holds it (HAVM_MSG_TIEBREAK_LEASE). Whether we hold
 * it and who else announced it are this service's facts in the snapshot
 * (daemon/service.h); the quorum device (daemon/qdevice.h) votes from them
 * (lib/tiebreak_vote.h), and is told when they change
 * (services_facts_changed).
 */
#ifndef HAVMD_TIEBREAK_H
#define HAVMD_TIEBREAK_H

#include "service.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct havmd;

struct tiebreak {
	bool enabled;    /* storage.tiebreaker = true */
	pid_t child;     /* the lease holder process; 0: none */
	int fd;          /* its report pipe; -1: none */
	uint8_t rbuf[8]; /* a partial report */
	size_t got;
	bool held;             /* the child said it holds the lease */
	uint32_t holder;       /* another host that announced holding it; 0: none */
	bool announce_pending; /* our held/not held still to be multicast */
	uint64_t group_joins;  /* cluster.group_joins at our last announcement */
	uint64_t respawn_at_ms;
	int32_t last_err; /* last error the child reported, logged once */
	uint64_t timer;   /* qb_loop_timer_handle of the tick */
};

/* The tiebreaker lease, as a service: start competes for the lease
 * (nothing to do unless storage.tiebreaker); stop kills the lease child,
 * and sanlock releases the lease when it exits. */
extern const struct havmd_service tiebreak_service;

#endif
