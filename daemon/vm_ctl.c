/*
 * vm_ctl.c: the control socket's VM requests.
 *
 * Documents (HAVM_MSG_DOC_REQ) are built afresh for every chunk asked for
 * and sent in chunks of WIRE_CHUNK_MAX; the reply's id is a hash of the
 * whole document, so a client that gets chunks of two different documents
 * (the cluster changed between two requests) starts again. JSON is built
 * with json-c, so every string in it is valid UTF-8 and escaped.
 * Changes (HAVM_MSG_VMCFG_REQ) arrive in chunks too, gathered per
 * connection; the whole text goes to vmcfg_sync_submit.
 */
#include "vm.h"

#include "clock.h"
#include "cluster.h"
#include "ctl_server.h"
#include "havmd.h"
#include "log.h"
#include "service.h"
#include "vm_place.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UPLOAD_STALE_MS 30000

static uint64_t fnv1a(const char *s, size_t n)
{
	uint64_t x = 14695981039346656037ULL;
	for (size_t i = 0; i < n; i++) {
		x ^= (unsigned char)s[i];
		x *= 1099511628211ULL;
	}
	return x;
}

static const char *host_name_of(const struct havmd *h, uint32_t id)
{
	const struct havm_host *c = config_host_by_nodeid(&h->cfg, id);
	return c ? c->name : "";
}

static void add_str(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v));
}

static void add_int(json_object *o, const char *k, int64_t v)
{
	json_object_object_add(o, k, json_object_new_int64(v));
}

static json_object *names_array(const char (*names)[VMCFG_NAME_MAX + 1], size_t n)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_string(names[i]));
	return a;
}

/* Parse "kvm1,kvm2" into node ids (0-ended). 0, or -EINVAL with ERR. */
static int parse_fail(const struct havmd *h, const char *arg, uint32_t *fail, char *err, size_t cap)
{
	char buf[WIRE_TEXT_MAX + 1], *save = NULL, *tok;
	size_t n = 0;

	snprintf(buf, sizeof(buf), "%s", arg);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		const struct havm_host *c = config_host_by_name(&h->cfg, tok);
		if (!c) {
			snprintf(err, cap, "no host named \"%s\" in havm.conf", tok);
			return -EINVAL;
		}
		if (n >= HAVM_HOSTS_MAX)
			break;
		fail[n++] = c->nodeid;
	}
	fail[n] = 0;
	return 0;
}

/*
 * Host I's maintenance into O: "maintenance" ("on", "protected", "off")
 * and, when in maintenance, "evacuation": what is still to leave it (from
 * the reports: any host can tell), what moves now and what cannot move
 * and why (the coordinator's memory: elsewhere empty).
 */
static void maintenance_doc(const struct havmd *h, size_t i, const struct place_vm *vms,
			    size_t n, json_object *o)
{
	const struct havm_host *hc = &h->cfg.hosts[i];
	enum vmcfg_maint m = vmcfg_node_maint(h->vm.cfg, hc->name);
	const struct wire_vm_report *r = vm_coord_report(h, hc->nodeid);
	json_object *ev, *moving, *blocked;
	int64_t left = 0;

	add_str(o, "maintenance", m == VMCFG_MAINT_ALL	      ? "on"
				  : m == VMCFG_MAINT_PROTECTED ? "protected"
							       : "off");
	if (m == VMCFG_MAINT_OFF)
		return;
	for (size_t k = 0; k < h->vm.cfg->n_nodes; k++)
		if (strcmp(h->vm.cfg->nodes[k].name, hc->name) == 0)
			add_str(o, "evacuated_vms", h->vm.cfg->nodes[k].vms);
	ev = json_object_new_object();
	moving = json_object_new_array();
	blocked = json_object_new_array();
	for (size_t k = 0; k < n; k++)
		left += vms[k].where == PLACE_RUNNING && vms[k].host == hc->nodeid &&
			!vms[k].spec->stopped;
	for (size_t d = 0; r && m == VMCFG_MAINT_ALL && d < r->n_doms; d++)
		left += !vmcfg_find(h->vm.cfg, r->doms[d].name) &&
			r->doms[d].state != WIRE_VM_SHUTOFF && r->doms[d].state != WIRE_VM_CRASHED;
	for (size_t e = 0; e < VM_EVAC_MAX; e++) {
		const struct vm_evac *x = &h->vm.evac[e];
		const struct vm_track *t;

		if (!x->used || x->from != hc->nodeid)
			continue;
		t = vm_coord_track(h, x->vm);
		if (x->action_id || (t && t->inflight_id && t->inflight_action == WIRE_VM_MIGRATE)) {
			json_object_array_add(moving, json_object_new_string(x->vm));
		} else if (x->error[0]) {
			json_object *b = json_object_new_object();
			add_str(b, "vm", x->vm);
			add_str(b, "why", x->error);
			add_int(b, "failures", x->failures);
			json_object_array_add(blocked, b);
		}
	}
	add_int(ev, "left", left);
	add_int(ev, "moved", h->vm.evac_moved[i]);
	json_object_object_add(ev, "moving", moving);
	json_object_object_add(ev, "blocked", blocked);
	json_object_object_add(o, "evacuation", ev);
}

