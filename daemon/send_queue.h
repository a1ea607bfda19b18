/*
 * send_queue.h: one reliable multicast for every service. A message is
 * queued, sent to the CPG group, and kept until our own copy comes back
 * through CPG (then every member has it, in the same order). What corosync
 * refused (flow control, corosync away) or did not deliver in time is sent
 * again; so a copy may arrive twice, and receivers must recognise repeats
 * (a fence record is compared with the last one recorded).
 */
#ifndef HAVMD_SEND_QUEUE_H
#define HAVMD_SEND_QUEUE_H

#include "wire.h"

#include <stddef.h>
#include <stdint.h>

struct havmd;

#define SENDQ_MAX 32
#define SENDQ_RESEND_MS 3000 /* fencing a member stalls delivery for seconds */

struct sendq_entry {
	uint16_t type;
	uint32_t key;       /* with KEY_LATEST: a newer message replaces the older */
	bool sent;          /* handed to corosync at least once */
	uint64_t sent_at_ms;
	size_t len;
	uint8_t buf[WIRE_NODE_STATE_MAX_LEN > WIRE_FENCE_RESULT_MAX_LEN ? WIRE_NODE_STATE_MAX_LEN
									   : WIRE_FENCE_RESULT_MAX_LEN];
};

struct send_queue {
	struct sendq_entry q[SENDQ_MAX];
	size_t n;
	uint64_t timer;
};

/*
 * Queue BUF (one encoded message) and try to send it now. With LATEST, a
 * queued message of the same type and KEY is replaced (state that only
 * matters at its newest, like a node's announcement). 0, or -ENOSPC when
 * the queue is full (logged).
 */
int sendq_push(struct havmd *h, const void *buf, size_t len, uint32_t key, bool latest);
/* Our own message came back through CPG: it is delivered. */
void sendq_delivered(struct havmd *h, const void *msg, size_t len);
/* Send what is due (also after a reconnect: everything not yet back). */
void sendq_flush(struct havmd *h);
void sendq_reset_sent(struct havmd *h); /* corosync reconnected: all again */
void sendq_stop(struct havmd *h);

#endif
