/*
 * test_config.c: the values config_load produces (the golden tests check
 * messages and exit codes; these check what a good file loads as), the
 * documented defaults, the lookups, and error returns.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

static struct havm_config cfg;
static char err[1024];

static void load(const char *name)
{
	char path[4096];
	const char *srcdir = getenv("srcdir");

	snprintf(path, sizeof(path), "%s/tests/config/good/%s", srcdir ? srcdir : ".", name);
	memset(&cfg, 0xa5, sizeof(cfg)); /* defaults must be set, not inherited */
	assert_int_equal(config_load(path, &cfg, err, sizeof(err)), 0);
}

static void minimal_gets_defaults(void **state)
{
	(void)state;
	load("minimal.conf");
	assert_string_equal(cfg.cluster_name, "c");
	assert_int_equal(cfg.n_hosts, 1);
	assert_string_equal(cfg.hosts[0].name, "kvm1");
	assert_int_equal(cfg.hosts[0].nodeid, 1);
	assert_int_equal(cfg.hosts[0].fence_levels, 0);
	assert_int_equal(cfg.reconnect_ms, 1000);
	assert_int_equal(cfg.syslog_facility, LOG_DAEMON);
	assert_false(cfg.debug);
	assert_int_equal(cfg.blackbox_kb, 1024);
}

static void full_sets_every_key(void **state)
{
	(void)state;
	load("full.conf");
	assert_string_equal(cfg.cluster_name, "prod-eu_1.a");
	assert_int_equal(cfg.n_hosts, 2);
	assert_string_equal(cfg.hosts[1].name, "kvm2");
	assert_int_equal(cfg.hosts[1].nodeid, 2);
	assert_int_equal(cfg.reconnect_ms, 2500);
	assert_int_equal(cfg.syslog_facility, LOG_LOCAL7);
	assert_true(cfg.debug);
	assert_int_equal(cfg.blackbox_kb, 4096);
}

static void storage_group(void **state)
{
	(void)state;
	load("minimal.conf");
	assert_string_equal(cfg.storage_path, ""); /* absent group: storage off */
	load("storage.conf");
	assert_string_equal(cfg.storage_path, "/var/lib/havm-shared/havm.leases");
	assert_int_equal(cfg.storage_io_timeout, 10);
}

static void lookups(void **state)
{
	(void)state;
	load("full.conf");
	assert_ptr_equal(config_host_by_nodeid(&cfg, 2), &cfg.hosts[1]);
	assert_null(config_host_by_nodeid(&cfg, 3));
	assert_ptr_equal(config_host_by_name(&cfg, "kvm1"), &cfg.hosts[0]);
	assert_null(config_host_by_name(&cfg, "kvm9"));
}

static void missing_file_is_enoent(void **state)
{
	(void)state;
	assert_int_equal(config_load("/nonexistent/havm.conf", &cfg, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "/nonexistent/havm.conf: cannot read"));
}

static void content_error_is_einval_and_err_fits(void **state)
{
	char small[24];
	char path[] = "/tmp/havm-test-config-XXXXXX";
	int fd = mkstemp(path);
	FILE *f;

	(void)state;
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs("cluster: { name = \"c\"; };\nhosts = ( { name = \"a\"; nodeid = 0; } );\n", f);
	fclose(f);
	assert_int_equal(config_load(path, &cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, ":2: \"nodeid\" is 0"));
	/* a small buffer still gets a NUL-terminated message */
	assert_int_equal(config_load(path, &cfg, small, sizeof(small)), -EINVAL);
	assert_true(strlen(small) < sizeof(small));
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(minimal_gets_defaults),
		cmocka_unit_test(full_sets_every_key),
		cmocka_unit_test(storage_group),
		cmocka_unit_test(lookups),
		cmocka_unit_test(missing_file_is_enoent),
		cmocka_unit_test(content_error_is_einval_and_err_fits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
