/*
 * storage.c: the shared-storage layout and its leases through libsanlock
 * (see storage.h), and whether the local sanlock runs with a watchdog.
 * Blocking by design: callers run it off the main loop.
 */
#include "storage.h"

#include <errno.h>
#include <fcntl.h>
#include <sanlock.h>
#include <sanlock_admin.h>
#include <sanlock_resource.h>
#include <sanlock_rv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#define LS_FLAGS (SANLK_LSF_ALIGN1M | SANLK_LSF_SECTOR512)
#define RES_FLAGS (SANLK_RES_ALIGN1M | SANLK_RES_SECTOR512)

/* Where libsanlock finds its daemon: the same environment, the same default. */
#define SANLOCK_RUN_DIR_ENV "SANLOCK_RUN_DIR"
#define SANLOCK_RUN_DIR_DEFAULT "/run/sanlock"
#define SANLOCK_SOCKET_NAME "sanlock.sock"

/* The socket every libsanlock call of this file talks to, and no other. */
static int sanlock_socket_path(char *path, size_t cap)
{
	const char *dir = getenv(SANLOCK_RUN_DIR_ENV);
	int n = snprintf(path, cap, "%s/%s", dir ? dir : SANLOCK_RUN_DIR_DEFAULT,
			 SANLOCK_SOCKET_NAME);

	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

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

int lease_held_by_pid(int pid, const char *name)
{
	char *state = NULL, want[SANLK_NAME_LEN + sizeof(STORAGE_LOCKSPACE) + 3];
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct stat st;
	int count = 0, rc, held = 0;

	/* libsanlock reports a missing socket as -ENOENT too, which would
	 * read as "not registered" below: sanlock must be there first. */
	if (sanlock_socket_path(path, sizeof(path)) < 0 || stat(path, &st) < 0)
		return -ENOTCONN;
	rc = sanlock_inquire(-1, pid, 0, &count, &state);
	if (rc == -ENOENT)
		return 0; /* not a sanlock client at all: no lock manager */
	if (rc < 0)
		return map_rc(rc);
	/* "LOCKSPACE:NAME:PATH:OFFSET:LVER" per lease, space separated. */
	snprintf(want, sizeof(want), "%s:%s:", STORAGE_LOCKSPACE, name);
	for (char *tok = state; tok && *tok && !held;) {
		size_t len = strcspn(tok, " ");
		held = len >= strlen(want) && strncmp(tok, want, strlen(want)) == 0;
		tok += len;
		tok += strspn(tok, " ");
	}
	free(state);
	return held;
}

int lease_prepare(const char *path, const char *name, uint64_t offset)
{
	char cur[SANLK_NAME_LEN + 1] = "";
	uint64_t owner = 0, gen = 0;
	int rc = lease_name_at(path, offset, cur, sizeof(cur));

	/* Written only where sanlock says no lease is (-ENODATA: no leader
	 * there) or where it read one: any other failure (I/O, a timeout)
	 * says nothing about a holder, and a write then could take a lease
	 * from under a running VM. */
	if (rc && rc != -ENODATA)
		return rc;
	if (rc == 0 && strcmp(cur, name) == 0)
		return 0; /* ready: nothing written, so a holder keeps it */
	if (rc == 0 && cur[0] != '\0') {
		/* Another VM's lease (a slot reused after `havm vm remove`): only
		 * rewritten when nobody holds it, or that VM would lose it. */
		rc = lease_owner(path, cur, offset, &owner, &gen);
		if (rc)
			return rc;
		if (owner)
			return -EBUSY;
	}
	return lease_create(path, name, offset);
}

int lease_reclaim_all_fenced(const char *path, uint64_t fenced_host_id, uint64_t max_generation,
			     unsigned *reclaimed, unsigned *leases)
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
		/* A later life of the same host (it booted and joined again) is
		 * not the one proven off: its leases stay. */
		if (max_generation && gen > max_generation)
			continue;
		rc = lease_reclaim_fenced(path, name, offset, fenced_host_id);
		if (rc)
			return rc;
		(*reclaimed)++;
	}
	return 0;
}

