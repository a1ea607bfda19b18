/*
 * device.h: power operations on a configured fence device (havm.conf),
 * whatever its kind: native IPMI or a fence agent. The one place that
 * turns a device's settings into calls, for havmd's fence jobs and for
 * `havm fence check`. Blocking: callers are worker children or the CLI.
 */
#ifndef HAVM_FENCE_DEVICE_H
#define HAVM_FENCE_DEVICE_H

#include "config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Power off and read it back off within TIMEOUT_MS; only that is success. */
int fence_device_off_verified(const struct havm_fence_device *d, uint32_t timeout_ms, char *err,
			      size_t errlen);
/* Ask for power on (a reboot's second half); not waited for. */
int fence_device_power_on(const struct havm_fence_device *d, char *err, size_t errlen);
/* Read the power state into *ON; changes nothing. */
int fence_device_status(const struct havm_fence_device *d, bool *on, char *err, size_t errlen);

#endif
