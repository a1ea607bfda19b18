/*
 * worker.c: forked jobs with deadlines (see worker.h).
 *
 * Wire between child and parent: a 4-byte status (host order: same
 * machine, same binary) followed by up to WORKER_OUT_MAX result bytes, then
 * EOF when the child exits. Anything shorter than the status is a child
 * that died mid-way.
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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Reap every exited child without blocking; results travel by pipe, so
 * the exit status is only logged when it says something went wrong. */
static int32_t on_sigchld(int32_t sig, void *data)
{
	int st;
	pid_t pid;

	(void)sig;
	(void)data;
	while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
		if (WIFSIGNALED(st) && WTERMSIG(st) != SIGKILL)
			log_warn("worker: child pid=%ld killed by signal=%d", (long)pid,
				 WTERMSIG(st));
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

	qb_loop_poll_del(h->loop, w->fd);
	close(w->fd);
	if (w->timer)
		qb_loop_timer_del(h->loop, (qb_loop_timer_handle)w->timer);
	memcpy(out, w->buf + sizeof(int32_t), len);
	log_debug("worker: done job=\"%s\" pid=%ld status=%d ms=%llu", w->what, (long)w->pid,
		  status, (unsigned long long)(clock_now_ms() - w->started_ms));
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

/* Past its deadline: kill the child and report now. The child may be in
 * uninterruptible I/O and outlive SIGKILL for a while; SIGCHLD reaps it
 * whenever it goes, and its late result, if any, has nowhere to go. */
static void on_deadline(void *data)
{
	struct worker *w = data;

	w->timer = 0;
	log_warn("worker: job=\"%s\" pid=%ld passed its deadline, killed", w->what,
		 (long)w->pid);
	kill(-w->pid, SIGKILL); /* the job's whole process group */
	kill(w->pid, SIGKILL);
	worker_end(w->h, w, -ETIMEDOUT);
}

int worker_start(struct havmd *h, const char *what, uint32_t timeout_ms, worker_fn fn,
		 void *arg, worker_done_fn done, void *ctx)
{
	struct worker *w = NULL;
	int p[2], rc;
	pid_t pid;

	for (size_t i = 0; i < WORKERS_MAX && !w; i++)
		if (!h->workers.w[i].busy)
			w = &h->workers.w[i];
	if (!w)
		return -EAGAIN;
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		rc = -errno;
		close(p[0]);
		close(p[1]);
		return rc;
	}
	if (pid == 0) {
		uint8_t buf[sizeof(int32_t) + WORKER_OUT_MAX];
		size_t len = 0, off = 0;
		int32_t st;

		sigset_t all;

		/* A clean child: its own process group (a deadline kills it
		 * whole), default signals (libqb's handlers are the parent's),
		 * and no inherited descriptors but the result pipe, so a child
		 * stuck in I/O holds no corosync or control socket open. */
		setpgid(0, 0);
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		for (int sig = 1; sig < NSIG; sig++)
			if (sig != SIGKILL && sig != SIGSTOP)
				signal(sig, SIG_DFL);
		signal(SIGPIPE, SIG_IGN);
		if (p[1] != 3) {
			dup2(p[1], 3);
			p[1] = 3;
		}
		close_range(4, ~0U, 0);
		st = fn(arg, buf + sizeof(st), &len);
		if (len > WORKER_OUT_MAX)
			len = WORKER_OUT_MAX;
		memcpy(buf, &st, sizeof(st));
		len += sizeof(st);
		while (off < len) {
			ssize_t n = write(p[1], buf + off, len - off);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			off += (size_t)n;
		}
		_exit(0);
	}
	setpgid(pid, pid); /* also here: no race with the child's own call */
	close(p[1]);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	*w = (struct worker){ .h = h, .busy = true, .pid = pid, .fd = p[0], .done = done,
			      .ctx = ctx, .started_ms = clock_now_ms() };
	snprintf(w->what, sizeof(w->what), "%s", what);
	rc = qb_loop_poll_add(h->loop, QB_LOOP_MED, p[0], POLLIN, h, on_pipe);
	if (rc < 0) {
		kill(pid, SIGKILL);
		close(p[0]);
		memset(w, 0, sizeof(*w));
		return rc;
	}
	{
		qb_loop_timer_handle t;
		rc = qb_loop_timer_add(h->loop, QB_LOOP_MED,
				       (uint64_t)timeout_ms * QB_TIME_NS_IN_MSEC, w, on_deadline, &t);
		if (rc < 0) {
			/* A job without a deadline could hang forever: refuse it. */
			kill(pid, SIGKILL);
			qb_loop_poll_del(h->loop, p[0]);
			close(p[0]);
			memset(w, 0, sizeof(*w));
			return rc;
		}
		w->timer = (uint64_t)t;
	}
	log_debug("worker: started job=\"%s\" pid=%ld timeout_ms=%u", what, (long)pid,
		  timeout_ms);
	return 0;
}

void workers_stop(struct havmd *h)
{
	for (size_t i = 0; i < WORKERS_MAX; i++) {
		struct worker *w = &h->workers.w[i];
		if (!w->busy)
			continue;
		kill(w->pid, SIGKILL);
		qb_loop_poll_del(h->loop, w->fd);
		close(w->fd);
		if (w->timer)
			qb_loop_timer_del(h->loop, (qb_loop_timer_handle)w->timer);
		memset(w, 0, sizeof(*w));
	}
}
