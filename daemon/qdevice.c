/*
 * qdevice.c: havmd as corosync's quorum device (see qdevice.h).
 *
 * corosync.conf declares the device (quorum.device.model: havm, votes 1);
 * we register under that name and poll votequorum with our vote:
 *  - at once on every node list notification: a new membership's sync
 *    waits (up to the device's sync_timeout) for a poll carrying the new
 *    ring id, and the vote is counted for that ring only;
 *  - at once on every view change of the havm group and whenever the
 *    tiebreaker's facts change (its on_view and on_facts_changed hooks:
 *    the holder moved, or our lease child got or lost the lease);
 *  - every QDEVICE_POLL_MS otherwise: corosync drops the vote `timeout` ms
 *    (4000 in the documented setup) after the last poll, so a hung or dead
 *    havmd stops voting by itself. A third of the timeout leaves room for
 *    two missed polls.
 * A poll with a ring corosync has already replaced fails with
 * CS_ERR_MESSAGE_ERROR: we dispatch (which brings the new node list) and
 * poll again.
 *
 * The registration outlives us inside corosync, and registering the same
 * name again after a crash works; on a clean stop we withdraw the vote
 * (cast 0) rather than unregister, so corosync's expected votes never move.
 * qdevice_master_wins is not used: it lets a partition count the vote
 * without every member casting it, which is unsafe here.
 *
 * The calls are synchronous IPC to the local corosync, accepted on the
 * loop for the same reasons as in cluster.c.
 */
#include "qdevice.h"

#include "havmd.h"
#include "log.h"
#include "service.h"
#include "tiebreak_vote.h"

#include <errno.h>
#include <poll.h>
#include <string.h>

#define QDEVICE_POLL_MS 1000
#define RECONNECT_LOG_EVERY 30

static void schedule(struct havmd *h, uint32_t ms);

static void on_nodelist(votequorum_handle_t handle, uint64_t context, votequorum_ring_id_t ring,
			uint32_t n, uint32_t ids[])
{
	struct havmd *h = NULL;
	struct qdevice *q;

	(void)context;
	votequorum_context_get(handle, (void **)&h);
	q = &h->qdevice;
	q->ring = ring;
	q->have_ring = q->ring_changed = true;
	q->n_members = 0;
	/* Node id 0 is the device itself, not a host. */
	for (uint32_t i = 0; i < n && q->n_members < WIRE_NODES_MAX; i++)
		if (ids[i] != 0)
			q->members[q->n_members++] = ids[i];
	log_debug("tiebreak: node list ring=%u.%llu members=%zu", ring.nodeid,
		  (unsigned long long)ring.seq, q->n_members);
}

static void close_handle(struct havmd *h)
{
	struct qdevice *q = &h->qdevice;
	int fd;

	if (!q->open)
		return;
	if (votequorum_fd_get(q->handle, &fd) == CS_OK)
		qb_loop_poll_del(h->loop, fd);
	votequorum_finalize(q->handle);
	q->open = q->have_ring = q->ring_changed = false;
	q->last_cast = -1;
}

static void disconnect(struct havmd *h, const char *why)
{
	log_err("tiebreak: lost the quorum device link to corosync reason=\"%s\"; "
		"reconnecting every %u ms",
		why, h->cfg.reconnect_ms);
	close_handle(h);
}

/*
 * Whether this host casts the device's vote for the ring whose corosync
 * membership is Q's; *HOLDER gets the holder it relied on. The rule is
 * lib/tiebreak_vote.h's, on the tiebreaker's facts in the snapshot.
 */
static bool vote_now(const struct havmd *h, const struct qdevice *q, uint32_t *holder)
{
	struct havmd_snapshot s;
	struct tiebreak_facts f;

	services_snapshot(h, &s);
	f = (struct tiebreak_facts){
		.local_nodeid = s.cluster.local_nodeid,
		.local_held = s.tiebreak_held,
		.holder = s.tiebreak_holder,
		.members = q->members,
		.n_members = q->n_members,
		.daemons = s.cluster.cpg_members,
		.n_daemons = s.cluster.n_cpg,
	};
	return tiebreak_vote(&f, holder);
}

