/*
 * fence_plan.h: which hosts need fencing, and what to do about it now,
 * derived every time from one snapshot of facts. Pure: no I/O, no clock;
 * the daemon gathers the facts and carries the steps out.
 *
 * Level-triggered: nothing here rests on having watched a change happen. A
 * host needs fencing when it is
 *   - configured, not our own host, and not in the current membership;
 *   - was last seen in incarnation N (one boot and start of its havmd;
 *     known to this daemon or to any member that told us), and
 *   - has no valid "off" record for incarnation N.
 * A coordinator that took over a second ago, or a havmd restarted mid-job,
 * derives the same set from the same facts and finishes the job.
 *
 * What counts as proof that incarnation N is off:
 *   - a power fence verified off (every device of a level read back off);
 *   - sanlock calling N's storage heartbeat dead, but only as the fallback
 *     (the host has no levels, or a power attempt for N has failed), only
 *     if N announced that its sanlock runs with a watchdog (without one, a
 *     hung host that resumes was never reset; a test bed's
 *     unsafe_no_watchdog_for_tests announces one it does not have), and
 *     only if the dead lease
 *     is N's own (the sanlock generation N announced): a "dead" left over
 *     from a previous life proves nothing about this one.
 *
 * Only the coordinator of a quorate, settled partition acts, and only once
 * every daemon in the group has told it what it knows since the last join
 * ("synced"): after a partition heals, the merged facts say which losses
 * the other side already closed.
 */
#ifndef HAVM_FENCE_PLAN_H
#define HAVM_FENCE_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What this daemon knows about one host's life, merged from every
 * member's announcements and every fence record (host_facts_merge). */
struct host_facts {
	uint32_t nodeid;
	uint64_t inc;        /* newest incarnation seen; 0: never seen */
	bool watchdog;       /* inc announced a sanlock watchdog */
	uint64_t generation; /* inc's sanlock lockspace generation; 0: unknown */
	uint64_t closed_inc; /* newest incarnation with a valid "off" record */
	uint64_t void_inc;   /* an "off" record for this incarnation was wrong */
};

/* Fold what another member announced about a host into ours. The newest
 * incarnation wins with its own facts; "off" records count unless we have
 * found them wrong. Returns true if ours changed. */
bool host_facts_merge(struct host_facts *ours, const struct host_facts *theirs);

/* An "off" record for incarnation INC: closes it (unless found wrong). */
void host_facts_close(struct host_facts *f, uint64_t inc);

/*
 * The host is a member of the membership but its life is not known (its
 * havmd is not running, or never announced to us): count an unknown open
 * life after the last one known, so that it is fenced if it leaves and is
 * never taken as off on an older record. Its real number, once announced,
 * is larger and replaces it.
 */
void host_facts_unknown_life(struct host_facts *f);

/* An "off" record for INC turned out wrong (the host is still up in INC):
 * it closes nothing, here or when others announce it. */
void host_facts_void(struct host_facts *f, uint64_t inc);

/* Everything the planner looks at for one host. */
struct fence_host {
	uint32_t nodeid;
	size_t levels;           /* configured power fence levels */
	bool member;             /* in the current settled membership */
	bool requested;          /* an operator asked to fence inc */
	bool maintenance;        /* in maintenance (the operator services it): not
				  * fenced when it leaves, unless requested */
	struct host_facts facts;
	uint8_t heartbeat;       /* enum havm_heartbeat, as sanlock says now */
	uint64_t hb_generation;  /* the generation sanlock's heartbeat is of */
	/* the executor's state for facts.inc */
	bool running;            /* a power job for it is out */
	uint64_t running_inc;    /* the incarnation that job is for */
	unsigned attempts;       /* failed power attempts for facts.inc */
	uint64_t not_before_ms;  /* fence delay or back-off */
	uint64_t delay_until_ms; /* the fence delay alone (also before storage "dead") */
};

struct fence_snapshot {
	bool acting;      /* coordinator of a quorate, settled, synced partition */
	bool paused;      /* cluster maintenance mode: nothing fenced, jobs stopped */
	bool hold;        /* no new job now (jobs out run on): the facts that say
			   * which hosts may be fenced are being agreed */
	uint32_t self;    /* our node id: a daemon never fences its own host */
	uint64_t now_ms;
	const struct fence_host *hosts;
	size_t n_hosts;
};

/* Does host H need fencing (whoever acts)? Also what status shows as
 * "fence pending". */
bool fence_needed(const struct fence_snapshot *s, const struct fence_host *h);
/* Is host H known off: out of the membership, its newest life closed. */
bool fence_done(const struct fence_host *h);

enum fence_step_kind {
	FENCE_STEP_POWER = 1,        /* run the host's levels until one verifies off */
	FENCE_STEP_STORAGE_DEAD = 2, /* record sanlock's "dead" as the fence */
	FENCE_STEP_CANCEL = 3,       /* a job is out that is no longer wanted */
};

struct fence_step {
	uint32_t nodeid;
	enum fence_step_kind kind;
	uint64_t inc; /* the incarnation the step is about */
};

/* Why storage "dead" may not be taken for H now (NULL: it may). */
const char *fence_storage_refusal(const struct fence_snapshot *s, const struct fence_host *h);

/* Steps to take now, at most MAX, into OUT; returns how many. */
size_t fence_plan(const struct fence_snapshot *s, struct fence_step *out, size_t max);

#endif
