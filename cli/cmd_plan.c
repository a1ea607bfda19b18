/*
 * cmd_plan.c: `havm plan --fail NODE[,NODE...] [--json]` -- what the
 * cluster would do now if those hosts died: where each of their VMs would
 * start, and what would stay pending and why. havmd computes it with the
 * same input and the same planner as its coordinator (lib/vm_place.c),
 * taking the named hosts as failed and proven off.
 */
#include "cli.h"
#include "cli_json.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char plan_usage[] =
	"Usage: havm plan --fail NODE[,NODE...] [--json]\n"
	"What the cluster would do now if the named hosts failed: where each VM\n"
	"would start, and which would stay pending and why (the coordinator's own\n"
	"planner, on the cluster as it is now). Changes nothing. Exit codes: 0 every\n"
	"protected VM would run, 1 some would not (or an error), 2 usage, 3 havmd not\n"
	"running, 6 no such host. See havm(8).\n";


int cmd_plan(int argc, char **argv)
{
	const char *fail = NULL;
	bool json = false;
	char *text = NULL;
	size_t len = 0;
	json_object *doc, *vms;
	int rc, short_n = 0;

	for (int i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			fputs(plan_usage, stdout);
			return HAVM_EXIT_OK;
		} else if (strcmp(argv[i], "--json") == 0) {
			json = true;
		} else if (strcmp(argv[i], "--fail") == 0 && i + 1 < argc && !fail) {
			fail = argv[++i];
		} else if (strncmp(argv[i], "--fail=", 7) == 0 && !fail) {
			fail = argv[i] + 7;
		} else {
			return cli_unexpected(argv[i], plan_usage);
		}
	}
	if (!fail || !fail[0]) {
		fprintf(stderr, "havm: plan needs --fail NODE[,NODE...]\n%s", plan_usage);
		return HAVM_EXIT_USAGE;
	}
	rc = doc_fetch(WIRE_DOC_PLAN, fail, &text, &len);
	if (rc)
		return rc;
	doc = json_tokener_parse(text);
	free(text);
	if (!doc || !json_object_object_get_ex(doc, "vms", &vms) ||
	    !json_object_is_type(vms, json_type_array)) {
		fprintf(stderr, "havm: malformed reply from havmd\n");
		json_object_put(doc);
		return HAVM_EXIT_PROTOCOL;
	}
	for (size_t i = 0; i < json_object_array_length(vms); i++) {
		json_object *o = json_object_array_get_idx(vms, i);
		if (strcmp(jstr(o, "status"), "pending") == 0 || strcmp(jstr(o, "status"), "failed") == 0)
			short_n++;
	}
	if (json) {
		printf("%s\n", json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY));
	} else {
		printf("If %s failed now:\n", fail);
		printf("%-20s %-11s %-10s %s\n", "VM", "WOULD", "HOST", "WHY");
		for (size_t i = 0; i < json_object_array_length(vms); i++) {
			json_object *o = json_object_array_get_idx(vms, i);
			const char *st = jstr(o, "status");
			const char *host = strcmp(st, "would-start") == 0 ? jstr(o, "target")
									  : jstr(o, "host");

			printf("%-20s %-11s %-10s %s\n", jstr(o, "name"),
			       strcmp(st, "would-start") == 0 ? "start"
			       : strcmp(st, "running") == 0   ? "keep"
							      : st,
			       host[0] ? host : "-", jstr(o, "reason"));
		}
		if (short_n)
			printf("%d VM(s) would not run.\n", short_n);
		else
			printf("Every protected VM would run.\n");
	}
	json_object_put(doc);
	return short_n ? HAVM_EXIT_ERROR : HAVM_EXIT_OK;
}
