/* alert.c: see alert.h. */
#include "alert.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#define MINUTE_MS 60000

struct env_out {
	struct alert_env *env;
	size_t used, n;
	bool over;
};

static void put(struct env_out *o, const char *key, const char *value)
{
	size_t cap = sizeof(o->env->buf) - o->used;
	int n;

	if (o->over || o->n >= ALERT_ENV_MAX) {
		o->over = true;
		return;
	}
	n = snprintf(o->env->buf + o->used, cap, "%s=%s", key, value);
	if (n < 0 || (size_t)n >= cap) {
		o->over = true;
		return;
	}
	o->env->envp[o->n++] = o->env->buf + o->used;
	o->used += (size_t)n + 1;
}

int alert_env_build(struct alert_env *env, const struct event_rec *e, const char *cluster,
		    const char *from)
{
	struct env_out o = { .env = env };
	char num[32], seq[32], stamp[64], epoch[32], usec[16];
	time_t secs = (time_t)(e->time_ms / 1000);
	struct tm tm;

	memset(env, 0, sizeof(*env));
	gmtime_r(&secs, &tm);
	snprintf(stamp, sizeof(stamp), "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (unsigned)(e->time_ms % 1000));
	snprintf(epoch, sizeof(epoch), "%llu", (unsigned long long)(e->time_ms / 1000));
	snprintf(usec, sizeof(usec), "%06u", (unsigned)(e->time_ms % 1000) * 1000);
	snprintf(seq, sizeof(seq), "%llu", (unsigned long long)e->seq);
	num[0] = '\0';
	if (e->nodeid)
		snprintf(num, sizeof(num), "%u", e->nodeid);
	put(&o, "PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
	put(&o, "HAVM_ALERT_KIND", event_type_name(e->type));
	put(&o, "HAVM_ALERT_SEVERITY", event_severity_name(e->severity));
	put(&o, "HAVM_ALERT_NODE", e->host);
	put(&o, "HAVM_ALERT_NODEID", num);
	put(&o, "HAVM_ALERT_VM", e->vm);
	put(&o, "HAVM_ALERT_DESC", e->text);
	put(&o, "HAVM_ALERT_TIMESTAMP", stamp);
	put(&o, "HAVM_ALERT_TIMESTAMP_EPOCH", epoch);
	put(&o, "HAVM_ALERT_TIMESTAMP_USEC", usec);
	put(&o, "HAVM_ALERT_SEQUENCE", seq);
	put(&o, "HAVM_ALERT_CLUSTER", cluster);
	put(&o, "HAVM_ALERT_FROM", from);
	put(&o, "CRM_alert_kind", "havm");
	put(&o, "CRM_alert_node", e->host);
	put(&o, "CRM_alert_desc", e->text);
	put(&o, "CRM_alert_timestamp", stamp);
	put(&o, "CRM_alert_node_sequence", seq);
	put(&o, "CRM_alert_version", "havm");
	if (o.over)
		return -ENOSPC;
	env->envp[o.n] = NULL;
	return 0;
}

bool alert_wanted(const struct event_rec *e, int min_severity, uint32_t local, bool coordinator)
{
	if (e->severity > min_severity)
		return false; /* syslog levels: lower is more severe */
	return coordinator || (e->nodeid != 0 && e->nodeid == local);
}

static void roll(struct alert_rate *r, uint64_t now_ms)
{
	if (!r->window_ms || now_ms - r->window_ms >= MINUTE_MS) {
		r->window_ms = now_ms;
		r->sent = 0;
	}
}

bool alert_rate_take(struct alert_rate *r, uint64_t now_ms)
{
	roll(r, now_ms);
	if (r->sent < r->per_minute) {
		r->sent++;
		return true;
	}
	r->suppressed++;
	return false;
}

uint64_t alert_rate_summary(struct alert_rate *r, uint64_t now_ms)
{
	uint64_t n = r->suppressed;

	if (!n || (r->window_ms && now_ms - r->window_ms < MINUTE_MS))
		return 0;
	roll(r, now_ms);
	r->suppressed = 0;
	r->sent++; /* the summary is one of this minute's */
	return n;
}
