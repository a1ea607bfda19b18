/*
 * test_fence_plan.c: the fencing decision, case by case, from hand-built
 * snapshots, including each finding of the review that led to the
 * level-triggered core (the comments name them).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fence_plan.h"
#include "wire.h"

static struct fence_step steps[16];

static struct fence_snapshot snap(bool acting, uint64_t now, const struct fence_host *h, size_t n)
{
	return (struct fence_snapshot){ .acting = acting, .self = 1, .now_ms = now, .hosts = h,
					.n_hosts = n };
}

static size_t plan(bool acting, uint64_t now, const struct fence_host *h, size_t n)
{
	struct fence_snapshot s = snap(acting, now, h, n);
	return fence_plan(&s, steps, 16);
}

/* Host 3, seen in incarnation INC, out of the membership. */
static struct fence_host lost3(uint64_t inc)
{
	return (struct fence_host){ .nodeid = 3, .levels = 1, .heartbeat = HAVM_HB_LIVE,
				    .facts = { .nodeid = 3, .inc = inc } };
}

static void lost_host_is_power_fenced(void **state)
{
	struct fence_host h[] = { { .nodeid = 1, .member = true, .facts = { .inc = 5 } },
				  lost3(7) };
	(void)state;
	assert_int_equal(plan(true, 1000, h, 2), 1);
	assert_int_equal(steps[0].nodeid, 3);
	assert_int_equal(steps[0].kind, FENCE_STEP_POWER);
	assert_int_equal(steps[0].inc, 7);
}

static void only_the_acting_coordinator_fences(void **state)
{
	struct fence_host h[] = { lost3(7) };
	(void)state;
	assert_int_equal(plan(false, 1000, h, 1), 0);
	/* ...but every daemon derives that it is pending (status). */
	struct fence_snapshot s = snap(false, 1000, h, 1);
	assert_true(fence_needed(&s, &h[0]));
}

static void never_seen_is_never_fenced(void **state)
{
	/* No startup fencing: a host no member ever saw has no life to close. */
	struct fence_host h[] = { lost3(0) };
	(void)state;
	assert_int_equal(plan(true, 1000, h, 1), 0);
}

static void one_job_at_a_time_and_back_off(void **state)
{
	struct fence_host h[] = { lost3(7) };
	(void)state;
	h[0].running = true;
	h[0].running_inc = 7;
	assert_int_equal(plan(true, 1000, h, 1), 0);
	h[0].running = false;
	h[0].not_before_ms = 5000;
	assert_int_equal(plan(true, 4999, h, 1), 0);
	assert_int_equal(plan(true, 5000, h, 1), 1);
}

static void members_are_left_alone(void **state)
{
	struct fence_host h[] = { lost3(7) };
	(void)state;
	h[0].member = true;
	h[0].heartbeat = HAVM_HB_DEAD; /* storage trouble is no reason to fence a member */
	assert_int_equal(plan(true, 1000, h, 1), 0);
}

/* Finding 1: a host that was lost while the coordinator's corosync was away
 * and came back is a member: nothing remembered from before fences it. */
static void finding1_rejoined_host_not_fenced_after_reconnect(void **state)
{
	struct fence_host h[] = { lost3(7) };
	(void)state;
	assert_int_equal(plan(true, 1000, h, 1), 1); /* lost: fenced */
	h[0].member = true;                           /* back meanwhile */
	h[0].attempts = 3;                            /* failed attempts before */
	assert_int_equal(plan(true, 9000, h, 1), 0);
	struct fence_snapshot s = snap(true, 9000, h, 1);
	assert_false(fence_needed(&s, &h[0]));
}

/* Finding 2: an "off" record for incarnation 7 while host 3 is still up in
 * 7 is voided; when 3 really dies later it is fenced, not shown fenced. */
static void finding2_voided_record_fences_later(void **state)
{
	struct fence_host h[] = { lost3(7) };
	struct host_facts other = { .nodeid = 3, .inc = 7, .closed_inc = 7 };
	(void)state;
	host_facts_close(&h[0].facts, 7);
	assert_true(fence_done(&h[0]));
	h[0].member = true;
	host_facts_void(&h[0].facts, 7); /* still a member 10 s later */
	assert_int_equal(h[0].facts.closed_inc, 0);
	/* Another member that has not voided it yet announces it closed. */
	host_facts_merge(&h[0].facts, &other);
	assert_int_equal(h[0].facts.closed_inc, 0);
	h[0].member = false; /* now it dies */
	assert_false(fence_done(&h[0]));
	assert_int_equal(plan(true, 1000, h, 1), 1);
	assert_int_equal(steps[0].kind, FENCE_STEP_POWER);
}

