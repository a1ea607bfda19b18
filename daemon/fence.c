/*
 * fence.c: gather the facts, ask fence_plan, carry the steps out (see
 * fence.h and lib/fence_plan.h for the rules).
 *
 * A power fence is one worker job: the host's levels in order, every device
 * of a level powered off and read back off; the first level that manages
 * it wins. The result goes to every member through CPG, tied to the
 * incarnation it is about, and each member appends it to its history in
 * delivery order, so all histories agree. Failures are loud (error level)
 * and retried with back-off. Nothing here remembers a membership change:
 * who needs fencing is derived from the facts at every tick.
 */
#include "fence.h"
#include "clock.h"

#include "cluster.h"
#include "device.h"
#include "events.h"
#include "fence_plan.h"
#include "havmd.h"
#include "log.h"
#include "send_queue.h"
#include "service.h"
#include "storage.h"
#include "text_escape.h"
#include "text_append.h"
#include "wire.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define FENCE_TICK_MS 500
/* A host powered off leaves corosync's membership within its token and
 * consensus timeouts (2 s on the test bed, 11 s with corosync's defaults on
 * five hosts); still there after a minute, in the very life the record
 * says is off, it was not. */
#define FENCE_STILL_MEMBER_MS 60000
/* A result sent by the coordinator just before it stopped being one is
 * still its word; after this, only the current coordinator's counts. */
#define FENCE_PREV_COORDINATOR_MS 30000

static int host_index(const struct havmd *h, uint32_t nodeid)
{
	for (size_t i = 0; i < h->cfg.n_hosts; i++)
		if (h->cfg.hosts[i].nodeid == nodeid)
			return (int)i;
	return -1;
}

static void act_now(void *data);

/* Facts changed (a membership, a record, an announcement): plan again now. */
static void fence_kick(struct havmd *h)
{
	qb_loop_job_add(h->loop, QB_LOOP_MED, h, act_now);
}

/* Any change of the view (membership, quorum, coordinator, corosync lost). */
static void fence_membership(struct havmd *h, const struct cluster_view *v)
{
	struct fence_state *f = &h->fence;
	uint32_t c = membership_coordinator(v);

	/* Remember who was coordinator: its last results are still trusted
	 * for a while (see fence_on_result). */
	if (h->cluster.coordinator != 0 && c != h->cluster.coordinator) {
		f->prev_coordinator = h->cluster.coordinator;
		f->prev_coordinator_until_ms = clock_now_ms() + FENCE_PREV_COORDINATOR_MS;
	}
	fence_kick(h);
}

/* ---- facts ------------------------------------------------------------ */

static void facts_from_wire(struct host_facts *f, const struct wire_host_facts *w)
{
	*f = (struct host_facts){ .nodeid = w->nodeid, .inc = w->inc,
				  .watchdog = (w->flags & WIRE_FACT_WATCHDOG) != 0,
				  .generation = w->generation, .closed_inc = w->closed_inc,
				  .void_inc = w->void_inc };
}

/* A member's announcement: fold what it knows into our facts. */
static void fence_on_node_state(struct havmd *h, const struct wire_node_state *m)
{
	struct fence_state *f = &h->fence;
	bool changed = false;
	int i = host_index(h, m->nodeid);

	/* What the sender says of itself is first-hand. */
	if (i >= 0) {
		struct host_facts self = {
			.nodeid = m->nodeid, .inc = m->incarnation,
			.watchdog = (m->flags & WIRE_NODE_STATE_WATCHDOG) != 0,
			.generation = m->generation,
		};
		uint64_t before = f->t[i].facts.inc;

		changed |= host_facts_merge(&f->t[i].facts, &self);
		/* First-hand, the watchdog may also have gone (a probe found
		 * none): the merge alone only ever adds it. */
		if (f->t[i].facts.inc == self.inc && f->t[i].facts.watchdog != self.watchdog) {
			f->t[i].facts.watchdog = self.watchdog;
			changed = true;
		}
		if (before != 0 && m->incarnation > before)
			log_info("fence: host in a new life host=%s nodeid=%u incarnation=%llu "
				 "previous=%llu",
				 h->cfg.hosts[i].name, m->nodeid,
				 (unsigned long long)m->incarnation, (unsigned long long)before);
	}
	for (uint16_t k = 0; k < m->n_facts; k++) {
		struct host_facts theirs;
		int j = host_index(h, m->facts[k].nodeid);

		if (j < 0)
			continue;
		facts_from_wire(&theirs, &m->facts[k]);
		changed |= host_facts_merge(&f->t[j].facts, &theirs);
	}
	if (changed)
		fence_kick(h);
}

