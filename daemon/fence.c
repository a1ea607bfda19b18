/*
 * fence.c: carry out fence_plan's decisions (see fence.h and
 * lib/fence_plan.h for the rules).
 *
 * A power fence is one worker job: the host's levels in order, every device
 * of a level powered off and read back off; the first level that manages
 * it wins. The result goes to every member through CPG, and each member
 * appends it to its history in delivery order, so all histories agree.
 * Failures are loud (error level) and retried with back-off.
 *
 * Hosts that were never members while we watched are not "lost": havm does
 * not fence at startup. A host comes off the lost list when it is proven
 * off (power or sanlock) or when it rejoins the membership.
 */
#include "fence.h"
#include "clock.h"

#include "cluster.h"
#include "device.h"
#include "fence_plan.h"
#include "havmd.h"
#include "log.h"
#include "wire.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define FENCE_TICK_MS 500
/* A host powered off leaves corosync's membership within its token and
 * consensus timeouts (a few seconds); still there after this, it was not. */
#define FENCE_STILL_MEMBER_MS 10000
/* Resend an undelivered result after this: fencing a member stalls CPG
 * delivery until corosync re-forms the ring (a few seconds). */
#define FENCE_RESEND_MS 3000

static int host_index(const struct havmd *h, uint32_t nodeid)
{
	for (size_t i = 0; i < h->cfg.n_hosts; i++)
		if (h->cfg.hosts[i].nodeid == nodeid)
			return (int)i;
	return -1;
}

static void act_now(void *data);

void fence_membership(struct havmd *h, const struct cluster_view *v)
{
	struct fence_state *f = &h->fence;

	if (!v->corosync_up) {
		f->have_prev = false; /* a daemon cut off from corosync judges nothing */
		return;
	}
	if (!membership_settled(v))
		return;
	for (size_t i = 0; f->have_prev && i < h->cfg.n_hosts; i++) {
		const struct havm_host *host = &h->cfg.hosts[i];
		struct fence_target *t = &f->t[i];
		bool was = membership_contains(f->prev, f->n_prev, host->nodeid);
		bool is = membership_contains(v->quorum_members, v->n_quorum, host->nodeid);

		/* A host proven off (fenced on request, say) leaving is expected. */
		if (was && !is && !t->lost && !t->proven_off) {
			t->lost = true;
			t->gen++; /* a job still out from an earlier loss is not this one's */
			t->lost_at_ms = clock_now_ms();
			t->retry_at_ms = clock_now_ms() + host->fence_delay_ms;
			t->attempts = 0;
			log_notice("fence: host lost host=%s nodeid=%u; it is not treated as dead "
				   "until proven off",
				   host->name, host->nodeid);
			qb_loop_job_add(h->loop, QB_LOOP_MED, h, act_now);
		} else if (is && t->lost && !was) {
			t->lost = false;
			log_notice("fence: host back in the membership host=%s nodeid=%u; no "
				   "fence needed",
				   host->name, host->nodeid);
		}
		if (is && !was) {
			t->proven_off = false; /* it booted again */
		} else if (is && t->proven_off &&
			   clock_now_ms() - t->proven_off_at_ms > FENCE_STILL_MEMBER_MS) {
			/* Verified off, yet still in the membership: the record was
			 * wrong (a device that does not control this host's power).
			 * Forget it, or the host would never be fenced when it goes. */
			t->proven_off = false;
			log_err("fence: host=%s nodeid=%u is still a member %d s after its fence "
				"was verified off: check that its fence devices control its power",
				host->name, host->nodeid, FENCE_STILL_MEMBER_MS / 1000);
		}
	}
	memcpy(f->prev, v->quorum_members, v->n_quorum * sizeof(f->prev[0]));
	f->n_prev = v->n_quorum;
	f->have_prev = true;
}

/* ---- history --------------------------------------------------------- */

/*
 * haclient may request fences (havm node fence), so it may read their
 * history too (havm fence history): the file is 0640 and the state
 * directory 0750, both owner root, group haclient. Done at start, not only
 * when a result is written: before the first fence a member of haclient
 * should read "no fences recorded", not "permission denied", and a
 * directory made by systemd or an older havmd is root's alone. Without the
 * group, both stay root's. A failure costs haclient its view only: warned.
 */
