/*
 * vm_evac.c: hosts in maintenance are emptied by live migration.
 *
 * Level-triggered like the rest of the reconcile: each pass looks at what
 * runs on every host the cluster configuration has in maintenance (its
 * protected VMs; with maintenance=on its other domains too) and moves what
 * it may now. Where each VM goes is lib/vm_place.c's answer with those VMs
 * taken as down and the host as ineligible -- the same rules and the same
 * order (priority first) as a failover, and what `havm plan --fail` shows.
 * A new coordinator finishes an evacuation from the hosts' reports.
 *
 * Migrations are capped cluster-wide and per host (vms.max_parallel_
 * migrations, vms.max_migrations_per_host). A VM whose migration fails is
 * tried again after a back-off; after EVAC_TELL_AFTER failures in a row it
 * is named at error level, and status keeps naming it with the last error,
 * while it is still tried every EVAC_RETRY_MAX_MS: an evacuation never
 * hangs without saying why. Nothing is ever stopped to empty a host.
 *
 * Memory (the entries below) only spaces retries and names what is stuck;
 * losing it (a new coordinator) costs a retry, never a wrong move.
 */
#include "vm.h"
#include "clock.h"
#include "cluster.h"
#include "events.h"
#include "havmd.h"
#include "log.h"
#include "service.h"
#include "vm_place.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define EVAC_RETRY_MS 5000
#define EVAC_RETRY_MAX_MS 60000
#define EVAC_TELL_AFTER 3
#define EVAC_EXTRA WIRE_VM_DOMS_MAX /* unprotected domains of hosts in maintenance */

struct vm_evac *vm_evac_find(const struct havmd *h, const char *vm)
{
	for (size_t i = 0; i < VM_EVAC_MAX; i++)
		if (h->vm.evac[i].used && strcmp(h->vm.evac[i].vm, vm) == 0)
			return (struct vm_evac *)&h->vm.evac[i];
	return NULL;
}

static struct vm_evac *evac_get(struct havmd *h, const char *vm, uint32_t from)
{
	struct vm_evac *e = vm_evac_find(h, vm);

	for (size_t i = 0; !e && i < VM_EVAC_MAX; i++)
		if (!h->vm.evac[i].used) {
			e = &h->vm.evac[i];
			*e = (struct vm_evac){ .used = true };
			snprintf(e->vm, sizeof(e->vm), "%.*s", VMCFG_NAME_MAX, vm);
		}
	if (e && e->from != from) {
		/* Another host's maintenance now: its history is not this one's. */
		*e = (struct vm_evac){ .used = true, .from = from };
		snprintf(e->vm, sizeof(e->vm), "%.*s", VMCFG_NAME_MAX, vm);
	}
	return e;
}

/* Migrations under way: cluster-wide when HOST is 0, else from or to HOST. */
static uint32_t moving(const struct havmd *h, uint32_t host)
{
	uint32_t n = 0;

	for (size_t k = 0; k < h->vm.n_track; k++) {
		const struct vm_track *t = &h->vm.track[k];
		if (t->inflight_id && t->inflight_action == WIRE_VM_MIGRATE &&
		    (!host || t->inflight_host == host || t->migrate_to == host))
			n++;
	}
	for (size_t i = 0; i < VM_EVAC_MAX; i++) {
		const struct vm_evac *e = &h->vm.evac[i];
		if (e->used && e->action_id && (!host || e->from == host || e->to == host))
			n++;
	}
	return n;
}

bool vm_evac_may_migrate(const struct havmd *h, uint32_t from, uint32_t to)
{
	return moving(h, 0) < h->cfg.vms_max_migrations &&
	       moving(h, from) < h->cfg.vms_max_migrations_host &&
	       moving(h, to) < h->cfg.vms_max_migrations_host;
}

static bool cluster_is_member(const struct havmd *h, uint32_t id)
{
	for (size_t i = 0; i < h->cluster.n_cpg; i++)
		if (h->cluster.cpg_members[i] == id)
			return true;
	return false;
}

static const char *name_of(const struct havmd *h, uint32_t id)
{
	const struct havm_host *c = config_host_by_nodeid(&h->cfg, id);
	return c ? c->name : "?";
}

/* Back-off after N failures in a row. */
static uint64_t retry_ms(uint32_t n)
{
	uint64_t ms = EVAC_RETRY_MS;
	while (n-- > 1 && ms < EVAC_RETRY_MAX_MS)
		ms *= 2;
	return ms < EVAC_RETRY_MAX_MS ? ms : EVAC_RETRY_MAX_MS;
}

