/*
 * config_int.h: what the parts of havm.conf's reader share, for them alone
 * (lib/config.h is the API everyone else uses).
 *
 *   config.c          config_load: read the file, prescan it, let libconfig
 *                     lex it, parse the settings; the host lookups
 *   config_error.c    the "FILE:LINE: message" every refusal ends in
 *   config_prescan.c  the raw text checked for what libconfig would take
 *                     silently (numbers past 32 bits, @include, ...)
 *   config_tables.c   every group and key of the file: type, range, default
 *   config_parse.c    libconfig's settings checked against the tables and
 *                     stored into struct havm_config
 */
#ifndef HAVM_CONFIG_INT_H
#define HAVM_CONFIG_INT_H

#include "config.h"

#include <libconfig.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
	KEY_WATCHDOG,     /* "required" or "none" into enum havm_watchdog_mode */
	KEY_ISOLATION,    /* "freeze" or "stop" into enum havm_isolation */
	KEY_MIGRATION,    /* "ssh", "tls" or "tcp" into enum havm_migration */
	KEY_LOAD_SOURCE,  /* "domains" or "host" into enum havm_load_source */
	KEY_SEVERITY,     /* "err", "warning", "notice" or "info" into int (LOG_*) */
	KEY_PATHS,        /* list of absolute paths into char[][HAVM_PATH_MAX + 1] */
	KEY_SNMP_RECEIVERS, /* list of trap receivers into struct havm_snmp_receiver[] */
	KEY_SNMP_VERSION, /* "2c" or "3" into enum havm_snmp_version */
	KEY_SNMP_ADDRESS, /* "udp:HOST[:PORT]" or "udp6:..." into the receiver's address */
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
	/* Before the kind's name in messages: "version " (a "version 3 SNMP
	 * receiver"); NULL for none. */
	const char *kind_prefix;
	/* Rules across keys, once all of them are stored or defaulted. */
	int (*check)(struct config_ctx *c, const config_setting_t *set, const void *dst);
};

/* ---- the tables (config_tables.c) ------------------------------------ */

/* The top level of the file; host entries and fence devices are reached
 * through lists, not KEY_GROUP rows, and are parsed with their own tables. */
extern const struct config_group config_top_group;
extern const struct config_group config_host_group;
extern const struct config_group config_device_group;
extern const struct config_group config_snmp_group;

/* ---- one load ---------------------------------------------------------- */

/* A fence device parsed so far: names are unique in the whole file. */
struct config_device_seen {
	const char *name;
	unsigned int line;
};

/* One config_load: where its message goes, the struct it fills, what it has seen. */
struct config_ctx {
	const char *path;
	char *err;
	size_t errlen;
	struct havm_config *cfg;
	struct config_device_seen
		devices[HAVM_HOSTS_MAX * HAVM_FENCE_LEVELS_MAX * HAVM_FENCE_DEVICES_MAX];
	size_t n_devices;
};

/* ---- errors (config_error.c) ------------------------------------------- */

/*
 * "FILE:LINE: message" into the caller's buffer, or "FILE: message" when
 * LINE is 0. Returns -EINVAL.
 */
__attribute__((format(printf, 3, 4))) int config_error_at(struct config_ctx *c, unsigned int line,
							  const char *fmt, ...);

/*
 * The error is about setting S: point at its line. The root group and an
 * absent setting (S NULL) have none, and the message names the file alone.
 * Returns -EINVAL.
 */
__attribute__((format(printf, 3, 4))) int
config_error(struct config_ctx *c, const config_setting_t *s, const char *fmt, ...);

/* "FILE: WHAT: strerror", returning RC, a negative errno. */
int config_error_errno(struct config_ctx *c, int rc, const char *what);

/* Append to the message made by one of the above. */
__attribute__((format(printf, 2, 3))) void config_err_append(struct config_ctx *c, const char *fmt,
							     ...);

/* ---- the raw text (config_prescan.c) ----------------------------------- */

/*
 * Check TEXT, the LEN bytes of the file (NUL-terminated), for what
 * libconfig would take silently, and make in *OUT (to be freed) the text
 * libconfig is to read instead. Returns 0, or -errno with the message in C.
 */
int config_prescan(struct config_ctx *c, const char *text, size_t len, char **out);

/* ---- the settings (config_parse.c) ------------------------------------- */

/*
 * Check group SET against table G and store it into DST, the struct the
 * group fills; SET NULL is an absent group, which takes its defaults.
 */
int config_parse_group(struct config_ctx *c, const struct config_group *g,
		       const config_setting_t *set, void *dst);

/* The rule across the keys of "fencing": retry_max_ms >= retry_ms. */
int config_check_fencing(struct config_ctx *c, const config_setting_t *set, const void *dst);

/* The rule across the keys of "storage": no unsafe watchdog claim with "none". */
int config_check_storage(struct config_ctx *c, const config_setting_t *set, const void *dst);
int config_check_vms(struct config_ctx *c, const config_setting_t *set, const void *dst);
int config_check_balance(struct config_ctx *c, const config_setting_t *set, const void *dst);

#endif
