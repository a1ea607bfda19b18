/*
 * ipmi.c: chassis power status and control over IPMI 2.0 (RMCP+) with
 * FreeIPMI (see ipmi.h for the contract).
 *
 * A "session" below is one FreeIPMI context opened out of band: the RMCP+
 * handshake (open session, RAKP 1-4, set privilege) happens in
 * ipmi_ctx_open_outofband_2_0, then each command is one request and one
 * answer, retransmitted by FreeIPMI until the session timeout. FreeIPMI's
 * error numbers are turned into -errno and a message that tells an
 * operator what to fix.
 */
#include "ipmi.h"
#include "clock.h"
#include "text_escape.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <freeipmi/freeipmi.h>

/* "host:port" as FreeIPMI parses it, "[v6addr]:port" for IPv6. */
#define HOSTPORT_MAX 300
#define HOST_MAX 255

struct session {
	ipmi_ctx_t ctx; /* NULL when closed */
	const struct fence_ipmi_target *t;
	char hostport[HOSTPORT_MAX];
};

const char *fence_ipmi_privilege_name(enum fence_ipmi_privilege p)
{
	switch (p) {
	case FENCE_IPMI_PRIV_CALLBACK: return "callback";
	case FENCE_IPMI_PRIV_USER: return "user";
	case FENCE_IPMI_PRIV_OPERATOR: return "operator";
	case FENCE_IPMI_PRIV_ADMIN: return "administrator";
	}
	return "?";
}

bool fence_ipmi_cipher_supported(int id)
{
	return id >= 0 && id <= 255 && IPMI_CIPHER_SUITE_ID_SUPPORTED(id);
}

static const char *action_name(enum fence_ipmi_action a)
{
	switch (a) {
	case FENCE_IPMI_OFF: return "power off";
	case FENCE_IPMI_ON: return "power on";
	case FENCE_IPMI_CYCLE: return "power cycle";
	case FENCE_IPMI_RESET: return "hard reset";
	}
	return "?";
}

/* Host names and addresses only: anything else would reach getaddrinfo or FreeIPMI's parser. */
static bool host_ok(const char *h)
{
	size_t n = strlen(h);

	if (n == 0 || n > HOST_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = h[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '-' || c == '_' || c == ':' || c == '%'))
			return false;
	}
	return true;
}

int fence_ipmi_target_check(const struct fence_ipmi_target *t, char *err, size_t errlen)
{
	if (!t || !t->host) {
		snprintf(err, errlen, "no BMC address given");
		return -EINVAL;
	}
	if (!host_ok(t->host)) {
		char q[TEXT_ESCAPE_SIZE(64)];

		snprintf(err, errlen,
			 "\"%s\" is not a host name or address (give IPv6 addresses without "
			 "brackets)",
			 text_escape(q, sizeof(q), t->host, 64));
		return -EINVAL;
	}
	/* From here on t->host is known to be of host_ok's characters: no escaping. */
	if (t->user && strlen(t->user) > FENCE_IPMI_USER_MAX) {
		snprintf(err, errlen, "%s: user name longer than %d bytes (the IPMI limit)",
			 t->host, FENCE_IPMI_USER_MAX);
		return -EINVAL;
	}
	if (t->password && strlen(t->password) > FENCE_IPMI_PASSWORD_MAX) {
		snprintf(err, errlen, "%s: password longer than %d bytes (the IPMI 2.0 limit)",
			 t->host, FENCE_IPMI_PASSWORD_MAX);
		return -EINVAL;
	}
	if (t->k_g_len > FENCE_IPMI_KG_MAX || (t->k_g_len && !t->k_g)) {
		snprintf(err, errlen, "%s: K_g longer than %d bytes", t->host, FENCE_IPMI_KG_MAX);
		return -EINVAL;
	}
	if (t->privilege < FENCE_IPMI_PRIV_CALLBACK || t->privilege > FENCE_IPMI_PRIV_ADMIN) {
		snprintf(err, errlen, "%s: privilege level %d is not one of 1-4", t->host,
			 (int)t->privilege);
		return -EINVAL;
	}
	if (!fence_ipmi_cipher_supported(t->cipher_suite)) {
		snprintf(err, errlen,
			 "%s: cipher suite %d is not supported (0-3, 6-8, 11-12, 15-17)", t->host,
			 t->cipher_suite);
		return -EINVAL;
	}
	if (t->timeout_ms < FENCE_IPMI_TIMEOUT_MIN_MS ||
	    t->timeout_ms > FENCE_IPMI_TIMEOUT_MAX_MS) {
		snprintf(err, errlen, "%s: timeout %u ms is outside %d-%d ms", t->host,
			 t->timeout_ms, FENCE_IPMI_TIMEOUT_MIN_MS, FENCE_IPMI_TIMEOUT_MAX_MS);
		return -EINVAL;
	}
	return 0;
}

