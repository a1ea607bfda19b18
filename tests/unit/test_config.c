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
	assert_int_equal(cfg.hosts[0].fence_delay_ms, 0);
	assert_int_equal(cfg.reconnect_ms, 1000);
	assert_int_equal(cfg.syslog_facility, LOG_DAEMON);
	assert_false(cfg.debug);
	assert_int_equal(cfg.blackbox_kb, 1024);
	assert_int_equal(cfg.fence_action, HAVM_FENCE_ACTION_OFF);
	assert_int_equal(cfg.fence_timeout_ms, 30000);
	assert_int_equal(cfg.fence_retry_ms, 5000);
	assert_int_equal(cfg.fence_retry_max_ms, 60000);
}

static void full_sets_every_key(void **state)
{
	const struct havm_host *h = &cfg.hosts[0];
	const struct havm_fence_device *d;

	(void)state;
	load("full.conf");
	assert_string_equal(cfg.cluster_name, "prod-eu_1.a");
	assert_int_equal(cfg.n_hosts, 2);
	assert_string_equal(h->name, "kvm1");
	assert_int_equal(h->nodeid, 1);
	assert_int_equal(h->fence_delay_ms, 3000);
	assert_int_equal(h->fence_levels, 2);
	assert_int_equal(h->fence[0].n_devices, 1);
	d = &h->fence[0].devices[0];
	assert_int_equal(d->kind, HAVM_FENCE_IPMI);
	assert_string_equal(d->name, "kvm1-bmc");
	assert_string_equal(d->address, "10.0.0.11");
	assert_string_equal(d->user, "fence");
	assert_string_equal(d->password_file, "/etc/havm/kvm1-bmc.password");
	assert_int_equal(d->port, 1623);
	assert_int_equal(d->privilege, 4);
	assert_int_equal(d->cipher_suite, 17);
	assert_int_equal(h->fence[1].n_devices, 1);
	d = &h->fence[1].devices[0];
	assert_int_equal(d->kind, HAVM_FENCE_AGENT);
	assert_string_equal(d->name, "kvm1-pdu");
	assert_string_equal(d->agent, "/usr/sbin/fence_apc");
	assert_int_equal(d->n_args, 2);
	assert_string_equal(d->args[0], "ip=10.0.0.50");
	assert_string_equal(d->args[1], "plug=1");
	assert_string_equal(cfg.hosts[1].name, "kvm2");
	assert_int_equal(cfg.hosts[1].nodeid, 2);
	assert_int_equal(cfg.hosts[1].fence_levels, 0);
	assert_int_equal(cfg.hosts[1].fence_delay_ms, 0);
	assert_int_equal(cfg.reconnect_ms, 2500);
	assert_int_equal(cfg.syslog_facility, LOG_LOCAL7);
	assert_true(cfg.debug);
	assert_int_equal(cfg.blackbox_kb, 4096);
	assert_string_equal(cfg.storage_path, "/dev/disk/by-id/scsi-havm-leases");
	assert_int_equal(cfg.storage_io_timeout, 20);
	assert_int_equal(cfg.storage_watchdog, HAVM_WATCHDOG_NONE);
	assert_int_equal(cfg.fence_action, HAVM_FENCE_ACTION_REBOOT);
	assert_int_equal(cfg.fence_timeout_ms, 60000);
	assert_int_equal(cfg.fence_retry_ms, 10000);
	assert_int_equal(cfg.fence_retry_max_ms, 120000);
}

/* An ipmi device's agent fields, and an agent device's ipmi ones, stay empty. */
static void assert_ipmi_only(const struct havm_fence_device *d)
{
	assert_int_equal(d->kind, HAVM_FENCE_IPMI);
	assert_string_equal(d->agent, "");
	assert_int_equal(d->n_args, 0);
}

static void assert_agent_only(const struct havm_fence_device *d)
{
	assert_int_equal(d->kind, HAVM_FENCE_AGENT);
	assert_string_equal(d->address, "");
	assert_string_equal(d->user, "");
	assert_string_equal(d->password_file, "");
	assert_int_equal(d->port, 0);
	assert_int_equal(d->privilege, 0);
	assert_int_equal(d->cipher_suite, 0);
}

