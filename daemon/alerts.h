/*
 * alerts.h: every event recorded goes to the operator's alert scripts
 * (the alerts group of havm.conf): run off the loop as worker jobs,
 * without a shell, the event in their environment (lib/alert.h), killed
 * after alerts.timeout_ms; at most ALERT_JOBS_MAX at once and
 * ALERT_QUEUE_MAX waiting, at most alerts.per_minute events a minute.
 * What does not fit is counted and told in one "alerts-suppressed" event.
 * A dead or hung script, or a flood of events, never blocks the loop and
 * nothing here grows without bound.
 *
 * The same events, with the same selection and limit, go as SNMP traps to
 * each receiver of alerts.snmp (daemon/alerts_snmp.h): one worker job per
 * trap, queued with the scripts.
 */
#ifndef HAVMD_ALERTS_H
#define HAVMD_ALERTS_H

#include "alert.h"
#include "event_ring.h"

#include <stdbool.h>
#include <stdint.h>

struct havmd;

#define ALERT_QUEUE_MAX 64
#define ALERT_JOBS_MAX 2

struct alert_item {
	struct event_rec e;
	uint8_t target;   /* index into alert_scripts, then (past them) into snmp */
};

struct alerts_state {
	bool on;
	struct alert_rate rate;
	struct alert_item queue[ALERT_QUEUE_MAX];
	size_t head, n;
	unsigned running;
	uint64_t dropped;  /* queue full: counted into the next summary */
	uint64_t sent, failed;
	uint64_t timer;
	uint32_t engine_id_nodeid; /* the SNMP engine ID logged is this node's */
};

extern const struct havmd_service alerts_service;

/* From event_record: event E was just recorded here. */
void alerts_on_event(struct havmd *h, const struct event_rec *e);

#endif
