/*
 * config.h: havm.conf, the per-host daemon configuration.
 *
 * Parsed with libconfig and checked strictly against a table of known keys:
 * an unknown key, a wrong type, a number out of range, a duplicate host name
 * or node id is an error naming file and line. Nothing is defaulted silently
 * except the documented defaults below.
 */
#ifndef HAVM_CONFIG_H
#define HAVM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HAVM_CONFIG_DEFAULT_PATH "/etc/havm/havm.conf"
#define HAVM_NAME_MAX 63    /* cluster and host names, without the NUL */
#define HAVM_HOSTS_MAX 32   /* corosync's practical limit for one cluster */
#define HAVM_PATH_MAX 1023  /* sanlock's path limit, without the NUL */

struct havm_host {
	char name[HAVM_NAME_MAX + 1];
	uint32_t nodeid;     /* corosync node id, 1..UINT32_MAX-1 */
	size_t fence_levels; /* placeholder until fencing lands: always 0 */
};

struct havm_config {
	char cluster_name[HAVM_NAME_MAX + 1];
	struct havm_host hosts[HAVM_HOSTS_MAX];
	size_t n_hosts;
	/* timers */
	uint32_t reconnect_ms; /* corosync reconnect interval */
	/* log */
	int syslog_facility;   /* LOG_DAEMON etc. */
	bool debug;            /* debug messages to syslog/stderr too */
	uint32_t blackbox_kb;  /* size of the in-memory debug ring */
	/* storage: empty when havm.conf has no storage group */
	char storage_path[HAVM_PATH_MAX + 1];
	uint32_t storage_io_timeout; /* seconds; sanlock's io_timeout */
};

/*
 * Parse and check PATH into *CFG. Returns 0, or -errno with a message in
 * ERR ("FILE:LINE: what is wrong") for the caller to print or log.
 */
int config_load(const char *path, struct havm_config *cfg, char *err, size_t errlen);

/* Host entry with this node id / name, or NULL. */
const struct havm_host *config_host_by_nodeid(const struct havm_config *cfg, uint32_t nodeid);
const struct havm_host *config_host_by_name(const struct havm_config *cfg, const char *name);

#endif
