/*
 * config.c: read and check havm.conf.
 *
 * libconfig does the lexing; everything else is driven by the tables below.
 * Each group of the file (the top level, "cluster", each host entry, each
 * fence device, "timers", "log", "storage", "fencing") has one table listing
 * its keys with type, whether the key is required, its range and its
 * default. A key that is in no table, a value of the wrong type or out of
 * range, a missing required key is an error naming file and line, and
 * loading stops at the first error: a daemon that guesses at what its
 * operator meant is worse than one that refuses to start.
 *
 * Adding a setting is adding a field to struct havm_config and a row to a
 * table; the man page havm.conf(5) and conf/havm.conf document the same rows.
 *
 * Fence devices are the one group with kinds: "type" says whether a device is
 * ipmi or agent, and the rows of the other kind are errors there, not
 * silently ignored settings. Only syntax is checked here: whether a password
 * file exists and is private is checked when fencing, where it matters.
 */
#include "config.h"

#include "text_escape.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libconfig.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* No group has more keys than this; checked at compile time per table. */
#define CONFIG_GROUP_KEYS_MAX 12

enum config_key_type {
	KEY_GROUP,        /* nested group checked against key->group */
	KEY_HOSTS,        /* the list of host entries */
	KEY_FENCE_LEVELS, /* list of lists of fence devices into struct havm_fence_level[] */
	KEY_NAME,         /* cluster, host or device name into char[HAVM_NAME_MAX + 1] */
	KEY_U32,          /* integer in [min, max] into uint32_t */
	KEY_BOOL,         /* libconfig boolean into bool */
	KEY_FACILITY,     /* syslog facility name into int (LOG_DAEMON...) */
	KEY_PATH,         /* absolute path into char[HAVM_PATH_MAX + 1] */
	KEY_DEVICE_TYPE,  /* "ipmi" or "agent" into enum havm_fence_kind */
	KEY_PRIVILEGE,    /* IPMI privilege level name into uint32_t (2, 3 or 4) */
	KEY_ACTION,       /* "off" or "reboot" into enum havm_fence_action */
	KEY_ADDRESS,      /* BMC host name or IP address into the device's address */
	KEY_USER,         /* IPMI user into char[HAVM_NAME_MAX + 1] */
	KEY_ARGS,         /* list of "key=value" into char[][HAVM_FENCE_ARG_MAX + 1] */
};

/* The names a string setting may take, and what each stands for. */
struct config_choice {
	const char *name;
	int value;
};

struct config_choices {
	const struct config_choice *v;
	size_t n;
};

struct config_ctx;
struct config_group;

/* Bit of a kind in config_key.kinds; kinds start at 1, so 0 is no kind. */
#define KIND(kind) (1u << (kind))

struct config_key {
	const char *name;
	enum config_key_type type;
	bool required;
	int64_t min, max;    /* KEY_U32 range, inclusive */
	int64_t def;         /* default when absent (KEY_U32, KEY_BOOL and the choice types) */
	size_t offset;       /* of the field in the struct the group fills */
	size_t count_offset; /* list types but KEY_HOSTS: of the size_t entry count */
	const struct config_group *group;     /* KEY_GROUP: its keys */
	const struct config_choices *choices; /* KEY_FACILITY and the like: the names */
	unsigned int kinds; /* in a group with kinds: KIND() of those with this key; 0 all */
};

struct config_group {
	/* Completes messages: "unknown setting "x"<where>". Empty at top level. */
	const char *where;
	const struct config_key *keys;
	size_t n_keys;
	/* An absent group leaves its fields zeroed: the feature is off. Its
	 * required keys are required only when the group is written. */
	bool absent_means_off;
	/* A group with kinds: the key whose value is the kind ("type"), and what
	 * the group is called after the kind's name ("ipmi device"). */
	const char *kind_key;
	const char *kind_noun;
	/* Rules across keys, once all of them are stored or defaulted. */
	int (*check)(struct config_ctx *c, const config_setting_t *set, const void *dst);
};

/*
 * Offset of FIELD in TYPE, refused at compile time unless the field has C
 * type CTYPE: a table row can then never write a uint32_t into a bool.
 */
#define FIELD(type, field, ctype) _Generic(((type *)0)->field, ctype: offsetof(type, field))

#define GROUP(where_, keys_)                                                                       \
	{                                                                                          \
		.where = (where_), .keys = (keys_), .n_keys = ARRAY_SIZE(keys_)                    \
	}

/* ---- the tables ------------------------------------------------------ */

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

#define CHOICES(a)                                                                                 \
	{                                                                                          \
		.v = (a), .n = ARRAY_SIZE(a)                                                       \
	}

static const struct config_choices facilities = CHOICES(facility_names);
static const struct config_choices device_types = CHOICES(device_type_names);
static const struct config_choices privileges = CHOICES(privilege_names);
static const struct config_choices actions = CHOICES(action_names);

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

static int config_check_fencing(struct config_ctx *c, const config_setting_t *set,
				const void *dst);

static const struct config_group device_group = {
	.where = " in fence device", .keys = device_keys, .n_keys = ARRAY_SIZE(device_keys),
	.kind_key = "type", .kind_noun = "device",
};
static const struct config_group host_group = GROUP(" in host entry", host_keys);
static const struct config_group storage_group = {
	.where = " in group \"storage\"", .keys = storage_keys,
	.n_keys = ARRAY_SIZE(storage_keys), .absent_means_off = true,
};
static const struct config_group fencing_group = {
	.where = " in group \"fencing\"", .keys = fencing_keys,
	.n_keys = ARRAY_SIZE(fencing_keys), .check = config_check_fencing,
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
};

static const struct config_group top_group = GROUP("", top_keys);

