/*
 * ctl_server.c: the control socket ("havm", libqb IPC) that the CLI uses.
 *
 * Access: root, or a peer whose primary or supplementary groups include
 * haclient (the group Pacemaker also uses for this). The peer's credentials
 * are the kernel's (SO_PEERCRED, as libqb reads them); supplementary groups
 * are read from its /proc entry, which must still show the same uid. Any
 * other peer is refused when it connects, before havmd allocates anything
 * for it, with one log line per 10 s (plus a count of those held back). The
 * check fails closed: no pid, no /proc entry, no access.
 *
 * Bounds (ctl_admit.h): connections per uid and for all haclient members
 * together, root on a budget of its own; a connection idle for
 * CTL_IDLE_MS is closed; a socket that connects but never authenticates is
 * closed after CTL_AUTH_MS. So no local user can take havmd's descriptors or
 * memory away from the operator's `havm status` or from fencing.
 *
 * Requests are a libqb request header followed by one havm message
 * (wire.h). A malformed request gets an error reply and a log line; it never
 * reaches a handler. The status reply is built by every service, each
 * adding its part (services_status, daemon/service.h).
 */
#define _GNU_SOURCE /* struct ucred, SO_PEERCRED */
#include "ctl_server.h"
#include "events.h"
#include "vm.h"

#include "clock.h"
#include "cluster.h"
#include "log.h"
#include "service.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <malloc.h>
#include <qb/qbipc_common.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define HACLIENT_GROUP "haclient"
#define BLACKBOX_PATH HAVM_STATE_DIR "/blackbox.dump"

/* A CLI command sends its request right after connecting and leaves at the
 * reply; these only reclaim what a stuck or hostile client holds. */
#define CTL_IDLE_MS 30000
#define CTL_AUTH_MS 5000
#define CTL_SWEEP_MS 2000
#define CTL_REFUSAL_LOG_MS 10000

/*
 * libqb's poll-handler callbacks carry no context argument, so the daemon
 * they work for has to be reachable from here. This is the one file-level
 * variable in havmd; it is set once before the service runs.
 */
static struct havmd *ctl_h;

/*
 * Does the "Groups:" line of /proc/PID/status list GID? That is the set the
 * kernel gives the client now, so it needs no name-service lookup (which
 * could block the loop on LDAP) and counts a group added with newgrp or
 * setpriv as well as one from /etc/group.
 */
static bool proc_has_group(pid_t pid, uid_t *uid, gid_t want)
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

/* May this peer talk to havmd at all: root, or haclient among its groups. */
static bool peer_is_member(const struct ctl_server *s, pid_t pid, uid_t uid, gid_t gid)
{
	uid_t proc_uid = (uid_t)-1;

	if (uid == 0)
		return true;
	if (!s->have_haclient)
		return false;
	if (gid == s->haclient_gid)
		return true;
	/* The /proc entry must still be the peer's: same uid as it connected with. */
	return pid > 0 && proc_has_group(pid, &proc_uid, s->haclient_gid) && proc_uid == uid;
}

static void log_refusal(struct ctl_server *s, uid_t uid, gid_t gid, pid_t pid,
			enum ctl_verdict v)
{
	struct ratelimit *r = v == CTL_DENY_NOT_MEMBER ? &s->refusal_log : &s->cap_log;
	unsigned held = 0;

	if (!ratelimit_pass(r, clock_now_ms(), &held))
		return;
	log_warn("ctl: refused connection uid=%u gid=%u pid=%ld reason=\"%s\" connections=%u "
		 "suppressed=%u",
		 (unsigned)uid, (unsigned)gid, (long)pid, ctl_verdict_text(v),
		 ctl_admit_count(&s->admit), held);
}

/*
 * Sockets of connecting peers, known before libqb reads anything from them:
 * an outsider is held to CTL_PENDING_OUTSIDER sockets (its one `havm` call
 * gets as far as the refusal message), and every socket that has not
 * authenticated within CTL_AUTH_MS is shut down, so a peer that connects and
 * sends nothing cannot hold descriptors.
 */
static struct ctl_sock *sock_find(struct ctl_server *s, int fd)
{
	for (size_t i = 0; i < CTL_SOCKS_MAX; i++)
		if (s->socks[i].used && s->socks[i].fd == fd)
			return &s->socks[i];
	return NULL;
}

