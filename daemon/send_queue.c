/*
 * send_queue.c: see send_queue.h.
 */
#include "send_queue.h"

#include "clock.h"
#include "cluster.h"
#include "havmd.h"
#include "log.h"

#include <errno.h>
#include <string.h>

#define SENDQ_RETRY_MS 100 /* flow control: corosync's queue was full */

static void on_timer(void *data)
{
	struct havmd *h = data;

	h->sendq.timer = 0;
	sendq_flush(h);
}

static void schedule(struct havmd *h, uint32_t ms)
{
	qb_loop_timer_handle t;

	if (h->sendq.timer)
		return;
	if (qb_loop_timer_add(h->loop, QB_LOOP_MED, (uint64_t)ms * QB_TIME_NS_IN_MSEC, h, on_timer,
			      &t) == 0)
		h->sendq.timer = t;
}

void sendq_flush(struct havmd *h)
{
	struct send_queue *s = &h->sendq;
	uint64_t now = clock_now_ms();

	for (size_t i = 0; i < s->n; i++) {
		struct sendq_entry *e = &s->q[i];
		int rc;

		if (e->sent && now - e->sent_at_ms < SENDQ_RESEND_MS)
			continue;
		rc = cluster_send(h, e->buf, e->len);
		if (rc == -EAGAIN || rc == -ENOTCONN)
			break; /* in order: the rest waits too */
		if (rc < 0)
			log_warn("cluster: cannot send a message type=%u error=\"%s\"; retrying",
				 e->type, strerror(-rc));
		if (e->sent)
			log_debug("cluster: sent again type=%u (not back after %d ms)", e->type,
				  SENDQ_RESEND_MS);
		e->sent = true;
		e->sent_at_ms = now;
	}
	if (s->n > 0)
		schedule(h, SENDQ_RETRY_MS);
}

int sendq_push(struct havmd *h, const void *buf, size_t len, uint32_t key, bool latest)
{
	struct send_queue *s = &h->sendq;
	struct wire_hdr hdr;
	struct sendq_entry *e = NULL;

	if (wire_hdr_decode(buf, len, &hdr) < 0 || len > sizeof(s->q[0].buf))
		return -EINVAL;
	for (size_t i = 0; latest && i < s->n && !e; i++)
		if (s->q[i].type == hdr.type && s->q[i].key == key && !s->q[i].sent)
			e = &s->q[i]; /* not sent yet: replace it in place */
	if (!e) {
		if (s->n == SENDQ_MAX) {
			log_err("cluster: send queue full, message type=%u dropped", hdr.type);
			return -ENOSPC;
		}
		e = &s->q[s->n++];
	}
	*e = (struct sendq_entry){ .type = hdr.type, .key = key, .len = len };
	memcpy(e->buf, buf, len);
	sendq_flush(h);
	return 0;
}

void sendq_delivered(struct havmd *h, const void *msg, size_t len)
{
	struct send_queue *s = &h->sendq;

	for (size_t i = 0; i < s->n; i++) {
		if (s->q[i].len == len && memcmp(s->q[i].buf, msg, len) == 0) {
			memmove(&s->q[i], &s->q[i + 1], (s->n - i - 1) * sizeof(s->q[0]));
			s->n--;
			return;
		}
	}
}

void sendq_reset_sent(struct havmd *h)
{
	for (size_t i = 0; i < h->sendq.n; i++)
		h->sendq.q[i].sent = false;
	sendq_flush(h);
}

void sendq_stop(struct havmd *h)
{
	if (h->sendq.timer)
		qb_loop_timer_del(h->loop, (qb_loop_timer_handle)h->sendq.timer);
	h->sendq.timer = 0;
}
