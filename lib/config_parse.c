/*
 * config_parse.c: the settings libconfig read, checked against the tables
 * of config_tables.c and stored into struct havm_config.
 *
 * A key that is in no table, a value of the wrong type or out of range, a
 * missing required key is an error naming file and line, and parsing stops
 * at the first error, the first in file order: a daemon that guesses at
 * what its operator meant is worse than one that refuses to start.
 *
 * Fence devices are the one group with kinds: "type" says whether a device is
 * ipmi or agent, and the rows of the other kind are errors there, not
 * silently ignored settings. Only syntax is checked here: whether a password
 * file exists and is private is checked when fencing, where it matters.
 */
#include "config_int.h"

#include "text_escape.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <string.h>
#include <strings.h>

/*
 * Room for a value quoted in a message: HAVM_NAME_MAX bytes of it, each
 * escaped to four (text_escape.h). Values come from the file and may be
 * anything.
 */
#define CONFIG_QUOTE_SIZE TEXT_ESCAPE_SIZE(HAVM_NAME_MAX)

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

/* A trap receiver: the BMC address's bytes, and brackets for "udp6:[::1]:162". */
static bool config_snmp_address_char_ok(char ch)
{
	return config_address_char_ok(ch) || ch == '[' || ch == ']';
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
static const struct config_charset config_snmp_address_chars = {
	config_snmp_address_char_ok, sizeof(((struct havm_snmp_receiver *)0)->address) - 1,
	"A-Z, a-z, 0-9, '.', ':', '-', '[' and ']'",
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

/* A list of absolute paths (alert scripts) into PATHS, *N of them. */
static int config_parse_paths(struct config_ctx *c, const struct config_key *k,
			      const config_setting_t *s, char (*paths)[HAVM_PATH_MAX + 1], size_t *n)
{
	int len = config_setting_length(s);

	*n = 0;
	if (len > HAVM_ALERT_SCRIPTS_MAX)
		return config_error(c, s, "\"%s\" has %d entries, must be at most %d", k->name, len,
				    HAVM_ALERT_SCRIPTS_MAX);
	for (int i = 0; i < len; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned int)i);
		int rc;

		if (config_setting_type(e) != CONFIG_TYPE_STRING)
			return config_error(c, e, "entry %d of \"%s\" must be a string (a path)",
					    i + 1, k->name);
		rc = config_parse_path(c, k, e, paths[i]);
		if (rc < 0)
			return rc;
		*n = (size_t)i + 1;
	}
	return 0;
}

/*
 * A trap receiver's address, as net-snmp reads it: UDP only, and the
 * transport written out, so that a bare "host:162" or a "tcp:" (which
 * would connect, and block the sender on a dead receiver) is refused here
 * rather than guessed at.
 */
static int config_parse_snmp_address(struct config_ctx *c, const struct config_key *k,
				     const config_setting_t *s, char *dst)
{
	char q[CONFIG_QUOTE_SIZE];
	const char *v = config_setting_get_string(s);
	int rc = config_parse_chars(c, k, s, dst, &config_snmp_address_chars);

	if (rc < 0)
		return rc;
	if ((strncmp(v, "udp:", 4) == 0 && v[4] != '\0') ||
	    (strncmp(v, "udp6:", 5) == 0 && v[5] != '\0'))
		return 0;
	return config_error(c, s,
			    "\"%s\" is \"%s\", must be \"udp:HOST[:PORT]\" or "
			    "\"udp6:[ADDRESS][:PORT]\" (traps go over UDP)",
			    k->name, text_escape(q, sizeof(q), v, HAVM_NAME_MAX));
}