static unsigned socks_of_uid(const struct ctl_server *s, uid_t uid)
{
	unsigned n = 0;

	for (size_t i = 0; i < CTL_SOCKS_MAX; i++)
		if (s->socks[i].used && s->socks[i].uid == uid)
			n++;
	return n;
}

/* 0 to let libqb watch FD, -EACCES or -EMFILE to have it closed now. */
static int sock_track(struct ctl_server *s, int fd)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	struct ctl_sock *e = NULL;
	bool member;

	int type = 0;
	socklen_t tlen = sizeof(type);

	/* Only a peer's stream socket: the listening socket has no peer, and
	 * libqb's datagram sockets (some of them socketpairs, whose peer is
	 * havmd itself) belong to connections already admitted. */
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) < 0 || type != SOCK_STREAM)
		return 0;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0 || cr.pid <= 0 ||
	    cr.pid == getpid())
		return 0;
	member = peer_is_member(s, cr.pid, cr.uid, cr.gid);
	if (cr.uid != 0) {
		unsigned cap = member ? 2 * CTL_MAX_PER_UID : CTL_PENDING_OUTSIDER;

		if (socks_of_uid(s, cr.uid) >= cap) {
			log_refusal(s, cr.uid, cr.gid, cr.pid,
				    member ? CTL_DENY_UID_CAP : CTL_DENY_NOT_MEMBER);
			return member ? -EMFILE : -EACCES;
		}
	}
	for (size_t i = 0; i < CTL_SOCKS_MAX && !e; i++)
		if (!s->socks[i].used)
			e = &s->socks[i];
	if (!e) {
		if (cr.uid != 0) {
			log_refusal(s, cr.uid, cr.gid, cr.pid, CTL_DENY_TOTAL_CAP);
			return -EMFILE;
		}
		return 0; /* root is bounded at accept, by CTL_MAX_ROOT */
	}
	*e = (struct ctl_sock){ .used = true,
				.fd = fd,
				.uid = cr.uid,
				.since_ms = clock_now_ms(),
				.established = s->accepting };
	return 0;
}

static void sock_untrack(struct ctl_server *s, int fd)
{
	struct ctl_sock *e = sock_find(s, fd);

	if (e)
		e->used = false;
}

static int32_t job_add(enum qb_loop_priority p, void *data, qb_loop_job_dispatch_fn fn)
{
	return qb_loop_job_add(ctl_h->loop, p, data, fn);
}

static int32_t dispatch_add(enum qb_loop_priority p, int32_t fd, int32_t events, void *data,
			    qb_ipcs_dispatch_fn_t fn)
{
	int rc = sock_track(&ctl_h->ctl, fd);

	if (rc)
		return rc;
	rc = qb_loop_poll_add(ctl_h->loop, p, fd, events, data, fn);
	if (rc < 0)
		sock_untrack(&ctl_h->ctl, fd);
	return rc;
}

static int32_t dispatch_mod(enum qb_loop_priority p, int32_t fd, int32_t events, void *data,
			    qb_ipcs_dispatch_fn_t fn)
{
	return qb_loop_poll_mod(ctl_h->loop, p, fd, events, data, fn);
}

static int32_t dispatch_del(int32_t fd)
{
	sock_untrack(&ctl_h->ctl, fd);
	return qb_loop_poll_del(ctl_h->loop, fd);
}

/* Per connection, as its libqb context. */
struct ctl_peer {
	uid_t uid;
	uint64_t active_ms; /* last request (or the connection) */
};

static int32_t on_accept(qb_ipcs_connection_t *c, uid_t uid, gid_t gid)
{
	struct havmd *h = qb_ipcs_connection_service_context_get(c);
	struct ctl_server *s = &h->ctl;
	struct qb_ipcs_connection_stats st;
	enum ctl_verdict v;
	struct ctl_peer *p;
	pid_t pid = 0;

	/* libqb has the peer's pid (SO_PEERCRED) before it calls us. Not
	 * qb_ipcs_connection_stats_get_2: it reads the connection's queues,
	 * which do not exist yet at accept (it crashes). */
	if (qb_ipcs_connection_stats_get(c, &st, 0) == 0)
		pid = st.client_pid;
	v = ctl_admit_take(&s->admit, uid, peer_is_member(s, pid, uid, gid));
	if (v != CTL_ADMIT) {
		log_refusal(s, uid, gid, pid, v);
		/* The client's havm says "permission denied" or "too many". */
		return v == CTL_DENY_NOT_MEMBER ? -EACCES : -EUSERS;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		ctl_admit_release(&s->admit, uid);
		return -ENOMEM;
	}
	p->uid = uid;
	p->active_ms = clock_now_ms();
	qb_ipcs_context_set(c, p);
	/* The connection's shared files belong to the peer. */
	qb_ipcs_connection_auth_set(c, uid, s->have_haclient ? s->haclient_gid : gid, 0660);
	/* libqb now registers this connection's sockets: they have passed. */
	s->accepting = true;
	log_debug("ctl: accepted connection uid=%u gid=%u pid=%ld connections=%u", (unsigned)uid,
		  (unsigned)gid, (long)pid, ctl_admit_count(&s->admit));
	return 0;
}

