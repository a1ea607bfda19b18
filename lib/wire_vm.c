/*
 * wire_vm.c: encoders and strict decoders of the messages of VM high
 * availability (their layout is in wire.h). Same rules as wire.c: every
 * field range-checked, trailing bytes refused, texts printable.
 */
#include "wire.h"
#include "wire_buf.h"
#include "vm_name.h"

#include <errno.h>
#include <string.h>

/* A chunk of a big text: printable ASCII, newline and tab. */
static bool chunk_ok(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20 || c > 0x7e) && c != '\n' && c != '\t')
			return false;
	}
	return true;
}

static void put_chunk(struct wbuf *w, const char *s, uint32_t n)
{
	if (n > WIRE_CHUNK_MAX || (n && !s) || (n && !chunk_ok(s, n))) {
		if (!w->err)
			w->err = -EINVAL;
		return;
	}
	put_u32(w, n);
	put_bytes(w, s, n);
}

/* Points *OUT into the message (no copy): valid while the message is. */
static void get_chunk(struct rbuf *r, const char **out, uint32_t *n)
{
	*n = get_u32(r);
	*out = NULL;
	if (r->err)
		return;
	if (*n > WIRE_CHUNK_MAX || r->len - r->off < *n) {
		r->err = -EBADMSG;
		return;
	}
	*out = (const char *)r->p + r->off;
	r->off += *n;
	if (!chunk_ok(*out, *n))
		r->err = -EBADMSG;
}

/* A chunk lies within its text. */
static bool chunk_fits(uint32_t total, uint32_t offset, uint32_t len)
{
	return total <= WIRE_BIG_TEXT_MAX && offset <= total && len <= total - offset;
}

int wire_vmcfg_encode(void *buf, size_t cap, const struct wire_vmcfg *m)
{
	struct wbuf w;

	if ((m->kind != WIRE_VMCFG_CHANGE && m->kind != WIRE_VMCFG_FULL) || m->origin == 0 ||
	    !chunk_fits(m->total, m->offset, m->len))
		return -EINVAL;
	hdr_begin(&w, buf, cap, HAVM_MSG_VMCFG);
	put_u8(&w, m->kind);
	put_u64(&w, m->version);
	put_u64(&w, m->hash);
	put_u32(&w, m->origin);
	put_u64(&w, m->req_id);
	put_u32(&w, m->total);
	put_u32(&w, m->offset);
	put_chunk(&w, m->chunk, m->len);
	return hdr_end(&w);
}

int wire_vmcfg_decode(const void *buf, size_t len, struct wire_vmcfg *m)
{
	struct rbuf r;
	int rc = body_begin(&r, buf, len, HAVM_MSG_VMCFG);

	if (rc)
		return rc;
	m->kind = get_u8(&r);
	m->version = get_u64(&r);
	m->hash = get_u64(&r);
	m->origin = get_u32(&r);
	m->req_id = get_u64(&r);
	m->total = get_u32(&r);
	m->offset = get_u32(&r);
	get_chunk(&r, &m->chunk, &m->len);
	check(&r, m->kind == WIRE_VMCFG_CHANGE || m->kind == WIRE_VMCFG_FULL);
	check(&r, m->origin != 0);
	check(&r, chunk_fits(m->total, m->offset, m->len));
	return body_end(&r);
}

_Static_assert(WIRE_NAME_MAX == VM_NAME_MAX, "VM names fit the wire's names");

int wire_vm_report_encode(void *buf, size_t cap, const struct wire_vm_report *m)
{
	struct wbuf w;

	if (m->incarnation == 0 || (m->flags & ~WIRE_VM_REPORT_FLAGS_ALL) ||
	    m->n_doms > WIRE_VM_DOMS_MAX)
		return -EINVAL;
	hdr_begin(&w, buf, cap, HAVM_MSG_VM_REPORT);
	put_u64(&w, m->incarnation);
	put_u64(&w, m->seq);
	put_u8(&w, m->flags);
	put_u64(&w, m->cfg_version);
	put_u64(&w, m->cfg_hash);
	put_u32(&w, m->cpus);
	put_u64(&w, m->mem_total_mib);
	put_u64(&w, m->mem_free_mib);
	put_u32(&w, m->load_milli);
	put_u16(&w, m->n_doms);
	for (size_t i = 0; i < m->n_doms; i++) {
		const struct wire_vm_dom *d = &m->doms[i];
		if (!vm_name_ok(d->name) || d->state > WIRE_VM_STATE_MAX ||
		    (d->flags & ~WIRE_VM_DOM_FLAGS_ALL))
			return -EINVAL;
		put_str(&w, d->name, WIRE_NAME_MAX);
		put_u8(&w, d->state);
		put_u8(&w, d->flags);
		put_u32(&w, d->memory_mib);
		put_u32(&w, d->vcpus);
		put_u32(&w, d->cpu_milli);
	}
	return hdr_end(&w);
}