/* The VMs' state and placement now (FAIL NULL) or if FAIL failed: the
 * same input and planner as the coordinator's. */
static json_object *vms_doc(const struct havmd *h, const uint32_t *fail)
{
	static struct place_host hosts[HAVM_HOSTS_MAX];
	static struct place_vm vms[VMCFG_VMS_MAX];
	static struct vm_spec specs[VMCFG_VMS_MAX];
	static struct place_result out[VMCFG_VMS_MAX];
	const struct vm_config *c = h->vm.cfg;
	struct place_params p = { .vcpu_ratio = h->cfg.vms_vcpu_ratio };
	struct havmd_snapshot s;
	json_object *doc = json_object_new_object(), *ha = json_object_new_array(),
		    *va = json_object_new_array(), *n1 = json_object_new_object();
	size_t n_hosts = 0, worst;
	uint32_t worst_host = 0;
	char names[512];

	services_snapshot(h, &s);
	vm_coord_input(h, &s, fail, hosts, &n_hosts, vms, specs, clock_now_ms());
	if (!fail)
		p.max_starts = h->cfg.vms_max_parallel_starts;
	place_plan(hosts, n_hosts, vms, c->n_vms, &p, out);
	add_int(doc, "version", (int64_t)c->version);
	add_int(doc, "coordinator", h->cluster.coordinator);
	json_object_object_add(doc, "maintenance_mode", json_object_new_boolean(c->maintenance));
	for (size_t i = 0; i < n_hosts; i++) {
		json_object *o = json_object_new_object();
		add_str(o, "name", hosts[i].name);
		add_int(o, "nodeid", hosts[i].nodeid);
		json_object_object_add(o, "eligible", json_object_new_boolean(hosts[i].eligible));
		add_str(o, "why_not", hosts[i].why_not);
		add_int(o, "mem_free_mib", (int64_t)hosts[i].mem_free_mib);
		add_int(o, "cpus", hosts[i].cpus);
		add_int(o, "vms", hosts[i].n_vms);
		{
			const struct wire_vm_report *r = vm_coord_report(h, hosts[i].nodeid);
			add_int(o, "load_pct", r && r->cpus ? (int64_t)r->load_milli / (r->cpus * 10) : 0);
		}
		maintenance_doc(h, i, vms, c->n_vms, o);
		json_object_array_add(ha, o);
	}
	for (size_t k = 0; k < c->n_vms; k++) {
		const struct vm_spec *sp = &c->vms[k];
		json_object *o = json_object_new_object();
		const char *status;

		const struct wire_vm_dom *d =
			vms[k].where == PLACE_RUNNING ? vm_coord_dom(h, vms[k].host, sp->name) : NULL;

		switch (out[k].verdict) {
		case PLAN_KEEP:
			/* Listed while its start runs: not running yet. */
			status = vms[k].where != PLACE_RUNNING ? "stopped"
				 : d && d->state == WIRE_VM_STARTING ? "starting"
				 : d && d->state == WIRE_VM_PAUSED    ? "paused"
								      : "running";
			break;
		case PLAN_START:
			status = fail ? "would-start" : "starting";
			break;
		case PLAN_STOP:
			status = "stopping";
			break;
		default:
			status = strncmp(vms[k].blocked, "failed", 6) == 0 ? "failed" : "pending";
			break;
		}
		add_str(o, "name", sp->name);
		add_str(o, "state", sp->stopped ? "stopped" : "started");
		add_str(o, "status", status);
		add_str(o, "host", vms[k].where == PLACE_RUNNING ? host_name_of(h, vms[k].host) : "");
		add_str(o, "target", out[k].verdict == PLAN_START ? host_name_of(h, out[k].host) : "");
		/* Running without its lease (its host's lease check): nothing
		 * keeps a second copy from starting elsewhere. */
		json_object_object_add(o, "unleased",
				       json_object_new_boolean(d && (d->flags & WIRE_VM_DOM_UNLEASED)));
		add_str(o, "reason", out[k].verdict == PLAN_KEEP ? "" : out[k].reason);
		add_int(o, "cpu_pct", d ? d->cpu_milli / 10 : 0);
		add_int(o, "priority", sp->priority);
		add_int(o, "memory_mib", sp->memory_mib);
		add_int(o, "vcpus", sp->vcpus);
		add_int(o, "slot", sp->slot);
		add_str(o, "xml", sp->xml);
		json_object_object_add(o, "prefer", names_array(sp->prefer, sp->n_prefer));
		json_object_object_add(o, "avoid", names_array(sp->avoid, sp->n_avoid));
		add_str(o, "anti_affinity", sp->group);
		add_int(o, "max_restarts", sp->max_restarts);
		add_int(o, "restart_window", sp->restart_window_s);
		json_object_array_add(va, o);
	}
	json_object_object_add(doc, "hosts", ha);
	json_object_object_add(doc, "vms", va);
	if (!fail) {
		struct place_params q = { .vcpu_ratio = h->cfg.vms_vcpu_ratio };
		worst = place_check_n1(hosts, n_hosts, vms, c->n_vms, &q, &worst_host, names,
				       sizeof(names));
		json_object_object_add(n1, "ok", json_object_new_boolean(worst == 0));
		add_str(n1, "worst_host", worst ? host_name_of(h, worst_host) : "");
		add_int(n1, "short", (int64_t)worst);
		add_str(n1, "vms", worst ? names : "");
		json_object_object_add(doc, "n_plus_one", n1);
	} else {
		json_object_put(n1);
	}
	return doc;
}

