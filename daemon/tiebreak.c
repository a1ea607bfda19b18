/*
 * tiebreak.c: the tiebreaker lease (see tiebreak.h).
 *
 * The lease is held by a child process, not by a worker job: sanlock ties
 * a paxos lease to the process that acquired it, keeps it for as long as
 * that process lives, and kills the process if it cannot renew (storage
 * lost). So the child registers with sanlock, acquires, reports "held" by
 * pipe and then only waits. Its exit (EOF on the pipe) means the lease is
 * gone: we announce that and start a new child after a delay. The child
 * dies with havmd (PR_SET_PDEATHSIG), which releases the lease.
 *
 * While another host holds the lease, acquire fails at once with
 * SANLK_ACQUIRE_IDLIVE (its storage heartbeat is live); the child retries
 * every io_timeout seconds, so the lease moves within about that once the
 * holder's process exits, or once sanlock calls a failed holder dead.
 *
 * Child reports on the pipe, 5 bytes each: a type ('H' held, 'E' error)
 * and an int32 (0, or the failed call's return), host byte order.
 */
#define _GNU_SOURCE 1 /* pipe2 */
#include "tiebreak.h"
#include "send_queue.h"

#include "clock.h"
#include "cluster.h"
#include "events.h"
#include "havmd.h"
#include "log.h"
#include "service.h"
#include "storage.h"
#include "tiebreak_vote.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sanlock.h>
#include <sanlock_resource.h>
#include <sanlock_rv.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#define TIEBREAK_TICK_MS 1000
#define REPORT_LEN 5

/* ---- the child --------------------------------------------------------- */

static void child_report(int fd, char type, int32_t rc)
{
	uint8_t b[REPORT_LEN];

	b[0] = (uint8_t)type;
	memcpy(b + 1, &rc, sizeof(rc));
	if (write(fd, b, sizeof(b)) != (ssize_t)sizeof(b))
		_exit(1); /* havmd is gone */
}

/* Another host holds the lease, or holds it for a moment: try again. */
static bool someone_else_has_it(int rc)
{
	switch (rc) {
	case SANLK_ACQUIRE_IDLIVE:
	case SANLK_ACQUIRE_OWNED:
	case SANLK_ACQUIRE_OWNED_RETRY:
	case SANLK_ACQUIRE_OTHER:
	case SANLK_ACQUIRE_IDDISK:
	case -EAGAIN:
	case -EBUSY: return true;
	}
	return false;
}

/* Never returns. Touches neither the loop, corosync nor the log. */
static void lease_child(const char *path, uint32_t io_timeout, int wfd, pid_t parent)
{
	struct {
		struct sanlk_resource r;
		struct sanlk_disk d;
	} res;
	struct sanlk_resource *resp = &res.r;
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGCHLD, SIGPIPE };
	sigset_t none;
	int sock, rc;

	/* libqb's handlers would forward our signals to havmd's loop. */
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(1);
	/* Let go of havmd's corosync and control connections: a copy held
	 * here would keep them open after havmd closes them. */
	if (wfd != 3) {
		if (dup2(wfd, 3) < 0)
			_exit(1);
		wfd = 3;
	}
	close_range(4, ~0U, 0); /* best effort: a leftover fd is only untidy */
	sock = sanlock_register();
	if (sock < 0) {
		child_report(wfd, 'E', sock);
		_exit(1);
	}
	memset(&res, 0, sizeof(res));
	snprintf(res.r.lockspace_name, sizeof(res.r.lockspace_name), "%s", STORAGE_LOCKSPACE);
	snprintf(res.r.name, sizeof(res.r.name), "%s", STORAGE_TIEBREAKER);
	res.r.flags = SANLK_RES_ALIGN1M | SANLK_RES_SECTOR512;
	res.r.num_disks = 1;
	snprintf(res.d.path, sizeof(res.d.path), "%s", path);
	res.d.offset = STORAGE_TIEBREAKER_OFFSET;
	for (;;) {
		rc = sanlock_acquire(sock, -1, 0, 1, &resp, NULL);
		if (rc == 0)
			break;
		if (!someone_else_has_it(rc)) {
			child_report(wfd, 'E', rc);
			_exit(1);
		}
		clock_sleep_ms(io_timeout * 1000);
	}
	child_report(wfd, 'H', 0);
	for (;;)
		pause(); /* holding; sanlock kills us if it cannot renew */
}

/* ---- the group --------------------------------------------------------- */

static void announce(struct havmd *h)
{
	struct tiebreak *t = &h->tiebreak;
	struct wire_tiebreak_lease m = { .nodeid = h->cluster.local_nodeid, .held = t->held };
	uint8_t buf[WIRE_TIEBREAK_LEASE_LEN];
	int len, rc;

	t->announce_pending = true;
	if (m.nodeid == 0 || !h->cluster.up)
		return; /* sent once connected (tiebreak_membership) */
	len = wire_tiebreak_lease_encode(buf, sizeof(buf), &m);
	if (len < 0) {
		log_err("tiebreak: cannot encode our lease state error=\"%s\"", strerror(-len));
		t->announce_pending = false;
		return;
	}
	/* The send queue sends it again until it is back through CPG; only
	 * the newest of our announcements matters. */
	rc = sendq_push(h, buf, (size_t)len, m.nodeid, true);
	if (rc < 0)
		return; /* logged; the tick tries again */
	t->announce_pending = false;
	log_debug("tiebreak: announced held=%s", t->held ? "yes" : "no");
}

