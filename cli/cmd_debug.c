/*
 * cmd_debug.c: `havm debug dump`: have havmd write its in-memory debug ring
 * (the libqb blackbox) to a file, then print that file.
 */
#include "cli.h"

#include <qb/qblog.h>
#include <stdio.h>
#include <string.h>

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

	if (argc != 2 || cli_is_help(argv[1]) || strcmp(argv[1], "dump") != 0) {
		bool help = argc == 2 && cli_is_help(argv[1]);
		fputs(usage, help ? stdout : stderr);
		return help ? HAVM_EXIT_OK : HAVM_EXIT_USAGE;
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
	qb_log_blackbox_print_from_file(m.path);
	return HAVM_EXIT_OK;
}