/* Our own part of the announcement: what we know of every host. */
static void fence_facts_fill(const struct havmd *h, struct wire_node_state *m)
{
	m->n_facts = 0;
	for (size_t i = 0; i < h->cfg.n_hosts && m->n_facts < WIRE_NODES_MAX; i++) {
		const struct host_facts *f = &h->fence.t[i].facts;

		if (f->inc == 0 && f->closed_inc == 0 && f->void_inc == 0)
			continue; /* nothing known */
		m->facts[m->n_facts++] = (struct wire_host_facts){
			.nodeid = h->cfg.hosts[i].nodeid, .inc = f->inc,
			.flags = f->watchdog ? WIRE_FACT_WATCHDOG : 0,
			.generation = f->generation, .closed_inc = f->closed_inc,
			.void_inc = f->void_inc,
		};
	}
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
		       "%s host=%s nodeid=%u result=%s level=%u elapsed_ms=%u incarnation=%llu "
		       "by=%s detail=\"%s\"\n",
		       when, target ? target->name : "?", m->target,
		       wire_fence_result_name(m->result), m->level, m->elapsed_ms,
		       (unsigned long long)m->incarnation, by ? by->name : "?", detail);
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

/* The history says which lives are closed: read it back at start, so a
 * restarted havmd decides as one that watched. Lines without an
 * incarnation (older havm) close nothing. */
static void history_load(struct havmd *h)
{
	char path[256], line[1600];
	unsigned closed = 0;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", HAVM_STATE_DIR, FENCE_HISTORY_FILE);
	fp = fopen(path, "re");
	if (!fp)
		return;
	while (fgets(line, sizeof(line), fp)) {
		const char *p_id = strstr(line, " nodeid="), *p_inc = strstr(line, " incarnation=");
		const char *p_res = strstr(line, " result=");
		unsigned long long id, inc;
		char *end;
		int i;

		if (!p_id || !p_inc || !p_res)
			continue;
		id = strtoull(p_id + 8, &end, 10);
		if (*end != ' ')
			continue;
		inc = strtoull(p_inc + 13, &end, 10);
		if (*end != ' ' || inc == 0)
			continue;
		if (strncmp(p_res + 8, "off-verified ", 13) != 0 &&
		    strncmp(p_res + 8, "dead-by-storage ", 16) != 0)
			continue;
		i = host_index(h, (uint32_t)id);
		if (i < 0)
			continue;
		host_facts_close(&h->fence.t[i].facts, inc);
		if (inc > h->fence.t[i].recorded_inc)
			h->fence.t[i].recorded_inc = inc;
		closed++;
	}
	fclose(fp);
	if (closed)
		log_info("fence: history read path=%s closed_records=%u", path, closed);
}

static bool same_result(const struct wire_fence_result *a, const struct wire_fence_result *b)
{
	return a->target == b->target && a->result == b->result && a->level == b->level &&
	       a->time == b->time && a->elapsed_ms == b->elapsed_ms &&
	       a->incarnation == b->incarnation && strcmp(a->detail, b->detail) == 0;
}

static bool is_member(const struct havmd *h, uint32_t nodeid)
{
	return h->cluster.up &&
	       membership_contains(h->cluster.quorum_members, h->cluster.n_quorum, nodeid);
}

/* A fence result delivered by CPG (ours included). */
static void fence_on_result(struct havmd *h, const struct wire_fence_result *m, uint32_t sender)
{
	struct fence_state *f = &h->fence;
	int i = host_index(h, m->target);
	const char *name = i >= 0 ? h->cfg.hosts[i].name : "?";
	char detail[4 * WIRE_TEXT_MAX + 1];
	bool trusted = sender == h->cluster.coordinator ||
		       (sender == f->prev_coordinator &&
			clock_now_ms() < f->prev_coordinator_until_ms);

	if (!trusted) {
		/* Only the coordinator fences: anyone else's "off" would let a
		 * live host's VMs start elsewhere. */
		log_warn("fence: dropped a fence result from nodeid=%u, not the coordinator "
			 "(coordinator=%u) host=%s incarnation=%llu",
			 sender, h->cluster.coordinator, name, (unsigned long long)m->incarnation);
		return;
	}
	if (i < 0) {
		log_warn("fence: dropped a fence result for unknown nodeid=%u from nodeid=%u",
			 m->target, sender);
		return;
	}
	if (f->t[i].have_recorded && same_result(&f->t[i].recorded, m))
		return; /* a re-sent copy of what we already recorded */
	f->t[i].recorded = *m;
	f->t[i].have_recorded = true;
	history_append(h, m, sender);
	text_escape_controls(detail, sizeof(detail), m->detail, WIRE_TEXT_MAX);
	if (m->result == HAVM_FENCE_FAILED) {
		event_record(h, HAVM_EV_FENCE_FAILED, LOG_ERR, m->target, NULL,
			     "incarnation=%llu by=%u detail=\"%s\"; retrying",
			     (unsigned long long)m->incarnation, sender, detail);
		return;
	}
	host_facts_close(&f->t[i].facts, m->incarnation);
	if (m->incarnation > f->t[i].recorded_inc)
		f->t[i].recorded_inc = m->incarnation;
	cluster_announce(h); /* members that missed it (a heal) learn it */
	if (m->result == HAVM_FENCE_OFF_VERIFIED)
		event_record(h, HAVM_EV_FENCE_SUCCEEDED, LOG_NOTICE, m->target, NULL,
			     "result=off-verified level=%u elapsed_ms=%u incarnation=%llu by=%u "
			     "detail=\"%s\"",
			     m->level, m->elapsed_ms, (unsigned long long)m->incarnation, sender,
			     detail);
	else
		event_record(h, HAVM_EV_FENCE_STORAGE_DEAD, LOG_NOTICE, m->target, NULL,
			     "result=dead-by-storage elapsed_ms=%u incarnation=%llu by=%u "
			     "detail=\"%s\"",
			     m->elapsed_ms, (unsigned long long)m->incarnation, sender, detail);
	if (is_member(h, m->target))
		log_warn("fence: recorded although host=%s is in the membership now: it came "
			 "back while being fenced, or its devices do not control its power",
			 name);
	fence_kick(h);
}

