/*
 * test_agent_run.c: fence/agent_run.c with real programs (small /bin/sh
 * scripts written for each test): the action and options reach the agent
 * on stdin, its exit status comes back, a hung agent is killed at its time
 * limit, and nothing an agent starts outlives the call: not its child in
 * its process group, not one that left the group (setsid), whether the
 * agent was killed or ended on its own. fence_agent_run makes this process
 * a child subreaper and reaps what it kills, so a leftover is "gone" as
 * soon as the call returns: kill(pid, 0) fails with ESRCH.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "agent_run.h"
#include "clock.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];
static const char args[2][128] = { "plug=3", "ip=192.0.2.9" };

/* Write an agent script BODY as DIR/NAME; its path goes into PATH. */
static void write_agent(char *path, size_t len, const char *name, const char *body)
{
	FILE *f;

	snprintf(path, len, "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\nD=%s\n%s\n", dir, body);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, 0700), 0);
}

/* The pid an agent wrote into DIR/NAME (0 if none). */
static pid_t read_pid(const char *name)
{
	char path[128];
	long pid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%ld", &pid) != 1)
		pid = 0;
	fclose(f);
	return (pid_t)pid;
}

static int gone(pid_t pid)
{
	return pid > 0 && kill(pid, 0) < 0 && errno == ESRCH;
}

static void stdin_and_exit_status(void **state)
{
	char path[128], err[256] = "";
	int code = -1;

	(void)state;
	/* exit 2 (off) only if the lines are exactly what the API says */
	write_agent(path, sizeof(path), "agent-stdin",
		    "read a; read b; read c\n"
		    "[ \"$a\" = action=status ] && [ \"$b\" = plug=3 ] && "
		    "[ \"$c\" = ip=192.0.2.9 ] && exit 2\nexit 1");
	assert_int_equal(fence_agent_run(path, args, 2, "status", 5000, &code, err, sizeof(err)),
			 0);
	assert_int_equal(code, 2);
}

static void missing_program(void **state)
{
	char path[128], err[256] = "";
	int code = -1;

	(void)state;
	snprintf(path, sizeof(path), "%s/no-such-agent", dir);
	assert_int_equal(fence_agent_run(path, args, 2, "off", 5000, &code, err, sizeof(err)),
			 -ENOEXEC);
	assert_non_null(strstr(err, "cannot run it"));
}

/* Killed at its limit, with its child in the group and one that left it. */
static void hung_agent_killed_with_its_tree(void **state)
{
	char path[128], err[256] = "";
	int code = -1;
	uint64_t t0;
	pid_t child, escaped;

	(void)state;
	write_agent(path, sizeof(path), "agent-hang",
		    "sleep 61 & echo $! >\"$D/hang.child\"\n"
		    "setsid sleep 62 & echo $! >\"$D/hang.escaped\"\n"
		    "echo $$ >\"$D/hang.agent\"\n"
		    "wait");
	t0 = clock_now_ms();
	assert_int_equal(fence_agent_run(path, args, 2, "off", 500, &code, err, sizeof(err)),
			 -ETIMEDOUT);
	assert_true(clock_now_ms() - t0 < 5000);
	assert_non_null(strstr(err, "no answer within 500 ms"));
	child = read_pid("hang.child");
	escaped = read_pid("hang.escaped");
	assert_true(read_pid("hang.agent") > 0);
	assert_true(child > 0 && escaped > 0);
	assert_true(gone(read_pid("hang.agent")));
	assert_true(gone(child));
	assert_true(gone(escaped));
}

/* An agent that answers but leaves something running: that dies too. */
static void leftover_of_an_agent_that_ended(void **state)
{
	char path[128], err[256] = "";
	int code = -1;
	pid_t child;

	(void)state;
	write_agent(path, sizeof(path), "agent-leave",
		    "sleep 63 & echo $! >\"$D/leave.child\"\nexit 0");
	assert_int_equal(fence_agent_run(path, args, 2, "on", 5000, &code, err, sizeof(err)), 0);
	assert_int_equal(code, 0);
	child = read_pid("leave.child");
	assert_true(child > 0);
	assert_true(gone(child));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(stdin_and_exit_status),
		cmocka_unit_test(missing_program),
		cmocka_unit_test(hung_agent_killed_with_its_tree),
		cmocka_unit_test(leftover_of_an_agent_that_ended),
	};
	char cmd[96];
	int rc;

	snprintf(dir, sizeof(dir), "%s", "/tmp/test_agent_run.XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		rc = rc ? rc : 1;
	return rc;
}
