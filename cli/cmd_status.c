/*
 * cmd_status.c: `havm status` and `havm node list`, for people and (with
 * --json) for scripts. Both render the same status reply from havmd.
 * `havm node fence` is dispatched from here to cmd_node_fence.c.
 */
#include "cli.h"

#include "json.h"

#include <json-c/json.h>
#include <stdlib.h>
#include "text_append.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const char *host_state(const struct wire_status_node *n)
{
	if (n->flags & WIRE_NODE_ONLINE)
		return "online";
	/* Proven off by its fence (or sanlock): the one state in which its
	 * VMs can be known to be stopped. */
	if (n->flags & WIRE_NODE_FENCED)
		return "fenced";
	/* Gone from the membership but still renewing its storage lease: cut
	 * off from the network, not dead. The difference decides fencing. */
	if (!(n->flags & WIRE_NODE_MEMBER) && n->heartbeat == HAVM_HB_LIVE)
		return "isolated";
	/* corosync sees the host but its havmd is not in the group: it is
	 * not taking part, and saying "online" would be a lie. */
	if (n->flags & WIRE_NODE_MEMBER)
		return "no-havmd";
	return "offline";
}

static void fmt_uptime(char *buf, size_t len, uint64_t now, uint64_t start)
{
	uint64_t s = now > start ? now - start : 0;

	if (s < 120)
		snprintf(buf, len, "%" PRIu64 "s", s);
	else if (s < 7200)
		snprintf(buf, len, "%" PRIu64 "m", s / 60);
	else if (s < 172800)
		snprintf(buf, len, "%" PRIu64 "h", s / 3600);
	else
		snprintf(buf, len, "%" PRIu64 "d", s / 86400);
}

static const struct wire_status_node *find_node(const struct wire_status_reply *m, uint32_t id)
{
	for (uint16_t i = 0; i < m->n_nodes; i++)
		if (m->nodes[i].nodeid == id)
			return &m->nodes[i];
	return NULL;
}

static void print_hosts_table(const struct wire_status_reply *m)
{
	printf("%-16s %-8s %-9s %-10s %-22s %s\n", "HOST", "NODEID", "STATE", "HEARTBEAT", "HAVMD",
	       "ROLE");
	for (uint16_t i = 0; i < m->n_nodes; i++) {
		const struct wire_status_node *n = &m->nodes[i];
		char daemon[96] = "-", up[24];
		char role[128] = "";

		if (n->flags & WIRE_NODE_HAVE_STATE) {
			fmt_uptime(up, sizeof(up), m->now, n->start_time);
			snprintf(daemon, sizeof(daemon), "%s %s %s", n->version,
				 wire_daemon_state_name(n->state), up);
		}
		/* Words separated by one space; 64 bytes hold all four. */
		if (n->flags & WIRE_NODE_COORDINATOR)
			text_append(role, sizeof(role), role[0] ? " " : "", "coordinator");
		if (n->flags & WIRE_NODE_LOCAL)
			text_append(role, sizeof(role), role[0] ? " " : "", "(this host)");
		if (!(n->flags & WIRE_NODE_CONFIGURED))
			text_append(role, sizeof(role), role[0] ? " " : "", "NOT-IN-CONFIG");
		if (n->flags & WIRE_NODE_FENCE_PENDING)
			text_append(role, sizeof(role), role[0] ? " " : "", "FENCE-PENDING");
		/* Only power can prove such a host off (see the note below). */
		if (m->storage != HAVM_STORAGE_OFF && (n->fence_info & WIRE_FENCE_INFO_KNOWN) &&
		    !(n->fence_info & WIRE_FENCE_INFO_WATCHDOG))
			text_append(role, sizeof(role), role[0] ? " " : "", "NO-WATCHDOG");
		if (n->fence_info & WIRE_FENCE_INFO_UNSAFE)
			text_append(role, sizeof(role), role[0] ? " " : "", "UNSAFE-TEST-WATCHDOG");
		printf("%-16s %-8u %-9s %-10s %-22s %s\n", n->name, n->nodeid, host_state(n),
		       n->heartbeat == HAVM_HB_UNKNOWN ? "-" : wire_heartbeat_name(n->heartbeat),
		       daemon, role);
	}
}