void vm_evac_result(struct havmd *h, const char *vm, uint32_t from, int rc, const char *msg)
{
	struct vm_evac *e = vm_evac_find(h, vm);
	uint64_t now = clock_now_ms();

	if (!e || e->from != from)
		return;
	e->action_id = 0;
	if (rc == 0) {
		e->failures = 0;
		e->error[0] = '\0';
		e->moved_ms = now;
		for (size_t i = 0; i < h->cfg.n_hosts; i++)
			if (h->cfg.hosts[i].nodeid == from)
				h->vm.evac_moved[i]++;
		return;
	}
	e->failures++;
	e->not_before_ms = now + retry_ms(e->failures);
	snprintf(e->error, sizeof(e->error), "%s", msg);
	if (e->failures == EVAC_TELL_AFTER)
		event_record(h, HAVM_EV_VM_FAILED, LOG_ERR, from, vm,
			     "action=migrate reason=\"cannot leave %s for its maintenance: %u "
			     "migrations failed, the last: %s\"; tried again every %u s",
			     name_of(h, from), e->failures, msg, EVAC_RETRY_MAX_MS / 1000);
}

/* For an unprotected VM's migration (no track entry): ours to settle. */
bool vm_evac_on_result(struct havmd *h, const struct wire_vm_result *r, uint32_t from)
{
	struct vm_evac *e = vm_evac_find(h, r->vm);
	uint64_t took;

	if (!e || !e->action_id || e->action_id != r->id || e->from != from)
		return false;
	took = clock_now_ms() - e->action_ms;
	if (r->rc == 0)
		event_record(h, HAVM_EV_VM_MIGRATED, LOG_NOTICE, e->to, r->vm,
			     "from=%s elapsed_ms=%llu reason=\"maintenance of %s\"", name_of(h, from),
			     (unsigned long long)took, name_of(h, from));
	else
		event_record(h, HAVM_EV_VM_FAILED, LOG_WARNING, from, r->vm,
			     "action=migrate to=%s error=\"%s\"; it runs on here", name_of(h, e->to),
			     r->message);
	vm_evac_result(h, r->vm, from, r->rc, r->message);
	return true;
}

/* Forget what no longer stands: VMs gone from hosts in maintenance. */
static void evac_prune(struct havmd *h, const bool *still, size_t n_still_names,
		       const char (*names)[VMCFG_NAME_MAX + 1])
{
	for (size_t i = 0; i < VM_EVAC_MAX; i++) {
		struct vm_evac *e = &h->vm.evac[i];
		bool keep = false;

		if (!e->used || e->action_id)
			continue;
		for (size_t k = 0; k < n_still_names && !keep; k++)
			keep = still[k] && strcmp(names[k], e->vm) == 0;
		if (!keep)
			*e = (struct vm_evac){ 0 };
	}
}