_Static_assert(ARRAY_SIZE(device_keys) <= CONFIG_GROUP_KEYS_MAX, "device_keys");
_Static_assert(ARRAY_SIZE(host_keys) <= CONFIG_GROUP_KEYS_MAX, "host_keys");
_Static_assert(ARRAY_SIZE(cluster_keys) <= CONFIG_GROUP_KEYS_MAX, "cluster_keys");
_Static_assert(ARRAY_SIZE(timers_keys) <= CONFIG_GROUP_KEYS_MAX, "timers_keys");
_Static_assert(ARRAY_SIZE(log_keys) <= CONFIG_GROUP_KEYS_MAX, "log_keys");
_Static_assert(ARRAY_SIZE(storage_keys) <= CONFIG_GROUP_KEYS_MAX, "storage_keys");
_Static_assert(ARRAY_SIZE(fencing_keys) <= CONFIG_GROUP_KEYS_MAX, "fencing_keys");
_Static_assert(ARRAY_SIZE(top_keys) <= CONFIG_GROUP_KEYS_MAX, "top_keys");

/* ---- errors ---------------------------------------------------------- */

/* A fence device parsed so far: names are unique in the whole file. */
struct config_device_seen {
	const char *name;
	unsigned int line;
};

struct config_ctx {
	const char *path;
	char *err;
	size_t errlen;
	struct havm_config *cfg;
	struct config_device_seen
		devices[HAVM_HOSTS_MAX * HAVM_FENCE_LEVELS_MAX * HAVM_FENCE_DEVICES_MAX];
	size_t n_devices;
};

/*
 * Append to the message; a message cut short by a small buffer ends in
 * "..." so that nobody mistakes it for the whole story.
 */
__attribute__((format(printf, 2, 0))) static void config_err_vappend(struct config_ctx *c,
								      const char *fmt, va_list ap)
{
	size_t used;
	int n;

	if (c->errlen == 0)
		return;
	used = strlen(c->err);
	n = vsnprintf(c->err + used, c->errlen - used, fmt, ap);
	if (n >= 0 && (size_t)n < c->errlen - used)
		return;
	if (c->errlen > 3)
		memcpy(c->err + c->errlen - 4, "...", 4);
}

__attribute__((format(printf, 2, 3))) static void config_err_append(struct config_ctx *c,
								     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	config_err_vappend(c, fmt, ap);
	va_end(ap);
}

/* "FILE:LINE: message", or "FILE: message" when LINE is 0. Returns -EINVAL. */
__attribute__((format(printf, 3, 0))) static int
config_verror_at(struct config_ctx *c, unsigned int line, const char *fmt, va_list ap)
{
	/* The path comes from the command line: escaped like any other input. */
	char path[TEXT_ESCAPE_SIZE(HAVM_PATH_MAX)];

	text_escape(path, sizeof(path), c->path, HAVM_PATH_MAX);
	if (c->errlen > 0)
		c->err[0] = '\0';
	if (line > 0)
		config_err_append(c, "%s:%u: ", path, line);
	else
		config_err_append(c, "%s: ", path);
	config_err_vappend(c, fmt, ap);
	return -EINVAL;
}

__attribute__((format(printf, 3, 4))) static int
config_error_at(struct config_ctx *c, unsigned int line, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = config_verror_at(c, line, fmt, ap);
	va_end(ap);
	return rc;
}

/*
 * The error is about setting S: point at its line. The root group and an
 * absent setting (S NULL) have none, and the message names the file alone.
 */
__attribute__((format(printf, 3, 4))) static int
config_error(struct config_ctx *c, const config_setting_t *s, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = config_verror_at(c, s ? config_setting_source_line(s) : 0, fmt, ap);
	va_end(ap);
	return rc;
}

/* "FILE: WHAT: strerror", returning RC, a negative errno. */
static int config_error_errno(struct config_ctx *c, int rc, const char *what)
{
	/* A failed call always sets errno; this keeps the callers' rc < 0 true. */
	if (rc >= 0)
		rc = -EIO;
	config_error_at(c, 0, "%s: %s", what, strerror(-rc));
	return rc;
}

/*
 * Room for a value quoted in a message: HAVM_NAME_MAX bytes of it, each
 * escaped to four (text_escape.h). Values come from the file and may be
 * anything.
 */
#define CONFIG_QUOTE_SIZE TEXT_ESCAPE_SIZE(HAVM_NAME_MAX)

/* ---- values ---------------------------------------------------------- */

static int config_parse_group(struct config_ctx *c, const struct config_group *g,
			      const config_setting_t *set, void *dst);

/*
 * Names end up in the CPG group name, in log lines as key=value and on the
 * command line of havm(8): a small portable charset keeps all three simple.
 * Spelled out rather than isalnum() so that the locale cannot widen it.
 */
static bool config_name_char_ok(char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
	       ch == '_' || ch == '.' || ch == '-';
}

/*
 * A BMC address goes to getaddrinfo() as it is: a host name or an IPv4 or
 * IPv6 literal, the latter without brackets. Nothing else has these bytes.
 */
static bool config_address_char_ok(char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
	       ch == '.' || ch == ':' || ch == '-';
}

/* IPMI user names are bytes; a space in one is almost surely a typo. */
static bool config_user_char_ok(char ch)
{
	return ch > 0x20 && ch < 0x7f;
}

/* What a string of a restricted charset may hold, and how to say so. */
struct config_charset {
	bool (*ok)(char ch);
	size_t max;          /* length, without the NUL */
	const char *allowed; /* completes "only ... are allowed" */
};

static const struct config_charset config_name_chars = {
	config_name_char_ok, HAVM_NAME_MAX, "A-Z, a-z, 0-9, '_', '.' and '-'",
};
static const struct config_charset config_address_chars = {
	config_address_char_ok, sizeof(((struct havm_fence_device *)0)->address) - 1,
	"A-Z, a-z, 0-9, '.', ':' and '-'",
};
static const struct config_charset config_user_chars = {
	config_user_char_ok, sizeof(((struct havm_fence_device *)0)->user) - 1,
	"printable ASCII characters other than space",
};