/* What some combinations in the table mean, said once below it. */
static void print_notes(const struct wire_status_reply *m)
{
	bool no_wd = false, unsafe = false;

	for (uint16_t i = 0; i < m->n_nodes; i++) {
		const struct wire_status_node *n = &m->nodes[i];

		if ((n->flags & WIRE_NODE_ONLINE) && n->heartbeat == HAVM_HB_DEAD)
			printf("\nnote: %s is online but its storage heartbeat reads dead: that is\n"
			       "      the heartbeat of its previous life; its sanlock has not joined\n"
			       "      the lockspace again yet (it waits that life out), and it can\n"
			       "      run no leased VM until it has.\n",
			       n->name);
		no_wd |= m->storage != HAVM_STORAGE_OFF && (n->fence_info & WIRE_FENCE_INFO_KNOWN) &&
			 !(n->fence_info & WIRE_FENCE_INFO_WATCHDOG);
		unsafe |= (n->fence_info & WIRE_FENCE_INFO_UNSAFE) != 0;
	}
	if (no_wd)
		printf("\nnote: NO-WATCHDOG: that host's sanlock runs without a watchdog, so its dead\n"
		       "      storage heartbeat proves nothing: if it is lost and no fence level\n"
		       "      can power it off, it is never taken as fenced (fence-less recovery\n"
		       "      unavailable). Run sanlock with its watchdog (wdmd), or see\n"
		       "      storage.watchdog in havm.conf(5).\n");
	if (unsafe)
		printf("\nnote: UNSAFE-TEST-WATCHDOG: that host runs with\n"
		       "      storage.unsafe_no_watchdog_for_tests: it claims a watchdog it does not\n"
		       "      have. For test beds only; never in production.\n");
}

static void print_human(const struct wire_status_reply *m)
{
	const struct wire_status_node *local = find_node(m, m->local_nodeid);
	const struct wire_status_node *coord = find_node(m, m->coordinator);
	unsigned online = 0;

	for (uint16_t i = 0; i < m->n_nodes; i++)
		online += (m->nodes[i].flags & WIRE_NODE_ONLINE) != 0;
	printf("Cluster:     %s\n", m->cluster_name);
	if (!(m->flags & WIRE_STATUS_COROSYNC_UP)) {
		printf("Corosync:    NOT CONNECTED: havmd on this host cannot reach corosync;\n"
		       "             membership and quorum are unknown (havmd retries)\n");
	} else {
		printf("This host:   %s (node id %u)\n", local ? local->name : "?", m->local_nodeid);
		printf("Quorum:      %s\n", (m->flags & WIRE_STATUS_QUORATE)
						    ? "yes"
						    : "NO: this partition takes no action");
		printf("Ring id:     %u.%" PRIu64 "\n", m->ring_nodeid, m->ring_seq);
		if (coord)
			printf("Coordinator: %s (node id %u)\n", coord->name, coord->nodeid);
		else if (m->flags & WIRE_STATUS_SETTLING)
			printf("Coordinator: none while the membership settles\n");
		else
			printf("Coordinator: none\n");
	}
	if (m->storage == HAVM_STORAGE_OFF)
		printf("Storage:     not configured (no storage heartbeat, no leases)\n");
	else {
		char dur[24];

		fmt_uptime(dur, sizeof(dur), m->now, m->now - m->storage_for_s);
		printf("Storage:     %s for %s (%s)\n", wire_storage_state_name(m->storage), dur,
		       m->storage_path);
	}
	if (m->storage == HAVM_STORAGE_JOINING)
		printf("             sanlock is joining the lockspace: after this host lost power\n"
		       "             it waits out its previous life (about 80 s at io_timeout 2,\n"
		       "             longer at 10); until then this host can run no leased VM\n");
	printf("Hosts:       %u of %u online\n\n", online, m->n_nodes);
	print_hosts_table(m);
	print_notes(m);
}

