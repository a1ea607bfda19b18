/*
 * test_ocf_vm_params.c: agents/vm_params.c, the OCF agent's parameters
 * from a table instead of the environment, and the migration URIs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the headers above first. */
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "vm_params.h"

/* NULL-terminated key, value pairs. */
static const char *table_get(const char *key, void *ctx)
{
	const char *const *kv = ctx;

	for (; kv[0]; kv += 2)
		if (strcmp(kv[0], key) == 0)
			return kv[1];
	return NULL;
}

static int read_params(const char *const *kv, struct vm_params *p, char *err, size_t len)
{
	return vm_params_read(p, table_get, (void *)kv, err, len);
}

static void test_defaults(void **state)
{
	const char *kv[] = { "config", "/shared/vm1.xml", NULL };
	struct vm_params p;
	char err[256] = "";

	(void)state;
	assert_int_equal(read_params(kv, &p, err, sizeof(err)), 0);
	assert_string_equal(p.config, "/shared/vm1.xml");
	assert_string_equal(p.hypervisor, "qemu:///system");
	assert_null(p.lease_path);
	assert_null(p.migration_uri);
	assert_int_equal(p.transport, VM_TRANSPORT_SSH);
	assert_int_equal(p.stop_grace_ms, VM_STOP_GRACE_DEFAULT_MS);
	assert_false(p.probe);
	assert_false(p.unsafe_migration);
}

static void test_full(void **state)
{
	const char *kv[] = { "config",
			     "/s/vm1.xml",
			     "lease_path",
			     "/s/havm.leases",
			     "lease_slot",
			     "1023",
			     "migration_transport",
			     "tls",
			     "stop_timeout",
			     "7",
			     "CRM_meta_timeout",
			     "20000",
			     "CRM_meta_interval",
			     "0",
			     "unsafe_migration_for_tests",
			     "yes",
			     NULL };
	struct vm_params p;
	char err[256] = "";

	(void)state;
	assert_int_equal(read_params(kv, &p, err, sizeof(err)), 0);
	assert_string_equal(p.lease_path, "/s/havm.leases");
	assert_int_equal(p.lease_slot, 1023);
	assert_int_equal(p.transport, VM_TRANSPORT_TLS);
	assert_int_equal(p.stop_grace_ms, 7000); /* stop_timeout wins over the meta timeout */
	assert_true(p.probe);
	assert_true(p.unsafe_migration);
}

static void test_grace_from_meta_timeout(void **state)
{
	const char *long_op[] = { "config", "/a.xml", "CRM_meta_timeout", "90000", NULL };
	const char *short_op[] = { "config", "/a.xml", "CRM_meta_timeout", "20000", NULL };
	const char *empty[] = { "config", "/a.xml", "stop_timeout", "", "lease_path", "", NULL };
	struct vm_params p;
	char err[256];

	(void)state;
	assert_int_equal(read_params(long_op, &p, err, sizeof(err)), 0);
	assert_int_equal(p.stop_grace_ms, 80000);
	assert_int_equal(read_params(short_op, &p, err, sizeof(err)), 0);
	assert_int_equal(p.stop_grace_ms, 10000);
	/* Empty is absent (a parameter deleted in crm). */
	assert_int_equal(read_params(empty, &p, err, sizeof(err)), 0);
	assert_null(p.lease_path);
	assert_int_equal(p.stop_grace_ms, VM_STOP_GRACE_DEFAULT_MS);
}

/* Each refused with OCF_ERR_CONFIGURED and a message naming WHAT. */
static void refused(const char *const *kv, const char *what)
{
	struct vm_params p;
	char err[256] = "";

	assert_int_equal(read_params(kv, &p, err, sizeof(err)), OCF_ERR_CONFIGURED);
	if (!strstr(err, what))
		fail_msg("message \"%s\" does not name %s", err, what);
}

