/*
 * events_print.c: `havm events` output (see events_print.h).
 *
 * JSON goes through json-c, not printf: json-c escapes '"', '\\' and
 * control bytes below 0x20 itself. It does not check UTF-8: DEL, bytes of
 * 0x80 and up and invalid sequences pass through raw (json-c 0.16). The
 * events reply can hold none of those (wire.h's strings are printable
 * ASCII, and havmd escapes events on entry), but every string is put
 * through text_escape_controls here all the same, so that the output is
 * valid JSON, and safe on a terminal, whatever reached this code.
 */
#include "events_print.h"

#include "event_ring.h"
#include "text_escape.h"

#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

/* Room for the longest string of an event, escaped. */
#define SAFE_SIZE TEXT_ESCAPE_SIZE(WIRE_EVENT_TEXT_MAX)

static const char *safe(char *buf, const char *s)
{
	return text_escape_controls(buf, SAFE_SIZE, s, WIRE_EVENT_TEXT_MAX);
}

const char *events_time_format(char *buf, size_t size, uint64_t time_ms)
{
	time_t t = (time_t)(time_ms / 1000);
	struct tm tm;
	char s[24];

	if (!gmtime_r(&t, &tm) || strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		snprintf(s, sizeof(s), "%" PRIu64, time_ms / 1000);
	snprintf(buf, size, "%s.%03uZ", s, (unsigned)(time_ms % 1000));
	return buf;
}

void events_print_human(FILE *f, const struct wire_events_reply *m)
{
	for (uint16_t i = 0; i < m->n_events; i++) {
		const struct wire_event *e = &m->events[i];
		char when[EVENTS_TIME_SIZE], fields[EVENT_FIELDS_SIZE];
		static char b1[SAFE_SIZE], b2[TEXT_ESCAPE_SIZE(EVENT_FIELDS_SIZE)];

		event_fields_format(fields, sizeof(fields), e->host, e->nodeid, e->vm, e->text);
		fprintf(f, "%s %6" PRIu64 " %-7s %s%s%s\n",
			events_time_format(when, sizeof(when), e->time_ms), e->seq,
			event_severity_name(e->severity), safe(b1, e->type), fields[0] ? " " : "",
			text_escape_controls(b2, sizeof(b2), fields, sizeof(fields)));
	}
}

void events_print_missing(FILE *f, const struct wire_events_reply *m)
{
	if (m->cut > 0)
		fprintf(f,
			"havm: %" PRIu32 " older event%s not shown: no more fit in one reply "
			"from havmd\n",
			m->cut, m->cut == 1 ? " is" : "s are");
	/* Back to the oldest event the ring holds, and it has dropped older ones. */
	if (m->dropped > 0 && (uint64_t)m->n_events + m->cut >= m->held)
		fprintf(f,
			"havm: %" PRIu64 " older event%s dropped from havmd's ring, which "
			"keeps the newest %" PRIu32 "\n",
			m->dropped, m->dropped == 1 ? " was" : "s were", m->held);
}

/* O[KEY] = V (NULL: null); V is O's from here on, or freed. */
static int put(json_object *o, const char *key, json_object *v, bool is_null)
{
	if (!v && !is_null)
		return -ENOMEM;
	if (json_object_object_add(o, key, v) != 0) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

/* KEY: S, or null if S is empty and NULL_IF_EMPTY. */
static int put_string(json_object *o, const char *key, const char *s, bool null_if_empty)
{
	char buf[SAFE_SIZE];
	bool is_null = null_if_empty && s[0] == '\0';

	return put(o, key, is_null ? NULL : json_object_new_string(safe(buf, s)), is_null);
}

/* KEY: N, or null if N is 0 and NULL_IF_ZERO. */
static int put_int(json_object *o, const char *key, int64_t n, bool null_if_zero)
{
	bool is_null = null_if_zero && n == 0;

	return put(o, key, is_null ? NULL : json_object_new_int64(n), is_null);
}

static json_object *event_json(const struct wire_event *e)
{
	json_object *o = json_object_new_object();
	char when[EVENTS_TIME_SIZE];
	int rc = 0;

	if (!o)
		return NULL;
	/* seq and time_ms stay below 2^63 for longer than anyone will wait. */
	rc |= put_int(o, "seq", (int64_t)e->seq, false);
	rc |= put_string(o, "time", events_time_format(when, sizeof(when), e->time_ms), false);
	rc |= put_int(o, "time_ms", (int64_t)e->time_ms, false);
	rc |= put_string(o, "severity", event_severity_name(e->severity), false);
	rc |= put_string(o, "type", e->type, false);
	rc |= put_string(o, "host", e->host, true);
	rc |= put_int(o, "nodeid", e->nodeid, true);
	rc |= put_string(o, "vm", e->vm, true);
	rc |= put_string(o, "text", e->text, false);
	if (rc) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

int events_print_json(FILE *f, const struct wire_events_reply *m)
{
	json_object *a = json_object_new_array();
	const char *out;

	if (!a)
		return -ENOMEM;
	for (uint16_t i = 0; i < m->n_events; i++) {
		json_object *o = event_json(&m->events[i]);

		if (!o || json_object_array_add(a, o) != 0) {
			json_object_put(o);
			json_object_put(a);
			return -ENOMEM;
		}
	}
	out = json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN |
							JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!out) {
		json_object_put(a);
		return -ENOMEM;
	}
	fprintf(f, "%s\n", out);
	json_object_put(a);
	return 0;
}
