/*
 * wire_buf.h: the writers and strict readers every wire encoder and decoder
 * uses (lib/wire.c, lib/wire_vm.c). Writers and readers carry a sticky
 * error, so a sequence of puts or gets is checked once at the end.
 * Internal to lib/: the formats themselves are all in wire.h.
 */
#ifndef HAVM_WIRE_BUF_H
#define HAVM_WIRE_BUF_H

#include "wire.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

struct wbuf {
	uint8_t *p;
	size_t len, cap;
	int err;
};

struct rbuf {
	const uint8_t *p;
	size_t off, len;
	int err;
};

static inline void put_bytes(struct wbuf *w, const void *src, size_t n)
{
	if (w->err)
		return;
	if (w->cap - w->len < n) {
		w->err = -EMSGSIZE;
		return;
	}
	memcpy(w->p + w->len, src, n);
	w->len += n;
}

static inline void put_u8(struct wbuf *w, uint8_t v)
{
	put_bytes(w, &v, 1);
}

static inline void put_u16(struct wbuf *w, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };
	put_bytes(w, b, sizeof(b));
}

static inline void put_u32(struct wbuf *w, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
	put_bytes(w, b, sizeof(b));
}

static inline void put_u64(struct wbuf *w, uint64_t v)
{
	put_u32(w, (uint32_t)(v >> 32));
	put_u32(w, (uint32_t)v);
}

static inline bool text_ok(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return false;
	return true;
}

static inline void put_str(struct wbuf *w, const char *s, size_t max)
{
	size_t n = strnlen(s, max + 1);
	if (n > max || !text_ok(s, n)) {
		if (!w->err)
			w->err = -EINVAL;
		return;
	}
	put_u16(w, (uint16_t)n);
	put_bytes(w, s, n);
}

static inline void get_bytes(struct rbuf *r, void *dst, size_t n)
{
	if (r->err)
		return;
	if (r->len - r->off < n) {
		r->err = -EBADMSG;
		return;
	}
	memcpy(dst, r->p + r->off, n);
	r->off += n;
}

static inline uint8_t get_u8(struct rbuf *r)
{
	uint8_t v = 0;
	get_bytes(r, &v, 1);
	return v;
}

static inline uint16_t get_u16(struct rbuf *r)
{
	uint8_t b[2] = { 0, 0 };
	get_bytes(r, b, sizeof(b));
	return (uint16_t)((b[0] << 8) | b[1]);
}

static inline uint32_t get_u32(struct rbuf *r)
{
	uint8_t b[4] = { 0, 0, 0, 0 };
	get_bytes(r, b, sizeof(b));
	return ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3];
}

static inline uint64_t get_u64(struct rbuf *r)
{
	uint64_t hi = get_u32(r);
	return (hi << 32) | get_u32(r);
}

/* DST has room for MAX bytes plus the NUL. */
static inline void get_str(struct rbuf *r, char *dst, size_t max)
{
	uint16_t n = get_u16(r);
	dst[0] = '\0';
	if (r->err)
		return;
	if (n > max) {
		r->err = -EBADMSG;
		return;
	}
	get_bytes(r, dst, n);
	if (r->err)
		return;
	dst[n] = '\0';
	if (!text_ok(dst, n))
		r->err = -EBADMSG;
}

static inline void check(struct rbuf *r, bool ok)
{
	if (!ok && !r->err)
		r->err = -EBADMSG;
}

static inline void hdr_begin(struct wbuf *w, void *buf, size_t cap, uint16_t type)
{
	*w = (struct wbuf){ .p = buf, .cap = cap };
	put_u32(w, HAVM_WIRE_MAGIC);
	put_u16(w, HAVM_WIRE_VERSION);
	put_u16(w, type);
	put_u32(w, 0); /* length, patched by hdr_end */
}

static inline int hdr_end(struct wbuf *w)
{
	if (w->err)
		return w->err;
	if (w->len > HAVM_WIRE_MSG_MAX)
		return -EMSGSIZE;
	w->p[8] = (uint8_t)(w->len >> 24);
	w->p[9] = (uint8_t)(w->len >> 16);
	w->p[10] = (uint8_t)(w->len >> 8);
	w->p[11] = (uint8_t)w->len;
	return (int)w->len;
}

/* Check the header is of TYPE and leave R positioned at the body. */
static inline int body_begin(struct rbuf *r, const void *buf, size_t len, uint16_t type)
{
	struct wire_hdr h;
	int rc = wire_hdr_decode(buf, len, &h);

	if (rc)
		return rc;
	if (h.type != type)
		return -EBADMSG;
	*r = (struct rbuf){ .p = buf, .len = len, .off = HAVM_WIRE_HDR_LEN };
	return 0;
}

/* Trailing bytes are as malformed as missing ones. */
static inline int body_end(struct rbuf *r)
{
	if (r->err)
		return r->err;
	return r->off == r->len ? 0 : -EBADMSG;
}

#endif