static void json_node(const struct wire_status_reply *m, const struct wire_status_node *n)
{
	printf("{\"name\":");
	json_put_string(stdout, n->name);
	printf(",\"nodeid\":%u,\"state\":\"%s\",\"online\":%s,\"member\":%s,"
	       "\"coordinator\":%s,\"local\":%s,\"configured\":%s,\"heartbeat\":\"%s\","
	       "\"fence\":%s,\"watchdog\":%s,\"unsafe_no_watchdog\":%s,\"daemon\":",
	       n->nodeid, host_state(n), n->flags & WIRE_NODE_ONLINE ? "true" : "false",
	       n->flags & WIRE_NODE_MEMBER ? "true" : "false",
	       n->flags & WIRE_NODE_COORDINATOR ? "true" : "false",
	       n->flags & WIRE_NODE_LOCAL ? "true" : "false",
	       n->flags & WIRE_NODE_CONFIGURED ? "true" : "false", wire_heartbeat_name(n->heartbeat),
	       n->flags & WIRE_NODE_FENCE_PENDING ? "\"pending\""
	       : n->flags & WIRE_NODE_FENCED      ? "\"done\""
						  : "null",
	       !(n->fence_info & WIRE_FENCE_INFO_KNOWN)  ? "null"
	       : n->fence_info & WIRE_FENCE_INFO_WATCHDOG ? "true"
							  : "false",
	       n->fence_info & WIRE_FENCE_INFO_UNSAFE ? "true" : "false");
	if (n->flags & WIRE_NODE_HAVE_STATE) {
		printf("{\"version\":");
		json_put_string(stdout, n->version);
		printf(",\"state\":\"%s\",\"start_time\":%" PRIu64 ",\"uptime\":%" PRIu64 "}",
		       wire_daemon_state_name(n->state), n->start_time,
		       m->now > n->start_time ? m->now - n->start_time : 0);
	} else {
		printf("null");
	}
	printf("}");
}

static void json_nodes(const struct wire_status_reply *m)
{
	printf("[");
	for (uint16_t i = 0; i < m->n_nodes; i++) {
		if (i)
			printf(",");
		json_node(m, &m->nodes[i]);
	}
	printf("]");
}

/*
 * The protected VMs in brief, for `havm status --json`: ,"vms":{counts by
 * status, "n_plus_one":{...}} when VM high availability is on, nothing
 * otherwise (the whole list is `havm vm list --json`). Built with json-c
 * from havmd's document.
 */
static void print_vms_json(void)
{
	static const char *const kinds[] = { "running", "starting", "stopping", "pending",
					     "failed",  "stopped" };
	char *text = NULL;
	size_t len = 0;
	json_object *doc, *vms, *n1, *out;
	int64_t n[6] = { 0 };

	ctl_quiet = true;
	if (doc_fetch(WIRE_DOC_VMS, NULL, &text, &len) != HAVM_EXIT_OK) {
		ctl_quiet = false;
		return;
	}
	ctl_quiet = false;
	doc = json_tokener_parse(text);
	free(text);
	if (!doc || !json_object_object_get_ex(doc, "vms", &vms)) {
		json_object_put(doc);
		return;
	}
	out = json_object_new_object();
	json_object_object_add(out, "protected",
			       json_object_new_int64((int64_t)json_object_array_length(vms)));
	for (size_t i = 0; i < json_object_array_length(vms); i++) {
		json_object *st;
		const char *v = json_object_object_get_ex(json_object_array_get_idx(vms, i),
							  "status", &st)
					? json_object_get_string(st)
					: "";
		for (size_t k = 0; k < 6; k++)
			if (strcmp(v, kinds[k]) == 0)
				n[k]++;
	}
	for (size_t k = 0; k < 6; k++)
		json_object_object_add(out, kinds[k], json_object_new_int64(n[k]));
	if (json_object_object_get_ex(doc, "n_plus_one", &n1))
		json_object_object_add(out, "n_plus_one", json_object_get(n1));
	printf(",\"vms\":%s", json_object_to_json_string_ext(out, JSON_C_TO_STRING_PLAIN));
	json_object_put(out);
	json_object_put(doc);
}

static void print_json(const struct wire_status_reply *m)
{
	bool up = m->flags & WIRE_STATUS_COROSYNC_UP;

	printf("{\"cluster\":");
	json_put_string(stdout, m->cluster_name);
	printf(",\"local_nodeid\":%u,\"corosync\":\"%s\",\"quorate\":%s,\"settling\":%s,",
	       m->local_nodeid, up ? "connected" : "disconnected",
	       m->flags & WIRE_STATUS_QUORATE ? "true" : "false",
	       m->flags & WIRE_STATUS_SETTLING ? "true" : "false");
	if (up)
		printf("\"ring_id\":{\"nodeid\":%u,\"seq\":%" PRIu64 "},", m->ring_nodeid,
		       m->ring_seq);
	else
		printf("\"ring_id\":null,");
	if (m->coordinator)
		printf("\"coordinator\":%u,", m->coordinator);
	else
		printf("\"coordinator\":null,");
	printf("\"storage\":{\"state\":");
	json_put_string(stdout, wire_storage_state_name(m->storage));
	printf(",\"for_s\":%u", m->storage_for_s);
	printf(",\"path\":");
	if (m->storage == HAVM_STORAGE_OFF)
		printf("null");
	else
		json_put_string(stdout, m->storage_path);
	printf("},\"time\":%" PRIu64 ",\"hosts\":", m->now);
	json_nodes(m);
	print_vms_json();
	printf("}\n");
}

