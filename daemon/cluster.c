/*
 * cluster.c: havmd's link to corosync.
 *
 * Two handles: a CPG group "havm:<cluster>" joined by every havmd, and a
 * libquorum tracker (model v1, which gives corosync's ring id). Both file
 * descriptors are dispatched from the main loop. The callbacks only record
 * what corosync says; the coordinator is recomputed once a dispatch is
 * done, from both halves of the view (membership.h explains why both).
 *
 * The other services are reached only through the table (service.h): each
 * CPG message goes to the service that handles its type (on_deliver), each
 * view to every service's on_view (view_changed), each member's node state
 * to every on_node_state, and our own announcement is filled by every
 * fill_node_state. This file keeps the node states themselves (h->states)
 * and who has announced since the last join (cluster_synced).
 *
 * When corosync goes away both handles are closed, the view is cleared (we
 * no longer know anything about the others, so we claim nothing), and a
 * timer retries every reconnect_ms: no busy loop, and the CLI keeps getting
 * answers.
 *
 * Accepted blocking: the corosync library calls (initialize, join, leave,
 * trackstart) are synchronous IPC to the local corosync with no timeout.
 * They answer at once from a live corosync and fail at once without one; a
 * corosync that is alive but hung would stall the loop, and with it
 * membership, which is then unknowable anyway.
 */
#include "cluster.h"
#include "clock.h"

#include "events.h"
#include "send_queue.h"
#include "service.h"

#include "log.h"
#include "membership.h"

#include "havm-build.h"

#include <errno.h>
#include <poll.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-daemon.h>

static void cluster_disconnect(struct havmd *h, const char *why);
static void schedule_reconnect(struct havmd *h);
static void cluster_view_get(const struct havmd *h, struct cluster_view *v);

/* Retrying a multicast that corosync's flow control refused. */
#define ANNOUNCE_RETRY_MS 100
/* Say a failed reconnect again only this often, not every attempt. */
#define RECONNECT_LOG_EVERY 30

/* Each daemon that joined or left the group is an event. A daemon gone
 * other than by leaving (its host or its process died) is news, at notice. */
static void record_daemons(struct havmd *h, enum havm_event type, const struct cpg_address *a,
			   size_t n)
{
	static const char *const reasons[] = { "undefined", "join", "leave", "nodedown",
					       "nodeup", "procdown" };
	for (size_t i = 0; i < n; i++) {
		const char *r = a[i].reason < sizeof(reasons) / sizeof(reasons[0])
					? reasons[a[i].reason]
					: "unknown";
		int severity = type == HAVM_EV_DAEMON_LEFT && a[i].reason != CPG_REASON_LEAVE
				       ? LOG_NOTICE
				       : LOG_INFO;

		event_record(h, type, severity, a[i].nodeid, NULL, "pid=%u reason=%s", a[i].pid, r);
	}
}

static void systemd_status(struct havmd *h)
{
	struct cluster *cl = &h->cluster;

	if (!cl->up)
		sd_notifyf(0, "STATUS=waiting for corosync");
	else
		sd_notifyf(0, "STATUS=member of %s, %zu daemons, %s", h->cfg.cluster_name,
			   cl->n_cpg, cl->quorate ? "quorate" : "not quorate");
}

/* After any change: recompute the coordinator and say when it moves. */
static void view_changed(struct havmd *h)
{
	struct cluster *cl = &h->cluster;
	struct cluster_view v;
	uint32_t c;
	bool settled;

	cluster_view_get(h, &v);
	settled = membership_settled(&v);
	c = membership_coordinator(&v);
	if (settled != cl->settled && cl->up)
		log_debug("cluster: membership %s cpg_ring=%u.%llu quorum_ring=%u.%llu",
			  settled ? "settled" : "settling", v.cpg_ring.nodeid,
			  (unsigned long long)v.cpg_ring.seq, v.quorum_ring.nodeid,
			  (unsigned long long)v.quorum_ring.seq);
	cl->settled = settled;
	/* Before cl->coordinator moves: a service may compare (fencing
	 * trusts the previous coordinator's results for a while). */
	services_on_view(h, &v);
	if (c != cl->coordinator) {
		const struct havm_host *prev = config_host_by_nodeid(&h->cfg, cl->coordinator);
		char was[WIRE_NAME_MAX + 32];

		snprintf(was, sizeof(was), "previous=%u%s%s", cl->coordinator,
			 prev ? " previous_host=" : "", prev ? prev->name : "");
		if (c == 0)
			event_record(h, HAVM_EV_COORDINATOR_CHANGED, LOG_NOTICE, 0, NULL,
				     "coordinator=none %s quorate=%d settled=%d members=%zu", was,
				     cl->quorate, settled, cl->n_cpg);
		else
			event_record(h, HAVM_EV_COORDINATOR_CHANGED, LOG_NOTICE, c, NULL,
				     "%s local=%s", was, c == cl->local_nodeid ? "yes" : "no");
		cl->coordinator = c;
	}
	systemd_status(h);
}

