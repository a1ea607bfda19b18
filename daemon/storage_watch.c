/*
 * storage_watch.c: the lockspace join and the heartbeat watch (see
 * storage_watch.h; the layout and lease calls are lib/storage.h).
 *
 * A tick every STORAGE_TICK_MS drives a small state machine. Every sanlock
 * call runs in a worker (daemon/worker.h), even the queries sanlock answers
 * from memory: a hung sanlock or storage must never stall the loop.
 *
 *   probe+join job: storage_probe, then sanlock_add_lockspace(ASYNC): the
 *       join itself takes ~20 s inside sanlock (it makes sure no other host
 *       uses our host id) and we are told by polling.
 *   poll job: sanlock_inq_lockspace (joined yet? still joined?) and
 *       sanlock_get_hosts (every host's delta lease state).
 *
 * havmd leaves the lockspace joined when it stops: VM leases held by qemu
 * live in it, and removing it would make sanlock kill those VMs.
 */
#include "storage_watch.h"
#include "clock.h"

#include "cluster.h"
#include "events.h"
#include "havmd.h"
#include "log.h"
#include "service.h"
#include "storage.h"

#include <errno.h>
#include <stdio.h>
#include <sanlock.h>
#include <sanlock_admin.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define STORAGE_TICK_MS 1000
#define STORAGE_RETRY_MS 10000 /* probe again after a failure */

/* A job waits on sanlock, which waits on the storage for up to about two
 * io_timeouts per I/O; past that the storage is as good as unreachable. */
static uint32_t job_timeout_ms(const struct havmd *h)
{
	return 5000 + 2 * 1000 * h->cfg.storage_io_timeout;
}

static void set_state(struct havmd *h, uint8_t st, int rc)
{
	struct storage_watch *s = &h->storage;

	uint32_t id = h->cluster.local_nodeid;

	if (s->state == st)
		return;
	s->state_since_ms = clock_now_ms();
	/* State names hold spaces ("not initialised"): always quoted. */
	if (st == HAVM_STORAGE_JOINED)
		event_record(h, HAVM_EV_STORAGE_STATE_CHANGED, LOG_NOTICE, id, NULL,
			     "state=\"%s\" previous=\"%s\" lockspace=%s host_id=%u path=%s "
			     "join_ms=%llu",
			     wire_storage_state_name(st), wire_storage_state_name(s->state),
			     STORAGE_LOCKSPACE, id, h->cfg.storage_path,
			     (unsigned long long)(clock_now_ms() - s->join_started_ms));
	else if (st == HAVM_STORAGE_JOINING || st == HAVM_STORAGE_PROBING)
		event_record(h, HAVM_EV_STORAGE_STATE_CHANGED, LOG_INFO, id, NULL,
			     "state=\"%s\" previous=\"%s\" path=%s host_id=%u",
			     wire_storage_state_name(st), wire_storage_state_name(s->state),
			     h->cfg.storage_path, id);
	else
		event_record(h, HAVM_EV_STORAGE_STATE_CHANGED, LOG_ERR, id, NULL,
			     "state=\"%s\" previous=\"%s\" path=%s error=\"%s\" retry_s=%d",
			     wire_storage_state_name(st), wire_storage_state_name(s->state),
			     h->cfg.storage_path, rc ? storage_strerror(rc) : "",
			     STORAGE_RETRY_MS / 1000);
	s->state = st;
	if (st != HAVM_STORAGE_JOINED)
		s->n_hb = 0; /* heartbeats are only known while joined */
}

static uint8_t state_of_probe(int rc)
{
	switch (rc) {
	case 0: return HAVM_STORAGE_JOINING;
	case -ENOENT: return HAVM_STORAGE_MISSING;
	case -ENODATA: return HAVM_STORAGE_UNINITIALISED;
	case -ENOTCONN:
	case -ECONNREFUSED: return HAVM_STORAGE_NO_SANLOCK;
	case -EBUSY: return HAVM_STORAGE_UNINITIALISED; /* someone else's: not ours */
	}
	return HAVM_STORAGE_UNREACHABLE;
}

struct join_arg {
	const char *path;
	uint32_t host_id;
	uint32_t io_timeout;
};

