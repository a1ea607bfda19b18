/*
 * vm_service.c: the VM service's entry in the services table (service.h):
 * start and stop, the CPG messages of VM high availability, the tick that
 * drives the configuration sync, this host's libvirt and the coordinator's
 * reconcile (vm.h says which file does what).
 *
 * Without a vms group in havm.conf the service is off: it reads nothing,
 * starts no monitor, and drops VM messages from others (a cluster where
 * some hosts have it and others not is a configuration error that the
 * others' status shows: those hosts never report).
 */
#include "vm.h"

#include "clock.h"
#include "cluster.h"
#include "havmd.h"
#include "log.h"
#include "service.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void tick(void *data);

static void schedule(struct havmd *h, uint32_t ms)
{
	qb_loop_timer_handle t;

	if (h->vm.timer)
		qb_loop_timer_del(h->loop, (qb_loop_timer_handle)h->vm.timer);
	h->vm.timer = 0;
	if (qb_loop_timer_add(h->loop, QB_LOOP_MED, (uint64_t)ms * QB_TIME_NS_IN_MSEC, h, tick, &t) ==
	    0)
		h->vm.timer = (uint64_t)t;
}

static void tick(void *data)
{
	struct havmd *h = data;
	uint64_t now = clock_now_ms();

	h->vm.timer = 0;
	vmcfg_sync_tick(h, now);
	vm_host_tick(h, now);
	vm_coord_tick(h, now);
	schedule(h, VM_TICK_MS);
}

/* Something the reconcile reads changed: decide soon, not at the tick. */
static void soon(struct havmd *h)
{
	if (h->vm.on)
		schedule(h, 20);
}

static int vm_start(struct havmd *h)
{
	struct vm_state *v = &h->vm;
	int rc;

	v->on = config_vms_on(&h->cfg);
	v->monitor_fd = -1;
	if (!v->on) {
		log_info("vm: VM high availability is off (no vms group in havm.conf)");
		return 0;
	}
	v->members = calloc(WIRE_NODES_MAX, sizeof(*v->members));
	v->track = calloc(VMCFG_VMS_MAX, sizeof(*v->track));
	if (!v->members || !v->track)
		return -ENOMEM;
	rc = vmcfg_sync_start(h);
	if (rc == 0)
		rc = vm_host_start(h);
	if (rc)
		return rc;
	schedule(h, VM_TICK_MS);
	return 0;
}

static void vm_stop(struct havmd *h)
{
	struct vm_state *v = &h->vm;

	if (!v->on)
		return;
	if (v->timer)
		qb_loop_timer_del(h->loop, (qb_loop_timer_handle)v->timer);
	v->timer = 0;
	vm_host_stop(h);
	vmcfg_sync_stop(h);
	free(v->members);
	free(v->track);
	v->members = NULL;
	v->track = NULL;
}

static void store_report(struct havmd *h, const struct wire_vm_report *r, uint32_t nodeid)
{
	struct vm_member *slot = NULL, *free_slot = NULL, *oldest = NULL;

	for (size_t k = 0; k < WIRE_NODES_MAX; k++) {
		struct vm_member *m = &h->vm.members[k];
		if (m->have && m->nodeid == nodeid)
			slot = m;
		else if (!m->have && !free_slot)
			free_slot = m;
		else if (m->have && (!oldest || m->recv_ms < oldest->recv_ms))
			oldest = m;
	}
	slot = slot ? slot : free_slot ? free_slot : oldest;
	slot->have = true;
	slot->nodeid = nodeid;
	slot->recv_ms = clock_now_ms();
	slot->view_seq = h->vm.view_seq;
	memcpy(&slot->r, r, sizeof(*r));
}

