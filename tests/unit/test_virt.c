/*
 * test_virt.c: lib/virt.c against libvirt's built-in test driver
 * (test:///default, in-process: no libvirtd, no qemu).
 *
 * The test driver keeps its state in the process that opened it, shared by
 * that process's connections to test:///default for as long as one of them
 * is open. So:
 *  - the forked monitor child sees its own fresh driver (with its one
 *    built-in running domain, "test"): that test checks the report stream
 *    and the child's end (EPIPE when the reader goes away);
 *  - seeing domains come and go needs the monitor in the same process as
 *    the calls that start and destroy them: that test runs
 *    virt_monitor_run in a thread, while this process keeps a connection
 *    open so that the shared driver lives between calls.
 * Not covered here (the test driver has none of it): sanlock leases (the
 * -EBUSY mapping), a guest that ignores ACPI shutdown, live migration,
 * keepalive and the close callback of a remote connection.
 */
#define _GNU_SOURCE /* pthread_timedjoin_np */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the headers above first. */
#include <cmocka.h>

#include <errno.h>
#include <libvirt/libvirt.h>
#include <libxml/xmlerror.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "domain_xml.h"
#include "virt.h"

#define URI "test:///default"
#define BAD_URI "test:///nonexistent/havm-test-driver.xml"
/* An event's report comes at once; a timer's only VIRT_REPORT_MS after
 * the last report. Waiting at most this long after a change tells them
 * apart, with room for a loaded machine. */
#define EVENT_REPORT_MS 500

static const char vm1_xml[] = "<domain type='test'>\n"
			      "  <name>vm1</name>\n"
			      "  <memory unit='MiB'>32</memory>\n"
			      "  <vcpu>1</vcpu>\n"
			      "  <os><type>hvm</type></os>\n"
			      "  <devices>\n"
			      "  </devices>\n"
			      "</domain>\n";

/* ------------------------------------------------------------------ */
/* Reading the report stream */

struct reader {
	int fd;
	char buf[1 << 18];
	size_t len;
	struct virt_parser parser;
	struct virt_report report;
};

/* The next line (without '\n') within TIMEOUT_MS: 1, or 0 on timeout or
 * end of file. */
static int read_line(struct reader *r, char *line, size_t size, uint64_t timeout_ms)
{
	uint64_t deadline = clock_now_ms() + timeout_ms;

	for (;;) {
		char *nl = memchr(r->buf, '\n', r->len);
		uint64_t now = clock_now_ms();
		struct pollfd pfd = { .fd = r->fd, .events = POLLIN };
		ssize_t n;

		if (nl) {
			size_t l = (size_t)(nl - r->buf);
			assert_true(l < size);
			memcpy(line, r->buf, l);
			line[l] = '\0';
			memmove(r->buf, nl + 1, r->len - l - 1);
			r->len -= l + 1;
			return 1;
		}
		if (now >= deadline || poll(&pfd, 1, (int)(deadline - now)) <= 0)
			return 0;
		n = read(r->fd, r->buf + r->len, sizeof(r->buf) - r->len);
		if (n <= 0)
			return 0;
		r->len += (size_t)n;
	}
}

/* Lines until a report completes; every line must parse. 1 or 0 (none
 * within TIMEOUT_MS). WARM is set when the "warm" line came by. */
static int next_report(struct reader *r, uint64_t timeout_ms, bool *warm)
{
	uint64_t deadline = clock_now_ms() + timeout_ms;
	char line[VIRT_LINE_MAX + 16];

	for (;;) {
		uint64_t now = clock_now_ms();
		int rc;

		if (now >= deadline || !read_line(r, line, sizeof(line), deadline - now))
			return 0;
		rc = virt_report_feed(&r->parser, line, &r->report);
		if (rc < 0)
			fail_msg("the monitor wrote a line its parser refuses: \"%s\"", line);
		if (rc == 2 && warm)
			*warm = true;
		if (rc == 1)
			return 1;
	}
}

static const struct virt_dom *find_dom(const struct virt_report *rep, const char *name)
{
	for (size_t i = 0; i < rep->n_doms; i++)
		if (strcmp(rep->doms[i].name, name) == 0)
			return &rep->doms[i];
	return NULL;
}

static void assert_host_facts(const struct virt_report *rep)
{
	assert_true(rep->cpus >= 1);
	assert_true(rep->mem_total_mib >= 1);
	assert_int_equal(rep->skipped, 0);
}

/* ------------------------------------------------------------------ */
/* The monitor as a child process */

