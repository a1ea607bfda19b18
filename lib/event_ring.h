/*
 * event_ring.h: havm's events, and the bounded ring that keeps the newest.
 *
 * An event is something that happened which an operator may need to hear
 * about: quorum lost, a new coordinator, a daemon gone from the group, a
 * host fenced, a VM restarted. Every havmd service records one with a
 * single call, event_record() (daemon/events.h): it goes to the log at
 * once, into this ring, which `havm events` reads over the control socket,
 * and (a later issue) to the alert channels: syslog, SNMP traps, alert
 * scripts. Debug detail is not an event: it goes to the log and blackbox.
 *
 * The type names are an interface (logs, `havm events --json`, alerts):
 * once released, a name never changes meaning and is never reused.
 *
 * Pure: no I/O, no clock (the caller gives the time), no allocation; unit
 * tested in tests/unit/test_event_ring.c.
 */
#ifndef HAVM_EVENT_RING_H
#define HAVM_EVENT_RING_H

#include "wire.h"

#include <stddef.h>
#include <stdint.h>

/*
 * Every kind of event. The numbers are stable too (a MIB will carry them);
 * add new ones at the end, before HAVM_EV_COUNT.
 */
enum havm_event {
	HAVM_EV_HOST_LOST = 1,     /* a host left the membership */
	HAVM_EV_HOST_BACK = 2,     /* a lost or fenced host returned */
	HAVM_EV_HOST_ISOLATED = 3, /* out of the membership, heartbeat live */
	HAVM_EV_FENCE_STARTED = 4,
	HAVM_EV_FENCE_SUCCEEDED = 5,    /* powered off and verified off */
	HAVM_EV_FENCE_FAILED = 6,       /* every level failed; retrying */
	HAVM_EV_FENCE_STORAGE_DEAD = 7, /* taken as fenced: sanlock says dead */
	HAVM_EV_QUORUM_GAINED = 8,
	HAVM_EV_QUORUM_LOST = 9,
	HAVM_EV_COORDINATOR_CHANGED = 10,       /* a new coordinator, or none */
	HAVM_EV_STORAGE_HEARTBEAT_CHANGED = 11, /* a host's heartbeat: live, failing, dead */
	HAVM_EV_STORAGE_STATE_CHANGED = 12,     /* this host's view of the shared storage */
	HAVM_EV_TIEBREAK_LEASE_HELD = 13,
	HAVM_EV_TIEBREAK_LEASE_LOST = 14,     /* lost while held (its process died) */
	HAVM_EV_TIEBREAK_LEASE_RELEASED = 15, /* let go on purpose: havmd stopping */
	HAVM_EV_LEASE_RECLAIMED = 16,         /* a fenced host's VM lease taken back */
	HAVM_EV_DAEMON_JOINED = 17,           /* a havmd joined the group */
	HAVM_EV_DAEMON_LEFT = 18,             /* a havmd left the group */
	HAVM_EV_CONFIG_INVALID = 19,
	HAVM_EV_VM_STARTED = 20,
	HAVM_EV_VM_STOPPED = 21,
	HAVM_EV_VM_FAILED = 22,
	HAVM_EV_VM_PENDING = 23, /* to be started, waiting (fence, capacity) */
	HAVM_EV_VM_PLACED = 24,  /* a host chosen for it */
	HAVM_EV_VM_MIGRATED = 25,
	HAVM_EV_CONFIG_CHANGED = 26,  /* the cluster configuration (protected VMs) changed */
	HAVM_EV_VM_LOST = 27,         /* a protected VM stopped running where it ran */
	HAVM_EV_LIBVIRT_CHANGED = 28, /* a host's libvirt stopped or started answering */
	HAVM_EV_VM_UNLEASED = 29,     /* a protected VM runs without holding its lease */
	HAVM_EV_ALERTS_SUPPRESSED = 30, /* alerts over the rate, counted */
	HAVM_EV_ALERT_TEST = 31,      /* `havm alert test` */
	HAVM_EV_COUNT
};

