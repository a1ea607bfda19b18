/*
 * events.h: the one call every havmd service uses to say that something
 * happened (the types and the ring are lib/event_ring.h).
 *
 * event_record logs exactly one line, at SEVERITY, through qb_log:
 *
 *   event: TYPE seq=N [host=NAME nodeid=N] [vm=NAME] TEXT
 *
 * and keeps the event in havmd's ring (the newest EVENT_RING_SIZE), which
 * `havm events` reads; the alert channels (syslog, SNMP traps, alert
 * scripts) will take their events from there too. So a service never logs
 * an event by hand: what the log says, `havm events` and alerts say too.
 *
 * NODEID is the host the event is about (0 if none); its name is looked up
 * in havm.conf. VM is the VM's name (NULL if none); it is escaped. FMT
 * gives the details as "key=value ..." text; a value with spaces goes in
 * double quotes, and a value that came from outside (a peer, a file, a
 * library's message about them) must be passed through text_escape first:
 * the text keeps its quotes, and only bytes outside printable ASCII are
 * escaped in it (text_escape_controls).
 */
#ifndef HAVMD_EVENTS_H
#define HAVMD_EVENTS_H

#include "event_ring.h"

#include <stdint.h>
#include <syslog.h>

struct havmd;

/* SEVERITY: LOG_ERR (an operator should act), LOG_WARNING, LOG_NOTICE (a
 * change of state) or LOG_INFO (normal life of the cluster). */
void event_record(struct havmd *h, enum havm_event type, int severity, uint32_t nodeid,
		  const char *vm, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

#endif
