/*
 * storage.c: the shared-storage layout and its leases through libsanlock
 * (see storage.h). Blocking by design: callers run it off the main loop.
 */
#include "storage.h"

#include <errno.h>
#include <fcntl.h>
#include <sanlock.h>
#include <sanlock_admin.h>
#include <sanlock_rv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LS_FLAGS (SANLK_LSF_ALIGN1M | SANLK_LSF_SECTOR512)
#define RES_FLAGS (SANLK_RES_ALIGN1M | SANLK_RES_SECTOR512)

/* sanlock's "no such record here" codes: the area holds no havm data. */
static bool not_initialised(int rc)
{
	return rc == SANLK_LEADER_MAGIC || rc == SANLK_LEADER_VERSION ||
	       rc == SANLK_LEADER_LOCKSPACE || rc == SANLK_LEADER_RESOURCE ||
	       rc == SANLK_LEADER_CHECKSUM || rc == SANLK_LEADER_SECTORSIZE;
}

static int map_rc(int rc)
{
	if (rc >= 0)
		return 0;
	if (not_initialised(rc))
		return -ENODATA;
	if (rc <= -200) /* sanlock's own codes: an I/O or protocol failure */
		return -EIO;
	return rc;
}

static int fill_path(char *dst, const char *path)
{
	if (strlen(path) >= SANLK_PATH_LEN)
		return -ENAMETOOLONG;
	snprintf(dst, SANLK_PATH_LEN, "%s", path);
	return 0;
}

static int lockspace_of(struct sanlk_lockspace *ls, const char *path)
{
	memset(ls, 0, sizeof(*ls));
	snprintf(ls->name, sizeof(ls->name), "%s", STORAGE_LOCKSPACE);
	ls->flags = LS_FLAGS;
	return fill_path(ls->host_id_disk.path, path);
}

/* A resource with one disk; the caller frees it. */
static struct sanlk_resource *resource_of(const char *path, const char *name, uint64_t offset)
{
	struct sanlk_resource *r;

	if (strlen(name) >= SANLK_NAME_LEN)
		return NULL;
	r = calloc(1, sizeof(*r) + sizeof(struct sanlk_disk));
	if (!r)
		return NULL;
	snprintf(r->lockspace_name, sizeof(r->lockspace_name), "%s", STORAGE_LOCKSPACE);
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->flags = RES_FLAGS;
	r->num_disks = 1;
	r->disks[0].offset = offset;
	if (fill_path(r->disks[0].path, path) < 0) {
		free(r);
		return NULL;
	}
	return r;
}

/* Is sanlock there at all? Asked first, so that its absence is never
 * mistaken for a missing path (both surface as -ENOENT otherwise). */
static int sanlock_reachable(void)
{
	uint32_t version = 0, proto = 0;

	return sanlock_version(0, &version, &proto) < 0 ? -ENOTCONN : 0;
}

int storage_probe(const char *path)
{
	struct sanlk_lockspace ls;
	struct stat st;
	uint32_t io_timeout = 0;
	int rc;

	rc = sanlock_reachable();
	if (rc)
		return rc;
	if (stat(path, &st) < 0)
		return -errno;
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size < STORAGE_SIZE)
		return -ENODATA; /* too small to hold the layout: never initialised */
	rc = lockspace_of(&ls, path);
	if (rc)
		return rc;
	rc = sanlock_read_lockspace(&ls, 0, &io_timeout);
	/* The path exists: a missing or refusing socket is sanlock's absence. */
	if (rc == -ENOENT || rc == -ECONNREFUSED)
		return -ENOTCONN;
	if (rc == 0 && strncmp(ls.name, STORAGE_LOCKSPACE, sizeof(ls.name)) != 0)
		return -EBUSY; /* another program's lockspace: not ours to take */
	if (rc == SANLK_LEADER_LOCKSPACE)
		return -EBUSY;
	return map_rc(rc);
}

/* A regular file must be large enough for every offset of the layout. */
static int extend_file(const char *path)
{
	struct stat st;
	int fd, rc = 0;

	if (stat(path, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size >= STORAGE_SIZE)
		return 0;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)STORAGE_SIZE) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

