/* agent_run.c: see agent_run.h. */
#define _GNU_SOURCE 1 /* pipe2 */
#include "agent_run.h"
#include "clock.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int fence_agent_run(const char *path, const char (*args)[128], size_t n_args,
		    const char *action, unsigned timeout_ms, int *exit_code, char *err,
		    size_t errlen)
{
	unsigned long long deadline = clock_now_ms() + timeout_ms;
	int in[2], st = 0;
	pid_t pid;

	if (pipe2(in, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "%s: pipe: %s", path, strerror(errno));
		return -errno;
	}
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

		/* Its own process group: a timeout kills the agent and whatever
		 * it started, which must not change the power later. */
		setpgid(0, 0);
		signal(SIGPIPE, SIG_DFL);
		dup2(in[0], STDIN_FILENO);
		if (null >= 0) {
			dup2(null, STDOUT_FILENO);
			dup2(null, STDERR_FILENO);
			if (null > STDERR_FILENO)
				close(null);
		}
		execl(path, path, (char *)NULL); /* no shell: the path is the program */
		_exit(127);
	}
	setpgid(pid, pid);
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
			snprintf(err, errlen, "%s: wait: %s", path, strerror(errno));
			return -errno;
		}
		if (clock_now_ms() >= deadline) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			snprintf(err, errlen, "%s action=%s: no answer within %u ms, killed", path,
				 action, timeout_ms);
			return -ETIMEDOUT;
		}
		usleep(20000);
	}
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