/* Copy string S into DST, sized CS->max + 1, if it is 1..max bytes of CS. */
static int config_parse_chars(struct config_ctx *c, const struct config_key *k,
			      const config_setting_t *s, char *dst, const struct config_charset *cs)
{
	char q1[CONFIG_QUOTE_SIZE], q2[8], bad[2] = "";
	const char *v = config_setting_get_string(s);
	size_t len = strlen(v), i;

	if (len < 1 || len > cs->max)
		return config_error(c, s,
				    "\"%s\" is %zu characters long, must be between 1 and %zu",
				    k->name, len, cs->max);
	for (i = 0; i < len; i++) {
		if (cs->ok(v[i]))
			continue;
		bad[0] = v[i];
		return config_error(c, s,
				    "\"%s\" is \"%s\", which contains \"%s\"; only %s are allowed",
				    k->name, text_escape(q1, sizeof(q1), v, HAVM_NAME_MAX),
				    text_escape(q2, sizeof(q2), bad, 1), cs->allowed);
	}
	memcpy(dst, v, len + 1);
	return 0;
}

/*
 * An absolute path of printable characters. sanlock takes the path as it
 * is, so a relative one would depend on the daemon's working directory.
 */
static int config_parse_path(struct config_ctx *c, const struct config_key *k,
			     const config_setting_t *s, char *dst)
{
	char q[CONFIG_QUOTE_SIZE];
	const char *v = config_setting_get_string(s);
	size_t len = strlen(v), i;

	if (len < 2 || len > HAVM_PATH_MAX || v[0] != '/')
		return config_error(c, s,
				    "\"%s\" is \"%s\", must be an absolute path of at most %d "
				    "characters",
				    k->name, text_escape(q, sizeof(q), v, 64), HAVM_PATH_MAX);
	for (i = 0; i < len; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return config_error(c, s, "\"%s\" contains a control character", k->name);
	memcpy(dst, v, len + 1);
	return 0;
}

/* The value of string S among K's choices into *DST, or an error listing them. */
static int config_parse_choice(struct config_ctx *c, const struct config_key *k,
			       const config_setting_t *s, int *dst)
{
	char q[CONFIG_QUOTE_SIZE];
	const char *v = config_setting_get_string(s);
	size_t i;

	for (i = 0; i < k->choices->n; i++) {
		if (strcmp(v, k->choices->v[i].name) == 0) {
			*dst = k->choices->v[i].value;
			return 0;
		}
	}
	config_error(c, s, "\"%s\" is \"%s\", must be one of", k->name,
		     text_escape(q, sizeof(q), v, 32));
	for (i = 0; i < k->choices->n; i++)
		config_err_append(c, "%s %s", i == 0 ? "" : ",", k->choices->v[i].name);
	return -EINVAL;
}

static int config_parse_u32(struct config_ctx *c, const struct config_key *k,
			    const config_setting_t *s, uint32_t *dst)
{
	long long v;

	/*
	 * libconfig 1.5 reads a hex literal without L suffix with strtoul into
	 * an int: 0x100000001 silently becomes 1. Decimal has no such trap.
	 */
	if (config_setting_get_format(s) == CONFIG_FORMAT_HEX)
		return config_error(c, s, "\"%s\" must be written in decimal", k->name);
	/* Small literals come as INT, large ones as INT64: same thing here. */
	v = config_setting_get_int64(s);
	/* libconfig clamps literals beyond 64 bits to these: say so, not the clamp. */
	if (v == LLONG_MAX || v == LLONG_MIN)
		return config_error(c, s,
				    "\"%s\" is out of range, must be between %" PRId64
				    " and %" PRId64,
				    k->name, k->min, k->max);
	if (v < k->min || v > k->max)
		return config_error(c, s,
				    "\"%s\" is %lld, must be between %" PRId64 " and %" PRId64,
				    k->name, v, k->min, k->max);
	*dst = (uint32_t)v;
	return 0;
}

/* Line of member NAME of GROUP, which the table made sure is there. */
static unsigned int config_member_line(const config_setting_t *group, const char *name)
{
	const config_setting_t *m = config_setting_get_member(group, name);

	return m ? config_setting_source_line(m) : 0;
}

static int config_parse_hosts(struct config_ctx *c, const struct config_key *k,
			      const config_setting_t *s)
{
	struct havm_config *cfg = c->cfg;
	int n = config_setting_length(s), i;

	if (n < 1 || n > HAVM_HOSTS_MAX)
		return config_error(c, s, "\"%s\" has %d entries, must be between 1 and %d",
				    k->name, n, HAVM_HOSTS_MAX);
	for (i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned int)i);
		struct havm_host *h = &cfg->hosts[i];
		const config_setting_t *name, *nodeid;
		size_t j;
		int rc;

		if (!config_setting_is_group(e))
			return config_error(c, e,
					    "entry %d of \"%s\" must be a group like "
					    "{ name = \"kvm1\"; nodeid = 1; }",
					    i + 1, k->name);
		memset(h, 0, sizeof(*h));
		rc = config_parse_group(c, &host_group, e, h);
		if (rc < 0)
			return rc;
		cfg->n_hosts = (size_t)i + 1;

		/*
		 * Names are compared without case: "KVM1" next to "kvm1" is a
		 * typo, not a second machine, and DNS would agree.
		 */
		name = config_setting_get_member(e, "name");
		nodeid = config_setting_get_member(e, "nodeid");
		for (j = 0; j < (size_t)i; j++) {
			const config_setting_t *prev = config_setting_get_elem(s, (unsigned int)j);

			if (strcasecmp(cfg->hosts[j].name, h->name) == 0)
				return config_error(c, name,
						    "host \"%s\" repeats the name of the host"
						    " at line %u",
						    h->name, config_member_line(prev, "name"));
			if (cfg->hosts[j].nodeid == h->nodeid)
				return config_error(c, nodeid,
						    "nodeid %" PRIu32
						    " is already used by host \"%s\" (line %u)",
						    h->nodeid, cfg->hosts[j].name,
						    config_member_line(prev, "nodeid"));
		}
	}
	return 0;
}

/*
 * Device names are unique in the whole file, not only per host: logs and
 * havm(8) name a device alone, and one name for two BMCs would send whoever
 * reads them to the wrong machine.
 */
