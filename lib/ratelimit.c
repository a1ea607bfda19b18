/*
 * ratelimit.c: see ratelimit.h.
 */
#include "ratelimit.h"

bool ratelimit_pass(struct ratelimit *r, uint64_t now_ms, unsigned *suppressed)
{
	if (r->passed_once && now_ms - r->last_ms < r->interval_ms) {
		r->suppressed++;
		return false;
	}
	if (suppressed)
		*suppressed = r->suppressed;
	r->suppressed = 0;
	r->last_ms = now_ms;
	r->passed_once = true;
	return true;
}
