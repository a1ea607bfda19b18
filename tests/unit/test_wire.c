/*
 * test_wire.c: round trips for every message, and every rejection path of
 * the decoders (wrong magic, version, type, length, truncation, trailing
 * bytes, out-of-range fields, bad strings).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "wire.h"

#include <errno.h>
#include <string.h>

static uint8_t buf[HAVM_WIRE_MSG_MAX];

static struct wire_node_state sample_state(void)
{
	struct wire_node_state m = { .nodeid = 3, .state = HAVM_DAEMON_RUNNING,
				     .start_time = 1790000000ULL, .incarnation = 1790000000123ULL,
				     .flags = WIRE_NODE_STATE_WATCHDOG, .generation = 4,
				     .n_facts = 2 };
	strcpy(m.name, "kvm3");
	strcpy(m.version, "0.1.0");
	m.facts[0] = (struct wire_host_facts){ .nodeid = 1, .inc = 17, .flags = WIRE_FACT_WATCHDOG,
					       .generation = 2, .closed_inc = 16, .void_inc = 0 };
	m.facts[1] = (struct wire_host_facts){ .nodeid = 2, .inc = 9, .closed_inc = 9,
					       .void_inc = 8 };
	return m;
}

static void node_state_round_trip(void **state)
{
	struct wire_node_state in = sample_state(), out;
	int len = wire_node_state_encode(buf, sizeof(buf), &in);

	(void)state;
	assert_true(len > HAVM_WIRE_HDR_LEN);
	assert_int_equal(wire_node_state_decode(buf, (size_t)len, &out), 0);
	assert_int_equal(out.nodeid, 3);
	assert_int_equal(out.state, HAVM_DAEMON_RUNNING);
	assert_true(out.start_time == 1790000000ULL);
	assert_string_equal(out.name, "kvm3");
	assert_string_equal(out.version, "0.1.0");
	assert_true(out.incarnation == 1790000000123ULL);
	assert_int_equal(out.flags, WIRE_NODE_STATE_WATCHDOG);
	assert_int_equal(out.generation, 4);
	assert_int_equal(out.n_facts, 2);
	assert_int_equal(out.facts[0].nodeid, 1);
	assert_int_equal(out.facts[0].inc, 17);
	assert_int_equal(out.facts[0].flags, WIRE_FACT_WATCHDOG);
	assert_int_equal(out.facts[0].generation, 2);
	assert_int_equal(out.facts[0].closed_inc, 16);
	assert_int_equal(out.facts[1].void_inc, 8);
	assert_true(len <= WIRE_NODE_STATE_MAX_LEN);
}

static void node_state_facts_checked(void **state)
{
	struct wire_node_state m = sample_state(), out;
	int len;

	(void)state;
	m.incarnation = 0; /* every start has one */
	assert_int_equal(wire_node_state_encode(buf, sizeof(buf), &m), -EINVAL);
	m = sample_state();
	m.facts[1].nodeid = 0;
	assert_int_equal(wire_node_state_encode(buf, sizeof(buf), &m), -EINVAL);
	m = sample_state();
	m.n_facts = WIRE_NODES_MAX + 1;
	assert_int_equal(wire_node_state_encode(buf, sizeof(buf), &m), -EINVAL);
	/* A full table fits the largest encoding. */
	m = sample_state();
	m.n_facts = WIRE_NODES_MAX;
	for (int i = 0; i < WIRE_NODES_MAX; i++)
		m.facts[i] = (struct wire_host_facts){ .nodeid = (uint32_t)i + 1, .inc = ~0ULL,
						       .generation = ~0ULL, .closed_inc = ~0ULL,
						       .void_inc = ~0ULL };
	len = wire_node_state_encode(buf, sizeof(buf), &m);
	assert_int_equal(len, WIRE_NODE_STATE_MAX_LEN - (WIRE_NAME_MAX - 4) -
				      (WIRE_VERSION_STR_MAX - 5));
	assert_int_equal(wire_node_state_decode(buf, (size_t)len, &out), 0);
	/* The count is checked against the table's size on receipt. */
	m = sample_state();
	len = wire_node_state_encode(buf, sizeof(buf), &m);
	buf[len - 2 * (4 + 8 + 1 + 8 + 8 + 8) - 2] = 0xff;
	assert_int_equal(wire_node_state_decode(buf, (size_t)len, &out), -EBADMSG);
	/* Unknown fact flags are refused. */
	m = sample_state();
	len = wire_node_state_encode(buf, sizeof(buf), &m);
	buf[len - (4 + 8 + 1 + 8 + 8 + 8) + 12] = 0x80;
	assert_int_equal(wire_node_state_decode(buf, (size_t)len, &out), -EBADMSG);
}

