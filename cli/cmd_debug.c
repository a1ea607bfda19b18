/*
 * cmd_debug.c: `havm debug dump`: have havmd write its in-memory debug ring
 * (the libqb blackbox) to a file, then print that file.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <qb/qblog.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/*
 * libqb prints the ring to stdout and, on reaching its end, always says
 * "ERROR: qb_rb_chunk_read failed: Connection timed out" on stderr and
 * returns -EIO: the end of a ring read without waiting (libqb 2.0.6). That
 * is not an error; an operator should not see it, so stderr is silenced for
 * the call alone, and its return value, the same for a good dump as for a
 * bad one, is not used. What can go wrong (no file, no permission) is
 * checked before.
 */
static int print_ring(const char *path)
{
	int saved = dup(STDERR_FILENO), null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (access(path, R_OK) < 0) {
		fprintf(stderr, "havm: cannot read %s: %s\n", path, strerror(errno));
		return HAVM_EXIT_ERROR;
	}
	if (saved >= 0 && null >= 0)
		dup2(null, STDERR_FILENO);
	(void)qb_log_blackbox_print_from_file(path);
	fflush(stdout);
	if (saved >= 0) {
		dup2(saved, STDERR_FILENO);
		close(saved);
	}
	if (null >= 0)
		close(null);
	return HAVM_EXIT_OK;
}

int cmd_debug(int argc, char **argv)
{
	static const char usage[] =
		"Usage: havm debug dump\n"
		"Print havmd's debug ring: the recent debug-level log of the daemon on this\n"
		"host, kept in memory whatever the log level. Attach it to bug reports.\n";
	static uint8_t buf[HAVM_WIRE_MSG_MAX];
	struct wire_debug_dump_reply m;
	size_t len = 0;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			fputs(usage, stdout);
			return HAVM_EXIT_OK;
		}
	}
	if (argc != 2 || strcmp(argv[1], "dump") != 0) {
		fputs(usage, stderr);
		return HAVM_EXIT_USAGE;
	}
	rc = ctl_request(HAVM_MSG_DEBUG_DUMP_REQ, HAVM_MSG_DEBUG_DUMP_REPLY, buf, &len);
	if (rc)
		return rc;
	if (wire_debug_dump_reply_decode(buf, len, &m)) {
		fprintf(stderr, "havm: malformed debug dump reply from havmd\n");
		return HAVM_EXIT_PROTOCOL;
	}
	fprintf(stderr, "havm: debug ring written to %s\n", m.path);
	fflush(stderr);
	return print_ring(m.path);
}
