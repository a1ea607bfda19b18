/*
 * cluster.h: membership and quorum through corosync (CPG + libquorum).
 */
#ifndef HAVMD_CLUSTER_H
#define HAVMD_CLUSTER_H

#include "havmd.h"
#include "service.h"

/* The cluster link, as a service: start connects now, or keeps retrying
 * every reconnect_ms in the background (never fails: havmd runs and
 * answers the CLI without corosync); stop leaves the group. */
extern const struct havmd_service cluster_service;
/* Our own state changed: tell the group. */
void cluster_announce(struct havmd *h);
/* Multicast an encoded message to the group. 0, -EAGAIN (corosync's flow
 * control: try again later), -ENOTCONN (no corosync), or -EIO. */
int cluster_send(struct havmd *h, const void *buf, size_t len);
/* Every daemon in the group has announced itself since the last join, so
 * our facts include what each of them knows: only then may a coordinator
 * act (after a heal, the other side's records are in). */
bool cluster_synced(const struct havmd *h);

#endif