/* Finding 3: a job out while the host rejoins is cancelled; a verified-off
 * result for its incarnation still closes it (and it leaves again). */
static void finding3_rejoin_cancels_and_result_still_counts(void **state)
{
	struct fence_host h[] = { lost3(7) };
	(void)state;
	h[0].running = true;
	h[0].running_inc = 7;
	h[0].member = true;
	assert_int_equal(plan(true, 1000, h, 1), 1);
	assert_int_equal(steps[0].kind, FENCE_STEP_CANCEL);
	host_facts_close(&h[0].facts, 7); /* the result arrived anyway */
	h[0].running = false;
	h[0].member = false; /* it was powered off: it leaves */
	assert_int_equal(plan(true, 2000, h, 1), 0);
	assert_true(fence_done(&h[0]));
}

/* Finding 4: a result for an older incarnation does not close a newer loss. */
static void finding4_old_result_does_not_close_new_loss(void **state)
{
	struct fence_host h[] = { lost3(8) };
	(void)state;
	host_facts_close(&h[0].facts, 7); /* re-sent result of an earlier life */
	assert_int_equal(h[0].facts.closed_inc, 7);
	assert_int_equal(plan(true, 1000, h, 1), 1);
	assert_int_equal(steps[0].inc, 8);
}

/* Finding 5: storage "dead" without a watchdog proves nothing. */
static void finding5_storage_dead_needs_watchdog(void **state)
{
	struct fence_host h[] = { lost3(7) };
	struct fence_snapshot s;
	(void)state;
	h[0].levels = 0;
	h[0].heartbeat = HAVM_HB_DEAD;
	h[0].facts.generation = h[0].hb_generation = 4;
	assert_int_equal(plan(true, 1000, h, 1), 0);
	s = snap(true, 1000, h, 1);
	assert_non_null(fence_storage_refusal(&s, &h[0]));
	h[0].facts.watchdog = true;
	assert_int_equal(plan(true, 1000, h, 1), 1);
	assert_int_equal(steps[0].kind, FENCE_STEP_STORAGE_DEAD);
}

/* Finding 6: a job is cancelled when we stop acting (quorum lost). */
static void finding6_cancel_when_not_acting(void **state)
{
	struct fence_host h[] = { lost3(7) };
	(void)state;
	h[0].running = true;
	h[0].running_inc = 7;
	assert_int_equal(plan(false, 1000, h, 1), 1);
	assert_int_equal(steps[0].kind, FENCE_STEP_CANCEL);
	/* A job for an older life of a host lost again is cancelled too. */
	h[0].facts.inc = 8;
	assert_int_equal(plan(true, 1000, h, 1), 1);
	assert_int_equal(steps[0].kind, FENCE_STEP_CANCEL);
	assert_int_equal(steps[0].inc, 7);
}

/* Finding 7: a new coordinator that never saw host 3 learns of its life
 * from a member's announcement and carries the fence on. */
static void finding7_new_coordinator_inherits(void **state)
{
	struct fence_host h[] = { lost3(0) };
	struct host_facts told = { .nodeid = 3, .inc = 7, .watchdog = true, .generation = 2 };
	(void)state;
	assert_int_equal(plan(true, 1000, h, 1), 0);
	assert_true(host_facts_merge(&h[0].facts, &told));
	assert_int_equal(plan(true, 1000, h, 1), 1);
	assert_int_equal(steps[0].kind, FENCE_STEP_POWER);
	assert_int_equal(steps[0].inc, 7);
	assert_false(host_facts_merge(&h[0].facts, &told)); /* nothing new */
}

/* Finding 9: a host fenced in life 7 boots as 8 with its sanlock late:
 * sanlock's "dead" is still life 7's; lost again, 8 is power fenced. */
