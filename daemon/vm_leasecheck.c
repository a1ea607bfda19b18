/*
 * vm_leasecheck.c: every protected VM that runs on this host holds its
 * lease. havm's starts prove it (vm_host.c's job), but a VM can run here
 * without its lease all the same: started by hand from an XML without the
 * <lease>, adopted from before havmd ran, or on a host whose qemu.conf
 * lacks lock_manager = "sanlock". Such a VM is one sanlock cannot keep
 * from running twice, so the coordinator must not count on its lease:
 * with vms.isolation = stop it would otherwise start the VM elsewhere
 * once this host's isolation grace is over, and a host that failed to
 * stop it would run it still.
 *
 * A worker job asks the local sanlock daemon, for each protected VM that
 * runs here with no job of ours on it, whether its qemu process (libvirt's
 * pid file: virt_qemu_pid) holds the VM's lease in havm's lockspace (sanlock_inquire: no
 * storage I/O), every LEASECHECK_EVERY_MS, and again LEASECHECK_AGAIN_MS
 * after a suspect. Two findings in a row make the VM unleased: flagged in
 * our report and told at error level. A check that cannot tell (sanlock
 * not answering, no pid file) changes nothing; results count only while
 * libvirt's list is fresh (the last list of a hung libvirt may
 * name VMs that are gone). The flag stays while the domain is listed
 * in any state but shut off -- a paused qemu that never held its lease
 * resumes without it -- until a check finds the lease held.
 */
#include "vm.h"
#include "clock.h"
#include "events.h"
#include "havmd.h"
#include "log.h"
#include "service.h"
#include "storage.h"
#include "worker.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define LEASECHECK_EVERY_MS 15000
#define LEASECHECK_AGAIN_MS 2000     /* after a suspect: confirm soon */
#define LEASECHECK_TIMEOUT_MS 10000  /* local requests only */
#define LEASECHECK_MAX WIRE_VM_DOMS_MAX
#define LEASECHECK_BUSY_JOBS 4       /* VM jobs under way: a failover comes first */
#define LEASECHECK_FRESH_MS 3000

struct lc_arg {
	size_t n;
	char name[LEASECHECK_MAX][VMCFG_NAME_MAX + 1];
};
#define LC_BITS ((LEASECHECK_MAX + 7) / 8)
/* The result: VM K's bit in NOT_OURS when its qemu does not hold its
 * lease, in UNKNOWN when that could not be told. */
struct lc_out {
	uint8_t not_ours[LC_BITS];
	uint8_t unknown[LC_BITS];
};
_Static_assert(sizeof(struct lc_out) <= WORKER_OUT_MAX, "the result fits a worker's");

static bool bit(const uint8_t *b, size_t k)
{
	return b[k / 8] & (1u << (k % 8));
}

static void set_bit(uint8_t *b, size_t k)
{
	b[k / 8] |= (uint8_t)(1u << (k % 8));
}

/* In the worker child. */
static int job_check(void *arg, void *out, size_t *len)
{
	const struct lc_arg *a = arg;
	struct lc_out *o = out;

	memset(o, 0, sizeof(*o));
	*len = sizeof(*o);
	for (size_t k = 0; k < a->n; k++) {
		int pid = virt_qemu_pid(a->name[k]);
		int held = pid > 0 ? lease_held_by_pid(pid, a->name[k]) : pid;

		if (held < 0)
			set_bit(o->unknown, k);
		else if (held == 0)
			set_bit(o->not_ours, k);
	}
	return 0;
}

static struct vm_unleased *find(struct vm_state *v, const char *name)
{
	for (size_t i = 0; i < v->n_unleased; i++)
		if (strcmp(v->unleased[i].name, name) == 0)
			return &v->unleased[i];
	return NULL;
}

static void drop(struct vm_state *v, size_t i)
{
	v->unleased[i] = v->unleased[--v->n_unleased];
}

static struct lc_arg arg; /* read by the child: a copy */

/* Domain NAME as libvirt lists it now, not shut off; NULL if not. */
static const struct virt_dom *listed(const struct vm_state *v, const char *name)
{
	for (size_t i = 0; i < v->virt->n_doms; i++)
		if (v->virt->doms[i].state != VIRT_SHUTOFF && strcmp(v->virt->doms[i].name, name) == 0)
			return &v->virt->doms[i];
	return NULL;
}

static bool job_on(const struct vm_state *v, const char *name)
{
	for (size_t i = 0; i < VM_JOBS_MAX; i++)
		if (v->jobs[i].used && strcmp(v->jobs[i].vm, name) == 0)
			return true;
	return false;
}

