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
/* havmd answers from its loop at once; this only guards against a hung
 * daemon so that scripts calling havm never hang with it. */
#define REPLY_TIMEOUT_MS 10000

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

int ctl_call(const void *msg, size_t msg_len, enum havm_msg_type want, void *reply, size_t *len)
{
	uint8_t req[sizeof(struct qb_ipc_request_header) + 64];
	struct qb_ipc_request_header *rh = (struct qb_ipc_request_header *)req;
	struct wire_hdr mh;
	static uint8_t resp[sizeof(struct qb_ipc_response_header) + HAVM_WIRE_MSG_MAX];
	const size_t rsp_hdr = sizeof(struct qb_ipc_response_header);
	struct wire_error_reply er;
	struct wire_hdr hdr;
	qb_ipcc_connection_t *c;
	ssize_t n;
	int body;

	if (msg_len > sizeof(req) - sizeof(*rh) || wire_hdr_decode(msg, msg_len, &mh) < 0) {
		fprintf(stderr, "havm: internal error encoding request\n");
		return HAVM_EXIT_ERROR;
	}
	c = qb_ipcc_connect(HAVM_IPC_NAME, sizeof(resp));
	if (!c)
		return connect_error(errno);
	memcpy(req + sizeof(*rh), msg, msg_len);
	body = (int)msg_len;
	rh->id = (int32_t)mh.type;
	rh->size = (int32_t)(sizeof(*rh) + (size_t)body);
	n = qb_ipcc_sendv_recv(c, &(struct iovec){ .iov_base = req, .iov_len = (size_t)rh->size },
			       1, resp, sizeof(resp), REPLY_TIMEOUT_MS);
	qb_ipcc_disconnect(c);
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
		fprintf(stderr, "havm: havmd: %s (%s)\n", er.message, wire_status_text(er.status));
		return HAVM_EXIT_ERROR;
	}
	if (hdr.type != want) {
		fprintf(stderr, "havm: unexpected reply type %u from havmd\n", hdr.type);
		return HAVM_EXIT_PROTOCOL;
	}
	*len = (size_t)n - rsp_hdr;
	memcpy(reply, resp + rsp_hdr, *len);
	return HAVM_EXIT_OK;
}