/* What the balancer would do now, from the same facts as the coordinator. */
static json_object *balance_doc(struct havmd *h)
{
	static struct place_host hosts[HAVM_HOSTS_MAX];
	static struct place_vm vms[VMCFG_VMS_MAX];
	static struct vm_spec specs[VMCFG_VMS_MAX];
	struct havmd_snapshot s;
	size_t n_hosts = 0;

	services_snapshot(h, &s);
	vm_coord_input(h, &s, NULL, hosts, &n_hosts, vms, specs, clock_now_ms());
	return vm_balancer_doc(h, hosts, n_hosts, vms, h->vm.cfg->n_vms);
}

void vm_ctl_doc(struct havmd *h, qb_ipcs_connection_t *c, uint32_t id, const void *msg, size_t len)
{
	static uint8_t buf[HAVM_WIRE_MSG_MAX];
	struct wire_doc_request rq;
	struct wire_doc_reply rp = { 0 };
	uint32_t fail[HAVM_HOSTS_MAX + 1];
	char *text = NULL, err[256];
	json_object *doc = NULL;
	size_t tlen = 0;
	int n;

	if (wire_doc_request_decode(msg, len, &rq)) {
		ctl_reply_error(h, c, id, HAVM_E_BADMSG, "malformed document request");
		return;
	}
	if (!h->vm.on) {
		ctl_reply_error(h, c, id, HAVM_E_UNAVAILABLE,
				"VM high availability is off: havm.conf has no vms group");
		return;
	}
	switch (rq.kind) {
	case WIRE_DOC_CONFIG:
		text = vmcfg_format(h->vm.cfg, false, &tlen);
		break;
	case WIRE_DOC_VMS:
		doc = vms_doc(h, NULL);
		break;
	case WIRE_DOC_PLAN:
		if (parse_fail(h, rq.arg, fail, err, sizeof(err)) < 0) {
			ctl_reply_error(h, c, id, HAVM_E_NOTFOUND, err);
			return;
		}
		doc = vms_doc(h, fail);
		break;
	case WIRE_DOC_BALANCE:
		doc = balance_doc(h);
		break;
	}
	if (doc) {
		const char *s = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN);
		text = s ? strdup(s) : NULL;
		tlen = text ? strlen(text) : 0;
		json_object_put(doc);
	}
	if (!text || tlen > WIRE_BIG_TEXT_MAX) {
		free(text);
		ctl_reply_error(h, c, id, HAVM_E_INTERNAL, "cannot build the document");
		return;
	}
	if (rq.offset > tlen) {
		free(text);
		ctl_reply_error(h, c, id, HAVM_E_CONFLICT, "the document changed; ask again");
		return;
	}
	rp.id = fnv1a(text, tlen);
	rp.total = (uint32_t)tlen;
	rp.offset = rq.offset;
	rp.len = (uint32_t)(tlen - rq.offset > WIRE_CHUNK_MAX ? WIRE_CHUNK_MAX : tlen - rq.offset);
	rp.chunk = text + rq.offset;
	n = wire_doc_reply_encode(buf, sizeof(buf), &rp);
	free(text);
	if (n < 0) {
		/* Non-ASCII in a string (a UTF-8 path in an XML name): json-c
		 * escapes only control characters. */
		ctl_reply_error(h, c, id, HAVM_E_INTERNAL,
				"cannot send the document (it holds bytes other than printable "
				"ASCII)");
		return;
	}
	ctl_send_reply(h, c, id, buf, n);
}

