/*
 * wire.c: encode and strictly decode havm's messages (see wire.h for the
 * layout and the rules). Writers and readers carry a sticky error so a
 * sequence of puts or gets is checked once at the end.
 */
#include "wire.h"
#include "wire_buf.h"

#include <errno.h>
#include <string.h>

int wire_hdr_decode(const void *buf, size_t len, struct wire_hdr *h)
{
	struct rbuf r = { .p = buf, .len = len };

	h->magic = get_u32(&r);
	h->version = get_u16(&r);
	h->type = get_u16(&r);
	h->length = get_u32(&r);
	if (r.err)
		return r.err;
	if (h->magic != HAVM_WIRE_MAGIC)
		return -EBADMSG;
	/* A different version may lay out even its length differently. */
	if (h->version != HAVM_WIRE_VERSION)
		return -EPROTONOSUPPORT;
	if (h->length != len || len > HAVM_WIRE_MSG_MAX)
		return -EBADMSG;
	return 0;
}

static bool is_request(uint16_t type)
{
	return type == HAVM_MSG_STATUS_REQ || type == HAVM_MSG_DEBUG_DUMP_REQ;
}

/* Body-less replies share the request encoder's shape. */
static bool is_empty_reply(uint16_t type)
{
	return type == HAVM_MSG_NODE_FENCE_REPLY || type == HAVM_MSG_VM_MIGRATE_REPLY ||
	       type == HAVM_MSG_ALERT_TEST_REPLY;
}



int wire_request_encode(void *buf, size_t cap, enum havm_msg_type type)
{
	struct wbuf w;

	if (!is_request((uint16_t)type) && !is_empty_reply((uint16_t)type))
		return -EINVAL;
	hdr_begin(&w, buf, cap, (uint16_t)type);
	return hdr_end(&w);
}

int wire_request_decode(const void *buf, size_t len, uint16_t *type)
{
	struct wire_hdr h;
	int rc = wire_hdr_decode(buf, len, &h);

	if (rc)
		return rc;
	*type = h.type;
	/* Body-less requests carry no body; one with a body is checked by its
	 * own decoder; an unknown type is for the caller to answer with
	 * HAVM_E_UNKNOWN, so it is not malformed here. */
	if (is_request(h.type) && len != HAVM_WIRE_HDR_LEN)
		return -EBADMSG;
	return 0;
}

int wire_node_state_encode(void *buf, size_t cap, const struct wire_node_state *m)
{
	struct wbuf w;

	if (m->nodeid == 0 || m->state == 0 || m->state > HAVM_DAEMON_STATE_MAX ||
	    m->name[0] == '\0')
		return -EINVAL;
	hdr_begin(&w, buf, cap, HAVM_MSG_NODE_STATE);
	put_u32(&w, m->nodeid);
	put_u8(&w, m->state);
	put_u64(&w, m->start_time);
	put_str(&w, m->name, WIRE_NAME_MAX);
	put_str(&w, m->version, WIRE_VERSION_STR_MAX);
	if (m->incarnation == 0 || (m->flags & ~WIRE_NODE_STATE_FLAGS_ALL) ||
	    m->n_facts > WIRE_NODES_MAX)
		return -EINVAL;
	put_u64(&w, m->incarnation);
	put_u8(&w, m->flags);
	put_u64(&w, m->generation);
	put_u16(&w, m->n_facts);
	for (uint16_t i = 0; i < m->n_facts; i++) {
		const struct wire_host_facts *f = &m->facts[i];

		if (f->nodeid == 0 || (f->flags & ~WIRE_FACT_FLAGS_ALL))
			return -EINVAL;
		put_u32(&w, f->nodeid);
		put_u64(&w, f->inc);
		put_u8(&w, f->flags);
		put_u64(&w, f->generation);
		put_u64(&w, f->closed_inc);
		put_u64(&w, f->void_inc);
	}
	return hdr_end(&w);
}

