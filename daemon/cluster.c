/*
 * cluster.c: havmd's link to corosync.
 *
 * Two handles: a CPG group "havm:<cluster>" joined by every havmd, and a
 * libquorum tracker (model v1, which gives corosync's ring id). Both file
 * descriptors are dispatched from the main loop. When corosync goes away
 * both handles are closed, the view is cleared (we no longer know anything
 * about the others, so we claim nothing), and a timer retries every
 * reconnect_ms: no busy loop, and the CLI keeps getting answers.
 */
#include "cluster.h"

#include "log.h"
#include "membership.h"

#include "havm-build.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-daemon.h>

static void cluster_disconnect(struct havmd *h, const char *why);
static void schedule_reconnect(struct havmd *h);

/* Retrying a multicast that corosync's flow control refused. */
#define ANNOUNCE_RETRY_MS 100
/* Say a failed reconnect again only this often, not every attempt. */
#define RECONNECT_LOG_EVERY 30

static const char *cs_text(cs_error_t e)
{
	return cs_strerror(e);
}

static void log_reason(const char *what, const struct cpg_address *a, size_t n)
{
	static const char *const reasons[] = { "undefined", "join", "leave", "nodedown",
					       "nodeup", "procdown" };
	for (size_t i = 0; i < n; i++) {
		const char *r = a[i].reason < sizeof(reasons) / sizeof(reasons[0])
					? reasons[a[i].reason]
					: "unknown";
		log_info("cluster: daemon %s nodeid=%u pid=%u reason=%s", what, a[i].nodeid,
			 a[i].pid, r);
	}
}

