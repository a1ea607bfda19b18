/*
 * fence.h: havmd's fencing: track hosts lost from the quorate membership,
 * fence them (coordinator only, through fence_plan), and record every
 * result, on every host, in the fence history.
 */
#ifndef HAVMD_FENCE_H
#define HAVMD_FENCE_H

#include "config.h"
#include "membership.h"
#include "nodes.h"
#include "wire.h"

#include <stdbool.h>
#include <stdint.h>

struct havmd;

#define FENCE_HISTORY_FILE "fence-history" /* in HAVM_STATE_DIR */

struct fence_target {
	bool lost;            /* left the membership; not proven off since */
	bool proven_off;      /* fenced; stays set until it rejoins */
	uint64_t proven_off_at_ms;
	bool running;         /* our power fence job is out */
	uint32_t gen;         /* bumped at each loss: a job belongs to one */
	uint64_t lost_at_ms;
	uint64_t retry_at_ms;
	unsigned attempts;
	/* Our result not yet seen back through CPG: sent again every tick,
	 * so that no member's history misses it (corosync may be away). */
	bool unsent;
	uint64_t sent_at_ms;
	struct wire_fence_result result;
	/* The last result recorded for this host: a copy re-sent while the
	 * first was only slow is recognised and recorded once. */
	bool have_recorded;
	struct wire_fence_result recorded;
};

struct fence_state {
	struct fence_target t[HAVM_HOSTS_MAX]; /* by index in cfg.hosts */
	uint32_t prev[WIRE_NODES_MAX];         /* last settled membership */
	size_t n_prev;
	bool have_prev;
	uint64_t timer;
};

/* Lost and fenced hosts, for the status reply (arrays of WIRE_NODES_MAX). */
void fence_view_get(const struct havmd *h, struct fence_view *v, uint32_t *pending,
		    uint32_t *fenced);
int fence_start(struct havmd *h);
void fence_stop(struct havmd *h);
/* Every view change: note hosts that left or came back (settled views only). */
void fence_membership(struct havmd *h, const struct cluster_view *v);
/* An operator's fence request delivered by CPG: the target is treated as
 * lost now, whatever the membership says. */
void fence_on_request(struct havmd *h, uint32_t target, uint32_t sender);
/* A fence result delivered by CPG (ours included). */
void fence_on_result(struct havmd *h, const struct wire_fence_result *m, uint32_t sender);

#endif
