/*
 * test_alerts_snmp.c: an event as an HAVM-MIB trap (daemon/alerts_snmp.c),
 * sent to a UDP socket of the test's own: the engine ID, the MIB's event
 * names against the daemon's, what a v2c and a v3 trap carry, a dead
 * receiver costing one send, and the secret files held to their rule.
 */
#define _GNU_SOURCE 1 /* memmem */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "alerts_snmp.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char dir[] = "/tmp/havm-test-snmp.XXXXXX";

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void put_file(const char *name, const char *text, mode_t mode, char *path, size_t len)
{
	FILE *f;

	snprintf(path, len, "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

/* A UDP socket on 127.0.0.1, its port in *PORT. */
static int udp_listen(unsigned *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

static ssize_t udp_recv(int fd, uint8_t *buf, size_t len)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (poll(&p, 1, 2000) != 1)
		return -1;
	return recv(fd, buf, len, 0);
}

static struct alert_snmp_trap sample(unsigned port)
{
	struct alert_snmp_trap t = { .from_nodeid = 1 };

	snprintf(t.rcv.address, sizeof(t.rcv.address), "udp:127.0.0.1:%u", port);
	t.e = (struct event_rec){ .seq = 5000000000ULL, .time_ms = 1796000000123ULL,
				  .type = HAVM_EV_FENCE_SUCCEEDED, .severity = 5, .nodeid = 3 };
	strcpy(t.e.host, "node3");
	strcpy(t.e.text, "level=1 devices=node3-bmc");
	strcpy(t.cluster, "testclu");
	strcpy(t.from, "node1");
	return t;
}

static bool has(const uint8_t *buf, size_t len, const void *what, size_t wlen)
{
	return memmem(buf, len, what, wlen) != NULL;
}
#define HAS(buf, len, lit) has(buf, len, lit, sizeof(lit) - 1)

/* havmEventNotification, enterprises.99999.0.1, as BER encodes it. */
static const uint8_t notification_ber[] = { 0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01,
					    0x86, 0x8d, 0x1f, 0x00, 0x01 };

static void engine_id(void **state)
{
	uint8_t id[ALERT_SNMP_ENGINE_ID_MAX];
	char hex[2 * ALERT_SNMP_ENGINE_ID_MAX + 3];
	size_t n;

	(void)state;
	n = alert_snmp_engine_id(1, "testclu", id, hex, sizeof(hex));
	assert_int_equal(n, 5 + strlen("havm-1-testclu"));
	assert_string_equal(hex, "0x8001869f046861766d2d312d74657374636c75");
	/* A long cluster name is cut: 32 bytes in all. */
	n = alert_snmp_engine_id(4294967294u, "a-cluster-name-far-too-long-for-an-engine-id", id,
				 NULL, 0);
	assert_int_equal(n, ALERT_SNMP_ENGINE_ID_MAX);
	assert_memory_equal(id + 5, "havm-4294967294-a-cluster-n", 27);
}

/* Every event type is in HAVM-MIB, its name in camel case, its number the same. */
static void mib_names(void **state)
{
	const char *srcdir = getenv("srcdir");
	char path[1024], *text;
	FILE *f;
	long len;

	(void)state;
	snprintf(path, sizeof(path), "%s/conf/HAVM-MIB.txt", srcdir ? srcdir : ".");
	f = fopen(path, "r");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	text = calloc(1, (size_t)len + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	for (int t = 1; t < HAVM_EV_COUNT; t++) {
		const char *name = event_type_name((enum havm_event)t);
		char want[96];
		size_t o = 0;
		bool up = false;

		for (const char *p = name; *p && o < 80; p++) {
			if (*p == '-') {
				up = true;
				continue;
			}
			want[o++] = up ? (char)toupper((unsigned char)*p) : *p;
			up = false;
		}
		snprintf(want + o, sizeof(want) - o, "(%d)", t);
		if (!strstr(text, want))
			fail_msg("HAVM-MIB lacks %s for event %s", want, name);
	}
	free(text);
}

static void v2c(void **state)
{
	unsigned port;
	int fd = udp_listen(&port);
	struct alert_snmp_trap t = sample(port);
	uint8_t buf[4096];
	char err[512] = "";
	ssize_t n;

	(void)state;
	t.rcv.version = HAVM_SNMP_V2C;
	put_file("community", "s3cret-community\n", 0600, t.rcv.community_file,
		 sizeof(t.rcv.community_file));
	assert_int_equal(alert_snmp_send(&t, err, sizeof(err)), 0);
	n = udp_recv(fd, buf, sizeof(buf));
	assert_true(n > 0);
	assert_true(HAS(buf, (size_t)n, "s3cret-community"));
	assert_true(has(buf, (size_t)n, notification_ber, sizeof(notification_ber)));
	assert_true(HAS(buf, (size_t)n, "node3"));
	assert_true(HAS(buf, (size_t)n, "level=1 devices=node3-bmc"));
	assert_true(HAS(buf, (size_t)n, "testclu"));
	assert_true(HAS(buf, (size_t)n, "node1"));
	/* One trap, no retry: nothing more comes. */
	assert_int_equal(udp_recv(fd, buf, sizeof(buf)), -1);
	close(fd);
}

/* authPriv: the trap goes out, and nothing of the event is readable in it. */
static void v3(void **state)
{
	unsigned port;
	int fd = udp_listen(&port);
	struct alert_snmp_trap t = sample(port);
	uint8_t buf[4096];
	char err[512] = "";
	ssize_t n;

	(void)state;
	t.rcv.version = HAVM_SNMP_V3;
	strcpy(t.rcv.user, "havm");
	put_file("auth", "auth-password\n", 0600, t.rcv.auth_password_file,
		 sizeof(t.rcv.auth_password_file));
	put_file("priv", "priv-password\n", 0600, t.rcv.priv_password_file,
		 sizeof(t.rcv.priv_password_file));
	assert_int_equal(alert_snmp_send(&t, err, sizeof(err)), 0);
	n = udp_recv(fd, buf, sizeof(buf));
	assert_true(n > 0);
	assert_true(HAS(buf, (size_t)n, "havm"));           /* the user, in clear */
	assert_true(HAS(buf, (size_t)n, "havm-1-testclu")); /* the engine ID */
	assert_false(HAS(buf, (size_t)n, "node3"));
	assert_false(HAS(buf, (size_t)n, "devices="));
	assert_false(HAS(buf, (size_t)n, "auth-password"));
	close(fd);
}

/* Nobody listens: the send still succeeds at once (UDP, no answer awaited). */
static void dead_receiver(void **state)
{
	unsigned port;
	int fd = udp_listen(&port);
	struct alert_snmp_trap t;
	struct timespec a, b;
	char err[512] = "";

	(void)state;
	close(fd); /* the port is now closed */
	t = sample(port);
	t.rcv.version = HAVM_SNMP_V2C;
	put_file("community", "public\n", 0600, t.rcv.community_file,
		 sizeof(t.rcv.community_file));
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(alert_snmp_send(&t, err, sizeof(err)), 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	assert_true((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000 < 1000);
}

static void secrets(void **state)
{
	unsigned port;
	int fd = udp_listen(&port);
	struct alert_snmp_trap t = sample(port);
	char err[512] = "";

	(void)state;
	t.rcv.version = HAVM_SNMP_V2C;
	put_file("community.open", "public\n", 0644, t.rcv.community_file,
		 sizeof(t.rcv.community_file));
	assert_int_equal(alert_snmp_send(&t, err, sizeof(err)), -EACCES);
	assert_non_null(strstr(err, "readable by others"));

	t.rcv.version = HAVM_SNMP_V3;
	strcpy(t.rcv.user, "havm");
	put_file("auth.short", "short\n", 0600, t.rcv.auth_password_file,
		 sizeof(t.rcv.auth_password_file));
	put_file("priv", "priv-password\n", 0600, t.rcv.priv_password_file,
		 sizeof(t.rcv.priv_password_file));
	assert_int_equal(alert_snmp_send(&t, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "fewer than 8"));
	snprintf(t.rcv.auth_password_file, sizeof(t.rcv.auth_password_file), "%s/none", dir);
	assert_int_equal(alert_snmp_send(&t, err, sizeof(err)), -ENOENT);
	/* Nothing went out. */
	{
		uint8_t buf[64];
		struct pollfd p = { .fd = fd, .events = POLLIN };

		assert_int_equal(poll(&p, 1, 100), 0);
		(void)buf;
	}
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(engine_id), cmocka_unit_test(mib_names), cmocka_unit_test(v2c),
		cmocka_unit_test(v3),        cmocka_unit_test(dead_receiver),
		cmocka_unit_test(secrets),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
