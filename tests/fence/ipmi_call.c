/*
 * ipmi_call.c: call one function of libhavmfence (fence/ipmi.h,
 * fence/secret_file.h) and print its return as an errno name, so that
 * run-agent-tests.sh can assert the exact -errno of each public call
 * against ipmi_sim, and time the calls without a process start in them.
 *
 *   ipmi_call [-u USER] [-p PASSWORD] [-L 1-4] [-C CIPHER] [-t TIMEOUT_MS]
 *             [-n REPEAT] HOST PORT CALL [VERIFY_MS POLL_MS]
 *   ipmi_call secret PATH [SIZE]
 *
 * CALL: status, off, on, cycle, reset, off-verified, on-verified. Prints
 * "rc=OK" or "rc=EACCES" (and "on=1" for status) and "err=MESSAGE" on one
 * line each, then "usec: median M min A max B n N" (with -n, of N calls). Exit status 0 whatever the call returned, 2 on bad usage.
 */
#include "ipmi.h"
#include "secret_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define REPEAT_MAX 1000

/* The errors fence/ipmi.h and secret_file.h document, by name. */
static const char *rc_name(int rc)
{
	static const struct {
		int e;
		const char *name;
	} names[] = {
		{ EINVAL, "EINVAL" },
		{ EACCES, "EACCES" },
		{ EPERM, "EPERM" },
		{ ETIMEDOUT, "ETIMEDOUT" },
		{ EBUSY, "EBUSY" },
		{ EHOSTUNREACH, "EHOSTUNREACH" },
		{ EPROTONOSUPPORT, "EPROTONOSUPPORT" },
		{ EREMOTEIO, "EREMOTEIO" },
		{ ENOMEM, "ENOMEM" },
		{ EIO, "EIO" },
		{ EMSGSIZE, "EMSGSIZE" },
		{ ENOENT, "ENOENT" },
		{ ELOOP, "ELOOP" },
		{ ENAMETOOLONG, "ENAMETOOLONG" },
	};

	if (rc == 0)
		return "OK";
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (-rc == names[i].e)
			return names[i].name;
	return "OTHER";
}

static long parse_long(const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max) {
		fprintf(stderr, "ipmi_call: \"%s\" is not a number in %ld-%ld\n", s, min, max);
		exit(2);
	}
	return v;
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int usage(void)
{
	fprintf(stderr, "usage: ipmi_call [-u USER] [-p PASSWORD] [-L 1-4] [-C CIPHER] "
			"[-t TIMEOUT_MS] [-n REPEAT] HOST PORT CALL [VERIFY_MS POLL_MS]\n"
			"       ipmi_call secret PATH [SIZE]\n");
	return 2;
}

static int secret(int argc, char **argv)
{
	char buf[256], err[512] = "";
	size_t size = argc > 3 ? (size_t)parse_long(argv[3], 2, sizeof(buf)) : 21;
	int rc;

	if (argc < 3)
		return usage();
	rc = secret_file_read(argv[2], "password file", buf, size, err, sizeof(err));
	printf("rc=%s\n", rc_name(rc));
	if (rc == 0)
		printf("secret=%s\n", buf);
	else
		printf("err=%s\n", err);
	return 0;
}

int main(int argc, char **argv)
{
	struct fence_ipmi_target t = { .privilege = FENCE_IPMI_PRIV_OPERATOR,
				       .cipher_suite = FENCE_IPMI_CIPHER_DEFAULT,
				       .timeout_ms = 5000 };
	static uint64_t took[REPEAT_MAX];
	long repeat = 1;
	const char *call;
	char err[1024] = "";
	int c, rc = 0;

	if (argc > 1 && !strcmp(argv[1], "secret"))
		return secret(argc, argv);
	while ((c = getopt(argc, argv, "u:p:L:C:t:n:")) != -1) {
		switch (c) {
		case 'u': t.user = optarg; break;
		case 'p': t.password = optarg; break;
		case 'L': t.privilege = (enum fence_ipmi_privilege)parse_long(optarg, 0, 9); break;
		case 'C': t.cipher_suite = (int)parse_long(optarg, -1, 300); break;
		case 't': t.timeout_ms = (unsigned)parse_long(optarg, 0, 10000000); break;
		case 'n': repeat = parse_long(optarg, 1, REPEAT_MAX); break;
		default: return usage();
		}
	}
	if (argc - optind < 3)
		return usage();
	t.host = argv[optind];
	t.port = (uint16_t)parse_long(argv[optind + 1], 0, 65535);
	call = argv[optind + 2];

	for (long i = 0; i < repeat; i++) {
		uint64_t t0 = now_us();
		bool on = false;

		if (!strcmp(call, "status")) {
			rc = fence_ipmi_power_status(&t, &on, err, sizeof(err));
			if (i == repeat - 1 && rc == 0)
				printf("on=%d\n", on);
		} else if (!strcmp(call, "off") || !strcmp(call, "on") || !strcmp(call, "cycle") ||
			   !strcmp(call, "reset")) {
			enum fence_ipmi_action a = !strcmp(call, "off")     ? FENCE_IPMI_OFF
						   : !strcmp(call, "on")    ? FENCE_IPMI_ON
						   : !strcmp(call, "cycle") ? FENCE_IPMI_CYCLE
									    : FENCE_IPMI_RESET;
			rc = fence_ipmi_power_set(&t, a, err, sizeof(err));
		} else if (!strcmp(call, "off-verified") || !strcmp(call, "on-verified")) {
			struct fence_ipmi_verify v;

			if (argc - optind < 5)
				return usage();
			v.settle_ms = 0;
			v.timeout_ms = (unsigned)parse_long(argv[optind + 3], 0, 100000000);
			v.poll_ms = (unsigned)parse_long(argv[optind + 4], 0, 100000000);
			if (!strcmp(call, "off-verified"))
				rc = fence_ipmi_off_verified(&t, v.timeout_ms, v.poll_ms, err,
							     sizeof(err));
			else
				rc = fence_ipmi_power_verified(&t, true, &v, err, sizeof(err));
		} else {
			return usage();
		}
		took[i] = now_us() - t0;
	}
	printf("rc=%s\n", rc_name(rc));
	if (rc)
		printf("err=%s\n", err);
	qsort(took, (size_t)repeat, sizeof(took[0]), cmp_u64);
	printf("usec: median %llu min %llu max %llu n %ld\n",
	       (unsigned long long)took[(repeat - 1) / 2], (unsigned long long)took[0],
	       (unsigned long long)took[repeat - 1], repeat);
	return 0;
}
