/*
 * test_virt_report.c: the monitor's report stream as havmd parses it
 * (virt_report_feed): good reports, and one malformed line after another,
 * each of which must drop the report in progress and leave the parser
 * ready for the next "begin".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the headers above first. */
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "virt.h"

static struct virt_parser parser;
static struct virt_report report;

static int feed(const char *line)
{
	return virt_report_feed(&parser, line, &report);
}

static int setup(void **state)
{
	(void)state;
	memset(&parser, 0, sizeof(parser));
	memset(&report, 0, sizeof(report));
	return 0;
}

static void good_report(void **state)
{
	(void)state;
	assert_int_equal(feed("warm"), 2);
	assert_int_equal(feed("begin 1 cpus=16 mem_total_mib=24576 mem_free_mib=20000"), 0);
	assert_int_equal(feed("dom web1 running cpu_ns=123456789 memory_mib=32 vcpus=1"), 0);
	assert_int_equal(
		feed("dom db.2_x-y paused cpu_ns=0 memory_mib=4294967295 vcpus=4294967295"), 0);
	assert_int_equal(feed("end 1 skipped=2"), 1);
	assert_int_equal(report.seq, 1);
	assert_int_equal(report.cpus, 16);
	assert_int_equal(report.mem_total_mib, 24576);
	assert_int_equal(report.mem_free_mib, 20000);
	assert_int_equal(report.skipped, 2);
	assert_int_equal(report.n_doms, 2);
	assert_string_equal(report.doms[0].name, "web1");
	assert_int_equal(report.doms[0].state, VIRT_RUNNING);
	assert_int_equal(report.doms[0].cpu_ns, 123456789);
	assert_int_equal(report.doms[0].memory_mib, 32);
	assert_int_equal(report.doms[0].vcpus, 1);
	assert_string_equal(report.doms[1].name, "db.2_x-y");
	assert_int_equal(report.doms[1].state, VIRT_PAUSED);
	assert_int_equal(report.doms[1].memory_mib, UINT32_MAX);
	assert_int_equal(report.doms[1].vcpus, UINT32_MAX);
	assert_false(parser.in_report);
}

static void every_state(void **state)
{
	static const char *const names[] = { "other", "running", "paused", "shutoff", "crashed" };
	char line[128];
	(void)state;

	assert_int_equal(feed("begin 7 cpus=1 mem_total_mib=0 mem_free_mib=0"), 0);
	for (size_t i = 0; i < 5; i++) {
		snprintf(line, sizeof(line), "dom vm%zu %s cpu_ns=1 memory_mib=1 vcpus=1", i,
			 names[i]);
		assert_int_equal(feed(line), 0);
	}
	/* Without skipped=: it is 0. */
	assert_int_equal(feed("end 7"), 1);
	assert_int_equal(report.n_doms, 5);
	assert_int_equal(report.skipped, 0);
	for (size_t i = 0; i < 5; i++) {
		assert_int_equal(report.doms[i].state, (enum virt_state)i);
		assert_string_equal(virt_state_name((enum virt_state)i), names[i]);
	}
	assert_string_equal(virt_state_name((enum virt_state)5), "other");
	assert_string_equal(virt_state_name((enum virt_state) - 1), "other");
}

static void empty_and_extreme_numbers(void **state)
{
	(void)state;
	assert_int_equal(feed("begin 18446744073709551615 cpus=4294967295 "
			      "mem_total_mib=18446744073709551615 mem_free_mib=0"),
			 0);
	assert_int_equal(feed("dom a shutoff cpu_ns=18446744073709551615 memory_mib=0 vcpus=0"), 0);
	assert_int_equal(feed("end 18446744073709551615 skipped=4294967295"), 1);
	assert_int_equal(report.seq, UINT64_MAX);
	assert_int_equal(report.cpus, UINT32_MAX);
	assert_int_equal(report.mem_total_mib, UINT64_MAX);
	assert_int_equal(report.doms[0].cpu_ns, UINT64_MAX);
	assert_int_equal(report.skipped, UINT32_MAX);
	/* A host with no domains. */
	assert_int_equal(feed("begin 2 cpus=2 mem_total_mib=10 mem_free_mib=5"), 0);
	assert_int_equal(feed("end 2 skipped=0"), 1);
	assert_int_equal(report.n_doms, 0);
	assert_int_equal(report.seq, 2);
}

/* LINE, fed inside a report, is refused; the report is gone; the next
 * begin starts afresh. */
static void assert_bad_in_report(const char *line)
{
	setup(NULL);
	assert_int_equal(feed("begin 3 cpus=4 mem_total_mib=100 mem_free_mib=50"), 0);
	assert_int_equal(feed("dom keep running cpu_ns=1 memory_mib=1 vcpus=1"), 0);
	if (feed(line) != -EINVAL)
		fail_msg("accepted: \"%s\"", line);
	assert_false(parser.in_report);
	assert_int_equal(feed("end 3"), -EINVAL); /* nothing to end */
	assert_int_equal(feed("dom late running cpu_ns=1 memory_mib=1 vcpus=1"), -EINVAL);
	assert_int_equal(feed("begin 4 cpus=4 mem_total_mib=100 mem_free_mib=50"), 0);
	assert_int_equal(feed("end 4"), 1);
	assert_int_equal(report.n_doms, 0);
	assert_int_equal(report.seq, 4);
}

