/*
 * log.h: logging on libqb's qb_log.
 *
 * Messages read "subsystem: event key=value ...". Levels mean something:
 * log_err is for what an operator must act on; log_info for normal events;
 * log_debug goes to the in-memory blackbox ring always and elsewhere only
 * with debug on. The blackbox is what `havm debug dump` prints.
 */
#ifndef HAVM_LOG_H
#define HAVM_LOG_H

#include <qb/qblog.h>
#include <stdbool.h>
#include <stdint.h>

struct havm_log_opts {
	const char *ident;    /* syslog ident, e.g. "havmd" */
	bool to_stderr;       /* foreground: stderr instead of syslog */
	bool debug;           /* debug level to syslog/stderr as well */
	int facility;         /* syslog facility */
	uint32_t blackbox_kb; /* 0: no blackbox */
};

void havm_log_init(const struct havm_log_opts *o);
void havm_log_fini(void);
/* Write the blackbox ring to PATH. 0 or -errno. */
int havm_log_blackbox_write(const char *path);

#define log_err(fmt, ...)    qb_log(LOG_ERR, fmt, ##__VA_ARGS__)
#define log_warn(fmt, ...)   qb_log(LOG_WARNING, fmt, ##__VA_ARGS__)
#define log_notice(fmt, ...) qb_log(LOG_NOTICE, fmt, ##__VA_ARGS__)
#define log_info(fmt, ...)   qb_log(LOG_INFO, fmt, ##__VA_ARGS__)
#define log_debug(fmt, ...)  qb_log(LOG_DEBUG, fmt, ##__VA_ARGS__)

#endif
