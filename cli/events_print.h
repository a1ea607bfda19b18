/*
 * events_print.h: how `havm events` shows havmd's events, for people (one
 * line each) and for scripts (a JSON array, built with json-c). Apart from
 * the command so that tests/unit/test_events_print.c can check it.
 */
#ifndef HAVM_EVENTS_PRINT_H
#define HAVM_EVENTS_PRINT_H

#include "wire.h"

#include <stdio.h>

/* An event's time as "2025-06-01T10:00:00.123Z" (UTC, as the fence history). */
#define EVENTS_TIME_SIZE 32
const char *events_time_format(char *buf, size_t size, uint64_t time_ms);

/* "TIME SEQ SEVERITY TYPE host=.. nodeid=.. vm=.. TEXT\n" for each event. */
void events_print_human(FILE *f, const struct wire_events_reply *m);

/*
 * A JSON array of one object per event, oldest first, and a newline:
 * seq, time, time_ms, severity, type, host, nodeid, vm, text (host,
 * nodeid and vm null when the event has none). 0, or -ENOMEM.
 */
int events_print_json(FILE *f, const struct wire_events_reply *m);

/*
 * What a reply leaves out, one line each (for stderr: stdout stays events
 * alone, for scripts): events asked for but too old to fit in the reply,
 * and, when the reply reaches back to the oldest event the ring holds,
 * the older ones it dropped. Nothing if nothing is missing.
 */
void events_print_missing(FILE *f, const struct wire_events_reply *m);

#endif
