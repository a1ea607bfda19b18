/*
 * agent_args.c: fence_havm_ipmi's option table and its strict parsers for
 * the command line and for stdin (see agent_args.h for the rules).
 */
#include "agent_args.h"
#include "text_escape.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Input quoted back in a message goes through text_escape: messages reach
 * a terminal, Pacemaker's log and syslog, where a control byte from stdin
 * must not. The first AGENT_QUOTE_MAX bytes are shown, then "...".
 */
#define AGENT_QUOTE_MAX 64
#define AGENT_QUOTE_SIZE TEXT_ESCAPE_SIZE(AGENT_QUOTE_MAX)
#define QUOTE(buf, s) text_escape((buf), sizeof(buf), (s), AGENT_QUOTE_MAX)

static const char *const privlvl_choices[] = { "callback", "user", "operator", "administrator",
					       NULL };
/* "cycle" is fence_ipmilan's other method; it is refused, see parse_method. */
static const char *const method_choices[] = { "onoff", NULL };

/*
 * Descriptions are short: pcs and crm show them in one line. Order is the
 * order of --help and of the metadata. Times are in seconds because
 * fence-agents' are; defaults are explained in fence_havm_ipmi(8).
 */
const struct agent_opt agent_opts[OPT_COUNT] = {
	{ OPT_ACTION, "action", NULL, 'o', "action", "action", "string", NULL, "reboot", true,
	  "Fencing action" },
	{ OPT_IP, "ip", "ipaddr", 'a', "ip", "ip", "string", NULL, NULL, true,
	  "IP address or hostname of the BMC" },
	{ OPT_IPPORT, "ipport", NULL, 'u', "ipport", "port", "integer", NULL, "623", false,
	  "UDP port of the BMC" },
	{ OPT_LANPLUS, "lanplus", NULL, 'P', "lanplus", NULL, "boolean", NULL, "1", false,
	  "Use IPMI 2.0 (lanplus); always on, 0 is refused" },
	{ OPT_CIPHER, "cipher", NULL, 'C', "cipher", "cipher", "integer", NULL, "3", false,
	  "RMCP+ cipher suite id (as ipmitool -C)" },
	{ OPT_PRIVLVL, "privlvl", NULL, 'L', "privlvl", "level", "select", privlvl_choices,
	  "operator", false, "Privilege level on the BMC" },
	{ OPT_HEXADECIMAL_KG, "hexadecimal_kg", NULL, 0, "hexadecimal-kg", "key", "string", NULL,
	  NULL, false, "Hexadecimal-encoded BMC key K_g" },
	{ OPT_USERNAME, "username", "login", 'l', "username", "name", "string", NULL, NULL, false,
	  "Login name on the BMC" },
	{ OPT_PASSWORD, "password", "passwd", 'p', "password", "password", "string", NULL, NULL,
	  false, "Login password" },
	{ OPT_PASSWORD_SCRIPT, "password_script", "passwd_script", 'S', "password-script", "script",
	  "string", NULL, NULL, false, "Script to run to retrieve the password" },
	{ OPT_PASSWORD_FILE, "password_file", NULL, 0, "password-file", "path", "string", NULL,
	  NULL, false, "File holding the password (mode 600, owned by root)" },
	{ OPT_METHOD, "method", NULL, 'm', "method", "method", "select", method_choices, "onoff",
	  false, "Method to fence: power off, verify off, power on" },
	{ OPT_POWER_TIMEOUT, "power_timeout", NULL, 0, "power-timeout", "seconds", "second", NULL,
	  "20", false, "Test X seconds for status change after ON/OFF" },
	{ OPT_POWER_WAIT, "power_wait", NULL, 0, "power-wait", "seconds", "second", NULL, "0",
	  false, "Wait X seconds after issuing ON/OFF" },
	{ OPT_STATUS_SLEEP, "stonith_status_sleep", NULL, 0, "stonith-status-sleep", "seconds",
	  "second", NULL, "1", false,
	  "Sleep X seconds between status calls during a STONITH action" },
	{ OPT_IPMI_TIMEOUT, "ipmi_timeout", NULL, 0, "ipmi-timeout", "seconds", "second", NULL, "5",
	  false, "Give up on an IPMI exchange after X seconds without an answer" },
	{ OPT_DELAY, "delay", NULL, 0, "delay", "seconds", "second", NULL, "0", false,
	  "Wait X seconds before fencing is started" },
	{ OPT_QUIET, "quiet", NULL, 'q', "quiet", NULL, "boolean", NULL, NULL, false,
	  "Disable logging to stderr" },
	{ OPT_VERBOSE, "verbose", NULL, 'v', "verbose", NULL, "boolean", NULL, NULL, false,
	  "Verbose mode" },
	{ OPT_DEBUG_FILE, "debug_file", "debug", 'D', "debug-file", "debugfile", "string", NULL,
	  NULL, false, "Write debug information to given file" },
	{ OPT_VERSION, "version", NULL, 'V', "version", NULL, "boolean", NULL, NULL, false,
	  "Display version information and exit" },
	{ OPT_HELP, "help", NULL, 'h', "help", NULL, "boolean", NULL, NULL, false,
	  "Display help and exit" },
};