/*
 * Tell the group who we are and everything we know of every host's life.
 * Through the send queue: what corosync refuses is sent again, and only the
 * newest announcement matters.
 */
void cluster_announce(struct havmd *h)
{
	struct cluster *cl = &h->cluster;
	const struct havm_host *me;
	static struct wire_node_state m; /* 2.5 KiB: not on the stack each time */
	static uint8_t buf[WIRE_NODE_STATE_MAX_LEN];
	int len;

	if (!cl->up)
		return; /* sent on (re)connect */
	m = (struct wire_node_state){
		.nodeid = cl->local_nodeid,
		.state = (uint8_t)h->state,
		.start_time = h->start_time,
		.incarnation = h->incarnation,
	};
	if (h->cfg.storage_unsafe_no_watchdog)
		m.flags |= WIRE_NODE_STATE_UNSAFE;
	me = config_host_by_nodeid(&h->cfg, cl->local_nodeid);
	snprintf(m.name, sizeof(m.name), "%s", me ? me->name : "unconfigured");
	snprintf(m.version, sizeof(m.version), "%s", PACKAGE_VERSION);
	/* The storage watch adds our heartbeat's generation and watchdog,
	 * fencing what we know of every host's life. */
	services_fill_node_state(h, &m);
	len = wire_node_state_encode(buf, sizeof(buf), &m);
	if (len < 0) {
		/* Our own fields are checked at start; this is a bug. */
		log_err("cluster: cannot encode our node state error=\"%s\"", strerror(-len));
		return;
	}
	if (sendq_push(h, buf, (size_t)len, cl->local_nodeid, true) == 0)
		log_debug("cluster: sent node state nodeid=%u state=%s incarnation=%llu facts=%u",
			  m.nodeid, wire_daemon_state_name(m.state),
			  (unsigned long long)m.incarnation, m.n_facts);
}

/* A daemon that never announces itself (wedged, or an older version whose
 * announcements we cannot read) must not stop fencing for good: after
 * this, the coordinator acts on what it has, and says so. */
#define SYNC_WAIT_MS 15000

bool cluster_synced(const struct havmd *h)
{
	const struct cluster *cl = &h->cluster;

	for (size_t i = 0; i < cl->n_cpg; i++) {
		if (cl->synced[i])
			continue;
		if (clock_now_ms() - cl->last_join_ms < SYNC_WAIT_MS)
			return false;
		log_warn("cluster: nodeid=%u has not announced itself %d s after the last join; "
			 "acting without its facts",
			 cl->cpg_members[i], SYNC_WAIT_MS / 1000);
		((struct cluster *)cl)->synced[i] = true; /* said once */
	}
	return cl->n_cpg > 0;
}

static void mark_synced(struct havmd *h, uint32_t nodeid)
{
	struct cluster *cl = &h->cluster;

	for (size_t i = 0; i < cl->n_cpg; i++)
		if (cl->cpg_members[i] == nodeid && !cl->synced[i]) {
			cl->synced[i] = true;
			if (cluster_synced(h))
				log_debug("cluster: every daemon has announced itself members=%zu",
					  cl->n_cpg);
		}
}

/*
 * The cluster link's own message, HAVM_MSG_NODE_STATE: a daemon's
 * announcement of itself and of what it knows of every host's life. 0, or
 * -errno when malformed or sent for another node (on_deliver drops it).
 */