static void header_is_big_endian(void **state)
{
	struct wire_node_state in = sample_state();
	int len = wire_node_state_encode(buf, sizeof(buf), &in);

	(void)state;
	assert_memory_equal(buf, "HAVM", 4);
	assert_int_equal(buf[4], 0);
	assert_int_equal(buf[5], HAVM_WIRE_VERSION);
	assert_int_equal(buf[6], 0);
	assert_int_equal(buf[7], HAVM_MSG_NODE_STATE);
	assert_int_equal((buf[10] << 8) | buf[11], len);
	/* nodeid right after the header */
	assert_int_equal(buf[12], 0);
	assert_int_equal(buf[15], 3);
}

static int encode_sample(void)
{
	struct wire_node_state in = sample_state();
	return wire_node_state_encode(buf, sizeof(buf), &in);
}

static void rejects_bad_magic(void **state)
{
	struct wire_node_state out;
	int len = encode_sample();

	(void)state;
	buf[0] = 'X';
	assert_int_equal(wire_node_state_decode(buf, (size_t)len, &out), -EBADMSG);
}

static void rejects_other_version(void **state)
{
	struct wire_node_state out;
	int len = encode_sample();

	(void)state;
	buf[5] = HAVM_WIRE_VERSION + 1;
	assert_int_equal(wire_node_state_decode(buf, (size_t)len, &out), -EPROTONOSUPPORT);
}

static void rejects_wrong_type(void **state)
{
	struct wire_node_state out;
	int len = encode_sample();

	(void)state;
	buf[7] = HAVM_MSG_STATUS_REQ & 0xff;
	buf[6] = HAVM_MSG_STATUS_REQ >> 8;
	assert_int_equal(wire_node_state_decode(buf, (size_t)len, &out), -EBADMSG);
}

static void rejects_length_mismatch(void **state)
{
	struct wire_node_state out;
	int len = encode_sample();

	(void)state;
	/* header says more than was received */
	assert_int_equal(wire_node_state_decode(buf, (size_t)len - 1, &out), -EBADMSG);
	/* received more than the header says */
	buf[len] = 0;
	assert_int_equal(wire_node_state_decode(buf, (size_t)len + 1, &out), -EBADMSG);
}

static void rejects_truncation_everywhere(void **state)
{
	struct wire_node_state out;
	int len = encode_sample();

	(void)state;
	/* Every shorter prefix, with the length field patched to match, so the
	 * body parser itself must notice the missing bytes. */
	for (int cut = 0; cut < len; cut++) {
		uint8_t tmp[256];
		memcpy(tmp, buf, (size_t)len);
		if (cut >= HAVM_WIRE_HDR_LEN) {
			tmp[10] = (uint8_t)(cut >> 8);
			tmp[11] = (uint8_t)cut;
		}
		assert_int_not_equal(wire_node_state_decode(tmp, (size_t)cut, &out), 0);
	}
}

static void rejects_trailing_bytes(void **state)
{
	struct wire_node_state out;
	int len = encode_sample();

	(void)state;
	buf[len] = 0;
	buf[11] = (uint8_t)(len + 1);
	assert_int_equal(wire_node_state_decode(buf, (size_t)len + 1, &out), -EBADMSG);
}

static void rejects_bad_fields(void **state)
{
	struct wire_node_state out;
	int len;

	(void)state;
	len = encode_sample();
	buf[15] = 0; /* nodeid 0 */
	assert_int_equal(wire_node_state_decode(buf, (size_t)len, &out), -EBADMSG);
	len = encode_sample();
	buf[16] = 9; /* state out of range */
	assert_int_equal(wire_node_state_decode(buf, (size_t)len, &out), -EBADMSG);
	len = encode_sample();
	buf[12 + 4 + 1 + 8 + 2] = '\n'; /* control character in the name */
	assert_int_equal(wire_node_state_decode(buf, (size_t)len, &out), -EBADMSG);
	len = encode_sample();
	buf[12 + 4 + 1 + 8] = 0xff; /* name length beyond its maximum */
	assert_int_equal(wire_node_state_decode(buf, (size_t)len, &out), -EBADMSG);
}

