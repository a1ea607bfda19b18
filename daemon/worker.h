/*
 * worker.h: run slow or hang-prone work off the main loop.
 *
 * Storage I/O, IPMI and fence agents can hang (a dead NFS server, a BMC
 * that never answers). Each job runs in a forked child with a deadline; its
 * result comes back through a pipe dispatched by the loop, so the loop
 * never waits for it. A child past its deadline is killed and the job
 * reports -ETIMEDOUT. Children are reaped on SIGCHLD without waiting, even
 * one stuck in uninterruptible I/O that outlives its SIGKILL for a while.
 *
 * A job is a process tree, not one process: a fence job runs fence agents,
 * which may run programs of their own. None of it outlives the job:
 *  - the worker child leads its own process group, and whatever it starts
 *    stays in that group (fence/agent_run.c gives agents no group of their
 *    own), so one kill(-pgid, SIGKILL) takes the whole tree, grandchildren
 *    included; havmd sends it whenever a job ends: result, death, deadline,
 *    cancel, or workers_stop;
 *  - if havmd itself dies (SIGKILL, a crash), nobody is left to send that
 *    kill, so the worker asks for SIGHUP at its parent's death
 *    (PR_SET_PDEATHSIG) and answers it by killing its own group; a parent
 *    death signal reaches direct children only, which is why the group kill
 *    is needed as well: an agent's own children (a shell script's `sleep`)
 *    have no parent death signal but are in the group.
 * What escapes both is a program that leaves the group on purpose (setsid)
 * and is not in fence/agent_run.c's reach; under systemd, the unit's
 * control group catches that too when havmd stops or dies.
 */
#ifndef HAVMD_WORKER_H
#define HAVMD_WORKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct havmd;

#define WORKER_OUT_MAX 4096 /* result bytes a job can return */
#define WORKERS_MAX 16      /* jobs at once */

/* Runs in the child: fill OUT (at most WORKER_OUT_MAX bytes), set *LEN,
 * return 0 or -errno. It must not touch the loop, corosync or the log,
 * nor SIGHUP (the parent death signal), nor move the processes it starts
 * out of its process group. */
typedef int (*worker_fn)(void *arg, void *out, size_t *len);
/* Runs on the loop when the job ends: once per started job, unless
 * workers_stop ended it. STATUS: the job's return, or -ETIMEDOUT (killed at
 * its deadline), -ECANCELED (worker_cancel), or -ECHILD (it died without a
 * result). OUT is valid during the call only. */
typedef void (*worker_done_fn)(struct havmd *h, void *ctx, int status, const void *out, size_t len);

struct worker {
	struct havmd *h; /* back-pointer: libqb timers carry one pointer */
	bool busy;
	bool reaped; /* pid waited for: its number (and group id) may be reused */
	uint64_t id; /* the caller's handle; unique for the life of havmd */
	char what[48];
	pid_t pid; /* the worker child, leader of the job's process group */
	int fd;
	uint64_t started_ms;
	uint64_t timer; /* qb_loop_timer_handle */
	worker_done_fn done;
	void *ctx;
	uint8_t buf[sizeof(int32_t) + WORKER_OUT_MAX];
	size_t got;
};

struct workers {
	struct worker w[WORKERS_MAX];
	uint64_t sigchld; /* qb_loop_signal_handle */
	uint64_t last_id; /* ids count up from 1; 0 is never a job */
};

/* Install the SIGCHLD reaper. 0 or -errno. */
int workers_init(struct havmd *h);
/* Start FN(ARG) in a child, DONE(h, CTX, ...) when it ends. 0, or -EAGAIN
 * when WORKERS_MAX jobs run, or -errno from pipe/fork. WHAT names the job
 * in logs. On success, *ID (if ID is not NULL) is the job's id for
 * worker_cancel: never 0, and never given to another job, so a stale id
 * cannot reach a later job that reuses the slot. */
int worker_start(struct havmd *h, const char *what, uint32_t timeout_ms, worker_fn fn, void *arg,
		 worker_done_fn done, void *ctx, uint64_t *id);
/* Cancel job ID: kill its process group now, and call its DONE with
 * -ECANCELED before returning, so that a caller's bookkeeping for a job's
 * end stays in one place, its DONE (which runs inside this call: state it
 * frees is gone when worker_cancel returns). 0, or -ENOENT when no running
 * job has that id (it ended, was cancelled, or never was): nothing is
 * killed and nothing called then. */
int worker_cancel(struct havmd *h, uint64_t id);
/* Kill every running job and its process group (shutdown); their DONE
 * callbacks are not called. */
void workers_stop(struct havmd *h);

#endif