/* ---- the watchdog probe ---------------------------------------------- */

/*
 * How a client learns whether sanlock runs with a watchdog, and why so.
 *
 * libsanlock's API (sanlock.h, sanlock_admin.h, 3.8) has no call that
 * reports the daemon's settings. The daemon itself does report them: its
 * status request, the one `sanlock client status -D` sends, is answered
 * first by a record of the daemon's own state, a line of key=value words
 * among which use_watchdog=0|1 is the -w it runs with, from its command
 * line or from sanlock.conf, whichever won. That is the daemon's own word
 * on the one setting that matters, so that is what is asked, over
 * sanlock's socket, in the request's wire format: a header of eight
 * native-endian 32-bit words (magic, protocol version, command, flags,
 * length, sequence, data, data2), with data asking for the daemon's record
 * alone; the answer is the same header, then the record (see struct
 * status_record) and its text. The format is the one `sanlock client`
 * speaks, from a daemon on the same host, built for the same ABI; it is
 * not in sanlock's installed headers, so anything unexpected in an answer
 * (magic, record type, length, the key missing or twice) is -EPROTO and
 * never taken for a watchdog.
 *
 * Not used: the daemon's command line in /proc (misses sanlock.conf, and a
 * pid file can be stale); wdmd's socket alone (wdmd may be running while
 * sanlock runs with -w 0, for another client or by mistake). wdmd's socket
 * is checked as well, after sanlock said yes: with -w 1, sanlock joins a
 * lockspace only once it has registered with wdmd, so no wdmd means no
 * watchdog now (and no join). The check is a connect and a close: wdmd
 * adds the connection and drops it, and nothing is registered.
 */

/* wdmd's socket has no override: wdmd always listens there. */
#define WDMD_SOCKET "/run/wdmd/wdmd.sock"

#define STATUS_MAGIC 0x04282010u
#define STATUS_PROTO 0x00000001u /* protocol 1.0; a daemon refuses a newer major */
#define STATUS_CMD 5u            /* the status request */
#define STATUS_DAEMON 1u         /* the daemon's record: asked for alone (data), and its type */
#define STATUS_TEXT_MAX 4096     /* the daemon's cap on a record's text, NUL included */

struct status_header {
	uint32_t magic;
	uint32_t version;
	uint32_t cmd;
	uint32_t cmd_flags;
	uint32_t length; /* of the message, this header included */
	uint32_t seq;
	uint32_t data;
	uint32_t data2;
};

/* One state record as the daemon sends it, in the host's C layout. */
struct status_record {
	uint32_t type; /* STATUS_DAEMON for the daemon's own */
	uint32_t flags;
	uint32_t data32;
	uint64_t data64;
	char name[SANLK_NAME_LEN];
	uint32_t text_len; /* bytes of text after the record, its NUL included */
};

/*
 * A stream socket connected to PATH into *FD, every step bounded by
 * STORAGE_WATCHDOG_TIMEOUT_MS: connect (a daemon that stopped accepting
 * fills its backlog), send and recv. -ETIMEDOUT past it.
 */