static void encoder_refuses_what_decoder_would(void **state)
{
	struct wire_node_state m = sample_state();

	(void)state;
	/* no NUL within the field: longer than WIRE_NAME_MAX */
	memset(m.name, 'a', sizeof(m.name));
	assert_int_equal(wire_node_state_encode(buf, sizeof(buf), &m), -EINVAL);
	m = sample_state();
	strcpy(m.name, "bad\tname");
	assert_int_equal(wire_node_state_encode(buf, sizeof(buf), &m), -EINVAL);
	m = sample_state();
	m.state = 0;
	assert_int_equal(wire_node_state_encode(buf, sizeof(buf), &m), -EINVAL);
	m = sample_state();
	m.name[0] = '\0';
	assert_int_equal(wire_node_state_encode(buf, sizeof(buf), &m), -EINVAL);
	m = sample_state();
	assert_int_equal(wire_node_state_encode(buf, 20, &m), -EMSGSIZE);
	/* the largest node state fits the advertised maximum */
	memset(m.name, 'n', WIRE_NAME_MAX);
	m.name[WIRE_NAME_MAX] = '\0';
	memset(m.version, 'v', WIRE_VERSION_STR_MAX);
	m.version[WIRE_VERSION_STR_MAX] = '\0';
	m.n_facts = WIRE_NODES_MAX;
	for (int i = 0; i < WIRE_NODES_MAX; i++)
		m.facts[i] = (struct wire_host_facts){ .nodeid = (uint32_t)i + 1 };
	assert_int_equal(wire_node_state_encode(buf, WIRE_NODE_STATE_MAX_LEN, &m),
			 WIRE_NODE_STATE_MAX_LEN);
}

static void status_reply_round_trip(void **state)
{
	static struct wire_status_reply in, out;
	int len;

	(void)state;
	memset(&in, 0, sizeof(in));
	strcpy(in.cluster_name, "prod");
	in.flags = WIRE_STATUS_COROSYNC_UP | WIRE_STATUS_QUORATE;
	in.local_nodeid = 2;
	in.coordinator = 1;
	in.ring_nodeid = 1;
	in.ring_seq = 0x100000001ULL;
	in.now = 1790000100;
	in.storage = HAVM_STORAGE_JOINED;
	memset(in.storage_path, 'p', WIRE_PATH_MAX);
	in.storage_path[0] = '/';
	in.n_nodes = WIRE_NODES_MAX;
	for (int i = 0; i < WIRE_NODES_MAX; i++) {
		in.nodes[i].heartbeat = HAVM_HB_LIVE;
		in.nodes[i].nodeid = (uint32_t)i + 1;
		in.nodes[i].flags = WIRE_NODE_CONFIGURED | WIRE_NODE_ONLINE | WIRE_NODE_HAVE_STATE;
		in.nodes[i].state = HAVM_DAEMON_RUNNING;
		in.nodes[i].start_time = 1790000000;
		memset(in.nodes[i].name, 'n', WIRE_NAME_MAX);
		strcpy(in.nodes[i].version, "0.1.0");
	}
	len = wire_status_reply_encode(buf, sizeof(buf), &in);
	assert_true(len > 0 && len <= WIRE_STATUS_REPLY_MAX_LEN);
	assert_int_equal(wire_status_reply_decode(buf, (size_t)len, &out), 0);
	assert_string_equal(out.cluster_name, "prod");
	assert_int_equal(out.n_nodes, WIRE_NODES_MAX);
	assert_true(out.ring_seq == 0x100000001ULL);
	assert_int_equal(out.nodes[63].nodeid, 64);
	assert_int_equal(out.nodes[63].heartbeat, HAVM_HB_LIVE);
	assert_int_equal(out.storage, HAVM_STORAGE_JOINED);
	assert_string_equal(out.storage_path, in.storage_path);
	assert_string_equal(out.nodes[63].name, in.nodes[63].name);
}

static void status_reply_rejects(void **state)
{
	static struct wire_status_reply in, out;
	int len;
	size_t count_off;

	(void)state;
	memset(&in, 0, sizeof(in));
	strcpy(in.cluster_name, "c");
	in.n_nodes = 1;
	in.nodes[0].nodeid = 1;
	strcpy(in.nodes[0].name, "a");
	len = wire_status_reply_encode(buf, sizeof(buf), &in);
	assert_true(len > 0);
	/* node count field: after header, name (2+1), flags, 3 ids, seq, now,
	 * storage state, its age, storage path (2+0) */
	count_off = HAVM_WIRE_HDR_LEN + 3 + 1 + 4 + 4 + 4 + 8 + 8 + 1 + 4 + 2;
	buf[count_off + 1] = 2; /* claims two nodes, carries one */
	assert_int_equal(wire_status_reply_decode(buf, (size_t)len, &out), -EBADMSG);
	buf[count_off] = 0xff; /* beyond WIRE_NODES_MAX */
	assert_int_equal(wire_status_reply_decode(buf, (size_t)len, &out), -EBADMSG);
	len = wire_status_reply_encode(buf, sizeof(buf), &in);
	buf[HAVM_WIRE_HDR_LEN + 3] = 0x80; /* unknown flag */
	assert_int_equal(wire_status_reply_decode(buf, (size_t)len, &out), -EBADMSG);
	in.nodes[0].flags = WIRE_NODE_HAVE_STATE; /* with no valid state */
	assert_int_equal(wire_status_reply_encode(buf, sizeof(buf), &in), -EINVAL);
	in.nodes[0].flags = 0;
	in.nodes[0].nodeid = 0;
	assert_int_equal(wire_status_reply_encode(buf, sizeof(buf), &in), -EINVAL);
	in.nodes[0].nodeid = 1;
	in.nodes[0].fence_info = 0x80; /* unknown fence info bit */
	assert_int_equal(wire_status_reply_encode(buf, sizeof(buf), &in), -EINVAL);
	in.nodes[0].fence_info = WIRE_FENCE_INFO_KNOWN | WIRE_FENCE_INFO_WATCHDOG;
	len = wire_status_reply_encode(buf, sizeof(buf), &in);
	assert_int_equal(wire_status_reply_decode(buf, (size_t)len, &out), 0);
	assert_int_equal(out.nodes[0].fence_info, WIRE_FENCE_INFO_KNOWN | WIRE_FENCE_INFO_WATCHDOG);
	buf[count_off + 2 + 4 + 1] = 0x80; /* the same bit, received */
	assert_int_equal(wire_status_reply_decode(buf, (size_t)len, &out), -EBADMSG);
	in.n_nodes = WIRE_NODES_MAX + 1;
	assert_int_equal(wire_status_reply_encode(buf, sizeof(buf), &in), -EINVAL);
}

