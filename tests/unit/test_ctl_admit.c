/* test_ctl_admit.c: who may hold control connections, how many, and the
 * rate limit of the lines that say who was refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ctl_admit.h"
#include "ratelimit.h"

static void outsider_refused_member_admitted(void **state)
{
	struct ctl_admit a = { 0 };

	(void)state;
	assert_int_equal(ctl_admit_take(&a, 1000, false), CTL_DENY_NOT_MEMBER);
	assert_int_equal(ctl_admit_count(&a), 0);
	assert_int_equal(ctl_admit_take(&a, 1000, true), CTL_ADMIT);
	assert_int_equal(ctl_admit_take(&a, 0, false), CTL_ADMIT); /* root needs no group */
	assert_int_equal(ctl_admit_count(&a), 2);
}

static void per_uid_cap_and_release(void **state)
{
	struct ctl_admit a = { 0 };

	(void)state;
	for (int i = 0; i < CTL_MAX_PER_UID; i++)
		assert_int_equal(ctl_admit_take(&a, 1000, true), CTL_ADMIT);
	assert_int_equal(ctl_admit_take(&a, 1000, true), CTL_DENY_UID_CAP);
	/* Another member is not held back by the first one's cap. */
	assert_int_equal(ctl_admit_take(&a, 1001, true), CTL_ADMIT);
	ctl_admit_release(&a, 1000);
	assert_int_equal(ctl_admit_take(&a, 1000, true), CTL_ADMIT);
	assert_int_equal(ctl_admit_count(&a), CTL_MAX_PER_UID + 1);
}

static void members_cap_leaves_root_its_budget(void **state)
{
	struct ctl_admit a = { 0 };
	uid_t uid = 2000;
	int n = 0;

	(void)state;
	/* Many member uids, each under its own cap, fill the members' share. */
	while (n < CTL_MAX_MEMBERS) {
		for (int i = 0; i < CTL_MAX_PER_UID && n < CTL_MAX_MEMBERS; i++, n++)
			assert_int_equal(ctl_admit_take(&a, uid, true), CTL_ADMIT);
		uid++;
	}
	assert_int_equal(ctl_admit_take(&a, uid + 1, true), CTL_DENY_TOTAL_CAP);
	/* The operator still gets in, up to root's own budget. */
	for (int i = 0; i < CTL_MAX_ROOT; i++)
		assert_int_equal(ctl_admit_take(&a, 0, false), CTL_ADMIT);
	assert_int_equal(ctl_admit_take(&a, 0, false), CTL_DENY_UID_CAP);
	assert_int_equal(ctl_admit_count(&a), CTL_MAX_TOTAL);
	/* Everything released: back to nothing held, entries reusable. */
	for (uid_t u = 2000; u <= uid; u++)
		for (int i = 0; i < CTL_MAX_PER_UID; i++)
			ctl_admit_release(&a, u);
	for (int i = 0; i < CTL_MAX_ROOT; i++)
		ctl_admit_release(&a, 0);
	assert_int_equal(ctl_admit_count(&a), 0);
	assert_int_equal(ctl_admit_take(&a, 4242, true), CTL_ADMIT);
}

static void release_of_unknown_uid_is_harmless(void **state)
{
	struct ctl_admit a = { 0 };

	(void)state;
	ctl_admit_release(&a, 77);
	ctl_admit_release(&a, 0);
	assert_int_equal(ctl_admit_count(&a), 0);
}

static void ratelimit_counts_what_it_holds_back(void **state)
{
	struct ratelimit r = { .interval_ms = 10000 };
	unsigned held = 99;

	(void)state;
	assert_true(ratelimit_pass(&r, 5, &held));
	assert_int_equal(held, 0);
	assert_false(ratelimit_pass(&r, 6, &held));
	assert_false(ratelimit_pass(&r, 10004, &held));
	assert_true(ratelimit_pass(&r, 10005, &held));
	assert_int_equal(held, 2);
	assert_true(ratelimit_pass(&r, 30000, &held));
	assert_int_equal(held, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(outsider_refused_member_admitted),
		cmocka_unit_test(per_uid_cap_and_release),
		cmocka_unit_test(members_cap_leaves_root_its_budget),
		cmocka_unit_test(release_of_unknown_uid_is_harmless),
		cmocka_unit_test(ratelimit_counts_what_it_holds_back),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
