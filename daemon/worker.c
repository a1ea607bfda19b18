/*
 * worker.c: forked jobs with deadlines (see worker.h).
 *
 * Wire between child and parent: a 4-byte status (host order: same
 * machine, same binary) followed by up to WORKER_OUT_MAX result bytes, then
 * EOF when the child exits (and whatever it started that inherited the
 * pipe: on_sigchld kills the job's group when the worker is reaped, so a
 * leftover cannot hold the EOF back). Anything shorter than the status is
 * a child that died mid-way.
 */
#define _GNU_SOURCE 1 /* pipe2 */
#include "worker.h"
#include "clock.h"

#include "havmd.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static struct worker *worker_by_pid(struct havmd *h, pid_t pid)
{
	for (size_t i = 0; i < WORKERS_MAX; i++)
		if (h->workers.w[i].busy && h->workers.w[i].pid == pid)
			return &h->workers.w[i];
	return NULL;
}

/*
 * Kill a job's process tree: its group (the worker and everything it
 * started), and the worker itself should its setpgid have failed. Only
 * while the worker is not yet reaped: until then its pid, and so its group
 * id, cannot belong to anyone else. Once reaped, on_sigchld has already
 * killed the group, at the last moment it was safe to.
 */
static void job_kill(struct worker *w)
{
	if (w->reaped)
		return;
	kill(-w->pid, SIGKILL);
	kill(w->pid, SIGKILL);
}

/* Reap every exited child without blocking; results travel by pipe, so
 * the exit status is only logged when it says something went wrong. A
 * running job's worker is looked at first (WNOWAIT), and its group killed
 * before it is reaped: whatever the job left behind dies with it. */
static int32_t on_sigchld(int32_t sig, void *data)
{
	struct havmd *h = data;
	siginfo_t si;
	int st;

	(void)sig;
	for (;;) {
		struct worker *w;
		pid_t pid;

		memset(&si, 0, sizeof(si));
		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid == 0)
			break;
		w = worker_by_pid(h, si.si_pid);
		if (w && !w->reaped) {
			job_kill(w);
			w->reaped = true;
		}
		pid = waitpid(si.si_pid, &st, WNOHANG);
		if (pid <= 0)
			break;
		if (WIFSIGNALED(st) && WTERMSIG(st) != SIGKILL)
			log_warn("worker: child pid=%ld killed by signal=%d", (long)pid,
				 WTERMSIG(st));
	}
	return 0;
}

int workers_init(struct havmd *h)
{
	qb_loop_signal_handle hd;
	int rc = qb_loop_signal_add(h->loop, QB_LOOP_HIGH, SIGCHLD, h, on_sigchld, &hd);

	if (rc < 0)
		return rc;
	h->workers.sigchld = (uint64_t)(uintptr_t)hd;
	return 0;
}

static void worker_end(struct havmd *h, struct worker *w, int status)
{
	worker_done_fn done = w->done;
	void *ctx = w->ctx;
	size_t len = w->got > sizeof(int32_t) ? w->got - sizeof(int32_t) : 0;
	uint8_t out[WORKER_OUT_MAX];

	/* Whatever ended the job, nothing it started outlives it. After a
	 * result the worker is exiting anyway. */
	job_kill(w);
	qb_loop_poll_del(h->loop, w->fd);
	close(w->fd);
	if (w->timer)
		qb_loop_timer_del(h->loop, (qb_loop_timer_handle)w->timer);
	memcpy(out, w->buf + sizeof(int32_t), len);
	log_debug("worker: done job=\"%s\" id=%llu pid=%ld status=%d ms=%llu", w->what,
		  (unsigned long long)w->id, (long)w->pid, status,
		  (unsigned long long)(clock_now_ms() - w->started_ms));
	memset(w, 0, sizeof(*w));
	/* The slot is free before the callback runs: it may start a new job. */
	done(h, ctx, status, out, len);
}

static struct worker *worker_by_fd(struct havmd *h, int fd)
{
	for (size_t i = 0; i < WORKERS_MAX; i++)
		if (h->workers.w[i].busy && h->workers.w[i].fd == fd)
			return &h->workers.w[i];
	return NULL;
}

static int32_t on_pipe(int32_t fd, int32_t revents, void *data)
{
	struct havmd *h = data;
	struct worker *w = worker_by_fd(h, fd);
	ssize_t n;

	(void)revents;
	if (!w)
		return -1;
	n = read(fd, w->buf + w->got, sizeof(w->buf) - w->got);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n > 0) {
		w->got += (size_t)n;
		if (w->got < sizeof(w->buf))
			return 0;
	}
	/* EOF, an error, or a full buffer (a child writes no more than that). */
	if (w->got < sizeof(int32_t)) {
		log_warn("worker: job=\"%s\" pid=%ld died without a result", w->what,
			 (long)w->pid);
		worker_end(h, w, -ECHILD);
	} else {
		int32_t st;
		memcpy(&st, w->buf, sizeof(st));
		worker_end(h, w, st);
	}
	return 0; /* worker_end removed the fd */
}

/* Past its deadline: kill the job's tree (worker_end) and report now. The
 * child may be in uninterruptible I/O and outlive SIGKILL for a while;
 * SIGCHLD reaps it whenever it goes, and its late result, if any, has
 * nowhere to go. */