int storage_init(const char *path, uint32_t io_timeout, bool force)
{
	struct sanlk_lockspace ls;
	int rc = storage_probe(path);

	if (rc == 0 && !force)
		return -EEXIST;
	if (rc == -EBUSY && !force)
		return -EBUSY;
	if (rc != 0 && rc != -ENODATA && rc != -EBUSY)
		return rc; /* missing, unreachable, no sanlock: nothing to initialise */
	rc = extend_file(path);
	if (rc)
		return rc;
	rc = lockspace_of(&ls, path);
	if (rc)
		return rc;
	rc = map_rc(sanlock_write_lockspace(&ls, 0, 0, io_timeout));
	if (rc)
		return rc;
	/* VM slots are written when a VM is protected: each is 1 MiB of I/O,
	 * too much to spend on slots nobody uses. */
	return lease_create(path, STORAGE_TIEBREAKER, STORAGE_TIEBREAKER_OFFSET);
}

int lease_create(const char *path, const char *name, uint64_t offset)
{
	struct sanlk_resource *r = resource_of(path, name, offset);
	int rc;

	if (!r)
		return -EINVAL;
	rc = map_rc(sanlock_write_resource(r, 0, 0, 0));
	free(r);
	return rc;
}

int lease_owner(const char *path, const char *name, uint64_t offset, uint64_t *host_id,
		uint64_t *generation)
{
	struct sanlk_resource *r = resource_of(path, name, offset);
	struct sanlk_host *hosts = NULL;
	int n = 0, rc;

	if (!r)
		return -EINVAL;
	*host_id = *generation = 0;
	rc = map_rc(sanlock_read_resource_owners(r, 0, &hosts, &n));
	if (rc == 0 && n > 0) {
		*host_id = hosts[0].host_id;
		*generation = hosts[0].generation;
	}
	free(hosts);
	free(r);
	return rc;
}

int lease_reclaim_fenced(const char *path, const char *name, uint64_t offset,
			 uint64_t fenced_host_id)
{
	uint64_t owner, gen;
	int rc = lease_owner(path, name, offset, &owner, &gen);

	if (rc)
		return rc;
	if (owner == 0)
		return 0; /* nothing to free */
	if (owner != fenced_host_id)
		return -EBUSY;
	/* Rewriting the lease clears its owner. Only a host proven off may
	 * lose its lease this way: it can no longer write to the storage. */
	return lease_create(path, name, offset);
}

/* The name of the lease at OFFSET as written on the storage. */
static int lease_name_at(const char *path, uint64_t offset, char *name, size_t size)
{
	struct sanlk_resource *r = resource_of(path, "", offset);
	int rc;

	if (!r)
		return -EINVAL;
	rc = map_rc(sanlock_read_resource(r, 0));
	if (rc == 0)
		snprintf(name, size, "%s", r->name);
	free(r);
	return rc;
}

int lease_reclaim_all_fenced(const char *path, uint64_t fenced_host_id, unsigned *reclaimed,
			     unsigned *leases)
{
	*reclaimed = *leases = 0;
	for (int slot = -1; slot < STORAGE_VM_SLOTS; slot++) {
		uint64_t offset = slot < 0 ? STORAGE_TIEBREAKER_OFFSET : STORAGE_VM_OFFSET(slot);
		char name[SANLK_NAME_LEN + 1];
		uint64_t owner, gen;
		int rc = lease_name_at(path, offset, name, sizeof(name));

		if (rc == -ENOTCONN || rc == -ECONNREFUSED)
			return rc; /* sanlock went away: say so, try again later */
		if (rc || name[0] == '\0')
			continue; /* never written: no lease there */
		(*leases)++;
		rc = lease_owner(path, name, offset, &owner, &gen);
		if (rc || owner != fenced_host_id)
			continue;
		rc = lease_reclaim_fenced(path, name, offset, fenced_host_id);
		if (rc)
			return rc;
		(*reclaimed)++;
	}
	return 0;
}

const char *storage_strerror(int rc)
{
	switch (rc) {
	case 0: return "ok";
	case -ENOENT: return "the storage path does not exist";
	case -ENODATA: return "the storage is not initialised (havm storage init)";
	case -EEXIST: return "the storage is already initialised (--force rewrites it)";
	case -EIO: return "the storage cannot be read or written";
	case -EBUSY: return "it holds another program's sanlock lockspace or lease (--force overwrites it)";
	case -ECONNREFUSED:
	case -ENOTCONN: return "sanlock is not running on this host";
	case -ECONNABORTED:
		return "sanlock left the lockspace (its renewal failed, or the join was refused)";
	}
	return strerror(-rc);
}
