/*
 * fence_havm_ipmi.c: a fence agent, in the fence-agents API, on havm's
 * native IPMI 2.0 code (ipmi.c).
 *
 * Pacemaker (or a person) runs it once per action: options arrive on the
 * command line or on stdin (agent_args.c), the action runs, the exit status
 * says how it went:
 *   0  success; for status: the power is on
 *   2  status only: the power is off
 *   1  anything else (bad options, BMC unreachable, off not verified ...)
 * as fencing.py, the fence-agents library, does. Messages go to stderr
 * (Pacemaker logs them), optionally to a debug file, and results of power
 * actions to syslog.
 *
 * A fence (off, and the off half of reboot) is verified: power off, then
 * the power state is read until it reads off, within power_timeout. The on
 * half of reboot is one power-on command, not waited for: the fence is
 * done once the host is off, and a host slow to boot must not turn a
 * successful fence into a failed one at Pacemaker's timeout.
 */
#include "agent_args.h"
#include "clock.h"
#include "ipmi.h"
#include "secret_file.h"
#include "text_escape.h"

#include "havm-build.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define EXIT_OFF 2 /* status: reachable, power off */

/* One run of the agent: its options and where its messages go. */
struct agent {
	struct agent_args args;
	bool quiet;
	unsigned verbose;
	FILE *debug; /* --debug-file, or NULL */
};

static void vlog(const struct agent *ag, int prio, const char *level, const char *fmt, va_list ap)
{
	char msg[2048];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (!ag->quiet && (prio <= LOG_WARNING || ag->verbose))
		fprintf(stderr, "%s: %s\n", level, msg);
	if (ag->debug) {
		struct timespec ts;
		struct tm tm;
		char when[32];

		clock_gettime(CLOCK_REALTIME, &ts);
		localtime_r(&ts.tv_sec, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
		fprintf(ag->debug, "%s,%03ld %s: %s\n", when, ts.tv_nsec / 1000000, level, msg);
		fflush(ag->debug);
	}
	if (prio <= LOG_NOTICE)
		syslog(prio, "%s", msg);
}

__attribute__((format(printf, 2, 3))) static void log_error(const struct agent *ag, const char *fmt,
							    ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(ag, LOG_ERR, "ERROR", fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 2, 3))) static void log_warning(const struct agent *ag,
							      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(ag, LOG_WARNING, "WARNING", fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 2, 3))) static void log_notice(const struct agent *ag,
							     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(ag, LOG_NOTICE, "INFO", fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 2, 3))) static void log_debug(const struct agent *ag, const char *fmt,
							    ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(ag, LOG_DEBUG, "DEBUG", fmt, ap);
	va_end(ap);
}

/*
 * The last line of defence against a hang (a BMC that keeps answering
 * slowly, a stuck password script): past every timeout the options allow,
 * give up loudly rather than let Pacemaker wonder.
 */
static void on_alarm(int sig)
{
	static const char msg[] = "ERROR: " AGENT_NAME ": overall time limit reached, giving up\n";

	(void)sig;
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0) {
		/* nothing more to do */
	}
	_exit(1);
}

static void arm_time_limit(const struct agent_args *a)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	/*
	 * delay, the off command, power_wait + power_timeout of polling, a
	 * poll the BMC stops answering, the power-on of reboot; 2 s for
	 * sessions closing and the script.
	 */
	uint64_t ms = (uint64_t)a->delay_ms + 3ull * a->ipmi_timeout_ms + a->power_wait_ms +
		      a->power_timeout_ms + 2000;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	alarm((unsigned)((ms + 999) / 1000));
}

/*
 * Run the password script as fencing.py does (a shell command line, its
 * output with trailing whitespace removed is the password), but refuse a
 * script that fails or prints too much instead of using what it printed.
 */