/*
 * An operator's request, as the coordinator judges it: the same checks the
 * control socket made on the host where it was typed, made again here,
 * because any process in the CPG group could have sent it.
 */
static void fence_on_request(struct havmd *h, uint32_t target, uint32_t sender)
{
	int i = host_index(h, target);
	const char *why = NULL;

	if (i < 0)
		why = "no such host in havm.conf";
	else if (h->cluster.coordinator == 0)
		why = "no quorum (or the membership is settling)";
	else if (target == h->cluster.coordinator)
		why = "the target is the coordinator";
	else if (h->cfg.hosts[i].fence_levels == 0)
		why = "the target has no fence levels";
	else if (h->fence.t[i].facts.inc == 0)
		why = "no member has seen the target's havmd, so there is no life to fence";
	if (why) {
		log_warn("fence: refused a fence request target=%u from nodeid=%u reason=\"%s\"",
			 target, sender, why);
		return;
	}
	h->fence.t[i].requested_inc = h->fence.t[i].facts.inc;
	log_notice("fence: operator requested a fence host=%s nodeid=%u via nodeid=%u "
		   "incarnation=%llu",
		   h->cfg.hosts[i].name, target, sender,
		   (unsigned long long)h->fence.t[i].facts.inc);
	fence_kick(h);
}

/* Queue a result for every member (our own copy included). */
static void publish(struct havmd *h, const struct wire_fence_result *m)
{
	uint8_t buf[WIRE_FENCE_RESULT_MAX_LEN];
	int len = wire_fence_result_encode(buf, sizeof(buf), m);

	if (len < 0) {
		log_err("fence: cannot encode a result error=\"%s\"", strerror(-len));
		return;
	}
	(void)sendq_push(h, buf, (size_t)len, m->target, false);
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
				text_append(o->detail, sizeof(o->detail), "level ", lvl);
				text_append(o->detail, sizeof(o->detail), " device ",
					    lv->devices[d].name);
				text_append(o->detail, sizeof(o->detail), ": ", err);
				text_append(o->detail, sizeof(o->detail), "; ", "");
			}
		}
		if (!ok)
			continue;
		o->level = (int32_t)l + 1;
		/* Earlier levels' failures stay in the detail: the record says
		 * why level 2 was needed. */
		for (size_t d = 0; d < lv->n_devices; d++)
			text_append(o->detail, sizeof(o->detail),
				    d ? "," : "devices=", lv->devices[d].name);
		/* A reboot's power on is not waited for, but its failure is
		 * said: the host stays off, which an operator should know. */
		if (j->cfg->fence_action == HAVM_FENCE_ACTION_REBOOT)
			for (size_t d = 0; d < lv->n_devices; d++)
				if (fence_device_power_on(&lv->devices[d], err, sizeof(err)) < 0) {
					text_append(o->detail, sizeof(o->detail),
						    "; power on failed: ", err);
				}
		return 0;
	}
	return -EIO;
}

/* A job's context: which host, and for which of its lives. */
struct job_ctx {
	int index;
	uint64_t inc;
};

