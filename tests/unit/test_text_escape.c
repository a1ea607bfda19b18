/*
 * test_text_escape.c: the one escaping rule for untrusted text in messages
 * (lib/text_escape.h): what is escaped, what is not, and how the output is
 * cut by the input limit and by the buffer, at every size.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "text_escape.h"

#include <string.h>

/* Escape IN with a roomy buffer and input limit MAX; compare with WANT. */
static void expect_max(const char *in, size_t max, const char *want)
{
	char buf[256];

	memset(buf, 'Z', sizeof(buf));
	assert_ptr_equal(text_escape(buf, sizeof(buf), in, max), buf);
	assert_string_equal(buf, want);
}

static void expect(const char *in, const char *want)
{
	expect_max(in, 64, want);
}

static void printable_ascii_is_copied(void **state)
{
	(void)state;
	expect("", "");
	expect("kvm1", "kvm1");
	expect("a b-c_d.e/f:g=h'i`j~k{}", "a b-c_d.e/f:g=h'i`j~k{}");
	expect(" ", " ");
	expect("~", "~");
}

static void quote_and_backslash_get_a_backslash(void **state)
{
	(void)state;
	expect("\"", "\\\"");
	expect("\\", "\\\\");
	expect("a\"b\\c", "a\\\"b\\\\c");
	/* Already escaped text is escaped again: what was typed is what is shown. */
	expect("\\x00", "\\\\x00");
}

static void controls_and_non_ascii_become_hex(void **state)
{
	(void)state;
	expect("\x01\x02\x1b[31m", "\\x01\\x02\\x1b[31m");
	expect("a\nb\rc\td", "a\\x0ab\\x0dc\\x09d");
	expect("\x1f", "\\x1f");
	expect("\x7f", "\\x7f");
	expect("\x80\x9b\xff", "\\x80\\x9b\\xff");
	expect("kvm\xc3\xa9", "kvm\\xc3\\xa9");
}

static void no_raw_control_byte_survives(void **state)
{
	char in[256], out[TEXT_ESCAPE_SIZE(255)];

	(void)state;
	for (int i = 0; i < 255; i++)
		in[i] = (char)(i + 1);
	in[255] = '\0';
	text_escape(out, sizeof(out), in, 255);
	for (size_t i = 0; out[i]; i++)
		assert_true(out[i] >= 0x20 && out[i] < 0x7f);
	/* Nothing was cut: the buffer of TEXT_ESCAPE_SIZE(255) holds it all. */
	assert_null(strstr(out + strlen(out) - 3, "..."));
}

static void input_limit_cuts_with_dots(void **state)
{
	(void)state;
	expect_max("abcdef", 3, "abc...");
	expect_max("abc", 3, "abc");
	expect_max("\x01\x02\x03\x04", 2, "\\x01\\x02...");
	expect_max("abc", 0, "...");
	expect_max("", 0, "");
}

/* Every buffer size from 0 up: NUL-terminated, no half escape, "..." when cut. */
static void small_buffers_cut_cleanly(void **state)
{
	const char *in = "a\x01\"b";
	const char *full = "a\\x01\\\"b";
	char buf[32];

	(void)state;
	for (size_t size = 1; size <= strlen(full) + 1; size++) {
		size_t len;

		memset(buf, 'Z', sizeof(buf));
		text_escape(buf, size, in, 64);
		len = strlen(buf);
		assert_true(len < size);
		assert_true(buf[size] == 'Z' || size == sizeof(buf)); /* nothing past SIZE */
		if (size == strlen(full) + 1) {
			assert_string_equal(buf, full);
		} else if (size >= 4) {
			/* A cut: a prefix of whole escapes, then "...". */
			assert_true(len >= 3);
			assert_memory_equal(buf + len - 3, "...", 3);
			assert_memory_equal(buf, full, len - 3);
			assert_true(len - 3 == 0 || len - 3 == 1 || len - 3 == 5 || len - 3 == 7);
		} else {
			/* Too small for "...": a prefix of whole escapes only. */
			assert_memory_equal(buf, full, len);
			assert_true(len == 0 || len == 1);
		}
	}
	/* Size 0: nothing is written at all. */
	buf[0] = 'Z';
	text_escape(buf, 0, in, 64);
	assert_int_equal(buf[0], 'Z');
}

static void escape_size_holds_max_bytes(void **state)
{
	char out[TEXT_ESCAPE_SIZE(4)];

	(void)state;
	/* Four bytes that each take four, then more: all four kept, then "...". */
	text_escape(out, sizeof(out), "\x01\x02\x03\x04\x05", 4);
	assert_string_equal(out, "\\x01\\x02\\x03\\x04...");
	assert_int_equal(strlen(out) + 1, sizeof(out));
	text_escape(out, sizeof(out), "\x01\x02\x03\x04", 4);
	assert_string_equal(out, "\\x01\\x02\\x03\\x04");
}

/* text_escape_controls: the same for every byte but '"' and '\\', which a
 * message's own quoting uses. */
static void controls_variant_keeps_quotes(void **state)
{
	char out[64], in[256], big[TEXT_ESCAPE_SIZE(255)];

	(void)state;
	assert_string_equal(text_escape_controls(out, sizeof(out), "error=\"a \\ b\"", 64),
			    "error=\"a \\ b\"");
	assert_string_equal(text_escape_controls(out, sizeof(out), "a\nb\x1b[31m\xff\x7f", 64),
			    "a\\x0ab\\x1b[31m\\xff\\x7f");
	assert_string_equal(text_escape_controls(out, sizeof(out), "abcdef", 3), "abc...");
	assert_string_equal(text_escape_controls(out, 8, "\x01\x02\x03", 64), "\\x01...");
	for (int i = 0; i < 255; i++)
		in[i] = (char)(i + 1);
	in[255] = '\0';
	text_escape_controls(big, sizeof(big), in, 255);
	for (size_t i = 0; big[i]; i++)
		assert_true(big[i] >= 0x20 && big[i] < 0x7f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(printable_ascii_is_copied),
		cmocka_unit_test(quote_and_backslash_get_a_backslash),
		cmocka_unit_test(controls_and_non_ascii_become_hex),
		cmocka_unit_test(no_raw_control_byte_survives),
		cmocka_unit_test(input_limit_cuts_with_dots),
		cmocka_unit_test(small_buffers_cut_cleanly),
		cmocka_unit_test(escape_size_holds_max_bytes),
		cmocka_unit_test(controls_variant_keeps_quotes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
