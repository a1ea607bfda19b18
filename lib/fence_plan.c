/* fence_plan.c: see fence_plan.h. */
#include "fence_plan.h"

#include "wire.h"

size_t fence_plan(const struct fence_snapshot *s, struct fence_step *out, size_t max)
{
	size_t n = 0;

	if (!s->acting)
		return 0;
	for (size_t i = 0; i < s->n_hosts && n < max; i++) {
		const struct fence_host *h = &s->hosts[i];

		if (!h->lost || h->nodeid == s->self)
			continue;
		/* sanlock's "dead" is proof by itself: the host's watchdog has
		 * fired, or its VMs were stopped, by the time it says so. It
		 * also ends a power attempt that cannot succeed. */
		if (h->heartbeat == HAVM_HB_DEAD) {
			out[n++] = (struct fence_step){ h->nodeid, FENCE_STEP_STORAGE_DEAD };
			continue;
		}
		if (h->running || h->levels == 0 || s->now_ms < h->retry_at_ms)
			continue;
		out[n++] = (struct fence_step){ h->nodeid, FENCE_STEP_POWER };
	}
	return n;
}
