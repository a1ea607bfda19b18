/*
 * events.c: event_record (see events.h): one log line and one entry in the
 * ring for every event.
 */
#include "events.h"
#include "alerts.h"

#include "havmd.h"
#include "log.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

/* The wall clock: an event's time is for people and for correlating with
 * other hosts' logs, unlike deadlines (lib/clock.h). */
static uint64_t wall_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void event_record(struct havmd *h, enum havm_event type, int severity, uint32_t nodeid,
		  const char *vm, const char *fmt, ...)
{
	const struct havm_host *host = nodeid ? config_host_by_nodeid(&h->cfg, nodeid) : NULL;
	/* Longer than the ring keeps, so that a cut text is marked as cut. */
	char text[WIRE_EVENT_TEXT_MAX + 2], fields[EVENT_FIELDS_SIZE];
	const struct event_rec *e;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	e = event_ring_add(&h->events, wall_now_ms(), type, severity, nodeid,
			   host ? host->name : NULL, vm, text);
	event_fields_format(fields, sizeof(fields), e->host, e->nodeid, e->vm, e->text);
	/* qb_log's level is part of each call site: one call per level. */
#define EVENT_LOG(macro)                                                                           \
	macro("event: %s seq=%" PRIu64 "%s%s", event_type_name(type), e->seq,                      \
	      fields[0] ? " " : "", fields)
	switch (e->severity) {
	case LOG_EMERG:
	case LOG_ALERT:
	case LOG_CRIT:
	case LOG_ERR: EVENT_LOG(log_err); break;
	case LOG_WARNING: EVENT_LOG(log_warn); break;
	case LOG_NOTICE: EVENT_LOG(log_notice); break;
	case LOG_INFO: EVENT_LOG(log_info); break;
	default: EVENT_LOG(log_debug); break;
	}
#undef EVENT_LOG
	alerts_on_event(h, e);
}
