/*
 * clock.h: the monotonic clock in milliseconds, for deadlines and elapsed
 * times (never the wall clock, which an operator or NTP may step). Header
 * only, so that every part (daemon, CLI, fence library) can use it without
 * linking anything.
 */
#ifndef HAVM_CLOCK_H
#define HAVM_CLOCK_H

#include <errno.h>
#include <stdint.h>
#include <time.h>

static inline uint64_t clock_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Sleep MS milliseconds, through signals. Only for blocking contexts
 * (worker children, the CLI, the fence agent), never the main loop. */
static inline void clock_sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

#endif