static void requests(void **state)
{
	uint16_t type = 0;
	int len;

	(void)state;
	len = wire_request_encode(buf, sizeof(buf), HAVM_MSG_STATUS_REQ);
	assert_int_equal(len, HAVM_WIRE_HDR_LEN);
	assert_int_equal(wire_request_decode(buf, (size_t)len, &type), 0);
	assert_int_equal(type, HAVM_MSG_STATUS_REQ);
	assert_int_equal(wire_request_encode(buf, sizeof(buf), HAVM_MSG_NODE_STATE), -EINVAL);
	/* a known request with a body is malformed */
	buf[11] = HAVM_WIRE_HDR_LEN + 1;
	buf[12] = 0;
	assert_int_equal(wire_request_decode(buf, HAVM_WIRE_HDR_LEN + 1, &type), -EBADMSG);
	assert_int_equal(wire_request_decode(buf, 3, &type), -EBADMSG);
}

static void error_and_dump_replies(void **state)
{
	struct wire_error_reply e = { .status = HAVM_E_UNKNOWN }, eo;
	struct wire_debug_dump_reply d, dout;
	int len;

	(void)state;
	memset(e.message, 'x', WIRE_TEXT_MAX); /* the longest message fits */
	e.message[WIRE_TEXT_MAX] = '\0';
	assert_int_equal(wire_error_reply_encode(buf, WIRE_ERROR_REPLY_MAX_LEN, &e),
			 WIRE_ERROR_REPLY_MAX_LEN);
	strcpy(e.message, "unknown request");
	len = wire_error_reply_encode(buf, sizeof(buf), &e);
	assert_true(len > 0);
	assert_int_equal(wire_error_reply_decode(buf, (size_t)len, &eo), 0);
	assert_int_equal(eo.status, HAVM_E_UNKNOWN);
	assert_string_equal(eo.message, "unknown request");
	buf[15] = 0; /* status HAVM_OK is not an error */
	assert_int_equal(wire_error_reply_decode(buf, (size_t)len, &eo), -EBADMSG);
	e.status = HAVM_OK;
	assert_int_equal(wire_error_reply_encode(buf, sizeof(buf), &e), -EINVAL);

	strcpy(d.path, "/var/lib/havm/blackbox.dump");
	len = wire_debug_dump_reply_encode(buf, sizeof(buf), &d);
	assert_int_equal(wire_debug_dump_reply_decode(buf, (size_t)len, &dout), 0);
	assert_string_equal(dout.path, d.path);
	buf[HAVM_WIRE_HDR_LEN + 2] = 'x'; /* a relative path */
	assert_int_equal(wire_debug_dump_reply_decode(buf, (size_t)len, &dout), -EBADMSG);
	strcpy(d.path, "relative");
	assert_int_equal(wire_debug_dump_reply_encode(buf, sizeof(buf), &d), -EINVAL);
}