static void malformed_lines(void **state)
{
	static const char *const bad[] = {
		"",
		" ",
		"foo",
		"BEGIN 4 cpus=4 mem_total_mib=100 mem_free_mib=50",
		"warm", /* never inside a report */
		"warm ",
		/* begin */
		"begin",
		"begin 4",
		"begin 4 cpus=4 mem_total_mib=100",
		"begin 4 cpus=4 mem_total_mib=100 mem_free_mib=50 extra=1",
		"begin 0 cpus=4 mem_total_mib=100 mem_free_mib=50",
		"begin -4 cpus=4 mem_total_mib=100 mem_free_mib=50",
		"begin +4 cpus=4 mem_total_mib=100 mem_free_mib=50",
		"begin 04 cpus=4 mem_total_mib=100 mem_free_mib=50",
		"begin 4x cpus=4 mem_total_mib=100 mem_free_mib=50",
		"begin 18446744073709551616 cpus=4 mem_total_mib=100 mem_free_mib=50",
		"begin 4 cpus=0 mem_total_mib=100 mem_free_mib=50",
		"begin 4 cpus=4294967296 mem_total_mib=100 mem_free_mib=50",
		"begin 4 cpus= mem_total_mib=100 mem_free_mib=50",
		"begin 4 cpus mem_total_mib=100 mem_free_mib=50",
		"begin 4 cpu=4 mem_total_mib=100 mem_free_mib=50",
		"begin 4 cpusx=4 mem_total_mib=100 mem_free_mib=50",
		"begin 4 mem_total_mib=100 cpus=4 mem_free_mib=50",
		"begin 4 cpus=4 mem_total_mib=100 mem_free_mib=18446744073709551616",
		"begin 4 cpus=4 mem_total_mib=1e3 mem_free_mib=50",
		"begin 4 cpus=4 mem_total_mib=100 mem_free_mib=50 ",
		" begin 4 cpus=4 mem_total_mib=100 mem_free_mib=50",
		"begin 4  cpus=4 mem_total_mib=100 mem_free_mib=50",
		"begin\t4 cpus=4 mem_total_mib=100 mem_free_mib=50",
		"begin 4 cpus=4 mem_total_mib=100 mem_free_mib=50\r",
		/* dom */
		"dom",
		"dom web1",
		"dom web1 running cpu_ns=1 memory_mib=1",
		"dom web1 running cpu_ns=1 memory_mib=1 vcpus=1 x=1",
		"dom -web running cpu_ns=1 memory_mib=1 vcpus=1",
		"dom .web running cpu_ns=1 memory_mib=1 vcpus=1",
		"dom web/1 running cpu_ns=1 memory_mib=1 vcpus=1",
		"dom w\xc3\xa9 running cpu_ns=1 memory_mib=1 vcpus=1",
		"dom abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijkl running "
		"cpu_ns=1 memory_mib=1 vcpus=1",
		"dom web1 Running cpu_ns=1 memory_mib=1 vcpus=1",
		"dom web1 stopped cpu_ns=1 memory_mib=1 vcpus=1",
		"dom web1 3 cpu_ns=1 memory_mib=1 vcpus=1",
		"dom web1 running cpu_ns=18446744073709551616 memory_mib=1 vcpus=1",
		"dom web1 running cpu_ns=1 memory_mib=4294967296 vcpus=1",
		"dom web1 running cpu_ns=1 memory_mib=1 vcpus=4294967296",
		"dom web1 running cpu_ns=1 memory_mib=1 vcpus=-1",
		"dom web1 running cpu_ns=1 memory_mib=01 vcpus=1",
		"dom web1 running memory_mib=1 cpu_ns=1 vcpus=1",
		"dom web1 running cpu_ns=1 memory=1 vcpus=1",
		"dom web1 running cpu_ns=1 memory_mib=1 vcpus=1 ",
		"dom web1 running cpu_ns=1 memory_mib=1 vcpus=1\n",
		"dom keep running cpu_ns=1 memory_mib=1 vcpus=1", /* the same name twice */
		/* end */
		"end",
		"end 2", /* another report's number */
		"end 03",
		"end 3 skipped=",
		"end 3 skipped=-1",
		"end 3 skipped=4294967296",
		"end 3 skip=1",
		"end 3 skipped=1 x",
		"end 3 skipped=1 skipped=1",
		"end 3 ",
		"end x",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_bad_in_report(bad[i]);
}

static void too_long_line(void **state)
{
	char line[VIRT_LINE_MAX + 8];
	(void)state;

	/* A good begin with padding in its number: at VIRT_LINE_MAX bytes
	 * (with the '\n' the writer adds) and beyond, refused whatever it
	 * holds. */
	memset(line, '1', sizeof(line));
	memcpy(line, "begin ", 6);
	line[VIRT_LINE_MAX] = '\0';
	assert_int_equal(feed(line), -EINVAL);
	line[VIRT_LINE_MAX - 1] = '\0';
	assert_int_equal(feed(line), -EINVAL); /* no keys, so refused anyway */
	assert_bad_in_report(
		"dom aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
}

static void stray_lines_outside_a_report(void **state)
{
	(void)state;
	assert_int_equal(feed("dom web1 running cpu_ns=1 memory_mib=1 vcpus=1"), -EINVAL);
	assert_int_equal(feed("end 1"), -EINVAL);
	assert_int_equal(feed("warm"), 2);
	assert_int_equal(feed("warm"), 2); /* a new monitor says it again */
	assert_false(parser.in_report);
}

static void begin_inside_a_report(void **state)
{
	(void)state;
	/* The report cut short is dropped; the new begin still counts. */
	assert_int_equal(feed("begin 5 cpus=4 mem_total_mib=100 mem_free_mib=50"), 0);
	assert_int_equal(feed("dom old running cpu_ns=1 memory_mib=1 vcpus=1"), 0);
	assert_int_equal(feed("begin 6 cpus=8 mem_total_mib=200 mem_free_mib=10"), -EINVAL);
	assert_true(parser.in_report);
	assert_int_equal(feed("dom new running cpu_ns=1 memory_mib=1 vcpus=1"), 0);
	assert_int_equal(feed("end 5"), -EINVAL);
	/* ...and "end 5" dropped that one too. */
	assert_int_equal(feed("begin 7 cpus=8 mem_total_mib=200 mem_free_mib=10"), 0);
	assert_int_equal(feed("dom new running cpu_ns=1 memory_mib=1 vcpus=1"), 0);
	assert_int_equal(feed("end 7"), 1);
	assert_int_equal(report.n_doms, 1);
	assert_string_equal(report.doms[0].name, "new");
	assert_int_equal(report.cpus, 8);
	/* A bad begin inside a report: nothing in progress after it. */
	assert_int_equal(feed("begin 8 cpus=8 mem_total_mib=200 mem_free_mib=10"), 0);
	assert_int_equal(feed("begin 9 cpus=0 mem_total_mib=200 mem_free_mib=10"), -EINVAL);
	assert_false(parser.in_report);
}

static void domain_limit(void **state)
{
	char line[128];
	(void)state;

	assert_int_equal(feed("begin 1 cpus=1 mem_total_mib=1 mem_free_mib=1"), 0);
	for (int i = 0; i < VIRT_DOMS_MAX; i++) {
		snprintf(line, sizeof(line), "dom vm%d running cpu_ns=%d memory_mib=1 vcpus=1", i,
			 i);
		assert_int_equal(feed(line), 0);
	}
	assert_int_equal(feed("end 1 skipped=0"), 1);
	assert_int_equal(report.n_doms, VIRT_DOMS_MAX);
	assert_string_equal(report.doms[VIRT_DOMS_MAX - 1].name, "vm1023");
	assert_int_equal(report.doms[VIRT_DOMS_MAX - 1].cpu_ns, VIRT_DOMS_MAX - 1);
	/* One more is a malformed report (the writer counts it as skipped). */
	assert_int_equal(feed("begin 2 cpus=1 mem_total_mib=1 mem_free_mib=1"), 0);
	for (int i = 0; i < VIRT_DOMS_MAX; i++) {
		snprintf(line, sizeof(line), "dom vm%d running cpu_ns=0 memory_mib=1 vcpus=1", i);
		assert_int_equal(feed(line), 0);
	}
	assert_int_equal(feed("dom one-more running cpu_ns=0 memory_mib=1 vcpus=1"), -EINVAL);
	assert_int_equal(feed("end 2"), -EINVAL);
}

static void report_out_untouched_until_complete(void **state)
{
	(void)state;
	report.seq = 99;
	assert_int_equal(feed("begin 1 cpus=1 mem_total_mib=1 mem_free_mib=1"), 0);
	assert_int_equal(feed("dom a running cpu_ns=0 memory_mib=1 vcpus=1"), 0);
	assert_int_equal(report.seq, 99);
	assert_int_equal(feed("end 1 skipped=x"), -EINVAL);
	assert_int_equal(report.seq, 99);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(good_report, setup),
		cmocka_unit_test_setup(every_state, setup),
		cmocka_unit_test_setup(empty_and_extreme_numbers, setup),
		cmocka_unit_test_setup(malformed_lines, setup),
		cmocka_unit_test_setup(too_long_line, setup),
		cmocka_unit_test_setup(stray_lines_outside_a_report, setup),
		cmocka_unit_test_setup(begin_inside_a_report, setup),
		cmocka_unit_test_setup(domain_limit, setup),
		cmocka_unit_test_setup(report_out_untouched_until_complete, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