int wire_node_state_decode(const void *buf, size_t len, struct wire_node_state *m)
{
	struct rbuf r;
	int rc = body_begin(&r, buf, len, HAVM_MSG_NODE_STATE);

	if (rc)
		return rc;
	m->nodeid = get_u32(&r);
	m->state = get_u8(&r);
	m->start_time = get_u64(&r);
	get_str(&r, m->name, WIRE_NAME_MAX);
	get_str(&r, m->version, WIRE_VERSION_STR_MAX);
	m->incarnation = get_u64(&r);
	m->flags = get_u8(&r);
	m->generation = get_u64(&r);
	m->n_facts = get_u16(&r);
	check(&r, m->nodeid != 0);
	check(&r, m->state >= 1 && m->state <= HAVM_DAEMON_STATE_MAX);
	check(&r, m->name[0] != '\0');
	check(&r, m->incarnation != 0);
	check(&r, (m->flags & ~WIRE_NODE_STATE_FLAGS_ALL) == 0);
	check(&r, m->n_facts <= WIRE_NODES_MAX);
	for (uint16_t i = 0; i < m->n_facts && !r.err; i++) {
		struct wire_host_facts *f = &m->facts[i];

		f->nodeid = get_u32(&r);
		f->inc = get_u64(&r);
		f->flags = get_u8(&r);
		f->generation = get_u64(&r);
		f->closed_inc = get_u64(&r);
		f->void_inc = get_u64(&r);
		check(&r, f->nodeid != 0);
		check(&r, (f->flags & ~WIRE_FACT_FLAGS_ALL) == 0);
	}
	return body_end(&r);
}

static bool is_fence_request(uint16_t type)
{
	return type == HAVM_MSG_FENCE_REQUEST || type == HAVM_MSG_NODE_FENCE_REQ;
}

int wire_fence_request_encode(void *buf, size_t cap, uint16_t type, const struct wire_fence_request *m)
{
	struct wbuf w;

	if (!is_fence_request(type) || m->target == 0)
		return -EINVAL;
	hdr_begin(&w, buf, cap, type);
	put_u32(&w, m->target);
	return hdr_end(&w);
}

int wire_fence_request_decode(const void *buf, size_t len, uint16_t type, struct wire_fence_request *m)
{
	struct rbuf r;
	int rc;

	if (!is_fence_request(type))
		return -EINVAL;
	rc = body_begin(&r, buf, len, type);
	if (rc)
		return rc;
	m->target = get_u32(&r);
	check(&r, m->target != 0);
	return body_end(&r);
}

static bool fence_result_valid(const struct wire_fence_result *m)
{
	return m->target != 0 && m->incarnation != 0 && m->result >= 1 &&
	       m->result <= HAVM_FENCE_RESULT_MAX &&
	       (m->result == HAVM_FENCE_OFF_VERIFIED) == (m->level != 0);
}

int wire_fence_result_encode(void *buf, size_t cap, const struct wire_fence_result *m)
{
	struct wbuf w;

	if (!fence_result_valid(m))
		return -EINVAL;
	hdr_begin(&w, buf, cap, HAVM_MSG_FENCE_RESULT);
	put_u32(&w, m->target);
	put_u8(&w, m->result);
	put_u8(&w, m->level);
	put_u64(&w, m->time);
	put_u32(&w, m->elapsed_ms);
	put_u64(&w, m->incarnation);
	put_str(&w, m->detail, WIRE_TEXT_MAX);
	return hdr_end(&w);
}

int wire_fence_result_decode(const void *buf, size_t len, struct wire_fence_result *m)
{
	struct rbuf r;
	int rc = body_begin(&r, buf, len, HAVM_MSG_FENCE_RESULT);

	if (rc)
		return rc;
	m->target = get_u32(&r);
	m->result = get_u8(&r);
	m->level = get_u8(&r);
	m->time = get_u64(&r);
	m->elapsed_ms = get_u32(&r);
	m->incarnation = get_u64(&r);
	get_str(&r, m->detail, WIRE_TEXT_MAX);
	check(&r, fence_result_valid(m));
	return body_end(&r);
}

