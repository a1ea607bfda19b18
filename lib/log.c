/*
 * log.c: qb_log set up the way havm wants it.
 *
 * Policy (after sanlock's): what reaches syslog at warning or above is
 * something that should not happen and an operator should look at. Debug
 * detail always goes to the blackbox, an in-memory ring that costs nothing
 * to keep and that `havm debug dump` retrieves after the fact.
 */
#include "log.h"

#include <errno.h>
#include <string.h>
#include <syslog.h>

/*
 * libqb logs every connection it refuses on our word ("Invalid IPC
 * credentials", at error level) and every failed setup. Anyone on the host
 * can cause those, as often as they like: keep them in the blackbox only.
 * ctl_server.c logs refusals itself, rate-limited, with uid and reason.
 */
static void quiet_libqb_refusals(struct qb_log_callsite *cs)
{
	static const char *const noisy[] = { "Invalid IPC credentials",
					     "Denied connection, is not ready",
					     "Error in connection setup" };

	if (!cs->format)
		return;
	for (size_t i = 0; i < sizeof(noisy) / sizeof(noisy[0]); i++) {
		if (strncmp(cs->format, noisy[i], strlen(noisy[i])) == 0) {
			qb_bit_clear(cs->targets, QB_LOG_SYSLOG);
			qb_bit_clear(cs->targets, QB_LOG_STDERR);
		}
	}
}

void havm_log_init(const struct havm_log_opts *o)
{
	int prio = o->debug ? LOG_DEBUG : LOG_INFO;

	qb_log_init(o->ident, o->facility, LOG_INFO);
	/* qb_log_init enables syslog; in the foreground, stderr replaces it. */
	qb_log_ctl(QB_LOG_SYSLOG, QB_LOG_CONF_ENABLED, o->to_stderr ? QB_FALSE : QB_TRUE);
	qb_log_filter_ctl(QB_LOG_SYSLOG, QB_LOG_FILTER_ADD, QB_LOG_FILTER_FILE, "*", prio);
	if (o->to_stderr) {
		qb_log_filter_ctl(QB_LOG_STDERR, QB_LOG_FILTER_ADD, QB_LOG_FILTER_FILE, "*", prio);
		/* Timestamps with milliseconds: the harness reads these logs. */
		qb_log_format_set(QB_LOG_STDERR, "%T %N %p [%P] %b");
		qb_log_ctl(QB_LOG_STDERR, QB_LOG_CONF_ENABLED, QB_TRUE);
	}
	if (o->blackbox_kb > 0) {
		qb_log_ctl(QB_LOG_BLACKBOX, QB_LOG_CONF_SIZE, (int32_t)o->blackbox_kb * 1024);
		qb_log_filter_ctl(QB_LOG_BLACKBOX, QB_LOG_FILTER_ADD, QB_LOG_FILTER_FILE, "*",
				  LOG_DEBUG);
		qb_log_ctl(QB_LOG_BLACKBOX, QB_LOG_CONF_ENABLED, QB_TRUE);
	}
	qb_log_filter_fn_set(quiet_libqb_refusals);
}

void havm_log_fini(void)
{
	qb_log_fini();
}

int havm_log_blackbox_write(const char *path)
{
	ssize_t rc = qb_log_blackbox_write_to_file(path);
	return rc < 0 ? (int)rc : 0;
}