static int password_from_script(struct agent_args *a, char *err, size_t errlen)
{
	char out[1025];
	size_t n = 0;
	int status, rc = 0;
	FILE *p;

	fflush(NULL);
	p = popen(a->password_script, "r");
	if (!p) {
		rc = -errno;
		snprintf(err, errlen, "password script: cannot run: %s", strerror(-rc));
		return rc;
	}
	while (n < sizeof(out) - 1) {
		size_t got = fread(out + n, 1, sizeof(out) - 1 - n, p);
		if (got == 0)
			break;
		n += got;
	}
	if (n == sizeof(out) - 1 && fgetc(p) != EOF) {
		snprintf(err, errlen, "password script printed more than %zu bytes",
			 sizeof(out) - 1);
		rc = -EMSGSIZE;
	}
	status = pclose(p);
	out[n] = '\0';
	if (!rc && (status < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)) {
		snprintf(err, errlen, "password script failed (%s %d)",
			 status >= 0 && WIFEXITED(status) ? "exit status" : "status",
			 status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : status);
		rc = -EIO;
	}
	while (!rc && n > 0 &&
	       (out[n - 1] == '\n' || out[n - 1] == '\r' || out[n - 1] == ' ' ||
		out[n - 1] == '\t'))
		out[--n] = '\0';
	if (!rc && strlen(out) != n) {
		snprintf(err, errlen, "password script printed a NUL byte");
		rc = -EINVAL;
	}
	if (!rc && n > FENCE_IPMI_PASSWORD_MAX) {
		snprintf(err, errlen,
			 "password script printed more than %d bytes (the IPMI 2.0 limit)",
			 FENCE_IPMI_PASSWORD_MAX);
		rc = -EMSGSIZE;
	}
	if (!rc)
		memcpy(a->password, out, n + 1);
	explicit_bzero(out, sizeof(out));
	return rc;
}

static int password_resolve(struct agent_args *a, bool run_script, char *err, size_t errlen)
{
	if (a->given[OPT_PASSWORD_FILE])
		return secret_file_read(a->password_file, "password file", a->password,
					sizeof(a->password), err, errlen);
	if (a->given[OPT_PASSWORD_SCRIPT] && run_script)
		return password_from_script(a, err, errlen);
	return 0;
}

static void target_from_args(const struct agent_args *a, struct fence_ipmi_target *t)
{
	*t = (struct fence_ipmi_target){
		.host = a->ip,
		.port = a->ipport,
		.user = a->username,
		.password = a->password,
		.k_g = a->k_g_len ? a->k_g : NULL,
		.k_g_len = a->k_g_len,
		.privilege = a->privilege,
		.cipher_suite = a->cipher,
		.timeout_ms = a->ipmi_timeout_ms,
	};
}

static int do_status(const struct agent *ag, const struct fence_ipmi_target *t, bool print)
{
	char err[1024];
	uint64_t t0 = clock_now_ms();
	bool on = false;
	int rc = fence_ipmi_power_status(t, &on, err, sizeof(err));

	if (rc) {
		log_error(ag, "%s", err);
		return 1;
	}
	log_debug(ag, "%s:%u: power is %s (read in %llu ms)", t->host, (unsigned)t->port,
		  on ? "on" : "off", (unsigned long long)(clock_now_ms() - t0));
	if (print)
		printf("Status: %s\n", on ? "ON" : "OFF");
	return on || !print ? 0 : EXIT_OFF;
}

static int do_power(const struct agent *ag, const struct fence_ipmi_target *t, bool on)
{
	const struct agent_args *a = &ag->args;
	struct fence_ipmi_verify v = { .settle_ms = a->power_wait_ms,
				       .timeout_ms = a->power_timeout_ms,
				       .poll_ms = a->status_sleep_ms };
	char err[1024];
	uint64_t t0 = clock_now_ms();
	int rc = fence_ipmi_power_verified(t, on, &v, err, sizeof(err));

	if (rc) {
		log_error(ag, "%s", err);
		log_error(ag, "Failed: power %s was not verified", on ? "on" : "off");
		return 1;
	}
	log_notice(ag, "%s:%u: powered %s, verified in %llu ms", t->host, (unsigned)t->port,
		   on ? "on" : "off", (unsigned long long)(clock_now_ms() - t0));
	return 0;
}

static int do_reboot(const struct agent *ag, const struct fence_ipmi_target *t)
{
	char err[1024];

	if (do_power(ag, t, false))
		return 1;
	/* The fence is done: a failed power-on is for the operator, not a failed fence. */
	if (fence_ipmi_power_set(t, FENCE_IPMI_ON, err, sizeof(err)))
		log_warning(ag, "host is off but did not power on: %s", err);
	else
		log_notice(ag, "%s:%u: power on sent", t->host, (unsigned)t->port);
	return 0;
}

/* validate-all: everything that can be checked without the BMC or running the script. */
static int do_validate(struct agent *ag)
{
	struct agent_args *a = &ag->args;
	struct fence_ipmi_target t;
	char err[1024];

	if (password_resolve(a, false, err, sizeof(err))) {
		log_error(ag, "%s", err);
		return 1;
	}
	target_from_args(a, &t);
	if (fence_ipmi_target_check(&t, err, sizeof(err))) {
		log_error(ag, "%s", err);
		return 1;
	}
	return 0;
}