static void on_created(qb_ipcs_connection_t *c)
{
	struct havmd *h = qb_ipcs_connection_service_context_get(c);

	h->ctl.accepting = false;
}

static void on_destroyed(qb_ipcs_connection_t *c)
{
	struct havmd *h = qb_ipcs_connection_service_context_get(c);
	struct ctl_peer *p = qb_ipcs_context_get(c);

	h->ctl.accepting = false;
	vm_ctl_conn_gone(h, c);
	if (!p)
		return;
	ctl_admit_release(&h->ctl.admit, p->uid);
	free(p);
	qb_ipcs_context_set(c, NULL);
	/* A connection's receive buffer is tens of KiB: once a burst of
	 * connections is gone, give the memory back rather than keep the
	 * high-water mark for the life of the daemon. */
	if (ctl_admit_count(&h->ctl.admit) == 0)
		malloc_trim(0);
}

/*
 * Every CTL_SWEEP_MS: close connections idle for CTL_IDLE_MS, and shut down
 * sockets that never authenticated within CTL_AUTH_MS (libqb then sees the
 * hang-up and frees what it holds for them).
 */
static void sweep(void *data)
{
	struct havmd *h = data;
	struct ctl_server *s = &h->ctl;
	uint64_t now = clock_now_ms();
	qb_ipcs_connection_t *c, *next;
	unsigned idle = 0, unauth = 0;

	for (c = qb_ipcs_connection_first_get(s->service); c; c = next) {
		struct ctl_peer *p = qb_ipcs_context_get(c);

		next = qb_ipcs_connection_next_get(s->service, c);
		if (p && now - p->active_ms > CTL_IDLE_MS) {
			idle++;
			qb_ipcs_disconnect(c);
		}
		qb_ipcs_connection_unref(c);
	}
	for (size_t i = 0; i < CTL_SOCKS_MAX; i++) {
		struct ctl_sock *e = &s->socks[i];

		if (e->used && !e->established && !e->shut && now - e->since_ms > CTL_AUTH_MS) {
			shutdown(e->fd, SHUT_RDWR);
			e->shut = true;
			unauth++;
		}
	}
	if (idle || unauth)
		log_info("ctl: closed idle connections idle=%u unauthenticated=%u", idle, unauth);
	qb_loop_timer_add(h->loop, QB_LOOP_LOW, CTL_SWEEP_MS * QB_TIME_NS_IN_MSEC, h, sweep,
			  &s->sweep_timer);
}

void ctl_send_reply(struct havmd *h, qb_ipcs_connection_t *c, uint32_t id, const uint8_t *body,
		    int len)
{
	struct ctl_server *s = &h->ctl;
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
void ctl_reply_error(struct havmd *h, qb_ipcs_connection_t *c, uint32_t id, enum havm_status st,
		     const char *text)
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
		ctl_send_reply(h, c, id, body, len);
}

static void handle_status(struct havmd *h, qb_ipcs_connection_t *c, uint32_t id)
{
	struct ctl_server *s = &h->ctl;
	int len;

	/* Every service adds its part (service.h). */
	services_status(h, &s->status);
	len = wire_status_reply_encode(s->body, sizeof(s->body), &s->status);
	if (len < 0) {
		log_err("ctl: cannot encode status error=\"%s\"", strerror(-len));
		ctl_reply_error(h, c, id, HAVM_E_INTERNAL, "cannot encode status; see havmd's log");
		return;
	}
	ctl_send_reply(h, c, id, s->body, len);
}

/*
 * Write the debug ring to a fixed file via a temporary one, so a reader
 * never sees half a dump; the CLI prints it. Accepted blocking: a write of
 * at most log.blackbox_kb to the local disk, on an operator's request.
 */
