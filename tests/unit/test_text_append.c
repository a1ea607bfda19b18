/*
 * test_text_append.c: text_append (lib/text_append.h): parts go in in
 * order, and a buffer of any size is cut, never overrun, and stays a
 * string.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "text_append.h"

#include <string.h>

static void parts_go_in_in_order(void **state)
{
	char buf[32] = "";

	(void)state;
	text_append(buf, sizeof(buf), "", "coordinator");
	assert_string_equal(buf, "coordinator");
	text_append(buf, sizeof(buf), " ", "(this host)");
	assert_string_equal(buf, "coordinator (this host)");
	text_append(buf, sizeof(buf), "", "");
	assert_string_equal(buf, "coordinator (this host)");
	text_append(buf, sizeof(buf), "; ", "");
	assert_string_equal(buf, "coordinator (this host); ");
}

/* Every size from 1 to past the text: the longest prefix that fits, and
 * not one byte written past SIZE. */
static void cut_at_every_size(void **state)
{
	static const char want[] = "level 1 device kvm1-bmc";
	char buf[64];

	(void)state;
	for (size_t size = 1; size <= sizeof(want) + 2; size++) {
		size_t n = size - 1 < strlen(want) ? size - 1 : strlen(want);

		memset(buf, 'Z', sizeof(buf));
		buf[0] = '\0';
		text_append(buf, size, "level ", "1");
		text_append(buf, size, " device ", "kvm1-bmc");
		assert_int_equal(strlen(buf), n);
		assert_memory_equal(buf, want, n);
		assert_int_equal(buf[size], 'Z');
	}
}

static void full_buffer_is_left_alone(void **state)
{
	char buf[8] = "1234567";
	char raw[4] = { 'a', 'b', 'c', 'd' }; /* no NUL: taken as full */

	(void)state;
	text_append(buf, sizeof(buf), "x", "y");
	assert_string_equal(buf, "1234567");
	text_append(raw, sizeof(raw), "x", "y");
	assert_memory_equal(raw, "abcd", 4);
	text_append(buf, 0, "x", "y");
	assert_string_equal(buf, "1234567");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parts_go_in_in_order),
		cmocka_unit_test(cut_at_every_size),
		cmocka_unit_test(full_buffer_is_left_alone),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