static int run(struct agent *ag)
{
	struct agent_args *a = &ag->args;
	struct fence_ipmi_target t;
	char err[1024];
	int rc;

	switch (a->action) {
	case AGENT_METADATA:
	case AGENT_MANPAGE: agent_print_metadata(stdout); return 0;
	case AGENT_LIST:
	case AGENT_LIST_STATUS:
		/* fencing.py's answer for a device without plugs: nothing to list. */
		printf("N/A\n");
		return 0;
	case AGENT_VALIDATE_ALL: return do_validate(ag);
	default: break;
	}

	arm_time_limit(a);
	if (password_resolve(a, true, err, sizeof(err))) {
		log_error(ag, "%s", err);
		return 1;
	}
	target_from_args(a, &t);
	if (fence_ipmi_target_check(&t, err, sizeof(err))) {
		log_error(ag, "%s", err);
		return 1;
	}
	if ((a->action == AGENT_OFF || a->action == AGENT_REBOOT) && a->delay_ms) {
		/* Two-node clusters give one side a head start in a fence race. */
		log_debug(ag, "delay %u ms before fencing", a->delay_ms);
		clock_sleep_ms(a->delay_ms);
	}

	switch (a->action) {
	case AGENT_STATUS: return do_status(ag, &t, true);
	case AGENT_MONITOR: return do_status(ag, &t, false);
	case AGENT_OFF:
		rc = do_power(ag, &t, false);
		if (!rc)
			printf("Success: Powered OFF\n");
		return rc;
	case AGENT_ON:
		rc = do_power(ag, &t, true);
		if (!rc)
			printf("Success: Powered ON\n");
		return rc;
	case AGENT_REBOOT:
		rc = do_reboot(ag, &t);
		if (!rc)
			printf("Success: Rebooted\n");
		return rc;
	default:
		log_error(ag, "Failed: Unrecognised action '%s'", agent_action_name(a->action));
		return 1;
	}
}

int main(int argc, char **argv)
{
	static struct agent agent; /* big (paths): static keeps it off the stack */
	struct agent *ag = &agent;
	struct agent_args *a = &ag->args;
	char err[1024], qip[TEXT_ESCAPE_SIZE(AGENT_HOST_MAX)], quser[TEXT_ESCAPE_SIZE(64)];
	int rc;

	agent_args_init(a);
	openlog(AGENT_NAME, LOG_PID, LOG_DAEMON);
	if (argc > 1)
		rc = agent_args_parse_argv(a, argc, argv, err, sizeof(err));
	else
		rc = agent_args_parse_stdin(a, stdin, err, sizeof(err));
	ag->quiet = a->quiet;
	ag->verbose = a->verbose;
	if (rc) {
		log_error(ag, "%s", err);
		log_error(ag, "Please use '-h' for usage");
		agent_args_wipe(a);
		return 1;
	}
	if (a->help) {
		agent_print_usage(stdout);
		agent_args_wipe(a);
		return 0;
	}
	if (a->version && a->action != AGENT_METADATA && a->action != AGENT_MANPAGE) {
		printf("%s %s\n", AGENT_NAME, PACKAGE_VERSION);
		agent_args_wipe(a);
		return 0;
	}
	if (agent_args_check(a, err, sizeof(err))) {
		log_error(ag, "%s", err);
		log_error(ag, "Please use '-h' for usage");
		agent_args_wipe(a);
		return 1;
	}
	if (a->debug_file[0]) {
		int fd = open(a->debug_file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		ag->debug = fd >= 0 ? fdopen(fd, "a") : NULL;
		if (!ag->debug) {
			char q[TEXT_ESCAPE_SIZE(256)];

			log_error(ag, "Failed: Unable to create file %s: %s",
				  text_escape(q, sizeof(q), a->debug_file, 256), strerror(errno));
			if (fd >= 0)
				close(fd);
			agent_args_wipe(a);
			return 1;
		}
	}
	/* Neither the address nor the user has been checked yet: both are escaped. */
	log_debug(ag, "action %s on %s:%u as user \"%s\", privilege %s, cipher suite %d",
		  agent_action_name(a->action),
		  a->ip[0] ? text_escape(qip, sizeof(qip), a->ip, AGENT_HOST_MAX) : "(none)",
		  (unsigned)a->ipport, text_escape(quser, sizeof(quser), a->username, 64),
		  fence_ipmi_privilege_name(a->privilege), a->cipher);
	rc = run(ag);
	agent_args_wipe(a);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		/* Pacemaker reads list and metadata output: a lost write is a failure. */
		log_error(ag, "cannot write to standard output: %s", strerror(errno));
		rc = 1;
	}
	if (ag->debug)
		fclose(ag->debug);
	return rc;
}