/*
 * Turn the context's last error into -errno and a message. WHAT is what was
 * being done ("opening a session", "power off"); RS, if not NULL, is the
 * answer whose completion code explains a refusal.
 */
static int session_error(const struct session *s, const char *what, fiid_obj_t rs, char *err,
			 size_t errlen)
{
	const char *hp = s->hostport;
	const char *user = "(null user)";
	const char *priv = fence_ipmi_privilege_name(s->t->privilege);
	char quser[TEXT_ESCAPE_SIZE(FENCE_IPMI_USER_MAX)];
	int e = ipmi_ctx_errnum(s->ctx);

	/* The user name is any bytes the caller gave (fence_havm_ipmi -l): escaped. */
	if (s->t->user && *s->t->user)
		user = text_escape(quser, sizeof(quser), s->t->user, FENCE_IPMI_USER_MAX);

	switch (e) {
	case IPMI_ERR_USERNAME_INVALID:
		snprintf(err, errlen, "%s: authentication failed (unknown user \"%s\"?)", hp, user);
		return -EACCES;
	case IPMI_ERR_PASSWORD_INVALID:
		snprintf(err, errlen, "%s: authentication failed (wrong password for user \"%s\"?)",
			 hp, user);
		return -EACCES;
	case IPMI_ERR_PASSWORD_VERIFICATION_TIMEOUT:
		/* Some BMCs stop answering instead of rejecting a wrong password. */
		snprintf(err, errlen,
			 "%s: authentication failed (the BMC went silent after the password check: "
			 "wrong password for user \"%s\"?)",
			 hp, user);
		return -EACCES;
	case IPMI_ERR_K_G_INVALID:
		snprintf(err, errlen, "%s: authentication failed (wrong BMC key K_g?)", hp);
		return -EACCES;
	case IPMI_ERR_PRIVILEGE_LEVEL_CANNOT_BE_OBTAINED:
		snprintf(err, errlen,
			 "%s: user \"%s\" may not open a session at privilege %s "
			 "(lower privlvl, or raise the user's privilege on the BMC)",
			 hp, user, priv);
		return -EPERM;
	case IPMI_ERR_PRIVILEGE_LEVEL_INSUFFICIENT:
		snprintf(err, errlen,
			 "%s: privilege %s is not enough for %s (power control needs operator)", hp,
			 priv, what);
		return -EPERM;
	case IPMI_ERR_CIPHER_SUITE_ID_UNAVAILABLE:
		snprintf(err, errlen, "%s: the BMC does not offer cipher suite %d (try 3 or 17)",
			 hp, s->t->cipher_suite);
		return -EPROTONOSUPPORT;
	case IPMI_ERR_IPMI_2_0_UNAVAILABLE:
	case IPMI_ERR_AUTHENTICATION_TYPE_UNAVAILABLE:
		snprintf(err, errlen, "%s: the BMC does not offer IPMI 2.0 (RMCP+) sessions", hp);
		return -EPROTONOSUPPORT;
	case IPMI_ERR_CONNECTION_TIMEOUT:
	case IPMI_ERR_SESSION_TIMEOUT:
	case IPMI_ERR_MESSAGE_TIMEOUT:
		snprintf(err, errlen, "%s: no answer within %u ms (%s)", hp, s->t->timeout_ms,
			 what);
		return -ETIMEDOUT;
	case IPMI_ERR_BMC_BUSY:
	case IPMI_ERR_DRIVER_BUSY:
		snprintf(err, errlen, "%s: BMC busy (out of sessions or initialising) during %s",
			 hp, what);
		return -EBUSY;
	case IPMI_ERR_HOSTNAME_INVALID:
		snprintf(err, errlen, "%s: cannot resolve the host name", hp);
		return -EHOSTUNREACH;
	case IPMI_ERR_COMMAND_INVALID_OR_UNSUPPORTED:
		snprintf(err, errlen, "%s: the BMC refused %s as invalid or unsupported", hp, what);
		return -EREMOTEIO;
	case IPMI_ERR_BAD_COMPLETION_CODE: {
		char why[128] = "";
		uint64_t cc = 0;

		if (rs && ipmi_completion_code_strerror_cmd_r(rs, IPMI_NET_FN_CHASSIS_RQ, why,
							      sizeof(why)) < 0)
			why[0] = '\0';
		if (rs && fiid_obj_get(rs, "comp_code", &cc) != 1)
			cc = 0;
		snprintf(err, errlen, "%s: the BMC refused %s: %s (completion code 0x%02x)", hp,
			 what, why[0] ? why : "no reason given", (unsigned)cc);
		return -EREMOTEIO;
	}
	case IPMI_ERR_BAD_RMCPPLUS_STATUS_CODE:
		snprintf(err, errlen,
			 "%s: the BMC refused the RMCP+ session (%s; does it offer "
			 "cipher suite %d?)",
			 hp, ipmi_ctx_errormsg(s->ctx), s->t->cipher_suite);
		return -EREMOTEIO;
	case IPMI_ERR_PARAMETERS:
		snprintf(err, errlen, "%s: FreeIPMI rejected the parameters of %s", hp, what);
		return -EINVAL;
	case IPMI_ERR_OUT_OF_MEMORY:
		snprintf(err, errlen, "%s: out of memory during %s", hp, what);
		return -ENOMEM;
	default:
		/*
		 * A BMC that does not know the cipher suite may answer the Open
		 * Session request in a form FreeIPMI cannot parse (ipmi_sim with
		 * suite 17 does): the likely cause is worth naming.
		 */
		if (!strcmp(what, "opening a session"))
			snprintf(err, errlen,
				 "%s: %s failed: %s (does the BMC offer cipher suite %d?)", hp,
				 what, ipmi_ctx_errormsg(s->ctx), s->t->cipher_suite);
		else
			snprintf(err, errlen, "%s: %s failed: %s", hp, what,
				 ipmi_ctx_errormsg(s->ctx));
		return -EIO;
	}
}