/* The list alerts.snmp: at most HAVM_SNMP_RECEIVERS_MAX receiver groups. */
static int config_parse_snmp(struct config_ctx *c, const struct config_key *k,
			     const config_setting_t *s, struct havm_snmp_receiver *rcv, size_t *n)
{
	int len = config_setting_length(s);

	*n = 0;
	if (len > HAVM_SNMP_RECEIVERS_MAX)
		return config_error(c, s, "\"%s\" has %d entries, must be at most %d", k->name,
				    len, HAVM_SNMP_RECEIVERS_MAX);
	for (int i = 0; i < len; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned int)i);
		int rc;

		if (!config_setting_is_group(e))
			return config_error(c, e,
					    "entry %d of \"%s\" must be a group like "
					    "{ address = \"udp:192.0.2.5:162\"; version = \"2c\"; "
					    "community_file = \"/etc/havm/snmp.community\"; }",
					    i + 1, k->name);
		memset(&rcv[i], 0, sizeof(rcv[i]));
		rc = config_parse_group(c, &config_snmp_group, e, &rcv[i]);
		if (rc < 0)
			return rc;
		/* One receiver twice would get every trap twice. */
		for (int j = 0; j < i; j++)
			if (strcmp(rcv[j].address, rcv[i].address) == 0)
				return config_error(
					c, config_setting_get_member(e, "address"),
					"receiver \"%s\" repeats the address of entry %d of \"%s\"",
					rcv[i].address, j + 1, k->name);
		*n = (size_t)i + 1;
	}
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
		rc = config_parse_group(c, &config_host_group, e, h);
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
		rc = config_parse_group(c, &config_device_group, d, dev);
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
int config_check_fencing(struct config_ctx *c, const config_setting_t *set, const void *dst)
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

/*
 * unsafe_no_watchdog_for_tests makes havmd announce a watchdog, "none"
 * makes it announce none: both at once is no configuration anyone means.
 * The error points at the unsafe key, the one that must not stay.
 */
int config_check_storage(struct config_ctx *c, const config_setting_t *set, const void *dst)
{
	const struct havm_config *cfg = dst;

	if (!cfg->storage_unsafe_no_watchdog || cfg->storage_watchdog != HAVM_WATCHDOG_NONE)
		return 0;
	return config_error(
		c, set ? config_setting_get_member(set, "unsafe_no_watchdog_for_tests") : NULL,
		"\"unsafe_no_watchdog_for_tests\" contradicts watchdog = \"none\" (it makes "
		"havmd announce a watchdog); remove one of them");
}

/*
 * vms needs storage: without the lease area nothing stops a VM from being
 * started on a second host, which is the one thing havm must never do.
 */
int config_check_vms(struct config_ctx *c, const config_setting_t *set, const void *dst)
{
	const struct havm_config *cfg = dst;

	if (!set)
		return 0;
	if (cfg->storage_path[0] == '\0')
		return config_error(c, set,
				    "group \"vms\" needs group \"storage\": every protected VM holds "
				    "a lease on the shared storage, which keeps it from running twice");
	/*
	 * With the tiebreaker, the half that survives an even split gets its
	 * quorum only once sanlock calls the other half dead (minutes): with
	 * "stop", it would power off its own VMs first.
	 */
	if (cfg->storage_tiebreaker && cfg->vms_isolation == HAVM_ISOLATION_STOP)
		return config_error(c, config_setting_get_member(set, "isolation"),
				    "isolation = \"stop\" with storage.tiebreaker: the surviving half of "
				    "a split waits minutes for the tiebreaker, and would stop its own "
				    "VMs meanwhile; use \"freeze\"");
	return 0;
}

/* balance moves protected VMs: it needs the vms group. */
int config_check_balance(struct config_ctx *c, const config_setting_t *set, const void *dst)
{
	const struct havm_config *cfg = dst;

	if (set && !config_vms_on(cfg))
		return config_error(c, set,
				    "group \"balance\" needs group \"vms\": it moves protected VMs");
	return 0;
}

