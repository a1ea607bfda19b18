/*
 * main.c: havm, the command line for havmd. crm-style: one command per
 * action, `--help` everywhere, `--json` for scripts, documented exit codes.
 */
#include "cli.h"

#include "havm-build.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "status", cmd_status, "show the cluster: quorum, coordinator, hosts" },
	{ "node", cmd_node, "node list | fence NODE | maintenance NODE on|off: the hosts" },
	{ "cluster", cmd_cluster, "cluster maintenance on|off: pause every automatic action" },
	{ "vm", cmd_vm, "vm add|remove|start|stop|list|show: the protected VMs" },
	{ "configure", cmd_configure, "configure show|load: the cluster configuration as text" },
	{ "plan", cmd_plan, "plan --fail NODE: what would happen if hosts failed" },
	{ "balance", cmd_balance, "balance --dry-run: what the CPU-load balancer would do now" },
	{ "fence", cmd_fence, "fence history | fence check NODE" },
	{ "alert", cmd_alert, "alert test [--count N]: test events to the alert scripts" },
	{ "events", cmd_events, "what havmd recorded: quorum, coordinator, hosts, storage" },
	{ "debug", cmd_debug, "debug dump: print havmd's in-memory debug log" },
	{ "storage", cmd_storage, "storage init: prepare the shared storage (once)" },
};

bool cli_is_help(const char *arg)
{
	return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: havm COMMAND [ARGS] [--help]\n"
		   "Control and inspect havm, high availability for KVM virtual machines.\n\n"
		   "Commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nOptions:\n"
		   "  -h, --help     this help; `havm COMMAND --help` for a command\n"
		   "  -V, --version  print the version\n\n"
		   "Exit codes: 0 ok, 1 error (havmd refused or failed, a fence device did not\n"
		   "answer, a file could not be read), 2 usage error, 3 havmd not running,\n"
		   "4 permission denied, 5 malformed reply, 6 no such VM or host.\n"
		   "havm talks to havmd on this host; root or group haclient only. See havm(8).\n");
}

int cli_unexpected(const char *arg, const char *usage)
{
	char q[CLI_QUOTE_SIZE];

	fprintf(stderr, "havm: unexpected argument \"%s\"\n%s", cli_quote(q, sizeof(q), arg),
		usage ? usage : "");
	return HAVM_EXIT_USAGE;
}

int cli_bad_option(int c, char *const argv[], const char *usage)
{
	char q[CLI_QUOTE_SIZE], letter[3] = { '-', (char)optopt, '\0' };
	/*
	 * A short option is named by its letter (it may sit in a cluster such
	 * as -jx); a long one by the argument getopt has just stepped over.
	 */
	const char *opt = optopt > 0 && optopt < CLI_LONG ? letter : argv[optind - 1];

	if (c == ':')
		fprintf(stderr, "havm: missing value for option \"%s\"\n",
			cli_quote(q, sizeof(q), opt));
	else
		fprintf(stderr, "havm: invalid option \"%s\"\n", cli_quote(q, sizeof(q), opt));
	if (usage)
		fputs(usage, stderr);
	return HAVM_EXIT_USAGE;
}

const char *cli_quote(char *buf, size_t size, const char *arg)
{
	return text_escape(buf, size, arg, CLI_QUOTE_MAX);
}

int main(int argc, char **argv)
{
	char q[CLI_QUOTE_SIZE];
	bool help, version;

	if (argc < 2) {
		usage(stderr);
		return HAVM_EXIT_USAGE;
	}
	help = cli_is_help(argv[1]);
	version = strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0;
	/*
	 * The options of havm itself take no argument: "havm -V extra" is a
	 * mistake, and a script testing the exit status must see it (havm(8):
	 * 2 for an unexpected argument).
	 */
	if ((help || version) && argc > 2) {
		cli_unexpected(argv[2], NULL);
		usage(stderr);
		return HAVM_EXIT_USAGE;
	}
	if (help) {
		usage(stdout);
		return HAVM_EXIT_OK;
	}
	if (version) {
		printf("havm %s\n", PACKAGE_VERSION);
		return HAVM_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "havm: unknown command \"%s\"\n", cli_quote(q, sizeof(q), argv[1]));
	usage(stderr);
	return HAVM_EXIT_USAGE;
}
