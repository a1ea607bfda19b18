/*
 * ratelimit.h: at most one log line (or alert) per interval for one kind of
 * thing, with a count of what was held back. Pure: the caller passes the
 * clock, so it is tested directly. Used wherever an outsider can make havmd
 * say something many times (refused connections, later alert floods): a
 * flood must not fill syslog or the disk.
 */
#ifndef HAVM_RATELIMIT_H
#define HAVM_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

struct ratelimit {
	uint64_t interval_ms; /* at most one pass per interval */
	uint64_t last_ms;     /* when the last one passed */
	bool passed_once;
	unsigned suppressed; /* held back since the last one passed */
};

/*
 * true if this one may be said now. Then *suppressed (if not NULL) is how
 * many were held back since the last one said, so that the line can add
 * "N more suppressed", and the count starts again.
 */
bool ratelimit_pass(struct ratelimit *r, uint64_t now_ms, unsigned *suppressed);

#endif