static void set_holder(struct havmd *h, uint32_t holder, const char *why)
{
	struct tiebreak *t = &h->tiebreak;

	if (t->holder == holder)
		return;
	log_info("tiebreak: holder nodeid=%u previous=%u reason=%s", holder, t->holder, why);
	t->holder = holder;
	services_facts_changed(h); /* the quorum device polls with its new vote */
}

/* A HAVM_MSG_TIEBREAK_LEASE from the group, sent by SENDER. */
static void tiebreak_on_lease(struct havmd *h, const struct wire_tiebreak_lease *m, uint32_t sender)
{
	struct tiebreak *t = &h->tiebreak;

	if (m->nodeid != sender) {
		log_warn("tiebreak: dropped lease message from nodeid=%u naming nodeid=%u", sender,
			 m->nodeid);
		return;
	}
	if (sender == h->cluster.local_nodeid)
		return; /* our own: we know better, from the child itself */
	if (m->held)
		set_holder(h, sender, "announced");
	else if (t->holder == sender)
		set_holder(h, 0, "released");
}

/* The membership view changed (after every corosync dispatch). */
static void tiebreak_membership(struct havmd *h, const struct cluster_view *v)
{
	struct tiebreak *t = &h->tiebreak;

	if (!t->enabled)
		return;
	if (t->holder && !membership_contains(v->cpg_members, v->n_cpg, t->holder))
		set_holder(h, 0, "left the group");
	/* Newcomers know nothing of the lease: say again whether we hold it
	 * whenever a daemon joins the group (every daemon does, like node
	 * states; a join need not change the totem ring). */
	if (v->corosync_up && h->cluster.group_joins != t->group_joins) {
		t->group_joins = h->cluster.group_joins;
		announce(h);
	}
	/* The quorum device polls next, from its own on_view. */
}

/* Our facts, for the quorum device's vote. */
static void tiebreak_snapshot_fill(const struct havmd *h, struct havmd_snapshot *s)
{
	s->tiebreak_held = h->tiebreak.held;
	s->tiebreak_holder = h->tiebreak.holder;
}

/* ---- the child, from the loop ----------------------------------------- */

static void child_gone(struct havmd *h, const char *why)
{
	struct tiebreak *t = &h->tiebreak;
	uint32_t delay_ms = h->cfg.storage_io_timeout * 1000;

	qb_loop_poll_del(h->loop, t->fd);
	close(t->fd);
	t->fd = -1;
	t->child = 0; /* reaped by the worker's SIGCHLD handler */
	t->got = 0;
	t->respawn_at_ms = clock_now_ms() + delay_ms;
	if (t->held) {
		event_record(h, HAVM_EV_TIEBREAK_LEASE_LOST, LOG_WARNING, h->cluster.local_nodeid,
			     NULL, "reason=\"%s\" retry_ms=%u", why, delay_ms);
		t->held = false;
		announce(h);
		services_facts_changed(h);
	} else {
		log_debug("tiebreak: lease child ended reason=\"%s\"", why);
	}
}

static void on_report(struct havmd *h, char type, int32_t rc)
{
	struct tiebreak *t = &h->tiebreak;

	if (type == 'H') {
		t->held = true;
		t->last_err = 0;
		event_record(h, HAVM_EV_TIEBREAK_LEASE_HELD, LOG_NOTICE, h->cluster.local_nodeid,
			     NULL, "path=%s", h->cfg.storage_path);
		announce(h);
		services_facts_changed(h);
		return;
	}
	if (rc != t->last_err)
		log_err("tiebreak: cannot acquire the tiebreaker lease error=\"%s\" (%d); "
			"retrying every %u s",
			storage_strerror(rc), rc, h->cfg.storage_io_timeout);
	t->last_err = rc;
}

static int32_t on_child_fd(int32_t fd, int32_t revents, void *data)
{
	struct havmd *h = data;
	struct tiebreak *t = &h->tiebreak;
	ssize_t n;

	(void)revents;
	for (;;) {
		n = read(fd, t->rbuf + t->got, REPORT_LEN - t->got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n <= 0) {
			child_gone(h, n == 0 ? "process exited" : strerror(errno));
			return 0;
		}
		t->got += (size_t)n;
		if (t->got == REPORT_LEN) {
			int32_t rc;
			memcpy(&rc, t->rbuf + 1, sizeof(rc));
			t->got = 0;
			on_report(h, (char)t->rbuf[0], rc);
		}
	}
}

