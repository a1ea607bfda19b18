/*
 * vm_balancer.c: CPU-load balancing, around lib/vm_balance.c's planner
 * (the balance group of havm.conf).
 *
 * Facts: each host's load and each VM's, from the hosts' reports
 * (vm_load.c), and how long each host has been above the threshold. Every
 * daemon keeps that last one from the same reports (vm_balancer_observe),
 * so `havm balance --dry-run` says on any host what the coordinator
 * would do. The coordinator makes at most one move per pass, then waits
 * balance.window_ms after it ends for the loads to show its effect
 * before the next; a VM moves at most once per balance.cooldown_ms (a
 * failed move too: it is not tried again at once). Nothing moves in
 * cluster maintenance mode, and hosts in maintenance are neither sources
 * nor targets.
 */
#include "vm.h"
#include "clock.h"
#include "events.h"
#include "havmd.h"
#include "log.h"
#include "vm_balance.h"
#include "vm_place.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

static const char *name_of(const struct havmd *h, uint32_t id)
{
	const struct havm_host *c = config_host_by_nodeid(&h->cfg, id);
	return c ? c->name : "?";
}

/* Every daemon, every tick: since when each host is above the threshold. */
void vm_balancer_observe(struct havmd *h, uint64_t now)
{
	struct vm_state *v = &h->vm;

	for (size_t i = 0; i < h->cfg.n_hosts; i++) {
		const struct wire_vm_report *r = vm_coord_report(h, h->cfg.hosts[i].nodeid);
		struct bal_host b = { .cpus = r ? r->cpus : 0, .load_milli = r ? r->load_milli : 0 };

		if (config_balance_on(&h->cfg) && r && balance_host_above(&b, h->cfg.balance_high_pct)) {
			if (!v->hot_since_ms[i])
				v->hot_since_ms[i] = now;
		} else {
			v->hot_since_ms[i] = 0;
		}
	}
}

/* The planner's input as the facts stand. Returns the VMs' count. */
static size_t input(const struct havmd *h, const struct place_host *hosts, size_t n_hosts,
		    const struct place_vm *vms, size_t n, uint64_t now, struct bal_host *bh,
		    struct bal_vm *bv, struct bal_params *p)
{
	const struct vm_state *v = &h->vm;
	uint32_t in_flight = 0;

	for (size_t i = 0; i < n_hosts; i++) {
		const struct wire_vm_report *r = vm_coord_report(h, hosts[i].nodeid);

		bh[i] = (struct bal_host){
			.nodeid = hosts[i].nodeid,
			.eligible = hosts[i].eligible,
			.in_maintenance =
				vmcfg_node_maint(v->cfg, h->cfg.hosts[i].name) != VMCFG_MAINT_OFF,
			.cpus = r ? r->cpus : 0,
			.mem_free_mib = hosts[i].mem_free_mib,
			.vcpus_used = hosts[i].vcpus_used,
			.load_milli = r ? r->load_milli : 0,
			.hot = v->hot_since_ms[i] && now - v->hot_since_ms[i] >= h->cfg.balance_hold_ms,
		};
		snprintf(bh[i].name, sizeof(bh[i].name), "%s", hosts[i].name);
	}
	/* Migrations under way, from and to each host. */
	for (size_t k = 0; k < v->n_track; k++) {
		const struct vm_track *t = &v->track[k];
		if (!t->inflight_id || t->inflight_action != WIRE_VM_MIGRATE)
			continue;
		in_flight++;
		for (size_t i = 0; i < n_hosts; i++) {
			bh[i].moves_out += bh[i].nodeid == t->inflight_host;
			bh[i].moves_in += bh[i].nodeid == t->migrate_to;
		}
	}
	for (size_t e = 0; e < VM_EVAC_MAX; e++) {
		const struct vm_evac *x = &v->evac[e];
		if (!x->used || !x->action_id)
			continue;
		in_flight++;
		for (size_t i = 0; i < n_hosts; i++) {
			bh[i].moves_out += bh[i].nodeid == x->from;
			bh[i].moves_in += bh[i].nodeid == x->to;
		}
	}
	for (size_t k = 0; k < n; k++) {
		const struct vm_track *t = vm_coord_track(h, vms[k].spec->name);
		const struct wire_vm_dom *d = vms[k].where == PLACE_RUNNING
						      ? vm_coord_dom(h, vms[k].host, vms[k].spec->name)
						      : NULL;

		bv[k] = (struct bal_vm){
			.spec = vms[k].spec,
			.host = d ? vms[k].host : 0,
			.load_milli = d ? d->cpu_milli : 0,
			.movable = d && d->state == WIRE_VM_RUNNING && !vms[k].spec->stopped &&
				   (!t || (!t->inflight_id &&
					   (!t->balanced_ms ||
					    now - t->balanced_ms >= h->cfg.balance_cooldown_ms))),
		};
	}
	*p = (struct bal_params){
		.high_pct = h->cfg.balance_high_pct,
		.min_gain_pct = h->cfg.balance_min_gain_pct,
		.max_moves = h->cfg.vms_max_migrations,
		.max_moves_per_host = h->cfg.vms_max_migrations_host,
		.moves_in_flight = in_flight,
		.vcpu_ratio = h->cfg.vms_vcpu_ratio,
	};
	return n;
}

/* Scratch for the planner's input: the coordinator's pass and a
 * document are never built at once (one loop). */
static struct bal_host bh[HAVM_HOSTS_MAX];
static struct bal_vm bv[VMCFG_VMS_MAX];