static void on_job_done(struct havmd *h, void *ctx, int status, const void *out, size_t len)
{
	struct job_ctx c = *(struct job_ctx *)ctx;
	struct fence_target *t = &h->fence.t[c.index];
	const struct havm_host *host = &h->cfg.hosts[c.index];
	struct wire_fence_result m = { .target = host->nodeid, .time = (uint64_t)time(NULL),
				       .incarnation = c.inc };
	struct fence_job_out o = { 0 };
	bool cancelled = t->cancelled;

	free(ctx);
	t->running = false;
	t->cancelled = false;
	if (len == sizeof(o))
		memcpy(&o, out, sizeof(o));
	m.elapsed_ms = (uint32_t)(t->need_inc == c.inc ? clock_now_ms() - t->need_since_ms : 0);
	if (status == 0 && o.level > 0) {
		/* A host proven off is recorded whatever happened meanwhile:
		 * the record is about the life the job was for. */
		if (cancelled)
			log_notice("fence: a fence no longer wanted powered the host off "
				   "host=%s incarnation=%llu; recording it",
				   host->name, (unsigned long long)c.inc);
		m.result = HAVM_FENCE_OFF_VERIFIED;
		m.level = (uint8_t)o.level;
		snprintf(m.detail, sizeof(m.detail), "%s", o.detail);
		/* Closed here at once: the result's trip through CPG can take
		 * seconds (fencing a member stalls delivery until corosync
		 * re-forms the ring), and until it is back the plan would fence
		 * the host again. */
		host_facts_close(&t->facts, c.inc);
		if (c.inc > t->recorded_inc)
			t->recorded_inc = c.inc;
	} else if (cancelled || status == -ECANCELED) {
		log_info("fence: cancelled fence job ended host=%s status=%d", host->name, status);
		return;
	} else {
		uint64_t backoff;

		if (t->need_inc != c.inc)
			t->attempts = 0;
		backoff = (uint64_t)h->cfg.fence_retry_ms << (t->attempts < 16 ? t->attempts : 16);
		if (backoff > h->cfg.fence_retry_max_ms)
			backoff = h->cfg.fence_retry_max_ms;
		t->attempts++;
		t->not_before_ms = clock_now_ms() + backoff;
		m.result = HAVM_FENCE_FAILED;
		/* The devices' messages may fill the detail; the retry is logged
		 * on its own line, so cut them rather than it. */
		snprintf(m.detail, sizeof(m.detail), "attempt %u next_retry_ms=%llu: %.900s",
			 t->attempts, (unsigned long long)backoff,
			 status == -ETIMEDOUT ? "the fence job did not finish in time"
			 : o.detail[0]        ? o.detail
					      : "no level could be tried");
	}
	publish(h, &m);
	fence_kick(h);
}

static void run_power(struct havmd *h, int i, uint64_t inc)
{
	static struct fence_job jobs[HAVM_HOSTS_MAX]; /* read by the child: a copy */
	const struct havm_host *host = &h->cfg.hosts[i];
	struct fence_target *t = &h->fence.t[i];
	struct job_ctx *ctx;
	uint64_t limit = 5000;
	int rc;

	for (size_t l = 0; l < host->fence_levels; l++)
		limit += host->fence[l].n_devices *
			 ((uint64_t)h->cfg.fence_timeout_ms + 2 * FENCE_DEVICE_IPMI_CALL_MS +
			  (h->cfg.fence_action == HAVM_FENCE_ACTION_REBOOT ? FENCE_DEVICE_AGENT_CALL_MS
									   : 0));
	ctx = malloc(sizeof(*ctx));
	if (!ctx) {
		t->not_before_ms = clock_now_ms() + h->cfg.fence_retry_ms;
		return;
	}
	*ctx = (struct job_ctx){ .index = i, .inc = inc };
	jobs[i] = (struct fence_job){ .host = host, .cfg = &h->cfg };
	event_record(h, HAVM_EV_FENCE_STARTED, LOG_NOTICE, host->nodeid, NULL,
		     "incarnation=%llu action=%s levels=%zu attempt=%u", (unsigned long long)inc,
		     h->cfg.fence_action == HAVM_FENCE_ACTION_REBOOT ? "reboot" : "off",
		     host->fence_levels, t->attempts + 1);
	rc = worker_start(h, "fence", (uint32_t)(limit > UINT32_MAX ? UINT32_MAX : limit),
			  job_fence, &jobs[i], on_job_done, ctx, &t->job_id);
	if (rc < 0) {
		free(ctx);
		log_err("fence: cannot start the fence job host=%s error=\"%s\"", host->name,
			rc == -EAGAIN ? "every worker slot is busy" : strerror(-rc));
		t->not_before_ms = clock_now_ms() + h->cfg.fence_retry_ms;
		return;
	}
	t->running = true;
	t->running_inc = inc;
	t->cancelled = false;
}

static void cancel_job(struct havmd *h, int i)
{
	struct fence_target *t = &h->fence.t[i];

	if (!t->running || t->cancelled)
		return;
	/* Killed, with whatever it started: a job for a life that no longer
	 * needs fencing must not go on to the next level and power off a host
	 * that came back (or its next life). */
	t->cancelled = true;
	log_notice("fence: fence job no longer wanted host=%s incarnation=%llu (the host is "
		   "back, its life is closed, or we may not act); stopping it",
		   h->cfg.hosts[i].name, (unsigned long long)t->running_inc);
	/* worker_cancel calls on_job_done (-ECANCELED) before it returns; a job
	 * that already ended has had its result judged (-ENOENT). */
	(void)worker_cancel(h, t->job_id);
}