int wire_vm_report_decode(const void *buf, size_t len, struct wire_vm_report *m)
{
	struct rbuf r;
	int rc = body_begin(&r, buf, len, HAVM_MSG_VM_REPORT);

	if (rc)
		return rc;
	m->incarnation = get_u64(&r);
	m->seq = get_u64(&r);
	m->flags = get_u8(&r);
	m->cfg_version = get_u64(&r);
	m->cfg_hash = get_u64(&r);
	m->cpus = get_u32(&r);
	m->mem_total_mib = get_u64(&r);
	m->mem_free_mib = get_u64(&r);
	m->load_milli = get_u32(&r);
	m->n_doms = get_u16(&r);
	check(&r, m->incarnation != 0 && !(m->flags & ~WIRE_VM_REPORT_FLAGS_ALL));
	check(&r, m->n_doms <= WIRE_VM_DOMS_MAX);
	for (size_t i = 0; !r.err && i < m->n_doms; i++) {
		struct wire_vm_dom *d = &m->doms[i];
		get_str(&r, d->name, WIRE_NAME_MAX);
		d->state = get_u8(&r);
		d->flags = get_u8(&r);
		d->memory_mib = get_u32(&r);
		d->vcpus = get_u32(&r);
		d->cpu_milli = get_u32(&r);
		check(&r, vm_name_ok(d->name) && d->state <= WIRE_VM_STATE_MAX &&
			      !(d->flags & ~WIRE_VM_DOM_FLAGS_ALL));
	}
	return body_end(&r);
}

const char *wire_vm_state_name(uint8_t state)
{
	static const char *const names[] = { "other",   "running",  "paused",  "shutoff",
					     "crashed", "starting", "stopping" };
	return state <= WIRE_VM_STATE_MAX ? names[state] : "invalid";
}

static bool action_ok(uint8_t a)
{
	return a == WIRE_VM_START || a == WIRE_VM_STOP || a == WIRE_VM_MIGRATE;
}

/* A migration names where to (not where from); nothing else does. */
static bool dest_ok(uint8_t a, uint32_t target, uint32_t dest)
{
	return a == WIRE_VM_MIGRATE ? dest != 0 && dest != target : dest == 0;
}

int wire_vm_action_encode(void *buf, size_t cap, const struct wire_vm_action *m)
{
	struct wbuf w;

	if (m->id == 0 || m->coordinator_inc == 0 || m->target == 0 || !action_ok(m->action) ||
	    !vm_name_ok(m->vm) || !dest_ok(m->action, m->target, m->dest))
		return -EINVAL;
	hdr_begin(&w, buf, cap, HAVM_MSG_VM_ACTION);
	put_u64(&w, m->id);
	put_u64(&w, m->coordinator_inc);
	put_u32(&w, m->target);
	put_u8(&w, m->action);
	put_u32(&w, m->dest);
	put_u64(&w, m->cfg_version);
	put_str(&w, m->vm, WIRE_NAME_MAX);
	return hdr_end(&w);
}

int wire_vm_action_decode(const void *buf, size_t len, struct wire_vm_action *m)
{
	struct rbuf r;
	int rc = body_begin(&r, buf, len, HAVM_MSG_VM_ACTION);

	if (rc)
		return rc;
	m->id = get_u64(&r);
	m->coordinator_inc = get_u64(&r);
	m->target = get_u32(&r);
	m->action = get_u8(&r);
	m->dest = get_u32(&r);
	m->cfg_version = get_u64(&r);
	get_str(&r, m->vm, WIRE_NAME_MAX);
	check(&r, m->id != 0 && m->coordinator_inc != 0 && m->target != 0);
	check(&r, action_ok(m->action) && vm_name_ok(m->vm) && dest_ok(m->action, m->target, m->dest));
	return body_end(&r);
}

int wire_vm_result_encode(void *buf, size_t cap, const struct wire_vm_result *m)
{
	struct wbuf w;

	if (m->id == 0 || !action_ok(m->action) || !vm_name_ok(m->vm) || m->rc > 0)
		return -EINVAL;
	hdr_begin(&w, buf, cap, HAVM_MSG_VM_RESULT);
	put_u64(&w, m->id);
	put_u8(&w, m->action);
	put_u32(&w, (uint32_t)m->rc);
	put_str(&w, m->vm, WIRE_NAME_MAX);
	put_str(&w, m->message, WIRE_TEXT_MAX);
	return hdr_end(&w);
}

int wire_vm_result_decode(const void *buf, size_t len, struct wire_vm_result *m)
{
	struct rbuf r;
	int rc = body_begin(&r, buf, len, HAVM_MSG_VM_RESULT);

	if (rc)
		return rc;
	m->id = get_u64(&r);
	m->action = get_u8(&r);
	m->rc = (int32_t)get_u32(&r);
	get_str(&r, m->vm, WIRE_NAME_MAX);
	get_str(&r, m->message, WIRE_TEXT_MAX);
	check(&r, m->id != 0 && action_ok(m->action) && vm_name_ok(m->vm) && m->rc <= 0);
	return body_end(&r);
}

static bool vm_request_type(uint16_t t)
{
	return t == HAVM_MSG_VM_REQUEST || t == HAVM_MSG_VM_MIGRATE_REQ;
}