static void fence_result_round_trip_and_rejects(void **state)
{
	struct wire_fence_result in = { .target = 3, .result = HAVM_FENCE_OFF_VERIFIED,
					.level = 1, .time = 1790000000, .elapsed_ms = 2500,
					.incarnation = 77 }, out;
	int len;

	(void)state;
	strcpy(in.detail, "level=1 devices=kvm3-bmc");
	len = wire_fence_result_encode(buf, sizeof(buf), &in);
	assert_true(len > 0 && len <= WIRE_FENCE_RESULT_MAX_LEN);
	assert_int_equal(wire_fence_result_decode(buf, (size_t)len, &out), 0);
	assert_int_equal(out.target, 3);
	assert_int_equal(out.level, 1);
	assert_int_equal(out.elapsed_ms, 2500);
	assert_int_equal(out.incarnation, 77);
	assert_string_equal(out.detail, in.detail);
	buf[16] = HAVM_FENCE_FAILED; /* failed, yet naming a level */
	assert_int_equal(wire_fence_result_decode(buf, (size_t)len, &out), -EBADMSG);
	in.result = HAVM_FENCE_STORAGE_DEAD; /* storage dead with a level */
	assert_int_equal(wire_fence_result_encode(buf, sizeof(buf), &in), -EINVAL);
	in.level = 0;
	assert_true(wire_fence_result_encode(buf, sizeof(buf), &in) > 0);
	in.incarnation = 0; /* a record belongs to one life of the host */
	assert_int_equal(wire_fence_result_encode(buf, sizeof(buf), &in), -EINVAL);
	in.incarnation = 77;
	in.target = 0;
	assert_int_equal(wire_fence_result_encode(buf, sizeof(buf), &in), -EINVAL);
}

static void tiebreak_lease_round_trip_and_rejects(void **state)
{
	struct wire_tiebreak_lease in = { .nodeid = 2, .held = 1 }, out;
	int len;

	(void)state;
	len = wire_tiebreak_lease_encode(buf, sizeof(buf), &in);
	assert_int_equal(len, WIRE_TIEBREAK_LEASE_LEN);
	assert_int_equal(wire_tiebreak_lease_decode(buf, (size_t)len, &out), 0);
	assert_int_equal(out.nodeid, 2);
	assert_int_equal(out.held, 1);
	/* Truncated, with a trailing byte, and as another type. */
	assert_int_equal(wire_tiebreak_lease_decode(buf, (size_t)len - 1, &out), -EBADMSG);
	assert_int_equal(wire_fence_result_decode(buf, (size_t)len, &(struct wire_fence_result){ 0 }),
			 -EBADMSG);
	buf[HAVM_WIRE_HDR_LEN + 4] = 2; /* held is 0 or 1 */
	assert_int_equal(wire_tiebreak_lease_decode(buf, (size_t)len, &out), -EBADMSG);
	buf[HAVM_WIRE_HDR_LEN + 4] = 0;
	buf[HAVM_WIRE_HDR_LEN + 3] = 0; /* node id 0 */
	assert_int_equal(wire_tiebreak_lease_decode(buf, (size_t)len, &out), -EBADMSG);
	in.held = 2;
	assert_int_equal(wire_tiebreak_lease_encode(buf, sizeof(buf), &in), -EINVAL);
	in = (struct wire_tiebreak_lease){ .nodeid = 0, .held = 0 };
	assert_int_equal(wire_tiebreak_lease_encode(buf, sizeof(buf), &in), -EINVAL);
	in.nodeid = 1;
	assert_int_equal(wire_tiebreak_lease_encode(buf, WIRE_TIEBREAK_LEASE_LEN - 1, &in),
			 -EMSGSIZE);
}

static void fence_request_round_trip(void **state)
{
	struct wire_fence_request in = { .target = 3 }, out;
	int len;

	(void)state;
	len = wire_fence_request_encode(buf, sizeof(buf), HAVM_MSG_NODE_FENCE_REQ, &in);
	assert_int_equal(len, HAVM_WIRE_HDR_LEN + 4);
	assert_int_equal(wire_fence_request_decode(buf, (size_t)len, HAVM_MSG_NODE_FENCE_REQ, &out), 0);
	assert_int_equal(out.target, 3);
	/* the CPG form is another type: one may not pass for the other */
	assert_int_equal(wire_fence_request_decode(buf, (size_t)len, HAVM_MSG_FENCE_REQUEST, &out),
			 -EBADMSG);
	buf[15] = 0;
	assert_int_equal(wire_fence_request_decode(buf, (size_t)len, HAVM_MSG_NODE_FENCE_REQ, &out),
			 -EBADMSG);
	in.target = 0;
	assert_int_equal(wire_fence_request_encode(buf, sizeof(buf), HAVM_MSG_FENCE_REQUEST, &in),
			 -EINVAL);
	assert_int_equal(wire_fence_request_encode(buf, sizeof(buf), HAVM_MSG_STATUS_REQ, &in),
			 -EINVAL);
}