static void record_storage_dead(struct havmd *h, int i, uint64_t inc)
{
	struct fence_target *t = &h->fence.t[i];
	struct wire_fence_result m = {
		.target = h->cfg.hosts[i].nodeid, .result = HAVM_FENCE_STORAGE_DEAD,
		.time = (uint64_t)time(NULL), .incarnation = inc,
		.elapsed_ms = (uint32_t)(clock_now_ms() - t->need_since_ms),
	};

	snprintf(m.detail, sizeof(m.detail),
		 "sanlock reports its storage heartbeat dead (generation %llu, watchdog "
		 "announced) after %u failed power attempts",
		 (unsigned long long)t->facts.generation, t->attempts);
	host_facts_close(&t->facts, inc);
	if (inc > t->recorded_inc)
		t->recorded_inc = inc;
	publish(h, &m);
}

/* ---- lease reclaim (runs in a worker child) ---------------------------- */

struct reclaim_job {
	char path[HAVM_PATH_MAX + 1];
	uint32_t host_id;
	uint64_t generation; /* of the life proven off; 0: unknown */
};
struct reclaim_out {
	int32_t rc;
	uint32_t reclaimed, leases;
};
struct reclaim_ctx {
	int index;
	uint64_t inc;
	uint64_t started_ms;
};

static int job_reclaim(void *arg, void *out, size_t *len)
{
	const struct reclaim_job *j = arg;
	struct reclaim_out *o = out;

	_Static_assert(sizeof(struct reclaim_out) <= WORKER_OUT_MAX, "reclaim result fits");
	memset(o, 0, sizeof(*o));
	*len = sizeof(*o);
	o->rc = lease_reclaim_all_fenced(j->path, j->host_id, j->generation, &o->reclaimed,
					 &o->leases);
	return 0;
}

static void on_reclaim_done(struct havmd *h, void *ctx, int status, const void *out, size_t len)
{
	struct reclaim_ctx c = *(struct reclaim_ctx *)ctx;
	struct fence_target *t = &h->fence.t[c.index];
	const struct havm_host *host = &h->cfg.hosts[c.index];
	struct reclaim_out o = { .rc = status ? status : -EIO };

	free(ctx);
	t->reclaim_running = false;
	if (status == 0 && len == sizeof(o))
		memcpy(&o, out, sizeof(o));
	if (o.rc) {
		log_err("fence: cannot reclaim the leases of fenced host=%s error=\"%s\"; retrying",
			host->name, status == -ETIMEDOUT ? "no answer in time" : storage_strerror(o.rc));
		t->reclaim_not_before_ms = clock_now_ms() + 5000;
		return;
	}
	t->reclaimed_inc = c.inc;
	event_record(h, HAVM_EV_LEASE_RECLAIMED, LOG_NOTICE, host->nodeid, NULL,
		     "incarnation=%llu reclaimed=%u leases=%u elapsed_ms=%llu",
		     (unsigned long long)c.inc, o.reclaimed, o.leases,
		     (unsigned long long)(clock_now_ms() - c.started_ms));
	/* The VM service waits for the leases: tell it now. */
	services_facts_changed(h);
}

/*
 * A life proven off still holds its leases on the storage until sanlock
 * calls it dead (about 80 s at io_timeout 2, 140 s or more at 10). The
 * coordinator frees them at once: the host can no longer write. Idempotent
 * (a lease another host holds now is left alone), so a new coordinator
 * simply does it again.
 */
static void reclaim_leases(struct havmd *h, int i, uint64_t inc)
{
	static struct reclaim_job jobs[HAVM_HOSTS_MAX]; /* read by the child: a copy */
	struct fence_target *t = &h->fence.t[i];
	struct reclaim_ctx *ctx;
	uint64_t now = clock_now_ms();

	if (t->reclaim_running || now < t->reclaim_not_before_ms)
		return;
	ctx = malloc(sizeof(*ctx));
	if (!ctx)
		return;
	*ctx = (struct reclaim_ctx){ .index = i, .inc = inc, .started_ms = now };
	snprintf(jobs[i].path, sizeof(jobs[i].path), "%s", h->cfg.storage_path);
	jobs[i].host_id = h->cfg.hosts[i].nodeid;
	jobs[i].generation = t->facts.inc == inc ? t->facts.generation : 0;
	if (worker_start(h, "lease reclaim", 60000, job_reclaim, &jobs[i], on_reclaim_done, ctx,
			 NULL) < 0) {
		free(ctx);
		t->reclaim_not_before_ms = now + 5000;
		return;
	}
	t->reclaim_running = true;
}

static void tick(void *data);

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

