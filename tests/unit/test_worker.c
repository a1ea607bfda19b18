/*
 * test_worker.c: daemon/worker.c with real forked children on a real
 * qb_loop: a result comes back, a hung child is killed at its deadline and
 * reported as -ETIMEDOUT without stalling the loop, a child that dies
 * without a result is -ECHILD, and at most WORKERS_MAX jobs run at once.
 *
 * A job is a process tree: jobs here start a grandchild (`sleep 60`, run
 * without a shell) and the tests check that it dies with the job, whatever
 * ends it: its deadline, worker_cancel, workers_stop, the job returning
 * while it still runs, or the death of havmd itself (a forked stand-in,
 * SIGKILLed). The test process is a child subreaper, so the orphans of a
 * killed tree come back to it: "gone" means reaped here and then unknown to
 * the kernel (kill(pid, 0) fails with ESRCH), not merely a zombie.
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
#include <qb/qbdefs.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static struct havmd h;
static int results[WORKERS_MAX + 4];
static int calls[WORKERS_MAX + 4];
static char payload[64];
static int pending;

/* Written by the children, read here: anonymous shared memory survives
 * the worker's closing of every inherited descriptor. */
struct tree {
	volatile pid_t worker;
	volatile pid_t grandchild;
};
static struct tree *trees; /* WORKERS_MAX + 4 of them */

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

/* Start `sleep 60` (no shell) and note it, with our pid, in *ARG. */
static void spawn_grandchild(struct tree *t)
{
	pid_t g = fork();

	if (g == 0) {
		execlp("sleep", "sleep", "60", (char *)NULL);
		_exit(127);
	}
	t->grandchild = g;
	t->worker = getpid();
}

/* A job that starts a grandchild and hangs. */
static int job_tree(void *arg, void *out, size_t *len)
{
	(void)out;
	(void)len;
	spawn_grandchild(arg);
	sleep(30);
	return 0;
}

/* A job that starts a grandchild and returns at once, leaving it behind. */
static int job_tree_return(void *arg, void *out, size_t *len)
{
	(void)out;
	spawn_grandchild(arg);
	*len = 0;
	return 0;
}

static void done(struct havmd *hh, void *ctx, int status, const void *out, size_t len)
{
	int *slot = ctx;

	(void)hh;
	*slot = status;
	calls[slot - results]++;
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
	memset(calls, 0, sizeof(calls));
	memset(payload, 0, sizeof(payload));
	memset(trees, 0, sizeof(*trees) * (WORKERS_MAX + 4));
}

/* ---- running the loop until something holds -------------------------- */

static int (*until_cond)(void);
static uint64_t until_deadline;

static void until_poll(void *data)
{
	qb_loop_timer_handle t;

	(void)data;
	if ((until_cond && until_cond()) || clock_now_ms() >= until_deadline) {
		qb_loop_stop(h.loop);
		return;
	}
	qb_loop_timer_add(h.loop, QB_LOOP_LOW, 10 * QB_TIME_NS_IN_MSEC, NULL, until_poll, &t);
}

/* Run the loop until COND (NULL: never) holds or MS pass. */
static void run_until(int (*cond)(void), uint64_t ms)
{
	qb_loop_timer_handle t;

	until_cond = cond;
	until_deadline = clock_now_ms() + ms;
	assert_int_equal(qb_loop_timer_add(h.loop, QB_LOOP_LOW, 10 * QB_TIME_NS_IN_MSEC, NULL,
					   until_poll, &t),
			 0);
	qb_loop_run(h.loop);
}

static int tree0_started(void)
{
	return trees[0].grandchild > 0;
}

static int trees01_started(void)
{
	return trees[0].grandchild > 0 && trees[1].grandchild > 0;
}

static int alive(pid_t pid)
{
	return kill(pid, 0) == 0;
}

/* PID is gone within 5 s: reaped (here, its subreaper, or by whoever else
 * is its parent) and unknown to the kernel. */
static int gone(pid_t pid)
{
	uint64_t end = clock_now_ms() + 5000;

	for (;;) {
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		if (kill(pid, 0) < 0 && errno == ESRCH)
			return 1;
		if (clock_now_ms() >= end)
			return 0;
		usleep(10000);
	}
}

/* ---- tests ------------------------------------------------------------ */

