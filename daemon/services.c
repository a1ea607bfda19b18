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

#include <errno.h>
#include <string.h>

/*
 * In start order, the order havmd always started in. The cluster link
 * comes first: corosync gives us our node id, which the storage watch
 * joins the lockspace with; fencing reads the storage watch's heartbeats;
 * the tiebreaker lease is taken within the joined lockspace, and the
 * quorum device votes from who holds it.
 */
static const struct havmd_service *const services[] = {
	&cluster_service, &storage_service, &fence_service, &tiebreak_service, &qdevice_service,
};
#define N_SERVICES (sizeof(services) / sizeof(services[0]))

/*
 * Stop order: the reverse of the start for the services that need
 * corosync while they stop, then the cluster link, then the rest.
 * The quorum device withdraws its vote, then the tiebreaker lease is
 * released, while corosync is still up (the other partition may then
 * count the vote at once); the cluster link then leaves the group, which
 * tells the others we left cleanly (reason=leave). The storage watch and
 * fencing only delete their timers by then (the loop has ended); this is
 * the order havmd always stopped in, kept as it was.
 */
static const struct havmd_service *const stop_order[] = {
	&qdevice_service, &tiebreak_service, &cluster_service, &storage_service, &fence_service,
};
_Static_assert(sizeof(stop_order) == sizeof(services), "every service stops once");

/* The table is code: a service missing from the stop order, or there
 * twice, is a bug, caught at start. */
static int services_check(void)
{
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