/* The stable name ("quorum-lost"), or "unknown" for a value not above. */
const char *event_type_name(enum havm_event type);
/* A syslog level's name as havmd's logs use it: "err", "warning",
 * "notice", "info", "debug" (and "emerg", "alert", "crit"). */
const char *event_severity_name(int severity);

/* The ring's size: about 0.8 MiB, touched only as events arrive. */
#define EVENT_RING_SIZE 1000
_Static_assert(EVENT_RING_SIZE <= WIRE_EVENTS_MAX, "a request can ask for the whole ring");

/* One event as kept. Every string is printable ASCII (escaped on entry). */
struct event_rec {
	uint64_t seq;     /* 1, 2, ... per start of havmd, without gaps */
	uint64_t time_ms; /* wall clock, ms since the epoch */
	enum havm_event type;
	uint8_t severity;                   /* syslog level */
	uint32_t nodeid;                    /* the host it is about; 0 if none */
	char host[WIRE_NAME_MAX + 1];       /* its name in havm.conf; "" if none */
	char vm[WIRE_EVENT_VM_MAX + 1];     /* the VM it is about, escaped; "" if none */
	char text[WIRE_EVENT_TEXT_MAX + 1]; /* key=value details */
};

/* All zero is an empty ring, ready for use. */
struct event_ring {
	struct event_rec ev[EVENT_RING_SIZE];
	size_t start;      /* index of the oldest */
	size_t n;          /* events held */
	uint64_t last_seq; /* of the newest; 0 before the first */
	uint64_t dropped;  /* oldest events overwritten since the start */
};

/*
 * Append an event; when the ring is full the oldest is dropped (and
 * counted). HOST and VM may be NULL. HOST is copied through text_escape;
 * VM too (a VM's name comes from outside), cut with "..." past
 * WIRE_EVENT_VM_MAX; TEXT through text_escape_controls: every byte outside
 * printable ASCII becomes \xNN, while its quotes, the caller's key=value
 * structure, stay (so untrusted values in it must already be escaped with
 * text_escape); cut with "..." past WIRE_EVENT_TEXT_MAX. SEVERITY is
 * clamped to LOG_EMERG..LOG_DEBUG. Returns the event as kept.
 */
const struct event_rec *event_ring_add(struct event_ring *r, uint64_t time_ms, enum havm_event type,
				       int severity, uint32_t nodeid, const char *host,
				       const char *vm, const char *text);

/* Events held, and the I-th of them: 0 the oldest, event_ring_count - 1 the
 * newest; NULL past the end. */
size_t event_ring_count(const struct event_ring *r);
const struct event_rec *event_ring_get(const struct event_ring *r, size_t i);

/* An event as the control socket carries it. */
void event_to_wire(const struct event_rec *e, struct wire_event *w);

/*
 * The reply to `havm events -n MAX`: the newest MAX events held, oldest
 * first, as many as fit one message (HAVM_WIRE_MSG_MAX): an event takes up
 * to WIRE_EVENT_MAX_LEN bytes, so they are counted back from the newest
 * until the next would not fit, and the older ones asked for are counted
 * in M->cut. M->held and M->dropped say what the ring holds and has lost.
 */
void event_ring_reply(const struct event_ring *r, uint16_t max, struct wire_events_reply *m);

/*
 * "host=H nodeid=N vm=V TEXT", leaving out what the event lacks: how every
 * event reads after its type, in havmd's log line and in `havm events`. VM
 * is put in double quotes if it holds a space, '"' or '='. Into BUF (SIZE
 * bytes, always NUL-terminated); returns BUF.
 */
const char *event_fields_format(char *buf, size_t size, const char *host, uint32_t nodeid,
				const char *vm, const char *text);

/* Room for event_fields_format's output of any event. */
#define EVENT_FIELDS_SIZE                                                                          \
	(sizeof("host= nodeid=4294967295 vm=\"\" ") + WIRE_NAME_MAX + WIRE_EVENT_VM_MAX +          \
	 WIRE_EVENT_TEXT_MAX + 1)

#endif
