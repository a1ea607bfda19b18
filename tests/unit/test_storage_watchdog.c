/*
 * test_storage_watchdog.c: storage_watchdog_probe (lib/storage.h) against
 * a stand-in sanlock daemon and a stand-in wdmd socket in a temporary
 * directory: the request it sends, the answers it believes (use_watchdog
 * on, with wdmd listening) and every one it must not (off, no wdmd, a
 * stale socket, a malformed or cut answer, the key missing or twice), and
 * the exact errno of each failure, including a daemon that never answers.
 *
 * The stand-in is a forked child serving one connection; it exits 0 only
 * if the request was the status request for the daemon's record alone.
 * The real sanlock (started with -w 0) is probed by scenario 11.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* After the four above, which it needs. */
#include <cmocka.h>

#include "storage.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* sanlock's status exchange, as the daemon speaks it (see lib/storage.c). */
#define MAGIC 0x04282010u
#define CMD_STATUS 5u
#define STATE_DAEMON 1u

struct header {
	uint32_t magic, version, cmd, cmd_flags, length, seq, data, data2;
};

struct record {
	uint32_t type, flags, data32;
	uint64_t data64;
	char name[48]; /* SANLK_NAME_LEN */
	uint32_t text_len;
};

/* What the stand-in daemon answers. */
enum answer_kind {
	ANSWER_OK,         /* header, record, text */
	ANSWER_BAD_MAGIC,  /* a header that is not sanlock's */
	ANSWER_BAD_TYPE,   /* a client's record where the daemon's belongs */
	ANSWER_TEXT_EMPTY, /* a record with no text */
	ANSWER_TEXT_HUGE,  /* a record whose text would be past sanlock's cap */
	ANSWER_CUT,        /* the header, then the connection closed */
	ANSWER_SILENT,     /* accept, read, never answer */
};

/* What stands at the wdmd socket's path. */
enum wdmd_kind {
	WDMD_ABSENT,    /* nothing: wdmd is not running */
	WDMD_LISTENING, /* wdmd runs */
	WDMD_STALE,     /* a socket file left by a wdmd that died */
};

static char dir[PATH_MAX];
static char sanlock_sock[PATH_MAX + 32];
static char wdmd_sock[PATH_MAX + 32];

static int listen_at(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	unlink(path);
	assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(listen(fd, 4), 0);
	return fd;
}

/* The probe may hang up as soon as it has read enough to refuse: fine. */
static void send_all(int fd, const void *buf, size_t len)
{
	(void)!send(fd, buf, len, MSG_NOSIGNAL);
}

/* The stand-in daemon's one connection; never returns. */
static void serve(int listener, enum answer_kind kind, const char *text)
{
	struct header h;
	struct record r;
	int fd = accept(listener, NULL, NULL);

	if (fd < 0)
		_exit(3);
	if (recv(fd, &h, sizeof(h), MSG_WAITALL) != (ssize_t)sizeof(h))
		_exit(4);
	/* The status request, for the daemon's record alone. */
	if (h.magic != MAGIC || h.version != 1 || h.cmd != CMD_STATUS || h.length != sizeof(h) ||
	    h.data != STATE_DAEMON)
		_exit(5);
	if (kind == ANSWER_SILENT) {
		pause();
		_exit(0);
	}
	h.data = 0;
	if (kind == ANSWER_BAD_MAGIC)
		h.magic = 0x12345678;
	send_all(fd, &h, sizeof(h));
	if (kind == ANSWER_CUT)
		_exit(0);
	memset(&r, 0, sizeof(r));
	r.type = kind == ANSWER_BAD_TYPE ? 2 : STATE_DAEMON;
	snprintf(r.name, sizeof(r.name), "host-uuid");
	r.text_len = (uint32_t)strlen(text) + 1;
	if (kind == ANSWER_TEXT_EMPTY)
		r.text_len = 0;
	if (kind == ANSWER_TEXT_HUGE)
		r.text_len = 4097;
	send_all(fd, &r, sizeof(r));
	if (kind == ANSWER_OK)
		send_all(fd, text, strlen(text) + 1);
	close(fd);
	_exit(0);
}

