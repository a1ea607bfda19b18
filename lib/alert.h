/*
 * alert.h: what an alert script is told about an event, which events a
 * host sends, and how many. Pure: no I/O, no clock (times are passed in).
 *
 * The environment, in the style of Pacemaker's CRM_alert_* (whose names
 * are set too, so that a script written for Pacemaker's alerts reads the
 * common ones):
 *   HAVM_ALERT_KIND         the event type: "host-lost", "vm-started", ...
 *                           ("alerts-suppressed" for a summary, "alert-test")
 *   HAVM_ALERT_SEVERITY     "err", "warning", "notice" or "info"
 *   HAVM_ALERT_NODE         the host it is about ("" none), and
 *   HAVM_ALERT_NODEID       its node id ("" none)
 *   HAVM_ALERT_VM           the VM it is about ("" none)
 *   HAVM_ALERT_DESC         its key=value details
 *   HAVM_ALERT_TIMESTAMP    "2026-11-30T00:49:37.123Z" (UTC)
 *   HAVM_ALERT_TIMESTAMP_EPOCH, HAVM_ALERT_TIMESTAMP_USEC
 *   HAVM_ALERT_SEQUENCE     the event's number on the sending host
 *   HAVM_ALERT_CLUSTER      the cluster's name
 *   HAVM_ALERT_FROM         the sending host
 *   CRM_alert_kind ("havm"), CRM_alert_node, CRM_alert_desc,
 *   CRM_alert_timestamp, CRM_alert_node_sequence, CRM_alert_version
 * plus PATH=/usr/sbin:/usr/bin:/sbin:/bin and nothing of havmd's own.
 * Every value is printable ASCII already (the event ring escapes on entry).
 *
 * Who sends: the coordinator sends every event it records; any other host
 * only those about itself (its own quorum, storage, libvirt...). So each
 * cluster-wide event goes out once, from the coordinator.
 *
 * How many: at most PER_MINUTE in each minute (a fixed window from the
 * first); the rest are counted, and the count goes out as one
 * "alerts-suppressed" event when the next window opens.
 */
#ifndef HAVM_ALERT_H
#define HAVM_ALERT_H

#include "event_ring.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ALERT_ENV_MAX 24
struct alert_env {
	char buf[2560];
	char *envp[ALERT_ENV_MAX + 1]; /* into buf, NULL-ended */
};

/* Fill ENV for event E, sent by host FROM of cluster CLUSTER. 0, or
 * -ENOSPC (cannot happen with the ring's limits). */
int alert_env_build(struct alert_env *env, const struct event_rec *e, const char *cluster,
		    const char *from);

/* Whether E goes out from this host (LOCAL, COORDINATOR: is it), given
 * the lowest severity wanted (LOG_ERR ... LOG_INFO). */
bool alert_wanted(const struct event_rec *e, int min_severity, uint32_t local, bool coordinator);

struct alert_rate {
	uint32_t per_minute;
	uint64_t window_ms;   /* start of the current minute; 0: none yet */
	uint32_t sent;        /* in it */
	uint64_t suppressed;  /* not sent since the last summary */
};
/* One more event at NOW_MS: true to send it, false when over the rate
 * (counted). */
bool alert_rate_take(struct alert_rate *r, uint64_t now_ms);
/* The count to summarise now (a new window has opened), else 0; reset. */
uint64_t alert_rate_summary(struct alert_rate *r, uint64_t now_ms);

#endif
