/* test_json.c: JSON string escaping for `havm ... --json`. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "json.h"

#include <stdio.h>
#include <stdlib.h>

static void expect(const char *in, const char *want)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	json_put_string(f, in);
	fclose(f);
	assert_string_equal(out, want);
	free(out);
}

static void escapes(void **state)
{
	(void)state;
	expect("plain", "\"plain\"");
	expect("a\"b\\c", "\"a\\\"b\\\\c\"");
	expect("line\nnext\ttab\r", "\"line\\nnext\\ttab\\r\"");
	expect("\x01\x1f", "\"\\u0001\\u001f\"");
	expect("", "\"\"");
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(escapes) };
	return cmocka_run_group_tests(tests, NULL, NULL);
}
