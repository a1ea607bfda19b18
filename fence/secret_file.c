/*
 * secret_file.c: read a one-line secret from a file only its owner can read
 * (see secret_file.h for the rules and why).
 */
#define _GNU_SOURCE 1 /* O_PATH */
#include "secret_file.h"
#include "text_escape.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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

/*
 * At most this many symbolic links are followed from the path given to the
 * file: one is the usual (a link into a secrets directory), a few are
 * plausible, more is a mistake or a loop.
 */
#define SECRET_LINKS_MAX 8

/* How the file is named in messages, escaped (the path is input). */
struct secret_names {
	/* "PATH", or "PATH (a symbolic link to FILE)" */
	char name[2 * TEXT_ESCAPE_SIZE(SECRET_PATH_QUOTE_MAX) + 32];
	/* FILE: the file itself, for chmod and chown advice */
	char file[TEXT_ESCAPE_SIZE(SECRET_PATH_QUOTE_MAX)];
};

static void secret_names_set(struct secret_names *n, const char *path, const char *file)
{
	char qpath[TEXT_ESCAPE_SIZE(SECRET_PATH_QUOTE_MAX)];

	text_escape(qpath, sizeof(qpath), path, SECRET_PATH_QUOTE_MAX);
	text_escape(n->file, sizeof(n->file), file, SECRET_PATH_QUOTE_MAX);
	if (strcmp(path, file) == 0)
		snprintf(n->name, sizeof(n->name), "%s", qpath);
	else
		snprintf(n->name, sizeof(n->name), "%s (a symbolic link to %s)", qpath, n->file);
}

/*
 * Replace CUR (SIZE bytes, a link's path) with where the link's TARGET (LEN
 * bytes, no NUL) leads: a relative target is relative to the link's
 * directory. 0, or -ENAMETOOLONG when that does not fit.
 */
static int secret_link_next(char *cur, size_t size, const char *target, size_t len)
{
	char next[PATH_MAX];
	const char *slash = strrchr(cur, '/');
	size_t dir = (len > 0 && target[0] == '/') || !slash ? 0 : (size_t)(slash - cur) + 1;

	if (dir + len >= sizeof(next) || dir + len >= size)
		return -ENAMETOOLONG;
	memcpy(next, cur, dir);
	memcpy(next + dir, target, len);
	next[dir + len] = '\0';
	memcpy(cur, next, dir + len + 1);
	return 0;
}

/*
 * CUR (SIZE bytes) is a symbolic link, as far as open() could tell: check
 * its owner and replace CUR with where it leads. The link is opened itself
 * (O_PATH) so that the link whose owner is checked is the link that is
 * read, even if another is put in its place meanwhile. 0; 1 if CUR is not
 * a link after all; -errno with the message in ERR.
 */
static int secret_link_follow(char *cur, size_t size, const char *what,
			      const struct secret_names *n, char *err, size_t errlen)
{
	char target[PATH_MAX];
	struct stat st;
	ssize_t len;
	int fd, rc = 0;

	fd = open(cur, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s %s: %s", what, n->name, strerror(-rc));
	} else if (!S_ISLNK(st.st_mode)) {
		rc = 1;
	} else if (st.st_uid != 0 && st.st_uid != geteuid()) {
		snprintf(err, errlen,
			 "%s %s: the symbolic link %s is owned by uid %u, not by root or by the "
			 "user reading it (uid %u), who could point it at another file: name "
			 "the file itself, or chown -h the link",
			 what, n->name, n->file, (unsigned)st.st_uid, (unsigned)geteuid());
		rc = -EACCES;
	} else if ((len = readlinkat(fd, "", target, sizeof(target))) < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s %s: %s", what, n->name, strerror(-rc));
	} else if (secret_link_next(cur, size, target, (size_t)len) < 0) {
		rc = -ENAMETOOLONG;
		snprintf(err, errlen, "%s %s: %s", what, n->name, strerror(-rc));
	}
	if (fd >= 0)
		close(fd);
	return rc;
}

/*
 * Open the file PATH names, following symbolic links sshd-style: a link may
 * lead to the secret only if it is owned by root or by the user reading it,
 * since whoever owns a link can point it at another file at any time (a
 * link's own mode means nothing). Every link on the way is checked, then
 * the file is opened with O_NOFOLLOW, so that what is opened is what was
 * checked: a link swapped in at the last moment fails with ELOOP and is
 * looked at again. The file itself is checked by the caller, on the open
 * descriptor. Links among the directories above are followed as usual.
 *
 * Returns the descriptor, or -errno with the message in ERR; N names the
 * file either way.
 */
static int secret_open(const char *path, const char *what, struct secret_names *n, char *err,
		       size_t errlen)
{
	char cur[PATH_MAX];
	int hops, fd, rc;

	if (snprintf(cur, sizeof(cur), "%s", path) >= (int)sizeof(cur)) {
		secret_names_set(n, path, path);
		snprintf(err, errlen, "%s %s: %s", what, n->name, strerror(ENAMETOOLONG));
		return -ENAMETOOLONG;
	}
	for (hops = 0;; hops++) {
		secret_names_set(n, path, cur);
		/* O_NONBLOCK: a FIFO put there by mistake must not hang us before fstat refuses it. */
		fd = open(cur, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW);
		if (fd >= 0)
			return fd;
		rc = -errno;
		/* ELOOP with O_NOFOLLOW: CUR itself is a link (else a loop above it). */
		if (rc != -ELOOP || hops == SECRET_LINKS_MAX)
			break;
		rc = secret_link_follow(cur, sizeof(cur), what, n, err, errlen);
		if (rc < 0)
			return rc;
		if (rc > 0) {
			rc = -ELOOP; /* not a link after all: a loop among the directories */
			break;
		}
	}
	snprintf(err, errlen, "%s %s: %s", what, n->name, strerror(-rc));
	return rc;
}

int secret_file_read(const char *path, const char *what, char *buf, size_t size, char *err,
		     size_t errlen)
{
	struct secret_names names;
	struct stat st;
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
	fd = secret_open(path, what, &names, err, errlen);
	if (fd < 0)
		return fail(buf, size, fd);
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s %s: %s", what, names.name, strerror(-rc));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s %s is not a regular file", what, names.name);
		rc = -EINVAL;
		goto out;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		snprintf(err, errlen,
			 "%s %s is owned by uid %u, not by root or by the user reading it "
			 "(uid %u): chown it",
			 what, names.name, (unsigned)st.st_uid, (unsigned)geteuid());
		rc = -EACCES;
		goto out;
	}
	problem = mode_problem(st.st_mode);
	if (problem) {
		snprintf(err, errlen, "%s %s is %s: chmod 600 %s", what, names.name, problem,
			 names.file);
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
		snprintf(err, errlen, "%s %s: out of memory", what, names.name);
		rc = -ENOMEM;
		goto out;
	}
	while (len < cap + 1) {
		ssize_t n = read(fd, tmp + len, cap + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			snprintf(err, errlen, "%s %s: %s", what, names.name, strerror(-rc));
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
		snprintf(err, errlen, "%s %s contains a NUL byte", what, names.name);
		rc = -EINVAL;
	} else if (memchr(tmp, '\n', len) || memchr(tmp, '\r', len)) {
		snprintf(err, errlen, "%s %s has more than one line", what, names.name);
		rc = -EINVAL;
	} else if (len > size - 1) {
		snprintf(err, errlen, "the secret in %s %s is longer than %zu bytes", what,
			 names.name, size - 1);
		rc = -EMSGSIZE;
	} else if (len == 0) {
		snprintf(err, errlen, "%s %s is empty", what, names.name);
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