static struct vm_rx *upload_for(struct havmd *h, qb_ipcs_connection_t *c, bool create)
{
	struct vm_rx *free_slot = NULL;
	uint64_t now = clock_now_ms();

	for (size_t i = 0; i < VM_UPLOADS_MAX; i++) {
		struct vm_rx *u = &h->vm.uploads[i];
		if (u->active && now - u->since_ms > UPLOAD_STALE_MS) {
			free(u->buf);
			*u = (struct vm_rx){ 0 };
		}
		if (u->active && u->conn == c)
			return u;
		if (!u->active && !free_slot)
			free_slot = u;
	}
	return create ? free_slot : NULL;
}

void vm_ctl_conn_gone(struct havmd *h, qb_ipcs_connection_t *c)
{
	struct vm_rx *u;

	if (!h->vm.on)
		return;
	u = upload_for(h, c, false);
	if (u) {
		free(u->buf);
		*u = (struct vm_rx){ 0 };
	}
}

void vm_ctl_change(struct havmd *h, qb_ipcs_connection_t *c, uint32_t id, const void *msg,
		   size_t len)
{
	struct wire_vmcfg_request rq;
	struct vm_rx *u;

	if (wire_vmcfg_request_decode(msg, len, &rq)) {
		ctl_reply_error(h, c, id, HAVM_E_BADMSG, "malformed configuration change");
		return;
	}
	if (!h->vm.on) {
		ctl_reply_error(h, c, id, HAVM_E_UNAVAILABLE,
				"VM high availability is off: havm.conf has no vms group");
		return;
	}
	u = upload_for(h, c, rq.offset == 0);
	if (!u) {
		ctl_reply_error(h, c, id, rq.offset ? HAVM_E_BADMSG : HAVM_E_REFUSED,
				rq.offset ? "change chunk out of sequence"
					  : "too many changes being sent; try again");
		return;
	}
	if (rq.offset == 0) {
		free(u->buf);
		*u = (struct vm_rx){ .active = true, .conn = c, .total = rq.total,
				     .since_ms = clock_now_ms() };
		u->buf = malloc((size_t)rq.total + 1);
		if (!u->buf) {
			*u = (struct vm_rx){ 0 };
			ctl_reply_error(h, c, id, HAVM_E_INTERNAL, "out of memory in havmd");
			return;
		}
	} else if (rq.total != u->total || rq.offset != u->got) {
		free(u->buf);
		*u = (struct vm_rx){ 0 };
		ctl_reply_error(h, c, id, HAVM_E_BADMSG, "change chunk out of sequence");
		return;
	}
	memcpy(u->buf + u->got, rq.chunk, rq.len);
	u->got += rq.len;
	if (u->got < u->total) {
		struct wire_vmcfg_reply m = { .state = WIRE_VMCFG_MORE };
		uint8_t out[HAVM_WIRE_HDR_LEN + 16];
		int n = wire_vmcfg_reply_encode(out, sizeof(out), &m);
		if (n > 0)
			ctl_send_reply(h, c, id, out, n);
		return;
	}
	u->buf[u->total] = '\0';
	vmcfg_sync_submit(h, c, id, u->buf, u->total);
	free(u->buf);
	*u = (struct vm_rx){ 0 };
}

