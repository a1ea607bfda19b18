/*
 * test_membership.c: the coordinator rule and the status assembly
 * (nodes_status_build), which decide what every daemon and the CLI report.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "membership.h"
#include "nodes.h"

#include <stdio.h>
#include <string.h>

static void coordinator_is_lowest_member(void **state)
{
	uint32_t m[] = { 7, 3, 12 };

	(void)state;
	assert_int_equal(membership_coordinator(m, 3, true), 3);
	assert_int_equal(membership_coordinator(m + 2, 1, true), 12);
}

static void no_coordinator_without_quorum(void **state)
{
	uint32_t m[] = { 1, 2 };

	(void)state;
	assert_int_equal(membership_coordinator(m, 2, false), 0);
	assert_int_equal(membership_coordinator(m, 0, true), 0);
}

static void same_answer_whatever_the_order(void **state)
{
	uint32_t a[] = { 5, 2, 9, 4 }, b[] = { 9, 4, 2, 5 };

	(void)state;
	assert_int_equal(membership_coordinator(a, 4, true), membership_coordinator(b, 4, true));
}

static struct havm_config three_hosts(void)
{
	struct havm_config c;

	memset(&c, 0, sizeof(c));
	strcpy(c.cluster_name, "prod");
	for (int i = 0; i < 3; i++) {
		snprintf(c.hosts[i].name, sizeof(c.hosts[i].name), "kvm%d", i + 1);
		c.hosts[i].nodeid = (uint32_t)i + 1;
	}
	c.n_hosts = 3;
	return c;
}

static void add_state(struct node_states *t, uint32_t id, const char *name)
{
	struct wire_node_state m = { .nodeid = id, .state = HAVM_DAEMON_RUNNING,
				     .start_time = 100 };
	strcpy(m.name, name);
	strcpy(m.version, "0.1.0");
	assert_int_equal(node_states_update(t, &m), 0);
}

static void status_marks_online_member_and_offline(void **state)
{
	struct havm_config c = three_hosts();
	struct node_states st = { .n = 0 };
	uint32_t cpg[] = { 2, 1 }, q[] = { 1, 2, 3 };
	struct cluster_view v = { .corosync_up = true, .quorate = true, .local_nodeid = 2,
				  .cpg_members = cpg, .n_cpg = 2,
				  .quorum_members = q, .n_quorum = 3 };
	static struct wire_status_reply r;

	(void)state;
	add_state(&st, 1, "kvm1");
	add_state(&st, 2, "kvm2");
	nodes_status_build(&c, &v, &st, 200, &r);
	assert_int_equal(r.n_nodes, 3);
	assert_int_equal(r.coordinator, 1);
	assert_true(r.flags & WIRE_STATUS_QUORATE);
	assert_true(r.nodes[0].flags & WIRE_NODE_COORDINATOR);
	assert_true(r.nodes[0].flags & WIRE_NODE_HAVE_STATE);
	assert_true(r.nodes[1].flags & WIRE_NODE_LOCAL);
	/* kvm3: corosync member, no havmd */
	assert_true(r.nodes[2].flags & WIRE_NODE_MEMBER);
	assert_false(r.nodes[2].flags & WIRE_NODE_ONLINE);
	assert_false(r.nodes[2].flags & WIRE_NODE_HAVE_STATE);
}

static void status_without_corosync_claims_nothing(void **state)
{
	struct havm_config c = three_hosts();
	struct node_states st = { .n = 0 };
	uint32_t cpg[] = { 1, 2, 3 };
	struct cluster_view v = { .corosync_up = false, .quorate = true, .local_nodeid = 1,
				  .cpg_members = cpg, .n_cpg = 3 };
	static struct wire_status_reply r;

	(void)state;
	add_state(&st, 1, "kvm1");
	nodes_status_build(&c, &v, &st, 200, &r);
	assert_int_equal(r.flags, 0);
	assert_int_equal(r.coordinator, 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(r.nodes[i].flags & (WIRE_NODE_ONLINE | WIRE_NODE_MEMBER), 0);
}

static void status_lists_unconfigured_members(void **state)
{
	struct havm_config c = three_hosts();
	struct node_states st = { .n = 0 };
	uint32_t cpg[] = { 1, 9 };
	struct cluster_view v = { .corosync_up = true, .quorate = true, .local_nodeid = 1,
				  .cpg_members = cpg, .n_cpg = 2,
				  .quorum_members = cpg, .n_quorum = 2 };
	static struct wire_status_reply r;

	(void)state;
	add_state(&st, 9, "stray");
	nodes_status_build(&c, &v, &st, 200, &r);
	assert_int_equal(r.n_nodes, 4);
	assert_int_equal(r.nodes[3].nodeid, 9);
	assert_string_equal(r.nodes[3].name, "stray");
	assert_false(r.nodes[3].flags & WIRE_NODE_CONFIGURED);
}

static void states_update_forget(void **state)
{
	struct node_states st = { .n = 0 };

	(void)state;
	add_state(&st, 1, "a");
	add_state(&st, 2, "b");
	add_state(&st, 1, "a2");
	assert_int_equal(st.n, 2);
	assert_string_equal(node_states_find(&st, 1)->name, "a2");
	node_states_forget(&st, 1);
	assert_null(node_states_find(&st, 1));
	assert_non_null(node_states_find(&st, 2));
	for (uint32_t i = 3; i <= WIRE_NODES_MAX + 1; i++) {
		struct wire_node_state m = { .nodeid = i, .state = 1 };
		strcpy(m.name, "x");
		node_states_update(&st, &m);
	}
	assert_int_equal(st.n, WIRE_NODES_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(coordinator_is_lowest_member),
		cmocka_unit_test(no_coordinator_without_quorum),
		cmocka_unit_test(same_answer_whatever_the_order),
		cmocka_unit_test(status_marks_online_member_and_offline),
		cmocka_unit_test(status_without_corosync_claims_nothing),
		cmocka_unit_test(status_lists_unconfigured_members),
		cmocka_unit_test(states_update_forget),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