static void finding9_dead_heartbeat_of_previous_life(void **state)
{
	struct fence_host h[] = { lost3(7) };
	(void)state;
	h[0].facts.watchdog = true;
	h[0].facts.generation = 3;
	host_facts_close(&h[0].facts, 7);
	/* New life: announced, no generation yet (not joined). */
	struct host_facts life8 = { .nodeid = 3, .inc = 8, .watchdog = true };
	host_facts_merge(&h[0].facts, &life8);
	h[0].heartbeat = HAVM_HB_DEAD;
	h[0].hb_generation = 3;
	h[0].attempts = 1; /* even after a failed power attempt */
	assert_int_equal(plan(true, 1000, h, 1), 1);
	assert_int_equal(steps[0].kind, FENCE_STEP_POWER);
	assert_int_equal(steps[0].inc, 8);
	/* Joined in life 8 with generation 4; a dead heartbeat of generation 3
	 * is still not its own. */
	h[0].facts.generation = 4;
	assert_int_equal(plan(true, 1000, h, 1), 1);
	assert_int_equal(steps[0].kind, FENCE_STEP_POWER);
	/* Generation 4 dead: its own. */
	h[0].hb_generation = 4;
	assert_int_equal(plan(true, 1000, h, 1), 1);
	assert_int_equal(steps[0].kind, FENCE_STEP_STORAGE_DEAD);
}

/* The fence delay holds the storage fallback back too (review). */
static void fence_delay_holds_storage_too(void **state)
{
	struct fence_host h[] = { lost3(7) };
	(void)state;
	h[0].levels = 0;
	h[0].facts.watchdog = true;
	h[0].facts.generation = h[0].hb_generation = 2;
	h[0].heartbeat = HAVM_HB_DEAD;
	h[0].delay_until_ms = 3000;
	assert_int_equal(plan(true, 2999, h, 1), 0);
	assert_int_equal(plan(true, 3000, h, 1), 1);
	assert_int_equal(steps[0].kind, FENCE_STEP_STORAGE_DEAD);
}

/* Storage "dead" is the fallback: power first when there are levels. */
static void power_first_then_storage(void **state)
{
	struct fence_host h[] = { lost3(7) };
	(void)state;
	h[0].facts.watchdog = true;
	h[0].facts.generation = h[0].hb_generation = 2;
	h[0].heartbeat = HAVM_HB_DEAD;
	assert_int_equal(plan(true, 1000, h, 1), 1);
	assert_int_equal(steps[0].kind, FENCE_STEP_POWER);
	h[0].attempts = 1;
	h[0].running = true;
	h[0].running_inc = 7;
	assert_int_equal(plan(true, 1000, h, 1), 1);
	assert_int_equal(steps[0].kind, FENCE_STEP_STORAGE_DEAD);
}

/* Finding 10: after a heal, the merged facts close a loss the other side
 * fenced; nobody fences it again. */
static void finding10_heal_merges_closed_loss(void **state)
{
	struct fence_host h[] = { lost3(7) };
	struct host_facts majority = { .nodeid = 3, .inc = 7, .closed_inc = 7 };
	(void)state;
	assert_int_equal(plan(true, 1000, h, 1), 1); /* before the merge: would fence */
	host_facts_merge(&h[0].facts, &majority);
	assert_int_equal(plan(true, 1000, h, 1), 0);
	assert_true(fence_done(&h[0]));
	/* Booted again as 8 and a member: not fenced, not shown fenced. */
	struct host_facts life8 = { .nodeid = 3, .inc = 8 };
	host_facts_merge(&h[0].facts, &life8);
	h[0].member = true;
	assert_false(fence_done(&h[0]));
	assert_int_equal(plan(true, 1000, h, 1), 0);
}

/* Two losses of the same host: each life needs its own record. */
static void two_losses_two_records(void **state)
{
	struct fence_host h[] = { lost3(7) };
	struct host_facts life8 = { .nodeid = 3, .inc = 8 };
	(void)state;
	host_facts_close(&h[0].facts, 7);
	assert_int_equal(plan(true, 1000, h, 1), 0);
	host_facts_merge(&h[0].facts, &life8);
	assert_int_equal(plan(true, 1000, h, 1), 1);
	assert_int_equal(steps[0].inc, 8);
	/* A late duplicate of 7's result changes nothing. */
	host_facts_close(&h[0].facts, 7);
	assert_int_equal(h[0].facts.closed_inc, 7);
	assert_int_equal(plan(true, 1000, h, 1), 1);
	host_facts_close(&h[0].facts, 8);
	assert_int_equal(plan(true, 1000, h, 1), 0);
}

/* A restarted havmd reloads its records (closed) and learns lives again
 * from announcements: same decision as one that watched. */
static void restart_decides_the_same(void **state)
{
	struct fence_host watched[] = { lost3(7) };
	struct fence_host restarted[] = { lost3(0) };
	struct host_facts announced = { .nodeid = 3, .inc = 7 };
	(void)state;
	host_facts_merge(&restarted[0].facts, &announced);
	assert_int_equal(plan(true, 1000, watched, 1), 1);
	assert_int_equal(plan(true, 1000, restarted, 1), 1);
	host_facts_close(&watched[0].facts, 7);
	host_facts_close(&restarted[0].facts, 7); /* from the history file */
	assert_int_equal(plan(true, 1000, watched, 1), 0);
	assert_int_equal(plan(true, 1000, restarted, 1), 0);
}

