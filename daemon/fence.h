/*
 * fence.h: havmd's fencing, level-triggered (lib/fence_plan.h has the
 * rules). Every tick, and at once after any change, the facts are gathered
 * into one snapshot (membership, what every member announced about every
 * host's life, fence records, sanlock's heartbeats, our jobs) and
 * fence_plan says what to do; nothing is remembered between ticks but the
 * facts themselves and the jobs out.
 *
 * Records: the coordinator multicasts each result (CPG FENCE_RESULT, tied
 * to the incarnation it is about); every member appends it to its fence
 * history in delivery order and folds it into its facts. The history is
 * read back at start, so a restarted havmd knows which lives are closed.
 *
 * Fencing is a service (daemon/service.h): everything it takes in and
 * gives out goes through its table entry, and this header holds only its
 * state in struct havmd and that entry.
 */
#ifndef HAVMD_FENCE_H
#define HAVMD_FENCE_H

#include "config.h"
#include "fence_plan.h"
#include "service.h"
#include "wire.h"

#include <stdbool.h>
#include <stdint.h>

struct havmd;

/*
 * Fencing, as a service: start reads the history back and starts the
 * tick; it handles FENCE_REQUEST and FENCE_RESULT from the group, folds
 * members' announcements into its facts and adds its own to ours, plans
 * again on every view, and gives status the hosts pending a fence, the
 * fenced, and what it knows of each host's life.
 */
extern const struct havmd_service fence_service;

#define FENCE_HISTORY_FILE "fence-history" /* in HAVM_STATE_DIR */

struct fence_target {
	struct host_facts facts; /* merged from every member and every record */
	uint64_t requested_inc;  /* an operator asked to fence this life */
	/* A closed life still alive in the group: since when (void check). */
	uint64_t alive_closed_since_ms;
	/* the executor, for facts.inc */
	uint64_t maint_told_inc; /* the life whose leaving in maintenance was told */
	uint64_t need_inc;      /* the life we saw needing a fence ... */
	uint64_t need_since_ms; /* ... since then (fence delay, elapsed) */
	unsigned attempts;      /* failed power attempts for need_inc */
	uint64_t not_before_ms; /* fence delay, then back-off */
	bool running;           /* our power job is out */
	uint64_t running_inc;   /* the life it is for */
	uint64_t job_id;        /* to cancel it */
	bool cancelled;         /* cancel asked: only a verified off still counts */
	/* newest life closed by a record this daemon has (not an announcement) */
	uint64_t recorded_inc;
	/* leases of a life proven off, freed by the coordinator */
	uint64_t reclaimed_inc;
	bool reclaim_running;
	uint64_t reclaim_not_before_ms;
	/* the last record, to recognise a copy that was re-sent */
	bool have_recorded;
	struct wire_fence_result recorded;
};

struct fence_state {
	struct fence_target t[HAVM_HOSTS_MAX]; /* by index in cfg.hosts */
	uint64_t timer;
	/* Results are accepted from the coordinator, or from the one before
	 * it for a little while (a result sent just before a change). */
	uint32_t prev_coordinator;
	uint64_t prev_coordinator_until_ms;
};

#endif