static void history_share(struct havmd *h)
{
	char path[256];

	if (!h->ctl.have_haclient)
		return;
	if (chown(HAVM_STATE_DIR, 0, h->ctl.haclient_gid) < 0 || chmod(HAVM_STATE_DIR, 0750) < 0)
		log_warn("fence: cannot open the fence history to group haclient path=%s "
			 "error=\"%s\"",
			 HAVM_STATE_DIR, strerror(errno));
	snprintf(path, sizeof(path), "%s/%s", HAVM_STATE_DIR, FENCE_HISTORY_FILE);
	if ((chown(path, 0, h->ctl.haclient_gid) < 0 || chmod(path, 0640) < 0) && errno != ENOENT)
		log_warn("fence: cannot open the fence history to group haclient path=%s "
			 "error=\"%s\"",
			 path, strerror(errno));
}

/* One line per result, appended and synced: the record must survive a
 * crash that follows it. Accepted blocking: a small local write. */
static void history_append(struct havmd *h, const struct wire_fence_result *m, uint32_t sender)
{
	const struct havm_host *target = config_host_by_nodeid(&h->cfg, m->target);
	const struct havm_host *by = config_host_by_nodeid(&h->cfg, sender);
	char path[256], when[32], line[1400];
	time_t t = (time_t)m->time;
	struct tm tm;
	int fd, len;

	char detail[WIRE_TEXT_MAX + 1];

	/* detail is quoted in the line: its own quotes become ' so that the
	 * line stays parseable (havm fence history --json). */
	snprintf(detail, sizeof(detail), "%s", m->detail);
	for (char *p = detail; *p; p++)
		if (*p == '"')
			*p = '\'';
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	len = snprintf(line, sizeof(line),
		       "%s host=%s nodeid=%u result=%s level=%u elapsed_ms=%u by=%s detail=\"%s\"\n",
		       when, target ? target->name : "?", m->target,
		       wire_fence_result_name(m->result), m->level, m->elapsed_ms,
		       by ? by->name : "?", detail);
	snprintf(path, sizeof(path), "%s/%s", HAVM_STATE_DIR, FENCE_HISTORY_FILE);
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	/* haclient may request fences (havm node fence): it may read them too. */
	if (fd >= 0 && h->ctl.have_haclient)
		(void)fchown(fd, 0, h->ctl.haclient_gid);
	if (fd < 0 || write(fd, line, (size_t)len) != len || fsync(fd) < 0)
		log_err("fence: cannot record in the fence history path=%s error=\"%s\"", path,
			strerror(errno));
	if (fd >= 0)
		close(fd);
}

static bool same_result(const struct wire_fence_result *a, const struct wire_fence_result *b)
{
	return a->target == b->target && a->result == b->result && a->level == b->level &&
	       a->time == b->time && a->elapsed_ms == b->elapsed_ms &&
	       strcmp(a->detail, b->detail) == 0;
}

void fence_on_result(struct havmd *h, const struct wire_fence_result *m, uint32_t sender)
{
	int i = host_index(h, m->target);
	const char *name = i >= 0 ? h->cfg.hosts[i].name : "?";

	if (i >= 0 && sender == h->cluster.local_nodeid &&
	    h->fence.t[i].result.time == m->time && h->fence.t[i].result.result == m->result)
		h->fence.t[i].unsent = false; /* our own copy came back: delivered */
	if (i >= 0 && h->fence.t[i].have_recorded && same_result(&h->fence.t[i].recorded, m))
		return; /* a resent copy of what we already recorded */
	if (i >= 0) {
		h->fence.t[i].recorded = *m;
		h->fence.t[i].have_recorded = true;
	}
	history_append(h, m, sender);
	if (m->result == HAVM_FENCE_FAILED) {
		log_err("fence: FAILED host=%s nodeid=%u by=%u detail=\"%s\"; retrying", name,
			m->target, sender, m->detail);
		return;
	}
	if (i >= 0) {
		h->fence.t[i].lost = false;
		h->fence.t[i].proven_off = true;
		h->fence.t[i].proven_off_at_ms = clock_now_ms();
	}
	if (m->result == HAVM_FENCE_OFF_VERIFIED)
		log_notice("fence: host fenced host=%s nodeid=%u result=off-verified level=%u "
			   "elapsed_ms=%u by=%u detail=\"%s\"",
			   name, m->target, m->level, m->elapsed_ms, sender, m->detail);
	else
		log_notice("fence: host taken as fenced host=%s nodeid=%u result=dead-by-storage "
			   "elapsed_ms=%u by=%u detail=\"%s\"",
			   name, m->target, m->elapsed_ms, sender, m->detail);
}

