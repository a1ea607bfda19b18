/*
 * cmd_balance.c: `havm balance --dry-run [--json]` -- what the CPU-load
 * balancer would do now and why: each host's load, and the one move it
 * would make (VM, from, to, the loads before and after) or why it makes
 * none. havmd computes it from the same facts and with the same planner
 * (lib/vm_balance.c) as its coordinator; nothing changes.
 */
#include "cli.h"
#include "cli_json.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"Usage: havm balance --dry-run [--json]\n"
	"What the CPU-load balancer would do now (the balance group of havm.conf):\n"
	"each host's load, and the move it would make, or why none. Changes nothing.\n"
	"Exit codes: 0, 1 error, 2 usage, 3 havmd not running. See havm(8).\n";



int cmd_balance(int argc, char **argv)
{
	bool json = false, dry = false;
	char *text = NULL;
	size_t len = 0;
	json_object *doc, *hosts, *mv;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			fputs(usage, stdout);
			return HAVM_EXIT_OK;
		} else if (strcmp(argv[i], "--json") == 0) {
			json = true;
		} else if (strcmp(argv[i], "--dry-run") == 0) {
			dry = true;
		} else {
			return cli_unexpected(argv[i], usage);
		}
	}
	if (!dry) {
		fputs(usage, stderr);
		return HAVM_EXIT_USAGE;
	}
	rc = doc_fetch(WIRE_DOC_BALANCE, NULL, &text, &len);
	if (rc)
		return rc;
	if (json) {
		printf("%s\n", text);
		free(text);
		return HAVM_EXIT_OK;
	}
	doc = json_tokener_parse(text);
	free(text);
	if (!doc) {
		fprintf(stderr, "havm: havmd sent a malformed document\n");
		return HAVM_EXIT_PROTOCOL;
	}
	printf("High threshold %lld%% for %lld s; %lld moves, %lld failed (this coordinator)\n",
	       (long long)jint(doc, "high_threshold"), (long long)jint(doc, "hold_time_ms") / 1000,
	       (long long)jint(doc, "moves"), (long long)jint(doc, "failures"));
	if (json_object_object_get_ex(doc, "hosts", &hosts))
		for (size_t i = 0; i < json_object_array_length(hosts); i++) {
			json_object *o = json_object_array_get_idx(hosts, i), *hot;
			bool is_hot = json_object_object_get_ex(o, "hot", &hot) &&
				      json_object_get_boolean(hot);
			printf("  %-16s %4lld%%%s", jstr(o, "name"), (long long)jint(o, "load_pct"),
			       is_hot ? "  HOT" : "");
			if (jint(o, "above_ms"))
				printf("  above the threshold for %lld s",
				       (long long)jint(o, "above_ms") / 1000);
			printf("\n");
		}
	if (json_object_object_get_ex(doc, "move", &mv) && mv)
		printf("Would move %s from %s to %s: %s\n", jstr(mv, "vm"), jstr(mv, "from"),
		       jstr(mv, "to"), jstr(mv, "reason"));
	else
		printf("No move: %s\n", jstr(doc, "why"));
	json_object_put(doc);
	return HAVM_EXIT_OK;
}