static int vm_on_cpg(struct havmd *h, uint16_t type, const void *msg, size_t len, uint32_t nodeid,
		     uint32_t pid)
{
	static struct wire_vm_report r;
	int rc = -ENOPROTOOPT;

	(void)pid;
	switch (type) {
	case HAVM_MSG_VMCFG: {
		struct wire_vmcfg m;
		rc = wire_vmcfg_decode(msg, len, &m);
		if (rc == 0 && h->vm.on)
			rc = vmcfg_sync_on_cpg(h, &m, nodeid);
		break;
	}
	case HAVM_MSG_VM_REPORT:
		rc = wire_vm_report_decode(msg, len, &r);
		if (rc == 0 && h->vm.on) {
			store_report(h, &r, nodeid);
			soon(h);
		}
		break;
	case HAVM_MSG_VM_ACTION: {
		struct wire_vm_action a;
		rc = wire_vm_action_decode(msg, len, &a);
		if (rc == 0 && h->vm.on)
			vm_host_on_action(h, &a, nodeid);
		break;
	}
	case HAVM_MSG_VM_REQUEST: {
		struct wire_vm_request q;
		rc = wire_vm_request_decode(msg, len, HAVM_MSG_VM_REQUEST, &q);
		if (rc == 0 && h->vm.on) {
			vm_coord_on_request(h, &q, nodeid);
			soon(h);
		}
		break;
	}
	case HAVM_MSG_VM_RESULT: {
		struct wire_vm_result res;
		rc = wire_vm_result_decode(msg, len, &res);
		if (rc == 0 && h->vm.on) {
			vm_coord_on_result(h, &res, nodeid);
			soon(h);
		}
		break;
	}
	}
	return rc;
}

static void vm_on_view(struct havmd *h, const struct cluster_view *v)
{
	struct vm_state *vm = &h->vm;

	if (!vm->on || vm->view_seq == h->cluster.confchgs)
		return;
	/* h->cluster holds the new group already: the counter, not a
	 * comparison with it, says the group changed. Members that left:
	 * their half-sent texts go. */
	for (size_t i = 0; i < vm->n_view_members; i++) {
		bool still = false;
		for (size_t k = 0; k < v->n_cpg; k++)
			still = still || v->cpg_members[k] == vm->view_members[i];
		if (!still)
			vmcfg_sync_member_left(h, vm->view_members[i]);
	}
	{
		bool was_in = false, in = false;
		for (size_t i = 0; i < vm->n_view_members; i++)
			was_in = was_in || vm->view_members[i] == h->cluster.local_nodeid;
		for (size_t k = 0; k < v->n_cpg; k++)
			in = in || v->cpg_members[k] == h->cluster.local_nodeid;
		if (in && !was_in)
			vm->joined_ms = clock_now_ms(); /* we (re)joined the group */
	}
	memcpy(vm->view_members, v->cpg_members, v->n_cpg * sizeof(v->cpg_members[0]));
	vm->n_view_members = v->n_cpg;
	/*
	 * Everyone reports again, and the coordinator waits for those reports
	 * (vm_coord.c, reports_fresh), so that a newcomer has our report and
	 * a new coordinator decides on reports sent after the change, not on
	 * older ones.
	 */
	vm->view_seq = h->cluster.confchgs;
	vm->report_dirty = true;
	vm_host_report(h, true);
	soon(h);
}

static void vm_on_facts_changed(struct havmd *h)
{
	soon(h);
}

static const uint16_t vm_cpg_types[] = { HAVM_MSG_VMCFG, HAVM_MSG_VM_REPORT, HAVM_MSG_VM_ACTION,
					 HAVM_MSG_VM_RESULT, HAVM_MSG_VM_REQUEST };

const struct havmd_service vm_service = {
	.name = "vm",
	.start = vm_start,
	.stop = vm_stop,
	.cpg_types = vm_cpg_types,
	.n_cpg_types = sizeof(vm_cpg_types) / sizeof(vm_cpg_types[0]),
	.on_cpg = vm_on_cpg,
	.on_view = vm_on_view,
	.on_facts_changed = vm_on_facts_changed,
};

bool vm_node_in_maintenance(const struct havmd *h, const char *host)
{
	return h->vm.on && h->vm.cfg && vmcfg_node_maint(h->vm.cfg, host) != VMCFG_MAINT_OFF;
}

bool vm_cluster_maintenance(const struct havmd *h)
{
	return h->vm.on && h->vm.cfg && h->vm.cfg->maintenance;
}

bool vm_fence_hold(const struct havmd *h)
{
	/* Worked out here, not only at the VM tick: a fencing pass can come
	 * first after a join. The cap runs from when the VM tick first saw
	 * the difference. */
	/* Only reports from the current view count for a minute after we
	 * joined the group: the others' older reports may carry the copy we
	 * had before we left. Otherwise (a host lost: a failover) the reports
	 * on hand count, so that fencing waits for no one. */
	bool fresh = h->vm.joined_ms && clock_now_ms() - h->vm.joined_ms < 60000;

	if (!h->vm.on || !h->vm.cfg || vmcfg_sync_agreed_ex(h, fresh))
		return false;
	return !h->vm.disagree_since_ms ||
	       clock_now_ms() - h->vm.disagree_since_ms < VM_FENCE_HOLD_MS;
}