/* Worker: probe, then ask sanlock to join without waiting for it. */
static int job_probe_join(void *arg, void *out, size_t *len)
{
	struct join_arg *a = arg;
	struct sanlk_lockspace ls;
	int rc;

	(void)out;
	*len = 0;
	rc = storage_probe(a->path);
	if (rc)
		return rc;
	memset(&ls, 0, sizeof(ls));
	snprintf(ls.name, sizeof(ls.name), "%s", STORAGE_LOCKSPACE);
	ls.host_id = a->host_id;
	snprintf(ls.host_id_disk.path, sizeof(ls.host_id_disk.path), "%s", a->path);
	rc = sanlock_add_lockspace_timeout(&ls, SANLK_ADD_ASYNC, a->io_timeout);
	/* Already joined or joining (havmd restarted under a running sanlock). */
	if (rc == -EEXIST || rc == -EINPROGRESS)
		rc = 0;
	return rc < 0 ? rc : 0;
}

static void on_probe_join(struct havmd *h, void *ctx, int status, const void *out, size_t len)
{
	struct storage_watch *s = &h->storage;

	(void)ctx;
	(void)out;
	(void)len;
	s->job_running = false;
	if (status == -ETIMEDOUT)
		status = -EIO; /* the storage or sanlock did not answer in time */
	if (status == 0)
		s->join_started_ms = clock_now_ms(); /* join_ms: sanlock's join alone */
	set_state(h, state_of_probe(status), status);
	if (status)
		s->retry_at_ms = clock_now_ms() + STORAGE_RETRY_MS;
}

/* Poll result: inq status, then (id, state) pairs. */
struct poll_result {
	int32_t inq;
	int32_t wd_rc;  /* storage_watchdog_probe's return */
	uint8_t wd;     /* its answer */
	uint32_t n;
	struct {
		uint32_t id;
		uint8_t hb;
		uint64_t generation;
	} h[WIRE_NODES_MAX];
};

static uint8_t hb_of_flags(uint32_t flags)
{
	switch (flags & SANLK_HOST_MASK) {
	case SANLK_HOST_LIVE: return HAVM_HB_LIVE;
	case SANLK_HOST_FAIL: return HAVM_HB_FAILING;
	case SANLK_HOST_DEAD: return HAVM_HB_DEAD;
	case SANLK_HOST_FREE: return HAVM_HB_NONE;
	}
	return HAVM_HB_UNKNOWN;
}

static int job_poll(void *arg, void *out, size_t *len)
{
	struct join_arg *a = arg;
	struct poll_result *r = out;
	struct sanlk_lockspace ls;
	struct sanlk_host *hosts = NULL;
	int n = 0;

	_Static_assert(sizeof(struct poll_result) <= WORKER_OUT_MAX, "poll result fits");
	memset(r, 0, sizeof(*r));
	*len = sizeof(*r);
	memset(&ls, 0, sizeof(ls));
	snprintf(ls.name, sizeof(ls.name), "%s", STORAGE_LOCKSPACE);
	ls.host_id = a->host_id;
	snprintf(ls.host_id_disk.path, sizeof(ls.host_id_disk.path), "%s", a->path);
	{
		bool wd = false;

		r->wd_rc = storage_watchdog_probe(&wd);
		r->wd = wd;
	}
	r->inq = sanlock_inq_lockspace(&ls, 0);
	if (r->inq != 0)
		return 0;
	if (sanlock_get_hosts(STORAGE_LOCKSPACE, 0, &hosts, &n, 0) < 0)
		return 0;
	for (int i = 0; i < n && r->n < WIRE_NODES_MAX; i++) {
		r->h[r->n].id = (uint32_t)hosts[i].host_id;
		r->h[r->n].hb = hb_of_flags(hosts[i].flags);
		r->h[r->n].generation = hosts[i].generation;
		r->n++;
	}
	free(hosts);
	return 0;
}

/*
 * What we announce about our watchdog (fence_plan.h: a dead heartbeat is
 * proof only from a life that had one). Said when it changes, at error
 * level when the configuration requires one and it is missing.
 */