void vm_evac_tick(struct havmd *h, struct place_host *hosts, size_t n_hosts,
		  const struct place_vm *vms, size_t n, uint64_t now)
{
	static struct place_vm ev[VMCFG_VMS_MAX + EVAC_EXTRA];
	static struct vm_spec extra[EVAC_EXTRA];
	static struct place_result out[VMCFG_VMS_MAX + EVAC_EXTRA];
	static bool cand[VMCFG_VMS_MAX + EVAC_EXTRA];
	static char names[VMCFG_VMS_MAX + EVAC_EXTRA][VMCFG_NAME_MAX + 1];
	const struct vm_config *c = h->vm.cfg;
	struct place_params p = { .vcpu_ratio = h->cfg.vms_vcpu_ratio };
	size_t total = n, n_extra = 0;

	/* Actions on unprotected VMs whose host left, or that never ended. */
	for (size_t i = 0; i < VM_EVAC_MAX; i++) {
		struct vm_evac *e = &h->vm.evac[i];
		if (e->used && e->action_id &&
		    (now - e->action_ms > VM_INFLIGHT_MS * 7 || !cluster_is_member(h, e->from)))
			e->action_id = 0;
	}
	if (c->n_nodes == 0) {
		memset(h->vm.evac, 0, sizeof(h->vm.evac));
		return;
	}
	memcpy(ev, vms, n * sizeof(*vms));
	memset(cand, 0, sizeof(cand));
	for (size_t k = 0; k < n; k++) {
		const char *host = ev[k].where == PLACE_RUNNING ? name_of(h, ev[k].host) : "";

		snprintf(names[k], sizeof(names[k]), "%s", ev[k].spec->name);
		if (ev[k].where != PLACE_RUNNING || ev[k].spec->stopped ||
		    vmcfg_node_maint(c, host) == VMCFG_MAINT_OFF ||
		    !cluster_is_member(h, ev[k].host))
			continue;
		cand[k] = true;
		ev[k].where = PLACE_DOWN; /* to be placed elsewhere */
	}
	/* maintenance=on: the host's other domains too. */
	for (size_t i = 0; i < c->n_nodes; i++) {
		const struct havm_host *hc = config_host_by_name(&h->cfg, c->nodes[i].name);
		const struct wire_vm_report *r;

		if (!hc || c->nodes[i].maint != VMCFG_MAINT_ALL || !cluster_is_member(h, hc->nodeid))
			continue;
		r = vm_coord_report(h, hc->nodeid);
		for (size_t d = 0; r && d < r->n_doms && n_extra < EVAC_EXTRA; d++) {
			const struct wire_vm_dom *dom = &r->doms[d];
			struct vm_spec *s = &extra[n_extra];

			if (vmcfg_find(c, dom->name) || dom->state == WIRE_VM_SHUTOFF ||
			    dom->state == WIRE_VM_CRASHED || dom->state == WIRE_VM_STOPPING)
				continue;
			vmcfg_spec_init(s, dom->name);
			s->memory_mib = dom->memory_mib;
			s->vcpus = dom->vcpus;
			s->priority = VMCFG_PRIORITY_MIN; /* protected VMs first */
			ev[total] = (struct place_vm){ .spec = s, .where = PLACE_DOWN };
			cand[total] = true;
			snprintf(names[total], sizeof(names[total]), "%s", dom->name);
			n_extra++;
			total++;
		}
	}
	/* Those under way stay where they are, counted there. */
	for (size_t k = 0; k < total; k++) {
		const struct vm_track *t = k < n ? vm_coord_track(h, ev[k].spec->name) : NULL;
		const struct vm_evac *e = vm_evac_find(h, names[k]);

		/* Moved a moment ago: the source's report may list it still. */
		bool moved = (t && t->moved_ms && now - t->moved_ms < 10000) ||
			     (e && e->moved_ms && now - e->moved_ms < 10000);

		if (cand[k] && ((t && t->inflight_id) || (e && e->action_id) || moved)) {
			ev[k].where = PLACE_BLOCKED;
			snprintf(ev[k].blocked, sizeof(ev[k].blocked), "being moved");
		}
	}
	place_plan(hosts, n_hosts, ev, total, &p, out);
	evac_prune(h, cand, total, (const char(*)[VMCFG_NAME_MAX + 1])names);
	if (c->maintenance)
		return; /* cluster maintenance mode: told, not done */
	for (size_t k = 0; k < total; k++) {
		uint32_t from = k < n ? vms[k].host : 0;
		struct vm_track *t = NULL;
		struct vm_evac *e;
		uint64_t id;

		if (!cand[k] || ev[k].where == PLACE_BLOCKED)
			continue;
		if (k >= n) {
			/* An unprotected domain: the host whose report lists it. */
			for (size_t i = 0; i < c->n_nodes && !from; i++) {
				const struct havm_host *hc = config_host_by_name(&h->cfg, c->nodes[i].name);
				const struct wire_vm_report *r = hc ? vm_coord_report(h, hc->nodeid) : NULL;
				for (size_t d = 0; r && d < r->n_doms && !from; d++)
					if (strcmp(r->doms[d].name, names[k]) == 0)
						from = hc->nodeid;
			}
		} else {
			t = vm_track_get(h, names[k]);
		}
		e = evac_get(h, names[k], from);
		if (!e || !from)
			continue;
		if (out[k].verdict != PLAN_START) {
			snprintf(e->error, sizeof(e->error), "%s", out[k].reason);
			continue;
		}
		if (now < e->not_before_ms || !vm_evac_may_migrate(h, from, out[k].host))
			continue;
		if (vm_coord_send_migrate(h, from, out[k].host, names[k], &id) < 0)
			continue;
		e->to = out[k].host;
		e->action_ms = now;
		/* Its room there is taken for the rest of this pass (the
		 * balancer's comes after). */
		vm_coord_hold_room(h, hosts, out[k].host, ev[k].spec);
		if (t) {
			/* Protected: the reconcile's own in-flight action. */
			t->inflight_id = id;
			t->inflight_action = WIRE_VM_MIGRATE;
			t->inflight_host = from;
			t->inflight_ms = now;
			t->migrate_to = out[k].host;
			t->migrate_ms = now;
			snprintf(t->move_reason, sizeof(t->move_reason), "maintenance of %s",
				 name_of(h, from));
		} else {
			e->action_id = id;
		}
		log_notice("vm: migrating vm=%s from=%s to=%s reason=\"maintenance of %s; %s\"",
			   names[k], name_of(h, from), name_of(h, out[k].host), name_of(h, from),
			   out[k].reason);
	}
}
