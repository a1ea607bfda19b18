/*
 * test_event_ring.c: the event ring (lib/event_ring.h): order, sequence
 * numbers, the bound and the count of dropped events, escaping of what
 * comes from outside, the type and severity names, the fields' format, and
 * that whatever the ring holds can be sent (wire.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "event_ring.h"

#include <stdio.h>
#include <string.h>
#include <syslog.h>

static struct event_ring ring;

static int setup(void **state)
{
	(void)state;
	memset(&ring, 0, sizeof(ring));
	return 0;
}

static void empty_ring(void **state)
{
	(void)state;
	assert_int_equal(event_ring_count(&ring), 0);
	assert_null(event_ring_get(&ring, 0));
	assert_true(ring.dropped == 0);
}

static void order_and_sequence(void **state)
{
	const struct event_rec *e;

	(void)state;
	e = event_ring_add(&ring, 1000, HAVM_EV_QUORUM_GAINED, LOG_NOTICE, 0, NULL, NULL,
			   "members=3 ring=1.12");
	assert_true(e->seq == 1);
	e = event_ring_add(&ring, 1001, HAVM_EV_COORDINATOR_CHANGED, LOG_NOTICE, 1, "kvm1", NULL,
			   "previous=0 local=yes");
	assert_true(e->seq == 2);
	event_ring_add(&ring, 999, HAVM_EV_DAEMON_LEFT, LOG_INFO, 3, "kvm3", NULL,
		       "pid=42 reason=nodedown");
	assert_int_equal(event_ring_count(&ring), 3);
	/* Oldest first, in the order recorded, whatever the wall clock says. */
	for (size_t i = 0; i < 3; i++)
		assert_true(event_ring_get(&ring, i)->seq == i + 1);
	e = event_ring_get(&ring, 2);
	assert_int_equal(e->type, HAVM_EV_DAEMON_LEFT);
	assert_true(e->time_ms == 999);
	assert_int_equal(e->severity, LOG_INFO);
	assert_int_equal(e->nodeid, 3);
	assert_string_equal(e->host, "kvm3");
	assert_string_equal(e->vm, "");
	assert_string_equal(e->text, "pid=42 reason=nodedown");
	assert_null(event_ring_get(&ring, 3));
}

static void bound_drops_oldest_and_counts(void **state)
{
	char text[32];

	(void)state;
	for (unsigned i = 1; i <= EVENT_RING_SIZE + 5; i++) {
		snprintf(text, sizeof(text), "n=%u", i);
		event_ring_add(&ring, i, HAVM_EV_DAEMON_JOINED, LOG_INFO, 1, "a", NULL, text);
		assert_int_equal(event_ring_count(&ring),
				 i < EVENT_RING_SIZE ? i : EVENT_RING_SIZE);
	}
	assert_true(ring.dropped == 5);
	assert_true(ring.last_seq == EVENT_RING_SIZE + 5);
	assert_true(event_ring_get(&ring, 0)->seq == 6);
	assert_string_equal(event_ring_get(&ring, 0)->text, "n=6");
	/* No gap and no reordering across the wrap. */
	for (size_t i = 1; i < EVENT_RING_SIZE; i++)
		assert_true(event_ring_get(&ring, i)->seq == event_ring_get(&ring, i - 1)->seq + 1);
	assert_true(event_ring_get(&ring, EVENT_RING_SIZE - 1)->seq == EVENT_RING_SIZE + 5);
	assert_null(event_ring_get(&ring, EVENT_RING_SIZE));
	/* The count keeps going. */
	event_ring_add(&ring, 0, HAVM_EV_DAEMON_JOINED, LOG_INFO, 0, NULL, NULL, "");
	assert_true(ring.dropped == 6);
}