const char *wire_fence_result_name(uint8_t result)
{
	switch (result) {
	case HAVM_FENCE_OFF_VERIFIED: return "off-verified";
	case HAVM_FENCE_FAILED: return "failed";
	case HAVM_FENCE_STORAGE_DEAD: return "dead-by-storage";
	}
	return "unknown";
}

static bool tiebreak_lease_valid(const struct wire_tiebreak_lease *m)
{
	return m->nodeid != 0 && m->held <= 1;
}

int wire_tiebreak_lease_encode(void *buf, size_t cap, const struct wire_tiebreak_lease *m)
{
	struct wbuf w;

	if (!tiebreak_lease_valid(m))
		return -EINVAL;
	hdr_begin(&w, buf, cap, HAVM_MSG_TIEBREAK_LEASE);
	put_u32(&w, m->nodeid);
	put_u8(&w, m->held);
	return hdr_end(&w);
}

int wire_tiebreak_lease_decode(const void *buf, size_t len, struct wire_tiebreak_lease *m)
{
	struct rbuf r;
	int rc = body_begin(&r, buf, len, HAVM_MSG_TIEBREAK_LEASE);

	if (rc)
		return rc;
	m->nodeid = get_u32(&r);
	m->held = get_u8(&r);
	check(&r, tiebreak_lease_valid(m));
	return body_end(&r);
}

int wire_status_reply_encode(void *buf, size_t cap, const struct wire_status_reply *m)
{
	struct wbuf w;

	if (m->n_nodes > WIRE_NODES_MAX || (m->flags & ~WIRE_STATUS_FLAGS_ALL) ||
	    m->storage > HAVM_STORAGE_STATE_MAX)
		return -EINVAL;
	hdr_begin(&w, buf, cap, HAVM_MSG_STATUS_REPLY);
	put_str(&w, m->cluster_name, WIRE_NAME_MAX);
	put_u8(&w, m->flags);
	put_u32(&w, m->local_nodeid);
	put_u32(&w, m->coordinator);
	put_u32(&w, m->ring_nodeid);
	put_u64(&w, m->ring_seq);
	put_u64(&w, m->now);
	put_u8(&w, m->storage);
	put_u32(&w, m->storage_for_s);
	put_str(&w, m->storage_path, WIRE_PATH_MAX);
	put_u16(&w, m->n_nodes);
	for (uint16_t i = 0; i < m->n_nodes; i++) {
		const struct wire_status_node *n = &m->nodes[i];
		if (n->nodeid == 0 || (n->flags & ~WIRE_NODE_FLAGS_ALL) || n->heartbeat > HAVM_HB_MAX ||
		    ((n->flags & WIRE_NODE_HAVE_STATE) &&
		     (n->state == 0 || n->state > HAVM_DAEMON_STATE_MAX)) ||
		    (n->fence_info & ~WIRE_FENCE_INFO_ALL))
			return -EINVAL;
		put_u32(&w, n->nodeid);
		put_u8(&w, n->flags);
		put_u8(&w, n->fence_info);
		put_u8(&w, n->state);
		put_u8(&w, n->heartbeat);
		put_u64(&w, n->start_time);
		put_str(&w, n->name, WIRE_NAME_MAX);
		put_str(&w, n->version, WIRE_VERSION_STR_MAX);
	}
	return hdr_end(&w);
}