static void events_request_round_trip_and_rejects(void **state)
{
	struct wire_events_request in = { .max = 50 }, out;
	int len;

	(void)state;
	len = wire_events_request_encode(buf, sizeof(buf), &in);
	assert_int_equal(len, WIRE_EVENTS_REQUEST_LEN);
	assert_int_equal(buf[7], HAVM_MSG_EVENTS_REQ);
	assert_int_equal(buf[12], 0);
	assert_int_equal(buf[13], 50);
	assert_int_equal(wire_events_request_decode(buf, (size_t)len, &out), 0);
	assert_int_equal(out.max, 50);
	/* The control socket's request check passes it on to its own decoder. */
	uint16_t type = 0;
	assert_int_equal(wire_request_decode(buf, (size_t)len, &type), 0);
	assert_int_equal(type, HAVM_MSG_EVENTS_REQ);
	/* 0 and more than WIRE_EVENTS_MAX are refused both ways. */
	buf[13] = 0;
	assert_int_equal(wire_events_request_decode(buf, (size_t)len, &out), -EBADMSG);
	buf[12] = (WIRE_EVENTS_MAX + 1) >> 8;
	buf[13] = (WIRE_EVENTS_MAX + 1) & 0xff;
	assert_int_equal(wire_events_request_decode(buf, (size_t)len, &out), -EBADMSG);
	buf[12] = WIRE_EVENTS_MAX >> 8;
	buf[13] = WIRE_EVENTS_MAX & 0xff;
	assert_int_equal(wire_events_request_decode(buf, (size_t)len, &out), 0);
	assert_int_equal(out.max, WIRE_EVENTS_MAX);
	in.max = 0;
	assert_int_equal(wire_events_request_encode(buf, sizeof(buf), &in), -EINVAL);
	in.max = WIRE_EVENTS_MAX + 1;
	assert_int_equal(wire_events_request_encode(buf, sizeof(buf), &in), -EINVAL);
	/* Truncated, with a trailing byte, and the body-less form. */
	in.max = 1;
	len = wire_events_request_encode(buf, sizeof(buf), &in);
	assert_int_not_equal(wire_events_request_decode(buf, (size_t)len - 1, &out), 0);
	buf[11] = (uint8_t)(len + 1);
	buf[len] = 0;
	assert_int_equal(wire_events_request_decode(buf, (size_t)len + 1, &out), -EBADMSG);
	buf[11] = HAVM_WIRE_HDR_LEN;
	assert_int_equal(wire_events_request_decode(buf, HAVM_WIRE_HDR_LEN, &out), -EBADMSG);
}

static struct wire_event sample_event(uint64_t seq)
{
	struct wire_event e = { .seq = seq, .time_ms = 1790000000123ULL, .severity = 5,
				.nodeid = 3 };

	strcpy(e.type, "daemon-left");
	strcpy(e.host, "kvm3");
	strcpy(e.text, "pid=4242 reason=nodedown");
	return e;
}

static void events_reply_round_trip(void **state)
{
	static struct wire_events_reply in, out;
	int len, sum = WIRE_EVENTS_REPLY_FIXED_LEN;

	(void)state;
	memset(&in, 0, sizeof(in));
	in.held = 1000;
	in.dropped = 0x100000002ULL;
	in.cut = 7;
	in.n_events = 3;
	for (int i = 0; i < 3; i++)
		in.events[i] = sample_event(10 + (uint64_t)i);
	strcpy(in.events[1].vm, "web 1");
	in.events[1].nodeid = 0;
	in.events[1].host[0] = '\0';
	for (int i = 0; i < 3; i++)
		sum += wire_event_len(&in.events[i]);
	assert_int_equal(wire_event_len(&in.events[1]), 21 + 2 + 11 + 2 + 0 + 2 + 5 + 2 + 24);
	len = wire_events_reply_encode(buf, sizeof(buf), &in);
	/* wire_event_len is what each event adds: havmd packs replies with it. */
	assert_int_equal(len, sum);
	assert_int_equal(wire_events_reply_decode(buf, (size_t)len, &out), 0);
	assert_int_equal(out.held, 1000);
	assert_true(out.dropped == 0x100000002ULL);
	assert_int_equal(out.cut, 7);
	assert_int_equal(out.n_events, 3);
	assert_true(out.events[2].seq == 12);
	assert_true(out.events[0].time_ms == 1790000000123ULL);
	assert_int_equal(out.events[0].severity, 5);
	assert_int_equal(out.events[0].nodeid, 3);
	assert_string_equal(out.events[0].type, "daemon-left");
	assert_string_equal(out.events[0].host, "kvm3");
	assert_string_equal(out.events[1].vm, "web 1");
	assert_string_equal(out.events[1].host, "");
	assert_string_equal(out.events[2].text, "pid=4242 reason=nodedown");
	/* An empty reply. */
	in.n_events = 0;
	in.cut = 0;
	len = wire_events_reply_encode(buf, sizeof(buf), &in);
	assert_int_equal(len, WIRE_EVENTS_REPLY_FIXED_LEN);
	assert_int_equal(wire_events_reply_decode(buf, (size_t)len, &out), 0);
	assert_int_equal(out.n_events, 0);
}

/* The largest events: exactly WIRE_EVENT_MAX_LEN each, and
 * WIRE_EVENTS_REPLY_MIN_FIT of them fit, one more does not. */
