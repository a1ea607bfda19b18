/*
 * ipmi.h: power control of one host through its BMC, over IPMI 2.0
 * (RMCP+, "lanplus") with FreeIPMI's library.
 *
 * Every call opens its own session, does its work, closes the session and
 * returns 0 or -errno with a message in ERR that names the BMC
 * ("192.0.2.102:623: authentication failed (wrong password for user
 * "admin"?)"). The calls BLOCK for as long as the BMC takes, up to the
 * timeouts below: havmd runs them in a child process, off its main loop,
 * and fence_havm_ipmi is a short-lived program, so blocking is what both
 * want. Nothing here logs or touches global state; the calls are safe to
 * use from any single-threaded process.
 *
 * Timeouts. FreeIPMI's session timeout counts from the BMC's last answer,
 * not from the start of a call. A BMC that never answers therefore costs
 * exactly timeout_ms; one that answers and then goes silent costs at most
 * timeout_ms after its last answer, plus up to one retransmission interval
 * (at most 1 s) to close the session politely. Callers that need a hard
 * bound kill the process (havmd's child runner does; Pacemaker kills a
 * fence agent at its own timeout).
 *
 * Errors, the same for every call (tests assert them):
 *   -EINVAL          a bad argument (message says which)
 *   -EACCES          authentication failed: unknown user, wrong password or
 *                    wrong K_g
 *   -EPERM           the user may not have the privilege asked for, or the
 *                    privilege is too low for the command
 *   -ETIMEDOUT       no answer within the timeout
 *   -EBUSY           the BMC is busy (out of sessions, initialising)
 *   -EHOSTUNREACH    the host name does not resolve
 *   -EPROTONOSUPPORT the BMC does not speak IPMI 2.0 or the cipher suite
 *   -EREMOTEIO       the BMC refused the command (completion code)
 *   -ENOMEM, -EIO    local failure / anything else FreeIPMI reports
 */
#ifndef HAVM_FENCE_IPMI_H
#define HAVM_FENCE_IPMI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FENCE_IPMI_PORT_DEFAULT 623
#define FENCE_IPMI_USER_MAX 16      /* IPMI user names, bytes */
#define FENCE_IPMI_PASSWORD_MAX 20  /* IPMI 2.0 passwords, bytes */
#define FENCE_IPMI_KG_MAX 20        /* BMC key K_g, bytes */
#define FENCE_IPMI_CIPHER_DEFAULT 3 /* HMAC-SHA1, HMAC-SHA1-96, AES-CBC-128 */
/* One IPMI exchange gets at least this long: less is below a slow BMC's RTT. */
#define FENCE_IPMI_TIMEOUT_MIN_MS 100
#define FENCE_IPMI_TIMEOUT_MAX_MS 600000

/* Session privilege; the values are the IPMI specification's. */
enum fence_ipmi_privilege {
	FENCE_IPMI_PRIV_CALLBACK = 1,
	FENCE_IPMI_PRIV_USER = 2,     /* enough to read the power state */
	FENCE_IPMI_PRIV_OPERATOR = 3, /* enough to change it */
	FENCE_IPMI_PRIV_ADMIN = 4,
};

enum fence_ipmi_action {
	FENCE_IPMI_OFF, /* hard power off: the host loses power at once */
	FENCE_IPMI_ON,
	FENCE_IPMI_CYCLE, /* off, then on after a BMC-chosen pause */
	FENCE_IPMI_RESET, /* hard reset: the power stays on */
};

struct fence_ipmi_target {
	const char *host;     /* BMC name or address (IPv6 without brackets) */
	uint16_t port;        /* UDP port; 0 means 623 */
	const char *user;     /* NULL or "": the null user */
	const char *password; /* NULL or "": empty; at most 20 bytes */
	const uint8_t *k_g;   /* BMC key, or NULL; at most 20 bytes */
	size_t k_g_len;
	enum fence_ipmi_privilege privilege;
	int cipher_suite;    /* RMCP+ cipher suite id, 3 is the usual choice */
	unsigned timeout_ms; /* per call, see "Timeouts" above */
};

/* How a power change is verified: wait, then poll until the state reads as wanted. */
struct fence_ipmi_verify {
	unsigned settle_ms;  /* after the command's answer, before the first poll */
	unsigned timeout_ms; /* after the settle time: how long to keep polling */
	unsigned poll_ms;    /* between polls, 10 ms or more */
};

/* Read the chassis power state into *ON. */
int fence_ipmi_power_status(const struct fence_ipmi_target *t, bool *on, char *err, size_t errlen);

/*
 * Send one chassis control command. 0 means the BMC accepted it, not that
 * the power has changed: use fence_ipmi_power_verified for that.
 */
int fence_ipmi_power_set(const struct fence_ipmi_target *t, enum fence_ipmi_action action,
			 char *err, size_t errlen);

/*
 * Power the host off (ON false) or on (ON true), then read the power state
 * until it reads as wanted, within V->timeout_ms. Only a state read back
 * counts: a BMC that accepts the command but still reports the old state
 * when the time is up is a failure (-ETIMEDOUT, "power still on 20003 ms
 * after power off"). If the BMC refuses the command (some refuse to power
 * off a host that is off) the state is read once anyway, and a host
 * already in the wanted state is success; otherwise -EREMOTEIO.
 *
 * A BMC that cannot be reached or logged in to fails at once (after
 * t->timeout_ms for one that does not answer). Once a session has been
 * opened, what a BMC may do while a host loses power (drop the session, go
 * silent, report busy) is retried with new sessions until the time is up:
 * the command until the BMC accepts it, then the polls. One session serves
 * the command and all polls while it works.
 *
 * Returns within t->timeout_ms (the first session) + settle_ms + timeout_ms
 * counted from the first command's answer, plus at most one more
 * t->timeout_ms for an exchange the BMC stops answering.
 */
int fence_ipmi_power_verified(const struct fence_ipmi_target *t, bool on,
			      const struct fence_ipmi_verify *v, char *err, size_t errlen);

/*
 * A fence: power off, then poll every POLL_MS until the power state reads
 * off, within VERIFY_TIMEOUT_MS. Only a verified off is success.
 */
int fence_ipmi_off_verified(const struct fence_ipmi_target *t, unsigned verify_timeout_ms,
			    unsigned poll_ms, char *err, size_t errlen);

/*
 * Check T without contacting the BMC (what every call checks first): 0, or
 * -EINVAL and why. For configuration checks (validate-all, havmd -n).
 */
int fence_ipmi_target_check(const struct fence_ipmi_target *t, char *err, size_t errlen);

/* "administrator" etc. for messages. */
const char *fence_ipmi_privilege_name(enum fence_ipmi_privilege p);

/* Whether FreeIPMI can use this cipher suite id (0-3, 6-8, 11-12, 15-17). */
bool fence_ipmi_cipher_supported(int id);

#endif