static void fence_levels_of_both_kinds(void **state)
{
	const struct havm_host *h;
	const struct havm_fence_device *d;

	(void)state;
	load("fence-levels.conf");
	assert_int_equal(cfg.n_hosts, 3);

	h = &cfg.hosts[0];
	assert_int_equal(h->fence_delay_ms, 5000);
	assert_int_equal(h->fence_levels, 2);
	assert_int_equal(h->fence[0].n_devices, 1);
	d = &h->fence[0].devices[0];
	assert_ipmi_only(d);
	assert_string_equal(d->name, "kvm1-bmc");
	assert_string_equal(d->address, "192.0.2.101");
	assert_string_equal(d->user, "admin");
	assert_string_equal(d->password_file, "/etc/havm/kvm1-bmc.password");
	assert_int_equal(d->port, 6230);
	assert_int_equal(d->privilege, 4);
	assert_int_equal(d->cipher_suite, 17);
	assert_int_equal(h->fence[1].n_devices, 2);
	d = &h->fence[1].devices[0];
	assert_agent_only(d);
	assert_string_equal(d->name, "pdu-a");
	assert_string_equal(d->agent, "/usr/sbin/fence_apc");
	assert_int_equal(d->n_args, 4);
	assert_string_equal(d->args[0], "ip=192.0.2.50");
	assert_string_equal(d->args[1], "plug=3");
	assert_string_equal(d->args[2], "username=apc");
	assert_string_equal(d->args[3], "password_script=/etc/havm/pdu.sh");
	d = &h->fence[1].devices[1];
	assert_agent_only(d);
	assert_string_equal(d->name, "pdu-b");
	assert_string_equal(d->agent, "/usr/sbin/fence_apc");
	assert_int_equal(d->n_args, 2);
	assert_string_equal(d->args[0], "ip=192.0.2.51");
	assert_string_equal(d->args[1], "plug=3");

	/* keys in any order, "type" last */
	h = &cfg.hosts[1];
	assert_int_equal(h->fence_delay_ms, 0);
	assert_int_equal(h->fence_levels, 1);
	assert_int_equal(h->fence[0].n_devices, 1);
	d = &h->fence[0].devices[0];
	assert_ipmi_only(d);
	assert_string_equal(d->name, "kvm2-bmc");
	assert_string_equal(d->address, "2001:db8::102");
	assert_string_equal(d->user, "havm");
	assert_string_equal(d->password_file, "/etc/havm/kvm2-bmc.password");
	assert_int_equal(d->port, 1);
	assert_int_equal(d->privilege, 3);
	assert_int_equal(d->cipher_suite, 0);

	h = &cfg.hosts[2];
	assert_int_equal(h->fence_levels, 0);
	assert_int_equal(h->fence_delay_ms, 0);
}

static void fence_device_defaults(void **state)
{
	const struct havm_fence_device *d;

	(void)state;
	load("fence-defaults.conf");
	assert_int_equal(cfg.hosts[0].fence_levels, 1);
	assert_int_equal(cfg.hosts[0].fence[0].n_devices, 1);
	d = &cfg.hosts[0].fence[0].devices[0];
	assert_ipmi_only(d);
	assert_string_equal(d->name, "kvm1-bmc");
	assert_string_equal(d->address, "kvm1-bmc.example.com");
	assert_string_equal(d->user, "admin");
	assert_string_equal(d->password_file, "/etc/havm/kvm1-bmc.password");
	assert_int_equal(d->port, 623);
	assert_int_equal(d->privilege, 3);
	assert_int_equal(d->cipher_suite, 3);
	assert_int_equal(cfg.hosts[1].fence_levels, 1);
	assert_int_equal(cfg.hosts[1].fence[0].n_devices, 1);
	d = &cfg.hosts[1].fence[0].devices[0];
	assert_agent_only(d);
	assert_string_equal(d->name, "kvm2-ssh");
	assert_string_equal(d->agent, "/usr/sbin/fence_kvm2");
	assert_int_equal(d->n_args, 0);
	assert_int_equal(cfg.hosts[0].fence_delay_ms, 0);
	assert_int_equal(cfg.hosts[1].fence_delay_ms, 0);
	/* no "fencing" group */
	assert_int_equal(cfg.fence_action, HAVM_FENCE_ACTION_OFF);
	assert_int_equal(cfg.fence_timeout_ms, 30000);
	assert_int_equal(cfg.fence_retry_ms, 5000);
	assert_int_equal(cfg.fence_retry_max_ms, 60000);
}

static void fencing_group(void **state)
{
	(void)state;
	load("fencing.conf");
	assert_int_equal(cfg.hosts[0].fence_levels, 0);
	assert_int_equal(cfg.fence_action, HAVM_FENCE_ACTION_REBOOT);
	assert_int_equal(cfg.fence_timeout_ms, 45000);
	assert_int_equal(cfg.fence_retry_ms, 2000);
	assert_int_equal(cfg.fence_retry_max_ms, 300000);
}