int wire_status_reply_decode(const void *buf, size_t len, struct wire_status_reply *m)
{
	struct rbuf r;
	int rc = body_begin(&r, buf, len, HAVM_MSG_STATUS_REPLY);

	if (rc)
		return rc;
	get_str(&r, m->cluster_name, WIRE_NAME_MAX);
	m->flags = get_u8(&r);
	m->local_nodeid = get_u32(&r);
	m->coordinator = get_u32(&r);
	m->ring_nodeid = get_u32(&r);
	m->ring_seq = get_u64(&r);
	m->now = get_u64(&r);
	m->storage = get_u8(&r);
	m->storage_for_s = get_u32(&r);
	get_str(&r, m->storage_path, WIRE_PATH_MAX);
	m->n_nodes = get_u16(&r);
	check(&r, !(m->flags & ~WIRE_STATUS_FLAGS_ALL));
	check(&r, m->storage <= HAVM_STORAGE_STATE_MAX);
	check(&r, m->n_nodes <= WIRE_NODES_MAX);
	for (uint16_t i = 0; i < m->n_nodes && !r.err; i++) {
		struct wire_status_node *n = &m->nodes[i];
		n->nodeid = get_u32(&r);
		n->flags = get_u8(&r);
		n->fence_info = get_u8(&r);
		n->state = get_u8(&r);
		n->heartbeat = get_u8(&r);
		n->start_time = get_u64(&r);
		get_str(&r, n->name, WIRE_NAME_MAX);
		get_str(&r, n->version, WIRE_VERSION_STR_MAX);
		check(&r, n->nodeid != 0);
		check(&r, !(n->flags & ~WIRE_NODE_FLAGS_ALL));
		check(&r, !(n->fence_info & ~WIRE_FENCE_INFO_ALL));
		check(&r, n->heartbeat <= HAVM_HB_MAX);
		check(&r, !(n->flags & WIRE_NODE_HAVE_STATE) ||
				  (n->state >= 1 && n->state <= HAVM_DAEMON_STATE_MAX));
	}
	return body_end(&r);
}

int wire_alert_test_encode(void *buf, size_t cap, uint32_t count)
{
	struct wbuf w;

	if (count == 0 || count > WIRE_ALERT_TEST_MAX)
		return -EINVAL;
	hdr_begin(&w, buf, cap, HAVM_MSG_ALERT_TEST_REQ);
	put_u32(&w, count);
	return hdr_end(&w);
}

int wire_alert_test_decode(const void *buf, size_t len, uint32_t *count)
{
	struct rbuf r;
	int rc = body_begin(&r, buf, len, HAVM_MSG_ALERT_TEST_REQ);

	if (rc)
		return rc;
	*count = get_u32(&r);
	check(&r, *count >= 1 && *count <= WIRE_ALERT_TEST_MAX);
	return body_end(&r);
}

int wire_events_request_encode(void *buf, size_t cap, const struct wire_events_request *m)
{
	struct wbuf w;

	if (m->max == 0 || m->max > WIRE_EVENTS_MAX)
		return -EINVAL;
	hdr_begin(&w, buf, cap, HAVM_MSG_EVENTS_REQ);
	put_u16(&w, m->max);
	return hdr_end(&w);
}

int wire_events_request_decode(const void *buf, size_t len, struct wire_events_request *m)
{
	struct rbuf r;
	int rc = body_begin(&r, buf, len, HAVM_MSG_EVENTS_REQ);

	if (rc)
		return rc;
	m->max = get_u16(&r);
	check(&r, m->max >= 1 && m->max <= WIRE_EVENTS_MAX);
	return body_end(&r);
}

/* A type name: what event_ring.h's names are made of, and nothing that a
 * reader of a log line or a shell script could trip on. */
static bool event_type_ok(const char *t)
{
	if (t[0] == '\0')
		return false;
	for (; *t; t++)
		if (!((*t >= 'a' && *t <= 'z') || (*t >= '0' && *t <= '9') || *t == '-'))
			return false;
	return true;
}

static bool event_valid(const struct wire_event *e)
{
	return e->seq != 0 && e->severity <= 7 && event_type_ok(e->type) &&
	       (e->host[0] == '\0' || e->nodeid != 0);
}