static void on_deadline(void *data)
{
	struct worker *w = data;

	w->timer = 0;
	log_warn("worker: job=\"%s\" pid=%ld passed its deadline, killed", w->what, (long)w->pid);
	worker_end(w->h, w, -ETIMEDOUT);
}

/* havmd is gone (the parent death signal): kill the job's whole group,
 * this worker included, since no one else will. Async-signal-safe. */
static void on_parent_death(int sig)
{
	(void)sig;
	kill(0, SIGKILL);
	_exit(1);
}

/* The child's side of worker_start: never returns. */
__attribute__((noreturn)) static void worker_child(pid_t parent, int wfd, worker_fn fn, void *arg)
{
	uint8_t buf[sizeof(int32_t) + WORKER_OUT_MAX];
	size_t len = 0, off = 0;
	struct sigaction sa;
	sigset_t none;
	int32_t st;

	/* A clean child: its own process group (one kill takes the job's
	 * tree), default signals (libqb's handlers are the parent's; signals
	 * stay blocked, as the parent blocked them around fork, until none of
	 * its handlers is left), and no inherited descriptors but the result
	 * pipe, so a child stuck in I/O holds no corosync or control socket
	 * open. */
	setpgid(0, 0);
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	signal(SIGPIPE, SIG_IGN);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_parent_death;
	sigfillset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* Die with havmd. Had it died before the prctl, the signal will never
	 * come: we are someone else's child already. */
	if (prctl(PR_SET_PDEATHSIG, SIGHUP) < 0 || getppid() != parent)
		_exit(1);
	if (wfd != 3) {
		dup2(wfd, 3);
		wfd = 3;
	}
	close_range(4, ~0U, 0);
	st = fn(arg, buf + sizeof(st), &len);
	if (len > WORKER_OUT_MAX)
		len = WORKER_OUT_MAX;
	memcpy(buf, &st, sizeof(st));
	len += sizeof(st);
	while (off < len) {
		ssize_t n = write(wfd, buf + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	_exit(0);
}

int worker_start(struct havmd *h, const char *what, uint32_t timeout_ms, worker_fn fn, void *arg,
		 worker_done_fn done, void *ctx, uint64_t *id)
{
	struct worker *w = NULL;
	pid_t parent = getpid(), pid;
	sigset_t all, old;
	qb_loop_timer_handle t;
	int p[2], rc;

	for (size_t i = 0; i < WORKERS_MAX && !w; i++)
		if (!h->workers.w[i].busy)
			w = &h->workers.w[i];
	if (!w)
		return -EAGAIN;
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	/* No signal may reach libqb's handlers in the child before it has
	 * reset them: they would write into havmd's own signal pipe. */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid = fork();
	if (pid == 0)
		worker_child(parent, p[1], fn, arg);
	rc = pid < 0 ? -errno : 0;
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return rc;
	}
	setpgid(pid, pid); /* also here: the group exists before any kill of it */
	close(p[1]);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	*w = (struct worker){ .h = h,
			      .busy = true,
			      .id = ++h->workers.last_id,
			      .pid = pid,
			      .fd = p[0],
			      .done = done,
			      .ctx = ctx,
			      .started_ms = clock_now_ms() };
	snprintf(w->what, sizeof(w->what), "%s", what);
	rc = qb_loop_poll_add(h->loop, QB_LOOP_MED, p[0], POLLIN, h, on_pipe);
	if (rc < 0) {
		job_kill(w);
		close(p[0]);
		memset(w, 0, sizeof(*w));
		return rc;
	}
	rc = qb_loop_timer_add(h->loop, QB_LOOP_MED, (uint64_t)timeout_ms * QB_TIME_NS_IN_MSEC, w,
			       on_deadline, &t);
	if (rc < 0) {
		/* A job without a deadline could hang forever: refuse it. */
		job_kill(w);
		qb_loop_poll_del(h->loop, p[0]);
		close(p[0]);
		memset(w, 0, sizeof(*w));
		return rc;
	}
	w->timer = (uint64_t)t;
	log_debug("worker: started job=\"%s\" id=%llu pid=%ld timeout_ms=%u", what,
		  (unsigned long long)w->id, (long)pid, timeout_ms);
	if (id)
		*id = w->id;
	return 0;
}

int worker_cancel(struct havmd *h, uint64_t id)
{
	for (size_t i = 0; i < WORKERS_MAX && id != 0; i++) {
		struct worker *w = &h->workers.w[i];
		if (!w->busy || w->id != id)
			continue;
		log_notice("worker: job=\"%s\" id=%llu pid=%ld cancelled, killed", w->what,
			   (unsigned long long)id, (long)w->pid);
		worker_end(h, w, -ECANCELED);
		return 0;
	}
	return -ENOENT;
}

void workers_stop(struct havmd *h)
{
	for (size_t i = 0; i < WORKERS_MAX; i++) {
		struct worker *w = &h->workers.w[i];
		if (!w->busy)
			continue;
		job_kill(w);
		qb_loop_poll_del(h->loop, w->fd);
		close(w->fd);
		if (w->timer)
			qb_loop_timer_del(h->loop, (qb_loop_timer_handle)w->timer);
		memset(w, 0, sizeof(*w));
	}
}
