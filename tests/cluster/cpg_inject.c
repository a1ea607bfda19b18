/*
 * cpg_inject: a test tool that joins a CPG group and multicasts malformed
 * havm messages into it, to prove the daemons drop them and keep running.
 *
 *   cpg_inject GROUP KIND...
 *
 * KINDs: garbage (random bytes), short (3 bytes), badmagic, badversion,
 * badlength (header length larger than the message), trailing (a valid
 * node state plus one byte), spoof (a valid node state that claims another
 * node's id), unknowntype (a well-formed header of a type no havmd knows:
 * to be ignored, as a newer havmd's would be), and two forged but
 * well-formed messages that only the coordinator may send:
 * result:TARGET:INCARNATION (a fence result "off-verified" for that life
 * of TARGET) and request:TARGET (an operator's fence request). Waits until
 * its own messages come back (so they were delivered to every member)
 * before leaving the group.
 */
#include "wire.h"

#include <corosync/cpg.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int delivered;

static void on_deliver(cpg_handle_t h, const struct cpg_name *g, uint32_t nodeid, uint32_t pid,
		       void *msg, size_t len)
{
	unsigned int local = 0;
	(void)g; (void)msg; (void)len;
	cpg_local_get(h, &local);
	if (nodeid == local && pid == (uint32_t)getpid())
		delivered++;
}

static size_t put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
	return 4;
}

/* A well-formed node state for NODEID, of this wire version (lib/wire.h). */
static size_t node_state(uint8_t *b, uint32_t nodeid)
{
	size_t o = 0;
	o += put32(b + o, 0x4841564d);
	b[o++] = 0; b[o++] = HAVM_WIRE_VERSION; /* version */
	b[o++] = 0; b[o++] = 1;     /* type: node state */
	o += put32(b + o, 0);       /* length, below */
	o += put32(b + o, nodeid);
	b[o++] = 2;                 /* running */
	memset(b + o, 0, 8); o += 8;
	b[o++] = 0; b[o++] = 4; memcpy(b + o, "evil", 4); o += 4;
	b[o++] = 0; b[o++] = 1; b[o++] = '1';
	o += put32(b + o, 0); o += put32(b + o, 1); /* incarnation 1 */
	b[o++] = 0;                                  /* flags */
	memset(b + o, 0, 8); o += 8;                 /* generation */
	b[o++] = 0; b[o++] = 0;                      /* no facts */
	put32(b + 8, (uint32_t)o);
	return o;
}

static size_t header(uint8_t *b, uint8_t type)
{
	size_t o = put32(b, 0x4841564d);
	b[o++] = 0; b[o++] = HAVM_WIRE_VERSION; /* version */
	b[o++] = 0; b[o++] = type;
	return o + put32(b + o, 0); /* length, set by the caller */
}

/* A well-formed fence result: TARGET off-verified at level 1. */
static size_t forged_result(uint8_t *b, uint32_t target, unsigned long long inc)
{
	static const char detail[] = "devices=forged";
	size_t o = header(b, 2);
	o += put32(b + o, target);
	b[o++] = 1;                                 /* off-verified */
	b[o++] = 1;                                 /* level 1 */
	o += put32(b + o, 0); o += put32(b + o, (uint32_t)time(NULL));
	o += put32(b + o, 2000);                    /* elapsed_ms */
	o += put32(b + o, (uint32_t)(inc >> 32)); o += put32(b + o, (uint32_t)inc);
	b[o++] = 0; b[o++] = (uint8_t)(sizeof(detail) - 1);
	memcpy(b + o, detail, sizeof(detail) - 1); o += sizeof(detail) - 1;
	put32(b + 8, (uint32_t)o);
	return o;
}

static size_t forged_request(uint8_t *b, uint32_t target)
{
	size_t o = header(b, 3);
	o += put32(b + o, target);
	put32(b + 8, (uint32_t)o);
	return o;
}

static size_t build(const char *kind, uint8_t *b, uint32_t local)
{
	size_t n;
	if (!strcmp(kind, "garbage")) {
		for (n = 0; n < 200; n++)
			b[n] = (uint8_t)rand();
		return n;
	}
	if (!strcmp(kind, "short")) {
		memcpy(b, "HAV", 3);
		return 3;
	}
	if (!strncmp(kind, "result:", 7)) {
		unsigned long target = strtoul(kind + 7, NULL, 10);
		const char *c = strchr(kind + 7, ':');
		return forged_result(b, (uint32_t)target, c ? strtoull(c + 1, NULL, 10) : 1);
	}
	if (!strncmp(kind, "request:", 8))
		return forged_request(b, (uint32_t)strtoul(kind + 8, NULL, 10));
	n = node_state(b, local);
	if (!strcmp(kind, "badmagic"))
		b[0] = 'X';
	else if (!strcmp(kind, "badversion"))
		b[5] = 99;
	else if (!strcmp(kind, "badlength"))
		put32(b + 8, (uint32_t)n + 100);
	else if (!strcmp(kind, "trailing")) {
		b[n++] = 0;
		put32(b + 8, (uint32_t)n);
	} else if (!strcmp(kind, "spoof"))
		put32(b + 12, local + 1000);
	else if (!strcmp(kind, "unknowntype"))
		b[7] = 77;
	else {
		fprintf(stderr, "cpg_inject: unknown kind %s\n", kind);
		exit(2);
	}
	return n;
}

int main(int argc, char **argv)
{
	cpg_callbacks_t cb = { .cpg_deliver_fn = on_deliver };
	struct cpg_name group;
	cpg_handle_t h;
	unsigned int local = 0;
	uint8_t buf[1024];
	int fd, sent = 0;
	time_t deadline;

	if (argc < 3) {
		fprintf(stderr, "usage: cpg_inject GROUP KIND...\n");
		return 2;
	}
	srand((unsigned)time(NULL));
	group.length = (uint32_t)snprintf(group.value, sizeof(group.value), "%s", argv[1]);
	if (cpg_initialize(&h, &cb) != CS_OK || cpg_join(h, &group) != CS_OK ||
	    cpg_local_get(h, &local) != CS_OK || cpg_fd_get(h, &fd) != CS_OK) {
		fprintf(stderr, "cpg_inject: cannot join %s\n", argv[1]);
		return 1;
	}
	for (int i = 2; i < argc; i++) {
		size_t n = build(argv[i], buf, local);
		struct iovec iov = { .iov_base = buf, .iov_len = n };
		while (cpg_mcast_joined(h, CPG_TYPE_AGREED, &iov, 1) == CS_ERR_TRY_AGAIN)
			poll(NULL, 0, 10);
		sent++;
		printf("cpg_inject: sent %s (%zu bytes)\n", argv[i], n);
	}
	deadline = time(NULL) + 10;
	while (delivered < sent && time(NULL) < deadline) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, 200) > 0)
			cpg_dispatch(h, CS_DISPATCH_ALL);
	}
	cpg_leave(h, &group);
	cpg_finalize(h);
	if (delivered < sent) {
		fprintf(stderr, "cpg_inject: only %d of %d messages came back\n", delivered, sent);
		return 1;
	}
	return 0;
}