static int config_device_name_unique(struct config_ctx *c, const config_setting_t *d,
				     const struct havm_fence_device *dev)
{
	const config_setting_t *name = config_setting_get_member(d, "name");
	size_t i;

	for (i = 0; i < c->n_devices; i++)
		if (strcasecmp(c->devices[i].name, dev->name) == 0)
			return config_error(
				c, name, "device \"%s\" repeats the name of the device at line %u",
				dev->name, c->devices[i].line);
	/* Cannot overflow: hosts, levels and devices are capped before. */
	c->devices[c->n_devices].name = dev->name;
	c->devices[c->n_devices].line = config_member_line(d, "name");
	c->n_devices++;
	return 0;
}

/* Level LEVEL_NO (from 1) of fence list K: devices that must all succeed. */
static int config_parse_fence_level(struct config_ctx *c, const struct config_key *k,
				    const config_setting_t *s, int level_no,
				    struct havm_fence_level *level)
{
	int n = config_setting_length(s), i;

	/* A group here is a device written without its level's parentheses. */
	if (!config_setting_is_list(s))
		return config_error(c, s,
				    "level %d of \"%s\" must be a list of devices like "
				    "( { name = \"kvm1-bmc\"; type = \"ipmi\"; ... } )",
				    level_no, k->name);
	if (n < 1 || n > HAVM_FENCE_DEVICES_MAX)
		return config_error(c, s,
				    "level %d of \"%s\" has %d devices, must be between 1 and %d",
				    level_no, k->name, n, HAVM_FENCE_DEVICES_MAX);
	for (i = 0; i < n; i++) {
		const config_setting_t *d = config_setting_get_elem(s, (unsigned int)i);
		struct havm_fence_device *dev = &level->devices[i];
		int rc;

		if (!config_setting_is_group(d))
			return config_error(c, d,
					    "device %d of level %d of \"%s\" must be a group like "
					    "{ name = \"kvm1-bmc\"; type = \"ipmi\"; ... }",
					    i + 1, level_no, k->name);
		memset(dev, 0, sizeof(*dev));
		rc = config_parse_group(c, &device_group, d, dev);
		if (rc == 0)
			rc = config_device_name_unique(c, d, dev);
		if (rc < 0)
			return rc;
		level->n_devices = (size_t)i + 1;
	}
	return 0;
}

/*
 * A host's fence levels, tried in order until one works. An empty list is
 * allowed: such a host is taken as fenced only once its storage heartbeat
 * is dead.
 */
static int config_parse_fence(struct config_ctx *c, const struct config_key *k,
			      const config_setting_t *s, struct havm_fence_level *levels,
			      size_t *n_levels)
{
	int n = config_setting_length(s), i;

	*n_levels = 0;
	if (n > HAVM_FENCE_LEVELS_MAX)
		return config_error(c, s, "\"%s\" has %d levels, must be at most %d", k->name, n,
				    HAVM_FENCE_LEVELS_MAX);
	for (i = 0; i < n; i++) {
		int rc = config_parse_fence_level(c, k, config_setting_get_elem(s, (unsigned int)i),
						  i + 1, &levels[i]);

		if (rc < 0)
			return rc;
		*n_levels = (size_t)i + 1;
	}
	return 0;
}

/* Lowercase letters, digits and '_': every option of the fence-agents API. */
static bool config_arg_key_char_ok(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_';
}

/*
 * Entry ENTRY_NO (from 1) of "args", a "key=value" line for the agent's
 * stdin. Values may be passwords: messages quote the key, never the value.
 */
static int config_parse_arg(struct config_ctx *c, const struct config_key *k,
			    const config_setting_t *s, int entry_no, char *dst)
{
	char q[CONFIG_QUOTE_SIZE];
	const char *v = config_setting_get_string(s);
	size_t len = strlen(v), key_len = strcspn(v, "="), i;
	char key[HAVM_FENCE_ARG_MAX + 1];

	if (len > HAVM_FENCE_ARG_MAX)
		return config_error(c, s,
				    "entry %d of \"%s\" is %zu characters long, must be at most %d",
				    entry_no, k->name, len, HAVM_FENCE_ARG_MAX);
	/* One line per entry: a newline would smuggle in a line of its own. */
	for (i = 0; i < len; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return config_error(c, s, "entry %d of \"%s\" contains a control character",
					    entry_no, k->name);
	if (key_len == len)
		return config_error(c, s,
				    "entry %d of \"%s\" has no \"=\", "
				    "must be key=value like \"plug=3\"",
				    entry_no, k->name);
	memcpy(key, v, key_len);
	key[key_len] = '\0';
	for (i = 0; i < key_len; i++)
		if (!config_arg_key_char_ok(key[i]))
			break;
	if (key_len == 0 || i < key_len)
		return config_error(c, s,
				    "entry %d of \"%s\" has the key \"%s\", must be key=value "
				    "with a key of a-z, 0-9 and '_'",
				    entry_no, k->name,
				    text_escape(q, sizeof(q), key, HAVM_NAME_MAX));
	/* "option" is the fence-agents API's old name for "action". */
	if (strcmp(key, "action") == 0 || strcmp(key, "option") == 0)
		return config_error(c, s,
				    "entry %d of \"%s\" sets \"%s\", which havm sets itself "
				    "(see \"action\" in group \"fencing\")",
				    entry_no, k->name, key);
	memcpy(dst, v, len + 1);
	return 0;
}

/* The "args" of an agent device, in the order the agent will read them. */
static int config_parse_args(struct config_ctx *c, const struct config_key *k,
			     const config_setting_t *s, char (*args)[HAVM_FENCE_ARG_MAX + 1],
			     size_t *n_args)
{
	int n = config_setting_length(s), i;

	*n_args = 0;
	if (n > HAVM_FENCE_ARGS_MAX)
		return config_error(c, s, "\"%s\" has %d entries, must be at most %d", k->name, n,
				    HAVM_FENCE_ARGS_MAX);
	for (i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned int)i);
		int rc;

		if (config_setting_type(e) != CONFIG_TYPE_STRING)
			return config_error(c, e,
					    "entry %d of \"%s\" must be a string like \"plug=3\"",
					    i + 1, k->name);
		rc = config_parse_arg(c, k, e, i + 1, args[i]);
		if (rc < 0)
			return rc;
		*n_args = (size_t)i + 1;
	}
	return 0;
}

