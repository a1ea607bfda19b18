/*
 * main.c: havmd, the havm daemon. Parses arguments and the configuration,
 * sets up logging, the workers and the control socket, starts the services
 * (the corosync link first; daemon/services.c), then runs the one qb_loop
 * until SIGTERM, and stops them all.
 */
#include "config.h"

#include "cluster.h"
#include "ctl_server.h"
#include "incarnation.h"
#include "send_queue.h"
#include "service.h"
#include "havmd.h"
#include "device.h"
#include "log.h"

#include "havm-build.h"
#include "text_escape.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: havmd [OPTIONS]\n"
		"The havm daemon: keeps KVM virtual machines available across a cluster.\n"
		"\n"
		"  -c, --config FILE  configuration file (default %s)\n"
		"  -f, --foreground   stay in the foreground and log to stderr\n"
		"  -n, --check        check the configuration and exit: 0 if valid, 1 if not\n"
		"  -d, --debug        log debug messages (also set by log.debug in the config)\n"
		"  -V, --version      print the version and exit\n"
		"  -h, --help         print this help and exit\n"
		"\n"
		"havmd is normally started by systemd (havmd.service). See havmd(8).\n",
		HAVM_CONFIG_DEFAULT_PATH);
}

/*
 * Long options return their letter plus OPT_LONG: a bad one then comes
 * back with optopt >= OPT_LONG (0 if unknown), a bad short one with its
 * letter, and the message can name each as typed.
 */
#define OPT_LONG 256

/*
 * A bad command line: "havmd: WHAT "ARG"" with ARG escaped (it may hold
 * any byte), then the usage, on stderr. Returns 2, the exit status for it.
 */
static int usage_error(const char *what, const char *arg)
{
	char q[TEXT_ESCAPE_SIZE(128)];

	fprintf(stderr, "havmd: %s \"%s\"\n", what, text_escape(q, sizeof(q), arg, 128));
	usage(stderr);
	return 2;
}

/* No configuration reload yet: say so rather than die (SIGHUP's default)
 * or silently ignore an operator who expects a reload. */
static int32_t on_sighup(int32_t sig, void *data)
{
	(void)sig;
	(void)data;
	log_warn("havmd: SIGHUP ignored: configuration reload is not supported; "
		 "restart havmd to apply changes");
	return 0;
}

/*
 * One havmd per host: a second one would fight the first over the control
 * socket and announce the same node id twice. The lock lives in /run (a
 * tmpfs), so a crash or power loss never leaves it stale.
 */
static int lock_single_instance(void)
{
	const char *path = HAVM_RUN_DIR "/havmd.pid";
	char pid[32];
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);

	if (fd < 0) {
		int err = errno;
		fprintf(stderr, "havmd: cannot open %s: %s\n", path, strerror(err));
		return -err;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		ssize_t n = read(fd, pid, sizeof(pid) - 1);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		fprintf(stderr, "havmd: another havmd is already running (pid %s, lock %s)\n",
			pid[0] ? pid : "?", path);
		close(fd);
		return -EEXIST;
	}
	if (ftruncate(fd, 0) == 0) {
		int len = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
		if (write(fd, pid, (size_t)len) != len)
			fprintf(stderr, "havmd: cannot write %s\n", path);
	}
	return fd; /* kept open for the daemon's lifetime: that holds the lock */
}

/* What havm.conf's syntax cannot check: each IPMI device within IPMI's own
 * limits, so that a fence does not fail for a reason known at start. */
static int config_check_devices(const struct havmd *h, char *err, size_t errlen)
{
	for (size_t i = 0; i < h->cfg.n_hosts; i++) {
		const struct havm_host *host = &h->cfg.hosts[i];
		for (size_t l = 0; l < host->fence_levels; l++) {
			for (size_t d = 0; d < host->fence[l].n_devices; d++) {
				const struct havm_fence_device *dev = &host->fence[l].devices[d];
				char why[512];
				if (fence_device_check(dev, why, sizeof(why)) == 0)
					continue;
				char path[TEXT_ESCAPE_SIZE(256)];

				/* Names passed config_parse.c's charset; the path is the user's. */
				snprintf(err, errlen, "%s: host \"%s\" fence device \"%s\": %.400s",
					 text_escape(path, sizeof(path), h->config_path, 256),
					 host->name, dev->name, why);
				return -EINVAL;
			}
		}
	}
	return 0;
}

/* Said once at start: such a host, if it fails, is never fenced and its
 * loss needs an operator. */
static void warn_unfenceable(const struct havmd *h)
{
	if (h->cfg.storage_path[0])
		return;
	for (size_t i = 0; i < h->cfg.n_hosts; i++)
		if (h->cfg.hosts[i].fence_levels == 0)
			log_warn("fence: host=%s has no fence levels and there is no storage "
				 "group: if it fails it can never be fenced; add levels or storage",
				 h->cfg.hosts[i].name);
}

/* The state directory holds the fence history: make sure it exists (a
 * fresh install has none) before anything needs it. */
static int state_dir_ready(void)
{
	if (mkdir(HAVM_STATE_DIR, 0750) < 0 && errno != EEXIST) {
		int e = errno;
		log_err("havmd: cannot create %s: %s", HAVM_STATE_DIR, strerror(e));
		return -e;
	}
	return 0;
}