/* This host's own facts: first-hand, whatever anyone announced. */
static void own_facts(struct havmd *h, const struct havmd_snapshot *facts)
{
	int i = host_index(h, h->cluster.local_nodeid);
	struct host_facts self;

	if (i < 0 || h->cluster.local_nodeid == 0)
		return;
	self = (struct host_facts){ .nodeid = h->cluster.local_nodeid, .inc = h->incarnation,
				    .watchdog = facts->own_watchdog,
				    .generation = facts->own_generation };
	host_facts_merge(&h->fence.t[i].facts, &self);
}

/*
 * A closed life that is still alive in the group: the record was wrong (a
 * device that does not control this host's power). Void it, loudly, or the
 * host would never be fenced when it really goes.
 */
static void void_wrong_records(struct havmd *h, uint64_t now)
{
	for (size_t i = 0; i < h->cfg.n_hosts; i++) {
		struct fence_target *t = &h->fence.t[i];
		const struct wire_node_state *st = node_states_find(&h->states, h->cfg.hosts[i].nodeid);
		bool alive = st && st->incarnation == t->facts.closed_inc && t->facts.closed_inc &&
			     membership_contains(h->cluster.cpg_members, h->cluster.n_cpg,
						 h->cfg.hosts[i].nodeid);

		if (!alive) {
			t->alive_closed_since_ms = 0;
			continue;
		}
		if (t->alive_closed_since_ms == 0) {
			t->alive_closed_since_ms = now;
			continue;
		}
		if (now - t->alive_closed_since_ms < FENCE_STILL_MEMBER_MS)
			continue;
		log_err("fence: host=%s nodeid=%u is still up in incarnation %llu %d s after a "
			"record said it was off: that record is void; check that its fence "
			"devices control its power",
			h->cfg.hosts[i].name, h->cfg.hosts[i].nodeid,
			(unsigned long long)t->facts.closed_inc, FENCE_STILL_MEMBER_MS / 1000);
		host_facts_void(&t->facts, t->facts.closed_inc);
		t->recorded_inc = 0;
		t->alive_closed_since_ms = 0;
		cluster_announce(h);
	}
}

/*
 * A member whose current life we do not know (its havmd is not in the
 * group, or it announced a number older than one we hold): count an
 * unknown open life for it, so that it is fenced if it leaves, and never
 * taken as off on a record about an older life.
 */
static void unknown_lives(struct havmd *h)
{
	if (!h->cluster.up || !h->cluster.settled)
		return;
	for (size_t i = 0; i < h->cfg.n_hosts; i++) {
		uint32_t id = h->cfg.hosts[i].nodeid;
		const struct wire_node_state *st = node_states_find(&h->states, id);
		struct host_facts *f = &h->fence.t[i].facts;
		uint64_t before = f->inc;

		if (id == h->cluster.local_nodeid || !is_member(h, id))
			continue;
		if (st && st->incarnation == f->inc &&
		    membership_contains(h->cluster.cpg_members, h->cluster.n_cpg, id))
			continue;
		host_facts_unknown_life(f);
		if (f->inc != before)
			log_info("fence: host=%s nodeid=%u is a member whose life havmd does not "
				 "know; counting an open life incarnation=%llu",
				 h->cfg.hosts[i].name, id, (unsigned long long)f->inc);
	}
}

/* Everything fence_plan looks at, now: our facts, and the other
 * services' from FACTS (the storage's heartbeats). */
static void snapshot(const struct havmd *h, const struct havmd_snapshot *facts, uint64_t now,
		     struct fence_host *hosts, struct fence_snapshot *s)
{
	const struct fence_state *f = &h->fence;
	const struct storage_view *sv = &facts->storage;
	bool known = facts->cluster.corosync_up && membership_settled(&facts->cluster);

	for (size_t i = 0; i < h->cfg.n_hosts; i++) {
		const struct havm_host *host = &h->cfg.hosts[i];
		const struct fence_target *t = &f->t[i];
		uint8_t hb = HAVM_HB_UNKNOWN;
		uint64_t gen = 0;

		for (size_t k = 0; k < sv->n_hb; k++)
			if (sv->hb_ids[k] == host->nodeid) {
				hb = sv->hb_states[k];
				gen = sv->hb_generations[k];
			}
		hosts[i] = (struct fence_host){
			.nodeid = host->nodeid,
			.levels = host->fence_levels,
			/* Without a settled view we know nothing of the
			 * others: claim no loss (and do not act). */
			.member = !known || is_member(h, host->nodeid),
			.requested = t->requested_inc != 0 && t->requested_inc == t->facts.inc,
			.facts = t->facts,
			.heartbeat = hb,
			.hb_generation = gen,
			.maintenance = vm_node_in_maintenance(h, host->name),
			.running = t->running,
			.running_inc = t->running_inc,
			.attempts = t->need_inc == t->facts.inc ? t->attempts : 0,
			.not_before_ms = t->need_inc == t->facts.inc ? t->not_before_ms : 0,
			.delay_until_ms = t->need_inc == t->facts.inc
						  ? t->need_since_ms + host->fence_delay_ms
						  : 0,
		};
	}
	*s = (struct fence_snapshot){
		.paused = vm_cluster_maintenance(h),
		.hold = vm_fence_hold(h),
		.acting = known && h->cluster.coordinator != 0 &&
			  h->cluster.coordinator == h->cluster.local_nodeid &&
			  cluster_synced(h),
		.self = h->cluster.local_nodeid,
		.now_ms = now, .hosts = hosts, .n_hosts = h->cfg.n_hosts,
	};
}