static void events_reply_largest(void **state)
{
	static struct wire_events_reply in, out;
	int n = WIRE_EVENTS_REPLY_MIN_FIT, len;

	(void)state;
	memset(&in, 0, sizeof(in));
	for (int i = 0; i <= n; i++) {
		struct wire_event *e = &in.events[i];

		*e = sample_event((uint64_t)i + 1);
		memset(e->type, 'x', WIRE_EVENT_TYPE_MAX);
		memset(e->host, 'h', WIRE_NAME_MAX);
		memset(e->vm, 'v', WIRE_EVENT_VM_MAX);
		memset(e->text, 't', WIRE_EVENT_TEXT_MAX);
		assert_int_equal(wire_event_len(e), WIRE_EVENT_MAX_LEN);
	}
	in.held = in.n_events = (uint16_t)n;
	len = wire_events_reply_encode(buf, sizeof(buf), &in);
	assert_int_equal(len, WIRE_EVENTS_REPLY_FIXED_LEN + n * WIRE_EVENT_MAX_LEN);
	assert_int_equal(wire_events_reply_decode(buf, (size_t)len, &out), 0);
	assert_string_equal(out.events[n - 1].text, in.events[n - 1].text);
	in.held = in.n_events = (uint16_t)(n + 1);
	assert_int_equal(wire_events_reply_encode(buf, sizeof(buf), &in), -EMSGSIZE);
}

static void events_reply_rejects(void **state)
{
	static struct wire_events_reply in, out;
	const size_t ev = WIRE_EVENTS_REPLY_FIXED_LEN; /* the first event's offset */
	int len;

	(void)state;
	memset(&in, 0, sizeof(in));
	in.held = 2;
	in.n_events = 2;
	in.events[0] = sample_event(1);
	in.events[1] = sample_event(2);
	len = wire_events_reply_encode(buf, sizeof(buf), &in);
	assert_true(len > 0);
	/* Every truncation, with the header's length patched to match. */
	for (int cut = HAVM_WIRE_HDR_LEN; cut < len; cut++) {
		static uint8_t tmp[HAVM_WIRE_MSG_MAX];
		memcpy(tmp, buf, (size_t)len);
		tmp[10] = (uint8_t)(cut >> 8);
		tmp[11] = (uint8_t)cut;
		assert_int_equal(wire_events_reply_decode(tmp, (size_t)cut, &out), -EBADMSG);
	}
	/* More events than held, or held plus cut. */
	buf[HAVM_WIRE_HDR_LEN + 3] = 1; /* held 1 */
	assert_int_equal(wire_events_reply_decode(buf, (size_t)len, &out), -EBADMSG);
	len = wire_events_reply_encode(buf, sizeof(buf), &in);
	buf[HAVM_WIRE_HDR_LEN + 4 + 8 + 3] = 1; /* cut 1 */
	assert_int_equal(wire_events_reply_decode(buf, (size_t)len, &out), -EBADMSG);
	/* Sequence 0, and not increasing. */
	len = wire_events_reply_encode(buf, sizeof(buf), &in);
	buf[ev + 7] = 0;
	assert_int_equal(wire_events_reply_decode(buf, (size_t)len, &out), -EBADMSG);
	len = wire_events_reply_encode(buf, sizeof(buf), &in);
	buf[ev + 7] = 2; /* the first is now as new as the second */
	assert_int_equal(wire_events_reply_decode(buf, (size_t)len, &out), -EBADMSG);
	/* Severity above LOG_DEBUG. */
	len = wire_events_reply_encode(buf, sizeof(buf), &in);
	buf[ev + 16] = 8;
	assert_int_equal(wire_events_reply_decode(buf, (size_t)len, &out), -EBADMSG);
	/* A type with a character outside a-z, 0-9 and '-'. */
	len = wire_events_reply_encode(buf, sizeof(buf), &in);
	buf[ev + 21 + 2] = 'D';
	assert_int_equal(wire_events_reply_decode(buf, (size_t)len, &out), -EBADMSG);
	/* A control byte in the text (its last byte). */
	len = wire_events_reply_encode(buf, sizeof(buf), &in);
	buf[len - 1] = '\x1b';
	assert_int_equal(wire_events_reply_decode(buf, (size_t)len, &out), -EBADMSG);
	/* A host's name with no node id. */
	len = wire_events_reply_encode(buf, sizeof(buf), &in);
	buf[ev + 17 + 3] = 0;
	assert_int_equal(wire_events_reply_decode(buf, (size_t)len, &out), -EBADMSG);

	/* The encoder refuses the same. */
	in.events[1].seq = 1;
	assert_int_equal(wire_events_reply_encode(buf, sizeof(buf), &in), -EINVAL);
	in.events[1] = sample_event(2);
	in.events[1].type[0] = '\0';
	assert_int_equal(wire_events_reply_encode(buf, sizeof(buf), &in), -EINVAL);
	assert_int_equal(wire_event_len(&in.events[1]), -EINVAL);
	in.events[1] = sample_event(2);
	in.events[1].severity = 8;
	assert_int_equal(wire_events_reply_encode(buf, sizeof(buf), &in), -EINVAL);
	in.events[1] = sample_event(2);
	in.events[1].text[3] = '\n';
	assert_int_equal(wire_events_reply_encode(buf, sizeof(buf), &in), -EINVAL);
	assert_int_equal(wire_event_len(&in.events[1]), -EINVAL);
	in.events[1] = sample_event(2);
	in.cut = 1;
	assert_int_equal(wire_events_reply_encode(buf, sizeof(buf), &in), -EINVAL);
	in.cut = 0;
	in.n_events = WIRE_EVENTS_MAX + 1;
	in.held = WIRE_EVENTS_MAX + 1;
	assert_int_equal(wire_events_reply_encode(buf, sizeof(buf), &in), -EINVAL);
}

