/*
 * service.h: what a havmd service is, and the core's calls that reach
 * every service. The one table of services is daemon/services.c.
 *
 * A service is one subsystem of the daemon (the cluster link, the storage
 * watch, fencing, the tiebreaker lease and its quorum device; later VMs,
 * balancing, alerts), described by one struct havmd_service: every hook
 * is optional (NULL: nothing to do). Services do not call each other:
 * the core calls them through the table, in the table's order.
 */
#ifndef HAVMD_SERVICE_H
#define HAVMD_SERVICE_H

#include <stddef.h>
#include <stdint.h>

struct havmd;

struct havmd_service {
	const char *name; /* in logs: "havmd: cannot start service=NAME" */
	/* Start, from main, in table order: 0 or -errno (havmd then exits). */
	int (*start)(struct havmd *h);
	/* Stop, from main once the loop has ended (services.c gives the order). */
	void (*stop)(struct havmd *h);
};

/* Start every service in table order. 0, or the first one's -errno
 * (logged; the daemon exits, as for any failure at start). */
int services_start(struct havmd *h);
/* Stop every service, in the stop order services.c explains. */
void services_stop(struct havmd *h);

#endif