static void result_and_errors(void **state)
{
	uint64_t id[3] = { 0 };

	(void)state;
	setup_loop();
	pending = 3;
	assert_int_equal(
		worker_start(&h, "hello", 5000, job_hello, NULL, done, &results[0], &id[0]), 0);
	assert_int_equal(worker_start(&h, "fail", 5000, job_fail, NULL, done, &results[1], &id[1]),
			 0);
	assert_int_equal(worker_start(&h, "die", 5000, job_die, NULL, done, &results[2], &id[2]),
			 0);
	/* Ids are handles: never 0, never the same twice. */
	assert_true(id[0] != 0 && id[1] != 0 && id[2] != 0);
	assert_true(id[0] != id[1] && id[1] != id[2] && id[0] != id[2]);
	qb_loop_run(h.loop);
	assert_int_equal(results[0], 0);
	assert_string_equal(payload, "hello");
	assert_int_equal(results[1], -EHOSTUNREACH);
	assert_int_equal(results[2], -ECHILD);
	assert_int_equal(calls[0] + calls[1] + calls[2], 3);
	qb_loop_destroy(h.loop);
}

static void hung_child_times_out(void **state)
{
	uint64_t t0;

	(void)state;
	setup_loop();
	pending = 2;
	t0 = clock_now_ms();
	assert_int_equal(worker_start(&h, "hang", 300, job_hang, NULL, done, &results[0], NULL), 0);
	assert_int_equal(worker_start(&h, "hello", 5000, job_hello, NULL, done, &results[1], NULL),
			 0);
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
		assert_int_equal(
			worker_start(&h, "hang", 200, job_hang, NULL, done, &results[i], NULL), 0);
	assert_int_equal(
		worker_start(&h, "extra", 200, job_hang, NULL, done, &results[WORKERS_MAX], NULL),
		-EAGAIN);
	qb_loop_run(h.loop);
	for (int i = 0; i < WORKERS_MAX; i++)
		assert_int_equal(results[i], -ETIMEDOUT);
	qb_loop_destroy(h.loop);
}

/* The deadline kills the worker and its grandchild, which was in the
 * worker's process group. */
static void deadline_kills_tree(void **state)
{
	(void)state;
	setup_loop();
	pending = 1;
	assert_int_equal(
		worker_start(&h, "tree", 500, job_tree, &trees[0], done, &results[0], NULL), 0);
	run_until(tree0_started, 5000);
	assert_true(tree0_started());
	assert_int_equal(getpgid(trees[0].grandchild), trees[0].worker);
	if (pending)
		qb_loop_run(h.loop); /* until done */
	assert_int_equal(results[0], -ETIMEDOUT);
	assert_int_equal(calls[0], 1);
	assert_true(gone(trees[0].grandchild));
	assert_true(gone(trees[0].worker));
	qb_loop_destroy(h.loop);
}

/* worker_cancel kills the tree at once and reports -ECANCELED, once. */
static void cancel_kills_tree(void **state)
{
	uint64_t id = 0, t0;

	(void)state;
	setup_loop();
	pending = 100; /* the loop is stopped by run_until only */
	t0 = clock_now_ms();
	assert_int_equal(
		worker_start(&h, "tree", 30000, job_tree, &trees[0], done, &results[0], &id), 0);
	run_until(tree0_started, 5000);
	assert_true(tree0_started());
	assert_int_equal(calls[0], 0);
	assert_int_equal(worker_cancel(&h, id), 0);
	/* done ran inside worker_cancel */
	assert_int_equal(calls[0], 1);
	assert_int_equal(results[0], -ECANCELED);
	assert_int_equal(worker_cancel(&h, id), -ENOENT);
	run_until(NULL, 300); /* SIGCHLD, the pipe's EOF: nothing more to report */
	assert_int_equal(calls[0], 1);
	assert_true(gone(trees[0].grandchild));
	assert_true(gone(trees[0].worker));
	assert_true(clock_now_ms() - t0 < 10000);
	qb_loop_destroy(h.loop);
}

