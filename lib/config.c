/*
 * config.c: read and check havm.conf (config.h), and look hosts up in it.
 *
 * config_load is the one way in, and every step of it can refuse the file
 * with a message naming file and line: the file is read here (a regular
 * file of at most 1 MiB, every failure with its errno), its raw text is
 * checked for what libconfig would take silently (config_prescan.c),
 * libconfig lexes it, and the settings are checked against the tables
 * (config_tables.c, config_parse.c). Loading stops at the first error: a
 * daemon that guesses at what its operator meant is worse than one that
 * refuses to start. config_int.h lists the parts.
 */
#include "config_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- loading --------------------------------------------------------- */

/*
 * A havm.conf for HAVM_HOSTS_MAX hosts is a few kilobytes; the cap only keeps
 * `havmd -n -c /dev/zero` from eating memory.
 */
#define CONFIG_FILE_MAX (1024 * 1024)

/* What a file of mode M is, for the message refusing it. */
static const char *config_file_kind(mode_t m)
{
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISSOCK(m))
		return "a socket";
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISBLK(m))
		return "a block device";
	return "a special file";
}

/*
 * havm.conf must be a regular file. A FIFO would block `havmd -n` (and
 * ExecStartPre with it) until someone writes to it, a device may never
 * end, and opening some devices does something (a watchdog arms itself).
 * Hence stat before opening, O_NONBLOCK for whatever is swapped in between,
 * and fstat of what was opened. -EISDIR for a directory, else -EINVAL.
 */
static int config_check_regular(struct config_ctx *c, const struct stat *st)
{
	if (S_ISREG(st->st_mode))
		return 0;
	config_error_at(c, 0, "is %s, not a regular file", config_file_kind(st->st_mode));
	return S_ISDIR(st->st_mode) ? -EISDIR : -EINVAL;
}

/*
 * Read all of PATH into a NUL-terminated buffer in *BUF (to be freed) and its
 * length in *LEN. Done here, not by libconfig, so that every failure comes
 * with its errno: libconfig only says "file I/O error", and takes a read
 * error for the end of the file.
 */
static int config_read_text(struct config_ctx *c, char **buf, size_t *len)
{
	struct stat st;
	size_t n = 0;
	char *b;
	int fd, rc = 0;

	if (stat(c->path, &st) < 0)
		return config_error_errno(c, -errno, "cannot read");
	rc = config_check_regular(c, &st);
	if (rc < 0)
		return rc;
	fd = open(c->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return config_error_errno(c, -errno, "cannot read");
	if (fstat(fd, &st) < 0) {
		rc = config_error_errno(c, -errno, "cannot read");
		close(fd);
		return rc;
	}
	rc = config_check_regular(c, &st);
	if (rc < 0) {
		close(fd);
		return rc;
	}
	/* One more byte than allowed, to tell "exactly the cap" from "over". */
	b = malloc(CONFIG_FILE_MAX + 2);
	if (!b)
		rc = -ENOMEM;
	while (rc == 0 && n <= CONFIG_FILE_MAX) {
		ssize_t r = read(fd, b + n, CONFIG_FILE_MAX + 1 - n);

		if (r < 0 && errno != EINTR)
			rc = -errno;
		else if (r == 0)
			break;
		else if (r > 0)
			n += (size_t)r;
	}
	if (rc == 0 && n > CONFIG_FILE_MAX)
		rc = -EFBIG;
	close(fd);
	if (rc < 0) {
		free(b);
		return config_error_errno(c, rc, "cannot read");
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
}

/* Read and parse PATH into LC. Returns 0 or -errno with the message in C. */
static int config_read_path(struct config_ctx *c, config_t *lc)
{
	char *text = NULL, *wide = NULL;
	size_t len = 0;
	int rc, ok;

	rc = config_read_text(c, &text, &len);
	if (rc < 0)
		return rc;
	rc = config_prescan(c, text, len, &wide);
	free(text);
	if (rc < 0)
		return rc;
	/*
	 * libconfig before 1.7.3 leaks a string token on some syntax errors
	 * (its issue #142): a few bytes per failed load, nothing to do here.
	 */
	ok = config_read_string(lc, wide);
	free(wide);
	if (!ok) {
		/* Read from a string, the file has no name in libconfig. */
		const char *text_err = config_error_text(lc);

		/* libconfig's own text is often just "syntax error". */
		if (strcmp(text_err, "syntax error") == 0)
			return config_error_at(c, (unsigned int)config_error_line(lc),
					       "syntax error");
		return config_error_at(c, (unsigned int)config_error_line(lc),
				       "syntax error: %s", text_err);
	}
	/* Should the prescan ever miss an @include, libconfig noted the file. */
	if (lc->num_filenames > 0)
		return config_error(c, NULL,
				    "@include is not supported, keep havm.conf in one file");
	return 0;
}

int config_load(const char *path, struct havm_config *cfg, char *err, size_t errlen)
{
	struct config_ctx c = { .path = path, .err = err, .errlen = errlen, .cfg = cfg };
	config_t lc;
	int rc;

	if (errlen > 0)
		err[0] = '\0';
	memset(cfg, 0, sizeof(*cfg));
	config_init(&lc);
	rc = config_read_path(&c, &lc);
	if (rc == 0)
		rc = config_parse_group(&c, &config_top_group, config_root_setting(&lc), cfg);
	config_destroy(&lc);
	return rc;
}

const struct havm_host *config_host_by_nodeid(const struct havm_config *cfg, uint32_t nodeid)
{
	size_t i;

	for (i = 0; i < cfg->n_hosts; i++)
		if (cfg->hosts[i].nodeid == nodeid)
			return &cfg->hosts[i];
	return NULL;
}

const struct havm_host *config_host_by_name(const struct havm_config *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->n_hosts; i++)
		if (strcmp(cfg->hosts[i].name, name) == 0)
			return &cfg->hosts[i];
	return NULL;
}