/*
 * Probe a stand-in daemon that answers KIND with TEXT, with WDMD at wdmd's
 * path; returns what the probe returned, *HAS what it said, and checks
 * that the stand-in saw the right request.
 */
static int probe(enum answer_kind kind, const char *text, enum wdmd_kind wdmd, bool *has)
{
	int listener = listen_at(sanlock_sock), wd = -1, status, rc;
	pid_t pid;

	unlink(wdmd_sock);
	if (wdmd != WDMD_ABSENT)
		wd = listen_at(wdmd_sock);
	if (wdmd == WDMD_STALE) {
		close(wd); /* the file stays, nothing listens */
		wd = -1;
	}
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		serve(listener, kind, text);
	close(listener);
	*has = true; /* must be cleared by the probe whatever happens */
	rc = storage_watchdog_probe_at(sanlock_sock, wdmd_sock, has);
	if (kind == ANSWER_SILENT)
		kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (kind != ANSWER_SILENT)
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	if (wd >= 0)
		close(wd);
	unlink(sanlock_sock);
	unlink(wdmd_sock);
	return rc;
}

/* A line as sanlock 3.8 writes it, with use_watchdog=VALUE. */
static const char *daemon_line(const char *value)
{
	static char line[512];

	snprintf(line, sizeof(line),
		 "our_host_name=host-uuid use_watchdog=%s high_priority=0 mlock_level=0 "
		 "quiet_fail=1 io_timeout=10 version_str=3.8.5 smproto_hex=00000001",
		 value);
	return line;
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "%s/havm-wdprobe.XXXXXX", getenv("TMPDIR") ?: "/tmp");
	assert_non_null(mkdtemp(dir));
	snprintf(sanlock_sock, sizeof(sanlock_sock), "%s/sanlock.sock", dir);
	snprintf(wdmd_sock, sizeof(wdmd_sock), "%s/wdmd.sock", dir);
	/* A socket's path must fit sun_path: keep TMPDIR short. */
	assert_true(strlen(sanlock_sock) < sizeof(((struct sockaddr_un *)0)->sun_path));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(sanlock_sock);
	unlink(wdmd_sock);
	rmdir(dir);
	return 0;
}

static void watchdog_on_with_wdmd_is_yes(void **state)
{
	bool has;

	(void)state;
	assert_int_equal(probe(ANSWER_OK, daemon_line("1"), WDMD_LISTENING, &has), 0);
	assert_true(has);
	/* sanlock tests the setting for zero alone. */
	assert_int_equal(probe(ANSWER_OK, daemon_line("2"), WDMD_LISTENING, &has), 0);
	assert_true(has);
	/* The key first, or last: at the start or the end of a word. */
	assert_int_equal(probe(ANSWER_OK, "use_watchdog=1", WDMD_LISTENING, &has), 0);
	assert_true(has);
}

static void watchdog_off_is_no(void **state)
{
	bool has;

	(void)state;
	/* -w 0, as on the test bed: wdmd running or not changes nothing. */
	assert_int_equal(probe(ANSWER_OK, daemon_line("0"), WDMD_LISTENING, &has), 0);
	assert_false(has);
	assert_int_equal(probe(ANSWER_OK, daemon_line("0"), WDMD_ABSENT, &has), 0);
	assert_false(has);
	assert_int_equal(probe(ANSWER_OK, daemon_line("00"), WDMD_LISTENING, &has), 0);
	assert_false(has);
}

static void watchdog_on_without_wdmd_is_no(void **state)
{
	bool has;

	(void)state;
	assert_int_equal(probe(ANSWER_OK, daemon_line("1"), WDMD_ABSENT, &has), 0);
	assert_false(has);
	assert_int_equal(probe(ANSWER_OK, daemon_line("1"), WDMD_STALE, &has), 0);
	assert_false(has);
}

static void no_sanlock_is_enotconn(void **state)
{
	bool has = true;
	int fd;

	(void)state;
	/* No socket at all. */
	assert_int_equal(storage_watchdog_probe_at(sanlock_sock, wdmd_sock, &has), -ENOTCONN);
	assert_false(has);
	/* A stale socket: sanlock died without removing it. */
	fd = listen_at(sanlock_sock);
	close(fd);
	has = true;
	assert_int_equal(storage_watchdog_probe_at(sanlock_sock, wdmd_sock, &has), -ENOTCONN);
	assert_false(has);
	unlink(sanlock_sock);
}

