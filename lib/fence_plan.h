/*
 * fence_plan.h: which hosts to fence now, decided from a snapshot. Pure:
 * no I/O, no clock; the daemon gathers the facts and carries steps out.
 *
 * The rules (the promise: a host that left is never treated as dead until
 * it is proven off, and a partition that may not act does not):
 *  - only the coordinator of a quorate, settled partition acts;
 *  - a host is fenced when it was lost (left the quorate membership) and
 *    has not been proven off since;
 *  - power fencing first, through the host's levels; a host with no levels,
 *    or whose levels all fail, is taken as fenced only when sanlock reports
 *    its storage heartbeat dead (its watchdog has reset it by then);
 *  - one job per host at a time; after a failure, not before retry_at;
 *  - never our own host: powering it off would cut the job off mid-way and
 *    leave no record (the next coordinator fences it if it is lost).
 */
#ifndef HAVM_FENCE_PLAN_H
#define HAVM_FENCE_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fence_host {
	uint32_t nodeid;
	bool lost;            /* left the membership, not proven off since */
	bool running;         /* a power fence job for it is out */
	uint64_t retry_at_ms; /* after a failed attempt: not before this */
	uint8_t heartbeat;    /* enum havm_heartbeat (wire.h) */
	size_t levels;        /* configured power fence levels */
};

struct fence_snapshot {
	bool acting;          /* coordinator of a quorate, settled partition */
	uint32_t self;        /* our node id: a daemon never fences its own host */
	uint64_t now_ms;
	const struct fence_host *hosts;
	size_t n_hosts;
};

enum fence_step_kind {
	FENCE_STEP_POWER = 1,        /* run the host's levels until one verifies off */
	FENCE_STEP_STORAGE_DEAD = 2, /* record sanlock's "dead" as the fence */
};

struct fence_step {
	uint32_t nodeid;
	enum fence_step_kind kind;
};

/* Steps to take now, at most MAX, into OUT; returns how many. */
size_t fence_plan(const struct fence_snapshot *s, struct fence_step *out, size_t max);

#endif
