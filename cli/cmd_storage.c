/*
 * cmd_storage.c: `havm storage init`: lay out havm's area on the shared
 * storage (lib/storage.h). It talks to the local sanlock daemon directly,
 * not to havmd: it is a one-time step before havmd can use the storage,
 * and it works the same whether havmd runs or not.
 */
#include "cli.h"

#include "config.h"
#include "storage.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

int cmd_storage(int argc, char **argv)
{
	static const char usage[] =
		"Usage: havm storage init [--force] [-c FILE]\n"
		"Initialise havm's area on the shared storage named by storage.path in\n"
		"havm.conf: the sanlock lockspace (one heartbeat per host) and the\n"
		"tiebreaker lease. Run it once, on one host, with sanlock running.\n"
		"  --force          rewrite an area that is already initialised (only with\n"
		"                   havmd stopped on every host: it breaks their leases)\n"
		"  -c, --config F   configuration file (default " HAVM_CONFIG_DEFAULT_PATH ")\n";
	enum {
		OPT_FORCE = CLI_LONG,
		OPT_CONFIG = CLI_LONG + 'c',
		OPT_HELP = CLI_LONG + 'h'
	};
	static const struct option opts[] = {
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "config", required_argument, NULL, OPT_CONFIG },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	static struct havm_config cfg;
	const char *config = HAVM_CONFIG_DEFAULT_PATH;
	bool force = false;
	char err[1024], q[CLI_QUOTE_SIZE];
	int c, rc;

	if (argc < 2 || cli_is_help(argv[1])) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? HAVM_EXIT_USAGE : HAVM_EXIT_OK;
	}
	if (strcmp(argv[1], "init") != 0) {
		fprintf(stderr, "havm: unknown storage command \"%s\"\n%s",
			cli_quote(q, sizeof(q), argv[1]), usage);
		return HAVM_EXIT_USAGE;
	}
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc - 1, argv + 1, ":c:h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_FORCE: force = true; break;
		case 'c':
		case OPT_CONFIG: config = optarg; break;
		case 'h':
		case OPT_HELP: fputs(usage, stdout); return HAVM_EXIT_OK;
		default: return cli_bad_option(c, argv + 1, usage);
		}
	}
	if (optind != argc - 1)
		return cli_unexpected(argv[optind + 1], usage);
	if (config_load(config, &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "havm: %s\n", err);
		return HAVM_EXIT_ERROR;
	}
	if (!cfg.storage_path[0]) {
		fprintf(stderr, "havm: %s has no storage group; add storage { path = \"...\"; }\n",
			cli_quote(q, sizeof(q), config));
		return HAVM_EXIT_ERROR;
	}
	rc = storage_init(cfg.storage_path, cfg.storage_io_timeout, force);
	if (rc < 0) {
		fprintf(stderr, "havm: cannot initialise %s: %s\n", cfg.storage_path,
			storage_strerror(rc));
		return HAVM_EXIT_ERROR;
	}
	printf("havm: initialised %s: lockspace \"%s\" (io_timeout %u s) and the tiebreaker "
	       "lease\n",
	       cfg.storage_path, STORAGE_LOCKSPACE, cfg.storage_io_timeout);
	return HAVM_EXIT_OK;
}
