/*
 * ctl_server.c: the control socket ("havm", libqb IPC) that the CLI uses.
 *
 * Access: root, or a peer whose primary or supplementary groups include
 * haclient (the group Pacemaker also uses for this). Root and a primary
 * haclient group are known at connect time. Supplementary groups are read
 * from the client's /proc entry at its first request (libqb gives the
 * client's pid only once the connection is set up, and at a request the
 * client is certainly there, waiting), so such a peer is admitted
 * provisionally; one found not to belong gets "permission denied" for every
 * request and one log line naming uid and gid; no request of it reaches a
 * handler. The check fails closed: no pid, no /proc entry, no access.
 *
 * Requests are a libqb request header followed by one havm message
 * (wire.h). A malformed request gets an error reply and a log line; it never
 * reaches a handler.
 */
#include "ctl_server.h"

#include "cluster.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <qb/qbipc_common.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define HACLIENT_GROUP "haclient"
#define BLACKBOX_PATH HAVM_STATE_DIR "/blackbox.dump"

/*
 * libqb's poll-handler callbacks carry no context argument, so the loop
 * they add descriptors to has to be reachable from here. This is the one
 * file-level variable in havmd; it is set once before the service runs.
 */
static qb_loop_t *ctl_loop;

static int32_t job_add(enum qb_loop_priority p, void *data, qb_loop_job_dispatch_fn fn)
{
	return qb_loop_job_add(ctl_loop, p, data, fn);
}

static int32_t dispatch_add(enum qb_loop_priority p, int32_t fd, int32_t events, void *data,
			    qb_ipcs_dispatch_fn_t fn)
{
	return qb_loop_poll_add(ctl_loop, p, fd, events, data, fn);
}

static int32_t dispatch_mod(enum qb_loop_priority p, int32_t fd, int32_t events, void *data,
			    qb_ipcs_dispatch_fn_t fn)
{
	return qb_loop_poll_mod(ctl_loop, p, fd, events, data, fn);
}

static int32_t dispatch_del(int32_t fd)
{
	return qb_loop_poll_del(ctl_loop, fd);
}

/*
 * Does the "Groups:" line of /proc/PID/status list GID? That is the set the
 * kernel gives the client now, so it needs no name-service lookup (which
 * could block the loop on LDAP) and counts a group added with newgrp or
 * setpriv as well as one from /etc/group.
 */
static bool proc_has_group(pid_t pid, uid_t *uid, gid_t *gid, gid_t want)
{
	char path[64], line[4096];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		char *p, *end;

		if (strncmp(line, "Uid:", 4) == 0) {
			*uid = (uid_t)strtoul(line + 4, &end, 10);
		} else if (strncmp(line, "Gid:", 4) == 0) {
			*gid = (gid_t)strtoul(line + 4, &end, 10);
		} else if (strncmp(line, "Groups:", 7) == 0) {
			for (p = line + 7;; p = end) {
				unsigned long v = strtoul(p, &end, 10);
				if (end == p)
					break;
				if (v == (unsigned long)want)
					found = true;
			}
		}
	}
	fclose(f);
	return found;
}

/* Per connection, as its libqb context: who connected, and the verdict. */
enum peer_verdict { PEER_PENDING, PEER_OK, PEER_DENIED };
struct ctl_peer {
	uid_t uid;
	gid_t gid;
	enum peer_verdict verdict;
};

static void log_refusal(uid_t uid, gid_t gid, pid_t pid)
{
	log_warn("ctl: refused connection uid=%u gid=%u pid=%ld reason=\"not root and not in "
		 "group %s\"",
		 (unsigned)uid, (unsigned)gid, (long)pid, HACLIENT_GROUP);
}

