/*
 * agent_args.h: the options of fence_havm_ipmi, from the command line or
 * from standard input (the fence-agents API), parsed strictly.
 *
 * One table (agent_opts) lists every option with its stdin name, its
 * command line spelling, its type, default and description; the parsers,
 * `--help` and `-o metadata` are all driven by it, so they cannot disagree.
 * The names are fence_ipmilan's wherever fence_ipmilan has the option, so
 * a Pacemaker configuration moves from one agent to the other unchanged.
 *
 * Rules (fence-agents conventions, made strict):
 *   - with arguments, options come from the command line only; without,
 *     from stdin as name=value lines ('#' comments and blank lines skipped,
 *     surrounding whitespace and one pair of double quotes around a value
 *     removed, '-' in a name read as '_')
 *   - an option given more than once, on stdin (under any of its names) or
 *     on the command line: the last value wins, and only it is checked, as
 *     in fencing.py (-v alone counts: -vvv is verbose level 3)
 *   - an unknown option is an error, on stdin too. The exceptions are what
 *     the cluster itself adds: nodename, nodeid, port, plug, agent, name and
 *     anything starting with pcmk_ are ignored (this agent fences the one
 *     host behind its BMC, so the target's name is not needed)
 *   - numbers are digits only, range-checked; times are seconds with up to
 *     three decimals ("0.5"); booleans are 1/yes/on/true or 0/no/off/false
 *
 * Nothing here does I/O besides reading the given stream, so it is unit
 * tested directly (tests/unit/test_fence_agent_args.c).
 */
#ifndef HAVM_FENCE_AGENT_ARGS_H
#define HAVM_FENCE_AGENT_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ipmi.h"

#define AGENT_NAME "fence_havm_ipmi"
#define AGENT_HOST_MAX 255  /* DNS name limit */
#define AGENT_PATH_MAX 4096 /* script command lines and file paths */
#define AGENT_LINE_MAX 8192 /* a longer stdin line is an error */

enum agent_action {
	AGENT_ON,
	AGENT_OFF,
	AGENT_REBOOT,
	AGENT_STATUS,
	AGENT_MONITOR,
	AGENT_LIST,
	AGENT_LIST_STATUS,
	AGENT_METADATA,
	AGENT_MANPAGE,
	AGENT_VALIDATE_ALL,
};

/* Every option, one row each in agent_opts. */
enum agent_opt_id {
	OPT_ACTION,
	OPT_IP,
	OPT_IPPORT,
	OPT_LANPLUS,
	OPT_CIPHER,
	OPT_PRIVLVL,
	OPT_HEXADECIMAL_KG,
	OPT_USERNAME,
	OPT_PASSWORD,
	OPT_PASSWORD_SCRIPT,
	OPT_PASSWORD_FILE,
	OPT_METHOD,
	OPT_POWER_TIMEOUT,
	OPT_POWER_WAIT,
	OPT_STATUS_SLEEP,
	OPT_IPMI_TIMEOUT,
	OPT_DELAY,
	OPT_QUIET,
	OPT_VERBOSE,
	OPT_DEBUG_FILE,
	OPT_VERSION,
	OPT_HELP,
	OPT_COUNT
};

struct agent_opt {
	enum agent_opt_id id;
	const char *name;           /* stdin name and metadata parameter */
	const char *deprecated;     /* older stdin name still accepted, or NULL */
	char shortopt;              /* 0: none */
	const char *longopt;        /* command line --NAME */
	const char *arg;            /* "ip" in "--ip=[ip]"; NULL for a flag */
	const char *type;           /* metadata content type */
	const char *const *choices; /* for type "select", NULL-terminated */
	const char *def;            /* default as shown, or NULL */
	bool required;
	const char *shortdesc;
};

extern const struct agent_opt agent_opts[OPT_COUNT];

struct agent_args {
	enum agent_action action;
	char ip[AGENT_HOST_MAX + 1];
	uint16_t ipport;
	int cipher;
	enum fence_ipmi_privilege privilege;
	uint8_t k_g[FENCE_IPMI_KG_MAX];
	size_t k_g_len;
	char username[FENCE_IPMI_USER_MAX + 1];
	char password[FENCE_IPMI_PASSWORD_MAX + 1];
	char password_script[AGENT_PATH_MAX];
	char password_file[AGENT_PATH_MAX];
	unsigned power_timeout_ms; /* how long to poll for the new power state */
	unsigned power_wait_ms;    /* pause after a power command before polling */
	unsigned status_sleep_ms;  /* between polls */
	unsigned ipmi_timeout_ms;  /* one IPMI call without an answer */
	unsigned delay_ms;         /* before off and reboot */
	unsigned verbose;          /* number of -v */
	bool quiet;
	bool version;
	bool help;
	char debug_file[AGENT_PATH_MAX];
	bool given[OPT_COUNT]; /* set explicitly (last value kept) */
};

/* Defaults: action reboot, port 623, privilege operator, cipher 3, ... */
void agent_args_init(struct agent_args *a);

/*
 * Parse ARGV (getopt_long; resets getopt's state first). 0, or -EINVAL with
 * a message in ERR ("unknown option --foo").
 */
int agent_args_parse_argv(struct agent_args *a, int argc, char *const argv[], char *err,
			  size_t errlen);

/*
 * Parse name=value lines from IN. 0, or -EINVAL with "stdin line N: ..." in
 * ERR; for a bad value, N is the line of the option's last value.
 */
int agent_args_parse_stdin(struct agent_args *a, FILE *in, char *err, size_t errlen);

/*
 * Set option NAME (a stdin name) to VALUE, as one stdin line would. 0,
 * 1 if NAME is one the cluster adds and is ignored, or -EINVAL.
 */
int agent_args_set(struct agent_args *a, const char *name, const char *value, char *err,
		   size_t errlen);

/*
 * Checks across options, made once all are read: the BMC address is given
 * for actions that need it, at most one password source. 0 or -EINVAL.
 */
int agent_args_check(const struct agent_args *a, char *err, size_t errlen);

/* Whether the action talks to the BMC (on, off, reboot, status, monitor). */
bool agent_action_needs_bmc(enum agent_action action);

/* "off", "validate-all" ... */
const char *agent_action_name(enum agent_action action);

/* Wipe the password from A (call before exit). */
void agent_args_wipe(struct agent_args *a);

/* --help text and -o metadata XML, from agent_opts (agent_metadata.c). */
void agent_print_usage(FILE *out);
void agent_print_metadata(FILE *out);

#endif