void vm_balancer_tick(struct havmd *h, const struct place_host *hosts, size_t n_hosts,
		      const struct place_vm *vms, size_t n, uint64_t now)
{
	struct vm_state *v = &h->vm;
	struct bal_params p;
	struct bal_move mv;
	struct vm_track *t;
	uint64_t id;
	int rc;

	if (!config_balance_on(&h->cfg) || v->cfg->maintenance || now < v->balance_not_before_ms)
		return;
	input(h, hosts, n_hosts, vms, n, now, bh, bv, &p);
	rc = balance_plan(bh, n_hosts, bv, n, &p, &mv, v->balance_why, sizeof(v->balance_why));
	if (rc <= 0)
		return;
	t = vm_track_get(h, bv[mv.vm].spec->name);
	if (!t || vm_coord_send_migrate(h, mv.from, mv.to, bv[mv.vm].spec->name, &id) < 0)
		return;
	t->inflight_id = id;
	t->inflight_action = WIRE_VM_MIGRATE;
	t->inflight_host = mv.from;
	t->inflight_ms = now;
	t->migrate_to = mv.to;
	t->migrate_ms = now;
	t->balanced_ms = now;
	t->balance_move = true;
	snprintf(t->move_reason, sizeof(t->move_reason), "%s", mv.reason);
	/* One at a time: the next once this one's effect shows (on_result),
	 * or, should its result be lost, once it would have timed out. */
	v->balance_not_before_ms = now + 615000;
	v->balance_moves++;
	log_notice("vm: balancing vm=%s from=%s to=%s reason=\"%s\"", bv[mv.vm].spec->name,
		   name_of(h, mv.from), name_of(h, mv.to), mv.reason);
}

void vm_balancer_result(struct havmd *h, struct vm_track *t, int rc)
{
	if (!t->balance_move)
		return;
	t->balance_move = false;
	if (rc != 0)
		h->vm.balance_failures++;
	/* Both hosts' loads lag the move (averaged over the window, the
	 * moved VM's from zero at its destination): a fresh hold for each,
	 * and two windows before the next move. */
	for (size_t i = 0; i < h->cfg.n_hosts; i++)
		if (h->cfg.hosts[i].nodeid == t->inflight_host ||
		    h->cfg.hosts[i].nodeid == t->migrate_to)
			h->vm.hot_since_ms[i] = 0;
	h->vm.balance_not_before_ms = clock_now_ms() + 2 * (uint64_t)h->cfg.balance_window_ms;
}

/* A move whose result never came (its host left, or it was forgotten)
 * must not hold the balancer for good. */
void vm_balancer_forgotten(struct havmd *h, struct vm_track *t)
{
	vm_balancer_result(h, t, -ETIMEDOUT);
}

json_object *vm_balancer_doc(struct havmd *h, const struct place_host *hosts, size_t n_hosts,
			     const struct place_vm *vms, size_t n)
{
	struct vm_state *v = &h->vm;
	uint64_t now = clock_now_ms();
	json_object *doc = json_object_new_object(), *ha = json_object_new_array();
	struct bal_params p;
	struct bal_move mv;
	char why[200] = "";
	int rc = 0;

	json_object_object_add(doc, "enabled", json_object_new_boolean(config_balance_on(&h->cfg)));
	json_object_object_add(doc, "high_threshold",
			       json_object_new_int64(h->cfg.balance_high_pct));
	json_object_object_add(doc, "hold_time_ms", json_object_new_int64(h->cfg.balance_hold_ms));
	input(h, hosts, n_hosts, vms, n, now, bh, bv, &p);
	for (size_t i = 0; i < n_hosts; i++) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(bh[i].name));
		json_object_object_add(o, "load_pct",
				       json_object_new_int64((int64_t)(balance_host_ppm(&bh[i]) / 10000)));
		json_object_object_add(o, "hot", json_object_new_boolean(bh[i].hot));
		json_object_object_add(o, "above_ms",
				       json_object_new_int64(v->hot_since_ms[i]
								     ? (int64_t)(now - v->hot_since_ms[i])
								     : 0));
		json_object_array_add(ha, o);
	}
	json_object_object_add(doc, "hosts", ha);
	if (!config_balance_on(&h->cfg))
		snprintf(why, sizeof(why), "balancing is off (no balance group in havm.conf)");
	else if (v->cfg->maintenance)
		snprintf(why, sizeof(why), "cluster maintenance mode");
	else
		rc = balance_plan(bh, n_hosts, bv, n, &p, &mv, why, sizeof(why));
	if (rc > 0) {
		json_object *m = json_object_new_object();
		json_object_object_add(m, "vm", json_object_new_string(bv[mv.vm].spec->name));
		json_object_object_add(m, "from", json_object_new_string(name_of(h, mv.from)));
		json_object_object_add(m, "to", json_object_new_string(name_of(h, mv.to)));
		json_object_object_add(m, "from_pct", json_object_new_int64(mv.from_pct));
		json_object_object_add(m, "from_pct_after", json_object_new_int64(mv.from_pct_after));
		json_object_object_add(m, "to_pct", json_object_new_int64(mv.to_pct));
		json_object_object_add(m, "to_pct_after", json_object_new_int64(mv.to_pct_after));
		json_object_object_add(m, "reason", json_object_new_string(mv.reason));
		json_object_object_add(doc, "move", m);
		json_object_object_add(doc, "why", json_object_new_string(""));
	} else {
		json_object_object_add(doc, "move", NULL);
		json_object_object_add(doc, "why", json_object_new_string(why));
	}
	json_object_object_add(doc, "moves", json_object_new_int64(v->balance_moves));
	json_object_object_add(doc, "failures", json_object_new_int64(v->balance_failures));
	return doc;
}