/*
 * Retries after a failed fence back off from retry_ms up to retry_max_ms: a
 * cap below the start would make the first wait longer than written. The
 * error goes where the operator has to change something.
 */
static int config_check_fencing(struct config_ctx *c, const config_setting_t *set, const void *dst)
{
	const struct havm_config *cfg = dst;
	const config_setting_t *max = set ? config_setting_get_member(set, "retry_max_ms") : NULL;

	if (cfg->fence_retry_max_ms >= cfg->fence_retry_ms)
		return 0;
	if (max)
		return config_error(c, max,
				    "\"retry_max_ms\" is %" PRIu32
				    ", must be at least \"retry_ms\" (%" PRIu32 ")",
				    cfg->fence_retry_max_ms, cfg->fence_retry_ms);
	return config_error(c, set ? config_setting_get_member(set, "retry_ms") : NULL,
			    "\"retry_ms\" is %" PRIu32 ", more than \"retry_max_ms\" (%" PRIu32
			    ", its default); raise \"retry_max_ms\" too",
			    cfg->fence_retry_ms, cfg->fence_retry_max_ms);
}

static const char *config_type_name(enum config_key_type t)
{
	switch (t) {
	case KEY_GROUP:
		return "a group";
	case KEY_HOSTS:
	case KEY_FENCE_LEVELS:
	case KEY_ARGS:
		return "a list";
	case KEY_NAME:
	case KEY_FACILITY:
	case KEY_PATH:
	case KEY_DEVICE_TYPE:
	case KEY_PRIVILEGE:
	case KEY_ACTION:
	case KEY_ADDRESS:
	case KEY_USER:
		return "a string";
	case KEY_U32:
		return "an integer";
	case KEY_BOOL:
		return "a boolean (true or false)";
	}
	return "?";
}

static bool config_type_ok(enum config_key_type t, const config_setting_t *s)
{
	int st = config_setting_type(s);

	switch (t) {
	case KEY_GROUP:
		return st == CONFIG_TYPE_GROUP;
	case KEY_HOSTS:
	case KEY_FENCE_LEVELS:
	case KEY_ARGS:
		return st == CONFIG_TYPE_LIST;
	case KEY_NAME:
	case KEY_FACILITY:
	case KEY_PATH:
	case KEY_DEVICE_TYPE:
	case KEY_PRIVILEGE:
	case KEY_ACTION:
	case KEY_ADDRESS:
	case KEY_USER:
		return st == CONFIG_TYPE_STRING;
	case KEY_U32:
		return st == CONFIG_TYPE_INT || st == CONFIG_TYPE_INT64;
	case KEY_BOOL:
		return st == CONFIG_TYPE_BOOL;
	}
	return false;
}

/*
 * Store choice V of key K into FIELD, in the C type of the field: the
 * table's FIELD() rows have checked that type for each key type.
 */
static void config_store_choice(const struct config_key *k, char *field, int v)
{
	switch (k->type) {
	case KEY_FACILITY:
		*(int *)field = v;
		break;
	case KEY_DEVICE_TYPE:
		*(enum havm_fence_kind *)field = (enum havm_fence_kind)v;
		break;
	case KEY_PRIVILEGE:
		*(uint32_t *)field = (uint32_t)v;
		break;
	case KEY_ACTION:
		*(enum havm_fence_action *)field = (enum havm_fence_action)v;
		break;
	default:
		break; /* not a choice type */
	}
}

/* Check setting S against key K and store it into DST, the group's struct. */
static int config_parse_value(struct config_ctx *c, const struct config_key *k,
			      const config_setting_t *s, void *dst)
{
	char *field = (char *)dst + k->offset;
	size_t *count = (size_t *)(void *)((char *)dst + k->count_offset);
	int v, rc;

	if (!config_type_ok(k->type, s))
		return config_error(c, s, "\"%s\" must be %s", k->name, config_type_name(k->type));
	switch (k->type) {
	case KEY_GROUP:
		return config_parse_group(c, k->group, s, dst);
	case KEY_HOSTS:
		return config_parse_hosts(c, k, s);
	case KEY_FENCE_LEVELS:
		return config_parse_fence(c, k, s, (struct havm_fence_level *)(void *)field, count);
	case KEY_ARGS:
		return config_parse_args(c, k, s, (char(*)[HAVM_FENCE_ARG_MAX + 1])field, count);
	case KEY_NAME:
		return config_parse_chars(c, k, s, field, &config_name_chars);
	case KEY_ADDRESS:
		return config_parse_chars(c, k, s, field, &config_address_chars);
	case KEY_USER:
		return config_parse_chars(c, k, s, field, &config_user_chars);
	case KEY_PATH:
		return config_parse_path(c, k, s, field);
	case KEY_U32:
		return config_parse_u32(c, k, s, (uint32_t *)field);
	case KEY_BOOL:
		*(bool *)field = config_setting_get_bool(s) != 0;
		return 0;
	case KEY_FACILITY:
	case KEY_DEVICE_TYPE:
	case KEY_PRIVILEGE:
	case KEY_ACTION:
		rc = config_parse_choice(c, k, s, &v);
		if (rc == 0)
			config_store_choice(k, field, v);
		return rc;
	}
	return -EINVAL;
}