static void watchdog_seen(struct havmd *h, int rc, bool has)
{
	struct storage_watch *s = &h->storage;
	bool announce;

	if (h->cfg.storage_unsafe_no_watchdog)
		announce = true; /* logged loudly at start */
	else if (h->cfg.storage_watchdog == HAVM_WATCHDOG_NONE)
		announce = false;
	else
		announce = rc == 0 && has;
	if (announce == s->watchdog && s->watchdog_known)
		return;
	s->watchdog = announce;
	s->watchdog_known = true;
	if (announce && !h->cfg.storage_unsafe_no_watchdog)
		log_notice("storage: sanlock runs with a watchdog; a dead storage heartbeat of "
			   "this host counts as proof that it was reset");
	else if (!announce && h->cfg.storage_watchdog == HAVM_WATCHDOG_REQUIRED)
		log_err("storage: sanlock runs without a watchdog (%s): if this host is lost "
			"and cannot be powered off, it can never be taken as fenced "
			"(fence-less recovery unavailable); run sanlock with -w 1 and wdmd, "
			"or set storage.watchdog = \"none\" to say this is intended",
			rc == 0 ? "use_watchdog=0 or no wdmd" : storage_strerror(rc));
	cluster_announce(h);
}

static void on_poll(struct havmd *h, void *ctx, int status, const void *out, size_t len)
{
	struct storage_watch *s = &h->storage;
	struct poll_result r;

	(void)ctx;
	s->job_running = false;
	if (status || len != sizeof(r)) {
		log_warn("storage: cannot ask sanlock for the lockspace state error=\"%s\"",
			 status == -ETIMEDOUT ? "no answer in time" : storage_strerror(status));
		s->n_hb = 0; /* what we knew is stale: claim nothing */
		return;
	}
	memcpy(&r, out, sizeof(r));
	watchdog_seen(h, r.wd_rc, r.wd != 0);
	if (r.inq == -EINPROGRESS)
		return; /* still joining */
	if (r.inq != 0) {
		/* Joining failed, or sanlock dropped the lockspace (it does when
		 * it cannot renew our lease on the storage). */
		set_state(h, HAVM_STORAGE_FAILED, -ECONNABORTED);
		s->retry_at_ms = clock_now_ms() + STORAGE_RETRY_MS;
		return;
	}
	set_state(h, HAVM_STORAGE_JOINED, 0);
	s->polled_at_ms = clock_now_ms();
	{
		/* Compare with a copy: the arrays are rewritten below. */
		uint32_t old_ids[WIRE_NODES_MAX];
		uint8_t old_states[WIRE_NODES_MAX];
		size_t old_n = s->n_hb;

		memcpy(old_ids, s->hb_ids, sizeof(old_ids));
		memcpy(old_states, s->hb_states, sizeof(old_states));
		s->n_hb = 0;
		for (uint32_t i = 0; i < r.n && i < WIRE_NODES_MAX; i++) {
			uint8_t old = HAVM_HB_UNKNOWN;
			for (size_t j = 0; j < old_n; j++)
				if (old_ids[j] == r.h[i].id)
					old = old_states[j];
			if (old != r.h[i].hb && old != HAVM_HB_UNKNOWN)
				event_record(h, HAVM_EV_STORAGE_HEARTBEAT_CHANGED, LOG_NOTICE,
					     r.h[i].id, NULL, "heartbeat=%s previous=%s",
					     wire_heartbeat_name(r.h[i].hb),
					     wire_heartbeat_name(old));
			s->hb_ids[s->n_hb] = r.h[i].id;
			s->hb_states[s->n_hb] = r.h[i].hb;
			s->hb_generations[s->n_hb] = r.h[i].generation;
			if (r.h[i].id == h->cluster.local_nodeid && r.h[i].hb == HAVM_HB_LIVE &&
			    r.h[i].generation != s->own_generation) {
				s->own_generation = r.h[i].generation;
				log_info("storage: our heartbeat's generation=%llu",
					 (unsigned long long)s->own_generation);
				cluster_announce(h);
			}
			s->n_hb++;
		}
	}
}

static void tick(void *data);

static void schedule_tick(struct havmd *h)
{
	qb_loop_timer_handle t;

	if (qb_loop_timer_add(h->loop, QB_LOOP_LOW, (uint64_t)STORAGE_TICK_MS * QB_TIME_NS_IN_MSEC,
			      h, tick, &t) < 0) {
		log_err("storage: cannot schedule the storage watch; restart havmd");
		return;
	}
	h->storage.timer = t;
}