static void spawn_child(struct havmd *h)
{
	struct tiebreak *t = &h->tiebreak;
	pid_t parent = getpid(), pid;
	int p[2], rc;

	if (pipe2(p, O_CLOEXEC) < 0) {
		log_err("tiebreak: cannot create a pipe error=\"%s\"", strerror(errno));
		t->respawn_at_ms = clock_now_ms() + h->cfg.storage_io_timeout * 1000;
		return;
	}
	pid = fork();
	if (pid < 0) {
		log_err("tiebreak: cannot fork the lease process error=\"%s\"", strerror(errno));
		close(p[0]);
		close(p[1]);
		t->respawn_at_ms = clock_now_ms() + h->cfg.storage_io_timeout * 1000;
		return;
	}
	if (pid == 0) {
		close(p[0]);
		lease_child(h->cfg.storage_path, h->cfg.storage_io_timeout, p[1], parent);
	}
	close(p[1]);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	rc = qb_loop_poll_add(h->loop, QB_LOOP_HIGH, p[0], POLLIN, h, on_child_fd);
	if (rc < 0) {
		log_err("tiebreak: cannot watch the lease process error=\"%s\"", strerror(-rc));
		kill(pid, SIGKILL);
		close(p[0]);
		t->respawn_at_ms = clock_now_ms() + h->cfg.storage_io_timeout * 1000;
		return;
	}
	t->child = pid;
	t->fd = p[0];
	t->got = 0;
	log_info("tiebreak: competing for the lease pid=%ld path=%s offset=%llu", (long)pid,
		 h->cfg.storage_path, (unsigned long long)STORAGE_TIEBREAKER_OFFSET);
}

static void schedule_tick(struct havmd *h);

static void tick(void *data)
{
	struct havmd *h = data;
	struct tiebreak *t = &h->tiebreak;
	struct havmd_snapshot facts;

	t->timer = 0;
	schedule_tick(h);
	if (t->announce_pending)
		announce(h);
	services_snapshot(h, &facts);
	/* sanlock acquires only within a joined lockspace. */
	if (t->child == 0 && facts.storage.state == HAVM_STORAGE_JOINED &&
	    h->cluster.local_nodeid != 0 && clock_now_ms() >= t->respawn_at_ms)
		spawn_child(h);
}

static void schedule_tick(struct havmd *h)
{
	qb_loop_timer_handle th;

	if (qb_loop_timer_add(h->loop, QB_LOOP_LOW, (uint64_t)TIEBREAK_TICK_MS * QB_TIME_NS_IN_MSEC,
			      h, tick, &th) < 0) {
		log_err("tiebreak: cannot schedule the lease tick; restart havmd");
		return;
	}
	h->tiebreak.timer = (uint64_t)(uintptr_t)th;
}

static int tiebreak_start(struct havmd *h)
{
	struct tiebreak *t = &h->tiebreak;

	t->fd = -1;
	if (!h->cfg.storage_path[0] || !h->cfg.storage_tiebreaker)
		return 0;
	t->enabled = true;
	log_info("tiebreak: enabled path=%s offset=%llu device=%s", h->cfg.storage_path,
		 (unsigned long long)STORAGE_TIEBREAKER_OFFSET, QDEVICE_NAME);
	schedule_tick(h);
	return 0;
}

static void tiebreak_stop(struct havmd *h)
{
	struct tiebreak *t = &h->tiebreak;

	if (t->timer)
		qb_loop_timer_del(h->loop, (qb_loop_timer_handle)(uintptr_t)t->timer);
	t->timer = 0;
	if (t->child > 0) {
		/* Its exit releases the lease for the others at once. */
		kill(t->child, SIGKILL);
		qb_loop_poll_del(h->loop, t->fd);
		close(t->fd);
		t->fd = -1;
		t->child = 0;
		if (t->held)
			event_record(h, HAVM_EV_TIEBREAK_LEASE_RELEASED, LOG_NOTICE,
				     h->cluster.local_nodeid, NULL, "reason=stopping");
		t->held = false;
	}
}

/* HAVM_MSG_TIEBREAK_LEASE, decoded here: 0, or -errno when malformed. */
static int tiebreak_on_cpg(struct havmd *h, uint16_t type, const void *msg, size_t len,
			   uint32_t nodeid, uint32_t pid)
{
	struct wire_tiebreak_lease tl;
	int rc = wire_tiebreak_lease_decode(msg, len, &tl);

	(void)type;
	(void)pid;
	if (rc == 0)
		tiebreak_on_lease(h, &tl, nodeid);
	return rc;
}

static const uint16_t tiebreak_cpg_types[] = { HAVM_MSG_TIEBREAK_LEASE };

const struct havmd_service tiebreak_service = {
	.name = "tiebreak",
	.start = tiebreak_start,
	.stop = tiebreak_stop,
	.cpg_types = tiebreak_cpg_types,
	.n_cpg_types = sizeof(tiebreak_cpg_types) / sizeof(tiebreak_cpg_types[0]),
	.on_cpg = tiebreak_on_cpg,
	.on_view = tiebreak_membership,
	.snapshot_fill = tiebreak_snapshot_fill,
};