/* Recompute the coordinator after any change and say when it moves. */
static void coordinator_update(struct havmd *h)
{
	struct cluster *cl = &h->cluster;
	uint32_t c = cl->up ? membership_coordinator(cl->cpg_members, cl->n_cpg, cl->quorate) : 0;

	if (c == cl->coordinator)
		return;
	if (c == 0)
		log_notice("cluster: no coordinator quorate=%d members=%zu", cl->quorate,
			   cl->n_cpg);
	else
		log_notice("cluster: coordinator nodeid=%u previous=%u local=%s", c,
			   cl->coordinator, c == cl->local_nodeid ? "yes" : "no");
	cl->coordinator = c;
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

static void announce_retry(void *data)
{
	struct havmd *h = data;

	h->cluster.announce_timer = 0;
	cluster_announce(h);
}

void cluster_announce(struct havmd *h)
{
	struct cluster *cl = &h->cluster;
	const struct havm_host *me;
	struct wire_node_state m = {
		.nodeid = cl->local_nodeid,
		.state = (uint8_t)h->state,
		.start_time = h->start_time,
	};
	uint8_t buf[256];
	struct iovec iov;
	cs_error_t e;
	int len;

	cl->announce_pending = true;
	if (!cl->up || cl->announce_timer)
		return;
	me = config_host_by_nodeid(&h->cfg, cl->local_nodeid);
	snprintf(m.name, sizeof(m.name), "%s", me ? me->name : "unconfigured");
	snprintf(m.version, sizeof(m.version), "%s", PACKAGE_VERSION);
	len = wire_node_state_encode(buf, sizeof(buf), &m);
	if (len < 0) {
		log_err("cluster: cannot encode node state: %s", strerror(-len));
		return;
	}
	iov = (struct iovec){ .iov_base = buf, .iov_len = (size_t)len };
	e = cpg_mcast_joined(cl->cpg, CPG_TYPE_AGREED, &iov, 1);
	if (e == CS_ERR_TRY_AGAIN) {
		/* Flow control: corosync's queue is full; try again shortly. */
		qb_loop_timer_add(h->loop, QB_LOOP_MED, ANNOUNCE_RETRY_MS * QB_TIME_NS_IN_MSEC, h,
				  announce_retry, &cl->announce_timer);
		return;
	}
	if (e != CS_OK) {
		log_warn("cluster: cannot send node state: %s", cs_text(e));
		return;
	}
	cl->announce_pending = false;
	log_debug("cluster: sent node state nodeid=%u state=%s", m.nodeid,
		  wire_daemon_state_name(m.state));
}

static void on_deliver(cpg_handle_t handle, const struct cpg_name *group, uint32_t nodeid,
		       uint32_t pid, void *msg, size_t len)
{
	struct havmd *h = NULL;
	struct wire_node_state m;
	struct wire_hdr hdr;
	int rc;

	(void)group;
	cpg_context_get(handle, (void **)&h);
	rc = wire_hdr_decode(msg, len, &hdr);
	if (rc == 0 && hdr.type != HAVM_MSG_NODE_STATE)
		rc = -EBADMSG;
	if (rc == 0)
		rc = wire_node_state_decode(msg, len, &m);
	/* A message must speak for the node that sent it. */
	if (rc == 0 && m.nodeid != nodeid)
		rc = -EBADMSG;
	if (rc) {
		log_warn("cluster: dropped malformed message from nodeid=%u pid=%u len=%zu "
			 "reason=%s",
			 nodeid, pid, len, strerror(-rc));
		return;
	}
	if (node_states_update(&h->states, &m) < 0) {
		log_warn("cluster: too many daemons, ignored state from nodeid=%u", nodeid);
		return;
	}
	log_debug("cluster: node state nodeid=%u name=%s state=%s version=%s", m.nodeid, m.name,
		  wire_daemon_state_name(m.state), m.version);
	if (!config_host_by_nodeid(&h->cfg, m.nodeid))
		log_warn("cluster: daemon on nodeid=%u name=%s is not in %s", m.nodeid, m.name,
			 h->config_path);
}

static void on_confchg(cpg_handle_t handle, const struct cpg_name *group,
		       const struct cpg_address *members, size_t n_members,
		       const struct cpg_address *left, size_t n_left,
		       const struct cpg_address *joined, size_t n_joined)
{
	struct havmd *h = NULL;
	struct cluster *cl;

	(void)group;
	cpg_context_get(handle, (void **)&h);
	cl = &h->cluster;
	log_reason("joined", joined, n_joined);
	log_reason("left", left, n_left);
	cl->n_cpg = 0;
	for (size_t i = 0; i < n_members && cl->n_cpg < WIRE_NODES_MAX; i++)
		if (!membership_contains(cl->cpg_members, cl->n_cpg, members[i].nodeid))
			cl->cpg_members[cl->n_cpg++] = members[i].nodeid;
	for (size_t i = 0; i < n_left; i++)
		if (!membership_contains(cl->cpg_members, cl->n_cpg, left[i].nodeid))
			node_states_forget(&h->states, left[i].nodeid);
	log_info("cluster: group members=%zu joined=%zu left=%zu", cl->n_cpg, n_joined, n_left);
	/* Newcomers know nothing of us: everyone re-announces on a join, so
	 * every member's table is complete without a state-transfer protocol. */
	if (n_joined > 0)
		cluster_announce(h);
	coordinator_update(h);
	systemd_status(h);
}

static void on_quorum(quorum_handle_t handle, uint32_t quorate, struct quorum_ring_id ring,
		      uint32_t n_members, const uint32_t *members)
{
	struct havmd *h = NULL;
	struct cluster *cl;
	bool was = false;

	quorum_context_get(handle, (const void **)&h);
	cl = &h->cluster;
	was = cl->quorate;
	/* Without a provider corosync calls every partition quorate; both
	 * halves of a split would then act. Never believe that. */
	cl->quorate = quorate != 0 && cl->has_quorum_provider;
	cl->ring_nodeid = ring.nodeid;
	cl->ring_seq = ring.seq;
	cl->n_quorum = 0;
	for (uint32_t i = 0; i < n_members && cl->n_quorum < WIRE_NODES_MAX; i++)
		cl->quorum_members[cl->n_quorum++] = members[i];
	if (was != cl->quorate)
		log_notice("cluster: quorum %s members=%u ring=%u.%llu",
			   cl->quorate ? "gained" : "lost", n_members, ring.nodeid,
			   (unsigned long long)ring.seq);
	else
		log_info("cluster: membership members=%u quorate=%d ring=%u.%llu", n_members,
			 cl->quorate, ring.nodeid, (unsigned long long)ring.seq);
	coordinator_update(h);
	systemd_status(h);
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
		cluster_disconnect(h, cs_text(e));
		return 0;
	}
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
		cluster_disconnect(h, cs_text(e));
		return 0;
	}
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
	if (cl->announce_timer) {
		qb_loop_timer_del(h->loop, cl->announce_timer);
		cl->announce_timer = 0;
	}
}

