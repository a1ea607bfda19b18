/*
 * fence.h: havmd's fencing: track hosts lost from the quorate membership,
 * fence them (coordinator only, through fence_plan), and record every
 * result, on every host, in the fence history.
 */
#ifndef HAVMD_FENCE_H
#define HAVMD_FENCE_H

#include "config.h"
#include "membership.h"
#include "wire.h"

#include <stdbool.h>
#include <stdint.h>

struct havmd;

#define FENCE_HISTORY_FILE "fence-history" /* in HAVM_STATE_DIR */

struct fence_target {
	bool lost;            /* left the membership; not proven off since */
	bool proven_off;      /* fenced; stays set until it rejoins */
	bool running;         /* our power fence job is out */
	uint64_t lost_at_ms;
	uint64_t retry_at_ms;
	unsigned attempts;
};

struct fence_state {
	struct fence_target t[HAVM_HOSTS_MAX]; /* by index in cfg.hosts */
	uint32_t prev[WIRE_NODES_MAX];         /* last settled membership */
	size_t n_prev;
	bool have_prev;
	uint64_t timer;
	/* results corosync's flow control refused, sent again at the next tick */
	struct wire_fence_result pending[8];
	size_t n_pending;
};

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