/*
 * `havm vm migrate NAME NODE`: checked here against this host's view (the
 * same input as the coordinator's), so that a refusal is answered at
 * once with its reason; then handed to the coordinator through the group,
 * which judges it again and carries it out.
 */
void vm_ctl_migrate(struct havmd *h, qb_ipcs_connection_t *c, uint32_t id, const void *msg,
		    size_t len)
{
	static struct place_host hosts[HAVM_HOSTS_MAX];
	static struct place_vm vms[VMCFG_VMS_MAX];
	static struct vm_spec specs[VMCFG_VMS_MAX];
	struct wire_vm_request rq;
	struct havmd_snapshot s;
	const struct place_vm *pv = NULL;
	const struct place_host *dest = NULL;
	uint8_t out[HAVM_WIRE_MSG_MAX];
	char err[256];
	size_t n_hosts = 0;
	int rc;

	if (wire_vm_request_decode(msg, len, HAVM_MSG_VM_MIGRATE_REQ, &rq)) {
		ctl_reply_error(h, c, id, HAVM_E_BADMSG, "malformed migration request");
		return;
	}
	if (!h->vm.on) {
		ctl_reply_error(h, c, id, HAVM_E_UNAVAILABLE,
				"VM high availability is off: havm.conf has no vms group");
		return;
	}
	if (h->cluster.coordinator == 0) {
		ctl_reply_error(h, c, id, HAVM_E_REFUSED,
				"this partition has no quorum (or its membership is settling)");
		return;
	}
	services_snapshot(h, &s);
	vm_coord_input(h, &s, NULL, hosts, &n_hosts, vms, specs, clock_now_ms());
	for (size_t k = 0; k < h->vm.cfg->n_vms; k++)
		if (strcmp(h->vm.cfg->vms[k].name, rq.vm) == 0)
			pv = &vms[k];
	for (size_t i = 0; i < n_hosts; i++)
		if (hosts[i].nodeid == rq.dest)
			dest = &hosts[i];
	if (!pv || !dest) {
		ctl_reply_error(h, c, id, HAVM_E_NOTFOUND,
				!pv ? "no protected VM of that name" : "no such host in havm.conf");
		return;
	}
	err[0] = '\0';
	if (pv->where != PLACE_RUNNING)
		snprintf(err, sizeof(err), "%s does not run now (see havm vm show %s)", rq.vm,
			 rq.vm);
	else if (pv->host == rq.dest)
		snprintf(err, sizeof(err), "%s runs on %s already", rq.vm, dest->name);
	else if (!dest->eligible)
		snprintf(err, sizeof(err), "%s takes no VMs now: %s", dest->name, dest->why_not);
	for (size_t i = 0; !err[0] && i < pv->spec->n_avoid; i++)
		if (strcmp(pv->spec->avoid[i], dest->name) == 0)
			snprintf(err, sizeof(err), "%s is in the avoid list of %s", dest->name,
				 rq.vm);
	if (!err[0] && dest->mem_free_mib < pv->spec->memory_mib)
		snprintf(err, sizeof(err), "%s has %llu MiB free for VMs, %s needs %u", dest->name,
			 (unsigned long long)dest->mem_free_mib, rq.vm, pv->spec->memory_mib);
	if (err[0]) {
		ctl_reply_error(h, c, id, HAVM_E_REFUSED, err);
		return;
	}
	rc = wire_vm_request_encode(out, sizeof(out), HAVM_MSG_VM_REQUEST, &rq);
	if (rc > 0)
		rc = cluster_send(h, out, (size_t)rc);
	if (rc < 0) {
		ctl_reply_error(h, c, id, HAVM_E_INTERNAL,
				"cannot pass the request to the cluster; try again");
		return;
	}
	rc = wire_request_encode(out, sizeof(out), HAVM_MSG_VM_MIGRATE_REPLY);
	if (rc > 0)
		ctl_send_reply(h, c, id, out, rc);
}