int status_fetch(struct wire_status_reply *m)
{
	static uint8_t buf[HAVM_WIRE_MSG_MAX];
	size_t len = 0;
	int rc = ctl_request(HAVM_MSG_STATUS_REQ, HAVM_MSG_STATUS_REPLY, buf, &len);

	if (rc)
		return rc;
	if (wire_status_reply_decode(buf, len, m)) {
		fprintf(stderr, "havm: malformed status reply from havmd\n");
		return HAVM_EXIT_PROTOCOL;
	}
	return HAVM_EXIT_OK;
}

/* Parse [--json] [-h]; returns -1 to go on, or an exit code. */
static int parse_json_flag(int argc, char **argv, const char *usage, bool *json)
{
	enum {
		OPT_JSON = CLI_LONG,
		OPT_HELP = CLI_LONG + 'h'
	};
	static const struct option opts[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_JSON: *json = true; break;
		case 'h':
		case OPT_HELP: fputs(usage, stdout); return HAVM_EXIT_OK;
		default: return cli_bad_option(c, argv, usage);
		}
	}
	if (optind != argc)
		return cli_unexpected(argv[optind], usage);
	return -1;
}

/*
 * The protected VMs in brief, and whether the cluster survives losing any
 * one host (N+1), when VM high availability is on; nothing otherwise.
 * From the same document as `havm vm list` (`havm vm list --json` for
 * scripts).
 */
static void status_vms(void)
{
	char *text = NULL;
	size_t len = 0;
	json_object *doc, *vms, *hosts, *n1, *v;
	unsigned running = 0, paused = 0, pending = 0, failed = 0, stopped = 0, total = 0;

	ctl_quiet = true;
	if (doc_fetch(WIRE_DOC_VMS, NULL, &text, &len) != HAVM_EXIT_OK) {
		ctl_quiet = false;
		return;
	}
	ctl_quiet = false;
	doc = json_tokener_parse(text);
	free(text);
	if (!doc || !json_object_object_get_ex(doc, "vms", &vms) ||
	    !json_object_object_get_ex(doc, "hosts", &hosts)) {
		json_object_put(doc);
		return;
	}
	for (size_t i = 0; i < json_object_array_length(vms); i++) {
		json_object *o = json_object_array_get_idx(vms, i), *st;
		const char *s = json_object_object_get_ex(o, "status", &st)
					? json_object_get_string(st)
					: "";
		total++;
		if (strcmp(s, "running") == 0)
			running++;
		else if (strcmp(s, "paused") == 0)
			paused++;
		else if (strcmp(s, "failed") == 0)
			failed++;
		else if (strcmp(s, "stopped") == 0)
			stopped++;
		else
			pending++;
	}
	printf("\nVMs: %u protected: %u running, %u starting or pending, %u failed, %u stopped",
	       total, running, pending, failed, stopped);
	if (paused)
		printf(", %u paused", paused);
	printf(" (havm vm list)\n");
	printf("CPU load:");
	for (size_t i = 0; i < json_object_array_length(hosts); i++) {
		json_object *o = json_object_array_get_idx(hosts, i), *n, *l;
		if (json_object_object_get_ex(o, "name", &n) && json_object_object_get_ex(o, "load_pct", &l))
			printf("%s %s %lld%%", i ? "," : "", json_object_get_string(n),
			       (long long)json_object_get_int64(l));
	}
	printf(" (havm balance --dry-run)\n");
	if (json_object_object_get_ex(doc, "maintenance_mode", &n1) && json_object_get_boolean(n1))
		printf("CLUSTER MAINTENANCE MODE: no host is fenced, no VM started, stopped or "
		       "moved (havm cluster maintenance off)\n");
	for (size_t i = 0; i < json_object_array_length(hosts); i++) {
		json_object *o = json_object_array_get_idx(hosts, i), *e, *w, *n, *ev;
		if (json_object_object_get_ex(o, "evacuation", &ev) &&
		    json_object_object_get_ex(o, "name", &n)) {
			json_object *l, *mv, *bl;
			int64_t left = json_object_object_get_ex(ev, "left", &l) ? json_object_get_int64(l) : 0;
			printf("  %s in maintenance: %s", json_object_get_string(n),
			       left ? "evacuating" : "empty");
			if (left)
				printf(", %lld VM(s) left", (long long)left);
			if (json_object_object_get_ex(ev, "moving", &mv) && json_object_array_length(mv))
				printf("; moving %s", json_object_to_json_string_ext(mv, JSON_C_TO_STRING_PLAIN));
			if (json_object_object_get_ex(ev, "blocked", &bl))
				for (size_t b = 0; b < json_object_array_length(bl); b++) {
					json_object *x = json_object_array_get_idx(bl, b), *vm, *why;
					if (json_object_object_get_ex(x, "vm", &vm) &&
					    json_object_object_get_ex(x, "why", &why))
						printf("; %s cannot move: %s", json_object_get_string(vm),
						       json_object_get_string(why));
				}
			printf("\n");
			continue;
		}
		if (json_object_object_get_ex(o, "eligible", &e) && !json_object_get_boolean(e) &&
		    json_object_object_get_ex(o, "why_not", &w) &&
		    json_object_object_get_ex(o, "name", &n) &&
		    strcmp(json_object_get_string(w), "not in the cluster") != 0)
			printf("  %s takes no VMs now: %s\n", json_object_get_string(n),
			       json_object_get_string(w));
	}
	if (json_object_object_get_ex(doc, "n_plus_one", &n1) && total) {
		json_object *ok, *wh, *names;
		if (json_object_object_get_ex(n1, "ok", &ok) && json_object_get_boolean(ok))
			printf("N+1: every protected VM would have a place if any one host failed\n");
		else if (json_object_object_get_ex(n1, "worst_host", &wh) &&
			 json_object_object_get_ex(n1, "vms", &names))
			printf("N+1: NOT MET: if %s failed, these would have no place: %s\n",
			       json_object_get_string(wh), json_object_get_string(names));
	}
	(void)v;
	json_object_put(doc);
}