/* Gather the facts, ask fence_plan, carry the steps out. */
static void plan_and_act(struct havmd *h)
{
	struct fence_state *f = &h->fence;
	struct fence_host hosts[HAVM_HOSTS_MAX];
	struct fence_step steps[HAVM_HOSTS_MAX];
	struct fence_snapshot s;
	struct havmd_snapshot facts;
	uint64_t now = clock_now_ms();
	size_t n;

	services_snapshot(h, &facts);
	own_facts(h, &facts);
	unknown_lives(h);
	/* An operator's request is done once its life is closed: a record
	 * voided later must not fence that member again on the same word. */
	for (size_t i = 0; i < h->cfg.n_hosts; i++)
		if (f->t[i].requested_inc && f->t[i].facts.closed_inc >= f->t[i].requested_inc)
			f->t[i].requested_inc = 0;
	void_wrong_records(h, now);
	snapshot(h, &facts, now, hosts, &s);
	/* When a life first needs fencing: the fence delay and the elapsed
	 * time count from here. A new coordinator starts its own clock. */
	for (size_t i = 0; i < h->cfg.n_hosts; i++) {
		struct fence_target *t = &f->t[i];

		if (!fence_needed(&s, &hosts[i]) || t->need_inc == t->facts.inc)
			continue;
		t->need_inc = t->facts.inc;
		t->need_since_ms = now;
		t->attempts = 0;
		t->not_before_ms = now + h->cfg.hosts[i].fence_delay_ms;
		hosts[i].attempts = 0;
		hosts[i].not_before_ms = t->not_before_ms;
		event_record(h, HAVM_EV_HOST_LOST, LOG_NOTICE, h->cfg.hosts[i].nodeid, NULL,
			     "incarnation=%llu; not treated as dead until proven off%s",
			     (unsigned long long)t->facts.inc,
			     s.paused ? "; cluster maintenance mode: not fenced until it is off"
				      : "");
	}
	/* A host in maintenance that leaves is not fenced: said once per life. */
	for (size_t i = 0; i < h->cfg.n_hosts; i++) {
		struct fence_target *t = &f->t[i];

		if (!hosts[i].maintenance || hosts[i].member || t->facts.inc == 0 ||
		    t->facts.closed_inc >= t->facts.inc || t->maint_told_inc == t->facts.inc)
			continue;
		t->maint_told_inc = t->facts.inc;
		event_record(h, HAVM_EV_HOST_LOST, LOG_NOTICE, h->cfg.hosts[i].nodeid, NULL,
			     "incarnation=%llu; in maintenance: not fenced (its VMs, if any "
			     "are left there, wait for it)",
			     (unsigned long long)t->facts.inc);
	}
	n = fence_plan(&s, steps, HAVM_HOSTS_MAX);
	for (size_t k = 0; k < n; k++) {
		int i = host_index(h, steps[k].nodeid);

		if (i < 0)
			continue;
		switch (steps[k].kind) {
		case FENCE_STEP_POWER:
			run_power(h, i, steps[k].inc);
			break;
		case FENCE_STEP_STORAGE_DEAD:
			record_storage_dead(h, i, steps[k].inc);
			break;
		case FENCE_STEP_CANCEL:
			cancel_job(h, i);
			break;
		}
	}
	/* HAVM_STORAGE_OFF without storage in havm.conf. */
	if (!s.acting || facts.storage.state != HAVM_STORAGE_JOINED)
		return;
	for (size_t i = 0; i < h->cfg.n_hosts; i++)
		/* Only a closure this daemon has a record of (its own job, a
		 * result from the coordinator, its history): one learned from an
		 * announcement alone frees no lease. */
		if (fence_done(&hosts[i]) && f->t[i].reclaimed_inc != hosts[i].facts.closed_inc &&
		    f->t[i].recorded_inc == hosts[i].facts.closed_inc)
			reclaim_leases(h, (int)i, hosts[i].facts.closed_inc);
}

static void tick(void *data)
{
	struct havmd *h = data;

	h->fence.timer = 0;
	schedule(h);
	plan_and_act(h);
}

static void act_now(void *data)
{
	plan_and_act(data);
}

/* The snapshot: which lost hosts may still run what they ran (VMs wait
 * for them), and which are proven off with their leases free. */