int wire_vm_request_encode(void *buf, size_t cap, uint16_t type, const struct wire_vm_request *m)
{
	struct wbuf w;

	if (!vm_request_type(type) || !vm_name_ok(m->vm) || m->dest == 0)
		return -EINVAL;
	hdr_begin(&w, buf, cap, type);
	put_str(&w, m->vm, WIRE_NAME_MAX);
	put_u32(&w, m->dest);
	return hdr_end(&w);
}

int wire_vm_request_decode(const void *buf, size_t len, uint16_t type, struct wire_vm_request *m)
{
	struct rbuf r;
	int rc;

	if (!vm_request_type(type))
		return -EINVAL;
	rc = body_begin(&r, buf, len, type);
	if (rc)
		return rc;
	get_str(&r, m->vm, WIRE_NAME_MAX);
	m->dest = get_u32(&r);
	check(&r, vm_name_ok(m->vm) && m->dest != 0);
	return body_end(&r);
}

int wire_doc_request_encode(void *buf, size_t cap, const struct wire_doc_request *m)
{
	struct wbuf w;

	if (m->kind == 0 || m->kind > WIRE_DOC_KIND_MAX || m->offset > WIRE_BIG_TEXT_MAX)
		return -EINVAL;
	hdr_begin(&w, buf, cap, HAVM_MSG_DOC_REQ);
	put_u8(&w, m->kind);
	put_u32(&w, m->offset);
	put_str(&w, m->arg, WIRE_TEXT_MAX);
	return hdr_end(&w);
}

int wire_doc_request_decode(const void *buf, size_t len, struct wire_doc_request *m)
{
	struct rbuf r;
	int rc = body_begin(&r, buf, len, HAVM_MSG_DOC_REQ);

	if (rc)
		return rc;
	m->kind = get_u8(&r);
	m->offset = get_u32(&r);
	get_str(&r, m->arg, WIRE_TEXT_MAX);
	check(&r, m->kind != 0 && m->kind <= WIRE_DOC_KIND_MAX && m->offset <= WIRE_BIG_TEXT_MAX);
	return body_end(&r);
}

int wire_doc_reply_encode(void *buf, size_t cap, const struct wire_doc_reply *m)
{
	struct wbuf w;

	if (!chunk_fits(m->total, m->offset, m->len))
		return -EINVAL;
	hdr_begin(&w, buf, cap, HAVM_MSG_DOC_REPLY);
	put_u64(&w, m->id);
	put_u32(&w, m->total);
	put_u32(&w, m->offset);
	put_chunk(&w, m->chunk, m->len);
	return hdr_end(&w);
}

int wire_doc_reply_decode(const void *buf, size_t len, struct wire_doc_reply *m)
{
	struct rbuf r;
	int rc = body_begin(&r, buf, len, HAVM_MSG_DOC_REPLY);

	if (rc)
		return rc;
	m->id = get_u64(&r);
	m->total = get_u32(&r);
	m->offset = get_u32(&r);
	get_chunk(&r, &m->chunk, &m->len);
	check(&r, chunk_fits(m->total, m->offset, m->len));
	return body_end(&r);
}

int wire_vmcfg_request_encode(void *buf, size_t cap, const struct wire_vmcfg_request *m)
{
	struct wbuf w;

	if (!chunk_fits(m->total, m->offset, m->len) || m->total == 0)
		return -EINVAL;
	hdr_begin(&w, buf, cap, HAVM_MSG_VMCFG_REQ);
	put_u32(&w, m->total);
	put_u32(&w, m->offset);
	put_chunk(&w, m->chunk, m->len);
	return hdr_end(&w);
}

int wire_vmcfg_request_decode(const void *buf, size_t len, struct wire_vmcfg_request *m)
{
	struct rbuf r;
	int rc = body_begin(&r, buf, len, HAVM_MSG_VMCFG_REQ);

	if (rc)
		return rc;
	m->total = get_u32(&r);
	m->offset = get_u32(&r);
	get_chunk(&r, &m->chunk, &m->len);
	check(&r, m->total != 0 && chunk_fits(m->total, m->offset, m->len));
	return body_end(&r);
}

int wire_vmcfg_reply_encode(void *buf, size_t cap, const struct wire_vmcfg_reply *m)
{
	struct wbuf w;

	if (m->state != WIRE_VMCFG_MORE && m->state != WIRE_VMCFG_DONE)
		return -EINVAL;
	hdr_begin(&w, buf, cap, HAVM_MSG_VMCFG_REPLY);
	put_u8(&w, m->state);
	put_u64(&w, m->version);
	return hdr_end(&w);
}

int wire_vmcfg_reply_decode(const void *buf, size_t len, struct wire_vmcfg_reply *m)
{
	struct rbuf r;
	int rc = body_begin(&r, buf, len, HAVM_MSG_VMCFG_REPLY);

	if (rc)
		return rc;
	m->state = get_u8(&r);
	m->version = get_u64(&r);
	check(&r, m->state == WIRE_VMCFG_MORE || m->state == WIRE_VMCFG_DONE);
	return body_end(&r);
}
