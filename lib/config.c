/*
 * config.c: read and check havm.conf.
 *
 * libconfig does the lexing; everything else is driven by the tables below.
 * Each group of the file (the top level, "cluster", each host entry,
 * "timers", "log") has one table listing its keys with type, whether the key
 * is required, its range and its default. A key that is in no table, a value
 * of the wrong type or out of range, a missing required key is an error
 * naming file and line, and loading stops at the first error: a daemon that
 * guesses at what its operator meant is worse than one that refuses to start.
 *
 * Adding a setting is adding a field to struct havm_config and a row to a
 * table; the man page havm.conf(5) and conf/havm.conf document the same rows.
 */
#include "config.h"

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
#include <syslog.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* No group has more keys than this; checked at compile time per table. */
#define CONFIG_GROUP_KEYS_MAX 8

enum config_key_type {
	KEY_GROUP,    /* nested group checked against key->group */
	KEY_HOSTS,    /* the list of host entries */
	KEY_FENCE,    /* placeholder list of fence levels: must be empty */
	KEY_NAME,     /* cluster or host name into char[HAVM_NAME_MAX + 1] */
	KEY_U32,      /* integer in [min, max] into uint32_t */
	KEY_BOOL,     /* libconfig boolean into bool */
	KEY_FACILITY, /* syslog facility name into int (LOG_DAEMON...) */
	KEY_PATH,     /* absolute path into char[HAVM_PATH_MAX + 1] */
};

struct config_group;

struct config_key {
	const char *name;
	enum config_key_type type;
	bool required;
	int64_t min, max; /* KEY_U32 range, inclusive */
	int64_t def;      /* default when absent (KEY_U32, KEY_BOOL, KEY_FACILITY) */
	size_t offset;    /* of the field in the struct the group fills */
	const struct config_group *group; /* KEY_GROUP: its keys */
};