static int32_t on_signal(int32_t sig, void *data)
{
	struct havmd *h = data;

	log_notice("havmd: stopping signal=%s", strsignal(sig));
	h->state = HAVM_DAEMON_STOPPING;
	sd_notify(0, "STOPPING=1");
	cluster_announce(h);
	qb_loop_stop(h->loop);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, OPT_LONG + 'c' },
		{ "foreground", no_argument, NULL, OPT_LONG + 'f' },
		{ "check", no_argument, NULL, OPT_LONG + 'n' },
		{ "debug", no_argument, NULL, OPT_LONG + 'd' },
		{ "version", no_argument, NULL, OPT_LONG + 'V' },
		{ "help", no_argument, NULL, OPT_LONG + 'h' },
		{ NULL, 0, NULL, 0 },
	};
	/* Static, not on the stack: with every host's fence levels the
	 * configuration alone is over a megabyte. Still passed explicitly. */
	static struct havmd h = { .config_path = HAVM_CONFIG_DEFAULT_PATH };
	bool check_only = false, debug = false, help = false, version = false;
	char letter[3] = "-?", path[TEXT_ESCAPE_SIZE(HAVM_PATH_MAX)];
	const char *bad;
	char err[1024];
	qb_loop_signal_handle sigs[3];
	int c, rc;

	/* getopt's own messages would quote a bad option raw: ours escape it. */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:fndVh", opts, NULL)) != -1) {
		switch (c >= OPT_LONG ? c - OPT_LONG : c) {
		case 'c': h.config_path = optarg; break;
		case 'f': h.foreground = true; break;
		case 'n': check_only = true; break;
		case 'd': debug = true; break;
		case 'V': version = true; break;
		case 'h': help = true; break;
		default:
			/* A short option by its letter, a long one as the argument just passed. */
			letter[1] = (char)optopt;
			bad = optopt > 0 && optopt < OPT_LONG ? letter : argv[optind - 1];
			return usage_error(c == ':' ? "missing value for option" : "invalid option",
					   bad);
		}
	}
	/* Before -V and -h act: "havmd -V extra" is a mistake, not a version query. */
	if (optind != argc)
		return usage_error("unexpected argument", argv[optind]);
	if (help) {
		usage(stdout);
		return 0;
	}
	if (version) {
		printf("havmd %s\n", PACKAGE_VERSION);
		return 0;
	}

	rc = config_load(h.config_path, &h.cfg, err, sizeof(err));
	if (rc == 0)
		rc = config_check_devices(&h, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "havmd: %s\n", err);
		/* Under systemd stderr reaches the journal, but say it in syslog
		 * too: this is the one message an operator must see. */
		if (!check_only && !h.foreground)
			syslog(LOG_ERR, "havmd: config: %s", err);
		return 1;
	}
	if (check_only)
		return 0;
	if (lock_single_instance() < 0)
		return 1;

	havm_log_init(&(struct havm_log_opts){
		.ident = "havmd",
		.to_stderr = h.foreground,
		.debug = debug || h.cfg.debug,
		.facility = h.cfg.syslog_facility,
		.blackbox_kb = h.cfg.blackbox_kb,
	});
	signal(SIGPIPE, SIG_IGN);
	h.start_time = (uint64_t)time(NULL);
	h.state = HAVM_DAEMON_STARTING;
	log_notice("havmd: starting version=%s config=%s cluster=%s hosts=%zu", PACKAGE_VERSION,
		   text_escape(path, sizeof(path), h.config_path, HAVM_PATH_MAX),
		   h.cfg.cluster_name, h.cfg.n_hosts);

	if (state_dir_ready() < 0)
		return 1;
	rc = incarnation_next(HAVM_STATE_DIR, &h.incarnation);
	if (rc)
		log_err("havmd: cannot record this start's incarnation in %s: %s; a later start "
			"may repeat it if the clock is also set back",
			HAVM_STATE_DIR, strerror(-rc));
	log_info("havmd: incarnation=%llu", (unsigned long long)h.incarnation);
	if (h.cfg.storage_unsafe_no_watchdog)
		log_err("havmd: storage.unsafe_no_watchdog_for_tests is set: this host announces "
			"a watchdog it does not have, and if it is lost and cannot be powered "
			"off it will be taken as fenced when sanlock calls it dead, even if it "
			"is only hung; for test beds only, never in production");
	warn_unfenceable(&h);
	h.loop = qb_loop_create();
	if (!h.loop) {
		log_err("havmd: cannot create the main loop");
		return 1;
	}
	qb_loop_signal_add(h.loop, QB_LOOP_HIGH, SIGTERM, &h, on_signal, &sigs[0]);
	qb_loop_signal_add(h.loop, QB_LOOP_HIGH, SIGINT, &h, on_signal, &sigs[1]);
	qb_loop_signal_add(h.loop, QB_LOOP_HIGH, SIGHUP, &h, on_sighup, &sigs[2]);

	rc = workers_init(&h);
	if (rc) {
		log_err("havmd: cannot watch child processes: %s", strerror(-rc));
		return 1;
	}
	rc = ctl_server_start(&h);
	if (rc) {
		log_err("havmd: cannot open the control socket: %s", strerror(-rc));
		return 1;
	}
	h.state = HAVM_DAEMON_RUNNING;
	if (services_start(&h) < 0)
		return 1;
	/* Ready means: the CLI can ask us what is going on. Corosync may still
	 * be absent; status says so rather than systemd waiting for it. */
	sd_notify(0, "READY=1");

	qb_loop_run(h.loop);

	/* In the order services.c explains (the vote withdrawn and the lease
	 * released while corosync is up), then the core. */
	services_stop(&h);
	workers_stop(&h);
	ctl_server_stop(&h);
	sendq_stop(&h);
	qb_loop_destroy(h.loop);
	log_notice("havmd: stopped");
	havm_log_fini();
	return 0;
}
