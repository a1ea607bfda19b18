/*
 * config_tables.c: every group and key of havm.conf, as data.
 *
 * Each group of the file (the top level, "cluster", each host entry, each
 * fence device, "timers", "log", "storage", "fencing") has one table listing
 * its keys with type, whether the key is required, its range and its
 * default; config_parse.c walks them. A row's comment says why its range
 * and default are what they are.
 *
 * Adding a setting is adding a field to struct havm_config and a row here;
 * the man page havm.conf(5) and conf/havm.conf document the same rows.
 */
#include "config_int.h"

#include <syslog.h>

/*
 * Offset of FIELD in TYPE, refused at compile time unless the field has C
 * type CTYPE: a table row can then never write a uint32_t into a bool.
 */
#define FIELD(type, field, ctype) _Generic(((type *)0)->field, ctype: offsetof(type, field))

#define GROUP(where_, keys_)                                                                       \
	{                                                                                          \
		.where = (where_), .keys = (keys_), .n_keys = ARRAY_SIZE(keys_)                    \
	}

static const struct config_choice facility_names[] = {
	{ "daemon", LOG_DAEMON }, { "user", LOG_USER },	  { "local0", LOG_LOCAL0 },
	{ "local1", LOG_LOCAL1 }, { "local2", LOG_LOCAL2 }, { "local3", LOG_LOCAL3 },
	{ "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 }, { "local6", LOG_LOCAL6 },
	{ "local7", LOG_LOCAL7 },
};

static const struct config_choice device_type_names[] = {
	{ "ipmi", HAVM_FENCE_IPMI },
	{ "agent", HAVM_FENCE_AGENT },
};

/* The IPMI specification's numbers. Callback (1) cannot change the power. */
static const struct config_choice privilege_names[] = {
	{ "user", 2 },
	{ "operator", 3 },
	{ "admin", 4 },
};

static const struct config_choice action_names[] = {
	{ "off", HAVM_FENCE_ACTION_OFF },
	{ "reboot", HAVM_FENCE_ACTION_REBOOT },
};

static const struct config_choice isolation_names[] = {
	{ "freeze", HAVM_ISOLATION_FREEZE },
	{ "stop", HAVM_ISOLATION_STOP },
};

static const struct config_choice migration_names[] = {
	{ "ssh", HAVM_MIGRATION_SSH },
	{ "tls", HAVM_MIGRATION_TLS },
	{ "tcp", HAVM_MIGRATION_TCP },
};

static const struct config_choice watchdog_names[] = {
	{ "required", HAVM_WATCHDOG_REQUIRED },
	{ "none", HAVM_WATCHDOG_NONE },
};

#define CHOICES(a)                                                                                 \
	{                                                                                          \
		.v = (a), .n = ARRAY_SIZE(a)                                                       \
	}

static const struct config_choices facilities = CHOICES(facility_names);
static const struct config_choices device_types = CHOICES(device_type_names);
static const struct config_choices privileges = CHOICES(privilege_names);
static const struct config_choices actions = CHOICES(action_names);
static const struct config_choices watchdogs = CHOICES(watchdog_names);
static const struct config_choices isolations = CHOICES(isolation_names);
static const struct config_choices migrations = CHOICES(migration_names);

static const struct config_choice load_source_names[] = {
	{ "domains", HAVM_LOAD_DOMAINS },
	{ "host", HAVM_LOAD_HOST },
};
static const struct config_choices load_sources = CHOICES(load_source_names);

static const struct config_choice severity_names[] = {
	{ "err", LOG_ERR },
	{ "warning", LOG_WARNING },
	{ "notice", LOG_NOTICE },
	{ "info", LOG_INFO },
};
static const struct config_choices severities = CHOICES(severity_names);

static const struct config_choice snmp_version_names[] = {
	{ "2c", HAVM_SNMP_V2C },
	{ "3", HAVM_SNMP_V3 },
};
static const struct config_choices snmp_versions = CHOICES(snmp_version_names);

#define IPMI KIND(HAVM_FENCE_IPMI)
#define AGENT KIND(HAVM_FENCE_AGENT)

/* Rows of one kind only follow "type": a missing type is reported first. */
static const struct config_key device_keys[] = {
	{ .name = "name", .type = KEY_NAME, .required = true,
	  .offset = FIELD(struct havm_fence_device, name, char *) },
	{ .name = "type", .type = KEY_DEVICE_TYPE, .required = true, .choices = &device_types,
	  .offset = FIELD(struct havm_fence_device, kind, enum havm_fence_kind) },
	{ .name = "address", .type = KEY_ADDRESS, .required = true, .kinds = IPMI,
	  .offset = FIELD(struct havm_fence_device, address, char *) },
	{ .name = "user", .type = KEY_USER, .required = true, .kinds = IPMI,
	  .offset = FIELD(struct havm_fence_device, user, char *) },
	/* A path, not the password: havm.conf is readable by more than root. */
	{ .name = "password_file", .type = KEY_PATH, .required = true, .kinds = IPMI,
	  .offset = FIELD(struct havm_fence_device, password_file, char *) },
	{ .name = "port", .type = KEY_U32, .min = 1, .max = 65535, .def = 623, .kinds = IPMI,
	  .offset = FIELD(struct havm_fence_device, port, uint32_t) },
	/* Operator is the least that may change the power state. */
	{ .name = "privilege", .type = KEY_PRIVILEGE, .def = 3, .choices = &privileges,
	  .kinds = IPMI, .offset = FIELD(struct havm_fence_device, privilege, uint32_t) },
	/* 17 is the highest suite id FreeIPMI knows; 3 is the usual choice. */
	{ .name = "cipher_suite", .type = KEY_U32, .min = 0, .max = 17, .def = 3, .kinds = IPMI,
	  .offset = FIELD(struct havm_fence_device, cipher_suite, uint32_t) },
	{ .name = "agent", .type = KEY_PATH, .required = true, .kinds = AGENT,
	  .offset = FIELD(struct havm_fence_device, agent, char *) },
	{ .name = "args", .type = KEY_ARGS, .kinds = AGENT,
	  .offset = FIELD(struct havm_fence_device, args, char(*)[HAVM_FENCE_ARG_MAX + 1]),
	  .count_offset = FIELD(struct havm_fence_device, n_args, size_t) },
};

#undef IPMI
#undef AGENT

static const struct config_key host_keys[] = {
	{ .name = "name", .type = KEY_NAME, .required = true,
	  .offset = FIELD(struct havm_host, name, char *) },
	/* corosync reserves 0 (no node) and UINT32_MAX (all nodes). */
	{ .name = "nodeid", .type = KEY_U32, .required = true, .min = 1, .max = UINT32_MAX - 1,
	  .offset = FIELD(struct havm_host, nodeid, uint32_t) },
	{ .name = "fence", .type = KEY_FENCE_LEVELS,
	  .offset = FIELD(struct havm_host, fence, struct havm_fence_level *),
	  .count_offset = FIELD(struct havm_host, fence_levels, size_t) },
	/*
	 * When two halves of a split cluster fence each other, a delay on one
	 * host lets the other side win the race. Past a minute the delay only
	 * keeps the host's VMs down for longer.
	 */
	{ .name = "fence_delay_ms", .type = KEY_U32, .min = 0, .max = 60000, .def = 0,
	  .offset = FIELD(struct havm_host, fence_delay_ms, uint32_t) },
	/* Where other hosts' libvirtd reach this one (live migration). */
	{ .name = "address", .type = KEY_ADDRESS,
	  .offset = FIELD(struct havm_host, address, char *) },
};

static const struct config_key cluster_keys[] = {
	{ .name = "name", .type = KEY_NAME, .required = true,
	  .offset = FIELD(struct havm_config, cluster_name, char *) },
};

static const struct config_key timers_keys[] = {
	/*
	 * Below 100 ms a dead corosync turns into a busy loop of failed
	 * connects; above a minute a restarted corosync goes unnoticed for too
	 * long for an HA daemon.
	 */
	{ .name = "reconnect_ms", .type = KEY_U32, .min = 100, .max = 60000, .def = 1000,
	  .offset = FIELD(struct havm_config, reconnect_ms, uint32_t) },
};

static const struct config_key log_keys[] = {
	{ .name = "facility", .type = KEY_FACILITY, .def = LOG_DAEMON, .choices = &facilities,
	  .offset = FIELD(struct havm_config, syslog_facility, int) },
	{ .name = "debug", .type = KEY_BOOL, .def = false,
	  .offset = FIELD(struct havm_config, debug, bool) },
	/* 64 MiB is far more debug history than anyone reads; 0 turns it off. */
	{ .name = "blackbox_kb", .type = KEY_U32, .min = 0, .max = 65536, .def = 1024,
	  .offset = FIELD(struct havm_config, blackbox_kb, uint32_t) },
};

static const struct config_key storage_keys[] = {
	{ .name = "path", .type = KEY_PATH, .required = true,
	  .offset = FIELD(struct havm_config, storage_path, char *) },
	/*
	 * sanlock's io_timeout: a host is seen failing about 8 of these after
	 * its last heartbeat. sanlock's default is 10; below 1 s storage
	 * latency spikes would look like dead hosts.
	 */
	{ .name = "io_timeout", .type = KEY_U32, .min = 1, .max = 60, .def = 10,
	  .offset = FIELD(struct havm_config, storage_io_timeout, uint32_t) },
	/*
	 * Off by default: the quorum device also needs its device block in
	 * corosync.conf (see struct havm_config), which havm cannot write.
	 */
	{ .name = "tiebreaker", .type = KEY_BOOL, .def = false,
	  .offset = FIELD(struct havm_config, storage_tiebreaker, bool) },
	/*
	 * Required by default: sanlock's "dead" proves a host reset only when
	 * a watchdog would have reset it, and a cluster that believes a host
	 * reset when it is not runs its VMs twice.
	 */
	{ .name = "watchdog", .type = KEY_WATCHDOG, .def = HAVM_WATCHDOG_REQUIRED,
	  .choices = &watchdogs,
	  .offset = FIELD(struct havm_config, storage_watchdog, enum havm_watchdog_mode) },
	/*
	 * A claim of a watchdog this host does not have, for test beds without
	 * /dev/watchdog only. The name says so wherever it is written, so that
	 * it cannot be mistaken for a tuning knob.
	 */
	{ .name = "unsafe_no_watchdog_for_tests", .type = KEY_BOOL, .def = false,
	  .offset = FIELD(struct havm_config, storage_unsafe_no_watchdog, bool) },
};

static const struct config_key fencing_keys[] = {
	/* Off by default: a fenced host stays down until someone looks at why. */
	{ .name = "action", .type = KEY_ACTION, .def = HAVM_FENCE_ACTION_OFF, .choices = &actions,
	  .offset = FIELD(struct havm_config, fence_action, enum havm_fence_action) },
	/*
	 * One device, from the command to the power state read back as off:
	 * seconds for a BMC or PDU, so less than one second can only fail.
	 * Past ten minutes a device is hung, and waiting on it longer only
	 * keeps the host's VMs down.
	 */
	{ .name = "timeout_ms", .type = KEY_U32, .min = 1000, .max = 600000, .def = 30000,
	  .offset = FIELD(struct havm_config, fence_timeout_ms, uint32_t) },
	/* After every level failed: retries back off from here to retry_max_ms. */
	{ .name = "retry_ms", .type = KEY_U32, .min = 1000, .max = 600000, .def = 5000,
	  .offset = FIELD(struct havm_config, fence_retry_ms, uint32_t) },
	/* At least retry_ms, which config_check_fencing sees to; at most an hour. */
	{ .name = "retry_max_ms", .type = KEY_U32, .min = 1000, .max = 3600000, .def = 60000,
	  .offset = FIELD(struct havm_config, fence_retry_max_ms, uint32_t) },
};

static const struct config_key vms_keys[] = {
	{ .name = "shared_dir", .type = KEY_PATH, .required = true,
	  .offset = FIELD(struct havm_config, vms_shared_dir, char *) },
	/*
	 * Starts under way at once in the whole cluster. Each is one worker
	 * job on its host (16 at most, fencing's included), and libvirt
	 * acquired ten leases in parallel within a second on the test bed.
	 */
	{ .name = "max_parallel_starts", .type = KEY_U32, .min = 1, .max = 12, .def = 8,
	  .offset = FIELD(struct havm_config, vms_max_parallel_starts, uint32_t) },
	/*
	 * Live migrations under way at once, cluster-wide and per host (as
	 * source or destination): maintenance and balancing both. Small, so
	 * that migrations do not congest the network and each converges
	 * fast; a VM migrates in a second or two when idle.
	 */
	{ .name = "max_parallel_migrations", .type = KEY_U32, .min = 1, .max = 12, .def = 2,
	  .offset = FIELD(struct havm_config, vms_max_migrations, uint32_t) },
	{ .name = "max_migrations_per_host", .type = KEY_U32, .min = 1, .max = 12, .def = 2,
	  .offset = FIELD(struct havm_config, vms_max_migrations_host, uint32_t) },
	/* Idle VMs overcommit vCPUs well; 4 is a common, cautious ratio. */
	{ .name = "vcpu_ratio", .type = KEY_U32, .min = 1, .max = 64, .def = 4,
	  .offset = FIELD(struct havm_config, vms_vcpu_ratio, uint32_t) },
	/*
	 * A start takes under a second once libvirt is warm; a minute covers
	 * a slow storage, and past it the VM is tried elsewhere.
	 */
	{ .name = "start_timeout_ms", .type = KEY_U32, .min = 5000, .max = 600000, .def = 60000,
	  .offset = FIELD(struct havm_config, vms_start_timeout_ms, uint32_t) },
	/*
	 * Freeze by default: a host that stops its VMs on losing quorum turns
	 * a network fault that splits every host from every other (or a
	 * two-host cluster without tiebreaker) into an outage of every VM.
	 */
	{ .name = "isolation", .type = KEY_ISOLATION, .def = HAVM_ISOLATION_FREEZE,
	  .choices = &isolations,
	  .offset = FIELD(struct havm_config, vms_isolation, enum havm_isolation) },
	/*
	 * Longer than a membership change takes to settle (seconds), short
	 * enough that the quorate side restarts the VMs within a minute or two
	 * when it cannot fence.
	 */
	{ .name = "isolation_grace_ms", .type = KEY_U32, .min = 5000, .max = 600000,
	  .def = 30000, .offset = FIELD(struct havm_config, vms_isolation_grace_ms, uint32_t) },
	/* ssh by default: it needs nothing but root's keys, and is encrypted
	 * and authenticated; tcp is for test beds. */
	{ .name = "migration", .type = KEY_MIGRATION, .def = HAVM_MIGRATION_SSH,
	  .choices = &migrations,
	  .offset = FIELD(struct havm_config, vms_migration, enum havm_migration) },
	/*
	 * libvirt refuses a live migration unless every disk is on a file
	 * system it knows to be shared (NFS, GFS2, ...): right on a real
	 * cluster. Test beds whose shared storage is a local directory need
	 * this; the name says what it is.
	 */
	{ .name = "unsafe_migration_for_tests", .type = KEY_BOOL, .def = false,
	  .offset = FIELD(struct havm_config, vms_unsafe_migration, bool) },
};

const struct config_group config_device_group = {
	.where = " in fence device", .keys = device_keys, .n_keys = ARRAY_SIZE(device_keys),
	.kind_key = "type", .kind_noun = "device",
};
const struct config_group config_host_group = GROUP(" in host entry", host_keys);
static const struct config_group storage_group = {
	.where = " in group \"storage\"", .keys = storage_keys,
	.n_keys = ARRAY_SIZE(storage_keys), .absent_means_off = true,
	.check = config_check_storage,
};
static const struct config_group fencing_group = {
	.where = " in group \"fencing\"", .keys = fencing_keys,
	.n_keys = ARRAY_SIZE(fencing_keys), .check = config_check_fencing,
};
static const struct config_group vms_group = {
	.where = " in group \"vms\"", .keys = vms_keys, .n_keys = ARRAY_SIZE(vms_keys),
	.absent_means_off = true, .check = config_check_vms,
};
/*
 * balance: a host above high_threshold percent of its CPUs for hold_time_ms
 * sheds one VM at a time by live migration (lib/vm_balance.c). Percent of
 * the host's CPUs, so up to 100 on a real host; a test bed whose hosts
 * share one machine's CPUs can read more.
 */
static const struct config_key balance_keys[] = {
	{ .name = "high_threshold", .type = KEY_U32, .min = 1, .max = 1000, .def = 80,
	  .offset = FIELD(struct havm_config, balance_high_pct, uint32_t) },
	/* Long enough that a burst (a backup, a boot) moves nothing. */
	{ .name = "hold_time_ms", .type = KEY_U32, .min = 1000, .max = 3600000, .def = 120000,
	  .offset = FIELD(struct havm_config, balance_hold_ms, uint32_t) },
	{ .name = "cooldown_ms", .type = KEY_U32, .min = 0, .max = 86400000, .def = 900000,
	  .offset = FIELD(struct havm_config, balance_cooldown_ms, uint32_t) },
	{ .name = "min_gain", .type = KEY_U32, .min = 0, .max = 100, .def = 5,
	  .offset = FIELD(struct havm_config, balance_min_gain_pct, uint32_t) },
	{ .name = "window_ms", .type = KEY_U32, .min = 1000, .max = 600000, .def = 30000,
	  .offset = FIELD(struct havm_config, balance_window_ms, uint32_t) },
	{ .name = "load_source", .type = KEY_LOAD_SOURCE, .def = HAVM_LOAD_DOMAINS,
	  .choices = &load_sources,
	  .offset = FIELD(struct havm_config, balance_load_source, enum havm_load_source) },
};
static const struct config_group balance_group = {
	.where = " in group \"balance\"", .keys = balance_keys,
	.n_keys = ARRAY_SIZE(balance_keys), .absent_means_off = true,
	.check = config_check_balance,
};
#define V2C KIND(HAVM_SNMP_V2C)
#define V3 KIND(HAVM_SNMP_V3)

/*
 * One SNMP trap receiver of alerts.snmp. Files, not secrets: havm.conf is
 * readable by more than root. v3 is authPriv only (HMAC-SHA-96, AES-128):
 * a trap telling of a fenced host is not for anyone on the path to read or
 * forge, and noAuth or authNoPriv would be a choice to get wrong.
 */
static const struct config_key snmp_keys[] = {
	{ .name = "address", .type = KEY_SNMP_ADDRESS, .required = true,
	  .offset = FIELD(struct havm_snmp_receiver, address, char *) },
	{ .name = "version", .type = KEY_SNMP_VERSION, .required = true, .choices = &snmp_versions,
	  .offset = FIELD(struct havm_snmp_receiver, version, enum havm_snmp_version) },
	{ .name = "community_file", .type = KEY_PATH, .required = true, .kinds = V2C,
	  .offset = FIELD(struct havm_snmp_receiver, community_file, char *) },
	{ .name = "user", .type = KEY_USER, .required = true, .kinds = V3,
	  .offset = FIELD(struct havm_snmp_receiver, user, char *) },
	{ .name = "auth_password_file", .type = KEY_PATH, .required = true, .kinds = V3,
	  .offset = FIELD(struct havm_snmp_receiver, auth_password_file, char *) },
	{ .name = "priv_password_file", .type = KEY_PATH, .required = true, .kinds = V3,
	  .offset = FIELD(struct havm_snmp_receiver, priv_password_file, char *) },
};

#undef V2C
#undef V3

const struct config_group config_snmp_group = {
	.where = " in SNMP receiver", .keys = snmp_keys, .n_keys = ARRAY_SIZE(snmp_keys),
	.kind_key = "version", .kind_noun = "SNMP receiver", .kind_prefix = "version ",
};

/*
 * alerts: each event goes to each script (run without a shell, the event
 * in its environment, off the loop, killed after timeout_ms), at most
 * per_minute of them; the rest are counted and summarised.
 */
static const struct config_key alerts_keys[] = {
	{ .name = "scripts", .type = KEY_PATHS,
	  .offset = FIELD(struct havm_config, alert_scripts, char (*)[HAVM_PATH_MAX + 1]),
	  .count_offset = offsetof(struct havm_config, n_alert_scripts) },
	{ .name = "timeout_ms", .type = KEY_U32, .min = 1000, .max = 600000, .def = 10000,
	  .offset = FIELD(struct havm_config, alert_timeout_ms, uint32_t) },
	{ .name = "per_minute", .type = KEY_U32, .min = 1, .max = 6000, .def = 60,
	  .offset = FIELD(struct havm_config, alert_per_minute, uint32_t) },
	{ .name = "min_severity", .type = KEY_SEVERITY, .def = LOG_NOTICE, .choices = &severities,
	  .offset = FIELD(struct havm_config, alert_min_severity, int) },
	/* The same events, as HAVM-MIB traps, to each receiver. */
	{ .name = "snmp", .type = KEY_SNMP_RECEIVERS,
	  .offset = FIELD(struct havm_config, snmp, struct havm_snmp_receiver *),
	  .count_offset = offsetof(struct havm_config, n_snmp) },
};
static const struct config_group alerts_group = {
	.where = " in group \"alerts\"", .keys = alerts_keys, .n_keys = ARRAY_SIZE(alerts_keys),
	.absent_means_off = true,
};
static const struct config_group cluster_group = GROUP(" in group \"cluster\"", cluster_keys);
static const struct config_group timers_group = GROUP(" in group \"timers\"", timers_keys);
static const struct config_group log_group = GROUP(" in group \"log\"", log_keys);

static const struct config_key top_keys[] = {
	{ .name = "cluster", .type = KEY_GROUP, .required = true, .group = &cluster_group },
	{ .name = "hosts", .type = KEY_HOSTS, .required = true },
	{ .name = "timers", .type = KEY_GROUP, .group = &timers_group },
	{ .name = "log", .type = KEY_GROUP, .group = &log_group },
	{ .name = "storage", .type = KEY_GROUP, .group = &storage_group },
	{ .name = "fencing", .type = KEY_GROUP, .group = &fencing_group },
	{ .name = "vms", .type = KEY_GROUP, .group = &vms_group },
	{ .name = "balance", .type = KEY_GROUP, .group = &balance_group },
	{ .name = "alerts", .type = KEY_GROUP, .group = &alerts_group },
};

const struct config_group config_top_group = GROUP("", top_keys);

_Static_assert(ARRAY_SIZE(device_keys) <= CONFIG_GROUP_KEYS_MAX, "device_keys");
_Static_assert(ARRAY_SIZE(host_keys) <= CONFIG_GROUP_KEYS_MAX, "host_keys");
_Static_assert(ARRAY_SIZE(cluster_keys) <= CONFIG_GROUP_KEYS_MAX, "cluster_keys");
_Static_assert(ARRAY_SIZE(timers_keys) <= CONFIG_GROUP_KEYS_MAX, "timers_keys");
_Static_assert(ARRAY_SIZE(log_keys) <= CONFIG_GROUP_KEYS_MAX, "log_keys");
_Static_assert(ARRAY_SIZE(storage_keys) <= CONFIG_GROUP_KEYS_MAX, "storage_keys");
_Static_assert(ARRAY_SIZE(fencing_keys) <= CONFIG_GROUP_KEYS_MAX, "fencing_keys");
_Static_assert(ARRAY_SIZE(vms_keys) <= CONFIG_GROUP_KEYS_MAX, "vms_keys");
_Static_assert(ARRAY_SIZE(balance_keys) <= CONFIG_GROUP_KEYS_MAX, "balance_keys");
_Static_assert(ARRAY_SIZE(snmp_keys) <= CONFIG_GROUP_KEYS_MAX, "snmp_keys");
_Static_assert(ARRAY_SIZE(alerts_keys) <= CONFIG_GROUP_KEYS_MAX, "alerts_keys");
_Static_assert(ARRAY_SIZE(top_keys) <= CONFIG_GROUP_KEYS_MAX, "top_keys");
