/*
 * test_worker.c: daemon/worker.c with real forked children on a real
 * qb_loop: a result comes back, a hung child is killed at its deadline and
 * reported as -ETIMEDOUT without stalling the loop, a child that dies
 * without a result is -ECHILD, and at most WORKERS_MAX jobs run at once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "havmd.h"
#include "clock.h"
#include "worker.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static struct havmd h;
static int results[WORKERS_MAX + 4];
static char payload[64];
static int pending;

static int job_hello(void *arg, void *out, size_t *len)
{
	(void)arg;
	memcpy(out, "hello", 5);
	*len = 5;
	return 0;
}

static int job_fail(void *arg, void *out, size_t *len)
{
	(void)arg; (void)out;
	*len = 0;
	return -EHOSTUNREACH;
}

static int job_hang(void *arg, void *out, size_t *len)
{
	(void)arg; (void)out; (void)len;
	sleep(30);
	return 0;
}

static int job_die(void *arg, void *out, size_t *len)
{
	(void)arg; (void)out; (void)len;
	_exit(3);
}

static void done(struct havmd *hh, void *ctx, int status, const void *out, size_t len)
{
	int *slot = ctx;

	(void)hh;
	*slot = status;
	if (len) {
		memcpy(payload, out, len < sizeof(payload) - 1 ? len : sizeof(payload) - 1);
	}
	if (--pending == 0)
		qb_loop_stop(h.loop);
}

static void setup_loop(void)
{
	memset(&h, 0, sizeof(h));
	h.loop = qb_loop_create();
	assert_non_null(h.loop);
	assert_int_equal(workers_init(&h), 0);
	memset(results, 0x55, sizeof(results));
	memset(payload, 0, sizeof(payload));
}

static void result_and_errors(void **state)
{
	(void)state;
	setup_loop();
	pending = 3;
	assert_int_equal(worker_start(&h, "hello", 5000, job_hello, NULL, done, &results[0]), 0);
	assert_int_equal(worker_start(&h, "fail", 5000, job_fail, NULL, done, &results[1]), 0);
	assert_int_equal(worker_start(&h, "die", 5000, job_die, NULL, done, &results[2]), 0);
	qb_loop_run(h.loop);
	assert_int_equal(results[0], 0);
	assert_string_equal(payload, "hello");
	assert_int_equal(results[1], -EHOSTUNREACH);
	assert_int_equal(results[2], -ECHILD);
	qb_loop_destroy(h.loop);
}

static void hung_child_times_out(void **state)
{
	uint64_t t0;

	(void)state;
	setup_loop();
	pending = 2;
	t0 = clock_now_ms();
	assert_int_equal(worker_start(&h, "hang", 300, job_hang, NULL, done, &results[0]), 0);
	assert_int_equal(worker_start(&h, "hello", 5000, job_hello, NULL, done, &results[1]), 0);
	qb_loop_run(h.loop);
	assert_int_equal(results[0], -ETIMEDOUT);
	assert_int_equal(results[1], 0);
	/* reported at the deadline, not after the child's 30 s sleep */
	assert_true(clock_now_ms() - t0 < 10000);
	qb_loop_destroy(h.loop);
}

static void limit_on_jobs(void **state)
{
	(void)state;
	setup_loop();
	pending = WORKERS_MAX;
	for (int i = 0; i < WORKERS_MAX; i++)
		assert_int_equal(worker_start(&h, "hang", 200, job_hang, NULL, done, &results[i]), 0);
	assert_int_equal(worker_start(&h, "extra", 200, job_hang, NULL, done, &results[WORKERS_MAX]),
			 -EAGAIN);
	qb_loop_run(h.loop);
	for (int i = 0; i < WORKERS_MAX; i++)
		assert_int_equal(results[i], -ETIMEDOUT);
	qb_loop_destroy(h.loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(result_and_errors),
		cmocka_unit_test(hung_child_times_out),
		cmocka_unit_test(limit_on_jobs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