static void poll_once(struct havmd *h, bool retry)
{
	struct qdevice *q = &h->qdevice;
	uint32_t holder = 0;
	bool cast;
	cs_error_t e;

	if (!q->open || !q->have_ring)
		return;
	/* With more than one vote, a lone holder cut off from the rest could
	 * be quorate (3|1 of 4): never cast then. */
	cast = q->votes_ok && vote_now(h, q, &holder);
	q->ring_changed = false;
	e = votequorum_qdevice_poll(q->handle, QDEVICE_NAME, cast, q->ring);
	if (e == CS_ERR_MESSAGE_ERROR && retry) {
		/* Our ring is old: take the new node list, vote on it. */
		if (votequorum_dispatch(q->handle, CS_DISPATCH_ALL) == CS_OK)
			poll_once(h, false);
		return;
	}
	if (e != CS_OK && e != CS_ERR_MESSAGE_ERROR) {
		disconnect(h, cs_strerror(e));
		return;
	}
	if ((int)cast != q->last_cast || holder != q->last_holder)
		log_notice("tiebreak: vote cast=%s holder=%u ring=%u.%llu members=%zu",
			   cast ? "yes" : "no", holder, q->ring.nodeid,
			   (unsigned long long)q->ring.seq, q->n_members);
	q->last_cast = cast;
	q->last_holder = holder;
}

/* The facts behind the vote changed: poll now with the new decision. */
static void qdevice_poll_now(struct havmd *h)
{
	if (h->cfg.storage_tiebreaker)
		poll_once(h, true);
}

static int32_t on_fd(int32_t fd, int32_t revents, void *data)
{
	struct havmd *h = data;
	struct qdevice *q = &h->qdevice;
	cs_error_t e;

	(void)fd;
	if (revents & (POLLHUP | POLLERR | POLLNVAL)) {
		disconnect(h, "connection closed");
		return 0;
	}
	e = votequorum_dispatch(q->handle, CS_DISPATCH_ALL);
	if (e != CS_OK && e != CS_ERR_TRY_AGAIN) {
		disconnect(h, cs_strerror(e));
		return 0;
	}
	if (q->ring_changed)
		poll_once(h, true);
	return 0;
}

/* One attempt: 0, or -ENOTCONN with *STEP and *ERR saying what failed. */
static int try_connect(struct havmd *h, const char **step, cs_error_t *err)
{
	struct qdevice *q = &h->qdevice;
	votequorum_callbacks_t cb = { .votequorum_nodelist_notify_fn = on_nodelist };
	int fd;

	*step = "initialize";
	if ((*err = votequorum_initialize(&q->handle, &cb)) != CS_OK)
		return -ENOTCONN;
	votequorum_context_set(q->handle, h);
	*step = "register device";
	*err = votequorum_qdevice_register(q->handle, QDEVICE_NAME);
	/* CS_ERR_EXIST: a device of another name is registered (corosync-
	 * qdevice, say); polls would all fail. Re-registering our own name
	 * after a crash returns CS_OK. */
	if (*err == CS_ERR_EXIST)
		*step = "register device (another quorum device is registered: is "
			"corosync-qdevice running?)";
	if (*err != CS_OK)
		goto fail;
	*step = "track";
	if ((*err = votequorum_trackstart(q->handle, 0, CS_TRACK_CURRENT | CS_TRACK_CHANGES)) !=
	    CS_OK)
		goto fail;
	*step = "fd";
	if ((*err = votequorum_fd_get(q->handle, &fd)) != CS_OK)
		goto fail;
	*err = CS_ERR_LIBRARY;
	*step = "add fd to the main loop";
	if (qb_loop_poll_add(h->loop, QB_LOOP_HIGH, fd, POLLIN, h, on_fd) < 0)
		goto fail;
	q->open = true;
	q->last_cast = -1;
	return 0;
fail:
	votequorum_finalize(q->handle);
	return -ENOTCONN;
}