void fence_on_request(struct havmd *h, uint32_t target, uint32_t sender)
{
	int i = host_index(h, target);
	struct fence_target *t;

	if (i < 0) {
		log_warn("fence: request for unknown nodeid=%u from nodeid=%u ignored", target,
			 sender);
		return;
	}
	t = &h->fence.t[i];
	log_notice("fence: operator requested a fence host=%s nodeid=%u via nodeid=%u",
		   h->cfg.hosts[i].name, target, sender);
	if (t->lost)
		return; /* already on its way */
	/* No fence delay: the delay settles races between partitions, and an
	 * operator's request is not one. */
	t->lost = true;
	t->gen++;
	t->attempts = 0;
	t->lost_at_ms = t->retry_at_ms = clock_now_ms();
}

/* Multicast T's result; until our own copy comes back through CPG it stays
 * "unsent" and every tick sends it again (corosync's flow control, or
 * corosync itself being away, must not lose a record). */
static void send_result(struct havmd *h, struct fence_target *t)
{
	uint8_t buf[WIRE_FENCE_RESULT_MAX_LEN];
	int len = wire_fence_result_encode(buf, sizeof(buf), &t->result);
	int rc;

	if (len < 0) {
		log_err("fence: cannot encode a result error=\"%s\"", strerror(-len));
		t->unsent = false;
		return;
	}
	t->unsent = true;
	t->sent_at_ms = clock_now_ms();
	rc = cluster_send(h, buf, (size_t)len);
	if (rc < 0 && rc != -EAGAIN)
		log_warn("fence: cannot send a result yet error=\"%s\"; retrying", strerror(-rc));
}

/* A job's result: record it as ours and send it. */
static void publish(struct havmd *h, struct fence_target *t, const struct wire_fence_result *m)
{
	t->result = *m;
	send_result(h, t);
}

/* ---- the power fence job (runs in a worker child) --------------------- */

struct fence_job {
	const struct havm_host *host;
	const struct havm_config *cfg;
};

struct fence_job_out {
	int32_t level; /* 1-based level that verified off; 0 if none */
	char detail[WIRE_TEXT_MAX + 1];
};

/* Append A then B to the string in BUF, cut at SIZE. */
static void append(char *buf, size_t size, const char *a, const char *b)
{
	size_t len = strnlen(buf, size);

	if (len < size - 1)
		snprintf(buf + len, size - len, "%s%s", a, b);
}

static int job_fence(void *arg, void *out, size_t *len)
{
	const struct fence_job *j = arg;
	struct fence_job_out *o = out;

	_Static_assert(sizeof(struct fence_job_out) <= WORKER_OUT_MAX, "fence result fits");
	memset(o, 0, sizeof(*o));
	*len = sizeof(*o);
	for (size_t l = 0; l < j->host->fence_levels; l++) {
		const struct havm_fence_level *lv = &j->host->fence[l];
		char lvl[16], err[512];
		bool ok = true;

		snprintf(lvl, sizeof(lvl), "%zu", l + 1);
		for (size_t d = 0; d < lv->n_devices && ok; d++) {
			err[0] = '\0';
			if (fence_device_off_verified(&lv->devices[d], j->cfg->fence_timeout_ms,
						      err, sizeof(err)) < 0) {
				ok = false;
				append(o->detail, sizeof(o->detail), "level ", lvl);
				append(o->detail, sizeof(o->detail), " device ",
				       lv->devices[d].name);
				append(o->detail, sizeof(o->detail), ": ", err);
				append(o->detail, sizeof(o->detail), "; ", "");
			}
		}
		if (!ok)
			continue;
		o->level = (int32_t)l + 1;
		/* Earlier levels' failures stay in the detail: the record says
		 * why level 2 was needed. */
		for (size_t d = 0; d < lv->n_devices; d++)
			append(o->detail, sizeof(o->detail), d ? "," : "devices=",
			       lv->devices[d].name);
		/* A reboot's power on is not waited for, but its failure is
		 * said: the host stays off, which an operator should know. */
		if (j->cfg->fence_action == HAVM_FENCE_ACTION_REBOOT)
			for (size_t d = 0; d < lv->n_devices; d++)
				if (fence_device_power_on(&lv->devices[d], err, sizeof(err)) < 0) {
					append(o->detail, sizeof(o->detail), "; power on failed: ",
					       err);
				}
		return 0;
	}
	return -EIO;
}