/* What a cluster adds on stdin besides the device's own parameters. */
static const char *const cluster_keys[] = { "nodename", "nodeid", "port", "plug", "agent", "name" };

static const struct {
	const char *name;
	enum agent_action action;
} actions[] = {
	{ "on", AGENT_ON },
	{ "off", AGENT_OFF },
	{ "reboot", AGENT_REBOOT },
	{ "status", AGENT_STATUS },
	{ "monitor", AGENT_MONITOR },
	{ "list", AGENT_LIST },
	{ "list-status", AGENT_LIST_STATUS },
	{ "metadata", AGENT_METADATA },
	{ "meta-data", AGENT_METADATA }, /* the OCF spelling, as fencing.py accepts */
	{ "manpage", AGENT_MANPAGE },
	{ "validate-all", AGENT_VALIDATE_ALL },
};

const char *agent_action_name(enum agent_action action)
{
	for (size_t i = 0; i < ARRAY_SIZE(actions); i++)
		if (actions[i].action == action)
			return actions[i].name;
	return "?";
}

bool agent_action_needs_bmc(enum agent_action action)
{
	return action == AGENT_ON || action == AGENT_OFF || action == AGENT_REBOOT ||
	       action == AGENT_STATUS || action == AGENT_MONITOR;
}

void agent_args_init(struct agent_args *a)
{
	memset(a, 0, sizeof(*a));
	a->action = AGENT_REBOOT;
	a->ipport = FENCE_IPMI_PORT_DEFAULT;
	a->cipher = FENCE_IPMI_CIPHER_DEFAULT;
	/* Power control needs operator; asking for no more works for operator and admin users. */
	a->privilege = FENCE_IPMI_PRIV_OPERATOR;
	a->power_timeout_ms = 20000;
	a->power_wait_ms = 0;
	a->status_sleep_ms = 1000;
	a->ipmi_timeout_ms = 5000;
	a->delay_ms = 0;
}

void agent_args_wipe(struct agent_args *a)
{
	explicit_bzero(a->password, sizeof(a->password));
	explicit_bzero(a->k_g, sizeof(a->k_g));
}

/* ---- values ------------------------------------------------------------ */

static int parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		if (v > (ULONG_MAX - 9) / 10)
			return -ERANGE;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