static void test_refused(void **state)
{
	(void)state;
	refused((const char *[]){ NULL }, "config");
	refused((const char *[]){ "config", "vm1.xml", NULL }, "absolute");
	refused((const char *[]){ "config", "/a.xml", "hypervisor", "qemu", NULL }, "hypervisor");
	refused((const char *[]){ "config", "/a.xml", "lease_path", "/l", NULL }, "lease_slot");
	refused((const char *[]){ "config", "/a.xml", "lease_slot", "1", NULL }, "without");
	refused((const char *[]){ "config", "/a.xml", "lease_path", "l", "lease_slot", "1", NULL },
		"lease_path");
	refused((const char *[]){ "config", "/a.xml", "lease_path", "/l", "lease_slot", "1024",
				  NULL },
		"lease_slot");
	refused((const char *[]){ "config", "/a.xml", "lease_path", "/l", "lease_slot", "-1",
				  NULL },
		"lease_slot");
	refused((const char *[]){ "config", "/a.xml", "lease_path", "/l", "lease_slot", "1x",
				  NULL },
		"lease_slot");
	refused((const char *[]){ "config", "/a.xml", "lease_path", "/l", "lease_slot",
				  "99999999999999999999999", NULL },
		"lease_slot");
	refused((const char *[]){ "config", "/a.xml", "lease_path", "/l", "lease_slot", "1",
				  "hypervisor", "qemu+ssh://kvm2/system", NULL },
		"qemu:///system");
	refused((const char *[]){ "config", "/a.xml", "migration_transport", "rdma", NULL },
		"migration_transport");
	refused((const char *[]){ "config", "/a.xml", "stop_timeout", "86401", NULL },
		"stop_timeout");
	refused((const char *[]){ "config", "/a.xml", "stop_timeout", "5s", NULL }, "stop_timeout");
	refused((const char *[]){ "config", "/a.xml", "unsafe_migration_for_tests", "maybe", NULL },
		"unsafe_migration_for_tests");
	refused((const char *[]){ "config", "/a.xml", "CRM_meta_timeout", "abc", NULL },
		"CRM_meta_timeout");
	refused((const char *[]){ "config", "/a.xml", "CRM_meta_interval", "-1", NULL },
		"CRM_meta_interval");
}

static void test_dest_uri(void **state)
{
	char out[128];

	(void)state;
	assert_int_equal(vm_dest_uri("qemu:///system", VM_TRANSPORT_SSH, "kvm2", out, sizeof(out)),
			 0);
	assert_string_equal(out, "qemu+ssh://kvm2/system");
	assert_int_equal(vm_dest_uri("qemu+tcp://kvm1/system", VM_TRANSPORT_TLS, "kvm2.example.net",
				     out, sizeof(out)),
			 0);
	assert_string_equal(out, "qemu+tls://kvm2.example.net/system");
	assert_int_equal(
		vm_dest_uri("qemu:///system", VM_TRANSPORT_TCP, "2001:db8::2", out, sizeof(out)),
		0);
	assert_string_equal(out, "qemu+tcp://[2001:db8::2]/system");
	/* Targets that would change the URI's meaning, and bad hypervisors. */
	assert_int_equal(vm_dest_uri("qemu:///system", VM_TRANSPORT_SSH, "a/b", out, sizeof(out)),
			 -EINVAL);
	assert_int_equal(vm_dest_uri("qemu:///system", VM_TRANSPORT_SSH, "u@h", out, sizeof(out)),
			 -EINVAL);
	assert_int_equal(vm_dest_uri("qemu:///system", VM_TRANSPORT_SSH, "", out, sizeof(out)),
			 -EINVAL);
	assert_int_equal(vm_dest_uri("qemu:///system", VM_TRANSPORT_SSH, "-o", out, sizeof(out)),
			 -EINVAL);
	assert_int_equal(vm_dest_uri("qemu", VM_TRANSPORT_SSH, "kvm2", out, sizeof(out)), -EINVAL);
	assert_int_equal(vm_dest_uri("qemu:///system", VM_TRANSPORT_SSH, "kvm2", out, 10), -EINVAL);
}

static void test_migration_uri(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(vm_migration_uri("tcp://%n-mig:49152", "kvm2", out, sizeof(out)), 0);
	assert_string_equal(out, "tcp://kvm2-mig:49152");
	assert_int_equal(vm_migration_uri("tcp://10.0.0.2", "kvm2", out, sizeof(out)), 0);
	assert_string_equal(out, "tcp://10.0.0.2");
	assert_int_equal(vm_migration_uri("tcp://%n%n", "kvm2", out, 12), -EINVAL);
	assert_int_equal(vm_migration_uri("tcp://%n", "a?b", out, sizeof(out)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_grace_from_meta_timeout),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_dest_uri),
		cmocka_unit_test(test_migration_uri),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
