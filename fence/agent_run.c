/* agent_run.c: see agent_run.h. */
#define _GNU_SOURCE 1 /* pipe2 */
#include "agent_run.h"
#include "clock.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/*
 * Kill and reap every child we have; return when none is left. After an
 * agent run, a child can only be what the agent left behind: the caller
 * is a child subreaper (see fence_agent_run), so the agent's orphans,
 * and theirs in turn, are ours. The list of children comes from /proc
 * (Linux's CONFIG_PROC_CHILDREN, on in Debian's kernels); without it the
 * leftovers live on until the worker's process group is killed with the
 * job. A child stuck in the kernel makes this wait, as long as the job's
 * own deadline lets it.
 */
static void kill_leftovers(void)
{
	char path[64], buf[4096];

	snprintf(path, sizeof(path), "/proc/self/task/%ld/children", (long)getpid());
	for (int round = 0; round < 1000; round++) {
		int fd = open(path, O_RDONLY | O_CLOEXEC), killed = 0;
		ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
		pid_t r;

		if (fd >= 0)
			close(fd);
		buf[n > 0 ? n : 0] = '\0';
		/* "PID PID ... ": a number the read cut short has no space
		 * after it and is left for the next round, not taken for
		 * another process. */
		for (char *p = buf, *end; *p; p = end) {
			long pid = strtol(p, &end, 10);
			if (end == p || (*end != ' ' && *end != '\n'))
				break;
			if (pid > 0 && kill((pid_t)pid, SIGKILL) == 0)
				killed++;
		}
		r = waitpid(-1, NULL, killed ? 0 : WNOHANG);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return; /* no child left (ECHILD), or none that has ended */
	}
}

int fence_agent_run(const char *path, const char (*args)[128], size_t n_args,
		    const char *action, unsigned timeout_ms, int *exit_code, char *err,
		    size_t errlen)
{
	unsigned long long deadline = clock_now_ms() + timeout_ms;
	pid_t parent = getpid(), pid;
	int in[2], st = 0;

	if (pipe2(in, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "%s: pipe: %s", path, strerror(errno));
		return -errno;
	}
	/* The agent's orphans come to us, not to init: kill_leftovers finds
	 * them, whether or not they stayed in our process group. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	pid = fork();
	if (pid < 0) {
		int e = errno;
		close(in[0]);
		close(in[1]);
		snprintf(err, errlen, "%s: fork: %s", path, strerror(e));
		return -e;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		sigset_t none;

		/*
		 * The agent stays in our process group, not one of its own: in
		 * havmd that is the worker's group, which havmd kills whole when
		 * the job ends, is cancelled or misses its deadline, and which
		 * the worker kills itself if havmd dies. It also dies with us
		 * (PR_SET_PDEATHSIG), should we be killed alone. The parent
		 * death signal reaches this process only, not what the agent
		 * starts (fork clears it): those the group kill and
		 * kill_leftovers take care of. Default signals: the worker's
		 * SIGHUP handler is not the agent's.
		 */
		for (int sig = 1; sig < NSIG; sig++)
			if (sig != SIGKILL && sig != SIGSTOP)
				signal(sig, SIG_DFL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
			_exit(126);
		dup2(in[0], STDIN_FILENO);
		if (null >= 0) {
			dup2(null, STDOUT_FILENO);
			dup2(null, STDERR_FILENO);
		}
		/* Nothing else: a leftover holding havmd's result pipe would
		 * keep the job from ending. */
		close_range(3, ~0U, 0);
		execl(path, path, (char *)NULL); /* no shell: the path is the program */
		_exit(127);
	}
	close(in[0]);
	signal(SIGPIPE, SIG_IGN);
	dprintf(in[1], "action=%s\n", action);
	for (size_t i = 0; i < n_args; i++)
		dprintf(in[1], "%s\n", args[i]);
	close(in[1]);
	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			break;
		if (r < 0 && errno != EINTR) {
			int e = errno;
			kill(pid, SIGKILL);
			kill_leftovers();
			snprintf(err, errlen, "%s: wait: %s", path, strerror(e));
			return -e;
		}
		if (clock_now_ms() >= deadline) {
			/* Killed with what it started, which must not change the
			 * power later. */
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			kill_leftovers();
			snprintf(err, errlen, "%s action=%s: no answer within %u ms, killed", path,
				 action, timeout_ms);
			return -ETIMEDOUT;
		}
		usleep(20000);
	}
	/* An agent that ended may have left something running: that too
	 * must not touch the power after its verdict. */
	kill_leftovers();
	if (!WIFEXITED(st)) {
		snprintf(err, errlen, "%s action=%s: killed by signal %d", path, action,
			 WTERMSIG(st));
		return -ECHILD;
	}
	if (WEXITSTATUS(st) == 127) {
		snprintf(err, errlen, "%s: cannot run it (missing or not executable?)", path);
		return -ENOEXEC;
	}
	*exit_code = WEXITSTATUS(st);
	return 0;
}

int fence_agent_off_verified(const char *path, const char (*args)[128], size_t n_args,
			     unsigned timeout_ms, unsigned poll_ms, char *err, size_t errlen)
{
	unsigned long long deadline = clock_now_ms() + timeout_ms;
	int code = -1, rc;

	rc = fence_agent_run(path, args, n_args, "off", timeout_ms, &code, err, errlen);
	if (rc)
		return rc;
	if (code != 0) {
		snprintf(err, errlen, "%s action=off: exit status %d", path, code);
		return -EREMOTEIO;
	}
	for (;;) {
		unsigned long long now = clock_now_ms();
		if (now >= deadline) {
			snprintf(err, errlen, "%s: power not reported off within %u ms", path,
				 timeout_ms);
			return -ETIMEDOUT;
		}
		rc = fence_agent_run(path, args, n_args, "status", (unsigned)(deadline - now),
				     &code, err, errlen);
		if (rc == 0 && code == 2)
			return 0; /* the API's "off" */
		usleep(poll_ms * 1000);
	}
}
