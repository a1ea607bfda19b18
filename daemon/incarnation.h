/*
 * incarnation.h: which life of this host a havmd speaks for.
 *
 * Every fact about a host ("lost", "verified off", "storage heartbeat
 * dead") is about one incarnation: one boot and start of havmd. A host that
 * boots again, or whose havmd restarts, is a new incarnation, and nothing
 * recorded about an earlier one may fence it or excuse it from fencing.
 *
 * The number only grows: the wall clock in milliseconds at start, or one
 * more than the last one used on this host if the clock says less (set
 * back, or a fast restart). It is kept in HAVM_STATE_DIR/incarnation,
 * written through a temporary file, fsync and rename, so a crash leaves
 * either the old or the new number. If the file is lost the clock still
 * gives a number larger than any the host had before, unless the clock was
 * also set back: then a record about the old life could seem to be about
 * this one, which the void check (fence.c) catches while the host is up.
 */
#ifndef HAVMD_INCARNATION_H
#define HAVMD_INCARNATION_H

#include <stdint.h>

/* The next incarnation, persisted in DIR. 0 or -errno (*INC is set anyway:
 * a havmd that cannot write its state directory still runs, and says so). */
int incarnation_next(const char *dir, uint64_t *inc);

#endif