static int probe_connect(const char *path, int *fd)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = STORAGE_WATCHDOG_TIMEOUT_MS / 1000,
			      .tv_usec = (STORAGE_WATCHDOG_TIMEOUT_MS % 1000) * 1000 };
	size_t len = strlen(path);
	int s, rc = 0;

	if (len >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	memcpy(addr.sun_path, path, len + 1);
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	if (setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
	    connect(s, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		rc = errno == EAGAIN || errno == EINPROGRESS ? -ETIMEDOUT : -errno;
	if (rc < 0) {
		close(s);
		return rc;
	}
	*fd = s;
	return 0;
}

static int probe_send(int fd, const void *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = send(fd, (const char *)buf + off, len - off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		off += (size_t)n;
	}
	return 0;
}

/* Exactly LEN bytes; an answer that ends before them is -EPROTO. */
static int probe_recv(int fd, void *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = recv(fd, (char *)buf + off, len - off, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		if (n == 0)
			return -EPROTO;
		off += (size_t)n;
	}
	return 0;
}

/*
 * The value of use_watchdog in TEXT, the daemon's line of key=value words,
 * into *ON. The key must be there once, at the start of a word, with a
 * decimal value; anything else is -EPROTO. The line starts with the host
 * name sanlock uses, which is free text: a name holding " use_watchdog=1"
 * makes the key appear twice and is refused rather than believed.
 */
static int watchdog_setting_parse(const char *text, bool *on)
{
	static const char key[] = "use_watchdog=";
	const char *p, *found = NULL;
	bool nonzero = false;

	for (p = strstr(text, key); p; p = strstr(p + 1, key)) {
		if (p != text && p[-1] != ' ')
			continue;
		if (found)
			return -EPROTO;
		found = p;
	}
	if (!found)
		return -EPROTO;
	p = found + sizeof(key) - 1;
	if (*p < '0' || *p > '9')
		return -EPROTO;
	for (; *p >= '0' && *p <= '9'; p++)
		nonzero |= *p != '0';
	if (*p != ' ' && *p != '\0')
		return -EPROTO;
	/* sanlock tests the setting for zero alone: any other number is on. */
	*on = nonzero;
	return 0;
}

/* Whether something listens on the stream socket PATH. */
static bool wdmd_listening(const char *path)
{
	int fd;

	if (probe_connect(path, &fd) < 0)
		return false;
	close(fd);
	return true;
}

/* Ask the sanlock daemon at SOCKET_PATH for its use_watchdog into *ON. */
static int sanlock_watchdog_setting(const char *socket_path, bool *on)
{
	struct status_header h = { .magic = STATUS_MAGIC,
				   .version = STATUS_PROTO,
				   .cmd = STATUS_CMD,
				   .length = sizeof(h),
				   .data = STATUS_DAEMON };
	struct status_record r;
	char text[STATUS_TEXT_MAX + 1];
	int fd, rc;

	rc = probe_connect(socket_path, &fd);
	/* No socket, or one nobody listens on: what storage_probe says too. */
	if (rc == -ENOENT || rc == -ECONNREFUSED)
		return -ENOTCONN;
	if (rc < 0)
		return rc;
	rc = probe_send(fd, &h, sizeof(h));
	if (rc == 0)
		rc = probe_recv(fd, &h, sizeof(h));
	if (rc == 0 && h.magic != STATUS_MAGIC)
		rc = -EPROTO;
	if (rc == 0)
		rc = probe_recv(fd, &r, sizeof(r));
	if (rc == 0 && (r.type != STATUS_DAEMON || r.text_len == 0 || r.text_len > STATUS_TEXT_MAX))
		rc = -EPROTO;
	if (rc == 0)
		rc = probe_recv(fd, text, r.text_len);
	/* The daemon closes after its answer; a sanlock that sends more than
	 * asked for (its other records) is simply not read further. */
	close(fd);
	if (rc < 0)
		return rc;
	text[r.text_len] = '\0';
	return watchdog_setting_parse(text, on);
}

int storage_watchdog_probe_at(const char *sanlock_socket, const char *wdmd_socket,
			      bool *has_watchdog)
{
	bool on = false;
	int rc;

	*has_watchdog = false;
	rc = sanlock_watchdog_setting(sanlock_socket, &on);
	if (rc < 0 || !on)
		return rc;
	*has_watchdog = wdmd_listening(wdmd_socket);
	return 0;
}

int storage_watchdog_probe(bool *has_watchdog)
{
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];

	if (sanlock_socket_path(path, sizeof(path)) < 0) {
		*has_watchdog = false;
		return -ENAMETOOLONG;
	}
	return storage_watchdog_probe_at(path, WDMD_SOCKET, has_watchdog);
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
	case -ETIMEDOUT: return "sanlock did not answer in time";
	case -EPROTO: return "sanlock's answer could not be read (an unknown sanlock version?)";
	}
	return strerror(-rc);
}