/* The id of an ended job reaches nothing, even once its slot is reused. */
static void stale_id_kills_nothing(void **state)
{
	uint64_t id1 = 0, id2 = 0;

	(void)state;
	setup_loop();
	pending = 1;
	assert_int_equal(worker_start(&h, "hello", 5000, job_hello, NULL, done, &results[0], &id1),
			 0);
	qb_loop_run(h.loop);
	assert_int_equal(results[0], 0);
	pending = 100;
	assert_int_equal(
		worker_start(&h, "tree", 30000, job_tree, &trees[0], done, &results[1], &id2), 0);
	assert_int_not_equal(id1, id2);
	assert_int_equal(h.workers.w[0].id, id2); /* the same slot */
	run_until(tree0_started, 5000);
	assert_true(tree0_started());
	assert_int_equal(worker_cancel(&h, id1), -ENOENT);
	assert_int_equal(worker_cancel(&h, 0), -ENOENT);
	assert_int_equal(worker_cancel(&h, id2 + 1), -ENOENT);
	run_until(NULL, 200);
	assert_true(alive(trees[0].worker));
	assert_true(alive(trees[0].grandchild));
	assert_int_equal(calls[0], 1);
	assert_int_equal(calls[1], 0);
	assert_int_equal(worker_cancel(&h, id2), 0);
	assert_int_equal(results[1], -ECANCELED);
	assert_true(gone(trees[0].grandchild));
	qb_loop_destroy(h.loop);
}

/* A job that returns while something it started still runs: the result
 * arrives at once (the leftover does not hold the pipe open) and the
 * leftover dies with the job. */
static void leftover_dies_with_job(void **state)
{
	uint64_t t0;

	(void)state;
	setup_loop();
	pending = 1;
	t0 = clock_now_ms();
	assert_int_equal(worker_start(&h, "tree", 20000, job_tree_return, &trees[0], done,
				      &results[0], NULL),
			 0);
	qb_loop_run(h.loop);
	assert_int_equal(results[0], 0);
	assert_true(clock_now_ms() - t0 < 10000);
	assert_true(trees[0].grandchild > 0);
	assert_true(gone(trees[0].grandchild));
	qb_loop_destroy(h.loop);
}

/* workers_stop kills every tree, without calling done. */
static void stop_kills_trees(void **state)
{
	(void)state;
	setup_loop();
	pending = 100;
	assert_int_equal(
		worker_start(&h, "tree", 30000, job_tree, &trees[0], done, &results[0], NULL), 0);
	assert_int_equal(
		worker_start(&h, "tree", 30000, job_tree, &trees[1], done, &results[1], NULL), 0);
	run_until(trees01_started, 5000);
	assert_true(trees01_started());
	workers_stop(&h);
	assert_int_equal(calls[0] + calls[1], 0);
	for (int i = 0; i < 2; i++) {
		assert_true(gone(trees[i].grandchild));
		assert_true(gone(trees[i].worker));
	}
	qb_loop_destroy(h.loop);
}

/* havmd SIGKILLed: its worker has a parent death signal and kills its
 * group, grandchild included. A forked stand-in plays havmd. */
static void havmd_death_kills_tree(void **state)
{
	pid_t fake;
	uint64_t end;

	(void)state;
	memset(trees, 0, sizeof(*trees) * 2);
	fake = fork();
	assert_true(fake >= 0);
	if (fake == 0) {
		struct havmd hh;

		memset(&hh, 0, sizeof(hh));
		hh.loop = qb_loop_create();
		if (!hh.loop ||
		    worker_start(&hh, "tree", 30000, job_tree, &trees[0], done, &results[0], NULL))
			_exit(1);
		for (;;)
			pause(); /* the loop never runs: only the kill ends this */
	}
	end = clock_now_ms() + 5000;
	while (!tree0_started() && clock_now_ms() < end)
		usleep(10000);
	assert_true(tree0_started());
	assert_true(alive(trees[0].worker));
	assert_int_equal(kill(fake, SIGKILL), 0);
	assert_int_equal(waitpid(fake, NULL, 0), fake);
	assert_true(gone(trees[0].worker));
	assert_true(gone(trees[0].grandchild));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(result_and_errors),      cmocka_unit_test(hung_child_times_out),
		cmocka_unit_test(limit_on_jobs),          cmocka_unit_test(deadline_kills_tree),
		cmocka_unit_test(cancel_kills_tree),      cmocka_unit_test(stale_id_kills_nothing),
		cmocka_unit_test(leftover_dies_with_job), cmocka_unit_test(stop_kills_trees),
		cmocka_unit_test(havmd_death_kills_tree),
	};

	/* As in havmd (main.c): a write to a pipe whose reader is gone is an
	 * error return, not death; once, under load, a late write killed the
	 * test with SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	/* Orphans of killed trees come to us, so that "gone" can be checked
	 * without relying on whoever is pid 1 to reap them. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		return 1;
	trees = mmap(NULL, sizeof(*trees) * (WORKERS_MAX + 4), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (trees == MAP_FAILED)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
