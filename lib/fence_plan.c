/* fence_plan.c: see fence_plan.h. */
#include "fence_plan.h"

#include "wire.h"

bool host_facts_merge(struct host_facts *ours, const struct host_facts *theirs)
{
	struct host_facts before = *ours;

	if (theirs->inc > ours->inc) {
		ours->inc = theirs->inc;
		ours->watchdog = theirs->watchdog;
		ours->generation = theirs->generation;
	} else if (theirs->inc == ours->inc && theirs->inc != 0) {
		/* The generation is announced once the lockspace is joined,
		 * later in the same life, and grows if sanlock rejoins it. */
		if (theirs->generation > ours->generation)
			ours->generation = theirs->generation;
		ours->watchdog = ours->watchdog || theirs->watchdog;
	}
	if (theirs->void_inc > ours->void_inc)
		ours->void_inc = theirs->void_inc;
	/* A closure of a life nobody announced (beyond the newest seen) is
	 * no closure: it would close that host's future lives in advance. */
	if (theirs->closed_inc > ours->closed_inc && theirs->closed_inc != ours->void_inc &&
	    theirs->closed_inc <= ours->inc)
		ours->closed_inc = theirs->closed_inc;
	if (ours->closed_inc == ours->void_inc && ours->void_inc != 0)
		ours->closed_inc = 0;
	return before.inc != ours->inc || before.watchdog != ours->watchdog ||
	       before.generation != ours->generation || before.closed_inc != ours->closed_inc ||
	       before.void_inc != ours->void_inc;
}

void host_facts_close(struct host_facts *f, uint64_t inc)
{
	/* A record of our own (or our coordinator's) made after a void is a
	 * new proof: it closes the life again. Only merged announcements
	 * stay bound by the void. */
	if (inc == f->void_inc)
		f->void_inc = 0;
	if (inc > f->closed_inc)
		f->closed_inc = inc;
	/* A record for a life we never saw still tells us it existed. */
	if (inc > f->inc) {
		f->inc = inc;
		f->watchdog = false;
		f->generation = 0;
	}
}

void host_facts_void(struct host_facts *f, uint64_t inc)
{
	if (inc > f->void_inc)
		f->void_inc = inc;
	if (f->closed_inc == inc)
		f->closed_inc = 0;
}

void host_facts_unknown_life(struct host_facts *f)
{
	uint64_t base = f->inc > f->closed_inc ? f->inc : f->closed_inc;

	if (f->inc != 0 && f->closed_inc < f->inc)
		return; /* an open life is known already */
	f->inc = base + 1;
	f->watchdog = false;
	f->generation = 0;
}

bool fence_done(const struct fence_host *h)
{
	return !h->member && h->facts.inc != 0 && h->facts.closed_inc >= h->facts.inc;
}

bool fence_needed(const struct fence_snapshot *s, const struct fence_host *h)
{
	if (h->nodeid == s->self || h->facts.inc == 0)
		return false;
	if (h->facts.closed_inc >= h->facts.inc)
		return false;
	/* An operator's request fences a member too, and a host in
	 * maintenance, which is otherwise left alone when it leaves: it is
	 * being serviced. */
	if (h->requested)
		return true;
	return !h->member && !h->maintenance;
}

const char *fence_storage_refusal(const struct fence_snapshot *s, const struct fence_host *h)
{
	if (h->heartbeat != HAVM_HB_DEAD)
		return "its storage heartbeat is not dead";
	if (h->levels > 0 && h->attempts == 0)
		return "power fencing comes first";
	(void)s;
	if (!h->facts.watchdog)
		return "it announced no sanlock watchdog, so a dead heartbeat does not prove "
		       "it was reset";
	if (h->facts.generation == 0)
		return "it never announced a sanlock generation in this incarnation (not joined "
		       "to the lockspace), so the dead heartbeat is from a previous life";
	if (h->hb_generation != h->facts.generation)
		return "the dead heartbeat is of another sanlock generation than the one its "
		       "lost incarnation announced";
	return NULL;
}

size_t fence_plan(const struct fence_snapshot *s, struct fence_step *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < s->n_hosts && n < max; i++) {
		const struct fence_host *h = &s->hosts[i];
		bool need = fence_needed(s, h);

		/* A job for a life that no longer needs fencing, or while we may
		 * not act, is stopped: the host came back, another record
		 * closed it, or we lost quorum. */
		if (h->running &&
		    (!s->acting || s->paused || !need || h->running_inc != h->facts.inc)) {
			out[n++] = (struct fence_step){ h->nodeid, FENCE_STEP_CANCEL,
							h->running_inc };
			continue;
		}
		if (!s->acting || s->paused || s->hold || !need)
			continue;
		if (fence_storage_refusal(s, h) == NULL && s->now_ms >= h->delay_until_ms) {
			out[n++] = (struct fence_step){ h->nodeid, FENCE_STEP_STORAGE_DEAD,
							h->facts.inc };
			continue;
		}
		if (h->running || h->levels == 0 || s->now_ms < h->not_before_ms)
			continue;
		out[n++] = (struct fence_step){ h->nodeid, FENCE_STEP_POWER, h->facts.inc };
	}
	return n;
}
