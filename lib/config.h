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
#define HAVM_ALERT_SCRIPTS_MAX 4
#define HAVM_SNMP_RECEIVERS_MAX 4 /* trap receivers in alerts.snmp */

#define HAVM_FENCE_LEVELS_MAX 4   /* tried in order; the first that works wins */
#define HAVM_FENCE_DEVICES_MAX 4  /* per level; all must succeed */
#define HAVM_FENCE_ARGS_MAX 12    /* key=value options of an agent device */
#define HAVM_FENCE_ARG_MAX 127    /* one "key=value", without the NUL */

enum havm_fence_kind {
	HAVM_FENCE_IPMI = 1,  /* native IPMI 2.0 (lanplus) through FreeIPMI */
	HAVM_FENCE_AGENT = 2, /* a program following the fence-agents API */
};

enum havm_fence_action {
	HAVM_FENCE_ACTION_OFF = 1,    /* power off; the host stays off */
	HAVM_FENCE_ACTION_REBOOT = 2, /* verified off, then power on */
};

/*
 * storage.watchdog: whether this host's sanlock runs with a watchdog (wdmd).
 * A host whose storage heartbeat sanlock reports dead is taken as fenced
 * (the fallback when no fence level works) only if that host's sanlock
 * runs with a watchdog: only then is a host that lost its lease sure to
 * have been reset. See havm.conf(5). REQUIRED is 0, so that the fields of
 * an absent storage group, left zero, read as the default.
 */
enum havm_watchdog_mode {
	HAVM_WATCHDOG_REQUIRED = 0, /* checked at start and every probe, announced */
	HAVM_WATCHDOG_NONE = 1,     /* none announced: no storage fallback for this host */
};

/*
 * vms.isolation: what a host does with its protected VMs when it has lost
 * quorum for vms.isolation_grace_ms. FREEZE (0, the default): nothing; the
 * quorate side fences it and restarts them. STOP: it stops them, which
 * frees their leases, so that the quorate side can restart them even when
 * it cannot fence this host.
 */
enum havm_isolation {
	HAVM_ISOLATION_FREEZE = 0,
	HAVM_ISOLATION_STOP = 1,
};

/*
 * vms.migration: how a host's libvirtd reaches another's for a live
 * migration: qemu+ssh://ADDRESS/system (root's ssh keys between hosts),
 * qemu+tls://ADDRESS/system (libvirt's TLS certificates), or
 * qemu+tcp://ADDRESS/system (no authentication: test beds only). The
 * memory itself goes over qemu's own stream, tcp://ADDRESS.
 */
enum havm_migration {
	HAVM_MIGRATION_SSH = 0,
	HAVM_MIGRATION_TLS = 1,
	HAVM_MIGRATION_TCP = 2,
};

/* balance.load_source: how a host's CPU load is measured. */
enum havm_load_source {
	HAVM_LOAD_DOMAINS = 0, /* the sum of its domains' CPU time (libvirt) */
	HAVM_LOAD_HOST = 1,    /* the host's /proc/stat: everything it runs */
};

struct havm_fence_device {
	enum havm_fence_kind kind;
	char name[HAVM_NAME_MAX + 1];          /* names the device in logs */
	/* ipmi */
	char address[HAVM_NAME_MAX * 4 + 4];   /* host name or IP of the BMC */
	uint32_t port;                          /* UDP, default 623 */
	char user[HAVM_NAME_MAX + 1];
	char password_file[HAVM_PATH_MAX + 1]; /* mode 0600, read when fencing */
	uint32_t privilege;                     /* 2 user, 3 operator (default), 4 admin */
	uint32_t cipher_suite;                  /* default 3 */
	/* agent */
	char agent[HAVM_PATH_MAX + 1];          /* absolute path of the program */
	char args[HAVM_FENCE_ARGS_MAX][HAVM_FENCE_ARG_MAX + 1]; /* "key=value" for stdin */
	size_t n_args;
};

struct havm_fence_level {
	struct havm_fence_device devices[HAVM_FENCE_DEVICES_MAX];
	size_t n_devices;
};

struct havm_host {
	char name[HAVM_NAME_MAX + 1];
	uint32_t nodeid;     /* corosync node id, 1..UINT32_MAX-1 */
	struct havm_fence_level fence[HAVM_FENCE_LEVELS_MAX];
	size_t fence_levels; /* 0: this host cannot be fenced by power */
	uint32_t fence_delay_ms; /* wait before fencing this host (settles races) */
	/* Host name or address other hosts' libvirtd reach it at (live
	 * migration); empty: the host's name. */
	char address[HAVM_NAME_MAX * 4 + 4];
};

/* alerts.snmp: SNMP versions, the kinds of a receiver entry (from 1). */
enum havm_snmp_version {
	HAVM_SNMP_V2C = 1, /* community in community_file */
	HAVM_SNMP_V3 = 2,  /* USM user, authPriv: HMAC-SHA-96 and AES-128 */
};

