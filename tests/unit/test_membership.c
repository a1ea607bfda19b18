/*
 * test_membership.c: the coordinator rule, the settled-view rule, and the
 * status assembly (nodes_status_build), which decide what every daemon
 * and the CLI report.
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

#define RING ((struct ring_id){ .nodeid = 1, .seq = 8 })

/* A settled, quorate view of CPG members M (all also quorum members). */
static struct cluster_view view(const uint32_t *m, size_t n)
{
	return (struct cluster_view){ .corosync_up = true, .quorate = true, .local_nodeid = m[0],
				      .quorum_ring = RING, .cpg_ring = RING,
				      .cpg_members = m, .n_cpg = n,
				      .quorum_members = m, .n_quorum = n };
}

static void coordinator_is_lowest_member(void **state)
{
	uint32_t m[] = { 7, 3, 12 };
	struct cluster_view v = view(m, 3);

	(void)state;
	assert_int_equal(membership_coordinator(&v), 3);
	v = view(m + 2, 1);
	assert_int_equal(membership_coordinator(&v), 12);
}

static void no_coordinator_without_quorum(void **state)
{
	uint32_t m[] = { 1, 2 };
	struct cluster_view v = view(m, 2);

	(void)state;
	v.quorate = false;
	assert_int_equal(membership_coordinator(&v), 0);
	v = view(m, 2);
	v.n_cpg = 0;
	assert_int_equal(membership_coordinator(&v), 0);
	v = view(m, 2);
	v.corosync_up = false;
	assert_int_equal(membership_coordinator(&v), 0);
}

static void same_answer_whatever_the_order(void **state)
{
	uint32_t a[] = { 5, 2, 9, 4 }, b[] = { 9, 4, 2, 5 };
	struct cluster_view va = view(a, 4), vb = view(b, 4);

	(void)state;
	assert_int_equal(membership_coordinator(&va), membership_coordinator(&vb));
}

/* The split case the rule exists for: node 3's new CPG group {3} arrives
 * before the quorum notification of the new ring, so it still holds the
 * old ring's quorum. It must not name itself coordinator. */
static void no_coordinator_while_views_disagree(void **state)
{
	uint32_t cpg[] = { 3 }, q_old[] = { 1, 2, 3 };
	struct cluster_view v = view(cpg, 1);

	(void)state;
	v.quorum_members = q_old;
	v.n_quorum = 3;
	v.cpg_ring = (struct ring_id){ .nodeid = 3, .seq = 12 };
	assert_false(membership_settled(&v));
	assert_int_equal(membership_coordinator(&v), 0);
	/* same ring, but a daemon outside the quorate membership */
	v.cpg_ring = RING;
	v.quorum_members = q_old + 1;
	v.n_quorum = 1;
	uint32_t cpg2[] = { 1, 2 };
	v.cpg_members = cpg2;
	v.n_cpg = 2;
	assert_false(membership_settled(&v));
	assert_int_equal(membership_coordinator(&v), 0);
	/* no quorum notification yet */
	v = view(cpg, 1);
	v.quorum_ring = (struct ring_id){ 0, 0 };
	assert_false(membership_settled(&v));
}

/* Static: a configuration is too large for the stack (fence levels). */
static struct havm_config cfg3;

static const struct havm_config *three_hosts(void)
{
	memset(&cfg3, 0, sizeof(cfg3));
	strcpy(cfg3.cluster_name, "prod");
	for (int i = 0; i < 3; i++) {
		snprintf(cfg3.hosts[i].name, sizeof(cfg3.hosts[i].name), "kvm%d", i + 1);
		cfg3.hosts[i].nodeid = (uint32_t)i + 1;
	}
	cfg3.n_hosts = 3;
	return &cfg3;
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
	const struct havm_config *c = three_hosts();
	struct node_states st = { .n = 0 };
	uint32_t cpg[] = { 2, 1 }, q[] = { 1, 2, 3 };
	struct cluster_view v = view(cpg, 2);
	static struct wire_status_reply r;

	(void)state;
	v.local_nodeid = 2;
	v.quorum_members = q;
	v.n_quorum = 3;
	add_state(&st, 1, "kvm1");
	add_state(&st, 2, "kvm2");
	nodes_status_build(c, &v, &st, NULL, NULL, 200, &r);
	assert_int_equal(r.n_nodes, 3);
	assert_int_equal(r.coordinator, 1);
	assert_true(r.flags & WIRE_STATUS_QUORATE);
	assert_false(r.flags & WIRE_STATUS_SETTLING);
	assert_int_equal(r.ring_seq, 8);
	assert_true(r.nodes[0].flags & WIRE_NODE_COORDINATOR);
	assert_true(r.nodes[0].flags & WIRE_NODE_HAVE_STATE);
	assert_true(r.nodes[1].flags & WIRE_NODE_LOCAL);
	/* kvm3: corosync member, no havmd */
	assert_true(r.nodes[2].flags & WIRE_NODE_MEMBER);
	assert_false(r.nodes[2].flags & WIRE_NODE_ONLINE);
	assert_false(r.nodes[2].flags & WIRE_NODE_HAVE_STATE);
}

