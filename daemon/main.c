/*
 * main.c: havmd, the havm daemon. Parses arguments and the configuration,
 * sets up logging, the control socket and the corosync link, then runs the
 * one qb_loop until SIGTERM.
 */
#include "config.h"

#include "cluster.h"
#include "ctl_server.h"
#include "havmd.h"
#include "log.h"

#include "havm-build.h"

#include <errno.h>
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
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "check", no_argument, NULL, 'n' },
		{ "debug", no_argument, NULL, 'd' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct havmd h = { .config_path = HAVM_CONFIG_DEFAULT_PATH };
	bool check_only = false, debug = false;
	char err[1024];
	qb_loop_signal_handle sigs[2];
	int c, rc;

	while ((c = getopt_long(argc, argv, "c:fndVh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': h.config_path = optarg; break;
		case 'f': h.foreground = true; break;
		case 'n': check_only = true; break;
		case 'd': debug = true; break;
		case 'V': printf("havmd %s\n", PACKAGE_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "havmd: unexpected argument \"%s\"\n", argv[optind]);
		usage(stderr);
		return 2;
	}

	rc = config_load(h.config_path, &h.cfg, err, sizeof(err));
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
		   h.config_path, h.cfg.cluster_name, h.cfg.n_hosts);

	h.loop = qb_loop_create();
	if (!h.loop) {
		log_err("havmd: cannot create the main loop");
		return 1;
	}
	qb_loop_signal_add(h.loop, QB_LOOP_HIGH, SIGTERM, &h, on_signal, &sigs[0]);
	qb_loop_signal_add(h.loop, QB_LOOP_HIGH, SIGINT, &h, on_signal, &sigs[1]);

	rc = ctl_server_start(&h);
	if (rc) {
		log_err("havmd: cannot open the control socket: %s", strerror(-rc));
		return 1;
	}
	h.state = HAVM_DAEMON_RUNNING;
	cluster_start(&h);
	/* Ready means: the CLI can ask us what is going on. Corosync may still
	 * be absent; status says so rather than systemd waiting for it. */
	sd_notify(0, "READY=1");

	qb_loop_run(h.loop);

	cluster_stop(&h);
	ctl_server_stop(&h);
	qb_loop_destroy(h.loop);
	log_notice("havmd: stopped");
	havm_log_fini();
	return 0;
}