/* Seconds with up to three decimals into milliseconds: "20", "0.5", "1.250". */
static int parse_seconds_ms(const char *s, unsigned min_ms, unsigned max_ms, unsigned *out)
{
	unsigned long whole = 0, frac = 0;
	const char *dot = strchr(s, '.');
	char buf[32];
	size_t n = dot ? (size_t)(dot - s) : strlen(s);
	int rc;

	if (n == 0 || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	rc = parse_uint(buf, 0, UINT_MAX / 1000, &whole);
	if (rc)
		return rc;
	if (dot) {
		size_t fn = strlen(dot + 1);
		if (fn < 1 || fn > 3)
			return -EINVAL;
		rc = parse_uint(dot + 1, 0, 999, &frac);
		if (rc)
			return -EINVAL;
		for (; fn < 3; fn++)
			frac *= 10;
	}
	if (whole * 1000 + frac < min_ms || whole * 1000 + frac > max_ms)
		return -ERANGE;
	*out = (unsigned)(whole * 1000 + frac);
	return 0;
}

static int parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "1", "yes", "on", "true" };
	static const char *const no[] = { "0", "no", "off", "false" };

	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (!strcasecmp(s, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(s, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int parse_kg(const char *s, uint8_t *kg, size_t *len)
{
	size_t n;

	if (!strncasecmp(s, "0x", 2))
		s += 2;
	n = strlen(s);
	if (n == 0 || n % 2 || n / 2 > FENCE_IPMI_KG_MAX)
		return -EINVAL;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hex_digit(s[2 * i]), lo = hex_digit(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		kg[i] = (uint8_t)(hi << 4 | lo);
	}
	*len = n / 2;
	return 0;
}

/* Copy S into DST[SIZE] or fail: a silently truncated host or path is a wrong one. */
static int copy_str(char *dst, size_t size, const char *s)
{
	size_t n = strlen(s);

	if (n >= size)
		return -ERANGE;
	memcpy(dst, s, n + 1);
	return 0;
}

/* "ip" or "-a/--ip" for messages, as the user wrote it. */
static void opt_label(const struct agent_opt *o, bool cmdline, char *buf, size_t size)
{
	if (!cmdline)
		snprintf(buf, size, "%s", o->name);
	else if (o->shortopt)
		snprintf(buf, size, "-%c/--%s", o->shortopt, o->longopt);
	else
		snprintf(buf, size, "--%s", o->longopt);
}

/*
 * Store VALUE for option O. CMDLINE only changes how the option is named
 * in messages. Flags given on the command line arrive as "1".
 */
static int opt_set(struct agent_args *a, const struct agent_opt *o, const char *value, bool cmdline,
		   char *err, size_t errlen)
{
	char l[64], q[AGENT_QUOTE_SIZE];
	unsigned long u;
	bool b;
	int rc = 0;

	opt_label(o, cmdline, l, sizeof(l));
	switch (o->id) {
	case OPT_ACTION:
		for (size_t i = 0; i < ARRAY_SIZE(actions); i++) {
			if (!strcasecmp(value, actions[i].name)) {
				a->action = actions[i].action;
				goto done;
			}
		}
		/* fencing.py's words: Pacemaker maps "unrecognised action" to "not supported". */
		snprintf(err, errlen, "Failed: Unrecognised action '%s'", QUOTE(q, value));
		return -EINVAL;
	case OPT_IP:
		if (!*value) {
			snprintf(err, errlen, "%s is empty", l);
			return -EINVAL;
		}
		if (copy_str(a->ip, sizeof(a->ip), value)) {
			snprintf(err, errlen, "%s is longer than %d characters", l, AGENT_HOST_MAX);
			return -EINVAL;
		}
		break;
	case OPT_IPPORT:
		if (parse_uint(value, 1, 65535, &u)) {
			snprintf(err, errlen, "%s \"%s\" is not a port number (1-65535)", l,
				 QUOTE(q, value));
			return -EINVAL;
		}
		a->ipport = (uint16_t)u;
		break;
	case OPT_LANPLUS:
		if (parse_bool(value, &b)) {
			snprintf(err, errlen,
				 "%s \"%s\" is not a boolean (1/yes/on/true or 0/no/off/false)", l,
				 QUOTE(q, value));
			return -EINVAL;
		}
		if (!b) {
			snprintf(err, errlen,
				 "%s=%s asks for IPMI 1.5, which %s does not speak: it "
				 "uses IPMI 2.0 (lanplus) only",
				 l, QUOTE(q, value), AGENT_NAME);
			return -EINVAL;
		}
		break;
	case OPT_CIPHER:
		if (parse_uint(value, 0, 255, &u) || !fence_ipmi_cipher_supported((int)u)) {
			snprintf(err, errlen,
				 "%s \"%s\" is not a supported cipher suite id (0-3, 6-8, 11-12, "
				 "15-17)",
				 l, QUOTE(q, value));
			return -EINVAL;
		}
		a->cipher = (int)u;
		break;
	case OPT_PRIVLVL:
		for (int i = 0; privlvl_choices[i]; i++) {
			if (!strcasecmp(value, privlvl_choices[i])) {
				a->privilege =
					(enum fence_ipmi_privilege)(FENCE_IPMI_PRIV_CALLBACK + i);
				goto done;
			}
		}
		snprintf(err, errlen,
			 "%s \"%s\" is not one of callback, user, operator, administrator", l,
			 QUOTE(q, value));
		return -EINVAL;
	case OPT_HEXADECIMAL_KG:
		if (parse_kg(value, a->k_g, &a->k_g_len)) {
			snprintf(err, errlen,
				 "%s is not an even number of hexadecimal digits, at most %d", l,
				 2 * FENCE_IPMI_KG_MAX);
			return -EINVAL;
		}
		break;
	case OPT_USERNAME:
		if (copy_str(a->username, sizeof(a->username), value)) {
			snprintf(err, errlen, "%s is longer than %d bytes (the IPMI limit)", l,
				 FENCE_IPMI_USER_MAX);
			return -EINVAL;
		}
		break;
	case OPT_PASSWORD:
		if (copy_str(a->password, sizeof(a->password), value)) {
			snprintf(err, errlen, "%s is longer than %d bytes (the IPMI 2.0 limit)", l,
				 FENCE_IPMI_PASSWORD_MAX);
			return -EINVAL;
		}
		break;
	case OPT_PASSWORD_SCRIPT:
		rc = copy_str(a->password_script, sizeof(a->password_script), value);
		break;
	case OPT_PASSWORD_FILE:
		rc = copy_str(a->password_file, sizeof(a->password_file), value);
		break;
	case OPT_DEBUG_FILE: rc = copy_str(a->debug_file, sizeof(a->debug_file), value); break;
	case OPT_METHOD:
		if (!strcasecmp(value, "onoff"))
			break;
		if (!strcasecmp(value, "cycle")) {
			/*
			 * A cycle is off then on inside the BMC: the power never
			 * reads off to us, and only a verified off is a fence.
			 */
			snprintf(err, errlen,
				 "%s=cycle is not supported: a power cycle cannot be "
				 "verified as off; use onoff (the default)",
				 l);
			return -EINVAL;
		}
		snprintf(err, errlen, "%s \"%s\" is not onoff", l, QUOTE(q, value));
		return -EINVAL;
	case OPT_POWER_TIMEOUT:
		rc = parse_seconds_ms(value, 100, 3600000, &a->power_timeout_ms);
		if (rc) {
			snprintf(err, errlen, "%s \"%s\" is not a time in seconds from 0.1 to 3600",
				 l, QUOTE(q, value));
			return -EINVAL;
		}
		break;
	case OPT_POWER_WAIT:
		if (parse_seconds_ms(value, 0, 600000, &a->power_wait_ms)) {
			snprintf(err, errlen, "%s \"%s\" is not a time in seconds from 0 to 600", l,
				 QUOTE(q, value));
			return -EINVAL;
		}
		break;
	case OPT_STATUS_SLEEP:
		/* Polling a BMC more often than 20 times a second only loads it. */
		if (parse_seconds_ms(value, 50, 60000, &a->status_sleep_ms)) {
			snprintf(err, errlen, "%s \"%s\" is not a time in seconds from 0.05 to 60",
				 l, QUOTE(q, value));
			return -EINVAL;
		}
		break;
	case OPT_IPMI_TIMEOUT:
		if (parse_seconds_ms(value, FENCE_IPMI_TIMEOUT_MIN_MS, FENCE_IPMI_TIMEOUT_MAX_MS,
				     &a->ipmi_timeout_ms)) {
			snprintf(err, errlen, "%s \"%s\" is not a time in seconds from 0.1 to 600",
				 l, QUOTE(q, value));
			return -EINVAL;
		}
		break;
	case OPT_DELAY:
		if (parse_seconds_ms(value, 0, 3600000, &a->delay_ms)) {
			snprintf(err, errlen, "%s \"%s\" is not a time in seconds from 0 to 3600",
				 l, QUOTE(q, value));
			return -EINVAL;
		}
		break;
	case OPT_QUIET:
	case OPT_VERBOSE:
	case OPT_VERSION:
	case OPT_HELP:
		if (parse_bool(value, &b)) {
			snprintf(err, errlen,
				 "%s \"%s\" is not a boolean (1/yes/on/true or 0/no/off/false)", l,
				 QUOTE(q, value));
			return -EINVAL;
		}
		if (o->id == OPT_QUIET)
			a->quiet = b;
		else if (o->id == OPT_VERSION)
			a->version = b;
		else if (o->id == OPT_HELP)
			a->help = b;
		else if (!b)
			a->verbose = 0;
		else if (cmdline)
			a->verbose++; /* -vvv stacks */
		else
			a->verbose = 1;
		break;
	case OPT_COUNT: break;
	}
	if (rc) {
		snprintf(err, errlen, "%s is longer than %d bytes", l, AGENT_PATH_MAX - 1);
		return -EINVAL;
	}
done:
	a->given[o->id] = true;
	return 0;
}

static const struct agent_opt *opt_by_name(const char *name)
{
	for (size_t i = 0; i < OPT_COUNT; i++) {
		const struct agent_opt *o = &agent_opts[i];
		if (!strcmp(name, o->name) || (o->deprecated && !strcmp(name, o->deprecated)))
			return o;
	}
	/* The fence-agents API's old name for action. */
	if (!strcmp(name, "option"))
		return &agent_opts[OPT_ACTION];
	return NULL;
}

static bool cluster_key(const char *name)
{
	if (!strncmp(name, "pcmk_", 5))
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(cluster_keys); i++)
		if (!strcmp(name, cluster_keys[i]))
			return true;
	return false;
}

/*
 * The option stdin name NAME stands for, in *O: 0; 1 if NAME is one the
 * cluster adds (ignored); -EINVAL with a message if it is unknown.
 */
static int opt_lookup(const char *name, const struct agent_opt **o, char *err, size_t errlen)
{
	char key[64], q[AGENT_QUOTE_SIZE];
	size_t n = strlen(name);

	if (n == 0 || n >= sizeof(key)) {
		snprintf(err, errlen, "parameter name \"%s\" is empty or too long", QUOTE(q, name));
		return -EINVAL;
	}
	/* fencing.py reads power-timeout as power_timeout: so do we. */
	for (size_t i = 0; i <= n; i++)
		key[i] = name[i] == '-' ? '_' : name[i];
	*o = opt_by_name(key);
	if (*o)
		return 0;
	if (cluster_key(key))
		return 1;
	snprintf(err, errlen, "unknown parameter \"%s\" (%s -o metadata lists them)", QUOTE(q, key),
		 AGENT_NAME);
	return -EINVAL;
}

int agent_args_set(struct agent_args *a, const char *name, const char *value, char *err,
		   size_t errlen)
{
	const struct agent_opt *o = NULL;
	int rc = opt_lookup(name, &o, err, errlen);

	if (rc != 0)
		return rc;
	return opt_set(a, o, value, false, err, errlen);
}

/* ---- the last value of each option ------------------------------------- */

/*
 * An option given more than once keeps its last value, on stdin and on the
 * command line alike: that is the fence-agents convention (fencing.py reads
 * all options into a dictionary before it looks at any), and what lets a
 * caller override a value by appending a line. So values are gathered
 * first and checked after, only the last one of each: an earlier value,
 * even a malformed one, is overridden, not refused. Unknown names are still
 * refused where they stand.
 */
struct agent_last {
	const char *value[OPT_COUNT]; /* the last value, NULL if not given */
	char *copy[OPT_COUNT];        /* stdin: our copy of it (lines are reused) */
	unsigned where[OPT_COUNT];    /* its stdin line, or its place among the options */
	unsigned count[OPT_COUNT];    /* how often it was given (-vvv counts 3) */
};

static void last_free(struct agent_last *l)
{
	for (size_t i = 0; i < OPT_COUNT; i++) {
		if (!l->copy[i])
			continue;
		/* It may be the password. */
		explicit_bzero(l->copy[i], strlen(l->copy[i]));
		free(l->copy[i]);
		l->copy[i] = NULL;
	}
}

/* Note VALUE for option O at WHERE; COPY: keep a copy of it. 0 or -ENOMEM. */
static int last_note(struct agent_last *l, const struct agent_opt *o, const char *value,
		     unsigned where, bool copy)
{
	char *c = NULL;

	if (copy) {
		c = strdup(value);
		if (!c)
			return -ENOMEM;
	}
	if (l->copy[o->id]) {
		explicit_bzero(l->copy[o->id], strlen(l->copy[o->id]));
		free(l->copy[o->id]);
	}
	l->copy[o->id] = c;
	l->value[o->id] = copy ? c : value;
	l->where[o->id] = where;
	l->count[o->id]++;
	return 0;
}

/*
 * Set each option of L to its last value, in the order those values were
 * given, so that the first error reported is the first in the input. On
 * an error, *FAILED is the option's place (where) and the message is in ERR.
 */
static int last_apply(struct agent_args *a, const struct agent_last *l, bool cmdline,
		      unsigned *failed, char *err, size_t errlen)
{
	bool done[OPT_COUNT] = { false };

	for (;;) {
		size_t next = OPT_COUNT;
		unsigned times;

		for (size_t i = 0; i < OPT_COUNT; i++)
			if (l->value[i] && !done[i] &&
			    (next == OPT_COUNT || l->where[i] < l->where[next]))
				next = i;
		if (next == OPT_COUNT)
			return 0;
		done[next] = true;
		/* -v is the one option that counts: -vvv is verbose level 3. */
		times = cmdline && next == OPT_VERBOSE ? l->count[next] : 1;
		for (unsigned t = 0; t < times; t++) {
			int rc =
				opt_set(a, &agent_opts[next], l->value[next], cmdline, err, errlen);

			if (rc) {
				*failed = l->where[next];
				return rc;
			}
		}
	}
}

/* ---- stdin ------------------------------------------------------------- */

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
		*--e = '\0';
	return s;
}

int agent_args_parse_stdin(struct agent_args *a, FILE *in, char *err, size_t errlen)
{
	struct agent_last last;
	char *line = NULL, msg[512];
	size_t cap = 0;
	ssize_t n;
	unsigned lineno = 0, failed = 0;
	int rc = 0;

	memset(&last, 0, sizeof(last));
	while ((n = getline(&line, &cap, in)) >= 0) {
		const struct agent_opt *o = NULL;
		char *s, *eq, *value;
		size_t vlen;

		lineno++;
		if (n > AGENT_LINE_MAX) {
			snprintf(err, errlen, "stdin line %u: longer than %d bytes", lineno,
				 AGENT_LINE_MAX);
			rc = -EINVAL;
			break;
		}
		if (strlen(line) != (size_t)n) {
			snprintf(err, errlen, "stdin line %u: contains a NUL byte", lineno);
			rc = -EINVAL;
			break;
		}
		s = trim(line);
		if (*s == '\0' || *s == '#')
			continue;
		eq = strchr(s, '=');
		if (!eq || eq == s) {
			char q[TEXT_ESCAPE_SIZE(40)];

			snprintf(err, errlen, "stdin line %u: \"%s\" is not name=value", lineno,
				 text_escape(q, sizeof(q), s, 40));
			rc = -EINVAL;
			break;
		}
		*eq = '\0';
		value = eq + 1;
		/* The API allows no spaces around '='; fencing.py keeps them in the name. */
		vlen = strlen(value);
		if (vlen >= 2 && value[0] == '"' && value[vlen - 1] == '"') {
			value[vlen - 1] = '\0';
			value++;
		}
		rc = opt_lookup(s, &o, msg, sizeof(msg));
		if (rc < 0) {
			snprintf(err, errlen, "stdin line %u: %s", lineno, msg);
			break;
		}
		if (rc == 1) { /* a key the cluster adds */
			rc = 0;
			continue;
		}
		rc = last_note(&last, o, value, lineno, true);
		if (rc < 0) {
			snprintf(err, errlen, "stdin line %u: out of memory", lineno);
			break;
		}
	}
	if (!rc && ferror(in)) {
		snprintf(err, errlen, "reading stdin: %s", strerror(errno));
		rc = -EIO;
	}
	if (!rc) {
		rc = last_apply(a, &last, false, &failed, msg, sizeof(msg));
		if (rc)
			snprintf(err, errlen, "stdin line %u: %s", failed, msg);
	}
	last_free(&last);
	if (line) {
		explicit_bzero(line, cap); /* it may have held the password */
		free(line);
	}
	return rc;
}

/* ---- command line ------------------------------------------------------ */

/* getopt_long codes for long-only options: above any char. */
#define LONG_BASE 256
#define PLUG_CODE (LONG_BASE + OPT_COUNT)

int agent_args_parse_argv(struct agent_args *a, int argc, char *const argv[], char *err,
			  size_t errlen)
{
	struct agent_last last;
	struct option longopts[OPT_COUNT + 2];
	char shortopts[3 * OPT_COUNT + 8];
	size_t nl = 0, ns = 0;
	unsigned seq = 0, failed = 0;
	int c;

	memset(&last, 0, sizeof(last));
	/* ':' first: a missing argument returns ':' and getopt prints nothing. */
	shortopts[ns++] = ':';
	for (size_t i = 0; i < OPT_COUNT; i++) {
		const struct agent_opt *o = &agent_opts[i];
		longopts[nl++] =
			(struct option){ o->longopt, o->arg ? required_argument : no_argument, NULL,
					 LONG_BASE + (int)o->id };
		if (o->shortopt) {
			shortopts[ns++] = o->shortopt;
			if (o->arg)
				shortopts[ns++] = ':';
		}
	}
	/* fence_ipmilan's -n/--plug: known, so it gets a clear refusal rather than "unknown". */
	longopts[nl++] = (struct option){ "plug", required_argument, NULL, PLUG_CODE };
	longopts[nl] = (struct option){ NULL, 0, NULL, 0 };
	shortopts[ns++] = 'n';
	shortopts[ns++] = ':';
	shortopts[ns] = '\0';

	optind = 0; /* glibc: 0 re-initialises, so the parser can run more than once */
	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		const struct agent_opt *o = NULL;

		if (c == PLUG_CODE || c == 'n') {
			snprintf(err, errlen,
				 "-n/--plug is not used: %s fences the one host behind "
				 "the BMC given by -a/--ip",
				 AGENT_NAME);
			return -EINVAL;
		}
		if (c == '?' || c == ':') {
			/* A short option by its letter, a long one as the argument just passed. */
			char letter[3] = { '-', (char)optopt, '\0' }, q[AGENT_QUOTE_SIZE];
			const char *opt = optopt && optopt < LONG_BASE ? letter : argv[optind - 1];

			if (c == '?')
				snprintf(err, errlen, "unknown option %s", QUOTE(q, opt));
			else
				snprintf(err, errlen, "option %s needs a value", QUOTE(q, opt));
			return -EINVAL;
		}
		if (c >= LONG_BASE && c < LONG_BASE + OPT_COUNT) {
			o = &agent_opts[c - LONG_BASE];
		} else {
			for (size_t i = 0; i < OPT_COUNT; i++)
				if (agent_opts[i].shortopt == c)
					o = &agent_opts[i];
		}
		if (!o) {
			snprintf(err, errlen, "unknown option code %d", c);
			return -EINVAL;
		}
		/* Cannot fail: no copy, argv outlives the parse. */
		(void)last_note(&last, o, o->arg ? optarg : "1", ++seq, false);
	}
	if (optind < argc) {
		char q[AGENT_QUOTE_SIZE];

		snprintf(err, errlen,
			 "unexpected argument \"%s\" (options take the form -o off or "
			 "--action=off)",
			 QUOTE(q, argv[optind]));
		return -EINVAL;
	}
	return last_apply(a, &last, true, &failed, err, errlen);
}

/* ---- across options ---------------------------------------------------- */

int agent_args_check(const struct agent_args *a, char *err, size_t errlen)
{
	int sources = a->given[OPT_PASSWORD] + a->given[OPT_PASSWORD_SCRIPT] +
		      a->given[OPT_PASSWORD_FILE];

	if (a->action == AGENT_METADATA || a->action == AGENT_MANPAGE)
		return 0;
	if (sources > 1) {
		snprintf(err, errlen,
			 "give only one of password, password_script and password_file");
		return -EINVAL;
	}
	if ((agent_action_needs_bmc(a->action) || a->action == AGENT_VALIDATE_ALL) && !a->ip[0]) {
		/* fencing.py's words */
		snprintf(err, errlen, "Failed: You have to enter fence address (ip, -a/--ip)");
		return -EINVAL;
	}
	return 0;
}