/* `havm alert test [--count N]`: N test events, about this host, so that
 * this host sends them whoever coordinates. */
static void handle_alert_test(struct havmd *h, qb_ipcs_connection_t *c, uint32_t id,
			      const uint8_t *msg, size_t len)
{
	uint8_t buf[HAVM_WIRE_HDR_LEN];
	uint32_t count;
	int n;

	if (wire_alert_test_decode(msg, len, &count)) {
		ctl_reply_error(h, c, id, HAVM_E_BADMSG, "malformed alert test request");
		return;
	}
	if (!h->alerts.on) {
		ctl_reply_error(h, c, id, HAVM_E_UNAVAILABLE,
				"no alert scripts or SNMP receivers configured (the alerts group of havm.conf)");
		return;
	}
	for (uint32_t i = 1; i <= count; i++)
		event_record(h, HAVM_EV_ALERT_TEST, LOG_NOTICE, h->cluster.local_nodeid, NULL,
			     "test=%u of=%u; nothing happened: an operator ran havm alert test", i,
			     count);
	n = wire_request_encode(buf, sizeof(buf), HAVM_MSG_ALERT_TEST_REPLY);
	if (n > 0)
		ctl_send_reply(h, c, id, buf, n);
}

static void handle_debug_dump(struct havmd *h, qb_ipcs_connection_t *c, uint32_t id)
{
	struct wire_debug_dump_reply m;
	uint8_t body[WIRE_DEBUG_DUMP_REPLY_MAX_LEN];
	char tmp[sizeof(m.path) + 8];
	int len, rc;

	if (h->cfg.blackbox_kb == 0) {
		ctl_reply_error(h, c, id, HAVM_E_UNAVAILABLE,
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
		ctl_reply_error(h, c, id, HAVM_E_INTERNAL,
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
		ctl_send_reply(h, c, id, body, len);
}

/* `havm events -n MAX`: the newest events, as many as fit one reply. */
static void handle_events(struct havmd *h, qb_ipcs_connection_t *c, uint32_t id, const void *msg,
			  size_t len)
{
	struct ctl_server *s = &h->ctl;
	struct wire_events_request rq;
	int n = wire_events_request_decode(msg, len, &rq);

	if (n) {
		log_warn("ctl: dropped malformed events request len=%zu", len);
		ctl_reply_error(h, c, id, HAVM_E_BADMSG, "malformed events request");
		return;
	}
	event_ring_reply(&h->events, rq.max, &s->events);
	n = wire_events_reply_encode(s->body, sizeof(s->body), &s->events);
	if (n < 0) {
		log_err("ctl: cannot encode events error=\"%s\"", strerror(-n));
		ctl_reply_error(h, c, id, HAVM_E_INTERNAL, "cannot encode the events; see havmd's log");
		return;
	}
	ctl_send_reply(h, c, id, s->body, n);
}

/*
 * `havm node fence NODE`: hand the request to the cluster; the coordinator
 * of the quorate partition carries it out like any other fence. An
 * exception to "services meet only through the table", kept on purpose:
 * the control socket is the core's, and it encodes fencing's message
 * (HAVM_MSG_FENCE_REQUEST) itself, but it calls nothing of fencing's; the
 * request reaches fencing through CPG like any other, and is judged again
 * there, since any process in the group could have sent one.
 */
static void handle_node_fence(struct havmd *h, qb_ipcs_connection_t *c, uint32_t id,
			      const void *msg, size_t len)
{
	struct wire_fence_request rq;
	uint8_t out[HAVM_WIRE_HDR_LEN + 4];
	int rc = wire_fence_request_decode(msg, len, HAVM_MSG_NODE_FENCE_REQ, &rq);

	if (rc) {
		ctl_reply_error(h, c, id, HAVM_E_BADMSG, "malformed fence request");
		return;
	}
	if (!config_host_by_nodeid(&h->cfg, rq.target)) {
		ctl_reply_error(h, c, id, HAVM_E_NOTFOUND, "no such host in havm.conf");
		return;
	}
	if (config_host_by_nodeid(&h->cfg, rq.target)->fence_levels == 0) {
		/* Accepting it would do nothing: say so instead. */
		ctl_reply_error(h, c, id, HAVM_E_REFUSED,
			    "the host has no fence levels in havm.conf: nothing can power it off");
		return;
	}
	if (h->cluster.coordinator == 0) {
		ctl_reply_error(h, c, id, HAVM_E_REFUSED,
			    "this partition has no quorum (or its membership is settling): "
			    "fencing is refused");
		return;
	}
	if (rq.target == h->cluster.coordinator) {
		/* It would power itself off mid-job, leaving no record. */
		ctl_reply_error(h, c, id, HAVM_E_REFUSED,
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
		ctl_reply_error(h, c, id, HAVM_E_INTERNAL,
			    "cannot pass the request to the cluster; try again");
		return;
	}
	rc = wire_request_encode(out, sizeof(out), HAVM_MSG_NODE_FENCE_REPLY);
	if (rc > 0)
		ctl_send_reply(h, c, id, out, rc);
}

static int32_t on_msg(qb_ipcs_connection_t *c, void *data, size_t size)
{
	struct havmd *h = qb_ipcs_connection_service_context_get(c);
	const struct qb_ipc_request_header *rq = data;
	uint32_t id = 0;
	uint16_t type = 0;
	int rc = -EBADMSG;

	struct ctl_peer *p = qb_ipcs_context_get(c);

	if (!p) {
		/* Only admitted connections get a context: never reached. */
		ctl_reply_error(h, c, size >= sizeof(*rq) ? (uint32_t)rq->id : 0, HAVM_E_DENIED,
			    "permission denied: havm needs root or membership of the "
			    "haclient group");
		return 0;
	}
	p->active_ms = clock_now_ms();
	if (size >= sizeof(*rq)) {
		id = (uint32_t)rq->id;
		if ((size_t)rq->size == size)
			rc = wire_request_decode((const uint8_t *)data + sizeof(*rq),
						 size - sizeof(*rq), &type);
	}
	if (rc == -EPROTONOSUPPORT) {
		log_warn("ctl: dropped request of another wire version len=%zu", size);
		ctl_reply_error(h, c, id, HAVM_E_VERSION,
			    "havm and havmd versions differ; install the same version of both");
		return 0;
	}
	if (rc) {
		log_warn("ctl: dropped malformed request len=%zu reason=\"%s\"", size,
			 strerror(-rc));
		ctl_reply_error(h, c, id, HAVM_E_BADMSG, "malformed request");
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
	case HAVM_MSG_EVENTS_REQ:
		handle_events(h, c, id, (const uint8_t *)data + sizeof(*rq), size - sizeof(*rq));
		break;
	case HAVM_MSG_DOC_REQ:
		vm_ctl_doc(h, c, id, (const uint8_t *)data + sizeof(*rq), size - sizeof(*rq));
		break;
	case HAVM_MSG_VMCFG_REQ:
		vm_ctl_change(h, c, id, (const uint8_t *)data + sizeof(*rq), size - sizeof(*rq));
		break;
	case HAVM_MSG_VM_MIGRATE_REQ:
		vm_ctl_migrate(h, c, id, (const uint8_t *)data + sizeof(*rq), size - sizeof(*rq));
		break;
	case HAVM_MSG_ALERT_TEST_REQ:
		handle_alert_test(h, c, id, (const uint8_t *)data + sizeof(*rq), size - sizeof(*rq));
		break;
	default:
		log_warn("ctl: unknown request type=%u", type);
		ctl_reply_error(h, c, id, HAVM_E_UNKNOWN,
			    "unknown request (is havm newer than havmd?)");
	}
	return 0;
}

int ctl_server_start(struct havmd *h)
{
	static struct qb_ipcs_service_handlers handlers = {
		.connection_accept = on_accept,
		.connection_created = on_created,
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
	h->ctl.refusal_log.interval_ms = CTL_REFUSAL_LOG_MS;
	h->ctl.cap_log.interval_ms = CTL_REFUSAL_LOG_MS;
	ctl_h = h;
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
	qb_loop_timer_add(h->loop, QB_LOOP_LOW, CTL_SWEEP_MS * QB_TIME_NS_IN_MSEC, h, sweep,
			  &h->ctl.sweep_timer);
	log_info("ctl: listening name=%s", HAVM_IPC_NAME);
	return 0;
}

void ctl_server_stop(struct havmd *h)
{
	if (!h->ctl.service)
		return;
	qb_loop_timer_del(h->loop, h->ctl.sweep_timer);
	qb_ipcs_destroy(h->ctl.service);
	h->ctl.service = NULL;
}
