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

/* Time limits of single calls; a caller's own deadline must allow for them. */
#define FENCE_DEVICE_IPMI_CALL_MS 5000   /* one IPMI exchange */
#define FENCE_DEVICE_AGENT_CALL_MS 20000 /* one agent run (status, on) */

/* Power off and read it back off within TIMEOUT_MS; only that is success. */
int fence_device_off_verified(const struct havm_fence_device *d, uint32_t timeout_ms, char *err,
			      size_t errlen);
/* Ask for power on (a reboot's second half); not waited for. */
int fence_device_power_on(const struct havm_fence_device *d, char *err, size_t errlen);
/* Check what havm.conf's syntax cannot: IPMI's own limits (user name
 * length, known cipher suites, a privilege that may change power). 0, or
 * -EINVAL and why. Reads no password and contacts nothing. */
int fence_device_check(const struct havm_fence_device *d, char *err, size_t errlen);
/* Read the power state into *ON; changes nothing. */
int fence_device_status(const struct havm_fence_device *d, bool *on, char *err, size_t errlen);

#endif