static void escaping(void **state)
{
	const struct event_rec *e;
	char vm[WIRE_EVENT_VM_MAX * 2], text[WIRE_EVENT_TEXT_MAX * 2];

	(void)state;
	/* A VM's name comes from outside: escaped like any quoted input. */
	e = event_ring_add(&ring, 0, HAVM_EV_VM_FAILED, LOG_ERR, 2, "kvm2", "web\x1b[31m\"1\xff",
			   "reason=\"x\ny\" error=\"\x01\"");
	assert_string_equal(e->vm, "web\\x1b[31m\\\"1\\xff");
	/* The text keeps its quotes (the caller's key=value structure), but no
	 * byte outside printable ASCII. */
	assert_string_equal(e->text, "reason=\"x\\x0ay\" error=\"\\x01\"");
	/* Too long: cut, and said to be cut. */
	memset(vm, 'v', sizeof(vm) - 1);
	vm[sizeof(vm) - 1] = '\0';
	memset(text, 't', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	e = event_ring_add(&ring, 0, HAVM_EV_VM_FAILED, LOG_ERR, 2, "kvm2", vm, text);
	assert_int_equal(strlen(e->vm), WIRE_EVENT_VM_MAX);
	assert_memory_equal(e->vm + WIRE_EVENT_VM_MAX - 3, "...", 3);
	assert_int_equal(strlen(e->text), WIRE_EVENT_TEXT_MAX);
	assert_memory_equal(e->text + WIRE_EVENT_TEXT_MAX - 3, "...", 3);
	/* Escapes are never cut in half. */
	memset(text, '\x01', sizeof(text) - 1);
	e = event_ring_add(&ring, 0, HAVM_EV_VM_FAILED, LOG_ERR, 0, NULL, NULL, text);
	assert_int_equal((strlen(e->text) - 3) % 4, 0);
	assert_memory_equal(e->text + strlen(e->text) - 3, "...", 3);
	/* A host's name needs its node id; NULLs are empty. */
	e = event_ring_add(&ring, 0, HAVM_EV_QUORUM_LOST, LOG_NOTICE, 0, "kvm1", NULL, NULL);
	assert_string_equal(e->host, "");
	assert_string_equal(e->text, "");
}

static void severity_clamped(void **state)
{
	(void)state;
	assert_int_equal(event_ring_add(&ring, 0, HAVM_EV_QUORUM_LOST, -3, 0, 0, 0, "")->severity,
			 LOG_EMERG);
	assert_int_equal(event_ring_add(&ring, 0, HAVM_EV_QUORUM_LOST, 99, 0, 0, 0, "")->severity,
			 LOG_DEBUG);
}

static void names(void **state)
{
	(void)state;
	for (int t = 1; t < HAVM_EV_COUNT; t++) {
		const char *n = event_type_name((enum havm_event)t);

		assert_string_not_equal(n, "unknown");
		assert_true(strlen(n) <= WIRE_EVENT_TYPE_MAX);
		assert_int_equal(strspn(n, "abcdefghijklmnopqrstuvwxyz0123456789-"), strlen(n));
		for (int u = 1; u < t; u++)
			assert_string_not_equal(n, event_type_name((enum havm_event)u));
	}
	assert_string_equal(event_type_name(HAVM_EV_QUORUM_LOST), "quorum-lost");
	assert_string_equal(event_type_name(HAVM_EV_STORAGE_HEARTBEAT_CHANGED),
			    "storage-heartbeat-changed");
	assert_string_equal(event_type_name(HAVM_EV_VM_MIGRATED), "vm-migrated");
	assert_string_equal(event_type_name((enum havm_event)0), "unknown");
	assert_string_equal(event_type_name(HAVM_EV_COUNT), "unknown");
	assert_string_equal(event_severity_name(LOG_ERR), "err");
	assert_string_equal(event_severity_name(LOG_WARNING), "warning");
	assert_string_equal(event_severity_name(LOG_NOTICE), "notice");
	assert_string_equal(event_severity_name(LOG_INFO), "info");
	assert_string_equal(event_severity_name(8), "unknown");
}

static void fields_format(void **state)
{
	char buf[EVENT_FIELDS_SIZE];

	(void)state;
	assert_string_equal(event_fields_format(buf, sizeof(buf), "kvm3", 3, "", "reason=nodedown"),
			    "host=kvm3 nodeid=3 reason=nodedown");
	assert_string_equal(event_fields_format(buf, sizeof(buf), "", 0, NULL, "members=3"),
			    "members=3");
	assert_string_equal(event_fields_format(buf, sizeof(buf), "", 7, "web1", ""),
			    "nodeid=7 vm=web1");
	assert_string_equal(event_fields_format(buf, sizeof(buf), "kvm1", 1, "my vm", "x=1"),
			    "host=kvm1 nodeid=1 vm=\"my vm\" x=1");
	assert_string_equal(event_fields_format(buf, sizeof(buf), "", 0, "", ""), "");
	/* A small buffer: cut, NUL-terminated. */
	assert_string_equal(event_fields_format(buf, 8, "kvm3", 3, "", "x"), "host=kv");
}

/* Whatever the ring holds, the control socket can carry. */
static void every_event_can_be_sent(void **state)
{
	char text[WIRE_EVENT_TEXT_MAX * 2], vm[300];
	struct wire_event w;

	(void)state;
	for (size_t i = 0; i < sizeof(text) - 1; i++)
		text[i] = (char)(i % 255 + 1);
	text[sizeof(text) - 1] = '\0';
	for (size_t i = 0; i < sizeof(vm) - 1; i++)
		vm[i] = (char)(255 - i % 255);
	vm[sizeof(vm) - 1] = '\0';
	for (int t = 1; t < HAVM_EV_COUNT; t++) {
		const struct event_rec *e =
			event_ring_add(&ring, 1, (enum havm_event)t, LOG_ERR, 64, "n", vm, text);
		event_to_wire(e, &w);
		assert_true(wire_event_len(&w) > 0);
		assert_true(wire_event_len(&w) <= WIRE_EVENT_MAX_LEN);
		assert_string_equal(w.type, event_type_name((enum havm_event)t));
		assert_true(w.seq == e->seq);
	}
}

static void reply_newest_oldest_first(void **state)
{
	static struct wire_events_reply m;
	static uint8_t buf[HAVM_WIRE_MSG_MAX];

	(void)state;
	event_ring_reply(&ring, 50, &m);
	assert_int_equal(m.n_events, 0);
	assert_int_equal(m.held, 0);
	assert_true(wire_events_reply_encode(buf, sizeof(buf), &m) > 0);
	for (int i = 0; i < 3; i++)
		event_ring_add(&ring, 1, HAVM_EV_DAEMON_JOINED, LOG_INFO, 1, "a", NULL, "x=1");
	event_ring_reply(&ring, 50, &m);
	assert_int_equal(m.n_events, 3);
	assert_int_equal(m.held, 3);
	assert_int_equal(m.cut, 0);
	assert_true(m.dropped == 0);
	assert_true(m.events[0].seq == 1 && m.events[2].seq == 3);
	assert_string_equal(m.events[2].type, "daemon-joined");
	event_ring_reply(&ring, 2, &m);
	assert_int_equal(m.n_events, 2);
	assert_int_equal(m.cut, 0); /* not asked for is not cut */
	assert_true(m.events[0].seq == 2 && m.events[1].seq == 3);
	assert_true(wire_events_reply_encode(buf, sizeof(buf), &m) > 0);
}

/* A full ring of long events: the newest that fit, the rest counted. */
static void reply_cut_to_fit(void **state)
{
	static struct wire_events_reply m;
	static uint8_t buf[HAVM_WIRE_MSG_MAX];
	char text[501];
	int len, one;

	(void)state;
	memset(text, 't', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	for (int i = 0; i < EVENT_RING_SIZE + 20; i++)
		event_ring_add(&ring, 1, HAVM_EV_DAEMON_LEFT, LOG_NOTICE, 3, "node3", NULL, text);
	event_to_wire(event_ring_get(&ring, 0), &m.events[0]);
	one = wire_event_len(&m.events[0]);
	event_ring_reply(&ring, WIRE_EVENTS_MAX, &m);
	assert_int_equal(m.held, EVENT_RING_SIZE);
	assert_true(m.dropped == 20);
	assert_int_equal(m.n_events, (HAVM_WIRE_MSG_MAX - WIRE_EVENTS_REPLY_FIXED_LEN) / one);
	assert_int_equal(m.cut, EVENT_RING_SIZE - m.n_events);
	assert_true(m.events[m.n_events - 1].seq == EVENT_RING_SIZE + 20);
	assert_true(m.events[0].seq == (uint64_t)(EVENT_RING_SIZE + 20 - m.n_events + 1));
	len = wire_events_reply_encode(buf, sizeof(buf), &m);
	assert_true(len > 0 && len <= HAVM_WIRE_MSG_MAX);
	assert_true(len + one > HAVM_WIRE_MSG_MAX); /* one more would not have fit */
	/* The default always fits whole. */
	event_ring_reply(&ring, WIRE_EVENTS_DEFAULT, &m);
	assert_int_equal(m.n_events, WIRE_EVENTS_DEFAULT);
	assert_int_equal(m.cut, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(empty_ring, setup),
		cmocka_unit_test_setup(order_and_sequence, setup),
		cmocka_unit_test_setup(bound_drops_oldest_and_counts, setup),
		cmocka_unit_test_setup(escaping, setup),
		cmocka_unit_test_setup(severity_clamped, setup),
		cmocka_unit_test_setup(names, setup),
		cmocka_unit_test_setup(fields_format, setup),
		cmocka_unit_test_setup(every_event_can_be_sent, setup),
		cmocka_unit_test_setup(reply_newest_oldest_first, setup),
		cmocka_unit_test_setup(reply_cut_to_fit, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
