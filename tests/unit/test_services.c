/*
 * test_services.c: daemon/services.c, the table's loops, against stand-in
 * services that only record which hook of which service ran, in what
 * order. The stand-ins claim the CPG types the real services claim. What
 * is checked: the start order, the stop order (not the reverse of the
 * start: the quorum device and the tiebreaker stop while corosync is up,
 * then the cluster link), a failed start stops the sequence, CPG types
 * reach their service, views, node states, snapshot and facts changes
 * reach every service that has the hook in table order, and status asks
 * for each service's view before the merge and its fields after.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka needs the four above first */
#include <cmocka.h>

#include "havmd.h"
#include "service.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* The hooks that ran, as "service.hook " words. */
static char trail[1024];
static const char *failing_start; /* this service's start fails */

static void note(const char *service, const char *hook)
{
	size_t n = strlen(trail);

	snprintf(trail + n, sizeof(trail) - n, "%s.%s ", service, hook);
}

#define STAND_IN(NAME)                                                                             \
	static int NAME##_start(struct havmd *h)                                                   \
	{                                                                                          \
		(void)h;                                                                           \
		note(#NAME, "start");                                                              \
		return failing_start && strcmp(failing_start, #NAME) == 0 ? -EIO : 0;              \
	}                                                                                          \
	static void NAME##_stop(struct havmd *h)                                                   \
	{                                                                                          \
		(void)h;                                                                           \
		note(#NAME, "stop");                                                               \
	}                                                                                          \
	static int NAME##_on_cpg(struct havmd *h, uint16_t type, const void *msg, size_t len,      \
				 uint32_t nodeid, uint32_t pid)                                    \
	{                                                                                          \
		(void)h;                                                                           \
		(void)type;                                                                        \
		(void)msg;                                                                         \
		(void)len;                                                                         \
		(void)nodeid;                                                                      \
		(void)pid;                                                                         \
		note(#NAME, "cpg");                                                                \
		return 0;                                                                          \
	}                                                                                          \
	static void NAME##_on_view(struct havmd *h, const struct cluster_view *v)                  \
	{                                                                                          \
		(void)h;                                                                           \
		(void)v;                                                                           \
		note(#NAME, "view");                                                               \
	}                                                                                          \
	static void NAME##_on_node_state(struct havmd *h, const struct wire_node_state *m)         \
	{                                                                                          \
		(void)h;                                                                           \
		(void)m;                                                                           \
		note(#NAME, "node_state");                                                         \
	}                                                                                          \
	static void NAME##_fill_node_state(const struct havmd *h, struct wire_node_state *m)       \
	{                                                                                          \
		(void)h;                                                                           \
		(void)m;                                                                           \
		note(#NAME, "fill_node_state");                                                    \
	}                                                                                          \
	static void NAME##_snapshot_fill(const struct havmd *h, struct havmd_snapshot *s)          \
	{                                                                                          \
		(void)h;                                                                           \
		(void)s;                                                                           \
		note(#NAME, "snapshot");                                                           \
	}                                                                                          \
	static void NAME##_on_facts_changed(struct havmd *h)                                       \
	{                                                                                          \
		(void)h;                                                                           \
		note(#NAME, "facts");                                                              \
	}                                                                                          \
	static void NAME##_status_view(const struct havmd *h, struct havmd_status *st)             \
	{                                                                                          \
		(void)h;                                                                           \
		(void)st;                                                                          \
		note(#NAME, "status_view");                                                        \
	}                                                                                          \
	static void NAME##_status_fill(const struct havmd *h, struct havmd_status *st)             \
	{                                                                                          \
		(void)h;                                                                           \
		note(#NAME, "status_fill");                                                        \
		st->reply->storage_for_s++; /* the reply reached us */                             \
	}

STAND_IN(cluster)
STAND_IN(storage)
STAND_IN(fence)
STAND_IN(tiebreak)
STAND_IN(qdevice)
STAND_IN(vm)

/* The alerts service has a start and a stop only. */
static int alerts_start(struct havmd *h)
{
	(void)h;
	note("alerts", "start");
	return 0;
}

static void alerts_stop(struct havmd *h)
{
	(void)h;
	note("alerts", "stop");
}

#define HOOKS(NAME)                                                                                \
	.name = #NAME, .start = NAME##_start, .stop = NAME##_stop, .on_cpg = NAME##_on_cpg,        \
	.on_view = NAME##_on_view, .on_node_state = NAME##_on_node_state,                          \
	.fill_node_state = NAME##_fill_node_state, .snapshot_fill = NAME##_snapshot_fill,          \
	.on_facts_changed = NAME##_on_facts_changed, .status_view = NAME##_status_view,            \
	.status_fill = NAME##_status_fill

static const uint16_t cluster_types[] = { HAVM_MSG_NODE_STATE };
static const uint16_t fence_types[] = { HAVM_MSG_FENCE_RESULT, HAVM_MSG_FENCE_REQUEST };
static const uint16_t tiebreak_types[] = { HAVM_MSG_TIEBREAK_LEASE };
static const uint16_t vm_types[] = { HAVM_MSG_VMCFG, HAVM_MSG_VM_REPORT, HAVM_MSG_VM_ACTION,
				     HAVM_MSG_VM_RESULT, HAVM_MSG_VM_REQUEST };

const struct havmd_service cluster_service = { HOOKS(cluster), .cpg_types = cluster_types,
					       .n_cpg_types = 1 };
const struct havmd_service storage_service = { HOOKS(storage) };
const struct havmd_service fence_service = { HOOKS(fence), .cpg_types = fence_types,
					     .n_cpg_types = 2 };
const struct havmd_service tiebreak_service = { HOOKS(tiebreak), .cpg_types = tiebreak_types,
						.n_cpg_types = 1 };
const struct havmd_service qdevice_service = { HOOKS(qdevice) };
const struct havmd_service vm_service = { HOOKS(vm), .cpg_types = vm_types, .n_cpg_types = 5 };
const struct havmd_service alerts_service = { .name = "alerts", .start = alerts_start,
					      .stop = alerts_stop };

static struct havmd h; /* over a megabyte: not on the stack */

static int reset(void **state)
{
	(void)state;
	trail[0] = '\0';
	failing_start = NULL;
	return 0;
}

static void test_start_order(void **state)
{
	(void)state;
	assert_int_equal(services_start(&h), 0);
	assert_string_equal(trail, "cluster.start storage.start fence.start tiebreak.start "
				   "qdevice.start vm.start alerts.start ");
}

static void test_failed_start_stops_the_sequence(void **state)
{
	(void)state;
	failing_start = "fence";
	assert_int_equal(services_start(&h), -EIO);
	assert_string_equal(trail, "cluster.start storage.start fence.start ");
}

static void test_stop_order(void **state)
{
	(void)state;
	services_stop(&h);
	assert_string_equal(trail, "alerts.stop vm.stop qdevice.stop tiebreak.stop cluster.stop "
				   "storage.stop fence.stop ");
}

static void test_cpg_types_reach_their_service(void **state)
{
	(void)state;
	assert_ptr_equal(services_for_cpg(HAVM_MSG_NODE_STATE), &cluster_service);
	assert_ptr_equal(services_for_cpg(HAVM_MSG_FENCE_RESULT), &fence_service);
	assert_ptr_equal(services_for_cpg(HAVM_MSG_FENCE_REQUEST), &fence_service);
	assert_ptr_equal(services_for_cpg(HAVM_MSG_TIEBREAK_LEASE), &tiebreak_service);
	assert_ptr_equal(services_for_cpg(HAVM_MSG_VM_REPORT), &vm_service);
	/* A type no service claims (a newer havmd's); control socket types
	 * never come through CPG. */
	assert_null(services_for_cpg(77));
	assert_null(services_for_cpg(HAVM_MSG_STATUS_REQ));
	assert_null(services_for_cpg(0));
}

static void test_every_service_in_table_order(void **state)
{
	struct cluster_view v = { 0 };
	struct wire_node_state m = { 0 };
	struct havmd_snapshot s;

	(void)state;
	services_on_view(&h, &v);
	assert_string_equal(trail, "cluster.view storage.view fence.view tiebreak.view "
				   "qdevice.view vm.view ");
	trail[0] = '\0';
	services_on_node_state(&h, &m);
	services_fill_node_state(&h, &m);
	assert_string_equal(trail, "cluster.node_state storage.node_state fence.node_state "
				   "tiebreak.node_state qdevice.node_state vm.node_state "
				   "cluster.fill_node_state storage.fill_node_state "
				   "fence.fill_node_state tiebreak.fill_node_state "
				   "qdevice.fill_node_state vm.fill_node_state ");
	trail[0] = '\0';
	services_snapshot(&h, &s);
	services_facts_changed(&h);
	assert_string_equal(trail, "cluster.snapshot storage.snapshot fence.snapshot "
				   "tiebreak.snapshot qdevice.snapshot vm.snapshot cluster.facts "
				   "storage.facts fence.facts tiebreak.facts qdevice.facts vm.facts ");
}

static void test_status_views_before_the_merge_fields_after(void **state)
{
	static struct wire_status_reply r;

	(void)state;
	services_status(&h, &r);
	assert_string_equal(trail, "cluster.snapshot storage.snapshot fence.snapshot "
				   "tiebreak.snapshot qdevice.snapshot vm.snapshot "
				   "cluster.status_view storage.status_view fence.status_view "
				   "tiebreak.status_view qdevice.status_view vm.status_view "
				   "cluster.status_fill storage.status_fill fence.status_fill "
				   "tiebreak.status_fill qdevice.status_fill vm.status_fill ");
	assert_int_equal(r.storage_for_s, 6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_start_order, reset),
		cmocka_unit_test_setup(test_failed_start_stops_the_sequence, reset),
		cmocka_unit_test_setup(test_stop_order, reset),
		cmocka_unit_test_setup(test_cpg_types_reach_their_service, reset),
		cmocka_unit_test_setup(test_every_service_in_table_order, reset),
		cmocka_unit_test_setup(test_status_views_before_the_merge_fields_after, reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