/* Key K is absent: store its default into DST. */
static int config_apply_default(struct config_ctx *c, const struct config_key *k, void *dst)
{
	char *field = (char *)dst + k->offset;

	switch (k->type) {
	case KEY_GROUP:
		if (k->group->absent_means_off)
			return 0; /* config_load zeroed everything */
		return config_parse_group(c, k->group, NULL, dst);
	case KEY_FENCE_LEVELS:
	case KEY_ARGS:
		*(size_t *)(void *)((char *)dst + k->count_offset) = 0;
		return 0;
	case KEY_U32:
		*(uint32_t *)field = (uint32_t)k->def;
		return 0;
	case KEY_BOOL:
		*(bool *)field = k->def != 0;
		return 0;
	case KEY_FACILITY:
	case KEY_PRIVILEGE:
	case KEY_ACTION:
		config_store_choice(k, field, (int)k->def);
		return 0;
	case KEY_HOSTS:
	case KEY_NAME:
	case KEY_PATH:
	case KEY_DEVICE_TYPE:
	case KEY_ADDRESS:
	case KEY_USER:
		break; /* always required: a table bug if we get here */
	}
	return -EINVAL;
}

/* Index of key NAME in G, or G->n_keys. */
static size_t config_key_index(const struct config_group *g, const char *name)
{
	size_t j;

	for (j = 0; j < g->n_keys; j++)
		if (strcmp(g->keys[j].name, name) == 0)
			break;
	return j;
}

/* Name of KIND among the choices of G's kind key. */
static const char *config_kind_name(const struct config_group *g, int kind)
{
	const struct config_choices *ch = g->keys[config_key_index(g, g->kind_key)].choices;
	size_t i;

	for (i = 0; i < ch->n; i++)
		if (ch->v[i].value == kind)
			return ch->v[i].name;
	return "?";
}

/*
 * The kind of group SET, looked up before its keys are checked, so that a
 * key of the other kind is reported where it stands even when it comes
 * before "type". 0 when the group has no kinds, or its kind key is missing
 * or not valid: that key's row reports it in its turn.
 */
static int config_group_kind(const struct config_group *g, const config_setting_t *set)
{
	const config_setting_t *s;
	const struct config_choices *ch;
	size_t i;

	if (!g->kind_key || !set)
		return 0;
	s = config_setting_get_member(set, g->kind_key);
	if (!s || config_setting_type(s) != CONFIG_TYPE_STRING)
		return 0;
	ch = g->keys[config_key_index(g, g->kind_key)].choices;
	for (i = 0; i < ch->n; i++)
		if (strcmp(config_setting_get_string(s), ch->v[i].name) == 0)
			return ch->v[i].value;
	return 0;
}

/* Whether key K belongs in a group of KIND (0: not known). */
static bool config_key_of_kind(const struct config_key *k, int kind)
{
	return k->kinds == 0 || (k->kinds & KIND(kind)) != 0;
}

/*
 * After the keys of SET: the missing ones are errors when required and take
 * their default otherwise. Keys of another kind are neither: their fields
 * stay zero.
 */
static int config_group_defaults(struct config_ctx *c, const struct config_group *g,
				 const config_setting_t *set, void *dst, const bool *seen,
				 int kind)
{
	size_t j;
	int rc;

	for (j = 0; j < g->n_keys; j++) {
		const struct config_key *k = &g->keys[j];

		if (seen[j] || !config_key_of_kind(k, kind))
			continue;
		if (k->required && k->kinds != 0)
			return config_error(c, set, "\"%s\" is missing in %s %s", k->name,
					    config_kind_name(g, kind), g->kind_noun);
		if (k->required)
			return config_error(c, set, "\"%s\" is missing%s", k->name, g->where);
		rc = config_apply_default(c, k, dst);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/*
 * Check group SET against table G, in file order so that the first error
 * reported is the first one in the file, then fill in defaults. SET is NULL
 * for an optional group that is absent: everything takes its default.
 */
static int config_parse_group(struct config_ctx *c, const struct config_group *g,
			      const config_setting_t *set, void *dst)
{
	bool seen[CONFIG_GROUP_KEYS_MAX] = { false };
	int n = set ? config_setting_length(set) : 0, i;
	int kind = config_group_kind(g, set);
	size_t j;
	int rc;

	for (i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(set, (unsigned int)i);
		const char *name = config_setting_name(s);

		j = config_key_index(g, name);
		if (j == g->n_keys)
			return config_error(c, s, "unknown setting \"%s\"%s", name, g->where);
		/* "an": both kinds, ipmi and agent, start with a vowel. */
		if (kind != 0 && !config_key_of_kind(&g->keys[j], kind))
			return config_error(c, s, "\"%s\" is not a setting of an %s %s", name,
					    config_kind_name(g, kind), g->kind_noun);
		/* libconfig itself refuses a name twice in one group. */
		seen[j] = true;
		rc = config_parse_value(c, &g->keys[j], s, dst);
		if (rc < 0)
			return rc;
	}
	rc = config_group_defaults(c, g, set, dst, seen, kind);
	if (rc == 0 && g->check)
		rc = g->check(c, set, dst);
	return rc;
}

/* ---- loading --------------------------------------------------------- */

/*
 * A havm.conf for HAVM_HOSTS_MAX hosts is a few kilobytes; the cap only keeps
 * `havmd -n -c /dev/zero` from eating memory.
 */
#define CONFIG_FILE_MAX (1024 * 1024)

/* What a file of mode M is, for the message refusing it. */
static const char *config_file_kind(mode_t m)
{
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISSOCK(m))
		return "a socket";
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISBLK(m))
		return "a block device";
	return "a special file";
}

/*
 * havm.conf must be a regular file. A FIFO would block `havmd -n` (and
 * ExecStartPre with it) until someone writes to it, a device may never
 * end, and opening some devices does something (a watchdog arms itself).
 * Hence stat before opening, O_NONBLOCK for whatever is swapped in between,
 * and fstat of what was opened. -EISDIR for a directory, else -EINVAL.
 */
static int config_check_regular(struct config_ctx *c, const struct stat *st)
{
	if (S_ISREG(st->st_mode))
		return 0;
	config_error_at(c, 0, "is %s, not a regular file", config_file_kind(st->st_mode));
	return S_ISDIR(st->st_mode) ? -EISDIR : -EINVAL;
}