int cmd_status(int argc, char **argv)
{
	static const char usage[] =
		"Usage: havm status [--json]\n"
		"Show the cluster as havmd on this host sees it: quorum, ring id, coordinator,\n"
		"storage, and every host: online; no-havmd (corosync sees it, its havmd is not\n"
		"running); fenced (left, then proven off); isolated (out of the membership but\n"
		"its storage heartbeat is live); offline. See havm(8).\n"
		"  --json   one JSON object, for scripts (see havm(8))\n";
	static struct wire_status_reply m;
	bool json = false;
	int rc = parse_json_flag(argc, argv, usage, &json);

	if (rc >= 0)
		return rc;
	rc = status_fetch(&m);
	if (rc)
		return rc;
	if (json)
		print_json(&m);
	else {
		print_human(&m);
		status_vms();
	}
	return HAVM_EXIT_OK;
}

int cmd_node(int argc, char **argv)
{
	static const char usage[] =
		"Usage: havm node list [--json]\n"
		"       havm node fence NODE [--force]\n"
		"       havm node maintenance NODE on|off [OPTIONS] (see havm node maintenance -h)\n"
		"list: the cluster's hosts with their node id and state.\n"
		"fence: power NODE off through its fence levels now (the coordinator of the\n"
		"  quorate partition does it); asks for confirmation unless --force.\n"
		"maintenance: empty NODE by live migration before servicing it, and back.\n";
	static struct wire_status_reply m;
	bool json = false;
	int rc;

	if (argc < 2 || cli_is_help(argv[1])) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? HAVM_EXIT_USAGE : HAVM_EXIT_OK;
	}
	if (strcmp(argv[1], "fence") == 0) {
		for (int i = 2; i < argc; i++)
			if (cli_is_help(argv[i])) {
				fputs(usage, stdout);
				return HAVM_EXIT_OK;
			}
		return cmd_node_fence(argc - 1, argv + 1, usage);
	}
	if (strcmp(argv[1], "maintenance") == 0)
		return cmd_node_maintenance(argc - 1, argv + 1);
	if (strcmp(argv[1], "list") != 0) {
		char q[CLI_QUOTE_SIZE];

		fprintf(stderr, "havm: unknown node command \"%s\"\n%s",
			cli_quote(q, sizeof(q), argv[1]), usage);
		return HAVM_EXIT_USAGE;
	}
	rc = parse_json_flag(argc - 1, argv + 1, usage, &json);
	if (rc >= 0)
		return rc;
	rc = status_fetch(&m);
	if (rc)
		return rc;
	if (json) {
		json_nodes(&m);
		printf("\n");
	} else {
		print_hosts_table(&m);
	}
	return HAVM_EXIT_OK;
}
