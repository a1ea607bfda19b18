/* test_tiebreak_vote.c: the quorum device's vote, case by case. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tiebreak_vote.h"

static const uint32_t both[] = { 1, 2 };
static const uint32_t only1[] = { 1 };
static const uint32_t only2[] = { 2 };

static struct tiebreak_facts facts(uint32_t local, bool held, uint32_t holder,
				   const uint32_t *m, size_t nm, const uint32_t *d, size_t nd)
{
	return (struct tiebreak_facts){ .local_nodeid = local, .local_held = held,
					.holder = holder, .members = m, .n_members = nm,
					.daemons = d, .n_daemons = nd };
}

static void holder_casts(void **state)
{
	struct tiebreak_facts f = facts(1, true, 1, only1, 1, only1, 1);
	uint32_t who = 99;

	(void)state;
	assert_true(tiebreak_vote(&f, &who));
	assert_int_equal(who, 1);
	/* Even before its own announcement came back through the group. */
	f.holder = 0;
	assert_true(tiebreak_vote(&f, &who));
	assert_int_equal(who, 1);
}

static void holders_partition_casts(void **state)
{
	struct tiebreak_facts f = facts(2, false, 1, both, 2, both, 2);
	uint32_t who = 0;

	(void)state;
	assert_true(tiebreak_vote(&f, &who));
	assert_int_equal(who, 1);
}

static void other_partition_does_not(void **state)
{
	/* Split: host 2 alone; its last news says host 1 holds the lease. */
	struct tiebreak_facts f = facts(2, false, 1, only2, 1, both, 2);
	uint32_t who = 0;

	(void)state;
	assert_false(tiebreak_vote(&f, &who));
	assert_int_equal(who, 1);
}

static void holder_without_havmd_does_not_count(void **state)
{
	struct tiebreak_facts f = facts(2, false, 1, both, 2, only2, 1);

	(void)state;
	assert_false(tiebreak_vote(&f, NULL));
}

static void no_holder_no_vote(void **state)
{
	struct tiebreak_facts f = facts(2, false, 0, both, 2, both, 2);
	uint32_t who = 7;

	(void)state;
	assert_false(tiebreak_vote(&f, &who));
	assert_int_equal(who, 0);
}

static void stale_announcement_of_ourselves(void **state)
{
	/* The group says we hold it, but our child no longer does. */
	struct tiebreak_facts f = facts(1, false, 1, both, 2, both, 2);

	(void)state;
	assert_false(tiebreak_vote(&f, NULL));
}

static void empty_membership(void **state)
{
	struct tiebreak_facts f = facts(2, false, 1, NULL, 0, NULL, 0);

	(void)state;
	assert_false(tiebreak_vote(&f, NULL));
	f = facts(0, true, 0, NULL, 0, NULL, 0); /* our node id not known yet */
	assert_false(tiebreak_vote(&f, NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(holder_casts),
		cmocka_unit_test(holders_partition_casts),
		cmocka_unit_test(other_partition_does_not),
		cmocka_unit_test(holder_without_havmd_does_not_count),
		cmocka_unit_test(no_holder_no_vote),
		cmocka_unit_test(stale_announcement_of_ourselves),
		cmocka_unit_test(empty_membership),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