/* A VM report keeps each domain's flags; an unknown flag is refused both ways. */
static void vm_report_round_trip_and_rejects(void **state)
{
	(void)state;
	static struct wire_vm_report in, out;
	static uint8_t vbuf[HAVM_WIRE_MSG_MAX];
	int len;

	memset(&in, 0, sizeof(in));
	in.incarnation = 7;
	in.seq = 3;
	in.flags = WIRE_VM_REPORT_LIBVIRT | WIRE_VM_REPORT_LISTED;
	in.cpus = 2;
	in.mem_total_mib = 4096;
	in.n_doms = 2;
	strcpy(in.doms[0].name, "web1");
	in.doms[0].state = WIRE_VM_RUNNING;
	in.doms[0].flags = WIRE_VM_DOM_UNLEASED;
	in.doms[0].memory_mib = 512;
	in.doms[0].vcpus = 1;
	in.doms[0].cpu_milli = 1234;
	in.load_milli = 2500;
	strcpy(in.doms[1].name, "db");
	in.doms[1].state = WIRE_VM_STARTING;
	len = wire_vm_report_encode(vbuf, sizeof(vbuf), &in);
	assert_true(len > 0);
	assert_int_equal(wire_vm_report_decode(vbuf, (size_t)len, &out), 0);
	assert_int_equal(out.n_doms, 2);
	assert_string_equal(out.doms[0].name, "web1");
	assert_int_equal(out.doms[0].flags, WIRE_VM_DOM_UNLEASED);
	assert_int_equal(out.doms[0].memory_mib, 512);
	assert_int_equal(out.doms[0].cpu_milli, 1234);
	assert_int_equal(out.load_milli, 2500);
	assert_int_equal(out.doms[1].state, WIRE_VM_STARTING);
	assert_int_equal(out.doms[1].flags, 0);
	/* The first domain's flags byte: after the report's fixed fields
	 * (8+8+1+8+8+4+8+8+4+2), its name (2 + 4) and its state (1). */
	vbuf[HAVM_WIRE_HDR_LEN + 59 + 6 + 1] = 0x80;
	assert_int_equal(wire_vm_report_decode(vbuf, (size_t)len, &out), -EBADMSG);
	in.doms[0].flags = 0x80;
	assert_int_equal(wire_vm_report_encode(vbuf, sizeof(vbuf), &in), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(node_state_round_trip),
		cmocka_unit_test(header_is_big_endian),
		cmocka_unit_test(rejects_bad_magic),
		cmocka_unit_test(rejects_other_version),
		cmocka_unit_test(rejects_wrong_type),
		cmocka_unit_test(rejects_length_mismatch),
		cmocka_unit_test(rejects_truncation_everywhere),
		cmocka_unit_test(rejects_trailing_bytes),
		cmocka_unit_test(rejects_bad_fields),
		cmocka_unit_test(encoder_refuses_what_decoder_would),
		cmocka_unit_test(status_reply_round_trip),
		cmocka_unit_test(status_reply_rejects),
		cmocka_unit_test(requests),
		cmocka_unit_test(error_and_dump_replies),
		cmocka_unit_test(fence_result_round_trip_and_rejects),
		cmocka_unit_test(node_state_facts_checked),
		cmocka_unit_test(fence_request_round_trip),
		cmocka_unit_test(tiebreak_lease_round_trip_and_rejects),
		cmocka_unit_test(events_request_round_trip_and_rejects),
		cmocka_unit_test(events_reply_round_trip),
		cmocka_unit_test(events_reply_largest),
		cmocka_unit_test(events_reply_rejects),
		cmocka_unit_test(vm_report_round_trip_and_rejects),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