/* What we knew about the others came through corosync: forget it all. */
static void view_clear(struct havmd *h)
{
	struct cluster *cl = &h->cluster;

	cl->n_cpg = cl->n_quorum = 0;
	cl->quorate = false;
	h->states.n = 0;
	coordinator_update(h);
}

/* One attempt: 0, or a static description of the step that failed. */
static const char *try_connect(struct havmd *h, cs_error_t *err)
{
	struct cluster *cl = &h->cluster;
	cpg_model_v1_data_t cpg_model = {
		.model = CPG_MODEL_V1,
		.cpg_deliver_fn = on_deliver,
		.cpg_confchg_fn = on_confchg,
	};
	quorum_model_v1_data_t q_model = {
		.model = QUORUM_MODEL_V1,
		.quorum_notify_fn = on_quorum,
	};
	uint32_t qtype = 0;
	int fd;

#define STEP(call, what)                 \
	do {                             \
		*err = (call);           \
		if (*err != CS_OK)       \
			return what;     \
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
	qb_loop_poll_add(h->loop, QB_LOOP_HIGH, fd, POLLIN, h, on_cpg_fd);
	STEP(quorum_fd_get(cl->quorum, &fd), "quorum fd");
	qb_loop_poll_add(h->loop, QB_LOOP_HIGH, fd, POLLIN, h, on_quorum_fd);
	cl->up = true; /* callbacks from here on may use the view */
	STEP(quorum_trackstart(cl->quorum, CS_TRACK_CURRENT | CS_TRACK_CHANGES), "quorum track");
	STEP(cpg_join(cl->cpg, &cl->group), "cpg join");
	cl->joined = true;
#undef STEP
	return NULL;
}

static void on_reconnect_timer(void *data)
{
	struct havmd *h = data;
	struct cluster *cl = &h->cluster;
	const char *failed;
	cs_error_t e = CS_OK;

	cl->reconnect_timer = 0;
	failed = try_connect(h, &e);
	if (failed) {
		close_handles(h);
		if (cl->failed_attempts % RECONNECT_LOG_EVERY == 0)
			log_warn("cluster: cannot connect to corosync step=\"%s\" error=\"%s\" "
				 "attempt=%u retry_ms=%u",
				 failed, cs_text(e), cl->failed_attempts + 1, h->cfg.reconnect_ms);
		cl->failed_attempts++;
		schedule_reconnect(h);
		return;
	}
	log_notice("cluster: connected to corosync nodeid=%u group=%s after_attempts=%u",
		   cl->local_nodeid, cl->group.value, cl->failed_attempts + 1);
	cl->failed_attempts = 0;
	cluster_announce(h);
	systemd_status(h);
}

static void schedule_reconnect(struct havmd *h)
{
	if (h->cluster.reconnect_timer || h->state == HAVM_DAEMON_STOPPING)
		return;
	qb_loop_timer_add(h->loop, QB_LOOP_MED,
			  (uint64_t)h->cfg.reconnect_ms * QB_TIME_NS_IN_MSEC, h,
			  on_reconnect_timer, &h->cluster.reconnect_timer);
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
	systemd_status(h);
	schedule_reconnect(h);
}

void cluster_start(struct havmd *h)
{
	struct cluster *cl = &h->cluster;

	cl->group.length = (uint32_t)snprintf(cl->group.value, sizeof(cl->group.value), "havm:%s",
					      h->cfg.cluster_name);
	on_reconnect_timer(h);
}

void cluster_stop(struct havmd *h)
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

void cluster_view_get(const struct havmd *h, struct cluster_view *v)
{
	const struct cluster *cl = &h->cluster;

	*v = (struct cluster_view){
		.corosync_up = cl->up,
		.quorate = cl->quorate,
		.local_nodeid = cl->local_nodeid,
		.ring_nodeid = cl->ring_nodeid,
		.ring_seq = cl->ring_seq,
		.cpg_members = cl->cpg_members,
		.n_cpg = cl->n_cpg,
		.quorum_members = cl->quorum_members,
		.n_quorum = cl->n_quorum,
	};
}
