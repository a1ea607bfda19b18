/* alerts.c: see alerts.h. */
#include "alerts.h"
#include "alerts_snmp.h"
#include "clock.h"
#include "events.h"
#include "havmd.h"
#include "log.h"
#include "service.h"
#include "worker.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define ALERT_TICK_MS 1000

struct alert_job {
	bool used;
	bool snmp; /* a trap to trap.rcv, not a script */
	char path[HAVM_PATH_MAX + 1];
	struct alert_env env;
	struct alert_snmp_trap trap;
	uint64_t seq;
};
static struct alert_job jobs[ALERT_JOBS_MAX]; /* read by the children: copies */

/* In the worker child: run the script, wait for it. */
static int job_run(void *arg, void *out, size_t *len)
{
	const struct alert_job *j = arg;
	char *argv[] = { (char *)j->path, NULL };
	char *msg = out;
	int status = 0, fd;
	pid_t pid;

	*len = 0;
	if (j->snmp) {
		int rc = alert_snmp_send(&j->trap, msg, WORKER_OUT_MAX);

		if (rc < 0)
			*len = strnlen(msg, WORKER_OUT_MAX - 1) + 1;
		return rc;
	}
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		fd = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
		}
		/* Nothing of havmd's: no descriptor, a default signal state. */
		closefrom(3);
		signal(SIGPIPE, SIG_DFL);
		execve(j->path, argv, j->env.envp);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	*len = (size_t)snprintf(msg, WORKER_OUT_MAX, "%s %d",
				WIFEXITED(status) ? "exit status" : "killed by signal",
				WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status)) +
	       1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 127 ? -ENOEXEC : -EIO;
}

static void pump(struct havmd *h);

/* What a receiver's createUser -e needs for SNMPv3 traps: said once, when
 * the first trap goes (havmd knows its node id from corosync only). */
static void log_engine_id(struct havmd *h, uint32_t nodeid)
{
	uint8_t id[ALERT_SNMP_ENGINE_ID_MAX];
	char hex[2 * ALERT_SNMP_ENGINE_ID_MAX + 3];

	alert_snmp_engine_id(nodeid, h->cfg.cluster_name, id, hex, sizeof(hex));
	log_info("alerts: snmp engine_id=%s nodeid=%u", hex, nodeid);
	h->alerts.engine_id_nodeid = nodeid;
}

static void on_done(struct havmd *h, void *ctx, int status, const void *out, size_t len)
{
	struct alert_job *j = ctx;
	struct alerts_state *a = &h->alerts;

	a->running--;
	if (j->snmp) {
		if (status == 0) {
			a->sent++;
			log_debug("alerts: trap sent address=%s event_seq=%llu", j->trap.rcv.address,
				  (unsigned long long)j->seq);
		} else {
			a->failed++;
			log_warn("alerts: trap not sent address=%s event_seq=%llu error=\"%s\"%s%.*s%s",
				 j->trap.rcv.address, (unsigned long long)j->seq,
				 status == -ETIMEDOUT ? "killed at its time limit" : strerror(-status),
				 len ? " reason=\"" : "", (int)(len ? strnlen(out, len) : 0),
				 len ? (const char *)out : "", len ? "\"" : "");
		}
	} else if (status == 0) {
		a->sent++;
		log_debug("alerts: script done path=%s event_seq=%llu", j->path,
			  (unsigned long long)j->seq);
	} else {
		a->failed++;
		log_warn("alerts: script failed path=%s event_seq=%llu error=\"%s\"%s%.*s", j->path,
			 (unsigned long long)j->seq,
			 status == -ETIMEDOUT ? "killed at its time limit"
			 : status == -ENOEXEC ? "cannot be run (exit status 127)"
					      : strerror(-status),
			 len ? " result=" : "", (int)(len ? strnlen(out, len) : 0),
			 len ? (const char *)out : "");
	}
	j->used = false;
	pump(h);
}

