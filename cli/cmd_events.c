/*
 * cmd_events.c: `havm events [-n N] [--json]`: the newest events of havmd's
 * ring on this host (daemon/events.h), oldest first.
 */
#include "cli.h"

#include "events_print.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const char usage[] =
	"Usage: havm events [-n N] [--json]\n"
	"Show what havmd on this host recorded since it started, oldest first: quorum\n"
	"gained or lost, a new coordinator, daemons joining and leaving the group, the\n"
	"storage's state and every host's heartbeat, the tiebreaker lease. One line each:\n"
	"TIME SEQ SEVERITY TYPE host=.. nodeid=.. vm=.. details. See havm(8).\n"
	"  -n N     the newest N events (default 50; 1 to 1000)\n"
	"  --json   a JSON array, one object per event, for scripts (see havm(8))\n";

/* N of -n: digits only, 1 to WIRE_EVENTS_MAX. */
static int parse_count(const char *arg, uint16_t *n)
{
	unsigned long v = 0;
	size_t len = strlen(arg);

	if (len == 0 || len > 5 || strspn(arg, "0123456789") != len)
		return -1;
	for (size_t i = 0; i < len; i++)
		v = v * 10 + (unsigned long)(arg[i] - '0');
	if (v < 1 || v > WIRE_EVENTS_MAX)
		return -1;
	*n = (uint16_t)v;
	return 0;
}

int cmd_events(int argc, char **argv)
{
	enum {
		OPT_JSON = CLI_LONG,
		OPT_HELP = CLI_LONG + 'h'
	};
	static const struct option opts[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	static struct wire_events_reply m;
	static uint8_t reply[HAVM_WIRE_MSG_MAX];
	struct wire_events_request rq = { .max = WIRE_EVENTS_DEFAULT };
	uint8_t msg[WIRE_EVENTS_REQUEST_LEN];
	char q[CLI_QUOTE_SIZE];
	bool json = false;
	size_t len = 0;
	int c, rc;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":n:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (parse_count(optarg, &rq.max) < 0) {
				fprintf(stderr,
					"havm: invalid value for -n \"%s\": give a number of "
					"events from 1 to %d\n%s",
					cli_quote(q, sizeof(q), optarg), WIRE_EVENTS_MAX, usage);
				return HAVM_EXIT_USAGE;
			}
			break;
		case OPT_JSON: json = true; break;
		case 'h':
		case OPT_HELP: fputs(usage, stdout); return HAVM_EXIT_OK;
		default: return cli_bad_option(c, argv, usage);
		}
	}
	if (optind != argc)
		return cli_unexpected(argv[optind], usage);

	rc = wire_events_request_encode(msg, sizeof(msg), &rq);
	if (rc < 0) {
		fprintf(stderr, "havm: internal error encoding the request\n");
		return HAVM_EXIT_ERROR;
	}
	rc = ctl_call(msg, (size_t)rc, HAVM_MSG_EVENTS_REPLY, reply, &len);
	if (rc)
		return rc;
	if (wire_events_reply_decode(reply, len, &m) || m.n_events > rq.max) {
		fprintf(stderr, "havm: malformed events reply from havmd\n");
		return HAVM_EXIT_PROTOCOL;
	}
	events_print_missing(stderr, &m);
	if (json) {
		if (events_print_json(stdout, &m) < 0) {
			fprintf(stderr, "havm: out of memory\n");
			return HAVM_EXIT_ERROR;
		}
	} else if (m.n_events == 0) {
		printf("No events recorded by havmd on this host yet.\n");
	} else {
		events_print_human(stdout, &m);
	}
	return HAVM_EXIT_OK;
}
