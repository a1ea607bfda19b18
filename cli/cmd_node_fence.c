/*
 * cmd_node_fence.c: `havm node fence NODE [--force]`: ask the cluster to
 * power NODE off now.
 *
 * The request goes to havmd on this host, which passes it to the
 * coordinator of the quorate partition; that one runs NODE's fence levels
 * as it would for a lost host, and the result lands in every host's fence
 * history. NODE is looked up in havmd's status first, so that a typo is
 * refused here, and a person at a terminal is asked to confirm.
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

int cmd_node_fence(int argc, char **argv, const char *usage)
{
	static struct wire_status_reply m;
	static uint8_t buf[HAVM_WIRE_MSG_MAX];
	const struct wire_status_node *n = NULL;
	struct wire_fence_request rq;
	uint8_t msg[HAVM_WIRE_HDR_LEN + 4];
	char q[CLI_QUOTE_SIZE];
	bool force = false;
	const char *name = NULL;
	size_t len = 0;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--force") == 0 || strcmp(argv[i], "-f") == 0)
			force = true;
		else if (!name && argv[i][0] != '-')
			name = argv[i];
		else
			return cli_unexpected(argv[i], usage);
	}
	if (!name) {
		fputs(usage, stderr);
		return HAVM_EXIT_USAGE;
	}
	rc = status_fetch(&m);
	if (rc)
		return rc;
	for (uint16_t i = 0; i < m.n_nodes && !n; i++)
		if (strcmp(m.nodes[i].name, name) == 0)
			n = &m.nodes[i];
	if (!n) {
		fprintf(stderr, "havm: no host named \"%s\" (havm node list shows them)\n",
			cli_quote(q, sizeof(q), name));
		return HAVM_EXIT_ERROR;
	}
	/* From here NAME is the name of a host in havmd's table: no quoting. */
	if (!force) {
		char answer[16] = "";
		if (!isatty(STDIN_FILENO)) {
			fprintf(stderr, "havm: not asking on a non-terminal; add --force to fence "
					"%s\n", name);
			return HAVM_EXIT_USAGE;
		}
		printf("Power off %s (node id %u) now? Everything on it stops at once. [y/N] ",
		       name, n->nodeid);
		fflush(stdout);
		if (!fgets(answer, sizeof(answer), stdin) || (answer[0] != 'y' && answer[0] != 'Y')) {
			printf("Not fenced.\n");
			return HAVM_EXIT_ERROR;
		}
	}
	rq.target = n->nodeid;
	rc = wire_fence_request_encode(msg, sizeof(msg), HAVM_MSG_NODE_FENCE_REQ, &rq);
	if (rc < 0) {
		fprintf(stderr, "havm: internal error encoding the request\n");
		return HAVM_EXIT_ERROR;
	}
	rc = ctl_call(msg, (size_t)rc, HAVM_MSG_NODE_FENCE_REPLY, buf, &len);
	if (rc)
		return rc;
	printf("havm: fence of %s requested; the coordinator carries it out "
	       "(havm fence history shows the result)\n",
	       name);
	return HAVM_EXIT_OK;
}