/* A job's context: which host, and for which of its losses. */
#define JOB_CTX(i, gen) ((void *)(uintptr_t)(((uint64_t)(gen) << 8) | (uint64_t)(i)))
#define JOB_INDEX(ctx) ((int)((uintptr_t)(ctx) & 0xff))
#define JOB_GEN(ctx) ((uint32_t)((uintptr_t)(ctx) >> 8))

static void on_job_done(struct havmd *h, void *ctx, int status, const void *out, size_t len)
{
	int i = JOB_INDEX(ctx);
	struct fence_target *t = &h->fence.t[i];
	const struct havm_host *host = &h->cfg.hosts[i];
	struct wire_fence_result m = { .target = host->nodeid, .time = (uint64_t)time(NULL) };
	struct fence_job_out o = { 0 };

	t->running = false;
	if (!t->lost || JOB_GEN(ctx) != t->gen) {
		/* Resolved meanwhile (sanlock's dead, or it rejoined), or from an
		 * earlier loss: a second record would only confuse the history. */
		log_notice("fence: late fence job result host=%s status=%d dropped", host->name,
			   status);
		return;
	}
	if (len == sizeof(o))
		memcpy(&o, out, sizeof(o));
	m.elapsed_ms = (uint32_t)(clock_now_ms() - t->lost_at_ms);
	if (status == 0 && o.level > 0) {
		m.result = HAVM_FENCE_OFF_VERIFIED;
		m.level = (uint8_t)o.level;
		snprintf(m.detail, sizeof(m.detail), "%s", o.detail);
		/* We verified it: stop now. The result's trip through CPG can
		 * take seconds (fencing a member stalls delivery until corosync
		 * re-forms the ring), and until it is back the plan would
		 * fence the host again. */
		t->lost = false;
		t->proven_off = true;
		t->proven_off_at_ms = clock_now_ms();
	} else {
		uint64_t backoff = (uint64_t)h->cfg.fence_retry_ms << (t->attempts < 16 ? t->attempts : 16);

		if (backoff > h->cfg.fence_retry_max_ms)
			backoff = h->cfg.fence_retry_max_ms;
		t->attempts++;
		t->retry_at_ms = clock_now_ms() + backoff;
		m.result = HAVM_FENCE_FAILED;
		/* The devices' messages may fill the detail; the retry is logged
		 * on its own line, so cut them rather than it. */
		snprintf(m.detail, sizeof(m.detail), "attempt %u next_retry_ms=%llu: %.900s",
			 t->attempts, (unsigned long long)backoff,
			 status == -ETIMEDOUT ? "the fence job did not finish in time"
			 : o.detail[0]        ? o.detail
					      : "no level could be tried");
	}
	publish(h, t, &m);
}

static void run_power(struct havmd *h, int i)
{
	static struct fence_job jobs[HAVM_HOSTS_MAX]; /* read by the child: a copy */
	const struct havm_host *host = &h->cfg.hosts[i];
	uint64_t limit = 5000;
	int rc;

	for (size_t l = 0; l < host->fence_levels; l++)
		limit += host->fence[l].n_devices *
			 ((uint64_t)h->cfg.fence_timeout_ms + 2 * FENCE_DEVICE_IPMI_CALL_MS +
			  (h->cfg.fence_action == HAVM_FENCE_ACTION_REBOOT ? FENCE_DEVICE_AGENT_CALL_MS
									   : 0));
	jobs[i] = (struct fence_job){ .host = host, .cfg = &h->cfg };
	log_notice("fence: fencing host=%s nodeid=%u action=%s levels=%zu attempt=%u", host->name,
		   host->nodeid, h->cfg.fence_action == HAVM_FENCE_ACTION_REBOOT ? "reboot" : "off",
		   host->fence_levels, h->fence.t[i].attempts + 1);
	_Static_assert(HAVM_HOSTS_MAX <= 0xff, "host index fits the job context");
	rc = worker_start(h, "fence", (uint32_t)(limit > UINT32_MAX ? UINT32_MAX : limit),
			  job_fence, &jobs[i], on_job_done, JOB_CTX(i, h->fence.t[i].gen), NULL);
	if (rc < 0) {
		log_err("fence: cannot start the fence job host=%s error=\"%s\"", host->name,
			rc == -EAGAIN ? "every worker slot is busy" : strerror(-rc));
		h->fence.t[i].retry_at_ms = clock_now_ms() + h->cfg.fence_retry_ms;
		return;
	}
	h->fence.t[i].running = true;
}