static void pump(struct havmd *h)
{
	struct alerts_state *a = &h->alerts;

	while (a->n && a->running < ALERT_JOBS_MAX) {
		struct alert_item *it = &a->queue[a->head];
		struct alert_job *j = NULL;
		int rc;

		for (size_t i = 0; i < ALERT_JOBS_MAX && !j; i++)
			if (!jobs[i].used)
				j = &jobs[i];
		if (!j)
			return;
		*j = (struct alert_job){ .used = true, .seq = it->e.seq };
		{
			const struct havm_host *me =
				config_host_by_nodeid(&h->cfg, h->cluster.local_nodeid);

			if (it->target < h->cfg.n_alert_scripts) {
				snprintf(j->path, sizeof(j->path), "%s",
					 h->cfg.alert_scripts[it->target]);
				rc = alert_env_build(&j->env, &it->e, h->cfg.cluster_name,
						     me ? me->name : "");
			} else {
				j->snmp = true;
				j->trap = (struct alert_snmp_trap){
					.rcv = h->cfg.snmp[it->target - h->cfg.n_alert_scripts],
					.e = it->e,
					.from_nodeid = h->cluster.local_nodeid,
				};
				snprintf(j->trap.cluster, sizeof(j->trap.cluster), "%s",
					 h->cfg.cluster_name);
				snprintf(j->trap.from, sizeof(j->trap.from), "%s",
					 me ? me->name : "");
				rc = 0;
				if (a->engine_id_nodeid != j->trap.from_nodeid)
					log_engine_id(h, j->trap.from_nodeid);
			}
		}
		a->head = (a->head + 1) % ALERT_QUEUE_MAX;
		a->n--;
		if (rc == 0)
			rc = worker_start(h, j->snmp ? "snmp trap" : "alert script",
					  h->cfg.alert_timeout_ms, job_run, j,
					  on_done, j, NULL);
		if (rc < 0) {
			/* No worker free now (fencing, VMs): the event is
			 * counted, never waited for. */
			j->used = false;
			a->dropped++;
			log_debug("alerts: script not run error=\"%s\"", strerror(-rc));
			continue;
		}
		a->running++;
	}
}

void alerts_on_event(struct havmd *h, const struct event_rec *e)
{
	struct alerts_state *a = &h->alerts;
	bool coordinator = h->cluster.coordinator && h->cluster.coordinator == h->cluster.local_nodeid;

	if (!a->on || !alert_wanted(e, h->cfg.alert_min_severity, h->cluster.local_nodeid,
				    coordinator))
		return;
	/* The summary is always let through: it is what says others were not. */
	if (e->type != HAVM_EV_ALERTS_SUPPRESSED && !alert_rate_take(&a->rate, clock_now_ms()))
		return;
	for (size_t s = 0; s < h->cfg.n_alert_scripts + h->cfg.n_snmp; s++) {
		if (a->n == ALERT_QUEUE_MAX) {
			a->dropped++;
			continue;
		}
		a->queue[(a->head + a->n) % ALERT_QUEUE_MAX] = (struct alert_item){ .e = *e,
										    .target = (uint8_t)s };
		a->n++;
	}
	pump(h);
}

static void schedule(struct havmd *h);

static void tick(void *data)
{
	struct havmd *h = data;
	struct alerts_state *a = &h->alerts;
	uint64_t n;

	a->timer = 0;
	a->rate.suppressed += a->dropped;
	a->dropped = 0;
	n = alert_rate_summary(&a->rate, clock_now_ms());
	if (n)
		event_record(h, HAVM_EV_ALERTS_SUPPRESSED, LOG_WARNING, h->cluster.local_nodeid, NULL,
			     "suppressed=%llu per_minute=%u; the events themselves are in the log "
			     "and in havm events",
			     (unsigned long long)n, h->cfg.alert_per_minute);
	pump(h);
	schedule(h);
}

static void schedule(struct havmd *h)
{
	qb_loop_timer_handle t;

	if (qb_loop_timer_add(h->loop, QB_LOOP_LOW, (uint64_t)ALERT_TICK_MS * QB_TIME_NS_IN_MSEC, h,
			      tick, &t) == 0)
		h->alerts.timer = (uint64_t)t;
}

static int alerts_start(struct havmd *h)
{
	struct alerts_state *a = &h->alerts;

	a->on = h->cfg.n_alert_scripts > 0 || h->cfg.n_snmp > 0;
	a->rate.per_minute = h->cfg.alert_per_minute;
	if (!a->on)
		return 0;
	log_info("alerts: scripts=%zu snmp_receivers=%zu min_severity=%s per_minute=%u",
		 h->cfg.n_alert_scripts, h->cfg.n_snmp,
		 event_severity_name(h->cfg.alert_min_severity), h->cfg.alert_per_minute);

	schedule(h);
	return 0;
}

static void alerts_stop(struct havmd *h)
{
	struct alerts_state *a = &h->alerts;

	if (a->timer)
		qb_loop_timer_del(h->loop, (qb_loop_timer_handle)a->timer);
	a->timer = 0;
	a->on = false;
}

const struct havmd_service alerts_service = {
	.name = "alerts",
	.start = alerts_start,
	.stop = alerts_stop,
};
