/*
 * lease_tool: drive lib/storage.c's lease calls from scenarios, against
 * the real sanlock of the host it runs in.
 *
 *   lease_tool create PATH NAME OFFSET
 *   lease_tool owner PATH NAME OFFSET          prints "host_id generation"
 *   lease_tool reclaim PATH NAME OFFSET HOST_ID
 *   lease_tool watchdog                        prints "yes" or "no": does this
 *                                              host's sanlock run with a watchdog
 *                                              (storage_watchdog_probe)?
 *
 * Exit 0 on success; otherwise prints storage_strerror and exits 1 (or 3
 * for -EBUSY, so a test can tell "held by someone else" apart).
 */
#include "storage.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t num(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);

	if (*s == '\0' || *end != '\0') {
		fprintf(stderr, "lease_tool: not a number: %s\n", s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	uint64_t owner = 0, gen = 0;
	bool has_watchdog = false;
	int rc;

	if (argc == 2 && !strcmp(argv[1], "watchdog")) {
		rc = storage_watchdog_probe(&has_watchdog);
		if (rc == 0)
			printf("%s\n", has_watchdog ? "yes" : "no");
	} else if (argc < 5) {
		fprintf(stderr,
			"usage: lease_tool create|owner|reclaim PATH NAME OFFSET [HOST_ID]\n"
			"       lease_tool watchdog\n");
		return 2;
	} else if (!strcmp(argv[1], "create")) {
		rc = lease_create(argv[2], argv[3], num(argv[4]));
	} else if (!strcmp(argv[1], "owner")) {
		rc = lease_owner(argv[2], argv[3], num(argv[4]), &owner, &gen);
		if (rc == 0)
			printf("%" PRIu64 " %" PRIu64 "\n", owner, gen);
	} else if (!strcmp(argv[1], "reclaim") && argc == 6) {
		rc = lease_reclaim_fenced(argv[2], argv[3], num(argv[4]), num(argv[5]));
	} else {
		fprintf(stderr, "lease_tool: unknown command %s\n", argv[1]);
		return 2;
	}
	if (rc < 0) {
		fprintf(stderr, "lease_tool: %s: %s\n", argv[1], storage_strerror(rc));
		return rc == -EBUSY ? 3 : 1;
	}
	return 0;
}