/*
 * Read all of PATH into a NUL-terminated buffer in *BUF (to be freed) and its
 * length in *LEN. Done here, not by libconfig, so that every failure comes
 * with its errno: libconfig only says "file I/O error", and takes a read
 * error for the end of the file.
 */
static int config_read_text(struct config_ctx *c, char **buf, size_t *len)
{
	struct stat st;
	size_t n = 0;
	char *b;
	int fd, rc = 0;

	if (stat(c->path, &st) < 0)
		return config_error_errno(c, -errno, "cannot read");
	rc = config_check_regular(c, &st);
	if (rc < 0)
		return rc;
	fd = open(c->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return config_error_errno(c, -errno, "cannot read");
	if (fstat(fd, &st) < 0) {
		rc = config_error_errno(c, -errno, "cannot read");
		close(fd);
		return rc;
	}
	rc = config_check_regular(c, &st);
	if (rc < 0) {
		close(fd);
		return rc;
	}
	/* One more byte than allowed, to tell "exactly the cap" from "over". */
	b = malloc(CONFIG_FILE_MAX + 2);
	if (!b)
		rc = -ENOMEM;
	while (rc == 0 && n <= CONFIG_FILE_MAX) {
		ssize_t r = read(fd, b + n, CONFIG_FILE_MAX + 1 - n);

		if (r < 0 && errno != EINTR)
			rc = -errno;
		else if (r == 0)
			break;
		else if (r > 0)
			n += (size_t)r;
	}
	if (rc == 0 && n > CONFIG_FILE_MAX)
		rc = -EFBIG;
	close(fd);
	if (rc < 0) {
		free(b);
		return config_error_errno(c, rc, "cannot read");
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
}

/*
 * What libconfig would take silently, found by the scan below: offsets into
 * the file, or its length when there is none.
 */
struct config_scan {
	/* The first @include. */
	size_t include_at;
	/*
	 * A comment opened with slash-star and never closed: libconfig ends
	 * it at the end of the file without a word, and whatever follows,
	 * a whole group, is silently not read.
	 */
	size_t open_comment_at;
	/*
	 * The escape \x00 in a string: libconfig drops the byte without a
	 * word ("la\x00b" reads as "lab"), so the value read is not the one
	 * written. \\x00 (an escaped backslash, then "x00") is text, and fine.
	 */
	size_t nul_escape_at;
};

/*
 * Copy the LEN bytes of IN to OUT, changed in one way, and return the new
 * length; note in *SCAN what libconfig would take silently (see struct
 * config_scan). OUT must hold LEN + LEN / 10 + 2 bytes.
 *
 * The change: an L after every decimal integer literal outside the 32-bit
 * range (such a literal has at least 10 digits, hence the size of OUT).
 * Debian's libconfig 1.5 stores a literal without L suffix in a 32-bit int,
 * silently: "nodeid = 4294967297;" reads as 1. With the suffix the literal
 * is a 64-bit integer, in 1.5 and in later versions alike, and the range
 * checks see the number the operator wrote. No newline is added, so line
 * numbers stay true.
 *
 * @include is looked for here, before libconfig runs, because libconfig
 * opens the file as it parses, and flex exit()s the whole process when
 * that read fails (@include "/" is enough).
 *
 * This follows libconfig's scanner (scanner.l) just far enough to tell
 * numbers, directives, comments and escapes from the rest: strings,
 * comments and names are copied untouched; floats, hex and suffixed
 * literals too. A slash-star inside a string or after # or // is text, as
 * it is to libconfig.
 */
static size_t config_prescan(const char *in, size_t len, char *out, struct config_scan *scan)
{
	size_t i = 0, o = 0;

	scan->include_at = len;
	scan->open_comment_at = len;
	scan->nul_escape_at = len;
#define IS_DIGIT(ch) ((ch) >= '0' && (ch) <= '9')
#define IS_ALPHA(ch) (((ch) >= 'A' && (ch) <= 'Z') || ((ch) >= 'a' && (ch) <= 'z'))
	while (i < len) {
		size_t start = i;
		char ch = in[i];

		if (ch == '"') {
			/*
			 * String: up to the closing quote, skipping escapes.
			 * libconfig reads \x and \X with two hex digits; IN
			 * is NUL-terminated, so reading past LEN stops there.
			 */
			for (i++; i < len && in[i] != '"'; i++) {
				if (in[i] != '\\' || i + 1 >= len)
					continue;
				if ((in[i + 1] == 'x' || in[i + 1] == 'X') && in[i + 2] == '0' &&
				    in[i + 3] == '0' && scan->nul_escape_at == len)
					scan->nul_escape_at = i;
				i++;
			}
			if (i < len)
				i++;
		} else if (ch == '#' || (ch == '/' && in[i + 1] == '/')) {
			while (i < len && in[i] != '\n')
				i++;
		} else if (ch == '/' && in[i + 1] == '*') {
			for (i += 2; i < len && !(in[i] == '*' && in[i + 1] == '/'); i++)
				;
			if (i < len)
				i += 2;
			else if (scan->open_comment_at == len)
				scan->open_comment_at = start;
		} else if (IS_ALPHA(ch) || ch == '*') {
			/* A name, digits and all ("local0"). */
			while (i < len && (IS_ALPHA(in[i]) || IS_DIGIT(in[i]) || in[i] == '-' ||
					   in[i] == '_' || in[i] == '*'))
				i++;
		} else if (IS_DIGIT(ch) || ch == '.' ||
			   ((ch == '-' || ch == '+') &&
			    (IS_DIGIT(in[i + 1]) || in[i + 1] == '.'))) {
			uint64_t v = 0;
			bool is_int = true;

			if (ch == '-' || ch == '+')
				i++;
			if (in[i] == '0' && (in[i + 1] == 'x' || in[i + 1] == 'X')) {
				/* Hex: refused later, with its own message. */
				for (i += 2; i < len && (IS_DIGIT(in[i]) ||
							 (in[i] >= 'a' && in[i] <= 'f') ||
							 (in[i] >= 'A' && in[i] <= 'F'));
				     i++)
					;
				is_int = false;
			}
			for (; is_int && i < len && IS_DIGIT(in[i]); i++)
				if (v <= INT64_MAX / 10)
					v = v * 10 + (uint64_t)(in[i] - '0');
			if (is_int && in[i] == '.') {
				for (i++; i < len && IS_DIGIT(in[i]); i++)
					;
				is_int = false;
			}
			if ((in[i] == 'e' || in[i] == 'E') &&
			    (IS_DIGIT(in[i + 1]) ||
			     ((in[i + 1] == '-' || in[i + 1] == '+') && IS_DIGIT(in[i + 2])))) {
				for (i += 2; i < len && IS_DIGIT(in[i]); i++)
					;
				is_int = false;
			}
			memcpy(out + o, in + start, i - start);
			o += i - start;
			/*
			 * Compared without the sign: -2147483648 gets an L it
			 * does not need, which changes nothing.
			 */
			if (is_int && in[i] != 'L' && v > INT32_MAX)
				out[o++] = 'L';
			continue;
		} else {
			/* Anywhere, not only at the start of a line: refused either way. */
			if (ch == '@' && scan->include_at == len &&
			    strncmp(in + i, "@include", 8) == 0)
				scan->include_at = i;
			i++;
		}
		memcpy(out + o, in + start, i - start);
		o += i - start;
	}
#undef IS_DIGIT
#undef IS_ALPHA
	out[o] = '\0';
	return o;
}

/* Line number of byte OFFSET of TEXT, counting from 1 as libconfig does. */
static unsigned int config_line_of(const char *text, size_t offset)
{
	unsigned int line = 1;
	size_t i;

	for (i = 0; i < offset; i++)
		line += text[i] == '\n';
	return line;
}

/*
 * The first, in file order, of what SCAN found in TEXT (LEN bytes) as an
 * error with its line; 0 when it found nothing.
 */
static int config_scan_error(struct config_ctx *c, const char *text, size_t len,
			     const struct config_scan *scan)
{
	size_t first = scan->include_at;

	if (scan->open_comment_at < first)
		first = scan->open_comment_at;
	if (scan->nul_escape_at < first)
		first = scan->nul_escape_at;
	if (first == len)
		return 0;
	/*
	 * libconfig 1.5 resolves @include paths against the working
	 * directory, not the including file's: `havmd -n` run from a shell and
	 * havmd run by systemd from / would read different files. Hence one
	 * self-contained file.
	 */
	if (first == scan->include_at)
		return config_error_at(c, config_line_of(text, first),
				       "@include is not supported, keep havm.conf in one file");
	/* Its end is the end of the file: the line where it opens is the one to find. */
	if (first == scan->open_comment_at)
		return config_error_at(c, config_line_of(text, first),
				       "comment \"/*\" is not closed with \"*/\"; the rest of the "
				       "file would be ignored");
	return config_error_at(c, config_line_of(text, first),
			       "\"\\x00\" in a string: a NUL byte cannot be part of a value");
}

/* Read and parse PATH into LC. Returns 0 or -errno with the message in C. */
static int config_read_path(struct config_ctx *c, config_t *lc)
{
	struct config_scan scan;
	char *text = NULL, *wide;
	const char *nul;
	size_t len = 0;
	int rc, ok;

	rc = config_read_text(c, &text, &len);
	if (rc < 0)
		return rc;
	/* libconfig reads a string up to its NUL: the rest would go unread. */
	nul = memchr(text, '\0', len);
	if (nul) {
		rc = config_error_at(c, config_line_of(text, (size_t)(nul - text)),
				     "NUL byte in the file; havm.conf is text");
		free(text);
		return rc;
	}
	wide = malloc(len + len / 10 + 2);
	if (!wide) {
		free(text);
		return config_error_errno(c, -ENOMEM, "cannot read");
	}
	config_prescan(text, len, wide, &scan);
	rc = config_scan_error(c, text, len, &scan);
	if (rc < 0) {
		free(text);
		free(wide);
		return rc;
	}
	free(text);
	/*
	 * libconfig before 1.7.3 leaks a string token on some syntax errors
	 * (its issue #142): a few bytes per failed load, nothing to do here.
	 */
	ok = config_read_string(lc, wide);
	free(wide);
	if (!ok) {
		/* Read from a string, the file has no name in libconfig. */
		const char *text_err = config_error_text(lc);

		/* libconfig's own text is often just "syntax error". */
		if (strcmp(text_err, "syntax error") == 0)
			return config_error_at(c, (unsigned int)config_error_line(lc),
					       "syntax error");
		return config_error_at(c, (unsigned int)config_error_line(lc),
				       "syntax error: %s", text_err);
	}
	/* Should the scan above ever miss an @include, libconfig noted the file. */
	if (lc->num_filenames > 0)
		return config_error(c, NULL,
				    "@include is not supported, keep havm.conf in one file");
	return 0;
}

int config_load(const char *path, struct havm_config *cfg, char *err, size_t errlen)
{
	struct config_ctx c = { .path = path, .err = err, .errlen = errlen, .cfg = cfg };
	config_t lc;
	int rc;

	if (errlen > 0)
		err[0] = '\0';
	memset(cfg, 0, sizeof(*cfg));
	config_init(&lc);
	rc = config_read_path(&c, &lc);
	if (rc == 0)
		rc = config_parse_group(&c, &top_group, config_root_setting(&lc), cfg);
	config_destroy(&lc);
	return rc;
}

const struct havm_host *config_host_by_nodeid(const struct havm_config *cfg, uint32_t nodeid)
{
	size_t i;

	for (i = 0; i < cfg->n_hosts; i++)
		if (cfg->hosts[i].nodeid == nodeid)
			return &cfg->hosts[i];
	return NULL;
}

const struct havm_host *config_host_by_name(const struct havm_config *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->n_hosts; i++)
		if (strcmp(cfg->hosts[i].name, name) == 0)
			return &cfg->hosts[i];
	return NULL;
}
