/*
 * ctl_client.c: one request, one reply over havmd's control socket.
 */
#include "cli.h"

#include <errno.h>
#include <qb/qbipc_common.h>
#include <qb/qbipcc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HAVM_IPC_NAME "havm"
/* havmd answers from its loop at once, and a configuration change once the
 * group has applied it (havmd gives up on that after 30 s and says so);
 * this only guards against a hung daemon so that scripts calling havm
 * never hang with it. */
#define REPLY_TIMEOUT_MS 35000

enum havm_status ctl_last_status;
bool ctl_quiet;
bool ctl_quiet_conflict;

static int connect_error(int err)
{
	if (err == EACCES || err == EPERM) {
		fprintf(stderr, "havm: permission denied: havm needs root or membership of the "
				"haclient group\n");
		return HAVM_EXIT_DENIED;
	}
	if (err == EUSERS) {
		fprintf(stderr, "havm: havmd refused the connection: too many connections from "
				"this user (or from the haclient group) are open; try again\n");
		return HAVM_EXIT_NOT_RUNNING;
	}
	fprintf(stderr, "havm: cannot connect to havmd: %s (is havmd running? "
			"systemctl status havmd)\n",
		strerror(err));
	return HAVM_EXIT_NOT_RUNNING;
}

int ctl_request(enum havm_msg_type type, enum havm_msg_type want, void *reply, size_t *len)
{
	uint8_t msg[HAVM_WIRE_HDR_LEN];
	int n = wire_request_encode(msg, sizeof(msg), type);

	if (n < 0) {
		fprintf(stderr, "havm: internal error encoding request\n");
		return HAVM_EXIT_ERROR;
	}
	return ctl_call(msg, (size_t)n, want, reply, len);
}

/* One request and its reply on an open connection C. */
static int exchange(qb_ipcc_connection_t *c, const void *msg, size_t msg_len,
		    enum havm_msg_type want, void *reply, size_t *len)
{
	static uint8_t req[sizeof(struct qb_ipc_request_header) + HAVM_WIRE_MSG_MAX];
	struct qb_ipc_request_header *rh = (struct qb_ipc_request_header *)req;
	struct wire_hdr mh;
	static uint8_t resp[sizeof(struct qb_ipc_response_header) + HAVM_WIRE_MSG_MAX];
	const size_t rsp_hdr = sizeof(struct qb_ipc_response_header);
	struct wire_error_reply er;
	struct wire_hdr hdr;
	ssize_t n;

	if (msg_len > sizeof(req) - sizeof(*rh) || wire_hdr_decode(msg, msg_len, &mh) < 0) {
		fprintf(stderr, "havm: internal error encoding request\n");
		return HAVM_EXIT_ERROR;
	}
	memcpy(req + sizeof(*rh), msg, msg_len);
	rh->id = (int32_t)mh.type;
	rh->size = (int32_t)(sizeof(*rh) + msg_len);
	n = qb_ipcc_sendv_recv(c, &(struct iovec){ .iov_base = req, .iov_len = (size_t)rh->size },
			       1, resp, sizeof(resp), REPLY_TIMEOUT_MS);
	if (n < 0) {
		if (n == -ETIMEDOUT || n == -EAGAIN)
			fprintf(stderr, "havm: havmd did not answer within %d s\n",
				REPLY_TIMEOUT_MS / 1000);
		else
			fprintf(stderr, "havm: lost connection to havmd: %s\n", strerror((int)-n));
		return HAVM_EXIT_NOT_RUNNING;
	}
	if ((size_t)n < rsp_hdr || wire_hdr_decode(resp + rsp_hdr, (size_t)n - rsp_hdr, &hdr)) {
		fprintf(stderr, "havm: malformed reply from havmd (different versions?)\n");
		return HAVM_EXIT_PROTOCOL;
	}
	if (hdr.type == HAVM_MSG_ERROR_REPLY) {
		if (wire_error_reply_decode(resp + rsp_hdr, (size_t)n - rsp_hdr, &er)) {
			fprintf(stderr, "havm: malformed error reply from havmd\n");
			return HAVM_EXIT_PROTOCOL;
		}
		if (er.status == HAVM_E_DENIED)
			return connect_error(EACCES);
		ctl_last_status = er.status;
		if (!ctl_quiet && !(ctl_quiet_conflict && er.status == HAVM_E_CONFLICT))
			fprintf(stderr, "havm: havmd: %s (%s)\n", er.message, wire_status_text(er.status));
		return er.status == HAVM_E_NOTFOUND ? HAVM_EXIT_NOT_FOUND : HAVM_EXIT_ERROR;
	}
	if (hdr.type != want) {
		fprintf(stderr, "havm: unexpected reply type %u from havmd\n", hdr.type);
		return HAVM_EXIT_PROTOCOL;
	}
	*len = (size_t)n - rsp_hdr;
	memcpy(reply, resp + rsp_hdr, *len);
	return HAVM_EXIT_OK;
}

int ctl_call(const void *msg, size_t msg_len, enum havm_msg_type want, void *reply, size_t *len)
{
	qb_ipcc_connection_t *c = qb_ipcc_connect(HAVM_IPC_NAME, HAVM_WIRE_MSG_MAX + 64);
	int rc;

	if (!c)
		return connect_error(errno);
	rc = exchange(c, msg, msg_len, want, reply, len);
	qb_ipcc_disconnect(c);
	return rc;
}

int ctl_open(struct ctl_conn **out)
{
	qb_ipcc_connection_t *c = qb_ipcc_connect(HAVM_IPC_NAME, HAVM_WIRE_MSG_MAX + 64);

	if (!c)
		return connect_error(errno);
	*out = (struct ctl_conn *)c;
	return HAVM_EXIT_OK;
}

int ctl_exchange(struct ctl_conn *c, const void *msg, size_t msg_len, enum havm_msg_type want,
		 void *reply, size_t *len)
{
	return exchange((qb_ipcc_connection_t *)c, msg, msg_len, want, reply, len);
}

void ctl_close(struct ctl_conn *c)
{
	if (c)
		qb_ipcc_disconnect((qb_ipcc_connection_t *)c);
}
