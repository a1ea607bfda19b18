/*
 * cmd_fence.c: `havm fence history` and `havm fence check NODE`.
 *
 * Both work without havmd: the history is this host's own record (useful
 * precisely when the cluster is in trouble), and a check talks to the
 * host's fence devices directly, reading power state and changing nothing.
 */
#include "cli.h"

#include "config.h"
#include "device.h"
#include "json.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HISTORY_PATH "/var/lib/havm/fence-history"

/* Value of KEY in a history line (key=value, detail="..." last), into OUT. */
static void field(const char *line, const char *key, char *out, size_t size)
{
	char pat[32];
	const char *p, *end;

	out[0] = '\0';
	snprintf(pat, sizeof(pat), " %s=", key);
	p = strstr(line, pat);
	if (!p)
		return;
	p += strlen(pat);
	if (*p == '"') {
		p++;
		end = strrchr(p, '"'); /* detail is last and may hold quotes */
	} else {
		end = p + strcspn(p, " \n");
	}
	if (!end || end < p)
		end = p + strlen(p);
	snprintf(out, size, "%.*s", (int)(end - p), p);
}

static void history_json(FILE *f)
{
	static const char *const keys[] = { "host",	  "nodeid",	 "result", "level",
					    "elapsed_ms", "incarnation", "by",	   "detail" };
	char line[2048], v[1500];
	bool first = true;

	printf("[");
	while (fgets(line, sizeof(line), f)) {
		printf("%s{\"time\":", first ? "" : ",");
		first = false;
		snprintf(v, sizeof(v), "%.*s", (int)strcspn(line, " "), line);
		json_put_string(stdout, v);
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			field(line, keys[k], v, sizeof(v));
			printf(",\"%s\":", keys[k]);
			if (!strcmp(keys[k], "nodeid") || !strcmp(keys[k], "level") ||
			    !strcmp(keys[k], "elapsed_ms") || !strcmp(keys[k], "incarnation"))
				printf("%llu", strtoull(v, NULL, 10));
			else
				json_put_string(stdout, v);
		}
		printf("}");
	}
	printf("]\n");
}

static int fence_history(int argc, char **argv)
{
	bool json = false;
	FILE *f;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = true;
		else
			return cli_unexpected(argv[i], NULL);
	}
	f = fopen(HISTORY_PATH, "re");
	if (!f && errno == ENOENT) {
		if (json)
			printf("[]\n");
		else
			printf("No fences recorded on this host.\n");
		return HAVM_EXIT_OK;
	}
	if (!f) {
		fprintf(stderr, "havm: cannot read %s: %s\n", HISTORY_PATH, strerror(errno));
		return errno == EACCES ? HAVM_EXIT_DENIED : HAVM_EXIT_ERROR;
	}
	if (json) {
		history_json(f);
	} else {
		char line[2048];
		while (fgets(line, sizeof(line), f))
			fputs(line, stdout);
	}
	fclose(f);
	return HAVM_EXIT_OK;
}

static int fence_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, CLI_LONG + 'c' },
		{ NULL, 0, NULL, 0 },
	};
	static const char usage[] = "Usage: havm fence check NODE [-c FILE]\n";
	static struct havm_config cfg;
	const char *config = HAVM_CONFIG_DEFAULT_PATH;
	const struct havm_host *host;
	char err[1024], q1[CLI_QUOTE_SIZE], q2[CLI_QUOTE_SIZE];
	int c, failed = 0;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:", opts, NULL)) != -1) {
		if (c != 'c' && c != CLI_LONG + 'c')
			return cli_bad_option(c, argv, usage);
		config = optarg;
	}
	if (optind != argc - 1) {
		fputs(usage, stderr);
		return HAVM_EXIT_USAGE;
	}
	if (config_load(config, &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "havm: %s\n", err);
		return HAVM_EXIT_ERROR;
	}
	host = config_host_by_name(&cfg, argv[optind]);
	if (!host) {
		fprintf(stderr, "havm: no host \"%s\" in %s\n",
			cli_quote(q1, sizeof(q1), argv[optind]), cli_quote(q2, sizeof(q2), config));
		return HAVM_EXIT_ERROR;
	}
	if (host->fence_levels == 0) {
		printf("%s has no fence levels: only sanlock's storage heartbeat can show it dead\n",
		       host->name);
		return HAVM_EXIT_OK;
	}
	for (size_t l = 0; l < host->fence_levels; l++) {
		for (size_t d = 0; d < host->fence[l].n_devices; d++) {
			const struct havm_fence_device *dev = &host->fence[l].devices[d];
			bool on = false;
			int rc;

			err[0] = '\0';
			rc = fence_device_status(dev, &on, err, sizeof(err));
			printf("level %zu device %s (%s): ", l + 1, dev->name,
			       dev->kind == HAVM_FENCE_IPMI ? "ipmi" : "agent");
			if (rc < 0) {
				printf("ERROR %s\n", err);
				failed++;
			} else {
				printf("power %s\n", on ? "on" : "off");
			}
		}
	}
	return failed ? HAVM_EXIT_ERROR : HAVM_EXIT_OK;
}

int cmd_fence(int argc, char **argv)
{
	static const char usage[] =
		"Usage: havm fence history [--json]\n"
		"       havm fence check NODE [-c FILE]\n"
		"history: the fences recorded on this host (every host records every fence\n"
		"  in the same order), from /var/lib/havm/fence-history; works without havmd.\n"
		"check: ask each fence device of NODE for its power state (reads only; it\n"
		"  changes nothing); exit 1 if any device does not answer.\n";
	char q[CLI_QUOTE_SIZE];

	for (int i = 1; i < argc; i++)
		if (cli_is_help(argv[i])) {
			fputs(usage, stdout);
			return HAVM_EXIT_OK;
		}
	if (argc < 2) {
		fputs(usage, stderr);
		return HAVM_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "history"))
		return fence_history(argc - 1, argv + 1);
	if (!strcmp(argv[1], "check"))
		return fence_check(argc - 1, argv + 1);
	fprintf(stderr, "havm: unknown fence command \"%s\"\n%s", cli_quote(q, sizeof(q), argv[1]),
		usage);
	return HAVM_EXIT_USAGE;
}
