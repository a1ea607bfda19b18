/*
 * text_escape.c: the one escaping rule for untrusted text in messages (see
 * text_escape.h for the rule and why).
 */
#include "text_escape.h"

#include <stdbool.h>
#include <string.h>

/* "..." after a cut, and the NUL. */
#define TEXT_ESCAPE_TAIL 4

/* The escaped form of byte CH into OUT (4 bytes, no NUL); returns its length.
 * QUOTES: give '"' and '\\' a backslash (text_escape) or copy them
 * (text_escape_controls). */
static size_t text_escape_byte(unsigned char ch, char *out, bool quotes)
{
	static const char hex[] = "0123456789abcdef";

	if (quotes && (ch == '"' || ch == '\\')) {
		out[0] = '\\';
		out[1] = (char)ch;
		return 2;
	}
	if (ch >= 0x20 && ch < 0x7f) {
		out[0] = (char)ch;
		return 1;
	}
	out[0] = '\\';
	out[1] = 'x';
	out[2] = hex[ch >> 4];
	out[3] = hex[ch & 0xf];
	return 4;
}

static const char *escape(char *buf, size_t size, const char *s, size_t max, bool quotes)
{
	size_t o = 0, need = 0, i;
	char e[4];

	if (size == 0)
		return buf;
	/* First the whole length: text that fits exactly is not cut. */
	for (i = 0; s[i] != '\0' && i < max; i++)
		need += text_escape_byte((unsigned char)s[i], e, quotes);
	if (s[i] == '\0' && need < size) {
		for (i = 0; s[i] != '\0'; i++)
			o += text_escape_byte((unsigned char)s[i], buf + o, quotes);
		buf[o] = '\0';
		return buf;
	}
	/* Cut: whole escapes while "..." and the NUL still fit after them. */
	for (i = 0; s[i] != '\0' && i < max; i++) {
		size_t n = text_escape_byte((unsigned char)s[i], e, quotes);

		if (o + n + TEXT_ESCAPE_TAIL > size)
			break;
		memcpy(buf + o, e, n);
		o += n;
	}
	/* Only a buffer of fewer than TEXT_ESCAPE_TAIL bytes lacks room for "...". */
	if (o + TEXT_ESCAPE_TAIL <= size) {
		memcpy(buf + o, "...", TEXT_ESCAPE_TAIL);
		return buf;
	}
	buf[o] = '\0';
	return buf;
}

const char *text_escape(char *buf, size_t size, const char *s, size_t max)
{
	return escape(buf, size, s, max, true);
}

const char *text_escape_controls(char *buf, size_t size, const char *s, size_t max)
{
	return escape(buf, size, s, max, false);
}