static void on_done(struct havmd *h, void *ctx, int status, const void *out, size_t len)
{
	struct vm_state *v = &h->vm;
	const struct lc_out *o = out;
	bool suspect = false;

	(void)ctx;
	v->leasecheck_job = 0;
	if (!v->unleased)
		return; /* stopping */
	/* Flags of domains gone from libvirt's list go with them. */
	for (size_t i = 0; i < v->n_unleased;)
		if (v->have_virt && v->libvirt_ok && !listed(v, v->unleased[i].name))
			drop(v, i);
		else
			i++;
	if (status < 0 || len < sizeof(*o)) {
		log_warn("vm: lease check failed error=\"%s\"; trying again later",
			 strerror(status < 0 ? -status : EBADMSG));
		return;
	}
	/* Counted only on a fresh list (the monitor reports every second):
	 * a hung libvirt's last list may name VMs that are gone. */
	if (!v->libvirt_ok || clock_now_ms() - v->virt_ms > LEASECHECK_FRESH_MS)
		return;
	for (size_t k = 0; k < arg.n; k++) {
		struct vm_unleased *u = find(v, arg.name[k]);
		const struct virt_dom *d = listed(v, arg.name[k]);

		if (bit(o->unknown, k) || !d || job_on(v, arg.name[k]))
			continue; /* nothing learnt */
		if (bit(o->not_ours, k) && d->state != VIRT_RUNNING)
			continue; /* paused meanwhile: it gave its lease up */
		if (!bit(o->not_ours, k)) {
			if (u && u->strikes >= 2)
				event_record(h, HAVM_EV_VM_UNLEASED, LOG_NOTICE,
					     h->cluster.local_nodeid, u->name,
					     "reason=\"it holds its lease now\"");
			if (u)
				drop(v, (size_t)(u - v->unleased));
			continue;
		}
		if (!u && v->n_unleased < LEASECHECK_MAX) {
			u = &v->unleased[v->n_unleased++];
			*u = (struct vm_unleased){ 0 };
			snprintf(u->name, sizeof(u->name), "%s", arg.name[k]);
		}
		if (!u)
			continue;
		if (u->strikes < 2 && ++u->strikes == 2) {
			event_record(h, HAVM_EV_VM_UNLEASED, LOG_ERR, h->cluster.local_nodeid,
				     u->name,
				     "reason=\"it runs here without holding its lease, so sanlock "
				     "cannot keep it from running twice: started by hand or "
				     "without lock_manager = sanlock in qemu.conf (see "
				     "conf/libvirt), or protected while it ran\"; it is not "
				     "started elsewhere before this host is proven off");
			v->report_dirty = true;
		}
		suspect = suspect || u->strikes < 2;
	}
	if (suspect)
		v->leasecheck_next_ms = clock_now_ms() + LEASECHECK_AGAIN_MS;
}

void vm_leasecheck_tick(struct havmd *h, uint64_t now)
{
	struct vm_state *v = &h->vm;
	struct havmd_snapshot s;
	size_t jobs = 0;
	int rc;

	if (v->leasecheck_job || now < v->leasecheck_next_ms || !v->have_virt || !v->libvirt_ok ||
	    !v->cfg)
		return;
	services_snapshot(h, &s);
	if (s.storage.state != HAVM_STORAGE_JOINED)
		return; /* nothing can hold a lease of ours yet */
	for (size_t i = 0; i < VM_JOBS_MAX; i++)
		jobs += v->jobs[i].used;
	if (jobs >= LEASECHECK_BUSY_JOBS)
		return; /* a failover's starts need the workers */
	arg.n = 0;
	for (size_t i = 0; i < v->virt->n_doms && arg.n < LEASECHECK_MAX; i++) {
		const struct virt_dom *d = &v->virt->doms[i];

		/* Running only: a paused VM has given its lease up (libvirt),
		 * and a job may be moving it (a migration's source). */
		if (d->state != VIRT_RUNNING || job_on(v, d->name) || !vmcfg_find(v->cfg, d->name))
			continue;
		snprintf(arg.name[arg.n++], VMCFG_NAME_MAX + 1, "%s", d->name);
	}
	v->leasecheck_next_ms = now + LEASECHECK_EVERY_MS;
	if (arg.n == 0)
		return;
	rc = worker_start(h, "vm lease check", LEASECHECK_TIMEOUT_MS, job_check, &arg, on_done, NULL,
			  &v->leasecheck_job);
	if (rc < 0)
		log_debug("vm: lease check not started error=\"%s\"", strerror(-rc));
}

bool vm_leasecheck_unleased(const struct havmd *h, const char *name)
{
	for (size_t i = 0; i < h->vm.n_unleased; i++)
		if (h->vm.unleased[i].strikes >= 2 && strcmp(h->vm.unleased[i].name, name) == 0)
			return true;
	return false;
}