static void tick(void *data);
static void plan_and_act(struct havmd *h);

static void schedule(struct havmd *h)
{
	qb_loop_timer_handle t;

	if (qb_loop_timer_add(h->loop, QB_LOOP_MED, (uint64_t)FENCE_TICK_MS * QB_TIME_NS_IN_MSEC, h,
			      tick, &t) < 0) {
		log_err("fence: cannot schedule fencing; restart havmd");
		return;
	}
	h->fence.timer = t;
}

/* Gather the facts, ask fence_plan, carry the steps out. */
static void plan_and_act(struct havmd *h)
{
	struct fence_state *f = &h->fence;
	struct fence_host hosts[HAVM_HOSTS_MAX];
	struct fence_step steps[HAVM_HOSTS_MAX];
	struct storage_view sv;
	struct fence_snapshot s;
	size_t n;

	for (size_t i = 0; i < h->cfg.n_hosts; i++)
		if (f->t[i].unsent && h->cluster.up &&
		    clock_now_ms() - f->t[i].sent_at_ms >= FENCE_RESEND_MS) {
			/* A duplicate may reach the others if our first copy was only
			 * slow: they record what arrives; better twice than never. */
			send_result(h, &f->t[i]);
		}
	storage_view_get(h, &sv);
	for (size_t i = 0; i < h->cfg.n_hosts; i++) {
		const struct havm_host *host = &h->cfg.hosts[i];
		uint8_t hb = HAVM_HB_UNKNOWN;

		for (size_t k = 0; k < sv.n_hb; k++)
			if (sv.hb_ids[k] == host->nodeid)
				hb = sv.hb_states[k];
		hosts[i] = (struct fence_host){ .nodeid = host->nodeid, .lost = f->t[i].lost,
						.running = f->t[i].running,
						.retry_at_ms = f->t[i].retry_at_ms, .heartbeat = hb,
						.levels = host->fence_levels };
	}
	s = (struct fence_snapshot){
		.acting = h->cluster.coordinator != 0 &&
			  h->cluster.coordinator == h->cluster.local_nodeid,
		.self = h->cluster.local_nodeid,
		.now_ms = clock_now_ms(), .hosts = hosts, .n_hosts = h->cfg.n_hosts,
	};
	n = fence_plan(&s, steps, HAVM_HOSTS_MAX);
	for (size_t k = 0; k < n; k++) {
		int i = host_index(h, steps[k].nodeid);
		if (i < 0)
			continue;
		if (steps[k].kind == FENCE_STEP_POWER) {
			run_power(h, i);
		} else {
			struct wire_fence_result m = {
				.target = steps[k].nodeid, .result = HAVM_FENCE_STORAGE_DEAD,
				.time = (uint64_t)time(NULL),
				.elapsed_ms = (uint32_t)(clock_now_ms() - f->t[i].lost_at_ms),
			};
			snprintf(m.detail, sizeof(m.detail),
				 "sanlock reports its storage heartbeat dead after %u power "
				 "attempts",
				 f->t[i].attempts);
			/* Resolved here at once; the record is re-sent until
			 * it has come back through CPG. */
			f->t[i].lost = false;
			f->t[i].proven_off = true;
			f->t[i].proven_off_at_ms = clock_now_ms();
			publish(h, &f->t[i], &m);
		}
	}
}

static void tick(void *data)
{
	struct havmd *h = data;

	h->fence.timer = 0;
	schedule(h);
	plan_and_act(h);
}

/* A host was just lost: decide now rather than at the next tick. */
static void act_now(void *data)
{
	plan_and_act(data);
}

void fence_view_get(const struct havmd *h, struct fence_view *v, uint32_t *pending,
		    uint32_t *fenced)
{
	*v = (struct fence_view){ .pending = pending, .fenced = fenced };
	for (size_t i = 0; i < h->cfg.n_hosts && i < WIRE_NODES_MAX; i++) {
		if (h->fence.t[i].lost)
			pending[v->n_pending++] = h->cfg.hosts[i].nodeid;
		else if (h->fence.t[i].proven_off)
			fenced[v->n_fenced++] = h->cfg.hosts[i].nodeid;
	}
}

int fence_start(struct havmd *h)
{
	history_share(h);
	schedule(h);
	return 0;
}

void fence_stop(struct havmd *h)
{
	if (h->fence.timer)
		qb_loop_timer_del(h->loop, (qb_loop_timer_handle)h->fence.timer);
	h->fence.timer = 0;
}