static int on_node_state_msg(struct havmd *h, uint16_t type, const void *msg, size_t len,
			     uint32_t nodeid, uint32_t pid)
{
	static struct wire_node_state ms; /* 2.5 KiB; the loop is single-threaded */
	struct wire_node_state *m = &ms;
	bool known;
	int rc;

	(void)type;
	(void)pid;
	rc = wire_node_state_decode(msg, len, m);
	/* A message must speak for the node that sent it. */
	if (rc == 0 && m->nodeid != nodeid)
		rc = -EBADMSG;
	if (rc)
		return rc;
	known = node_states_find(&h->states, m->nodeid) != NULL;
	if (node_states_update(&h->states, m) < 0) {
		log_warn("cluster: too many daemons, ignored state from nodeid=%u", nodeid);
		return 0;
	}
	log_debug("cluster: node state nodeid=%u name=%s state=%s version=%s incarnation=%llu "
		  "facts=%u",
		  m->nodeid, m->name, wire_daemon_state_name(m->state), m->version,
		  (unsigned long long)m->incarnation, m->n_facts);
	/* Once per arrival, not at every re-announcement. */
	if (!known && !config_host_by_nodeid(&h->cfg, m->nodeid))
		log_warn("cluster: daemon nodeid=%u name=%s is not in %s; add it to hosts there "
			 "or fix its corosync nodeid",
			 m->nodeid, m->name, h->config_path);
	if (!known && (m->flags & WIRE_NODE_STATE_UNSAFE))
		log_warn("cluster: daemon nodeid=%u name=%s runs with "
			 "storage.unsafe_no_watchdog_for_tests: its dead storage heartbeat is "
			 "taken as proof without a watchdog",
			 m->nodeid, m->name);
	services_on_node_state(h, m);
	mark_synced(h, m->nodeid);
	return 0;
}

/*
 * Every message of the group, in CPG's agreed order, ours included: the
 * header is checked here, and the service whose type it is decodes the
 * rest (services_for_cpg). One rule for all of them: a message of a type
 * this version does not know is a newer havmd's and is ignored with a
 * debug line; a malformed one is dropped with a warning.
 */
static void on_deliver(cpg_handle_t handle, const struct cpg_name *group, uint32_t nodeid,
		       uint32_t pid, void *msg, size_t len)
{
	struct havmd *h = NULL;
	const struct havmd_service *svc;
	struct wire_hdr hdr;
	int rc;

	(void)group;
	cpg_context_get(handle, (void **)&h);
	if (nodeid == h->cluster.local_nodeid && pid == (uint32_t)getpid())
		sendq_delivered(h, msg, len);
	rc = wire_hdr_decode(msg, len, &hdr);
	if (rc == 0 && !wire_cpg_type_known(hdr.type)) {
		/* A newer havmd in a rolling upgrade: not ours to judge. */
		log_debug("cluster: ignored a message of a type this version does not know "
			  "type=%u from nodeid=%u",
			  hdr.type, nodeid);
		return;
	}
	if (rc == 0) {
		/* Never NULL for a known type: services_start checked the table. */
		svc = services_for_cpg(hdr.type);
		rc = svc ? svc->on_cpg(h, hdr.type, msg, len, nodeid, pid) : -ENOPROTOOPT;
	}
	if (rc)
		log_warn("cluster: dropped malformed message from nodeid=%u pid=%u len=%zu "
			 "reason=\"%s\"",
			 nodeid, pid, len,
			 rc == -EPROTONOSUPPORT ? "other wire version" : strerror(-rc));
}

static void copy_ids(uint32_t *dst, size_t *n, const uint32_t *src, size_t count,
		     const char *what)
{
	*n = 0;
	for (size_t i = 0; i < count; i++) {
		if (membership_contains(dst, *n, src[i]))
			continue; /* one entry per node, whatever its processes */
		if (*n == WIRE_NODES_MAX) {
			log_err("cluster: %s has more than %d nodes; the rest are ignored", what,
				WIRE_NODES_MAX);
			return;
		}
		dst[(*n)++] = src[i];
	}
}