static void put_event(struct wbuf *w, const struct wire_event *e)
{
	put_u64(w, e->seq);
	put_u64(w, e->time_ms);
	put_u8(w, e->severity);
	put_u32(w, e->nodeid);
	put_str(w, e->type, WIRE_EVENT_TYPE_MAX);
	put_str(w, e->host, WIRE_NAME_MAX);
	put_str(w, e->vm, WIRE_EVENT_VM_MAX);
	put_str(w, e->text, WIRE_EVENT_TEXT_MAX);
}

int wire_event_len(const struct wire_event *e)
{
	static const size_t max[] = { WIRE_EVENT_TYPE_MAX, WIRE_NAME_MAX, WIRE_EVENT_VM_MAX,
				      WIRE_EVENT_TEXT_MAX };
	const char *str[] = { e->type, e->host, e->vm, e->text };
	size_t len = 8 + 8 + 1 + 4;

	if (!event_valid(e))
		return -EINVAL;
	for (size_t i = 0; i < 4; i++) {
		size_t n = strnlen(str[i], max[i] + 1);
		if (n > max[i] || !text_ok(str[i], n))
			return -EINVAL;
		len += 2 + n;
	}
	return (int)len;
}

int wire_events_reply_encode(void *buf, size_t cap, const struct wire_events_reply *m)
{
	struct wbuf w;

	if (m->n_events > WIRE_EVENTS_MAX || (uint64_t)m->n_events + m->cut > m->held)
		return -EINVAL;
	for (uint16_t i = 0; i < m->n_events; i++)
		if (!event_valid(&m->events[i]) ||
		    (i > 0 && m->events[i].seq <= m->events[i - 1].seq))
			return -EINVAL;
	hdr_begin(&w, buf, cap, HAVM_MSG_EVENTS_REPLY);
	put_u32(&w, m->held);
	put_u64(&w, m->dropped);
	put_u32(&w, m->cut);
	put_u16(&w, m->n_events);
	for (uint16_t i = 0; i < m->n_events; i++)
		put_event(&w, &m->events[i]);
	return hdr_end(&w);
}

int wire_events_reply_decode(const void *buf, size_t len, struct wire_events_reply *m)
{
	struct rbuf r;
	int rc = body_begin(&r, buf, len, HAVM_MSG_EVENTS_REPLY);

	if (rc)
		return rc;
	m->held = get_u32(&r);
	m->dropped = get_u64(&r);
	m->cut = get_u32(&r);
	m->n_events = get_u16(&r);
	check(&r, m->n_events <= WIRE_EVENTS_MAX);
	check(&r, (uint64_t)m->n_events + m->cut <= m->held);
	for (uint16_t i = 0; i < m->n_events && !r.err; i++) {
		struct wire_event *e = &m->events[i];
		e->seq = get_u64(&r);
		e->time_ms = get_u64(&r);
		e->severity = get_u8(&r);
		e->nodeid = get_u32(&r);
		get_str(&r, e->type, WIRE_EVENT_TYPE_MAX);
		get_str(&r, e->host, WIRE_NAME_MAX);
		get_str(&r, e->vm, WIRE_EVENT_VM_MAX);
		get_str(&r, e->text, WIRE_EVENT_TEXT_MAX);
		check(&r, event_valid(e));
		check(&r, i == 0 || e->seq > m->events[i - 1].seq);
	}
	return body_end(&r);
}

int wire_debug_dump_reply_encode(void *buf, size_t cap, const struct wire_debug_dump_reply *m)
{
	struct wbuf w;

	if (m->path[0] != '/')
		return -EINVAL;
	hdr_begin(&w, buf, cap, HAVM_MSG_DEBUG_DUMP_REPLY);
	put_str(&w, m->path, WIRE_PATH_MAX);
	return hdr_end(&w);
}