static void monitor_child_reports_and_ends_on_epipe(void **state)
{
	static struct reader r;
	const struct virt_dom *d;
	int p[2], status = 0;
	uint64_t t;
	bool warm = false;
	pid_t pid;
	(void)state;

	memset(&r, 0, sizeof(r));
	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int rc;
		close(p[0]);
		rc = virt_monitor_run(URI, p[1]);
		_exit(rc < 0 && -rc < 255 ? -rc : 255);
	}
	close(p[1]);
	r.fd = p[0];

	/* "warm" first, then the first report at once. */
	char line[VIRT_LINE_MAX];
	assert_int_equal(read_line(&r, line, sizeof(line), 10000), 1);
	assert_string_equal(line, "warm");
	assert_int_equal(virt_report_feed(&r.parser, line, &r.report), 2);
	assert_int_equal(next_report(&r, 5000, &warm), 1);
	assert_false(warm); /* only once */
	assert_int_equal(r.report.seq, 1);
	assert_host_facts(&r.report);
	d = find_dom(&r.report, "test"); /* the test driver's own domain */
	assert_non_null(d);
	assert_int_equal(d->state, VIRT_RUNNING);
	assert_int_equal(d->vcpus, 2);
	assert_int_equal(d->memory_mib, 2048);
	assert_true(d->cpu_ns > 0);

	/* Then one every VIRT_REPORT_MS, numbered on. */
	t = clock_now_ms();
	assert_int_equal(next_report(&r, VIRT_REPORT_MS + 1000, NULL), 1);
	assert_int_equal(r.report.seq, 2);
	assert_true(clock_now_ms() - t >= VIRT_REPORT_MS / 2);
	assert_non_null(find_dom(&r.report, "test"));

	/* The reader goes away: the next write fails, the child returns
	 * -EPIPE (it ignores SIGPIPE). */
	close(p[0]);
	t = clock_now_ms();
	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (clock_now_ms() - t > 5000) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			fail_msg("the monitor did not end when its pipe closed");
		}
		clock_sleep_ms(20);
	}
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), EPIPE);
}

static void monitor_cannot_connect(void **state)
{
	int p[2];
	char c;
	(void)state;

	assert_int_equal(pipe(p), 0);
	assert_int_equal(virt_monitor_run(BAD_URI, p[1]), -ENOTCONN);
	close(p[1]);
	assert_int_equal(read(p[0], &c, 1), 0); /* not even "warm" */
	close(p[0]);
}

/* ------------------------------------------------------------------ */
/* The monitor in a thread, following what this process does */

struct monitor_thread {
	int fd;
	int rc;
};

static void *run_monitor(void *arg)
{
	struct monitor_thread *m = arg;

	m->rc = virt_monitor_run(URI, m->fd);
	return NULL;
}

/* The next report within WITHIN_MS that says whether NAME is there. */
static void assert_next_report_has(struct reader *r, const char *name, bool present,
				   uint64_t within_ms)
{
	uint64_t t = clock_now_ms();

	if (!next_report(r, within_ms, NULL))
		fail_msg("no report within %llu ms", (unsigned long long)within_ms);
	if ((find_dom(&r->report, name) != NULL) != present)
		fail_msg("report %llu after %llu ms: %s %s", (unsigned long long)r->report.seq,
			 (unsigned long long)(clock_now_ms() - t), name,
			 present ? "missing" : "still there");
}

static void monitor_follows_starts_and_stops(void **state)
{
	static struct reader r;
	struct monitor_thread m = { 0 };
	virConnectPtr keep;
	pthread_t thread;
	struct timespec until;
	const struct virt_dom *d;
	char err[512];
	bool warm = false;
	int p[2];
	(void)state;

	memset(&r, 0, sizeof(r));
	/* Keeps the shared test driver alive between the calls below. */
	keep = virConnectOpen(URI);
	assert_non_null(keep);
	assert_int_equal(pipe(p), 0);
	m.fd = p[1];
	r.fd = p[0];
	assert_int_equal(pthread_create(&thread, NULL, run_monitor, &m), 0);

	assert_int_equal(next_report(&r, 10000, &warm), 1);
	assert_true(warm);
	assert_null(find_dom(&r.report, "vm1"));
	assert_non_null(find_dom(&r.report, "test"));

	/* Started: reported at once (an event), running, its size. */
	assert_int_equal(virt_start(URI, vm1_xml, err, sizeof(err)), 0);
	assert_next_report_has(&r, "vm1", true, EVENT_REPORT_MS);
	d = find_dom(&r.report, "vm1");
	assert_int_equal(d->state, VIRT_RUNNING);
	assert_int_equal(d->memory_mib, 32);
	assert_int_equal(d->vcpus, 1);

	/* Started again: it is there already. */
	err[0] = '\0';
	assert_int_equal(virt_start(URI, vm1_xml, err, sizeof(err)), -EEXIST);
	assert_non_null(strstr(err, "vm1"));

	/* Destroyed: gone from the next report, at once. */
	assert_int_equal(virt_destroy(URI, "vm1", err, sizeof(err)), 0);
	assert_next_report_has(&r, "vm1", false, EVENT_REPORT_MS);
	assert_int_equal(virt_destroy(URI, "vm1", err, sizeof(err)), -ENOENT);
	assert_int_equal(virt_stop(URI, "vm1", 1000, err, sizeof(err)), -ENOENT);

	/* The XML with havm's lease is one libvirt accepts; stopped (the
	 * test driver's guests obey ACPI at once), gone again. */
	size_t len;
	char *leased = domain_xml_with_lease(vm1_xml, strlen(vm1_xml), "vm1", "/srv/shared/leases",
					     1048576, &len, err, sizeof(err));
	assert_non_null(leased);
	assert_int_equal(virt_start(URI, leased, err, sizeof(err)), 0);
	free(leased);
	assert_next_report_has(&r, "vm1", true, EVENT_REPORT_MS);
	uint64_t t = clock_now_ms();
	assert_int_equal(virt_stop(URI, "vm1", 5000, err, sizeof(err)), 0);
	assert_true(clock_now_ms() - t < 2000); /* no wait for the grace */
	assert_next_report_has(&r, "vm1", false, EVENT_REPORT_MS);

	/* Reports keep coming with nothing happening. */
	assert_int_equal(next_report(&r, VIRT_REPORT_MS + 1000, NULL), 1);

	/* The reader goes away: the monitor returns -EPIPE. */
	close(p[0]);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 5;
	assert_int_equal(pthread_timedjoin_np(thread, NULL, &until), 0);
	assert_int_equal(m.rc, -EPIPE);
	close(p[1]);
	virConnectClose(keep);
}