static int session_open(struct session *s, const struct fence_ipmi_target *t, char *err,
			size_t errlen)
{
	uint16_t port = t->port ? t->port : FENCE_IPMI_PORT_DEFAULT;
	/*
	 * FreeIPMI resends a packet each retransmission interval until the
	 * session timeout; it insists the interval be shorter. Its default of
	 * 1 s suits real BMCs, whose crypto can take hundreds of ms; below a
	 * 2 s timeout half the timeout still leaves room for one resend.
	 */
	unsigned retransmit_ms = t->timeout_ms / 2 < 1000 ? t->timeout_ms / 2 : 1000;
	/*
	 * The Open Session request carries the privilege wanted instead of
	 * "highest available" (FreeIPMI's default). ipmitool does the same for
	 * every level but administrator; OpenIPMI's ipmi_sim and some BMCs
	 * answer "highest available" with privilege 0, which FreeIPMI then
	 * rejects as "privilege level cannot be obtained".
	 */
	unsigned workarounds = IPMI_WORKAROUND_FLAGS_OUTOFBAND_2_0_OPEN_SESSION_PRIVILEGE;

	s->t = t;
	s->ctx = NULL;
	if (strchr(t->host, ':'))
		snprintf(s->hostport, sizeof(s->hostport), "[%s]:%u", t->host, (unsigned)port);
	else
		snprintf(s->hostport, sizeof(s->hostport), "%s:%u", t->host, (unsigned)port);

	s->ctx = ipmi_ctx_create();
	if (!s->ctx) {
		snprintf(err, errlen, "%s: cannot create an IPMI context: out of memory",
			 s->hostport);
		return -ENOMEM;
	}
	if (ipmi_ctx_open_outofband_2_0(
		    s->ctx, s->hostport, t->user && *t->user ? t->user : NULL,
		    t->password && *t->password ? t->password : NULL, t->k_g_len ? t->k_g : NULL,
		    (unsigned)t->k_g_len, (uint8_t)t->privilege, (uint8_t)t->cipher_suite,
		    t->timeout_ms, retransmit_ms, workarounds, IPMI_FLAGS_DEFAULT) < 0) {
		int rc = session_error(s, "opening a session", NULL, err, errlen);
		ipmi_ctx_destroy(s->ctx);
		s->ctx = NULL;
		return rc;
	}
	return 0;
}

