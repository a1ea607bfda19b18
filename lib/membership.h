/*
 * membership.h: pure decisions about who is in the cluster.
 *
 * No election protocol: CPG gives every member the same view in the same
 * order, so each daemon computes the coordinator from that view alone and
 * all of them agree without exchanging a message.
 */
#ifndef HAVM_MEMBERSHIP_H
#define HAVM_MEMBERSHIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The coordinator: the lowest node id among MEMBERS (the havmd daemons in
 * the CPG group), provided the partition is QUORATE. Returns 0 when there
 * is none: an inquorate partition must not act, so it has no coordinator.
 */
uint32_t membership_coordinator(const uint32_t *members, size_t n, bool quorate);

/* Whether NODEID is among the N ids in IDS. */
bool membership_contains(const uint32_t *ids, size_t n, uint32_t nodeid);

#endif
