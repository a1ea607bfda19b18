/*
 * test_events_print.c: `havm events` output (cli/events_print.c): the
 * human line, the JSON keys and nulls, and that no byte outside printable
 * ASCII reaches the output, even from an event the wire would have
 * refused (json-c passes DEL and bytes of 0x80 and up through raw).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "events_print.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct wire_events_reply m;

/* m printed into a string (freed by the caller): as human lines (0),
 * JSON (1), or the notes of what is missing (2). */
static char *capture(int json)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	assert_non_null(f);
	if (json == 2)
		events_print_missing(f, &m);
	else if (json)
		assert_int_equal(events_print_json(f, &m), 0);
	else
		events_print_human(f, &m);
	fclose(f);
	return out;
}

static void two_events(void)
{
	memset(&m, 0, sizeof(m));
	m.held = m.n_events = 2;
	m.events[0] = (struct wire_event){ .seq = 7, .time_ms = 1790000000123ULL, .severity = 5 };
	strcpy(m.events[0].type, "quorum-gained");
	strcpy(m.events[0].text, "members=3 ring=1.12");
	m.events[1] = (struct wire_event){
		.seq = 8, .time_ms = 1790000001005ULL, .severity = 6, .nodeid = 3
	};
	strcpy(m.events[1].type, "daemon-left");
	strcpy(m.events[1].host, "node3");
	strcpy(m.events[1].vm, "web 1");
	strcpy(m.events[1].text, "pid=42 reason=\"node down\"");
}

static void time_format(void **state)
{
	char buf[EVENTS_TIME_SIZE];

	(void)state;
	assert_string_equal(events_time_format(buf, sizeof(buf), 1790000000123ULL),
			    "2026-09-21T14:13:20.123Z");
	assert_string_equal(events_time_format(buf, sizeof(buf), 5), "1970-01-01T00:00:00.005Z");
}

static void human_lines(void **state)
{
	char *out;

	(void)state;
	two_events();
	out = capture(0);
	assert_string_equal(out, "2026-09-21T14:13:20.123Z      7 notice  quorum-gained "
				 "members=3 ring=1.12\n"
				 "2026-09-21T14:13:21.005Z      8 info    daemon-left host=node3 "
				 "nodeid=3 vm=\"web 1\" pid=42 reason=\"node down\"\n");
	free(out);
}

static void json_keys_and_nulls(void **state)
{
	json_object *a, *e;
	char *out;

	(void)state;
	two_events();
	out = capture(1);
	assert_int_equal(out[strlen(out) - 1], '\n');
	a = json_tokener_parse(out);
	assert_non_null(a);
	assert_true(json_object_is_type(a, json_type_array));
	assert_int_equal(json_object_array_length(a), 2);
	e = json_object_array_get_idx(a, 0);
	assert_int_equal(json_object_get_int64(json_object_object_get(e, "seq")), 7);
	assert_string_equal(json_object_get_string(json_object_object_get(e, "time")),
			    "2026-09-21T14:13:20.123Z");
	assert_true(json_object_get_int64(json_object_object_get(e, "time_ms")) == 1790000000123LL);
	assert_string_equal(json_object_get_string(json_object_object_get(e, "severity")),
			    "notice");
	assert_string_equal(json_object_get_string(json_object_object_get(e, "type")),
			    "quorum-gained");
	/* No host, node id or VM: null, not "" or 0. */
	for (const char *const *k = (const char *const[]){ "host", "nodeid", "vm", NULL }; *k;
	     k++) {
		json_object *v = NULL;
		assert_true(json_object_object_get_ex(e, *k, &v));
		assert_null(v);
	}
	assert_string_equal(json_object_get_string(json_object_object_get(e, "text")),
			    "members=3 ring=1.12");
	e = json_object_array_get_idx(a, 1);
	assert_string_equal(json_object_get_string(json_object_object_get(e, "host")), "node3");
	assert_int_equal(json_object_get_int(json_object_object_get(e, "nodeid")), 3);
	assert_string_equal(json_object_get_string(json_object_object_get(e, "vm")), "web 1");
	assert_string_equal(json_object_get_string(json_object_object_get(e, "text")),
			    "pid=42 reason=\"node down\"");
	json_object_put(a);
	free(out);
	/* None: an empty array. */
	m.n_events = 0;
	out = capture(1);
	assert_string_equal(out, "[]\n");
	free(out);
}

/* Whatever bytes an event held, the output is printable ASCII and valid JSON. */
static void hostile_bytes_escaped(void **state)
{
	static const char bad[] = "\x01\x1b[31m\x7f\xff\xc3\x28\"\\\n";
	json_object *a;
	char *out;

	(void)state;
	two_events();
	strcpy(m.events[1].vm, bad);
	strcpy(m.events[1].text, bad);
	strcpy(m.events[1].host, bad);
	for (int json = 0; json <= 1; json++) {
		out = capture(json);
		for (size_t i = 0; out[i]; i++)
			assert_true((out[i] >= 0x20 && out[i] < 0x7f) || out[i] == '\n');
		if (!json)
			assert_non_null(strstr(out, "\\x1b[31m\\x7f\\xff\\xc3(\""));
		if (json) {
			a = json_tokener_parse(out);
			assert_non_null(a);
			assert_string_equal(json_object_get_string(json_object_object_get(
						    json_object_array_get_idx(a, 1), "text")),
					    "\\x01\\x1b[31m\\x7f\\xff\\xc3(\"\\\\x0a");
			json_object_put(a);
		}
		free(out);
	}
}

/* Events cut from the reply or dropped from the ring are said, once each. */
static void missing_said(void **state)
{
	char *out;

	(void)state;
	two_events();
	out = capture(2); /* all there is */
	assert_string_equal(out, "");
	free(out);
	m.held = 1000;
	m.cut = 1;
	out = capture(2);
	assert_string_equal(out, "havm: 1 older event is not shown: no more fit in one reply "
				 "from havmd\n");
	free(out);
	/* Back to the oldest held, and older ones dropped. */
	m.cut = 998;
	m.dropped = 5;
	out = capture(2);
	assert_string_equal(out, "havm: 998 older events are not shown: no more fit in one reply "
				 "from havmd\n"
				 "havm: 5 older events were dropped from havmd's ring, which keeps "
				 "the newest 1000\n");
	free(out);
	/* Not back to the oldest held: the dropped ones were not asked for. */
	m.cut = 0;
	out = capture(2);
	assert_string_equal(out, "");
	free(out);
	m.held = 2;
	m.dropped = 1;
	out = capture(2);
	assert_string_equal(out, "havm: 1 older event was dropped from havmd's ring, which keeps "
				 "the newest 2\n");
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(time_format),
		cmocka_unit_test(human_lines),
		cmocka_unit_test(json_keys_and_nulls),
		cmocka_unit_test(hostile_bytes_escaped),
		cmocka_unit_test(missing_said),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
