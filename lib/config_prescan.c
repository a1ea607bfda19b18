/*
 * config_prescan.c: havm.conf's raw text, checked before libconfig sees it.
 *
 * libconfig takes some things silently that would make havmd read another
 * configuration than the one its operator wrote: a number past 32 bits
 * wraps, a comment left open swallows the rest of the file, "\x00" in a
 * string drops a byte, a NUL byte ends the file early, @include reads a
 * path relative to the working directory (and an unreadable one exits the
 * process). This scan finds them, with their line, in the text as it is,
 * and makes the copy libconfig reads: the same text with an L after every
 * integer too large for 32 bits, so that range checks see its real value.
 * A hex literal is copied as it is: config_parse.c refuses it, with its
 * own message.
 */
#include "config_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/*
 * What libconfig would take silently, found by the scan below: offsets into
 * the file, or its length when there is none.
 */
struct config_scan {
	/* The first @include. */
	size_t include_at;
	/*
	 * A comment opened with slash-star and never closed: libconfig ends
	 * it at the end of the file without a word, and whatever follows,
	 * a whole group, is silently not read.
	 */
	size_t open_comment_at;
	/*
	 * The escape \x00 in a string: libconfig drops the byte without a
	 * word ("la\x00b" reads as "lab"), so the value read is not the one
	 * written. \\x00 (an escaped backslash, then "x00") is text, and fine.
	 */
	size_t nul_escape_at;
};

/*
 * Copy the LEN bytes of IN to OUT, changed in one way, and return the new
 * length; note in *SCAN what libconfig would take silently (see struct
 * config_scan). OUT must hold LEN + LEN / 10 + 2 bytes.
 *
 * The change: an L after every decimal integer literal outside the 32-bit
 * range (such a literal has at least 10 digits, hence the size of OUT).
 * Debian's libconfig 1.5 stores a literal without L suffix in a 32-bit int,
 * silently: "nodeid = 4294967297;" reads as 1. With the suffix the literal
 * is a 64-bit integer, in 1.5 and in later versions alike, and the range
 * checks see the number the operator wrote. No newline is added, so line
 * numbers stay true.
 *
 * @include is looked for here, before libconfig runs, because libconfig
 * opens the file as it parses, and flex exit()s the whole process when
 * that read fails (@include "/" is enough).
 *
 * This follows libconfig's scanner (scanner.l) just far enough to tell
 * numbers, directives, comments and escapes from the rest: strings,
 * comments and names are copied untouched; floats, hex and suffixed
 * literals too. A slash-star inside a string or after # or // is text, as
 * it is to libconfig.
 */
