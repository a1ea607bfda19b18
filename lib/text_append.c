/*
 * text_append.c: bounded appends to a string in a fixed buffer (see
 * text_append.h).
 */
#include "text_append.h"

#include <stdio.h>
#include <string.h>

void text_append(char *buf, size_t size, const char *a, const char *b)
{
	size_t len;

	if (size == 0)
		return;
	/* strnlen: a BUF without its NUL is taken as full, not read past. */
	len = strnlen(buf, size);
	if (len < size - 1)
		snprintf(buf + len, size - len, "%s%s", a, b);
}
