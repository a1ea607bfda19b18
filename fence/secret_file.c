/*
 * secret_file.c: read a one-line secret from a file only its owner can read
 * (see secret_file.h for the rules and why).
 */
#include "secret_file.h"
#include "text_escape.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Paths are shown up to this many bytes in messages, then "...". */
#define SECRET_PATH_QUOTE_MAX 256

/* The worst thing group or others may do with the file, for the message. */
static const char *mode_problem(mode_t m)
{
	if (m & S_IROTH)
		return "readable by others";
	if (m & S_IWOTH)
		return "writable by others";
	if (m & S_IRGRP)
		return "readable by its group";
	if (m & S_IWGRP)
		return "writable by its group";
	if (m & (S_IXGRP | S_IXOTH))
		return "executable by group or others";
	return NULL;
}

static int fail(char *buf, size_t size, int rc)
{
	if (buf && size)
		explicit_bzero(buf, size);
	return rc;
}

int secret_file_read(const char *path, const char *what, char *buf, size_t size, char *err,
		     size_t errlen)
{
	struct stat st;
	/* PATH is input (a command line, stdin, havm.conf): quoted escaped. */
	char qpath[TEXT_ESCAPE_SIZE(SECRET_PATH_QUOTE_MAX)];
	const char *problem;
	char *tmp = NULL;
	size_t len = 0, cap = 0;
	int fd, rc = 0;

	if (!what)
		what = "secret file";
	if (!path || !*path || !buf || size < 2) {
		snprintf(err, errlen, "%s: no path or no room for the secret", what);
		return fail(buf, size, -EINVAL);
	}
	explicit_bzero(buf, size);
	text_escape(qpath, sizeof(qpath), path, SECRET_PATH_QUOTE_MAX);
	/* O_NONBLOCK: a FIFO put there by mistake must not hang us before fstat refuses it. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s %s: %s", what, qpath, strerror(-rc));
		return fail(buf, size, rc);
	}
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s %s: %s", what, qpath, strerror(-rc));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s %s is not a regular file", what, qpath);
		rc = -EINVAL;
		goto out;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		snprintf(err, errlen,
			 "%s %s is owned by uid %u, not by root or by the user reading it "
			 "(uid %u): chown it",
			 what, qpath, (unsigned)st.st_uid, (unsigned)geteuid());
		rc = -EACCES;
		goto out;
	}
	problem = mode_problem(st.st_mode);
	if (problem) {
		snprintf(err, errlen, "%s %s is %s: chmod 600 %s", what, qpath, problem, qpath);
		rc = -EACCES;
		goto out;
	}
	/*
	 * Read at most the secret, a "\r\n" and one byte more: that is enough
	 * to tell a secret that fits from one that does not, and bounds what a
	 * wrong path (a log file, a disk image) makes us read.
	 */
	cap = size + 2;
	tmp = malloc(cap + 1);
	if (!tmp) {
		snprintf(err, errlen, "%s %s: out of memory", what, qpath);
		rc = -ENOMEM;
		goto out;
	}
	while (len < cap + 1) {
		ssize_t n = read(fd, tmp + len, cap + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			snprintf(err, errlen, "%s %s: %s", what, qpath, strerror(-rc));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	/* One line end may follow the secret. */
	if (len > 0 && tmp[len - 1] == '\n') {
		len--;
		if (len > 0 && tmp[len - 1] == '\r')
			len--;
	}
	if (memchr(tmp, '\0', len)) {
		snprintf(err, errlen, "%s %s contains a NUL byte", what, qpath);
		rc = -EINVAL;
	} else if (memchr(tmp, '\n', len) || memchr(tmp, '\r', len)) {
		snprintf(err, errlen, "%s %s has more than one line", what, qpath);
		rc = -EINVAL;
	} else if (len > size - 1) {
		snprintf(err, errlen, "the secret in %s %s is longer than %zu bytes", what, qpath,
			 size - 1);
		rc = -EMSGSIZE;
	} else if (len == 0) {
		snprintf(err, errlen, "%s %s is empty", what, qpath);
		rc = -EINVAL;
	} else {
		memcpy(buf, tmp, len);
		buf[len] = '\0';
	}
out:
	if (tmp) {
		explicit_bzero(tmp, cap + 1);
		free(tmp);
	}
	close(fd);
	return rc ? fail(buf, size, rc) : 0;
}