static size_t config_prescan_copy(const char *in, size_t len, char *out, struct config_scan *scan)
{
	size_t i = 0, o = 0;

	scan->include_at = len;
	scan->open_comment_at = len;
	scan->nul_escape_at = len;
#define IS_DIGIT(ch) ((ch) >= '0' && (ch) <= '9')
#define IS_ALPHA(ch) (((ch) >= 'A' && (ch) <= 'Z') || ((ch) >= 'a' && (ch) <= 'z'))
	while (i < len) {
		size_t start = i;
		char ch = in[i];

		if (ch == '"') {
			/*
			 * String: up to the closing quote, skipping escapes.
			 * libconfig reads \x and \X with two hex digits; IN
			 * is NUL-terminated, so reading past LEN stops there.
			 */
			for (i++; i < len && in[i] != '"'; i++) {
				if (in[i] != '\\' || i + 1 >= len)
					continue;
				if ((in[i + 1] == 'x' || in[i + 1] == 'X') && in[i + 2] == '0' &&
				    in[i + 3] == '0' && scan->nul_escape_at == len)
					scan->nul_escape_at = i;
				i++;
			}
			if (i < len)
				i++;
		} else if (ch == '#' || (ch == '/' && in[i + 1] == '/')) {
			while (i < len && in[i] != '\n')
				i++;
		} else if (ch == '/' && in[i + 1] == '*') {
			for (i += 2; i < len && !(in[i] == '*' && in[i + 1] == '/'); i++)
				;
			if (i < len)
				i += 2;
			else if (scan->open_comment_at == len)
				scan->open_comment_at = start;
		} else if (IS_ALPHA(ch) || ch == '*') {
			/* A name, digits and all ("local0"). */
			while (i < len && (IS_ALPHA(in[i]) || IS_DIGIT(in[i]) || in[i] == '-' ||
					   in[i] == '_' || in[i] == '*'))
				i++;
		} else if (IS_DIGIT(ch) || ch == '.' ||
			   ((ch == '-' || ch == '+') &&
			    (IS_DIGIT(in[i + 1]) || in[i + 1] == '.'))) {
			uint64_t v = 0;
			bool is_int = true;

			if (ch == '-' || ch == '+')
				i++;
			if (in[i] == '0' && (in[i + 1] == 'x' || in[i + 1] == 'X')) {
				/* Hex: refused later, with its own message. */
				for (i += 2; i < len && (IS_DIGIT(in[i]) ||
							 (in[i] >= 'a' && in[i] <= 'f') ||
							 (in[i] >= 'A' && in[i] <= 'F'));
				     i++)
					;
				is_int = false;
			}
			for (; is_int && i < len && IS_DIGIT(in[i]); i++)
				if (v <= INT64_MAX / 10)
					v = v * 10 + (uint64_t)(in[i] - '0');
			if (is_int && in[i] == '.') {
				for (i++; i < len && IS_DIGIT(in[i]); i++)
					;
				is_int = false;
			}
			if ((in[i] == 'e' || in[i] == 'E') &&
			    (IS_DIGIT(in[i + 1]) ||
			     ((in[i + 1] == '-' || in[i + 1] == '+') && IS_DIGIT(in[i + 2])))) {
				for (i += 2; i < len && IS_DIGIT(in[i]); i++)
					;
				is_int = false;
			}
			memcpy(out + o, in + start, i - start);
			o += i - start;
			/*
			 * Compared without the sign: -2147483648 gets an L it
			 * does not need, which changes nothing.
			 */
			if (is_int && in[i] != 'L' && v > INT32_MAX)
				out[o++] = 'L';
			continue;
		} else {
			/* Anywhere, not only at the start of a line: refused either way. */
			if (ch == '@' && scan->include_at == len &&
			    strncmp(in + i, "@include", 8) == 0)
				scan->include_at = i;
			i++;
		}
		memcpy(out + o, in + start, i - start);
		o += i - start;
	}
#undef IS_DIGIT
#undef IS_ALPHA
	out[o] = '\0';
	return o;
}

/* Line number of byte OFFSET of TEXT, counting from 1 as libconfig does. */
static unsigned int config_line_of(const char *text, size_t offset)
{
	unsigned int line = 1;
	size_t i;

	for (i = 0; i < offset; i++)
		line += text[i] == '\n';
	return line;
}

/*
 * The first, in file order, of what SCAN found in TEXT (LEN bytes) as an
 * error with its line; 0 when it found nothing.
 */
static int config_scan_error(struct config_ctx *c, const char *text, size_t len,
			     const struct config_scan *scan)
{
	size_t first = scan->include_at;

	if (scan->open_comment_at < first)
		first = scan->open_comment_at;
	if (scan->nul_escape_at < first)
		first = scan->nul_escape_at;
	if (first == len)
		return 0;
	/*
	 * libconfig 1.5 resolves @include paths against the working
	 * directory, not the including file's: `havmd -n` run from a shell and
	 * havmd run by systemd from / would read different files. Hence one
	 * self-contained file.
	 */
	if (first == scan->include_at)
		return config_error_at(c, config_line_of(text, first),
				       "@include is not supported, keep havm.conf in one file");
	/* Its end is the end of the file: the line where it opens is the one to find. */
	if (first == scan->open_comment_at)
		return config_error_at(c, config_line_of(text, first),
				       "comment \"/*\" is not closed with \"*/\"; the rest of the "
				       "file would be ignored");
	return config_error_at(c, config_line_of(text, first),
			       "\"\\x00\" in a string: a NUL byte cannot be part of a value");
}

int config_prescan(struct config_ctx *c, const char *text, size_t len, char **out)
{
	struct config_scan scan;
	const char *nul;
	char *wide;
	int rc;

	/* libconfig reads a string up to its NUL: the rest would go unread. */
	nul = memchr(text, '\0', len);
	if (nul)
		return config_error_at(c, config_line_of(text, (size_t)(nul - text)),
				       "NUL byte in the file; havm.conf is text");
	wide = malloc(len + len / 10 + 2);
	if (!wide)
		return config_error_errno(c, -ENOMEM, "cannot read");
	config_prescan_copy(text, len, wide, &scan);
	rc = config_scan_error(c, text, len, &scan);
	if (rc < 0) {
		free(wide);
		return rc;
	}
	*out = wide;
	return 0;
}