static void on_confchg(cpg_handle_t handle, const struct cpg_name *group,
		       const struct cpg_address *members, size_t n_members,
		       const struct cpg_address *left, size_t n_left,
		       const struct cpg_address *joined, size_t n_joined)
{
	struct havmd *h = NULL;
	struct cluster *cl;
	uint32_t ids[WIRE_NODES_MAX * 2];
	size_t n = 0;

	(void)group;
	cpg_context_get(handle, (void **)&h);
	cl = &h->cluster;
	cl->confchgs++;
	record_daemons(h, HAVM_EV_DAEMON_JOINED, joined, n_joined);
	record_daemons(h, HAVM_EV_DAEMON_LEFT, left, n_left);
	uint32_t old_ids[WIRE_NODES_MAX];
	bool old_synced[WIRE_NODES_MAX];
	size_t old_n = cl->n_cpg;

	memcpy(old_ids, cl->cpg_members, sizeof(old_ids));
	memcpy(old_synced, cl->synced, sizeof(old_synced));
	for (size_t i = 0; i < n_members && n < sizeof(ids) / sizeof(ids[0]); i++)
		ids[n++] = members[i].nodeid;
	copy_ids(cl->cpg_members, &cl->n_cpg, ids, n, "the havm group");
	if (n_joined > 0)
		cl->last_join_ms = clock_now_ms();
	/* A join brings knowledge we have not heard yet (a heal, a daemon
	 * that saw other losses): nobody is synced until everyone has
	 * announced again. A leave takes nothing away. */
	for (size_t i = 0; i < cl->n_cpg; i++) {
		cl->synced[i] = false;
		for (size_t j = 0; n_joined == 0 && j < old_n; j++)
			if (old_ids[j] == cl->cpg_members[i])
				cl->synced[i] = old_synced[j];
	}
	for (size_t i = 0; i < n_left; i++)
		if (!membership_contains(cl->cpg_members, cl->n_cpg, left[i].nodeid))
			node_states_forget(&h->states, left[i].nodeid);
	log_info("cluster: group members=%zu joined=%zu left=%zu", cl->n_cpg, n_joined, n_left);
	/* Newcomers know nothing of us: everyone re-announces on a join, so
	 * every member's table is complete without a state-transfer protocol. */
	if (n_joined > 0)
		cluster_announce(h);
	cl->group_joins += n_joined;
}

static void on_totem_confchg(cpg_handle_t handle, struct cpg_ring_id ring, uint32_t n_members,
			     const uint32_t *members)
{
	struct havmd *h = NULL;

	(void)members;
	cpg_context_get(handle, (void **)&h);
	h->cluster.cpg_ring = (struct ring_id){ .nodeid = ring.nodeid, .seq = ring.seq };
	log_debug("cluster: totem ring=%u.%llu members=%u", ring.nodeid,
		  (unsigned long long)ring.seq, n_members);
}

static void on_quorum(quorum_handle_t handle, uint32_t quorate, struct quorum_ring_id ring,
		      uint32_t n_members, const uint32_t *members)
{
	struct havmd *h = NULL;
	struct cluster *cl;
	bool was;

	quorum_context_get(handle, (const void **)&h);
	cl = &h->cluster;
	was = cl->quorate;
	/* Without a provider corosync calls every partition quorate; both
	 * halves of a split would then act. Never believe that. */
	cl->quorate = quorate != 0 && cl->has_quorum_provider;
	cl->quorum_ring = (struct ring_id){ .nodeid = ring.nodeid, .seq = ring.seq };
	copy_ids(cl->quorum_members, &cl->n_quorum, members, n_members, "corosync's membership");
	if (was != cl->quorate)
		event_record(h, cl->quorate ? HAVM_EV_QUORUM_GAINED : HAVM_EV_QUORUM_LOST,
			     LOG_NOTICE, 0, NULL, "members=%u ring=%u.%llu", n_members, ring.nodeid,
			     (unsigned long long)ring.seq);
	else
		log_info("cluster: membership members=%u quorate=%d ring=%u.%llu", n_members,
			 cl->quorate, ring.nodeid, (unsigned long long)ring.seq);
}

static int32_t on_cpg_fd(int32_t fd, int32_t revents, void *data)
{
	struct havmd *h = data;
	cs_error_t e;

	(void)fd;
	if (revents & (POLLHUP | POLLERR | POLLNVAL)) {
		cluster_disconnect(h, "cpg connection closed");
		return 0; /* the fd was already taken off the loop */
	}
	e = cpg_dispatch(h->cluster.cpg, CS_DISPATCH_ALL);
	if (e != CS_OK && e != CS_ERR_TRY_AGAIN) {
		cluster_disconnect(h, cs_strerror(e));
		return 0;
	}
	view_changed(h);
	return 0;
}

static int32_t on_quorum_fd(int32_t fd, int32_t revents, void *data)
{
	struct havmd *h = data;
	cs_error_t e;

	(void)fd;
	if (revents & (POLLHUP | POLLERR | POLLNVAL)) {
		cluster_disconnect(h, "quorum connection closed");
		return 0;
	}
	e = quorum_dispatch(h->cluster.quorum, CS_DISPATCH_ALL);
	if (e != CS_OK && e != CS_ERR_TRY_AGAIN) {
		cluster_disconnect(h, cs_strerror(e));
		return 0;
	}
	view_changed(h);
	return 0;
}

