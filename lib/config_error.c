/*
 * config_error.c: the one form every refusal of havm.conf takes,
 * "FILE:LINE: what is wrong", written into the caller's buffer.
 *
 * The file's path is quoted through text_escape() like any other input, and
 * a message cut short by a small buffer says so. The functions that make a
 * message return the negative errno the caller passes on, so that a check
 * reads "return config_error(...)".
 */
#include "config_int.h"

#include "text_escape.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/*
 * Append to the message; a message cut short by a small buffer ends in
 * "..." so that nobody mistakes it for the whole story.
 */
__attribute__((format(printf, 2, 0))) static void config_err_vappend(struct config_ctx *c,
								      const char *fmt, va_list ap)
{
	size_t used;
	int n;

	if (c->errlen == 0)
		return;
	used = strlen(c->err);
	n = vsnprintf(c->err + used, c->errlen - used, fmt, ap);
	if (n >= 0 && (size_t)n < c->errlen - used)
		return;
	if (c->errlen > 3)
		memcpy(c->err + c->errlen - 4, "...", 4);
}

__attribute__((format(printf, 2, 3))) void config_err_append(struct config_ctx *c, const char *fmt,
							     ...)
{
	va_list ap;

	va_start(ap, fmt);
	config_err_vappend(c, fmt, ap);
	va_end(ap);
}

/* "FILE:LINE: message", or "FILE: message" when LINE is 0. Returns -EINVAL. */
__attribute__((format(printf, 3, 0))) static int
config_verror_at(struct config_ctx *c, unsigned int line, const char *fmt, va_list ap)
{
	/* The path comes from the command line: escaped like any other input. */
	char path[TEXT_ESCAPE_SIZE(HAVM_PATH_MAX)];

	text_escape(path, sizeof(path), c->path, HAVM_PATH_MAX);
	if (c->errlen > 0)
		c->err[0] = '\0';
	if (line > 0)
		config_err_append(c, "%s:%u: ", path, line);
	else
		config_err_append(c, "%s: ", path);
	config_err_vappend(c, fmt, ap);
	return -EINVAL;
}

__attribute__((format(printf, 3, 4))) int config_error_at(struct config_ctx *c, unsigned int line,
							  const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = config_verror_at(c, line, fmt, ap);
	va_end(ap);
	return rc;
}

/*
 * The error is about setting S: point at its line. The root group and an
 * absent setting (S NULL) have none, and the message names the file alone.
 */
__attribute__((format(printf, 3, 4))) int
config_error(struct config_ctx *c, const config_setting_t *s, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = config_verror_at(c, s ? config_setting_source_line(s) : 0, fmt, ap);
	va_end(ap);
	return rc;
}

/* "FILE: WHAT: strerror", returning RC, a negative errno. */
int config_error_errno(struct config_ctx *c, int rc, const char *what)
{
	/* A failed call always sets errno; this keeps the callers' rc < 0 true. */
	if (rc >= 0)
		rc = -EIO;
	config_error_at(c, 0, "%s: %s", what, strerror(-rc));
	return rc;
}
