/*
 * services.c: the one table of havmd's services (service.h), and the
 * core's loops over it. This is the only file that names every service;
 * a new service is one entry here (and its state in struct havmd).
 */
#include "service.h"

#include "cluster.h"
#include "fence.h"
#include "havmd.h"
#include "log.h"
#include "qdevice.h"
#include "storage_watch.h"
#include "tiebreak.h"
#include "vm.h"

#include <errno.h>
#include <string.h>
#include <time.h>

/*
 * In start order, the order havmd always started in. The cluster link
 * comes first: corosync gives us our node id, which the storage watch
 * joins the lockspace with; fencing reads the storage watch's heartbeats;
 * the tiebreaker lease is taken within the joined lockspace, and the
 * quorum device votes from who holds it.
 */
static const struct havmd_service *const services[] = {
	&cluster_service, &storage_service, &fence_service, &tiebreak_service, &qdevice_service,
	&vm_service, &alerts_service,
};
#define N_SERVICES (sizeof(services) / sizeof(services[0]))

/*
 * Stop order: the reverse of the start for the services that need
 * corosync while they stop, then the cluster link, then the rest. The VM
 * service goes first: it answers the CLIs waiting on a change and ends its
 * libvirt monitor; the VMs run on (qemu is libvirtd's child, not ours).
 * The quorum device withdraws its vote, then the tiebreaker lease is
 * released, while corosync is still up (the other partition may then
 * count the vote at once); the cluster link then leaves the group, which
 * tells the others we left cleanly (reason=leave). The storage watch and
 * fencing only delete their timers by then (the loop has ended); this is
 * the order havmd always stopped in, kept as it was.
 */
static const struct havmd_service *const stop_order[] = {
	&alerts_service, &vm_service, &qdevice_service, &tiebreak_service, &cluster_service,
	&storage_service, &fence_service,
};
_Static_assert(sizeof(stop_order) == sizeof(services), "every service stops once");

const struct havmd_service *services_for_cpg(uint16_t type)
{
	for (size_t i = 0; i < N_SERVICES; i++)
		for (size_t k = 0; k < services[i]->n_cpg_types; k++)
			if (services[i]->cpg_types[k] == type)
				return services[i];
	return NULL;
}

/*
 * The table is code, and these are bugs in it, caught at start: a service
 * missing from the stop order or there twice; a CPG type claimed by two
 * services, claimed without a decoder in wire.c, or known to wire.c with
 * no service to handle it (its messages would be ignored silently).
 */
static int services_check(void)
{
	for (size_t i = 0; i < N_SERVICES; i++)
		for (size_t k = 0; k < services[i]->n_cpg_types; k++) {
			uint16_t t = services[i]->cpg_types[k];

			if (!services[i]->on_cpg || !wire_cpg_type_known(t) ||
			    services_for_cpg(t) != services[i]) {
				log_err("havmd: service=%s claims CPG type=%u that wire.c does "
					"not know, that another service claims, or without a "
					"handler (a bug in daemon/services.c)",
					services[i]->name, t);
				return -EPROTO;
			}
		}
	for (uint32_t t = 0; t <= UINT16_MAX; t++)
		if (wire_cpg_type_known((uint16_t)t) && !services_for_cpg((uint16_t)t)) {
			log_err("havmd: no service handles CPG type=%u (a bug in "
				"daemon/services.c)",
				t);
			return -EPROTO;
		}
	for (size_t i = 0; i < N_SERVICES; i++) {
		size_t seen = 0;

		for (size_t j = 0; j < N_SERVICES; j++)
			seen += stop_order[j] == services[i];
		if (seen != 1) {
			log_err("havmd: service=%s is in the stop order %zu times, not once "
				"(a bug in daemon/services.c)",
				services[i]->name, seen);
			return -EPROTO;
		}
	}
	return 0;
}

int services_start(struct havmd *h)
{
	int rc = services_check();

	for (size_t i = 0; i < N_SERVICES && rc == 0; i++) {
		if (!services[i]->start)
			continue;
		rc = services[i]->start(h);
		if (rc)
			log_err("havmd: cannot start service=%s error=\"%s\"", services[i]->name,
				strerror(-rc));
	}
	return rc;
}

void services_stop(struct havmd *h)
{
	for (size_t i = 0; i < N_SERVICES; i++)
		if (stop_order[i]->stop)
			stop_order[i]->stop(h);
}

void services_on_node_state(struct havmd *h, const struct wire_node_state *m)
{
	for (size_t i = 0; i < N_SERVICES; i++)
		if (services[i]->on_node_state)
			services[i]->on_node_state(h, m);
}

void services_fill_node_state(const struct havmd *h, struct wire_node_state *m)
{
	for (size_t i = 0; i < N_SERVICES; i++)
		if (services[i]->fill_node_state)
			services[i]->fill_node_state(h, m);
}

void services_on_view(struct havmd *h, const struct cluster_view *v)
{
	for (size_t i = 0; i < N_SERVICES; i++)
		if (services[i]->on_view)
			services[i]->on_view(h, v);
}

void services_snapshot(const struct havmd *h, struct havmd_snapshot *s)
{
	*s = (struct havmd_snapshot){ 0 };
	for (size_t i = 0; i < N_SERVICES; i++)
		if (services[i]->snapshot_fill)
			services[i]->snapshot_fill(h, s);
}

void services_facts_changed(struct havmd *h)
{
	for (size_t i = 0; i < N_SERVICES; i++)
		if (services[i]->on_facts_changed)
			services[i]->on_facts_changed(h);
}

void services_status(const struct havmd *h, struct wire_status_reply *r)
{
	struct havmd_status st = { .reply = r };

	services_snapshot(h, &st.snap);
	for (size_t i = 0; i < N_SERVICES; i++)
		if (services[i]->status_view)
			services[i]->status_view(h, &st);
	nodes_status_build(&h->cfg, &st.snap.cluster, &h->states, &st.snap.storage, &st.fence,
			   (uint64_t)time(NULL), r);
	for (size_t i = 0; i < N_SERVICES; i++)
		if (services[i]->status_fill)
			services[i]->status_fill(h, &st);
}