static void close_handles(struct havmd *h)
{
	struct cluster *cl = &h->cluster;
	int fd;

	if (cl->cpg_open) {
		if (cpg_fd_get(cl->cpg, &fd) == CS_OK)
			qb_loop_poll_del(h->loop, fd);
		if (cl->joined)
			cpg_leave(cl->cpg, &cl->group);
		cpg_finalize(cl->cpg);
	}
	if (cl->quorum_open) {
		if (quorum_fd_get(cl->quorum, &fd) == CS_OK)
			qb_loop_poll_del(h->loop, fd);
		quorum_trackstop(cl->quorum);
		quorum_finalize(cl->quorum);
	}
	cl->cpg_open = cl->quorum_open = cl->joined = cl->up = false;
}

/* What we knew about the others came through corosync: forget it all. */
static void view_clear(struct havmd *h)
{
	struct cluster *cl = &h->cluster;

	/* Not quorate any more as far as this host can tell. */
	if (cl->quorate)
		event_record(h, HAVM_EV_QUORUM_LOST, LOG_NOTICE, 0, NULL,
			     "members=0 reason=\"lost corosync\"");
	cl->n_cpg = cl->n_quorum = 0;
	cl->quorate = false;
	cl->has_quorum_provider = false;
	cl->quorum_ring = cl->cpg_ring = (struct ring_id){ 0, 0 };
	h->states.n = 0;
	view_changed(h);
}

/* One attempt: 0, or -errno after logging nothing; *STEP names what failed
 * and *ERR holds corosync's error for the caller's (rate-limited) log. */
static int try_connect(struct havmd *h, const char **step, cs_error_t *err)
{
	struct cluster *cl = &h->cluster;
	cpg_model_v1_data_t cpg_model = {
		.model = CPG_MODEL_V1,
		.cpg_deliver_fn = on_deliver,
		.cpg_confchg_fn = on_confchg,
		.cpg_totem_confchg_fn = on_totem_confchg,
		.flags = CPG_MODEL_V1_DELIVER_INITIAL_TOTEM_CONF,
	};
	quorum_model_v1_data_t q_model = {
		.model = QUORUM_MODEL_V1,
		.quorum_notify_fn = on_quorum,
	};
	uint32_t qtype = 0;
	int fd;

#define STEP(call, what)                 \
	do {                             \
		*step = what;            \
		*err = (call);           \
		if (*err != CS_OK)       \
			return -ENOTCONN; \
	} while (0)
#define LOOP_STEP(call, what)            \
	do {                             \
		*step = what;            \
		*err = CS_ERR_LIBRARY;   \
		if ((call) < 0)          \
			return -ENOMEM;  \
	} while (0)

	STEP(cpg_model_initialize(&cl->cpg, CPG_MODEL_V1, (cpg_model_data_t *)&cpg_model, h),
	     "cpg initialize");
	cl->cpg_open = true;
	STEP(cpg_local_get(cl->cpg, &cl->local_nodeid), "cpg local nodeid");
	STEP(quorum_model_initialize(&cl->quorum, QUORUM_MODEL_V1,
				     (quorum_model_data_t *)&q_model, &qtype, h),
	     "quorum initialize");
	cl->quorum_open = true;
	cl->has_quorum_provider = qtype == QUORUM_SET;
	if (!cl->has_quorum_provider) {
		/* Without a quorum provider every partition would think it may
		 * act. Refuse to claim quorum rather than guess. */
		log_err("cluster: corosync has no quorum provider, so havmd will never "
			"consider this partition quorate; configure "
			"quorum { provider: corosync_votequorum } in corosync.conf");
	}
	STEP(cpg_fd_get(cl->cpg, &fd), "cpg fd");
	LOOP_STEP(qb_loop_poll_add(h->loop, QB_LOOP_HIGH, fd, POLLIN, h, on_cpg_fd),
		  "add cpg fd to the main loop");
	STEP(quorum_fd_get(cl->quorum, &fd), "quorum fd");
	LOOP_STEP(qb_loop_poll_add(h->loop, QB_LOOP_HIGH, fd, POLLIN, h, on_quorum_fd),
		  "add quorum fd to the main loop");
	cl->up = true; /* callbacks from here on may use the view */
	STEP(quorum_trackstart(cl->quorum, CS_TRACK_CURRENT | CS_TRACK_CHANGES), "quorum track");
	STEP(cpg_join(cl->cpg, &cl->group), "cpg join");
	cl->joined = true;
#undef STEP
#undef LOOP_STEP
	return 0;
}

