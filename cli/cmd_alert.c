/*
 * cmd_alert.c: `havm alert test [--count N]` -- havmd records N test
 * events ("alert-test", about this host, at notice) and sends each to its
 * alert scripts like any other event; nothing else happens. For checking
 * a script, and (with a large N) that a flood is limited and summarised.
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"Usage: havm alert test [--count N]\n"
	"Record N (default 1, at most 10000) test events on this host: each goes to\n"
	"the alert scripts of havm.conf's alerts group like any event (at most\n"
	"alerts.per_minute a minute; the rest are summarised). Nothing else happens.\n"
	"Exit codes: 0 recorded, 1 refused (no alert scripts), 2 usage, 3 havmd not\n"
	"running. See havm(8).\n";

int cmd_alert(int argc, char **argv)
{
	uint8_t msg[HAVM_WIRE_MSG_MAX], reply[HAVM_WIRE_MSG_MAX];
	unsigned long count = 1;
	char q[CLI_QUOTE_SIZE];
	size_t len = 0;
	int n, rc;

	for (int i = 1; i < argc; i++)
		if (cli_is_help(argv[i])) {
			fputs(usage, stdout);
			return HAVM_EXIT_OK;
		}
	if (argc < 2 || strcmp(argv[1], "test") != 0) {
		fputs(usage, stderr);
		return HAVM_EXIT_USAGE;
	}
	for (int i = 2; i < argc; i++) {
		char *end;
		if (strcmp(argv[i], "--count") != 0 || i + 1 >= argc)
			return cli_unexpected(argv[i], usage);
		count = strtoul(argv[++i], &end, 10);
		if (*end || !argv[i][0] || count == 0 || count > WIRE_ALERT_TEST_MAX) {
			fprintf(stderr, "havm: --count takes 1 to %d, not %s\n", WIRE_ALERT_TEST_MAX,
				cli_quote(q, sizeof(q), argv[i]));
			return HAVM_EXIT_USAGE;
		}
	}
	n = wire_alert_test_encode(msg, sizeof(msg), (uint32_t)count);
	if (n < 0) {
		fprintf(stderr, "havm: internal error encoding the request\n");
		return HAVM_EXIT_ERROR;
	}
	rc = ctl_call(msg, (size_t)n, HAVM_MSG_ALERT_TEST_REPLY, reply, &len);
	if (rc)
		return rc;
	printf("%lu test event(s) recorded; see havm events and the alert scripts' output\n", count);
	return HAVM_EXIT_OK;
}
