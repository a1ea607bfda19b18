/*
 * incarnation.c: see incarnation.h.
 */
#include "incarnation.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define INCARNATION_FILE "incarnation"

static uint64_t read_last(const char *path)
{
	char buf[32];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	unsigned long long v;
	char *end;

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	errno = 0;
	v = strtoull(buf, &end, 10);
	if (errno || end == buf || (*end != '\n' && *end != '\0'))
		return 0; /* torn or foreign: the clock still gives a fresh number */
	return v;
}

int incarnation_next(const char *dir, uint64_t *inc)
{
	char path[512], tmp[520], line[32];
	struct timespec ts;
	uint64_t last, now;
	int fd, len, rc = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, INCARNATION_FILE);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	clock_gettime(CLOCK_REALTIME, &ts);
	now = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	last = read_last(path);
	*inc = now > last ? now : last + 1;
	len = snprintf(line, sizeof(line), "%llu\n", (unsigned long long)*inc);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	if (write(fd, line, (size_t)len) != len || fsync(fd) < 0)
		rc = errno ? -errno : -EIO;
	close(fd);
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -errno;
	if (rc == 0) {
		/* The rename itself must survive a crash. */
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0) {
			if (fsync(fd) < 0)
				rc = -errno;
			close(fd);
		}
	}
	if (rc)
		unlink(tmp);
	return rc;
}
