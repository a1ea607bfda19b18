/*
 * cluster.h: membership and quorum through corosync (CPG + libquorum).
 *
 * Two roles. The cluster link is a service (cluster_service: its start and
 * stop, and node states, HAVM_MSG_NODE_STATE); and it is the core's link
 * to the group, which every service may use: the calls below, and the
 * view in h->cluster. It also dispatches every CPG message to the service
 * that handles its type (daemon/service.h).
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