static void on_reconnect_timer(void *data)
{
	struct havmd *h = data;
	struct cluster *cl = &h->cluster;
	const char *step = "";
	cs_error_t e = CS_OK;

	cl->reconnect_timer = 0;
	if (try_connect(h, &step, &e) < 0) {
		close_handles(h);
		cl->has_quorum_provider = false;
		if (cl->failed_attempts % RECONNECT_LOG_EVERY == 0)
			log_warn("cluster: cannot connect to corosync step=\"%s\" error=\"%s\" "
				 "attempt=%u retry_ms=%u",
				 step, cs_strerror(e), cl->failed_attempts + 1, h->cfg.reconnect_ms);
		cl->failed_attempts++;
		schedule_reconnect(h);
		return;
	}
	log_notice("cluster: connected to corosync nodeid=%u group=%s after_attempts=%u",
		   cl->local_nodeid, cl->group.value, cl->failed_attempts + 1);
	cl->failed_attempts = 0;
	sendq_reset_sent(h);
	cluster_announce(h);
	view_changed(h);
}

static void schedule_reconnect(struct havmd *h)
{
	int rc;

	if (h->cluster.reconnect_timer || h->state == HAVM_DAEMON_STOPPING)
		return;
	rc = qb_loop_timer_add(h->loop, QB_LOOP_MED,
			       (uint64_t)h->cfg.reconnect_ms * QB_TIME_NS_IN_MSEC, h,
			       on_reconnect_timer, &h->cluster.reconnect_timer);
	if (rc < 0)
		log_err("cluster: cannot schedule a reconnect to corosync error=\"%s\"; "
			"restart havmd",
			strerror(-rc));
}

static void cluster_disconnect(struct havmd *h, const char *why)
{
	if (!h->cluster.up && !h->cluster.cpg_open)
		return;
	log_err("cluster: lost corosync reason=\"%s\"; membership unknown until it returns, "
		"retrying every %u ms",
		why, h->cfg.reconnect_ms);
	close_handles(h);
	view_clear(h);
	schedule_reconnect(h);
}

static int cluster_start(struct havmd *h)
{
	struct cluster *cl = &h->cluster;

	cl->group.length = (uint32_t)snprintf(cl->group.value, sizeof(cl->group.value), "havm:%s",
					      h->cfg.cluster_name);
	on_reconnect_timer(h);
	return 0; /* connected, or retrying in the background */
}

static void cluster_stop(struct havmd *h)
{
	struct cluster *cl = &h->cluster;

	if (cl->reconnect_timer) {
		qb_loop_timer_del(h->loop, cl->reconnect_timer);
		cl->reconnect_timer = 0;
	}
	/* The STOPPING announcement was queued by the signal handler; leaving
	 * the group tells the others we are gone cleanly (reason=leave). */
	close_handles(h);
}

int cluster_send(struct havmd *h, const void *buf, size_t len)
{
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	cs_error_t e;

	if (!h->cluster.up)
		return -ENOTCONN;
	e = cpg_mcast_joined(h->cluster.cpg, CPG_TYPE_AGREED, &iov, 1);
	if (e == CS_ERR_TRY_AGAIN)
		return -EAGAIN;
	return e == CS_OK ? 0 : -EIO;
}

/* The current view: for on_view, and the snapshot's (status). */
static void cluster_view_get(const struct havmd *h, struct cluster_view *v)
{
	const struct cluster *cl = &h->cluster;

	*v = (struct cluster_view){
		.corosync_up = cl->up,
		.quorate = cl->quorate,
		.local_nodeid = cl->local_nodeid,
		.quorum_ring = cl->quorum_ring,
		.cpg_ring = cl->cpg_ring,
		.cpg_members = cl->cpg_members,
		.n_cpg = cl->n_cpg,
		.quorum_members = cl->quorum_members,
		.n_quorum = cl->n_quorum,
	};
}

static void cluster_snapshot_fill(const struct havmd *h, struct havmd_snapshot *s)
{
	cluster_view_get(h, &s->cluster);
}

static const uint16_t cluster_cpg_types[] = { HAVM_MSG_NODE_STATE };

const struct havmd_service cluster_service = {
	.name = "cluster",
	.start = cluster_start,
	.stop = cluster_stop,
	.cpg_types = cluster_cpg_types,
	.n_cpg_types = sizeof(cluster_cpg_types) / sizeof(cluster_cpg_types[0]),
	.on_cpg = on_node_state_msg,
	.snapshot_fill = cluster_snapshot_fill,
};