static void on_timer(void *data)
{
	struct havmd *h = data;
	struct qdevice *q = &h->qdevice;
	const char *step = "";
	cs_error_t e = CS_OK;

	q->timer = 0;
	if (q->open) {
		poll_once(h, true);
		schedule(h, q->open ? QDEVICE_POLL_MS : h->cfg.reconnect_ms);
		return;
	}
	if (try_connect(h, &step, &e) < 0) {
		if (q->failed_attempts % RECONNECT_LOG_EVERY == 0)
			log_warn("tiebreak: cannot register quorum device %s step=\"%s\" "
				 "error=\"%s\" attempt=%u retry_ms=%u; is it declared in "
				 "corosync.conf (quorum { device { model: %s; votes: 1; } })?",
				 QDEVICE_NAME, step, cs_strerror(e), q->failed_attempts + 1,
				 h->cfg.reconnect_ms, QDEVICE_NAME);
		q->failed_attempts++;
		schedule(h, h->cfg.reconnect_ms);
		return;
	}
	log_notice("tiebreak: registered quorum device %s after_attempts=%u", QDEVICE_NAME,
		   q->failed_attempts + 1);
	{
		/* Exactly one vote, or none cast: with none the device breaks no
		 * tie; with more (votes left out: corosync gives nodes - 1) a lone
		 * holder could be quorate against the rest. */
		struct votequorum_info info = { 0 };
		q->votes_ok = votequorum_getinfo(q->handle, 0, &info) == CS_OK &&
			      info.qdevice_votes == 1;
		if (!q->votes_ok)
			log_err("tiebreak: corosync gives quorum device %s %u votes, havm needs "
				"exactly 1 and casts none until then; declare it in corosync.conf: "
				"quorum { device { model: %s; votes: 1; } }",
				QDEVICE_NAME, info.qdevice_votes, QDEVICE_NAME);
	}
	q->failed_attempts = 0;
	/* CS_TRACK_CURRENT queued the node list: take it and vote now. */
	votequorum_dispatch(q->handle, CS_DISPATCH_ALL);
	poll_once(h, true);
	schedule(h, QDEVICE_POLL_MS);
}

static void schedule(struct havmd *h, uint32_t ms)
{
	qb_loop_timer_handle t;

	if (h->state == HAVM_DAEMON_STOPPING)
		return;
	if (qb_loop_timer_add(h->loop, QB_LOOP_HIGH, (uint64_t)ms * QB_TIME_NS_IN_MSEC, h, on_timer,
			      &t) < 0) {
		log_err("tiebreak: cannot schedule the quorum device poll; restart havmd");
		return;
	}
	h->qdevice.timer = (uint64_t)(uintptr_t)t;
}

static int qdevice_start(struct havmd *h)
{
	h->qdevice.last_cast = -1;
	if (!h->cfg.storage_path[0] || !h->cfg.storage_tiebreaker)
		return 0;
	on_timer(h);
	return 0;
}

static void qdevice_stop(struct havmd *h)
{
	struct qdevice *q = &h->qdevice;

	if (q->timer)
		qb_loop_timer_del(h->loop, (qb_loop_timer_handle)(uintptr_t)q->timer);
	q->timer = 0;
	if (q->open && q->have_ring)
		votequorum_qdevice_poll(q->handle, QDEVICE_NAME, 0, q->ring);
	close_handle(h);
}

/* A new view: corosync's sync may be waiting for our poll. */
static void qdevice_on_view(struct havmd *h, const struct cluster_view *v)
{
	(void)v;
	qdevice_poll_now(h);
}

const struct havmd_service qdevice_service = {
	.name = "qdevice",
	.start = qdevice_start,
	.stop = qdevice_stop,
	/* After the tiebreaker in the table: it has updated the holder. */
	.on_view = qdevice_on_view,
	.on_facts_changed = qdevice_poll_now,
};
