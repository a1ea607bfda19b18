/*
 * storage_watch.h: havmd's use of the shared storage: join the sanlock lockspace
 * with host id = our corosync node id, and watch every host's storage
 * heartbeat, so that status can tell a dead host from an isolated one.
 */
#ifndef HAVMD_STORAGE_WATCH_H
#define HAVMD_STORAGE_WATCH_H

#include "service.h"
#include "wire.h"

#include <stdbool.h>
#include <stdint.h>

struct havmd;

struct storage_watch {
	uint8_t state;          /* enum havm_storage_state */
	uint64_t state_since_ms; /* when it was entered */
	bool job_running;       /* a probe/join or poll worker is out */
	uint64_t retry_at_ms;   /* next probe after a failure */
	uint64_t join_started_ms;
	uint64_t polled_at_ms;  /* last answer from sanlock about heartbeats */
	uint64_t timer;         /* qb_loop_timer_handle of the tick */
	uint32_t hb_ids[WIRE_NODES_MAX];
	uint8_t hb_states[WIRE_NODES_MAX];
	uint64_t hb_generations[WIRE_NODES_MAX];
	size_t n_hb;
	/* Our own delta lease's generation once joined (0 before): announced,
	 * so that a "dead" heartbeat can be matched to the life it ended. */
	uint64_t own_generation;
	bool watchdog;       /* announced: our sanlock runs with a watchdog (last probe) */
	bool watchdog_known; /* probed at least once */
};

/* The storage watch, as a service: start watching (nothing to do when
 * havm.conf has no storage); it adds our heartbeat's generation and
 * watchdog to our announcement, the storage's state and every host's
 * heartbeat to the snapshot (which status and fencing read), and how long
 * the storage has been in its state to status. */
extern const struct havmd_service storage_service;

#endif
