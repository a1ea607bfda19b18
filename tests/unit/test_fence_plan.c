/* test_fence_plan.c: the fencing decision, case by case. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fence_plan.h"
#include "wire.h"

static struct fence_step steps[8];

static size_t plan(bool acting, uint64_t now, const struct fence_host *h, size_t n)
{
	struct fence_snapshot s = { .acting = acting, .now_ms = now, .hosts = h, .n_hosts = n };
	return fence_plan(&s, steps, 8);
}

static void lost_host_is_power_fenced(void **state)
{
	struct fence_host h[] = { { .nodeid = 1 }, { .nodeid = 3, .lost = true, .levels = 1,
						     .heartbeat = HAVM_HB_LIVE } };
	(void)state;
	assert_int_equal(plan(true, 1000, h, 2), 1);
	assert_int_equal(steps[0].nodeid, 3);
	assert_int_equal(steps[0].kind, FENCE_STEP_POWER);
}

static void only_the_acting_coordinator_fences(void **state)
{
	struct fence_host h[] = { { .nodeid = 3, .lost = true, .levels = 1 } };
	(void)state;
	assert_int_equal(plan(false, 1000, h, 1), 0);
}

static void one_job_at_a_time_and_back_off(void **state)
{
	struct fence_host h[] = { { .nodeid = 3, .lost = true, .levels = 2, .running = true } };
	(void)state;
	assert_int_equal(plan(true, 1000, h, 1), 0);
	h[0].running = false;
	h[0].retry_at_ms = 5000;
	assert_int_equal(plan(true, 4999, h, 1), 0);
	assert_int_equal(plan(true, 5000, h, 1), 1);
}

static void members_and_proven_hosts_are_left_alone(void **state)
{
	struct fence_host h[] = { { .nodeid = 2, .levels = 1, .heartbeat = HAVM_HB_DEAD } };
	(void)state;
	/* not lost: a dead heartbeat of a member (say, storage trouble) is no
	 * reason to fence it here */
	assert_int_equal(plan(true, 1000, h, 1), 0);
}

static void no_levels_waits_for_storage_dead(void **state)
{
	struct fence_host h[] = { { .nodeid = 3, .lost = true, .levels = 0,
				    .heartbeat = HAVM_HB_FAILING } };
	(void)state;
	assert_int_equal(plan(true, 1000, h, 1), 0);
	h[0].heartbeat = HAVM_HB_DEAD;
	assert_int_equal(plan(true, 1000, h, 1), 1);
	assert_int_equal(steps[0].kind, FENCE_STEP_STORAGE_DEAD);
}

static void storage_dead_ends_a_failing_power_fence(void **state)
{
	struct fence_host h[] = { { .nodeid = 3, .lost = true, .levels = 1, .running = true,
				    .retry_at_ms = 99999, .heartbeat = HAVM_HB_DEAD } };
	(void)state;
	assert_int_equal(plan(true, 1000, h, 1), 1);
	assert_int_equal(steps[0].kind, FENCE_STEP_STORAGE_DEAD);
}

static void never_our_own_host(void **state)
{
	struct fence_host h[] = { { .nodeid = 1, .lost = true, .levels = 1,
				    .heartbeat = HAVM_HB_DEAD } };
	struct fence_snapshot s = { .acting = true, .self = 1, .now_ms = 1000, .hosts = h,
				    .n_hosts = 1 };

	(void)state;
	assert_int_equal(fence_plan(&s, steps, 8), 0);
	s.self = 2;
	assert_int_equal(fence_plan(&s, steps, 8), 1);
}

static void several_hosts_bounded_by_max(void **state)
{
	struct fence_host h[12];
	(void)state;
	for (int i = 0; i < 12; i++)
		h[i] = (struct fence_host){ .nodeid = (uint32_t)i + 1, .lost = true, .levels = 1 };
	assert_int_equal(plan(true, 1000, h, 12), 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lost_host_is_power_fenced),
		cmocka_unit_test(only_the_acting_coordinator_fences),
		cmocka_unit_test(one_job_at_a_time_and_back_off),
		cmocka_unit_test(members_and_proven_hosts_are_left_alone),
		cmocka_unit_test(no_levels_waits_for_storage_dead),
		cmocka_unit_test(storage_dead_ends_a_failing_power_fence),
		cmocka_unit_test(never_our_own_host),
		cmocka_unit_test(several_hosts_bounded_by_max),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