static void operator_request_fences_a_member(void **state)
{
	struct fence_host h[] = { lost3(7) };
	(void)state;
	h[0].member = true;
	h[0].requested = true;
	assert_int_equal(plan(true, 1000, h, 1), 1);
	assert_int_equal(steps[0].kind, FENCE_STEP_POWER);
	host_facts_close(&h[0].facts, 7);
	assert_int_equal(plan(true, 1000, h, 1), 0);
}

static void never_our_own_host(void **state)
{
	struct fence_host h[] = { lost3(7) };
	struct fence_snapshot s = snap(true, 1000, h, 1);

	(void)state;
	s.self = 3;
	assert_int_equal(fence_plan(&s, steps, 16), 0);
	s.self = 2;
	assert_int_equal(fence_plan(&s, steps, 16), 1);
}

static void several_hosts_bounded_by_max(void **state)
{
	struct fence_host h[20];
	struct fence_snapshot s = snap(true, 1000, h, 20);
	(void)state;
	for (int i = 0; i < 20; i++) {
		h[i] = lost3(5);
		h[i].nodeid = (uint32_t)i + 2;
	}
	assert_int_equal(fence_plan(&s, steps, 16), 16);
}

static void merge_keeps_newest_life(void **state)
{
	struct host_facts ours = { .nodeid = 3, .inc = 9, .watchdog = true, .generation = 5 };
	struct host_facts older = { .nodeid = 3, .inc = 8, .watchdog = false, .generation = 2,
				    .closed_inc = 8 };
	(void)state;
	assert_true(host_facts_merge(&ours, &older)); /* learns that 8 was closed */
	assert_int_equal(ours.inc, 9);
	assert_true(ours.watchdog);
	assert_int_equal(ours.generation, 5);
	assert_int_equal(ours.closed_inc, 8);
}

/* A member whose life nobody announced (its havmd is down) gets an unknown
 * open life after the last known one: fenced if it leaves, never "done" on
 * an older record (review: a restarted daemon would otherwise take a live
 * host fenced long ago as off). */
static void unknown_life_of_a_member(void **state)
{
	struct fence_host h[] = { lost3(7) };
	struct host_facts real = { .nodeid = 3, .inc = 900 };
	(void)state;
	host_facts_close(&h[0].facts, 7);
	h[0].member = true;
	host_facts_unknown_life(&h[0].facts);
	assert_int_equal(h[0].facts.inc, 8);
	h[0].member = false;
	assert_false(fence_done(&h[0]));
	assert_int_equal(plan(true, 1000, h, 1), 1);
	assert_int_equal(steps[0].inc, 8);
	/* An open life known already is left as it is. */
	host_facts_unknown_life(&h[0].facts);
	assert_int_equal(h[0].facts.inc, 8);
	/* Its real number, once announced, replaces it. */
	host_facts_merge(&h[0].facts, &real);
	assert_int_equal(h[0].facts.inc, 900);
	/* Never seen at all, but a member: life 1. */
	struct host_facts none = { .nodeid = 4 };
	host_facts_unknown_life(&none);
	assert_int_equal(none.inc, 1);
}

/* A first-hand record made after a void closes the life again; an
 * announcement does not (review: a void must not block for good). */
static void first_hand_record_after_void_closes(void **state)
{
	struct host_facts f = { .nodeid = 3, .inc = 7 };
	struct host_facts told = { .nodeid = 3, .inc = 7, .closed_inc = 7 };
	(void)state;
	host_facts_close(&f, 7);
	host_facts_void(&f, 7);
	host_facts_merge(&f, &told);
	assert_int_equal(f.closed_inc, 0);
	host_facts_close(&f, 7);
	assert_int_equal(f.closed_inc, 7);
	assert_int_equal(f.void_inc, 0);
}

/* A generation that grows within one life (sanlock rejoined) is taken. */
static void generation_grows_within_a_life(void **state)
{
	struct host_facts f = { .nodeid = 3, .inc = 7, .generation = 5 };
	struct host_facts newer = { .nodeid = 3, .inc = 7, .generation = 6 };
	(void)state;
	assert_true(host_facts_merge(&f, &newer));
	assert_int_equal(f.generation, 6);
}