static void fence_bounds(void **state)
{
	const struct havm_host *h;
	const struct havm_fence_device *d;
	size_t l, i;

	(void)state;
	load("fence-bounds.conf");
	h = &cfg.hosts[0];
	assert_int_equal(h->fence_delay_ms, 60000);
	assert_int_equal(h->fence_levels, HAVM_FENCE_LEVELS_MAX);
	for (l = 0; l + 1 < HAVM_FENCE_LEVELS_MAX; l++) {
		assert_int_equal(h->fence[l].n_devices, HAVM_FENCE_DEVICES_MAX);
		for (i = 0; i < HAVM_FENCE_DEVICES_MAX; i++)
			assert_agent_only(&h->fence[l].devices[i]);
	}
	assert_string_equal(h->fence[2].devices[3].name, "l3d4");
	d = &h->fence[3].devices[0];
	assert_ipmi_only(d);
	assert_int_equal(strlen(d->address), sizeof(d->address) - 1);
	/* IPMI's own limit is 16 bytes (checked by havmd -n, not the syntax) */
	assert_string_equal(d->user, "!\"#$%&'()*+,-./0");
	assert_int_equal(strlen(d->user), 16);
	assert_string_equal(d->password_file, "/b");
	assert_int_equal(d->port, 65535);
	assert_int_equal(d->cipher_suite, 17);
	assert_int_equal(d->privilege, 3);

	h = &cfg.hosts[1];
	assert_int_equal(h->fence_levels, 2);
	d = &h->fence[0].devices[0];
	assert_int_equal(d->n_args, HAVM_FENCE_ARGS_MAX);
	assert_string_equal(d->args[0], "k1=v");
	assert_string_equal(d->args[9], "k10=v");
	assert_int_equal(strlen(d->args[10]), HAVM_FENCE_ARG_MAX);
	assert_string_equal(d->args[11], "ssl_insecure=");
	d = &h->fence[0].devices[1];
	assert_int_equal(d->n_args, 3);
	assert_string_equal(d->args[0], "a=b=c");
	assert_string_equal(d->args[1], "login=J\xc3\xa9r\xc3\xb4me");
	assert_string_equal(d->args[2], "cmd_prompt=[admin@pdu ~]$ ");
	d = &h->fence[1].devices[0];
	assert_ipmi_only(d);
	assert_string_equal(d->address, "a");
	assert_int_equal(d->port, 1);
	assert_int_equal(d->cipher_suite, 0);

	assert_int_equal(cfg.fence_action, HAVM_FENCE_ACTION_OFF);
	assert_int_equal(cfg.fence_timeout_ms, 1000);
	assert_int_equal(cfg.fence_retry_ms, 600000);
	assert_int_equal(cfg.fence_retry_max_ms, 600000);
}

/* A bad fence setting is -EINVAL like any other, and names its line. */
static void fence_error_is_einval(void **state)
{
	char path[4096];
	const char *srcdir = getenv("srcdir");

	(void)state;
	snprintf(path, sizeof(path), "%s/tests/config/bad/fence-ipmi-agent-key.conf",
		 srcdir ? srcdir : ".");
	assert_int_equal(config_load(path, &cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, ".conf:6: \"agent\" is not a setting of an ipmi device"));
}

static void storage_group(void **state)
{
	(void)state;
	load("minimal.conf");
	assert_string_equal(cfg.storage_path, ""); /* absent group: storage off */
	load("storage.conf");
	assert_string_equal(cfg.storage_path, "/var/lib/havm-shared/havm.leases");
	assert_int_equal(cfg.storage_io_timeout, 10);
	assert_false(cfg.storage_tiebreaker);
	assert_int_equal(cfg.storage_watchdog, HAVM_WATCHDOG_REQUIRED);
	assert_false(cfg.storage_unsafe_no_watchdog);
}

/* storage.watchdog and the test-only claim of one. */
static void storage_watchdog(void **state)
{
	char path[4096];
	const char *srcdir = getenv("srcdir");

	(void)state;
	load("minimal.conf"); /* no storage group: the default all the same */
	assert_int_equal(cfg.storage_watchdog, HAVM_WATCHDOG_REQUIRED);
	assert_false(cfg.storage_unsafe_no_watchdog);
	load("storage-watchdog-none.conf");
	assert_int_equal(cfg.storage_watchdog, HAVM_WATCHDOG_NONE);
	assert_false(cfg.storage_unsafe_no_watchdog);
	load("storage-unsafe-no-watchdog.conf");
	assert_int_equal(cfg.storage_watchdog, HAVM_WATCHDOG_REQUIRED);
	assert_true(cfg.storage_unsafe_no_watchdog);

	snprintf(path, sizeof(path), "%s/tests/config/bad/storage-unsafe-with-none.conf",
		 srcdir ? srcdir : ".");
	assert_int_equal(config_load(path, &cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, ".conf:7: \"unsafe_no_watchdog_for_tests\" contradicts"));
	snprintf(path, sizeof(path), "%s/tests/config/bad/storage-watchdog-unknown.conf",
		 srcdir ? srcdir : ".");
	assert_int_equal(config_load(path, &cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "must be one of required, none"));
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
		cmocka_unit_test(fence_levels_of_both_kinds),
		cmocka_unit_test(fence_device_defaults),
		cmocka_unit_test(fencing_group),
		cmocka_unit_test(fence_bounds),
		cmocka_unit_test(fence_error_is_einval),
		cmocka_unit_test(storage_group),
		cmocka_unit_test(storage_watchdog),
		cmocka_unit_test(lookups),
		cmocka_unit_test(missing_file_is_enoent),
		cmocka_unit_test(content_error_is_einval_and_err_fits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
