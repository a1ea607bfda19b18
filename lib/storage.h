/*
 * storage.h: havm's area on the shared storage, through sanlock.
 *
 * One file (NFS) or block device (iSCSI), laid out in 1 MiB units (sanlock's
 * alignment for 512-byte sectors, up to 2000 hosts):
 *
 *   0 MiB       lockspace "havm": one delta lease per host id (= corosync
 *               node id), the storage heartbeat
 *   1 MiB       paxos lease "tiebreaker" (the quorum device's vote)
 *   2 MiB + k   paxos lease of VM slot k, k < STORAGE_VM_SLOTS
 *
 * Every call goes to the local sanlock daemon and may wait on the storage:
 * they are for the CLI and for havmd's workers (daemon/worker.h), never for
 * the main loop. Returns are 0 or -errno (sanlock's own negative codes are
 * mapped: see storage_strerror).
 */
#ifndef HAVM_STORAGE_H
#define HAVM_STORAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STORAGE_LOCKSPACE "havm"
#define STORAGE_ALIGN (1024 * 1024)
#define STORAGE_TIEBREAKER "tiebreaker"
#define STORAGE_TIEBREAKER_OFFSET ((uint64_t)1 * STORAGE_ALIGN)
#define STORAGE_VM_SLOTS 1024
#define STORAGE_VM_OFFSET(slot) ((uint64_t)(2 + (slot)) * STORAGE_ALIGN)
#define STORAGE_SIZE STORAGE_VM_OFFSET(STORAGE_VM_SLOTS)
#define STORAGE_HOST_ID_MAX 2000 /* sanlock's limit with 1 MiB alignment */
#define STORAGE_LEASE_NAME_MAX 47 /* a lease's name (a VM's): sanlock keeps 48 bytes */

/*
 * What the area looks like. 0: initialised by havm; -ENOENT: the path does
 * not exist; -ENODATA: it exists but holds no havm lockspace (never
 * initialised); -EBUSY: it holds another program's sanlock lockspace;
 * -ENOTCONN: sanlock is not running;
 * -EIO or other: unreachable or broken.
 */
int storage_probe(const char *path);

/*
 * Initialise the area: the lockspace and the tiebreaker lease (VM slots are
 * written when a VM is protected). A regular file is extended, sparsely, to
 * STORAGE_SIZE. IO_TIMEOUT (seconds) is written into the lockspace (havmd
 * also passes it when joining). Refuses (-EBUSY) an area holding another
 * program's lockspace unless FORCE. Refuses (-EEXIST) an
 * area that already holds a havm lockspace unless FORCE: rewriting it under
 * running hosts would break their leases.
 */
int storage_init(const char *path, uint32_t io_timeout, bool force);

/* Lease NAME at OFFSET: (re)write it empty. */
int lease_create(const char *path, const char *name, uint64_t offset);

/*
 * Make the lease at OFFSET lease NAME, ready for libvirt to acquire: 0 when
 * it already is (nothing is written then, so a holder keeps it); written
 * empty when the slot was never used or holds another name nobody owns;
 * -EBUSY when it holds another name and someone owns it. Called by one
 * daemon at a time (the coordinator) before a VM's first start.
 */
int lease_prepare(const char *path, const char *name, uint64_t offset);

/* Owner of lease NAME at OFFSET: *HOST_ID 0 when free. */
int lease_owner(const char *path, const char *name, uint64_t offset, uint64_t *host_id,
		uint64_t *generation);

/*
 * Whether process PID (a qemu) holds lease NAME in havm's lockspace, as the
 * local sanlock daemon says (no storage I/O): 1 yes; 0 no (PID holds no
 * such lease, or is no sanlock client at all: libvirt without its lock
 * manager); -errno when sanlock cannot tell (not running, busy, PID gone).
 */
int lease_held_by_pid(int pid, const char *name);

/*
 * Free lease NAME at OFFSET held by FENCED_HOST_ID, a host verified powered
 * off, so recovery need not wait out sanlock's host-dead timeout. Refuses
 * (-EBUSY) if another host owns it now: only the fenced host's hold is
 * broken. Safe only because the caller has proof the host is off.
 */
int lease_reclaim_fenced(const char *path, const char *name, uint64_t offset,
			 uint64_t fenced_host_id);

/*
 * Free every lease in havm's area (the tiebreaker and each VM slot) that
 * FENCED_HOST_ID holds: what havmd does once a host is proven off, so that
 * its VMs and the tiebreaker can be taken over at once. *RECLAIMED says how
 * many were freed, *LEASES how many leases were found. Stops at the first
 * write that fails (-errno); slots never written are skipped. With
 * MAX_GENERATION (the sanlock generation of the life proven off; 0 if not
 * known), a lease held under a later generation (the host's next life) is
 * left alone.
 */
int lease_reclaim_all_fenced(const char *path, uint64_t fenced_host_id, uint64_t max_generation,
			     unsigned *reclaimed, unsigned *leases);

/*
 * Whether the local sanlock daemon runs with a watchdog (wdmd), that is,
 * was started with -w 1 (sanlock's default; Debian's /etc/default/sanlock
 * passes -w 0). Only then does sanlock's "dead" for this host mean that a
 * watchdog reset it. *HAS_WATCHDOG is true when sanlock itself reports
 * use_watchdog=1 and wdmd's socket accepts a connection; false otherwise,
 * including when sanlock has the watchdog on but wdmd is not running (it
 * then cannot join a lockspace either).
 *
 * Returns 0, -ENOTCONN when sanlock is not running, -ETIMEDOUT when it
 * does not answer within STORAGE_WATCHDOG_TIMEOUT_MS, -EPROTO when its
 * answer cannot be read, or another -errno; *HAS_WATCHDOG is false
 * whenever the return is not 0. Blocks for at most that timeout (per
 * step); no shell, no child process: for havmd's workers and the CLI.
 */
#define STORAGE_WATCHDOG_TIMEOUT_MS 5000
int storage_watchdog_probe(bool *has_watchdog);

/*
 * The same, asking the sanlock daemon listening on SANLOCK_SOCKET and
 * checking for wdmd at WDMD_SOCKET: for tests, with stand-ins for both.
 */
int storage_watchdog_probe_at(const char *sanlock_socket, const char *wdmd_socket,
			      bool *has_watchdog);

/* Text for a return of the functions above, sanlock codes included. */
const char *storage_strerror(int rc);

#endif