static void status_carries_heartbeats(void **state)
{
	const struct havm_config *c = three_hosts();
	struct node_states st = { .n = 0 };
	uint32_t cpg[] = { 1, 2 }, ids[] = { 1, 3 };
	uint8_t hbs[] = { HAVM_HB_LIVE, HAVM_HB_LIVE };
	struct cluster_view v = view(cpg, 2);
	struct storage_view sv = { .state = HAVM_STORAGE_JOINED, .path = "/s/havm.leases",
				   .hb_ids = ids, .hb_states = hbs, .n_hb = 2 };
	static struct wire_status_reply r;

	(void)state;
	nodes_status_build(c, &v, &st, &sv, NULL, 200, &r);
	assert_int_equal(r.storage, HAVM_STORAGE_JOINED);
	assert_string_equal(r.storage_path, "/s/havm.leases");
	assert_int_equal(r.nodes[0].heartbeat, HAVM_HB_LIVE);
	assert_int_equal(r.nodes[1].heartbeat, HAVM_HB_NONE); /* never joined */
	/* node3: out of the membership but writing its heartbeat: isolated */
	assert_false(r.nodes[2].flags & WIRE_NODE_ONLINE);
	assert_int_equal(r.nodes[2].heartbeat, HAVM_HB_LIVE);
	sv.state = HAVM_STORAGE_JOINING;
	sv.n_hb = 0;
	nodes_status_build(c, &v, &st, &sv, NULL, 200, &r);
	assert_int_equal(r.nodes[1].heartbeat, HAVM_HB_UNKNOWN);
}

static void status_carries_fence_state(void **state)
{
	const struct havm_config *c = three_hosts();
	struct node_states st = { .n = 0 };
	uint32_t cpg[] = { 1 }, q[] = { 1, 2 }, pending[] = { 3 }, fenced[] = { 2 };
	struct cluster_view v = view(cpg, 1);
	struct fence_view fv = { .pending = pending, .n_pending = 1, .fenced = fenced,
				 .n_fenced = 1 };
	static struct wire_status_reply r;

	(void)state;
	v.quorum_members = q;
	v.n_quorum = 2;
	nodes_status_build(c, &v, &st, NULL, &fv, 200, &r);
	assert_true(r.nodes[2].flags & WIRE_NODE_FENCE_PENDING);
	/* node2 is a member again: whatever fencing remembers, it is back */
	assert_false(r.nodes[1].flags & (WIRE_NODE_FENCED | WIRE_NODE_FENCE_PENDING));
	v.n_quorum = 1;
	nodes_status_build(c, &v, &st, NULL, &fv, 200, &r);
	assert_true(r.nodes[1].flags & WIRE_NODE_FENCED);
}

static void status_shows_settling(void **state)
{
	const struct havm_config *c = three_hosts();
	struct node_states st = { .n = 0 };
	uint32_t cpg[] = { 1, 2, 3 };
	struct cluster_view v = view(cpg, 3);
	static struct wire_status_reply r;

	(void)state;
	v.cpg_ring.seq = 9;
	nodes_status_build(c, &v, &st, NULL, NULL, 200, &r);
	assert_true(r.flags & WIRE_STATUS_SETTLING);
	assert_int_equal(r.coordinator, 0);
	for (int i = 0; i < 3; i++)
		assert_false(r.nodes[i].flags & WIRE_NODE_COORDINATOR);
}

static void status_without_corosync_claims_nothing(void **state)
{
	const struct havm_config *c = three_hosts();
	struct node_states st = { .n = 0 };
	uint32_t cpg[] = { 1, 2, 3 };
	struct cluster_view v = view(cpg, 3);
	static struct wire_status_reply r;

	(void)state;
	v.corosync_up = false;
	add_state(&st, 1, "kvm1");
	nodes_status_build(c, &v, &st, NULL, NULL, 200, &r);
	assert_int_equal(r.flags, 0);
	assert_int_equal(r.coordinator, 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(r.nodes[i].flags & (WIRE_NODE_ONLINE | WIRE_NODE_MEMBER), 0);
}

static void status_lists_unconfigured_members(void **state)
{
	const struct havm_config *c = three_hosts();
	struct node_states st = { .n = 0 };
	uint32_t cpg[] = { 1, 9 };
	struct cluster_view v = view(cpg, 2);
	static struct wire_status_reply r;

	(void)state;
	add_state(&st, 9, "stray");
	nodes_status_build(c, &v, &st, NULL, NULL, 200, &r);
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
		cmocka_unit_test(no_coordinator_while_views_disagree),
		cmocka_unit_test(status_marks_online_member_and_offline),
		cmocka_unit_test(status_shows_settling),
		cmocka_unit_test(status_carries_heartbeats),
		cmocka_unit_test(status_carries_fence_state),
		cmocka_unit_test(status_without_corosync_claims_nothing),
		cmocka_unit_test(status_lists_unconfigured_members),
		cmocka_unit_test(states_update_forget),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