static int32_t on_accept(qb_ipcs_connection_t *c, uid_t uid, gid_t gid)
{
	struct havmd *h = qb_ipcs_connection_service_context_get(c);
	struct ctl_peer *p;

	if (uid != 0 && !h->ctl.have_haclient) {
		log_refusal(uid, gid, 0);
		return -EACCES;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->uid = uid;
	p->gid = gid;
	p->verdict = uid == 0 || gid == h->ctl.haclient_gid ? PEER_OK : PEER_PENDING;
	qb_ipcs_context_set(c, p);
	/* The connection's shared files belong to the peer, so that every
	 * accepted peer gets as far as its first request, where a pending one
	 * is judged, and a refusal is answered and logged, not a silent
	 * failure to open a file. */
	qb_ipcs_connection_auth_set(c, uid, h->ctl.have_haclient ? h->ctl.haclient_gid : gid, 0660);
	log_debug("ctl: accepted connection uid=%u gid=%u", (unsigned)uid, (unsigned)gid);
	return 0;
}

static void on_destroyed(qb_ipcs_connection_t *c)
{
	free(qb_ipcs_context_get(c));
	qb_ipcs_context_set(c, NULL);
}

/* Judge a pending peer by its supplementary groups; true if it may talk. */
static bool peer_admitted(struct havmd *h, qb_ipcs_connection_t *c)
{
	struct ctl_peer *p = qb_ipcs_context_get(c);
	struct qb_ipcs_connection_stats_2 *st;
	pid_t pid = 0;
	uid_t uid = 0;
	gid_t gid = 0;

	if (!p)
		return false;
	if (p->verdict != PEER_PENDING)
		return p->verdict == PEER_OK;
	st = qb_ipcs_connection_stats_get_2(c, 0);
	if (st) {
		pid = st->client_pid;
		free(st);
	}
	/* The /proc entry must still be the peer's: same uid as it connected with. */
	if (pid > 0 && proc_has_group(pid, &uid, &gid, h->ctl.haclient_gid) && uid == p->uid)
		p->verdict = PEER_OK;
	else
		p->verdict = PEER_DENIED;
	if (p->verdict == PEER_DENIED)
		log_refusal(p->uid, p->gid, pid);
	return p->verdict == PEER_OK;
}

static void send_reply(struct ctl_server *s, qb_ipcs_connection_t *c, uint32_t id,
		       const uint8_t *body, int len)
{
	uint8_t *buf = s->reply;
	struct qb_ipc_response_header *rh = (struct qb_ipc_response_header *)buf;
	ssize_t rc;

	_Static_assert(sizeof(s->reply) >= sizeof(*rh) + HAVM_WIRE_MSG_MAX, "reply buffer");
	rh->id = (int32_t)id;
	rh->size = (int32_t)(sizeof(*rh) + (size_t)len);
	rh->error = 0;
	memcpy(buf + sizeof(*rh), body, (size_t)len);
	rc = qb_ipcs_response_send(c, buf, (size_t)rh->size);
	if (rc < 0)
		log_warn("ctl: cannot send reply error=\"%s\"", strerror((int)-rc));
}

/* Every request gets an answer: a client must never wait out its timeout
 * because we could not say what went wrong. */
static void reply_error(struct ctl_server *s, qb_ipcs_connection_t *c, uint32_t id,
			enum havm_status st, const char *text)
{
	struct wire_error_reply m = { .status = st };
	uint8_t body[WIRE_ERROR_REPLY_MAX_LEN];
	int len;

	snprintf(m.message, sizeof(m.message), "%s", text);
	len = wire_error_reply_encode(body, sizeof(body), &m);
	if (len < 0) {
		log_err("ctl: cannot encode error reply error=\"%s\"", strerror(-len));
		m.status = HAVM_E_INTERNAL;
		snprintf(m.message, sizeof(m.message), "internal error; see havmd's log");
		len = wire_error_reply_encode(body, sizeof(body), &m);
	}
	if (len > 0)
		send_reply(s, c, id, body, len);
}

static void handle_status(struct havmd *h, qb_ipcs_connection_t *c, uint32_t id)
{
	struct ctl_server *s = &h->ctl;
	uint32_t pending[WIRE_NODES_MAX], fenced[WIRE_NODES_MAX];
	struct cluster_view view;
	struct storage_view sv;
	struct fence_view fv;
	int len;

	cluster_view_get(h, &view);
	storage_view_get(h, &sv);
	fence_view_get(h, &fv, pending, fenced);
	nodes_status_build(&h->cfg, &view, &h->states, &sv, &fv, (uint64_t)time(NULL),
			   &s->status);
	len = wire_status_reply_encode(s->body, sizeof(s->body), &s->status);
	if (len < 0) {
		log_err("ctl: cannot encode status error=\"%s\"", strerror(-len));
		reply_error(s, c, id, HAVM_E_INTERNAL, "cannot encode status; see havmd's log");
		return;
	}
	send_reply(s, c, id, s->body, len);
}

/*
 * Write the debug ring to a fixed file via a temporary one, so a reader
 * never sees half a dump; the CLI prints it. Accepted blocking: a write of
 * at most log.blackbox_kb to the local disk, on an operator's request.
 */
static void handle_debug_dump(struct havmd *h, qb_ipcs_connection_t *c, uint32_t id)
{
	struct wire_debug_dump_reply m;
	uint8_t body[WIRE_DEBUG_DUMP_REPLY_MAX_LEN];
	char tmp[sizeof(m.path) + 8];
	int len, rc;

	if (h->cfg.blackbox_kb == 0) {
		reply_error(&h->ctl, c, id, HAVM_E_UNAVAILABLE,
			    "the debug ring is off (log.blackbox_kb = 0 in havm.conf)");
		return;
	}
	snprintf(m.path, sizeof(m.path), "%s", BLACKBOX_PATH);
	snprintf(tmp, sizeof(tmp), "%s.tmp", m.path);
	if (mkdir(HAVM_STATE_DIR, 0750) < 0 && errno != EEXIST) {
		rc = -errno;
	} else {
		rc = havm_log_blackbox_write(tmp);
		if (rc == 0 && rename(tmp, m.path) < 0)
			rc = -errno;
	}
	if (rc) {
		unlink(tmp);
		log_err("ctl: cannot write debug dump path=%s error=\"%s\"", m.path, strerror(-rc));
		reply_error(&h->ctl, c, id, HAVM_E_INTERNAL,
			    "cannot write the debug dump; see havmd's log");
		return;
	}
	/* haclient members may run `havm debug dump`: let them read it. */
	if (h->ctl.have_haclient && chown(HAVM_STATE_DIR, 0, h->ctl.haclient_gid) == 0 &&
	    chown(m.path, 0, h->ctl.haclient_gid) == 0) {
		chmod(HAVM_STATE_DIR, 0750);
		chmod(m.path, 0640);
	}
	log_info("ctl: debug dump written path=%s", m.path);
	len = wire_debug_dump_reply_encode(body, sizeof(body), &m);
	if (len > 0)
		send_reply(&h->ctl, c, id, body, len);
}

/* `havm node fence NODE`: hand the request to the cluster; the coordinator
 * of the quorate partition carries it out like any other fence. */
static void handle_node_fence(struct havmd *h, qb_ipcs_connection_t *c, uint32_t id,
			      const void *msg, size_t len)
{
	struct wire_fence_request rq;
	uint8_t out[HAVM_WIRE_HDR_LEN + 4];
	int rc = wire_fence_request_decode(msg, len, HAVM_MSG_NODE_FENCE_REQ, &rq);

	if (rc) {
		reply_error(&h->ctl, c, id, HAVM_E_BADMSG, "malformed fence request");
		return;
	}
	if (!config_host_by_nodeid(&h->cfg, rq.target)) {
		reply_error(&h->ctl, c, id, HAVM_E_NOTFOUND, "no such host in havm.conf");
		return;
	}
	if (config_host_by_nodeid(&h->cfg, rq.target)->fence_levels == 0) {
		/* Accepting it would do nothing: say so instead. */
		reply_error(&h->ctl, c, id, HAVM_E_REFUSED,
			    "the host has no fence levels in havm.conf: nothing can power it off");
		return;
	}
	if (h->cluster.coordinator == 0) {
		reply_error(&h->ctl, c, id, HAVM_E_REFUSED,
			    "this partition has no quorum (or its membership is settling): "
			    "fencing is refused");
		return;
	}
	if (rq.target == h->cluster.coordinator) {
		/* It would power itself off mid-job, leaving no record. */
		reply_error(&h->ctl, c, id, HAVM_E_REFUSED,
			    "the host is the coordinator and cannot fence itself: stop havmd "
			    "there first (another host takes over), or use fence_havm_ipmi");
		return;
	}
	rc = wire_fence_request_encode(out, sizeof(out), HAVM_MSG_FENCE_REQUEST, &rq);
	if (rc > 0)
		rc = cluster_send(h, out, (size_t)rc);
	if (rc < 0) {
		log_err("ctl: cannot pass a fence request to the cluster error=\"%s\"",
			strerror(-rc));
		reply_error(&h->ctl, c, id, HAVM_E_INTERNAL,
			    "cannot pass the request to the cluster; try again");
		return;
	}
	rc = wire_request_encode(out, sizeof(out), HAVM_MSG_NODE_FENCE_REPLY);
	if (rc > 0)
		send_reply(&h->ctl, c, id, out, rc);
}

static int32_t on_msg(qb_ipcs_connection_t *c, void *data, size_t size)
{
	struct havmd *h = qb_ipcs_connection_service_context_get(c);
	const struct qb_ipc_request_header *rq = data;
	uint32_t id = 0;
	uint16_t type = 0;
	int rc = -EBADMSG;

	if (!peer_admitted(h, c)) {
		reply_error(&h->ctl, c, size >= sizeof(*rq) ? (uint32_t)rq->id : 0, HAVM_E_DENIED,
			    "permission denied: havm needs root or membership of the "
			    "haclient group");
		return 0;
	}
	if (size >= sizeof(*rq)) {
		id = (uint32_t)rq->id;
		if ((size_t)rq->size == size)
			rc = wire_request_decode((const uint8_t *)data + sizeof(*rq),
						 size - sizeof(*rq), &type);
	}
	if (rc == -EPROTONOSUPPORT) {
		log_warn("ctl: dropped request of another wire version len=%zu", size);
		reply_error(&h->ctl, c, id, HAVM_E_VERSION,
			    "havm and havmd versions differ; install the same version of both");
		return 0;
	}
	if (rc) {
		log_warn("ctl: dropped malformed request len=%zu reason=\"%s\"", size,
			 strerror(-rc));
		reply_error(&h->ctl, c, id, HAVM_E_BADMSG, "malformed request");
		return 0;
	}
	switch (type) {
	case HAVM_MSG_STATUS_REQ:
		handle_status(h, c, id);
		break;
	case HAVM_MSG_DEBUG_DUMP_REQ:
		handle_debug_dump(h, c, id);
		break;
	case HAVM_MSG_NODE_FENCE_REQ:
		handle_node_fence(h, c, id, (const uint8_t *)data + sizeof(*rq), size - sizeof(*rq));
		break;
	default:
		log_warn("ctl: unknown request type=%u", type);
		reply_error(&h->ctl, c, id, HAVM_E_UNKNOWN,
			    "unknown request (is havm newer than havmd?)");
	}
	return 0;
}

int ctl_server_start(struct havmd *h)
{
	static struct qb_ipcs_service_handlers handlers = {
		.connection_accept = on_accept,
		.connection_destroyed = on_destroyed,
		.msg_process = on_msg,
	};
	struct qb_ipcs_poll_handlers poll = {
		.job_add = job_add,
		.dispatch_add = dispatch_add,
		.dispatch_mod = dispatch_mod,
		.dispatch_del = dispatch_del,
	};
	struct group gr, *res = NULL;
	char buf[4096];
	int rc;

	if (getgrnam_r(HACLIENT_GROUP, &gr, buf, sizeof(buf), &res) == 0 && res) {
		h->ctl.haclient_gid = gr.gr_gid;
		h->ctl.have_haclient = true;
	} else {
		log_warn("ctl: group %s does not exist; only root may use havm", HACLIENT_GROUP);
	}
	ctl_loop = h->loop;
	h->ctl.service = qb_ipcs_create(HAVM_IPC_NAME, 0, QB_IPC_SOCKET, &handlers);
	if (!h->ctl.service)
		return -errno ? -errno : -ENOMEM;
	qb_ipcs_service_context_set(h->ctl.service, h);
	qb_ipcs_poll_handlers_set(h->ctl.service, &poll);
	rc = qb_ipcs_run(h->ctl.service);
	if (rc < 0) {
		/* qb_ipcs_run has already dropped the service's reference on
		 * failure; releasing it again trips libqb's assertion. */
		h->ctl.service = NULL;
		return rc;
	}
	log_info("ctl: listening name=%s", HAVM_IPC_NAME);
	return 0;
}

void ctl_server_stop(struct havmd *h)
{
	if (!h->ctl.service)
		return;
	qb_ipcs_destroy(h->ctl.service);
	h->ctl.service = NULL;
}