/* One trap receiver of alerts.snmp. Secrets are read from their files
 * (mode 0600, root's) at each send, never kept here. */
struct havm_snmp_receiver {
	char address[HAVM_NAME_MAX * 4 + 4]; /* net-snmp transport: "udp:HOST:PORT" */
	enum havm_snmp_version version;
	char community_file[HAVM_PATH_MAX + 1];     /* v2c */
	char user[HAVM_NAME_MAX + 1];               /* v3 */
	char auth_password_file[HAVM_PATH_MAX + 1]; /* v3 */
	char priv_password_file[HAVM_PATH_MAX + 1]; /* v3 */
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
	/*
	 * storage.tiebreaker (default false): havmd registers a corosync quorum
	 * device "havm" and competes for the tiebreaker lease on the storage;
	 * the partition holding it gets the device's vote, so an even split
	 * keeps one quorate half. corosync.conf must declare the device:
	 * quorum { device { model: havm; votes: 1; ... } }.
	 */
	bool storage_tiebreaker;
	/* storage.watchdog, default "required" (see enum havm_watchdog_mode). */
	enum havm_watchdog_mode storage_watchdog;
	/*
	 * storage.unsafe_no_watchdog_for_tests (default false): announce a
	 * watchdog this host does not have, so that test beds without
	 * /dev/watchdog can exercise the storage fallback. Never in
	 * production; refused together with watchdog = "none".
	 */
	bool storage_unsafe_no_watchdog;
	/*
	 * vms: VM high availability; off (config_vms_on false: shared_dir
	 * empty) when havm.conf has no vms group. It needs the storage group:
	 * every protected VM holds a lease there, which is what keeps it from
	 * running on two hosts.
	 */
	char vms_shared_dir[HAVM_PATH_MAX + 1]; /* VM XMLs and disks must be under it */
	uint32_t vms_max_parallel_starts;       /* starts under way at once, cluster-wide */
	uint32_t vms_max_migrations;            /* live migrations under way, cluster-wide */
	uint32_t vms_max_migrations_host;       /* ... per host, in or out */
	uint32_t vms_vcpu_ratio;                /* vCPUs placed per physical CPU */
	uint32_t vms_start_timeout_ms;          /* one start, until libvirt answers */
	enum havm_isolation vms_isolation;      /* without quorum: freeze or stop VMs */
	enum havm_migration vms_migration;      /* how libvirtd reaches another's */
	/* vms.unsafe_migration_for_tests: migrate even where libvirt cannot
	 * tell the disks are shared (test beds with a local "shared" dir). */
	bool vms_unsafe_migration;
	uint32_t vms_isolation_grace_ms;        /* ... after this long without quorum */
	/* balance: CPU-load balancing by live migration; off when absent
	 * (balance_high_pct 0) */
	uint32_t balance_high_pct;              /* a host above this ... */
	uint32_t balance_hold_ms;               /* ... for this long sheds a VM */
	uint32_t balance_cooldown_ms;           /* a VM moves at most once per this */
	uint32_t balance_min_gain_pct;          /* points a move must gain */
	uint32_t balance_window_ms;             /* loads are smoothed over this */
	enum havm_load_source balance_load_source;
	/* alerts: every event of at least alert_min_severity to each script */
	char alert_scripts[HAVM_ALERT_SCRIPTS_MAX][HAVM_PATH_MAX + 1];
	size_t n_alert_scripts;
	uint32_t alert_timeout_ms;              /* a script run longer is killed */
	uint32_t alert_per_minute;              /* more are counted, then summarised */
	int alert_min_severity;                 /* LOG_ERR ... LOG_INFO */
	/* ... and as a trap to each SNMP receiver (HAVM-MIB) */
	struct havm_snmp_receiver snmp[HAVM_SNMP_RECEIVERS_MAX];
	size_t n_snmp;
	/* fencing */
	enum havm_fence_action fence_action;
	uint32_t fence_timeout_ms;       /* one device: action until verified off */
	uint32_t fence_retry_ms;         /* first retry after every level failed */
	uint32_t fence_retry_max_ms;     /* back-off cap */
};

/*
 * Parse and check PATH into *CFG. Returns 0, or -errno with a message in
 * ERR ("FILE:LINE: what is wrong") for the caller to print or log.
 */
/* Whether VM high availability is configured (the vms group). */
static inline bool config_vms_on(const struct havm_config *cfg)
{
	return cfg->vms_shared_dir[0] != '\0';
}

/* Whether CPU-load balancing is configured (the balance group). */
static inline bool config_balance_on(const struct havm_config *cfg)
{
	return cfg->balance_high_pct != 0;
}

int config_load(const char *path, struct havm_config *cfg, char *err, size_t errlen);

/* Host entry with this node id / name, or NULL. */
const struct havm_host *config_host_by_nodeid(const struct havm_config *cfg, uint32_t nodeid);
const struct havm_host *config_host_by_name(const struct havm_config *cfg, const char *name);

#endif