/* Closes the session on the BMC too: BMCs have few session slots per user. */
static void session_close(struct session *s)
{
	if (s->ctx) {
		ipmi_ctx_destroy(s->ctx);
		s->ctx = NULL;
	}
}

static int session_power_is_on(struct session *s, bool *on, char *err, size_t errlen)
{
	fiid_obj_t rs = fiid_obj_create(tmpl_cmd_get_chassis_status_rs);
	uint64_t v = 0;
	int rc = 0;

	if (!rs) {
		snprintf(err, errlen, "%s: out of memory", s->hostport);
		return -ENOMEM;
	}
	if (ipmi_cmd_get_chassis_status(s->ctx, rs) < 0) {
		rc = session_error(s, "reading the power state", rs, err, errlen);
	} else if (fiid_obj_get(rs, "current_power_state.power_is_on", &v) != 1) {
		snprintf(err, errlen, "%s: the chassis status answer has no power state",
			 s->hostport);
		rc = -EIO;
	} else {
		*on = v != 0;
	}
	fiid_obj_destroy(rs);
	return rc;
}

static int session_control(struct session *s, enum fence_ipmi_action a, char *err, size_t errlen)
{
	static const uint8_t code[] = {
		[FENCE_IPMI_OFF] = IPMI_CHASSIS_CONTROL_POWER_DOWN,
		[FENCE_IPMI_ON] = IPMI_CHASSIS_CONTROL_POWER_UP,
		[FENCE_IPMI_CYCLE] = IPMI_CHASSIS_CONTROL_POWER_CYCLE,
		[FENCE_IPMI_RESET] = IPMI_CHASSIS_CONTROL_HARD_RESET,
	};
	fiid_obj_t rs = fiid_obj_create(tmpl_cmd_chassis_control_rs);
	int rc = 0;

	if (!rs) {
		snprintf(err, errlen, "%s: out of memory", s->hostport);
		return -ENOMEM;
	}
	if (ipmi_cmd_chassis_control(s->ctx, code[a], rs) < 0)
		rc = session_error(s, action_name(a), rs, err, errlen);
	fiid_obj_destroy(rs);
	return rc;
}

int fence_ipmi_power_status(const struct fence_ipmi_target *t, bool *on, char *err, size_t errlen)
{
	struct session s;
	int rc = fence_ipmi_target_check(t, err, errlen);

	if (rc)
		return rc;
	if (!on) {
		snprintf(err, errlen, "%s: nowhere to store the power state", t->host);
		return -EINVAL;
	}
	rc = session_open(&s, t, err, errlen);
	if (rc)
		return rc;
	rc = session_power_is_on(&s, on, err, errlen);
	session_close(&s);
	return rc;
}

int fence_ipmi_power_set(const struct fence_ipmi_target *t, enum fence_ipmi_action action,
			 char *err, size_t errlen)
{
	struct session s;
	int rc = fence_ipmi_target_check(t, err, errlen);

	if (rc)
		return rc;
	if (action < FENCE_IPMI_OFF || action > FENCE_IPMI_RESET) {
		snprintf(err, errlen, "%s: unknown power action %d", t->host, (int)action);
		return -EINVAL;
	}
	rc = session_open(&s, t, err, errlen);
	if (rc)
		return rc;
	rc = session_control(&s, action, err, errlen);
	session_close(&s);
	return rc;
}