/* An announcement cannot close a life beyond the newest one known (review:
 * a closure of a future life would excuse that host's next lives). */
static void announced_closure_of_a_future_life_refused(void **state)
{
	struct fence_host h[] = { lost3(7) };
	struct host_facts forged = { .nodeid = 3, .inc = 7, .closed_inc = 1000 };
	struct host_facts life8 = { .nodeid = 3, .inc = 8 };
	(void)state;
	host_facts_merge(&h[0].facts, &forged);
	assert_int_equal(h[0].facts.closed_inc, 0);
	host_facts_merge(&h[0].facts, &life8);
	assert_int_equal(plan(true, 1000, h, 1), 1);
	assert_int_equal(steps[0].kind, FENCE_STEP_POWER);
	assert_int_equal(steps[0].inc, 8);
}


/* A host in maintenance is not fenced when it leaves (unless an operator
 * asks); cluster maintenance mode fences nothing and stops a job out. */
static void maintenance_is_not_fenced(void **state)
{
	struct fence_host h[] = { lost3(7) };
	struct fence_snapshot s;
	(void)state;
	h[0].maintenance = true;
	assert_int_equal(plan(true, 1000, h, 1), 0);
	s = snap(true, 1000, h, 1);
	assert_false(fence_needed(&s, &h[0]));
	h[0].heartbeat = HAVM_HB_DEAD; /* not even by storage */
	h[0].facts.watchdog = true;
	h[0].facts.generation = 2;
	h[0].hb_generation = 2;
	h[0].levels = 0;
	assert_int_equal(plan(true, 1000, h, 1), 0);
	h[0].requested = true;
	assert_true(fence_needed(&s, &h[0]));
	assert_int_equal(plan(true, 1000, h, 1), 1);

	h[0] = lost3(7);
	s = snap(true, 1000, h, 1);
	s.paused = true;
	assert_int_equal(fence_plan(&s, steps, 16), 0);
	assert_true(fence_needed(&s, &h[0])); /* status still says it is pending */
	h[0].running = true;
	h[0].running_inc = 7;
	assert_int_equal(fence_plan(&s, steps, 16), 1);
	assert_int_equal(steps[0].kind, FENCE_STEP_CANCEL);
	s.paused = false;
	assert_int_equal(fence_plan(&s, steps, 16), 0); /* its job runs on */
	/* Held (the configurations are being agreed): no new job, and one
	 * out runs on. */
	s.hold = true;
	assert_int_equal(fence_plan(&s, steps, 16), 0);
	h[0].running = false;
	assert_int_equal(fence_plan(&s, steps, 16), 0);
	s.hold = false;
	assert_int_equal(fence_plan(&s, steps, 16), 1);
	assert_int_equal(steps[0].kind, FENCE_STEP_POWER);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(maintenance_is_not_fenced),
		cmocka_unit_test(lost_host_is_power_fenced),
		cmocka_unit_test(only_the_acting_coordinator_fences),
		cmocka_unit_test(never_seen_is_never_fenced),
		cmocka_unit_test(one_job_at_a_time_and_back_off),
		cmocka_unit_test(members_are_left_alone),
		cmocka_unit_test(finding1_rejoined_host_not_fenced_after_reconnect),
		cmocka_unit_test(finding2_voided_record_fences_later),
		cmocka_unit_test(finding3_rejoin_cancels_and_result_still_counts),
		cmocka_unit_test(finding4_old_result_does_not_close_new_loss),
		cmocka_unit_test(finding5_storage_dead_needs_watchdog),
		cmocka_unit_test(finding6_cancel_when_not_acting),
		cmocka_unit_test(finding7_new_coordinator_inherits),
		cmocka_unit_test(finding9_dead_heartbeat_of_previous_life),
		cmocka_unit_test(power_first_then_storage),
		cmocka_unit_test(fence_delay_holds_storage_too),
		cmocka_unit_test(finding10_heal_merges_closed_loss),
		cmocka_unit_test(two_losses_two_records),
		cmocka_unit_test(restart_decides_the_same),
		cmocka_unit_test(operator_request_fences_a_member),
		cmocka_unit_test(never_our_own_host),
		cmocka_unit_test(several_hosts_bounded_by_max),
		cmocka_unit_test(merge_keeps_newest_life),
		cmocka_unit_test(unknown_life_of_a_member),
		cmocka_unit_test(first_hand_record_after_void_closes),
		cmocka_unit_test(generation_grows_within_a_life),
		cmocka_unit_test(announced_closure_of_a_future_life_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