static void tick(void *data)
{
	struct havmd *h = data;
	struct storage_watch *s = &h->storage;
	static struct join_arg arg; /* read by the child after fork: a copy */
	uint32_t id = h->cluster.local_nodeid;
	int rc = 0;

	s->timer = 0;
	schedule_tick(h);
	if (s->job_running || id == 0)
		return; /* a job is out, or corosync has not told us our id yet */
	if (id > STORAGE_HOST_ID_MAX) {
		if (s->state != HAVM_STORAGE_FAILED)
			log_err("storage: node id %u is above sanlock's host id limit %d; this "
				"host cannot join the lockspace: give it a lower corosync nodeid",
				id, STORAGE_HOST_ID_MAX);
		s->state = HAVM_STORAGE_FAILED;
		return;
	}
	arg = (struct join_arg){ .path = h->cfg.storage_path, .host_id = id,
				 .io_timeout = h->cfg.storage_io_timeout };
	if (s->state == HAVM_STORAGE_JOINING || s->state == HAVM_STORAGE_JOINED) {
		rc = worker_start(h, "storage poll", job_timeout_ms(h), job_poll, &arg, on_poll,
				  NULL, NULL);
	} else if (clock_now_ms() >= s->retry_at_ms) {
		/* A retry keeps showing (and not re-logging) the failure it
		 * retries; only a change of outcome is news. */
		rc = worker_start(h, "storage probe and join", job_timeout_ms(h), job_probe_join,
				  &arg, on_probe_join, NULL, NULL);
	} else {
		return;
	}
	if (rc < 0)
		log_warn("storage: cannot start a job error=\"%s\"", strerror(-rc));
	else
		s->job_running = true;
}

static int storage_watch_start(struct havmd *h)
{
	if (!h->cfg.storage_path[0])
		return 0;
	h->storage.state = HAVM_STORAGE_PROBING;
	h->storage.join_started_ms = clock_now_ms();
	schedule_tick(h);
	return 0;
}

static void storage_watch_stop(struct havmd *h)
{
	if (h->storage.timer)
		qb_loop_timer_del(h->loop, (qb_loop_timer_handle)h->storage.timer);
	h->storage.timer = 0;
}

static void storage_view_get(const struct havmd *h, struct storage_view *v)
{
	const struct storage_watch *s = &h->storage;

	/* Heartbeats sanlock has not confirmed lately are not claimed: a stale
	 * "dead" must never count as a fence. */
	bool fresh = clock_now_ms() - s->polled_at_ms <= job_timeout_ms(h) + 3 * STORAGE_TICK_MS;

	*v = (struct storage_view){
		.state = h->cfg.storage_path[0] ? s->state : HAVM_STORAGE_OFF,
		.path = h->cfg.storage_path[0] ? h->cfg.storage_path : NULL,
		.hb_ids = s->hb_ids,
		.hb_states = s->hb_states,
		.hb_generations = s->hb_generations,
		.n_hb = s->state == HAVM_STORAGE_JOINED && fresh ? s->n_hb : 0,
	};
}

/* What we announce: our sanlock has a watchdog (or the test bed's unsafe
 * setting says to pretend it has). */
static bool storage_watch_announces_watchdog(const struct havmd *h)
{
	return h->storage.watchdog;
}

/* Our part of the announcement: our heartbeat's generation (so that a
 * "dead" can be matched to the life it ended) and our watchdog. */
static void storage_fill_node_state(const struct havmd *h, struct wire_node_state *m)
{
	m->generation = h->storage.own_generation;
	if (storage_watch_announces_watchdog(h))
		m->flags |= WIRE_NODE_STATE_WATCHDOG;
}

/* The storage as we see it, and what we announce of ourselves (fencing
 * reads both). */
static void storage_snapshot_fill(const struct havmd *h, struct havmd_snapshot *s)
{
	storage_view_get(h, &s->storage);
	s->own_watchdog = storage_watch_announces_watchdog(h);
	s->own_generation = h->storage.own_generation;
}

/* Status: how long the storage has been in its state (the join wait). */
static void storage_status_fill(const struct havmd *h, struct havmd_status *st)
{
	if (st->snap.storage.state != HAVM_STORAGE_OFF)
		st->reply->storage_for_s =
			(uint32_t)((clock_now_ms() - h->storage.state_since_ms) / 1000);
}

const struct havmd_service storage_service = {
	.name = "storage",
	.start = storage_watch_start,
	.stop = storage_watch_stop,
	.fill_node_state = storage_fill_node_state,
	.snapshot_fill = storage_snapshot_fill,
	.status_fill = storage_status_fill,
};