/* Errors that a new session and more time will not cure: stop polling. */
static bool error_is_final(int rc)
{
	return rc == -EACCES || rc == -EPERM || rc == -EINVAL || rc == -EPROTONOSUPPORT ||
	       rc == -EHOSTUNREACH || rc == -ENOMEM;
}

int fence_ipmi_power_verified(const struct fence_ipmi_target *t, bool on,
			      const struct fence_ipmi_verify *v, char *err, size_t errlen)
{
	enum fence_ipmi_action a = on ? FENCE_IPMI_ON : FENCE_IPMI_OFF;
	char refusal[512] = ""; /* the BMC's refusal of the command, if it refused */
	char msg[512] = "";     /* why the last attempt failed */
	struct session s;
	uint64_t start = clock_now_ms(), deadline = 0, now;
	bool sent = false; /* the BMC accepted the command */
	int rc = fence_ipmi_target_check(t, err, errlen);

	if (rc)
		return rc;
	if (!v || v->poll_ms < 10 || v->poll_ms > FENCE_IPMI_TIMEOUT_MAX_MS ||
	    v->settle_ms > FENCE_IPMI_TIMEOUT_MAX_MS ||
	    v->timeout_ms > 10u * FENCE_IPMI_TIMEOUT_MAX_MS) {
		snprintf(err, errlen,
			 "%s: verification needs a poll interval of 10 ms or more and "
			 "bounded waits",
			 t->host);
		return -EINVAL;
	}
	/* A BMC we cannot reach or log in to at all: report it as it is, at once. */
	rc = session_open(&s, t, err, errlen);
	if (rc)
		return rc;

	for (;;) {
		bool is_on = !on;

		rc = s.ctx ? 0 : session_open(&s, t, msg, sizeof(msg));
		if (!rc && !sent && !refusal[0]) {
			/*
			 * Until the BMC accepts it, the command is (re)sent: power
			 * off and on are idempotent, and an unanswered command may
			 * or may not have been carried out.
			 */
			rc = session_control(&s, a, msg, sizeof(msg));
			if (rc == -EREMOTEIO) {
				snprintf(refusal, sizeof(refusal), "%s", msg);
				rc = 0;
			}
			if (!deadline)
				deadline = clock_now_ms() + v->settle_ms + v->timeout_ms;
			if (!rc && !refusal[0]) {
				sent = true;
				clock_sleep_ms(v->settle_ms);
			}
		}
		if (!rc && (sent || refusal[0]))
			rc = session_power_is_on(&s, &is_on, msg, sizeof(msg));
		if (!rc && (sent || refusal[0]) && is_on == on) {
			session_close(&s);
			return 0;
		}
		if (rc) {
			/* A BMC may drop sessions while the host loses power: start afresh. */
			session_close(&s);
			if (error_is_final(rc))
				break;
		}
		/*
		 * A refused command changes nothing, so there is nothing to
		 * wait for: one poll told whether the host was in the wanted
		 * state already.
		 */
		if (refusal[0])
			break;
		/* The last poll is at the deadline, so the whole timeout is used. */
		now = clock_now_ms();
		if (now >= deadline)
			break;
		clock_sleep_ms(deadline - now < v->poll_ms ? (unsigned)(deadline - now) : v->poll_ms);
	}
	session_close(&s);

	if (refusal[0]) {
		snprintf(err, errlen, "%s", refusal);
		return -EREMOTEIO;
	}
	if (rc) {
		snprintf(err, errlen, "%s (%s %llu ms after the first %s)", msg,
			 sent ? "power state unknown" : "command never confirmed",
			 (unsigned long long)(clock_now_ms() - start), action_name(a));
		return rc;
	}
	snprintf(err, errlen, "%s: power still %s %llu ms after %s", s.hostport, on ? "off" : "on",
		 (unsigned long long)(clock_now_ms() - start), action_name(a));
	return -ETIMEDOUT;
}

int fence_ipmi_off_verified(const struct fence_ipmi_target *t, unsigned verify_timeout_ms,
			    unsigned poll_ms, char *err, size_t errlen)
{
	struct fence_ipmi_verify v = { .settle_ms = 0,
				       .timeout_ms = verify_timeout_ms,
				       .poll_ms = poll_ms };

	return fence_ipmi_power_verified(t, false, &v, err, errlen);
}
