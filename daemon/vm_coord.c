/*
 * vm_coord.c: the coordinator's reconcile for protected VMs.
 *
 * Every VM_TICK_MS (and when facts change), the coordinator of a quorate,
 * synced partition whose members all hold the same configuration gathers
 * the facts -- the configuration, every member's newest report, what
 * fencing knows of the lost hosts -- into the pure planner's input
 * (lib/vm_place.h), and carries out its verdicts: a start or a stop sent to
 * a host (HAVM_MSG_VM_ACTION), a pending VM told once per reason. Nothing
 * here is needed for safety: a VM's lease, held by its qemu process, is
 * what keeps it from running twice, and a start that would break that
 * fails on the lease. What is here keeps starts from being futile and
 * makes them fast: a VM whose host is lost waits until fencing proved that
 * host off; a VM that may be running on a member whose libvirt has not
 * reported waits for the report.
 *
 * What a coordinator remembers (struct vm_track: actions in flight,
 * back-off, restart counts) only spaces retries: a new coordinator starts
 * without it and decides from the reports, in which the hosts list the
 * starts under way there (WIRE_VM_STARTING), so nothing is started twice.
 */
#include "vm.h"

#include "clock.h"
#include "cluster.h"
#include "events.h"
#include "havmd.h"
#include "log.h"
#include "service.h"
#include "storage.h"
#include "vm_place.h"
#include "worker.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* After a closure, wait this long for our lease reclaim before trying
 * anyway (a coordinator without the fence record never reclaims; sanlock
 * frees a dead host's leases by itself after its host-dead timeout). */
#define LEASE_WAIT_MS 30000
#define START_FAILURES_MAX 6     /* consecutive failed starts before "failed" */
/* vms.isolation = "stop": the VMs of a host lost and not proven off are
 * tried (their leases decide) this long after its isolation grace: by then
 * an isolated host has stopped them and freed their leases. */
#define ISOLATION_MARGIN_MS 10000
#define BACKOFF_MAX_MS 30000
/* A migration's job may take 600 s on its host (vm_host.c): its outcome is
 * waited for a little longer. */
#define MIGRATE_WAIT_MS 615000
#define MOVED_GRACE_MS 10000     /* after a migration's result: reports catch up */

/* Where NAME is, or would go, in the tracks (sorted by name); *FOUND. */
static size_t track_pos(const struct vm_state *v, const char *name, bool *found)
{
	size_t lo = 0, hi = v->n_track;

	*found = false;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(v->track[mid].name, name);
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct vm_track *vm_track_get(struct havmd *h, const char *name)
{
	struct vm_state *v = &h->vm;
	bool found;
	size_t i = track_pos(v, name, &found);

	if (found)
		return &v->track[i];
	if (v->n_track >= VMCFG_VMS_MAX)
		return NULL;
	memmove(&v->track[i + 1], &v->track[i], (v->n_track - i) * sizeof(v->track[0]));
	v->n_track++;
	memset(&v->track[i], 0, sizeof(v->track[0]));
	snprintf(v->track[i].name, sizeof(v->track[i].name), "%s", name);
	return &v->track[i];
}

/* Forget the VMs no longer protected: the table holds at most as many as
 * the configuration, so a VM added after many removals has its place. */
static void track_prune(struct havmd *h)
{
	struct vm_state *v = &h->vm;
	size_t n = 0;

	for (size_t i = 0; i < v->n_track; i++)
		if (vmcfg_find(v->cfg, v->track[i].name)) {
			if (n != i)
				v->track[n] = v->track[i];
			n++;
		}
	v->n_track = n;
}

void vm_track_reset(struct havmd *h, const char *name)
{
	struct vm_track *t;

	if (!h->vm.was_coordinator)
		return;
	t = vm_track_get(h, name);
	if (!t)
		return;
	t->failed = false;
	t->failures = 0;
	t->busy = 0;
	t->failed_host = 0;
	t->crash_restarts = 0;
	t->crash_window_ms = 0;
	t->not_before_ms = 0;
	t->pending_reason[0] = '\0';
}

static const struct vm_track *track_find(const struct havmd *h, const char *name)
{
	bool found;
	size_t i = track_pos(&h->vm, name, &found);

	return found ? &h->vm.track[i] : NULL;
}

static bool in_list(const uint32_t *l, uint32_t id)
{
	for (; l && *l; l++)
		if (*l == id)
			return true;
	return false;
}

static bool is_member(const struct havmd_snapshot *s, uint32_t id)
{
	for (size_t i = 0; i < s->cluster.n_cpg; i++)
		if (s->cluster.cpg_members[i] == id)
			return true;
	return false;
}

/* The report of member ID from its current life, or NULL. */
static const struct wire_vm_report *current_report(const struct havmd *h, uint32_t id)
{
	const struct wire_node_state *ns = node_states_find(&h->states, id);

	for (size_t k = 0; k < WIRE_NODES_MAX; k++) {
		const struct vm_member *m = &h->vm.members[k];
		if (m->have && m->nodeid == id)
			return ns && ns->incarnation == m->r.incarnation ? &m->r : NULL;
	}
	return NULL;
}

static const struct wire_vm_dom *report_dom(const struct wire_vm_report *r, const char *name)
{
	for (size_t i = 0; r && i < r->n_doms; i++)
		if (strcmp(r->doms[i].name, name) == 0)
			return &r->doms[i];
	return NULL;
}

const struct wire_vm_report *vm_coord_report(const struct havmd *h, uint32_t host)
{
	return current_report(h, host);
}

const struct vm_track *vm_coord_track(const struct havmd *h, const char *vm)
{
	return track_find(h, vm);
}

const struct wire_vm_dom *vm_coord_dom(const struct havmd *h, uint32_t host, const char *vm)
{
	return report_dom(current_report(h, host), vm);
}

static bool host_is_open(const struct havmd_snapshot *s, const struct havmd *h, uint32_t id)
{
	for (size_t i = 0; i < h->cfg.n_hosts; i++)
		if (h->cfg.hosts[i].nodeid == id)
			return s->host_open[i];
	return false;
}

/* A domain in this state may hold the VM's lease: it counts as running. */
static bool dom_holds(const struct wire_vm_dom *d)
{
	return d && d->state != WIRE_VM_SHUTOFF && d->state != WIRE_VM_CRASHED;
}

/* Where the VM was last reported, by the newest of the members' reports
 * that list it (the reports of hosts that left are kept); 0 if none does. */
static uint32_t last_seen(const struct havmd *h, const char *name)
{
	const struct vm_member *best = NULL;

	for (size_t k = 0; k < WIRE_NODES_MAX; k++) {
		const struct vm_member *m = &h->vm.members[k];
		if (m->have && dom_holds(report_dom(&m->r, name)) &&
		    (!best || m->recv_ms > best->recv_ms))
			best = m;
	}
	return best ? best->nodeid : 0;
}

/* In the quorum membership (corosync runs there) but not in our group:
 * its havmd is stopped or restarting, and its VMs most likely still run. */
static bool in_quorum(const struct havmd_snapshot *s, uint32_t id)
{
	for (size_t i = 0; i < s->cluster.n_quorum; i++)
		if (s->cluster.quorum_members[i] == id)
			return true;
	return false;
}

static int host_index(const struct havmd *h, uint32_t id)
{
	for (size_t i = 0; i < h->cfg.n_hosts; i++)
		if (h->cfg.hosts[i].nodeid == id)
			return (int)i;
	return -1;
}

static const char *host_name(const struct havmd *h, uint32_t id)
{
	int i = host_index(h, id);
	return i >= 0 ? h->cfg.hosts[i].name : "?";
}

/* The last report of host ID (of any life) flags VM as running there
 * without holding its lease. */
static bool reported_unleased(const struct havmd *h, uint32_t id, const char *vm)
{
	for (size_t k = 0; k < WIRE_NODES_MAX; k++) {
		const struct vm_member *m = &h->vm.members[k];
		const struct wire_vm_dom *d = m->have && m->nodeid == id ? report_dom(&m->r, vm) : NULL;
		if (d)
			return d->flags & WIRE_VM_DOM_UNLEASED;
	}
	return false;
}

/* The last report of host ID (of any life) lists a protected VM that may
 * run: a host in maintenance without one holds no VM that could be
 * anywhere else (it was emptied before it went down). */
static bool reported_protected(const struct havmd *h, uint32_t id)
{
	for (size_t k = 0; k < WIRE_NODES_MAX; k++) {
		const struct vm_member *m = &h->vm.members[k];
		if (!m->have || m->nodeid != id)
			continue;
		for (size_t i = 0; i < m->r.n_doms; i++)
			if (dom_holds(&m->r.doms[i]) && vmcfg_find(h->vm.cfg, m->r.doms[i].name))
				return true;
		return false;
	}
	return true; /* never reported: it may run anything */
}

/* vms.isolation = "stop" and host I lost long enough that, if it is
 * isolated rather than dead, it has stopped its VMs. */
static bool isolation_over(const struct havmd *h, int i, uint64_t now)
{
	return i >= 0 && h->cfg.vms_isolation == HAVM_ISOLATION_STOP && h->vm.host_lost_ms[i] &&
	       now - h->vm.host_lost_ms[i] > h->cfg.vms_isolation_grace_ms + ISOLATION_MARGIN_MS;
}

static void fill_host(const struct havmd *h, const struct havmd_snapshot *s, size_t i,
		      const uint32_t *fail, struct place_host *p)
{
	const struct havm_host *hc = &h->cfg.hosts[i];
	const struct wire_vm_report *r = current_report(h, hc->nodeid);

	memset(p, 0, sizeof(*p));
	p->nodeid = hc->nodeid;
	snprintf(p->name, sizeof(p->name), "%s", hc->name);
	if (r) {
		/*
		 * Free for VMs: the host's memory less what its VMs were given,
		 * not libvirt's free memory: qemu allocates a guest's memory as
		 * the guest touches it, so free memory overstates room, and it
		 * moves with the page cache, which would make placements differ
		 * from one pass (or one `havm plan`) to the next.
		 */
		uint64_t given = 0;

		p->cpus = r->cpus;
		for (size_t k = 0; k < r->n_doms; k++)
			if (dom_holds(&r->doms[k])) {
				p->vcpus_used += r->doms[k].vcpus;
				given += r->doms[k].memory_mib;
				p->n_vms++;
			}
		p->mem_free_mib = r->mem_total_mib > given ? r->mem_total_mib - given : 0;
	}
	if (in_list(fail, hc->nodeid))
		snprintf(p->why_not, sizeof(p->why_not), "taken as failed");
	else if (vmcfg_node_maint(h->vm.cfg, hc->name) != VMCFG_MAINT_OFF)
		snprintf(p->why_not, sizeof(p->why_not), "in maintenance");
	else if (!is_member(s, hc->nodeid) && in_quorum(s, hc->nodeid))
		snprintf(p->why_not, sizeof(p->why_not), "its havmd is not running");
	else if (!is_member(s, hc->nodeid))
		snprintf(p->why_not, sizeof(p->why_not), "not in the cluster");
	else if (!r)
		snprintf(p->why_not, sizeof(p->why_not), "no report from its havmd yet");
	else if (!(r->flags & WIRE_VM_REPORT_LIBVIRT))
		snprintf(p->why_not, sizeof(p->why_not), "libvirt not answering");
	else if (!(r->flags & WIRE_VM_REPORT_WARM))
		snprintf(p->why_not, sizeof(p->why_not), "libvirt warming up");
	else if (!(r->flags & WIRE_VM_REPORT_LOCKSPACE))
		snprintf(p->why_not, sizeof(p->why_not),
			 "not joined to the storage lockspace yet (about 20 s after start, "
			 "80 s after a power loss)");
	else if (r->cfg_version != h->vm.cfg->version || r->cfg_hash != h->vm.cfg_hash)
		snprintf(p->why_not, sizeof(p->why_not), "holds another configuration version");
	else
		p->eligible = true;
}

/* SPEC's memory and vCPUs taken on host ID (a start or a migration sent
 * there, not yet in its report). */
void vm_coord_hold_room(const struct havmd *h, struct place_host *hosts, uint32_t id,
		      const struct vm_spec *spec)
{
	int i = host_index(h, id);
	struct place_host *ph = i >= 0 ? &hosts[i] : NULL;

	if (!ph)
		return;
	ph->mem_free_mib = ph->mem_free_mib > spec->memory_mib ? ph->mem_free_mib - spec->memory_mib
							       : 0;
	ph->vcpus_used += spec->vcpus;
	ph->n_vms++;
}

void vm_coord_input(const struct havmd *h, const struct havmd_snapshot *s, const uint32_t *fail,
		    struct place_host *hosts, size_t *n_hosts, struct place_vm *vms,
		    struct vm_spec *specs, uint64_t now)
{
	const struct vm_config *c = h->vm.cfg;
	uint32_t open_host = 0, unknown_host = 0;
	bool unknown[HAVM_HOSTS_MAX] = { false };

	*n_hosts = h->cfg.n_hosts;
	for (size_t i = 0; i < h->cfg.n_hosts; i++) {
		uint32_t id = h->cfg.hosts[i].nodeid;
		const struct wire_vm_report *r = current_report(h, id);

		fill_host(h, s, i, fail, &hosts[i]);
		if (in_list(fail, id))
			continue;
		/*
		 * A host whose domains are not known may run anything: a member
		 * whose libvirt has not listed them in this life, or a host
		 * where corosync runs but havmd does not (stopped, restarting:
		 * its VMs run on without it).
		 */
		if ((is_member(s, id) && (!r || !(r->flags & WIRE_VM_REPORT_LISTED))) ||
		    (!is_member(s, id) && in_quorum(s, id))) {
			unknown[i] = true;
			if (!unknown_host)
				unknown_host = id;
		}
		/* A VM whose last place is unknown may be on any lost host: it
		 * waits for all of them (past their isolation grace, or
		 * proven off). */
		if (s->host_open[i] && !open_host && !isolation_over(h, (int)i, now) &&
		    !(vmcfg_node_maint(c, h->cfg.hosts[i].name) != VMCFG_MAINT_OFF &&
		      !reported_protected(h, id)))
			open_host = id;
	}
	for (size_t k = 0; k < c->n_vms; k++) {
		const struct vm_spec *spec = &c->vms[k];
		const struct vm_track *t = track_find(h, spec->name);
		struct place_vm *pv = &vms[k];
		uint32_t where = 0, seen = 0;
		int hi;

		specs[k] = *spec;
		memset(pv, 0, sizeof(*pv));
		pv->spec = &specs[k];
		/* Running first: during a live migration the destination lists
		 * the VM too (paused, incoming) until it takes over. */
		for (int pass = 0; pass < 2 && !where; pass++)
			for (size_t i = 0; i < h->cfg.n_hosts && !where; i++) {
				uint32_t id = h->cfg.hosts[i].nodeid;
				const struct wire_vm_dom *d =
					report_dom(current_report(h, id), spec->name);
				if (is_member(s, id) && !in_list(fail, id) && dom_holds(d) &&
				    (pass == 1 || d->state == WIRE_VM_RUNNING))
					where = id;
			}
		/* Just migrated: where it went, while the source's report may
		 * still list it (it lags up to a second). */
		if (where && t && t->moved_ms && now - t->moved_ms < MOVED_GRACE_MS &&
		    where != t->moved_to && in_list(fail, t->moved_to))
			where = 0; /* it is on a host taken as failed: down */
		else if (where && t && t->moved_ms && now - t->moved_ms < MOVED_GRACE_MS &&
			 where != t->moved_to && is_member(s, t->moved_to) &&
			 dom_holds(report_dom(current_report(h, t->moved_to), spec->name)))
			where = t->moved_to;
		if (where) {
			pv->where = PLACE_RUNNING;
			pv->host = where;
			continue;
		}
		pv->where = PLACE_DOWN;
		if (spec->stopped)
			continue;
		/* A host that left with an action on it under way may run it,
		 * even if no report of its said so yet. */
		seen = t && t->lost_with ? t->lost_with : last_seen(h, spec->name);
		if (!seen && t)
			seen = t->last_host;
		hi = host_index(h, seen);
#define BLOCK(...) (pv->where = PLACE_BLOCKED, snprintf(pv->blocked, sizeof(pv->blocked), __VA_ARGS__))
		if (fail && in_list(fail, seen)) {
			/* A plan: the failed host is taken as proven off. */
		} else if (t && t->failed) {
			BLOCK("failed: restarted too often (see havm events); `havm vm start %s` "
			      "tries again",
			      spec->name);
		} else if (t && t->moved_ms && now - t->moved_ms < MOVED_GRACE_MS &&
			   !in_list(fail, t->moved_to)) {
			BLOCK("just migrated to %s; waiting for its report", host_name(h, t->moved_to));
		} else if (t && t->inflight_id) {
			BLOCK("%s on %s",
			      t->inflight_action == WIRE_VM_MIGRATE ? "being migrated from"
								    : "being started",
			      host_name(h, t->inflight_host));
		} else if (t && now < t->not_before_ms) {
			BLOCK("retrying in %llu s after: %.50s",
			      (unsigned long long)((t->not_before_ms - now + 999) / 1000),
			      t->last_reason);
		} else if (hi >= 0 && unknown[hi]) {
			BLOCK("cannot tell whether %s still runs it (%s)", h->cfg.hosts[hi].name,
			      is_member(s, seen) ? "its libvirt has not reported"
						 : "its havmd is not running");
		} else if (hi >= 0 && !is_member(s, seen) && s->host_open[hi] &&
			   /* A VM that ran there without its lease: if the host
			    * failed to stop it, nothing else would keep a second
			    * copy from starting. Only proof the host is off does. */
			   (!isolation_over(h, hi, now) || reported_unleased(h, seen, spec->name))) {
			BLOCK("its host %s is lost; waiting until it is proven off%s",
			      h->cfg.hosts[hi].name,
			      h->cfg.vms_isolation != HAVM_ISOLATION_STOP ? ""
			      : reported_unleased(h, seen, spec->name)
				      ? " (it ran there without its lease: isolation is not enough)"
				      : " or has stopped it (isolation)");
		} else if (hi >= 0 && !is_member(s, seen) && s->host_closed[hi] &&
			   !s->host_leases_free[hi] &&
			   (s->host_reclaiming[hi] || now - h->vm.host_closed_ms[hi] < LEASE_WAIT_MS)) {
			BLOCK("its host %s is proven off; its leases are being reclaimed",
			      h->cfg.hosts[hi].name);
		} else if (!seen && unknown_host) {
			BLOCK("last place unknown; cannot tell whether %s runs it",
			      host_name(h, unknown_host));
		} else if (!seen && open_host) {
			BLOCK("last place unknown; waiting until lost host %s is proven off",
			      host_name(h, open_host));
		}
#undef BLOCK
		/* A start sent and not yet in its target's report: its memory
		 * and vCPUs are taken there already, or the next pass could
		 * fill that host twice. */
		if (pv->where == PLACE_BLOCKED && t && t->inflight_id &&
		    t->inflight_action == WIRE_VM_START)
			vm_coord_hold_room(h, hosts, t->inflight_host, spec);
		/* A migration under way: its destination holds the VM's memory
		 * and vCPUs already, or a pass could fill it twice. */
		if (pv->where == PLACE_RUNNING && t && t->inflight_id &&
		    t->inflight_action == WIRE_VM_MIGRATE && t->migrate_to &&
		    !report_dom(current_report(h, t->migrate_to), spec->name))
			vm_coord_hold_room(h, hosts, t->migrate_to, spec);
		if (pv->where != PLACE_DOWN || !t)
			continue;
		/* Stopped or crashed where it ran, on a host still here: start it
		 * there again (its restart budget allows), else elsewhere. */
		if (seen && is_member(s, seen) && t->crash_restarts > 0) {
			if (t->crash_restarts <= spec->max_restarts && specs[k].n_prefer < VMCFG_HOSTS_MAX) {
				memmove(&specs[k].prefer[1], &specs[k].prefer[0],
					specs[k].n_prefer * sizeof(specs[k].prefer[0]));
				snprintf(specs[k].prefer[0], sizeof(specs[k].prefer[0]), "%s",
					 host_name(h, seen));
				specs[k].n_prefer++;
			} else {
				pv->exclude[0] = seen;
			}
		}
		if (t->failed_host && t->failures && !pv->exclude[0])
			pv->exclude[0] = t->failed_host;
	}
}


/* One more stop where it ran: how many within its restart window. */
static uint32_t crash_count(struct vm_track *t, const struct vm_spec *spec, uint64_t now)
{
	if (!t->crash_window_ms || now - t->crash_window_ms > (uint64_t)spec->restart_window_s * 1000) {
		t->crash_window_ms = now;
		t->crash_restarts = 0;
	}
	return ++t->crash_restarts;
}

static uint64_t backoff_ms(uint32_t n)
{
	uint64_t ms = 1000;
	while (n-- > 1 && ms < BACKOFF_MAX_MS)
		ms *= 2;
	return ms > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : ms;
}

static int send_action_to(struct havmd *h, uint8_t action, uint32_t target, uint32_t dest,
			  const char *vm, uint64_t *id)
{
	static uint8_t buf[HAVM_WIRE_MSG_MAX];
	struct wire_vm_action a = {
		/* Unique across coordinator lives: a late result of another
		 * life's action never settles one of ours. */
		.id = h->incarnation * 1000000 + ++h->vm.next_action,
		.coordinator_inc = h->incarnation, .target = target, .dest = dest,
		.action = action, .cfg_version = h->vm.cfg->version,
	};
	int n;

	snprintf(a.vm, sizeof(a.vm), "%s", vm);
	n = wire_vm_action_encode(buf, sizeof(buf), &a);
	if (n > 0)
		n = cluster_send(h, buf, (size_t)n);
	if (n < 0)
		return n;
	*id = a.id;
	return 0;
}

int vm_coord_send_migrate(struct havmd *h, uint32_t from, uint32_t to, const char *vm,
			  uint64_t *id)
{
	return send_action_to(h, WIRE_VM_MIGRATE, from, to, vm, id);
}

static int send_action(struct havmd *h, uint8_t action, uint32_t target, const char *vm,
		       uint64_t *id)
{
	return send_action_to(h, action, target, 0, vm, id);
}

/* Follow what the reports show: VMs that stopped running where they ran
 * (a crash, a guest shutdown, a host lost), actions that took effect. A
 * VM counts as stopped where it ran only when that host's report of the
 * same life lists its domains without it, or the host left: a havmd that
 * restarts, or a libvirt that has not listed yet, says nothing. */
static void observe(struct havmd *h, const struct havmd_snapshot *s, const struct place_vm *vms,
		    size_t n, uint64_t now)
{
	for (size_t k = 0; k < n; k++) {
		const struct vm_spec *spec = vms[k].spec;
		struct vm_track *t = vm_track_get(h, spec->name);
		const struct wire_vm_report *r;
		bool gone;
		uint32_t was;

		if (!t)
			continue;
		/* An action whose host left: its result never comes. The VM
		 * then waits for that host as for any host it may run on
		 * (proven off, or its isolation grace), not for a timeout. */
		/* A migration's destination that left may run it too. */
		if (t->inflight_id && t->inflight_action == WIRE_VM_MIGRATE && t->migrate_to &&
		    !is_member(s, t->migrate_to)) {
			log_info("vm: the destination of the migration of vm=%s left host=%s; "
				 "waiting for it",
				 spec->name, host_name(h, t->migrate_to));
			t->lost_with = t->migrate_to;
			t->inflight_id = 0;
			vm_balancer_forgotten(h, t);
		}
		if (t->inflight_id && !is_member(s, t->inflight_host)) {
			log_info("vm: the host of an action on vm=%s left host=%s; waiting for it",
				 spec->name, host_name(h, t->inflight_host));
			t->lost_with = t->inflight_host;
			t->inflight_id = 0;
			vm_balancer_forgotten(h, t);
		}
		if (t->inflight_id &&
		    now - t->inflight_ms > (t->inflight_action == WIRE_VM_MIGRATE
						    ? MIGRATE_WAIT_MS
						    : h->cfg.vms_start_timeout_ms + 15000)) {
			log_warn("vm: no outcome for the action on vm=%s host=%s; forgetting it",
				 spec->name, host_name(h, t->inflight_host));
			t->inflight_id = 0;
			vm_balancer_forgotten(h, t);
		}
		/* Just migrated: until the reports catch up (the source's may
		 * list it a moment more, the destination's not yet), it runs at
		 * its destination, and its absence is no crash. */
		bool settling = t->moved_ms && now - t->moved_ms < MOVED_GRACE_MS;
		if (settling && (vms[k].where != PLACE_RUNNING || vms[k].host != t->moved_to))
			continue;
		if (vms[k].where == PLACE_RUNNING) {
			const struct wire_vm_dom *d;

			r = current_report(h, vms[k].host);
			d = report_dom(r, spec->name);
			/* A start under way holds its place (nothing else may
			 * start it) but is not running yet: it may still fail. */
			if (d && d->state == WIRE_VM_STARTING)
				continue;
			if (t->inflight_id && t->inflight_action == WIRE_VM_START &&
			    vms[k].host == t->inflight_host) {
				/* Seen running before its result came: the start is
				 * done; the result, when it comes, is not ours then. */
				t->inflight_id = 0;
				t->failures = 0;
				t->busy = 0;
				t->failed_host = 0;
				event_record(h, HAVM_EV_VM_STARTED, LOG_NOTICE, vms[k].host, spec->name,
					     "elapsed_ms=%llu",
					     (unsigned long long)(now - t->inflight_ms));
			}
			t->running_on = vms[k].host;
			t->running_inc = r ? r->incarnation : 0;
			t->last_host = vms[k].host;
			/* A lost host that may run it (a migration's destination)
			 * is waited for until it is proven off or back, whatever
			 * the source lists meanwhile. */
			if (t->lost_with && !host_is_open(s, h, t->lost_with))
				t->lost_with = 0;
			continue;
		}
		if (!t->running_on)
			continue;
		/* Moving: gone from its source before its destination lists it. */
		if (t->inflight_id && t->inflight_action == WIRE_VM_MIGRATE)
			continue;
		was = t->running_on;
		gone = !is_member(s, was) && !in_quorum(s, was);
		r = current_report(h, was);
		if (!gone && (!r || !(r->flags & WIRE_VM_REPORT_LISTED) ||
			      r->incarnation != t->running_inc))
			continue; /* not known yet whether it still runs there */
		t->running_on = 0;
		if (spec->stopped || (t->inflight_id && t->inflight_action == WIRE_VM_STOP))
			continue;
		/* Crashes count toward the restart limit; a lost host does not
		 * (its VMs are not at fault). */
		if (!gone)
			t->crash_restarts = crash_count(t, spec, now);
		event_record(h, HAVM_EV_VM_LOST, gone ? LOG_NOTICE : LOG_WARNING, was, spec->name,
			     "reason=\"%s\"%s",
			     gone ? "its host left the cluster"
				  : "it stopped running there (crash or shutdown)",
			     !gone && t->crash_restarts > spec->max_restarts + 1
				     ? "; restart limit reached"
				     : "");
		if (gone)
			continue;
		if (t->crash_restarts > spec->max_restarts + 1) {
			t->failed = true;
			event_record(h, HAVM_EV_VM_FAILED, LOG_ERR, was, spec->name,
				     "reason=\"stopped %u times within %u s\"; left stopped until "
				     "`havm vm start %s`",
				     t->crash_restarts, spec->restart_window_s, spec->name);
		} else {
			t->not_before_ms = now + backoff_ms(t->crash_restarts);
			snprintf(t->last_reason, sizeof(t->last_reason),
				 "it stopped on %s (restart %u of %u in place)", host_name(h, was),
				 t->crash_restarts, spec->max_restarts);
		}
	}
}

/* ---- lease slots --------------------------------------------------------
 * A VM's lease must be written in its slot, under its name, before libvirt
 * can acquire it. Only the coordinator writes them, in one job at a time,
 * so two writers never race on a slot; lease_prepare writes nothing when
 * the slot already holds the VM's lease (a holder keeps it), and refuses a
 * slot whose previous VM's lease is still held (a VM removed while it ran).
 */
#define PREPARE_MAX 64

struct prepare_job {
	char path[HAVM_PATH_MAX + 1];
	size_t n;
	char name[PREPARE_MAX][VMCFG_NAME_MAX + 1];
	uint32_t slot[PREPARE_MAX];
};

struct prepare_out {
	int32_t rc[PREPARE_MAX];
};
_Static_assert(sizeof(struct prepare_out) <= WORKER_OUT_MAX, "prepare result fits");

static int job_prepare(void *arg, void *out, size_t *len)
{
	const struct prepare_job *j = arg;
	struct prepare_out *o = out;

	for (size_t i = 0; i < j->n; i++)
		o->rc[i] = lease_prepare(j->path, j->name[i], STORAGE_VM_OFFSET(j->slot[i]));
	*len = sizeof(*o);
	return 0;
}

static void on_prepare_done(struct havmd *h, void *ctx, int status, const void *out, size_t len)
{
	const struct prepare_job *j = ctx;
	const struct prepare_out *o = out;
	uint64_t now = clock_now_ms();

	h->vm.prepare_job = 0;
	if (!h->vm.was_coordinator)
		return; /* our tracks are gone: the next coordinator prepares */
	for (size_t i = 0; i < j->n; i++) {
		struct vm_track *t = vm_track_get(h, j->name[i]);
		int rc = status ? status : len == sizeof(*o) ? o->rc[i] : -EIO;

		if (!t)
			continue;
		if (rc == 0) {
			t->lease_ready = true;
			continue;
		}
		t->failures++;
		t->not_before_ms = now + backoff_ms(t->failures);
		snprintf(t->last_reason, sizeof(t->last_reason),
			 rc == -EBUSY ? "lease slot %u still holds another VM's lease, held"
				      : "lease slot %u cannot be written: %s",
			 j->slot[i], strerror(-rc));
		log_warn("vm: cannot prepare the lease of vm=%s slot=%u error=\"%s\"", j->name[i],
			 j->slot[i], strerror(-rc));
	}
	services_facts_changed(h);
}

static void prepare_leases(struct havmd *h, const char *const *names, const uint32_t *slots,
			   size_t n)
{
	static struct prepare_job job; /* read by the child: a copy */
	int rc;

	if (h->vm.prepare_job || n == 0)
		return;
	memset(&job, 0, sizeof(job));
	snprintf(job.path, sizeof(job.path), "%s", h->cfg.storage_path);
	for (size_t i = 0; i < n && i < PREPARE_MAX; i++) {
		snprintf(job.name[i], sizeof(job.name[i]), "%s", names[i]);
		job.slot[i] = slots[i];
		job.n++;
	}
	rc = worker_start(h, "vm lease prepare", 60000, job_prepare, &job, on_prepare_done, &job,
			  &h->vm.prepare_job);
	if (rc < 0)
		log_warn("vm: cannot start the lease prepare job error=\"%s\"; retrying",
			 strerror(-rc));
}

/* Tell a pending VM's reason once per change of reason. */
static void tell_pending(struct havmd *h, struct vm_track *t, const char *vm, const char *reason)
{
	if (strcmp(t->pending_reason, reason) == 0)
		return;
	snprintf(t->pending_reason, sizeof(t->pending_reason), "%s", reason);
	event_record(h, HAVM_EV_VM_PENDING, LOG_NOTICE, 0, vm, "reason=\"%s\"", reason);
}

/*
 * Every member has reported since the last membership change: a report
 * sent before it (a start under way, not yet listed) may be older than
 * what that host does now, and a coordinator that just took over must not
 * decide on it.
 */
static bool reports_fresh(const struct havmd *h)
{
	for (size_t i = 0; i < h->cluster.n_cpg; i++) {
		uint32_t id = h->cluster.cpg_members[i];
		bool ok = false;

		for (size_t k = 0; k < WIRE_NODES_MAX && !ok; k++) {
			const struct vm_member *m = &h->vm.members[k];
			ok = m->have && m->nodeid == id && m->view_seq == h->vm.view_seq;
		}
		if (!ok)
			return false;
	}
	return true;
}

static bool may_act(const struct havmd *h)
{
	return h->vm.on && h->cluster.up && h->cluster.coordinator != 0 &&
	       h->cluster.coordinator == h->cluster.local_nodeid && cluster_synced(h) &&
	       vmcfg_sync_agreed(h) && reports_fresh(h);
}

void vm_coord_tick(struct havmd *h, uint64_t now)
{
	static struct place_host hosts[HAVM_HOSTS_MAX];
	static struct place_vm vms[VMCFG_VMS_MAX];
	static struct vm_spec specs[VMCFG_VMS_MAX];
	static struct place_result out[VMCFG_VMS_MAX];
	struct vm_state *v = &h->vm;
	struct havmd_snapshot s;
	struct place_params p = {
		.max_starts = h->cfg.vms_max_parallel_starts, .vcpu_ratio = h->cfg.vms_vcpu_ratio,
	};
	size_t n_hosts = 0, n = v->cfg->n_vms;

	/* When each lost host was first seen lost, and proven off: kept on
	 * every pass, acting or not, so that a coordinator that takes over
	 * (or resumes) counts the isolation grace from the real loss. */
	services_snapshot(h, &s);
	vm_balancer_observe(h, now);
	if (vmcfg_sync_agreed_ex(h, v->joined_ms && now - v->joined_ms < 60000))
		v->disagree_since_ms = 0;
	else if (!v->disagree_since_ms)
		v->disagree_since_ms = now;
	for (size_t i = 0; i < h->cfg.n_hosts; i++) {
		if (!s.host_open[i])
			v->host_lost_ms[i] = 0;
		else if (!v->host_lost_ms[i] || v->cfg->maintenance)
			/* In cluster maintenance mode a host does not apply its
			 * isolation response: its grace counts from the end. */
			v->host_lost_ms[i] = now;
		if (s.host_closed[i] && !s.host_leases_free[i]) {
			if (!v->host_closed_ms[i])
				v->host_closed_ms[i] = now;
		} else {
			v->host_closed_ms[i] = 0;
		}
	}
	if (!may_act(h)) {
		if (v->was_coordinator && h->cluster.coordinator != h->cluster.local_nodeid) {
			/* Another coordinator (or none) decides now; what we
			 * tracked would be stale when we are again. A pause
			 * while we stay coordinator (a join, a configuration
			 * being synchronised) keeps it. */
			v->n_track = 0;
			v->was_coordinator = false;
			v->balance_not_before_ms = 0;
			memset(v->evac, 0, sizeof(v->evac));
			memset(v->evac_moved, 0, sizeof(v->evac_moved));
		}
		return;
	}
	if (!v->was_coordinator) {
		log_info("vm: acting as coordinator for vms=%zu", n);
		v->was_coordinator = true;
		/* Moves of the previous coordinator may be under way still. */
		v->balance_not_before_ms = now + h->cfg.balance_window_ms;
	}
	track_prune(h);
	vm_coord_input(h, &s, NULL, hosts, &n_hosts, vms, specs, now);
	observe(h, &s, vms, n, now);
	/* observe may have changed back-offs and limits: decide on the latest. */
	vm_coord_input(h, &s, NULL, hosts, &n_hosts, vms, specs, now);
	for (size_t k = 0; k < v->n_track; k++)
		if (v->track[k].inflight_id && v->track[k].inflight_action == WIRE_VM_START)
			p.starts_in_flight++;
	place_plan(hosts, n_hosts, vms, n, &p, out);
	const char *prep_names[PREPARE_MAX];
	uint32_t prep_slots[PREPARE_MAX];
	size_t n_prep = 0;
	for (size_t k = 0; k < n; k++) {
		const char *name = vms[k].spec->name;
		struct vm_track *t = vm_track_get(h, name);
		uint64_t id;
		int rc;

		if (!t)
			continue;
		switch (out[k].verdict) {
		case PLAN_KEEP:
			t->pending_reason[0] = '\0';
			break;
		case PLAN_PENDING:
			tell_pending(h, t, name, out[k].reason);
			break;
		case PLAN_START:
		case PLAN_STOP: {
			uint8_t action = out[k].verdict == PLAN_START ? WIRE_VM_START : WIRE_VM_STOP;
			uint32_t target = out[k].verdict == PLAN_START ? out[k].host : vms[k].host;

			if (t->inflight_id)
				break; /* a stop under way */
			if (v->cfg->maintenance) {
				tell_pending(h, t, name,
					     "cluster maintenance mode: nothing is started or "
					     "stopped until `havm cluster maintenance off`");
				break;
			}
			/* Prepared by this coordinator before its first start here,
			 * even if it ran before: a VM protected while it ran, or a
			 * slot changed by a remove and an add, may have no lease in
			 * its slot yet (lease_prepare writes nothing when it has). */
			if (!t->lease_ready && action == WIRE_VM_START) {
				if (n_prep < PREPARE_MAX) {
					prep_names[n_prep] = name;
					prep_slots[n_prep++] = vms[k].spec->slot;
				}
				tell_pending(h, t, name, "preparing its lease on the shared storage");
				break;
			}
			rc = send_action(h, action, target, name, &id);
			if (rc < 0) {
				log_warn("vm: cannot send an action vm=%s error=\"%s\"; retrying",
					 name, strerror(-rc));
				break;
			}
			t->inflight_id = id;
			t->inflight_action = action;
			t->inflight_host = target;
			t->inflight_ms = now;
			t->pending_reason[0] = '\0';
			if (action == WIRE_VM_START)
				vm_coord_hold_room(h, hosts, target, vms[k].spec);
			if (action == WIRE_VM_START)
				event_record(h, HAVM_EV_VM_PLACED, LOG_NOTICE, target, name,
					     "reason=\"%s\" priority=%d", out[k].reason,
					     vms[k].spec->priority);
			else
				log_notice("vm: stopping vm=%s host=%s reason=\"state=stopped\"", name,
					   host_name(h, target));
			break;
		}
		}
	}
	prepare_leases(h, prep_names, prep_slots, n_prep);
	vm_evac_tick(h, hosts, n_hosts, vms, n, now);
	if (!v->cfg->maintenance)
		vm_coord_migrations(h, hosts, n_hosts, vms, n, now);
	vm_balancer_tick(h, hosts, n_hosts, vms, n, now);
}

void vm_coord_on_result(struct havmd *h, const struct wire_vm_result *r, uint32_t from)
{
	struct vm_track *t = h->vm.was_coordinator ? (struct vm_track *)track_find(h, r->vm) : NULL;
	uint64_t now = clock_now_ms();
	uint64_t took = t && t->inflight_id == r->id ? now - t->inflight_ms : 0;

	if (!t && h->vm.was_coordinator && vm_evac_on_result(h, r, from))
		return; /* an unprotected VM moved off a host in maintenance */
	if (!t || t->inflight_id != r->id || t->inflight_host != from)
		return; /* not ours (another coordinator's, or forgotten) */
	t->inflight_id = 0;
	if (r->action == WIRE_VM_MIGRATE) {
		vm_evac_result(h, r->vm, from, r->rc, r->message);
		vm_balancer_result(h, t, r->rc);
		/* Not retried, not counted: the VM runs on where it was. */
		if (r->rc == 0 && t->migrate_to) {
			/* It runs there now, whatever the reports say yet: a
			 * destination that lags, or leaves, must not read as a
			 * crash at the source. */
			const struct wire_vm_report *dr = current_report(h, t->migrate_to);
			t->running_on = t->last_host = t->migrate_to;
			t->running_inc = dr ? dr->incarnation : 0;
			t->moved_to = t->migrate_to;
			t->moved_ms = now;
		}
		if (r->rc == -EALREADY) {
			/* The host runs one for it already (a previous
			 * coordinator's): its end shows in the reports. */
			log_info("vm: migration of vm=%s refused by host=%s: an action on it is "
				 "under way there",
				 r->vm, host_name(h, from));
			t->migrate_to = 0;
			t->move_reason[0] = '\0';
			return;
		}
		if (r->rc == 0)
			event_record(h, HAVM_EV_VM_MIGRATED, LOG_NOTICE, t->migrate_to, r->vm,
				     "from=%s elapsed_ms=%llu%s%s%s", host_name(h, from),
				     (unsigned long long)took, t->move_reason[0] ? " reason=\"" : "",
				     t->move_reason, t->move_reason[0] ? "\"" : "");
		else
			event_record(h, HAVM_EV_VM_FAILED, LOG_WARNING, from, r->vm,
				     "action=migrate to=%s error=\"%s\"; it runs on here",
				     host_name(h, t->migrate_to), r->message);
		t->migrate_to = 0;
		t->move_reason[0] = '\0';
		return;
	}
	if (r->rc == 0) {
		t->failures = 0;
		t->busy = 0;
		t->failed_host = 0;
		if (r->action == WIRE_VM_START) {
			t->running_on = from;
			t->last_host = from;
			event_record(h, HAVM_EV_VM_STARTED, LOG_NOTICE, from, r->vm,
				     "elapsed_ms=%llu", (unsigned long long)took);
		} else {
			/* Stopped by us: gone from its host is no crash, even if
			 * it is to run again by the time a pass sees it gone. */
			t->running_on = 0;
			event_record(h, HAVM_EV_VM_STOPPED, LOG_NOTICE, from, r->vm, "reason=\"state=stopped\"");
		}
		return;
	}
	/*
	 * A lease held elsewhere is not the VM's fault, and it ends: a dead
	 * host's lease is freed by our reclaim or by sanlock after its
	 * host-dead timeout. Such failures only space the retries; others
	 * count toward START_FAILURES_MAX.
	 */
	/* -EAGAIN: the host had no room for another job; like a lease held
	 * elsewhere, not the VM's fault and not the host's. */
	bool transient = r->rc == -EBUSY || r->rc == -EAGAIN || r->rc == -EALREADY;

	if (transient)
		t->busy++;
	else
		t->failures++;
	if (r->rc != -EAGAIN)
		t->failed_host = from;
	t->not_before_ms = now + backoff_ms(transient ? t->busy : t->failures);
	/* Prepared again before the next start: the failure may be the lease. */
	if (r->action == WIRE_VM_START)
		t->lease_ready = false;
	if (transient) {
		char why[160];
		snprintf(why, sizeof(why),
			 r->rc == -EBUSY ? "its lease is held by another host (start on %s refused); "
					   "retrying"
					 : "%s had no room for another job; retrying",
			 host_name(h, from));
		tell_pending(h, t, r->vm, why);
	} else if (r->action == WIRE_VM_START && t->failures >= START_FAILURES_MAX) {
		t->failed = true;
		event_record(h, HAVM_EV_VM_FAILED, LOG_ERR, from, r->vm,
			     "reason=\"%u starts failed in a row, the last: %s\"; left stopped "
			     "until `havm vm start %s`",
			     t->failures, r->message, r->vm);
	} else {
		event_record(h, HAVM_EV_VM_FAILED, LOG_WARNING, from, r->vm,
			     "action=%s host=%s error=\"%s\" retry_in_ms=%llu",
			     r->action == WIRE_VM_START ? "start" : "stop", host_name(h, from),
			     r->message, (unsigned long long)(t->not_before_ms - now));
	}
}

/*
 * An operator's `havm vm migrate` (HAVM_MSG_VM_REQUEST, from any member):
 * judged again here, since any process in the group could send one; the
 * reconcile carries it out (migrations(), below) and a failure is not
 * retried: the VM runs on where it was.
 */
void vm_coord_on_request(struct havmd *h, const struct wire_vm_request *r, uint32_t from)
{
	struct vm_track *t;

	if (!h->vm.was_coordinator || h->cluster.coordinator != h->cluster.local_nodeid)
		return;
	if (!vmcfg_find(h->vm.cfg, r->vm) || !config_host_by_nodeid(&h->cfg, r->dest)) {
		log_warn("vm: dropped a migration request for an unknown VM or host vm=%s dest=%u "
			 "from=%u",
			 r->vm, r->dest, from);
		return;
	}
	t = vm_track_get(h, r->vm);
	if (!t)
		return;
	t->request_to = r->dest;
	t->request_ms = clock_now_ms();
	log_notice("vm: migration requested vm=%s to=%s from_nodeid=%u", r->vm,
		   host_name(h, r->dest), from);
}

/* Requested migrations of VMs that run: one action each, from where the
 * VM runs, once the destination can take VMs. */
void vm_coord_migrations(struct havmd *h, struct place_host *hosts, size_t n_hosts,
			 const struct place_vm *vms, size_t n, uint64_t now)
{
	for (size_t k = 0; k < n; k++) {
		struct vm_track *t = vm_track_get(h, vms[k].spec->name);
		bool eligible = false;
		uint64_t id;

		if (!t || !t->request_to || t->inflight_id)
			continue;
		if (now - t->request_ms > 600000 || vms[k].where != PLACE_RUNNING ||
		    vms[k].host == t->request_to) {
			if (vms[k].where != PLACE_RUNNING || now - t->request_ms > 600000)
				log_warn("vm: migration of vm=%s to %s given up: it %s",
					 vms[k].spec->name, host_name(h, t->request_to),
					 vms[k].where != PLACE_RUNNING ? "does not run"
								       : "waited too long");
			t->request_to = 0;
			continue;
		}
		for (size_t i = 0; i < n_hosts; i++)
			if (hosts[i].nodeid == t->request_to)
				eligible = hosts[i].eligible &&
					   hosts[i].mem_free_mib >= vms[k].spec->memory_mib;
		for (size_t i = 0; eligible && i < vms[k].spec->n_avoid; i++)
			eligible = strcmp(vms[k].spec->avoid[i], host_name(h, t->request_to)) != 0;
		if (!eligible || !vm_evac_may_migrate(h, vms[k].host, t->request_to))
			continue; /* until it can take it, or the request expires */
		if (send_action_to(h, WIRE_VM_MIGRATE, vms[k].host, t->request_to,
				   vms[k].spec->name, &id) < 0)
			continue;
		t->inflight_id = id;
		t->inflight_action = WIRE_VM_MIGRATE;
		t->inflight_host = vms[k].host;
		t->inflight_ms = now;
		t->migrate_to = t->request_to;
		t->migrate_ms = now;
		t->request_to = 0;
		/* Its room there is taken from now on, for the rest of this pass. */
		vm_coord_hold_room(h, hosts, t->migrate_to, vms[k].spec);
		log_notice("vm: migrating vm=%s from=%s to=%s", vms[k].spec->name,
			   host_name(h, vms[k].host), host_name(h, t->migrate_to));
	}
}