static void fence_snapshot_fill(const struct havmd *h, struct havmd_snapshot *facts)
{
	struct fence_host hosts[HAVM_HOSTS_MAX];
	struct fence_snapshot s;

	snapshot(h, facts, clock_now_ms(), hosts, &s);
	for (size_t i = 0; i < h->cfg.n_hosts; i++) {
		const struct host_facts *f = &hosts[i].facts;

		facts->host_open[i] = !hosts[i].member && f->inc != 0 && f->closed_inc < f->inc;
		facts->host_closed[i] = fence_done(&hosts[i]);
		facts->host_leases_free[i] =
			facts->host_closed[i] && h->fence.t[i].reclaimed_inc == f->closed_inc;
		facts->host_reclaiming[i] = h->fence.t[i].reclaim_running;
	}
}

/* Status, before the merge: the hosts pending a fence, and fenced. */
static void fence_status_view(const struct havmd *h, struct havmd_status *st)
{
	struct fence_host hosts[HAVM_HOSTS_MAX];
	struct fence_view *v = &st->fence;
	struct fence_snapshot s;

	*v = (struct fence_view){ .pending = st->fence_pending, .fenced = st->fence_fenced };
	snapshot(h, &st->snap, clock_now_ms(), hosts, &s);
	for (size_t i = 0; i < h->cfg.n_hosts && i < WIRE_NODES_MAX; i++) {
		if (fence_needed(&s, &hosts[i]))
			st->fence_pending[v->n_pending++] = hosts[i].nodeid;
		else if (fence_done(&hosts[i]))
			st->fence_fenced[v->n_fenced++] = hosts[i].nodeid;
	}
}

/* Status, after the merge: what fencing knows of each host's life. */
static void fence_status_fill(const struct havmd *h, struct havmd_status *status)
{
	struct wire_status_reply *r = status->reply;

	for (uint16_t k = 0; k < r->n_nodes; k++) {
		struct wire_status_node *n = &r->nodes[k];
		const struct wire_node_state *st = node_states_find(&h->states, n->nodeid);
		int i = host_index(h, n->nodeid);
		const struct host_facts *f;

		if (i < 0)
			continue;
		f = &h->fence.t[i].facts;
		if (f->inc)
			n->fence_info |= WIRE_FENCE_INFO_KNOWN;
		if (f->inc && f->watchdog)
			n->fence_info |= WIRE_FENCE_INFO_WATCHDOG;
		if (f->inc && f->generation)
			n->fence_info |= WIRE_FENCE_INFO_GENERATION;
		if (st && st->incarnation == f->inc && (st->flags & WIRE_NODE_STATE_UNSAFE))
			n->fence_info |= WIRE_FENCE_INFO_UNSAFE;
	}
}

static int fence_start(struct havmd *h)
{
	history_share(h);
	history_load(h);
	schedule(h);
	return 0;
}

static void fence_stop(struct havmd *h)
{
	if (h->fence.timer)
		qb_loop_timer_del(h->loop, (qb_loop_timer_handle)h->fence.timer);
	h->fence.timer = 0;
}

/*
 * Fencing's messages from the group: an operator's request
 * (HAVM_MSG_FENCE_REQUEST) and a result (HAVM_MSG_FENCE_RESULT), decoded
 * here. 0, or -errno when malformed (the dispatcher drops it).
 */
static int fence_on_cpg(struct havmd *h, uint16_t type, const void *msg, size_t len,
			uint32_t nodeid, uint32_t pid)
{
	int rc = -ENOPROTOOPT;

	(void)pid;
	if (type == HAVM_MSG_FENCE_REQUEST) {
		struct wire_fence_request fq;

		rc = wire_fence_request_decode(msg, len, HAVM_MSG_FENCE_REQUEST, &fq);
		if (rc == 0)
			fence_on_request(h, fq.target, nodeid);
	} else if (type == HAVM_MSG_FENCE_RESULT) {
		struct wire_fence_result fr;

		rc = wire_fence_result_decode(msg, len, &fr);
		if (rc == 0)
			fence_on_result(h, &fr, nodeid);
	}
	return rc;
}

static const uint16_t fence_cpg_types[] = { HAVM_MSG_FENCE_RESULT, HAVM_MSG_FENCE_REQUEST };

const struct havmd_service fence_service = {
	.name = "fence",
	.start = fence_start,
	.stop = fence_stop,
	.cpg_types = fence_cpg_types,
	.n_cpg_types = sizeof(fence_cpg_types) / sizeof(fence_cpg_types[0]),
	.on_cpg = fence_on_cpg,
	.on_node_state = fence_on_node_state,
	.fill_node_state = fence_facts_fill,
	.on_view = fence_membership,
	.snapshot_fill = fence_snapshot_fill,
	.status_view = fence_status_view,
	.status_fill = fence_status_fill,
};