static const char *config_type_name(enum config_key_type t)
{
	switch (t) {
	case KEY_GROUP:
		return "a group";
	case KEY_HOSTS:
	case KEY_FENCE_LEVELS:
	case KEY_ARGS:
	case KEY_PATHS:
	case KEY_SNMP_RECEIVERS:
		return "a list";
	case KEY_NAME:
	case KEY_FACILITY:
	case KEY_PATH:
	case KEY_DEVICE_TYPE:
	case KEY_PRIVILEGE:
	case KEY_ACTION:
	case KEY_WATCHDOG:
	case KEY_ISOLATION:
	case KEY_MIGRATION:
	case KEY_LOAD_SOURCE:
	case KEY_SEVERITY:
	case KEY_ADDRESS:
	case KEY_USER:
	case KEY_SNMP_VERSION:
	case KEY_SNMP_ADDRESS:
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
	case KEY_PATHS:
	case KEY_SNMP_RECEIVERS:
		return st == CONFIG_TYPE_LIST;
	case KEY_NAME:
	case KEY_FACILITY:
	case KEY_PATH:
	case KEY_DEVICE_TYPE:
	case KEY_PRIVILEGE:
	case KEY_ACTION:
	case KEY_WATCHDOG:
	case KEY_ISOLATION:
	case KEY_MIGRATION:
	case KEY_LOAD_SOURCE:
	case KEY_SEVERITY:
	case KEY_ADDRESS:
	case KEY_USER:
	case KEY_SNMP_VERSION:
	case KEY_SNMP_ADDRESS:
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
	case KEY_WATCHDOG:
		*(enum havm_watchdog_mode *)field = (enum havm_watchdog_mode)v;
		break;
	case KEY_ISOLATION:
		*(enum havm_isolation *)field = (enum havm_isolation)v;
		break;
	case KEY_MIGRATION:
		*(enum havm_migration *)field = (enum havm_migration)v;
		break;
	case KEY_LOAD_SOURCE:
		*(enum havm_load_source *)field = (enum havm_load_source)v;
		break;
	case KEY_SEVERITY:
		*(int *)field = v;
		break;
	case KEY_SNMP_VERSION:
		*(enum havm_snmp_version *)field = (enum havm_snmp_version)v;
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
	case KEY_PATHS:
		return config_parse_paths(c, k, s, (char(*)[HAVM_PATH_MAX + 1])field, count);
	case KEY_SNMP_RECEIVERS:
		return config_parse_snmp(c, k, s, (struct havm_snmp_receiver *)(void *)field, count);
	case KEY_SNMP_ADDRESS:
		return config_parse_snmp_address(c, k, s, field);
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
	case KEY_WATCHDOG:
	case KEY_ISOLATION:
	case KEY_MIGRATION:
	case KEY_LOAD_SOURCE:
	case KEY_SEVERITY:
	case KEY_SNMP_VERSION:
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
	case KEY_PATHS:
	case KEY_SNMP_RECEIVERS:
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
	case KEY_WATCHDOG:
	case KEY_ISOLATION:
	case KEY_MIGRATION:
	case KEY_LOAD_SOURCE:
	case KEY_SEVERITY:
		config_store_choice(k, field, (int)k->def);
		return 0;
	case KEY_ADDRESS:
		/* Optional only where the table says so (a host's address):
		 * empty means "use the host's name". */
		if (!k->required) {
			field[0] = '\0';
			return 0;
		}
		break;
	case KEY_HOSTS:
	case KEY_NAME:
	case KEY_PATH:
	case KEY_DEVICE_TYPE:
	case KEY_USER:
	case KEY_SNMP_VERSION:
	case KEY_SNMP_ADDRESS:
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
			return config_error(c, set, "\"%s\" is missing in %s%s %s", k->name,
					    g->kind_prefix ? g->kind_prefix : "",
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
int config_parse_group(struct config_ctx *c, const struct config_group *g,
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
		/* "an": both device kinds, ipmi and agent, start with a vowel;
		 * an SNMP receiver's kind follows "version". */
		if (kind != 0 && !config_key_of_kind(&g->keys[j], kind))
			return config_error(c, s, "\"%s\" is not a setting of %s %s%s %s", name,
					    g->kind_prefix ? "a" : "an",
					    g->kind_prefix ? g->kind_prefix : "",
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