static void malformed_answers_are_eproto(void **state)
{
	static const char *const bad_lines[] = {
		"our_host_name=h high_priority=0",               /* no key */
		"our_host_name=h use_watchdog= high_priority=0", /* no value */
		"our_host_name=h use_watchdog=yes",              /* not a number */
		"our_host_name=h use_watchdog=-1",               /* not a plain number */
		"our_host_name=h use_watchdog=1x",               /* junk after it */
		"our_host_name=h xuse_watchdog=1",               /* not at a word's start */
		/* A host name holding the key: twice, so believed neither time. */
		"our_host_name=h use_watchdog=1 use_watchdog=0",
		"",
	};
	bool has;

	(void)state;
	for (size_t i = 0; i < sizeof(bad_lines) / sizeof(bad_lines[0]); i++) {
		assert_int_equal(probe(ANSWER_OK, bad_lines[i], WDMD_LISTENING, &has), -EPROTO);
		assert_false(has);
	}
	assert_int_equal(probe(ANSWER_BAD_MAGIC, daemon_line("1"), WDMD_LISTENING, &has), -EPROTO);
	assert_false(has);
	assert_int_equal(probe(ANSWER_BAD_TYPE, daemon_line("1"), WDMD_LISTENING, &has), -EPROTO);
	assert_false(has);
	assert_int_equal(probe(ANSWER_TEXT_EMPTY, daemon_line("1"), WDMD_LISTENING, &has), -EPROTO);
	assert_false(has);
	assert_int_equal(probe(ANSWER_TEXT_HUGE, daemon_line("1"), WDMD_LISTENING, &has), -EPROTO);
	assert_false(has);
	assert_int_equal(probe(ANSWER_CUT, daemon_line("1"), WDMD_LISTENING, &has), -EPROTO);
	assert_false(has);
}

/* A sanlock that accepts and never answers: bounded, not hung. */
static void silent_sanlock_is_etimedout(void **state)
{
	struct timespec t0, t1;
	bool has;
	long ms;

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(probe(ANSWER_SILENT, "", WDMD_LISTENING, &has), -ETIMEDOUT);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_false(has);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	assert_true(ms >= STORAGE_WATCHDOG_TIMEOUT_MS - 100);
	assert_true(ms < STORAGE_WATCHDOG_TIMEOUT_MS + 3000);
}

/* storage_watchdog_probe asks the sanlock libsanlock would: SANLOCK_RUN_DIR. */
static void run_dir_is_sanlocks(void **state)
{
	int listener, status;
	bool has = true;
	pid_t pid;

	(void)state;
	assert_int_equal(setenv("SANLOCK_RUN_DIR", dir, 1), 0);
	listener = listen_at(sanlock_sock);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		serve(listener, ANSWER_OK, daemon_line("0"));
	close(listener);
	assert_int_equal(storage_watchdog_probe(&has), 0);
	assert_false(has);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	unlink(sanlock_sock);
	assert_int_equal(storage_watchdog_probe(&has), -ENOTCONN);
	unsetenv("SANLOCK_RUN_DIR");
}

static void strerror_names_the_new_codes(void **state)
{
	(void)state;
	assert_string_equal(storage_strerror(-ENOTCONN), "sanlock is not running on this host");
	assert_non_null(strstr(storage_strerror(-ETIMEDOUT), "did not answer"));
	assert_non_null(strstr(storage_strerror(-EPROTO), "could not be read"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(watchdog_on_with_wdmd_is_yes),
		cmocka_unit_test(watchdog_off_is_no),
		cmocka_unit_test(watchdog_on_without_wdmd_is_no),
		cmocka_unit_test(no_sanlock_is_enotconn),
		cmocka_unit_test(malformed_answers_are_eproto),
		cmocka_unit_test(silent_sanlock_is_etimedout),
		cmocka_unit_test(run_dir_is_sanlocks),
		cmocka_unit_test(strerror_names_the_new_codes),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