struct config_group {
	/* Completes messages: "unknown setting "x"<where>". Empty at top level. */
	const char *where;
	const struct config_key *keys;
	size_t n_keys;
	/* An absent group leaves its fields zeroed: the feature is off. Its
	 * required keys are required only when the group is written. */
	bool absent_means_off;
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

static const struct config_key host_keys[] = {
	{ .name = "name", .type = KEY_NAME, .required = true,
	  .offset = FIELD(struct havm_host, name, char *) },
	/* corosync reserves 0 (no node) and UINT32_MAX (all nodes). */
	{ .name = "nodeid", .type = KEY_U32, .required = true, .min = 1, .max = UINT32_MAX - 1,
	  .offset = FIELD(struct havm_host, nodeid, uint32_t) },
	{ .name = "fence", .type = KEY_FENCE,
	  .offset = FIELD(struct havm_host, fence_levels, size_t) },
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
	{ .name = "facility", .type = KEY_FACILITY, .def = LOG_DAEMON,
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
};

static const struct config_group host_group = GROUP(" in host entry", host_keys);
static const struct config_group storage_group = {
	.where = " in group \"storage\"", .keys = storage_keys,
	.n_keys = ARRAY_SIZE(storage_keys), .absent_means_off = true,
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
};

static const struct config_group top_group = GROUP("", top_keys);

_Static_assert(ARRAY_SIZE(host_keys) <= CONFIG_GROUP_KEYS_MAX, "host_keys");
_Static_assert(ARRAY_SIZE(cluster_keys) <= CONFIG_GROUP_KEYS_MAX, "cluster_keys");
_Static_assert(ARRAY_SIZE(timers_keys) <= CONFIG_GROUP_KEYS_MAX, "timers_keys");
_Static_assert(ARRAY_SIZE(log_keys) <= CONFIG_GROUP_KEYS_MAX, "log_keys");
_Static_assert(ARRAY_SIZE(storage_keys) <= CONFIG_GROUP_KEYS_MAX, "storage_keys");
_Static_assert(ARRAY_SIZE(top_keys) <= CONFIG_GROUP_KEYS_MAX, "top_keys");

static const struct {
	const char *name;
	int facility;
} config_facilities[] = {
	{ "daemon", LOG_DAEMON }, { "user", LOG_USER },	  { "local0", LOG_LOCAL0 },
	{ "local1", LOG_LOCAL1 }, { "local2", LOG_LOCAL2 }, { "local3", LOG_LOCAL3 },
	{ "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 }, { "local6", LOG_LOCAL6 },
	{ "local7", LOG_LOCAL7 },
};

/* ---- errors ---------------------------------------------------------- */

struct config_ctx {
	const char *path;
	char *err;
	size_t errlen;
	struct havm_config *cfg;
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
	if (c->errlen > 0)
		c->err[0] = '\0';
	if (line > 0)
		config_err_append(c, "%s:%u: ", c->path, line);
	else
		config_err_append(c, "%s: ", c->path);
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
 * Copy S into BUF for a message: at most MAX bytes of it, bytes outside
 * printable ASCII as \xNN, quotes and backslashes escaped, "..." when cut.
 * The value came from the file and may be anything.
 */
static const char *config_quote(char *buf, size_t size, const char *s, size_t max)
{
	size_t o = 0, i;

	for (i = 0; s[i] != '\0' && i < max; i++) {
		unsigned char ch = (unsigned char)s[i];
		int n;

		if (ch == '"' || ch == '\\')
			n = snprintf(buf + o, size - o, "\\%c", ch);
		else if (ch >= 0x20 && ch < 0x7f)
			n = snprintf(buf + o, size - o, "%c", ch);
		else
			n = snprintf(buf + o, size - o, "\\x%02x", ch);
		if (n < 0 || (size_t)n >= size - o)
			break;
		o += (size_t)n;
	}
	buf[o] = '\0';
	if (s[i] != '\0' && o + 4 <= size)
		memcpy(buf + o, "...", 4);
	return buf;
}

/* Room for HAVM_NAME_MAX bytes each escaped to four, plus "..." and NUL. */
#define CONFIG_QUOTE_SIZE (HAVM_NAME_MAX * 4 + 4)

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

static int config_parse_name(struct config_ctx *c, const struct config_key *k,
			     const config_setting_t *s, char *dst)
{
	char q1[CONFIG_QUOTE_SIZE], q2[8], bad[2] = "";
	const char *v = config_setting_get_string(s);
	size_t len = strlen(v), i;

	if (len < 1 || len > HAVM_NAME_MAX)
		return config_error(c, s, "\"%s\" is %zu characters long, must be between 1 and %d",
				    k->name, len, HAVM_NAME_MAX);
	for (i = 0; i < len; i++) {
		if (config_name_char_ok(v[i]))
			continue;
		bad[0] = v[i];
		return config_error(c, s,
				    "\"%s\" is \"%s\", which contains \"%s\"; only A-Z, a-z, "
				    "0-9, '_', '.' and '-' are allowed",
				    k->name, config_quote(q1, sizeof(q1), v, HAVM_NAME_MAX),
				    config_quote(q2, sizeof(q2), bad, 1));
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
		return config_error(c, s, "\"%s\" is \"%s\", must be an absolute path of at most %d "
				    "characters",
				    k->name, config_quote(q, sizeof(q), v, 64), HAVM_PATH_MAX);
	for (i = 0; i < len; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return config_error(c, s, "\"%s\" contains a control character", k->name);
	memcpy(dst, v, len + 1);
	return 0;
}

static int config_parse_facility(struct config_ctx *c, const struct config_key *k,
				 const config_setting_t *s, int *dst)
{
	char q[CONFIG_QUOTE_SIZE];
	const char *v = config_setting_get_string(s);
	size_t i;

	for (i = 0; i < ARRAY_SIZE(config_facilities); i++) {
		if (strcmp(v, config_facilities[i].name) == 0) {
			*dst = config_facilities[i].facility;
			return 0;
		}
	}
	config_error(c, s, "\"%s\" is \"%s\", must be one of", k->name,
		     config_quote(q, sizeof(q), v, 32));
	for (i = 0; i < ARRAY_SIZE(config_facilities); i++)
		config_err_append(c, "%s %s", i == 0 ? "" : ",", config_facilities[i].name);
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

static const char *config_type_name(enum config_key_type t)
{
	switch (t) {
	case KEY_GROUP:
		return "a group";
	case KEY_HOSTS:
	case KEY_FENCE:
		return "a list";
	case KEY_NAME:
	case KEY_FACILITY:
	case KEY_PATH:
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
	case KEY_FENCE:
		return st == CONFIG_TYPE_LIST;
	case KEY_NAME:
	case KEY_FACILITY:
	case KEY_PATH:
		return st == CONFIG_TYPE_STRING;
	case KEY_U32:
		return st == CONFIG_TYPE_INT || st == CONFIG_TYPE_INT64;
	case KEY_BOOL:
		return st == CONFIG_TYPE_BOOL;
	}
	return false;
}

/* Check setting S against key K and store it into DST, the group's struct. */
static int config_parse_value(struct config_ctx *c, const struct config_key *k,
			      const config_setting_t *s, void *dst)
{
	char *field = (char *)dst + k->offset;

	if (!config_type_ok(k->type, s))
		return config_error(c, s, "\"%s\" must be %s", k->name, config_type_name(k->type));
	switch (k->type) {
	case KEY_GROUP:
		return config_parse_group(c, k->group, s, dst);
	case KEY_HOSTS:
		return config_parse_hosts(c, k, s);
	case KEY_FENCE:
		/*
		 * The key exists so that configurations written for later
		 * versions fail loudly here rather than run unfenced.
		 */
		if (config_setting_length(s) > 0)
			return config_error(c, s, "fence levels are not supported"
						  " by this version of havm");
		*(size_t *)field = 0;
		return 0;
	case KEY_NAME:
		return config_parse_name(c, k, s, field);
	case KEY_PATH:
		return config_parse_path(c, k, s, field);
	case KEY_U32:
		return config_parse_u32(c, k, s, (uint32_t *)field);
	case KEY_BOOL:
		*(bool *)field = config_setting_get_bool(s) != 0;
		return 0;
	case KEY_FACILITY:
		return config_parse_facility(c, k, s, (int *)field);
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
	case KEY_FENCE:
		*(size_t *)field = 0;
		return 0;
	case KEY_U32:
		*(uint32_t *)field = (uint32_t)k->def;
		return 0;
	case KEY_BOOL:
		*(bool *)field = k->def != 0;
		return 0;
	case KEY_FACILITY:
		*(int *)field = (int)k->def;
		return 0;
	case KEY_HOSTS:
	case KEY_NAME:
	case KEY_PATH:
		break; /* always required: a table bug if we get here */
	}
	return -EINVAL;
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
	size_t j;
	int rc;

	for (i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(set, (unsigned int)i);
		const char *name = config_setting_name(s);

		for (j = 0; j < g->n_keys; j++)
			if (strcmp(g->keys[j].name, name) == 0)
				break;
		if (j == g->n_keys)
			return config_error(c, s, "unknown setting \"%s\"%s", name, g->where);
		/* libconfig itself refuses a name twice in one group. */
		seen[j] = true;
		rc = config_parse_value(c, &g->keys[j], s, dst);
		if (rc < 0)
			return rc;
	}
	for (j = 0; j < g->n_keys; j++) {
		if (seen[j])
			continue;
		if (g->keys[j].required)
			return config_error(c, set, "\"%s\" is missing%s", g->keys[j].name,
					    g->where);
		rc = config_apply_default(c, &g->keys[j], dst);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* ---- loading --------------------------------------------------------- */

/*
 * A havm.conf for HAVM_HOSTS_MAX hosts is a few kilobytes; the cap only keeps
 * `havmd -n -c /dev/zero` from eating memory.
 */
#define CONFIG_FILE_MAX (1024 * 1024)

/*
 * Read all of PATH into a NUL-terminated buffer in *BUF (to be freed) and its
 * length in *LEN. Done here, not by libconfig, so that every failure comes
 * with its errno: libconfig only says "file I/O error", and takes a read
 * error for the end of the file.
 */
static int config_read_text(struct config_ctx *c, char **buf, size_t *len)
{
	size_t n = 0;
	char *b;
	int fd, rc = 0;

	fd = open(c->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return config_error_errno(c, -errno, "cannot read");
	/* One more byte than allowed, to tell "exactly the cap" from "over". */
	b = malloc(CONFIG_FILE_MAX + 2);
	if (!b)
		rc = -ENOMEM;
	while (rc == 0 && n <= CONFIG_FILE_MAX) {
		/* A directory fails here with EISDIR. */
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
 * Copy the LEN bytes of IN to OUT, changed in one way, and return the new
 * length; set *INCLUDE_AT to the offset of the first @include, or to LEN if
 * there is none. OUT must hold LEN + LEN / 10 + 2 bytes.
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
 * numbers and directives from the rest: strings, comments and names are
 * copied untouched; floats, hex and suffixed literals too.
 */
static size_t config_prescan(const char *in, size_t len, char *out, size_t *include_at)
{
	size_t i = 0, o = 0;

	*include_at = len;
#define IS_DIGIT(ch) ((ch) >= '0' && (ch) <= '9')
#define IS_ALPHA(ch) (((ch) >= 'A' && (ch) <= 'Z') || ((ch) >= 'a' && (ch) <= 'z'))
	while (i < len) {
		size_t start = i;
		char ch = in[i];

		if (ch == '"') {
			/* String: up to the closing quote, skipping escapes. */
			for (i++; i < len && in[i] != '"'; i++)
				if (in[i] == '\\' && i + 1 < len)
					i++;
			if (i < len)
				i++;
		} else if (ch == '#' || (ch == '/' && in[i + 1] == '/')) {
			while (i < len && in[i] != '\n')
				i++;
		} else if (ch == '/' && in[i + 1] == '*') {
			for (i += 2; i < len && !(in[i] == '*' && in[i + 1] == '/'); i++)
				;
			i = i < len ? i + 2 : len;
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
			if (ch == '@' && *include_at == len && strncmp(in + i, "@include", 8) == 0)
				*include_at = i;
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

/* Read and parse PATH into LC. Returns 0 or -errno with the message in C. */
static int config_read_path(struct config_ctx *c, config_t *lc)
{
	char *text = NULL, *wide;
	const char *nul;
	size_t len = 0, include_at;
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
	config_prescan(text, len, wide, &include_at);
	/*
	 * libconfig 1.5 resolves @include paths against the working
	 * directory, not the including file's: `havmd -n` run from a shell and
	 * havmd run by systemd from / would read different files. Hence one
	 * self-contained file.
	 */
	if (include_at < len) {
		rc = config_error_at(c, config_line_of(text, include_at),
				     "@include is not supported, keep havm.conf in one file");
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
