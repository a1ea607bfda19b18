/*
 * text_append.h: build a line piece by piece in a fixed buffer, never past
 * its end. For messages and table cells assembled from optional parts; a
 * line that does not fit is cut, never overflowed, and stays a C string.
 *
 * Pure function, no I/O, no allocation: unit tested in
 * tests/unit/test_text_append.c.
 */
#ifndef HAVM_TEXT_APPEND_H
#define HAVM_TEXT_APPEND_H

#include <stddef.h>

/*
 * Append A, then B, to the NUL-terminated string in BUF (SIZE bytes). What
 * does not fit is cut off: BUF ends up at most SIZE - 1 bytes long and
 * NUL-terminated. A BUF that is already full (or SIZE 0) is left as it is.
 * Two parts, so that a separator and a word (", " and "x") or a key and
 * its value go in with one call.
 */
void text_append(char *buf, size_t size, const char *a, const char *b);

#endif