int wire_debug_dump_reply_decode(const void *buf, size_t len, struct wire_debug_dump_reply *m)
{
	struct rbuf r;
	int rc = body_begin(&r, buf, len, HAVM_MSG_DEBUG_DUMP_REPLY);

	if (rc)
		return rc;
	get_str(&r, m->path, WIRE_PATH_MAX);
	check(&r, m->path[0] == '/');
	return body_end(&r);
}

int wire_error_reply_encode(void *buf, size_t cap, const struct wire_error_reply *m)
{
	struct wbuf w;

	if (m->status == HAVM_OK || m->status > HAVM_STATUS_MAX)
		return -EINVAL;
	hdr_begin(&w, buf, cap, HAVM_MSG_ERROR_REPLY);
	put_u32(&w, m->status);
	put_str(&w, m->message, WIRE_TEXT_MAX);
	return hdr_end(&w);
}

int wire_error_reply_decode(const void *buf, size_t len, struct wire_error_reply *m)
{
	struct rbuf r;
	int rc = body_begin(&r, buf, len, HAVM_MSG_ERROR_REPLY);

	if (rc)
		return rc;
	m->status = get_u32(&r);
	get_str(&r, m->message, WIRE_TEXT_MAX);
	check(&r, m->status != HAVM_OK && m->status <= HAVM_STATUS_MAX);
	return body_end(&r);
}

const char *wire_daemon_state_name(uint8_t state)
{
	switch (state) {
	case HAVM_DAEMON_STARTING: return "starting";
	case HAVM_DAEMON_RUNNING: return "running";
	case HAVM_DAEMON_STOPPING: return "stopping";
	}
	return "unknown";
}

const char *wire_storage_state_name(uint8_t state)
{
	switch (state) {
	case HAVM_STORAGE_OFF: return "not configured";
	case HAVM_STORAGE_PROBING: return "checking";
	case HAVM_STORAGE_MISSING: return "missing";
	case HAVM_STORAGE_UNINITIALISED: return "not initialised";
	case HAVM_STORAGE_UNREACHABLE: return "unreachable";
	case HAVM_STORAGE_NO_SANLOCK: return "sanlock not running";
	case HAVM_STORAGE_JOINING: return "joining storage";
	case HAVM_STORAGE_JOINED: return "joined";
	case HAVM_STORAGE_FAILED: return "join failed";
	}
	return "unknown";
}

const char *wire_heartbeat_name(uint8_t hb)
{
	switch (hb) {
	case HAVM_HB_UNKNOWN: return "unknown";
	case HAVM_HB_LIVE: return "live";
	case HAVM_HB_FAILING: return "failing";
	case HAVM_HB_DEAD: return "dead";
	case HAVM_HB_NONE: return "none";
	}
	return "unknown";
}

const char *wire_status_text(uint32_t status)
{
	switch (status) {
	case HAVM_OK: return "ok";
	case HAVM_E_BADMSG: return "malformed request";
	case HAVM_E_UNKNOWN: return "unknown request";
	case HAVM_E_INTERNAL: return "internal error";
	case HAVM_E_UNAVAILABLE: return "unavailable";
	case HAVM_E_VERSION: return "havm and havmd versions differ";
	case HAVM_E_DENIED: return "permission denied";
	case HAVM_E_REFUSED: return "refused";
	case HAVM_E_NOTFOUND: return "not found";
	case HAVM_E_INVALID: return "invalid";
	case HAVM_E_CONFLICT: return "conflict";
	}
	return "unknown status";
}

bool wire_cpg_type_known(uint16_t type)
{
	return type == HAVM_MSG_NODE_STATE || type == HAVM_MSG_FENCE_RESULT ||
	       type == HAVM_MSG_FENCE_REQUEST || type == HAVM_MSG_TIEBREAK_LEASE ||
	       type == HAVM_MSG_VMCFG || type == HAVM_MSG_VM_REPORT ||
	       type == HAVM_MSG_VM_ACTION || type == HAVM_MSG_VM_RESULT ||
	       type == HAVM_MSG_VM_REQUEST;
}
