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
 * A worker job reads the owner of each running protected VM's lease from
 * the shared storage (one read per VM, off the loop) every
 * LEASECHECK_EVERY_MS, sooner after a suspect. A VM is unleased after two
 * checks in a row find its lease not ours while it ran, with no job of
 * ours on it (a migration moves the lease while the source still lists
 * the VM): it is flagged in our report and told at error level.
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
#define LEASECHECK_TIMEOUT_MS 60000
#define LEASECHECK_MAX WIRE_VM_DOMS_MAX

struct lc_arg {
	char path[HAVM_PATH_MAX + 1];
	uint32_t host_id;
	size_t n;
	struct {
		char name[VMCFG_NAME_MAX + 1];
		uint64_t offset;
	} vms[LEASECHECK_MAX];
};
_Static_assert((LEASECHECK_MAX + 7) / 8 <= WORKER_OUT_MAX, "the result fits a worker's");

/* In the worker child: bit K of OUT set when VM K's lease is not ours:
 * held elsewhere, by nobody, or not even written in its slot (a VM
 * protected while it ran is given its lease only at its next start). A
 * read that fails says nothing. */
static int job_check(void *arg, void *out, size_t *len)
{
	const struct lc_arg *a = arg;
	uint8_t *bits = out;

	*len = (a->n + 7) / 8;
	memset(bits, 0, *len);
	for (size_t k = 0; k < a->n; k++)
		if (lease_held_by(a->path, a->vms[k].name, a->vms[k].offset, a->host_id) == 0)
			bits[k / 8] |= (uint8_t)(1u << (k % 8));
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

static void on_done(struct havmd *h, void *ctx, int status, const void *out, size_t len)
{
	struct vm_state *v = &h->vm;
	const uint8_t *bits = out;
	bool suspect = false;

	(void)ctx;
	v->leasecheck_job = 0;
	if (status < 0 || len < (arg.n + 7) / 8) {
		log_warn("vm: lease check failed error=\"%s\"; trying again later",
			 strerror(status < 0 ? -status : EBADMSG));
		return;
	}
	/* Suspects no longer checked (stopped, gone) are forgotten. */
	for (size_t i = 0; i < v->n_unleased;) {
		bool checked = false;
		for (size_t k = 0; k < arg.n && !checked; k++)
			checked = strcmp(arg.vms[k].name, v->unleased[i].name) == 0;
		if (checked)
			i++;
		else
			drop(v, i);
	}
	for (size_t k = 0; k < arg.n; k++) {
		bool ours = !(bits[k / 8] & (1u << (k % 8)));
		struct vm_unleased *u = find(v, arg.vms[k].name);

		if (ours) {
			if (u && u->strikes >= 2)
				log_notice("vm: vm=%s holds its lease now", arg.vms[k].name);
			if (u)
				drop(v, (size_t)(u - v->unleased));
			continue;
		}
		if (!u && v->n_unleased < LEASECHECK_MAX) {
			u = &v->unleased[v->n_unleased++];
			*u = (struct vm_unleased){ 0 };
			snprintf(u->name, sizeof(u->name), "%s", arg.vms[k].name);
		}
		if (!u)
			continue;
		if (u->strikes < 2 && ++u->strikes == 2) {
			event_record(h, HAVM_EV_VM_UNLEASED, LOG_ERR, h->cluster.local_nodeid,
				     u->name,
				     "reason=\"it runs here without holding its lease, so sanlock "
				     "cannot keep it from running twice: is lock_manager = sanlock "
				     "set in qemu.conf (see conf/libvirt), and was it started by "
				     "havm?\"; it is not started elsewhere before this host is "
				     "proven off");
			v->report_dirty = true;
		}
		suspect = suspect || u->strikes < 2;
	}
	v->leasecheck_next_ms = clock_now_ms() + (suspect ? LEASECHECK_AGAIN_MS : LEASECHECK_EVERY_MS);
}

void vm_leasecheck_tick(struct havmd *h, uint64_t now)
{
	struct vm_state *v = &h->vm;
	struct havmd_snapshot s;
	int rc;

	if (v->leasecheck_job || now < v->leasecheck_next_ms || !v->have_virt || !v->cfg)
		return;
	services_snapshot(h, &s);
	if (s.storage.state != HAVM_STORAGE_JOINED)
		return; /* nothing can hold a lease of ours yet */
	/* Not while jobs run: a failover's starts come first, and a job may
	 * move a lease (a migration's source still lists its VM). */
	for (size_t i = 0; i < VM_JOBS_MAX; i++)
		if (v->jobs[i].used)
			return;
	arg.n = 0;
	snprintf(arg.path, sizeof(arg.path), "%s", h->cfg.storage_path);
	arg.host_id = h->cluster.local_nodeid;
	for (size_t i = 0; i < v->virt->n_doms && arg.n < LEASECHECK_MAX; i++) {
		const struct virt_dom *d = &v->virt->doms[i];
		const struct vm_spec *spec;

		/* Running only: a paused VM gives its lease up (libvirt). */
		if (d->state != VIRT_RUNNING)
			continue;
		spec = vmcfg_find(v->cfg, d->name);
		if (!spec)
			continue; /* not protected: no lease of ours */
		snprintf(arg.vms[arg.n].name, sizeof(arg.vms[arg.n].name), "%s", d->name);
		arg.vms[arg.n++].offset = STORAGE_VM_OFFSET(spec->slot);
	}
	v->leasecheck_next_ms = now + LEASECHECK_EVERY_MS;
	if (arg.n == 0) {
		v->n_unleased = 0;
		return;
	}
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
