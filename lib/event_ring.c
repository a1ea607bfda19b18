/*
 * event_ring.c: event types and the bounded ring of the newest events (see
 * event_ring.h).
 */
#include "event_ring.h"

#include "text_escape.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

static const char *const type_names[HAVM_EV_COUNT] = {
	[HAVM_EV_HOST_LOST] = "host-lost",
	[HAVM_EV_HOST_BACK] = "host-back",
	[HAVM_EV_HOST_ISOLATED] = "host-isolated",
	[HAVM_EV_FENCE_STARTED] = "fence-started",
	[HAVM_EV_FENCE_SUCCEEDED] = "fence-succeeded",
	[HAVM_EV_FENCE_FAILED] = "fence-failed",
	[HAVM_EV_FENCE_STORAGE_DEAD] = "fence-storage-dead",
	[HAVM_EV_QUORUM_GAINED] = "quorum-gained",
	[HAVM_EV_QUORUM_LOST] = "quorum-lost",
	[HAVM_EV_COORDINATOR_CHANGED] = "coordinator-changed",
	[HAVM_EV_STORAGE_HEARTBEAT_CHANGED] = "storage-heartbeat-changed",
	[HAVM_EV_STORAGE_STATE_CHANGED] = "storage-state-changed",
	[HAVM_EV_TIEBREAK_LEASE_HELD] = "tiebreak-lease-held",
	[HAVM_EV_TIEBREAK_LEASE_LOST] = "tiebreak-lease-lost",
	[HAVM_EV_TIEBREAK_LEASE_RELEASED] = "tiebreak-lease-released",
	[HAVM_EV_LEASE_RECLAIMED] = "lease-reclaimed",
	[HAVM_EV_DAEMON_JOINED] = "daemon-joined",
	[HAVM_EV_DAEMON_LEFT] = "daemon-left",
	[HAVM_EV_CONFIG_INVALID] = "config-invalid",
	[HAVM_EV_VM_STARTED] = "vm-started",
	[HAVM_EV_VM_STOPPED] = "vm-stopped",
	[HAVM_EV_VM_FAILED] = "vm-failed",
	[HAVM_EV_VM_PENDING] = "vm-pending",
	[HAVM_EV_VM_PLACED] = "vm-placed",
	[HAVM_EV_VM_MIGRATED] = "vm-migrated",
	[HAVM_EV_CONFIG_CHANGED] = "config-changed",
	[HAVM_EV_VM_LOST] = "vm-lost",
	[HAVM_EV_VM_UNLEASED] = "vm-unleased",
	[HAVM_EV_ALERTS_SUPPRESSED] = "alerts-suppressed",
	[HAVM_EV_ALERT_TEST] = "alert-test",
	[HAVM_EV_LIBVIRT_CHANGED] = "libvirt-changed",
};

const char *event_type_name(enum havm_event type)
{
	if ((int)type <= 0 || type >= HAVM_EV_COUNT || !type_names[type])
		return "unknown";
	return type_names[type];
}

const char *event_severity_name(int severity)
{
	static const char *const names[] = { "emerg",   "alert",  "crit", "err",
					     "warning", "notice", "info", "debug" };

	if (severity < LOG_EMERG || severity > LOG_DEBUG)
		return "unknown";
	return names[severity];
}

const struct event_rec *event_ring_add(struct event_ring *r, uint64_t time_ms, enum havm_event type,
				       int severity, uint32_t nodeid, const char *host,
				       const char *vm, const char *text)
{
	struct event_rec *e;

	if (r->n == EVENT_RING_SIZE) {
		/* Full: the oldest makes room, and the loss is counted. */
		r->start = (r->start + 1) % EVENT_RING_SIZE;
		r->n--;
		r->dropped++;
	}
	e = &r->ev[(r->start + r->n) % EVENT_RING_SIZE];
	r->n++;
	e->seq = ++r->last_seq;
	e->time_ms = time_ms;
	e->type = type;
	e->severity = (uint8_t)(severity < LOG_EMERG   ? LOG_EMERG
				: severity > LOG_DEBUG ? LOG_DEBUG
						       : severity);
	e->nodeid = nodeid;
	text_escape(e->host, sizeof(e->host), host ? host : "", WIRE_NAME_MAX);
	text_escape(e->vm, sizeof(e->vm), vm ? vm : "", WIRE_EVENT_VM_MAX);
	text_escape_controls(e->text, sizeof(e->text), text ? text : "", WIRE_EVENT_TEXT_MAX);
	/* A host's name shown without its node id would be ambiguous. */
	if (nodeid == 0)
		e->host[0] = '\0';
	return e;
}

size_t event_ring_count(const struct event_ring *r)
{
	return r->n;
}

const struct event_rec *event_ring_get(const struct event_ring *r, size_t i)
{
	if (i >= r->n)
		return NULL;
	return &r->ev[(r->start + i) % EVENT_RING_SIZE];
}

void event_to_wire(const struct event_rec *e, struct wire_event *w)
{
	w->seq = e->seq;
	w->time_ms = e->time_ms;
	w->severity = e->severity;
	w->nodeid = e->nodeid;
	snprintf(w->type, sizeof(w->type), "%s", event_type_name(e->type));
	memcpy(w->host, e->host, sizeof(w->host));
	memcpy(w->vm, e->vm, sizeof(w->vm));
	memcpy(w->text, e->text, sizeof(w->text));
}

void event_ring_reply(const struct event_ring *r, uint16_t max, struct wire_events_reply *m)
{
	size_t want = max < r->n ? max : r->n, room, k;

	if (want > WIRE_EVENTS_MAX)
		want = WIRE_EVENTS_MAX;
	room = HAVM_WIRE_MSG_MAX - WIRE_EVENTS_REPLY_FIXED_LEN;
	/* Newest first into the end of the array, so that no event is
	 * converted twice; then moved to the front, oldest first. */
	for (k = 0; k < want; k++) {
		struct wire_event *w = &m->events[want - 1 - k];
		int n;

		event_to_wire(event_ring_get(r, r->n - 1 - k), w);
		n = wire_event_len(w);
		if (n < 0 || (size_t)n > room)
			break;
		room -= (size_t)n;
	}
	if (k < want)
		memmove(m->events, m->events + (want - k), k * sizeof(m->events[0]));
	m->held = (uint32_t)r->n;
	m->dropped = r->dropped;
	m->cut = (uint32_t)(want - k);
	m->n_events = (uint16_t)k;
}

const char *event_fields_format(char *buf, size_t size, const char *host, uint32_t nodeid,
				const char *vm, const char *text)
{
	size_t o = 0;

#define APPEND(...)                                                                                \
	do {                                                                                       \
		if (o < size) {                                                                    \
			int n_ = snprintf(buf + o, size - o, __VA_ARGS__);                         \
			o += n_ > 0 ? (size_t)n_ : 0;                                              \
		}                                                                                  \
	} while (0)

	if (size == 0)
		return buf;
	buf[0] = '\0';
	if (host && host[0])
		APPEND("host=%s ", host);
	if (nodeid)
		APPEND("nodeid=%" PRIu32 " ", nodeid);
	if (vm && vm[0])
		APPEND(strpbrk(vm, " \"=") ? "vm=\"%s\" " : "vm=%s ", vm);
	if (text && text[0])
		APPEND("%s", text);
#undef APPEND
	/* No trailing space when the text is empty. */
	o = strlen(buf);
	if (o > 0 && buf[o - 1] == ' ')
		buf[o - 1] = '\0';
	return buf;
}
