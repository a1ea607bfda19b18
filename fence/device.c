/* device.c: see device.h. */
#include "device.h"

#include "agent_run.h"
#include "ipmi.h"
#include "secret_file.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define POLL_MS 200 /* between power reads while verifying */

/* The IPMI target of D, with its password read into PW (cleared by the
 * caller). The password file is read at each use, never kept: a changed
 * password needs no restart, and none sits in havmd's memory. */
static int ipmi_target(const struct havm_fence_device *d, char *pw, size_t pwlen,
		       struct fence_ipmi_target *t, char *err, size_t errlen)
{
	*t = (struct fence_ipmi_target){
		.host = d->address, .port = (uint16_t)d->port, .user = d->user, .password = pw,
		.privilege = (enum fence_ipmi_privilege)d->privilege,
		.cipher_suite = (int)d->cipher_suite, .timeout_ms = FENCE_DEVICE_IPMI_CALL_MS,
	};
	return secret_file_read(d->password_file, "password file", pw, pwlen, err, errlen);
}

static const char (*agent_args(const struct havm_fence_device *d))[128]
{
	_Static_assert(sizeof(d->args[0]) == 128, "agent args are 128-byte strings");
	return (const char(*)[128])d->args;
}

int fence_device_off_verified(const struct havm_fence_device *d, uint32_t timeout_ms, char *err,
			      size_t errlen)
{
	char pw[FENCE_IPMI_PASSWORD_MAX + 2];
	struct fence_ipmi_target t;
	int rc;

	if (d->kind == HAVM_FENCE_AGENT)
		return fence_agent_off_verified(d->agent, agent_args(d), d->n_args, timeout_ms,
						POLL_MS, err, errlen);
	rc = ipmi_target(d, pw, sizeof(pw), &t, err, errlen);
	if (rc == 0)
		rc = fence_ipmi_off_verified(&t, timeout_ms, POLL_MS, err, errlen);
	explicit_bzero(pw, sizeof(pw));
	return rc;
}

int fence_device_power_on(const struct havm_fence_device *d, char *err, size_t errlen)
{
	char pw[FENCE_IPMI_PASSWORD_MAX + 2];
	struct fence_ipmi_target t;
	int code = -1, rc;

	if (d->kind == HAVM_FENCE_AGENT) {
		rc = fence_agent_run(d->agent, agent_args(d), d->n_args, "on", FENCE_DEVICE_AGENT_CALL_MS, &code,
				     err, errlen);
		if (rc == 0 && code != 0) {
			snprintf(err, errlen, "%s action=on: exit status %d", d->agent, code);
			rc = -EREMOTEIO;
		}
		return rc;
	}
	rc = ipmi_target(d, pw, sizeof(pw), &t, err, errlen);
	if (rc == 0)
		rc = fence_ipmi_power_set(&t, FENCE_IPMI_ON, err, errlen);
	explicit_bzero(pw, sizeof(pw));
	return rc;
}

int fence_device_status(const struct havm_fence_device *d, bool *on, char *err, size_t errlen)
{
	char pw[FENCE_IPMI_PASSWORD_MAX + 2];
	struct fence_ipmi_target t;
	int code = -1, rc;

	if (d->kind == HAVM_FENCE_AGENT) {
		rc = fence_agent_run(d->agent, agent_args(d), d->n_args, "status", FENCE_DEVICE_AGENT_CALL_MS,
				     &code, err, errlen);
		if (rc)
			return rc;
		if (code != 0 && code != 2) { /* the API: 0 on, 2 off */
			snprintf(err, errlen, "%s action=status: exit status %d", d->agent, code);
			return -EREMOTEIO;
		}
		*on = code == 0;
		return 0;
	}
	rc = ipmi_target(d, pw, sizeof(pw), &t, err, errlen);
	if (rc == 0)
		rc = fence_ipmi_power_status(&t, on, err, errlen);
	explicit_bzero(pw, sizeof(pw));
	return rc;
}

int fence_device_check(const struct havm_fence_device *d, char *err, size_t errlen)
{
	struct fence_ipmi_target t;
	char pw[2] = "";
	int rc;

	if (d->kind != HAVM_FENCE_IPMI)
		return 0;
	if (d->privilege < FENCE_IPMI_PRIV_OPERATOR) {
		snprintf(err, errlen, "privilege \"user\" cannot change the power; use operator");
		return -EINVAL;
	}
	t = (struct fence_ipmi_target){
		.host = d->address, .port = (uint16_t)d->port, .user = d->user, .password = pw,
		.privilege = (enum fence_ipmi_privilege)d->privilege,
		.cipher_suite = (int)d->cipher_suite, .timeout_ms = FENCE_DEVICE_IPMI_CALL_MS,
	};
	rc = fence_ipmi_target_check(&t, err, errlen);
	return rc;
}
