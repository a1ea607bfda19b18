/*
 * cli.h: the havm command line. Exit codes are part of the interface
 * (documented in havm(8)); scripts rely on them.
 */
#ifndef HAVM_CLI_H
#define HAVM_CLI_H

#include "text_escape.h"
#include "wire.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum havm_exit {
	HAVM_EXIT_OK = 0,
	HAVM_EXIT_ERROR = 1,       /* havmd answered with an error */
	HAVM_EXIT_USAGE = 2,       /* bad command line */
	HAVM_EXIT_NOT_RUNNING = 3, /* havmd is not running on this host */
	HAVM_EXIT_DENIED = 4,      /* not root and not in group haclient */
	HAVM_EXIT_PROTOCOL = 5,    /* havmd's reply was malformed */
	HAVM_EXIT_NOT_FOUND = 6,   /* no such VM or host */
};

/*
 * Send a body-less request of TYPE to havmd and receive the reply into
 * REPLY (HAVM_WIRE_MSG_MAX bytes). On success *LEN is the reply's length
 * and the return is HAVM_EXIT_OK; an error reply is printed and mapped to
 * an exit code. Every failure is printed to stderr.
 */
int ctl_request(enum havm_msg_type type, enum havm_msg_type want, void *reply, size_t *len);

/* The same for a request already encoded (one with a body). */
int ctl_call(const void *msg, size_t msg_len, enum havm_msg_type want, void *reply, size_t *len);

/* A connection for several requests (chunked transfers): HAVM_EXIT_OK or
 * an exit code with the failure printed. */
struct ctl_conn;
int ctl_open(struct ctl_conn **c);
int ctl_exchange(struct ctl_conn *c, const void *msg, size_t msg_len, enum havm_msg_type want,
		 void *reply, size_t *len);
void ctl_close(struct ctl_conn *c);
/* The status of the last error reply (HAVM_E_*), for callers that retry. */
extern enum havm_status ctl_last_status;
/* Error replies not printed (a caller that only looks). */
extern bool ctl_quiet;
/* CONFLICT replies not printed (a caller that retries on them); every
 * other error reply still is. */
extern bool ctl_quiet_conflict;

/*
 * A document from havmd (WIRE_DOC_*), all its chunks: a malloc'ed
 * NUL-terminated text in *OUT. HAVM_EXIT_OK or an exit code (printed).
 * In cmd_vm.c.
 */
int doc_fetch(uint8_t kind, const char *arg, char **out, size_t *len);

/* In cmd_vm.c, for cmd_vm.c and cmd_configure.c: send a change's text and
 * wait until it is applied; check a domain XML as havmd will (filling
 * SPEC's memory and vcpus); load havm.conf and insist on its vms group. */
struct vm_spec;
struct havm_config;
int vm_change_send(const char *text, size_t len, uint64_t *version);
int vm_change_send_retry(const char *text, size_t len, uint64_t *version);
int vm_xml_check(const char *path, const char *shared_dir, const char *name, struct vm_spec *spec);
int vm_load_config(const char *path, struct havm_config *cfg);
/* Ask the coordinator to live-migrate VM to node DEST; HAVM_EXIT_OK once
 * havmd has passed the request on (not when the VM has moved). */
int vm_migrate_send(const char *vm, uint32_t dest);

int cmd_status(int argc, char **argv);
int cmd_vm(int argc, char **argv);
int cmd_configure(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_fence(int argc, char **argv);
int cmd_node(int argc, char **argv);
int cmd_debug(int argc, char **argv);
int cmd_storage(int argc, char **argv);
int cmd_events(int argc, char **argv);
int cmd_cluster(int argc, char **argv);
int cmd_balance(int argc, char **argv);
int cmd_alert(int argc, char **argv);
/* `havm node maintenance`, from cmd_node: ARGV[0] is "maintenance". In
 * cmd_maint.c. */
int cmd_node_maintenance(int argc, char **argv);

/*
 * `havm node fence`, from cmd_node: ARGV[0] is "fence", USAGE is that of
 * `havm node`. In cmd_node_fence.c.
 */
int cmd_node_fence(int argc, char **argv, const char *usage);

/*
 * Ask havmd for its status and decode the reply into *M. HAVM_EXIT_OK, or
 * an exit code with the failure printed. In cmd_status.c.
 */
int status_fetch(struct wire_status_reply *m);

/* For commands: true if ARG is -h/--help. */
bool cli_is_help(const char *arg);

/*
 * Arguments are quoted back in messages through text_escape(): a control
 * byte in one must not reach the terminal. The first CLI_QUOTE_MAX bytes
 * are shown, then "...".
 */
#define CLI_QUOTE_MAX 128
#define CLI_QUOTE_SIZE TEXT_ESCAPE_SIZE(CLI_QUOTE_MAX)

/* ARG escaped into BUF (SIZE bytes, CLI_QUOTE_SIZE for all of it); returns BUF. */
const char *cli_quote(char *buf, size_t size, const char *arg);

/*
 * Print "havm: unexpected argument "ARG"" (ARG escaped) and USAGE (if not
 * NULL) on stderr; returns HAVM_EXIT_USAGE.
 */
int cli_unexpected(const char *arg, const char *usage);

/*
 * Long options have a val of CLI_LONG or more (CLI_LONG + 'c' for --config,
 * which is also -c): getopt then reports a bad long option with optopt of
 * CLI_LONG or more (0 if unknown), a bad short one with its letter, and
 * cli_bad_option can name each as it was typed.
 */
#define CLI_LONG 256

/*
 * After getopt_long returned C, '?' or ':' (OPTSTRING starting with ':',
 * opterr 0): print which option was invalid or lacks its value, escaped,
 * and USAGE (if not NULL); returns HAVM_EXIT_USAGE. getopt's own message
 * would quote the option raw.
 */
int cli_bad_option(int c, char *const argv[], const char *usage);

#endif