/* ------------------------------------------------------------------ */
/* The blocking operations' errors */

static void operations_fail_cleanly(void **state)
{
	virConnectPtr keep = virConnectOpen(URI);
	char err[512];
	(void)state;

	assert_non_null(keep);
	err[0] = '\0';
	assert_int_equal(virt_start(BAD_URI, vm1_xml, err, sizeof(err)), -ENOTCONN);
	assert_true(err[0] != '\0');
	assert_int_equal(virt_stop(BAD_URI, "vm1", 0, err, sizeof(err)), -ENOTCONN);
	assert_int_equal(virt_destroy(BAD_URI, "vm1", err, sizeof(err)), -ENOTCONN);
	assert_int_equal(virt_migrate(BAD_URI, "vm1", URI, NULL, err, sizeof(err)), -ENOTCONN);

	err[0] = '\0';
	assert_int_equal(virt_start(URI, "<domain", err, sizeof(err)), -EIO);
	assert_true(err[0] != '\0');
	assert_int_equal(
		virt_start(URI, "<domain type='test'><name>x</name></domain>", err, sizeof(err)),
		-EIO);

	assert_int_equal(virt_stop(URI, "nosuch", 100, err, sizeof(err)), -ENOENT);
	assert_int_equal(virt_destroy(URI, "nosuch", err, sizeof(err)), -ENOENT);
	assert_int_equal(virt_migrate(URI, "nosuch", URI, NULL, err, sizeof(err)), -ENOENT);
	/* Peer to peer: the source's libvirtd (the test driver, which cannot
	 * migrate) answers for an unreachable destination too. */
	err[0] = '\0';
	assert_true(virt_migrate(URI, "test", BAD_URI, "tcp://127.0.0.1:49152", err, sizeof(err)) <
		    0);
	assert_true(err[0] != '\0');
	/* The test driver cannot migrate: a failure with libvirt's message,
	 * and the domain still here. */
	err[0] = '\0';
	assert_true(virt_migrate(URI, "test", URI, "tcp://127.0.0.1:49152", err, sizeof(err)) < 0);
	assert_true(err[0] != '\0');
	virDomainPtr d = virDomainLookupByName(keep, "test");
	assert_non_null(d);
	assert_int_equal(virDomainIsActive(d), 1);
	virDomainFree(d);

	/* An ERR of size 0 or NULL is left alone. */
	assert_int_equal(virt_destroy(URI, "nosuch", NULL, 0), -ENOENT);
	virConnectClose(keep);
}

/* The test driver reads BAD_URI's file with libxml2, whose warning for a
 * missing file goes to stderr: not libvirt's error (which virt.c keeps
 * quiet) and not a message of ours. */
static void quiet_libxml(void *ctx, const char *fmt, ...)
{
	(void)ctx;
	(void)fmt;
}

int main(void)
{
	xmlSetGenericErrorFunc(NULL, quiet_libxml);
	const struct CMUnitTest tests[] = {
		/* First: it forks, before this process has any libvirt state. */
		cmocka_unit_test(monitor_child_reports_and_ends_on_epipe),
		cmocka_unit_test(monitor_cannot_connect),
		cmocka_unit_test(monitor_follows_starts_and_stops),
		cmocka_unit_test(operations_fail_cleanly),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
