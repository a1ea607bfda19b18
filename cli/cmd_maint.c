/*
 * cmd_maint.c: maintenance.
 *   havm node maintenance NODE on [--protected-only] [--dry-run] [--force]
 *        [--wait [--timeout SEC]]
 *   havm node maintenance NODE off
 *   havm cluster maintenance on|off
 * Both are changes to the cluster configuration (node and property lines),
 * so every havmd, and a coordinator that takes over, sees them. Emptying
 * the host is havmd's work (daemon/vm_evac.c); this file checks first
 * that the others can take its VMs (the same planner as `havm plan
 * --fail`), and with --wait follows the evacuation until it is done or
 * stuck, saying what moves and what cannot and why.
 */
#include "cli.h"
#include "cli_json.h"
#include "vm_config.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char node_usage[] =
	"Usage: havm node maintenance NODE on [--protected-only] [--dry-run] [--force]\n"
	"                                [--wait [--timeout SEC]]\n"
	"       havm node maintenance NODE off [--failback [--wait [--timeout SEC]]] [--force]\n"
	"on: NODE takes no more VMs and havmd live-migrates every VM off it (its\n"
	"  protected VMs by priority, then the others; with --protected-only only the\n"
	"  protected ones); it is not fenced when it leaves the cluster. Refused when\n"
	"  the other hosts cannot take its protected VMs, unless --force. --dry-run\n"
	"  prints where each would go and changes nothing. --wait follows the moves\n"
	"  until NODE is empty (exit 0) or SEC seconds pass (default 600; exit 1,\n"
	"  naming what is left and why).\n"
	"off: NODE is back in service (it takes VMs again). Refused while NODE is not\n"
	"  in the cluster (it would be fenced at once), unless --force. --failback\n"
	"  live-migrates back the protected VMs that ran on NODE when it went into\n"
	"  maintenance; --wait follows them until they run there.\n"
	"Exit codes: 0 done, 1 refused or failed, 2 usage, 3 havmd not running,\n"
	"6 no such host. See havm(8).\n";

static const char cluster_usage[] =
	"Usage: havm cluster maintenance on|off\n"
	"on: cluster maintenance mode: havmd fences no host and starts, stops or\n"
	"  migrates no VM (crash restarts included) while it monitors as usual;\n"
	"  status says so. off: what happened meanwhile is acted on (a host lost\n"
	"  during it is fenced, its VMs restarted). See havm(8).\n";



/* A JSON document from havmd (KIND, ARG), parsed; NULL with *RC set. */
static json_object *fetch(uint8_t kind, const char *arg, int *rc)
{
	char *text = NULL;
	size_t len = 0;
	json_object *doc;

	*rc = doc_fetch(kind, arg, &text, &len);
	if (*rc)
		return NULL;
	doc = json_tokener_parse(text);
	free(text);
	if (!doc) {
		fprintf(stderr, "havm: havmd sent a malformed document\n");
		*rc = HAVM_EXIT_PROTOCOL;
	}
	return doc;
}

static json_object *host_of(json_object *doc, const char *name)
{
	json_object *hosts = jget(doc, "hosts");

	for (size_t i = 0; hosts && i < json_object_array_length(hosts); i++) {
		json_object *o = json_object_array_get_idx(hosts, i);
		if (strcmp(jstr(o, "name"), name) == 0)
			return o;
	}
	return NULL;
}

/* Whether NODE's corosync is in this partition's membership now. */
static bool host_in_cluster(const char *node)
{
	static struct wire_status_reply m;

	if (status_fetch(&m) != HAVM_EXIT_OK)
		return false;
	for (uint16_t i = 0; i < m.n_nodes; i++)
		if (strcmp(m.nodes[i].name, node) == 0)
			return m.nodes[i].flags & WIRE_NODE_MEMBER;
	return false;
}

static int send_text(const char *text, const char *done)
{
	uint64_t version = 0;
	int rc = vm_change_send_retry(text, strlen(text), &version);

	if (rc == HAVM_EXIT_OK)
		printf("%s (configuration version %llu)\n", done, (unsigned long long)version);
	return rc;
}

/*
 * Where NODE's protected VMs would go: `havm plan --fail NODE`, whose
 * planner takes NODE's VMs as down and NODE as out, as the evacuation
 * does. Prints one line per VM (always with DRY_RUN, else only those with
 * no place); returns how many have no place, or -1 on error (*RC).
 */
static int check_room(const char *node, bool dry_run, int *rc)
{
	json_object *now = fetch(WIRE_DOC_VMS, NULL, rc), *plan, *vms, *pvms;
	int stuck = 0;

	if (!now)
		return -1;
	plan = fetch(WIRE_DOC_PLAN, node, rc);
	if (!plan) {
		json_object_put(now);
		return -1;
	}
	vms = jget(now, "vms");
	pvms = jget(plan, "vms");
	for (size_t i = 0; vms && i < json_object_array_length(vms); i++) {
		json_object *o = json_object_array_get_idx(vms, i), *p = NULL;

		if (strcmp(jstr(o, "host"), node) != 0 || strcmp(jstr(o, "state"), "stopped") == 0)
			continue;
		for (size_t k = 0; pvms && k < json_object_array_length(pvms) && !p; k++)
			if (strcmp(jstr(json_object_array_get_idx(pvms, k), "name"),
				   jstr(o, "name")) == 0)
				p = json_object_array_get_idx(pvms, k);
		if (p && strcmp(jstr(p, "status"), "would-start") == 0) {
			if (dry_run)
				printf("  %s -> %s (%s)\n", jstr(o, "name"), jstr(p, "target"),
				       jstr(p, "reason"));
			continue;
		}
		/* Elsewhere already (a migration that has just ended). */
		if (p && strcmp(jstr(p, "status"), "pending") != 0 &&
		    strcmp(jstr(p, "status"), "failed") != 0 && jstr(p, "host")[0] &&
		    strcmp(jstr(p, "host"), node) != 0) {
			if (dry_run)
				printf("  %s: on %s already\n", jstr(o, "name"), jstr(p, "host"));
			continue;
		}
		stuck++;
		printf("  %s: no place: %s\n", jstr(o, "name"),
		       !p		     ? "not in the plan"
		       : jstr(p, "reason")[0] ? jstr(p, "reason")
					     : jstr(p, "status"));
	}
	json_object_put(now);
	json_object_put(plan);
	return stuck;
}

/* One line on NODE's evacuation; whether it is done (nothing left). */
static bool progress(json_object *host, char *line, size_t cap)
{
	json_object *ev = jget(host, "evacuation"), *moving, *blocked;
	size_t n = 0;
	int64_t left;

	if (!ev) {
		snprintf(line, cap, "not in maintenance");
		return false;
	}
	left = json_object_get_int64(jget(ev, "left"));
	moving = jget(ev, "moving");
	blocked = jget(ev, "blocked");
	n += (size_t)snprintf(line + n, cap - n, "%lld left", (long long)left);
	for (size_t i = 0; moving && i < json_object_array_length(moving) && n < cap; i++)
		n += (size_t)snprintf(line + n, cap - n, "%s%s", i ? ", " : "; moving: ",
				      json_object_get_string(json_object_array_get_idx(moving, i)));
	for (size_t i = 0; blocked && i < json_object_array_length(blocked) && n < cap; i++) {
		json_object *b = json_object_array_get_idx(blocked, i);
		n += (size_t)snprintf(line + n, cap - n, "%s%s (%s)", i ? "; " : "; cannot move: ",
				      jstr(b, "vm"), jstr(b, "why"));
	}
	return left == 0;
}

static int wait_empty(const char *node, unsigned timeout_s)
{
	char line[2048] = "", last[2048] = "";
	time_t end = time(NULL) + timeout_s;
	bool done = false;

	for (;;) {
		int rc;
		json_object *doc = fetch(WIRE_DOC_VMS, NULL, &rc), *host;

		if (!doc)
			return rc;
		host = host_of(doc, node);
		done = host && progress(host, line, sizeof(line));
		json_object_put(doc);
		if (strcmp(line, last) != 0) {
			printf("%s: %s\n", node, line);
			fflush(stdout);
			snprintf(last, sizeof(last), "%s", line);
		}
		if (done) {
			printf("%s is in maintenance: no VM left to move\n", node);
			return HAVM_EXIT_OK;
		}
		if (time(NULL) >= end) {
			fflush(stdout);
			fprintf(stderr,
				"havm: %s is not empty after %u s: %s (the coordinator's havm "
				"status and havm events say what cannot move and why)\n",
				node, timeout_s, line);
			return HAVM_EXIT_ERROR;
		}
		sleep(1);
	}
}

/* Where VM runs now ("" nowhere), from DOC. */
static const char *where_is(json_object *doc, const char *vm)
{
	json_object *vl = jget(doc, "vms");

	for (size_t i = 0; vl && i < json_object_array_length(vl); i++) {
		json_object *o = json_object_array_get_idx(vl, i);
		if (strcmp(jstr(o, "name"), vm) == 0)
			return jstr(o, "host");
	}
	return "";
}

/*
 * Ask for each VM of VMS (comma-separated) that runs elsewhere to move
 * back to NODE. A request is refused while NODE is not ready for VMs yet
 * (its report still holds the configuration from before, libvirt warming
 * up): tried again each second for up to 30 s. With WAIT, follow until
 * all run there (exit 0) or TIMEOUT_S passes (exit 1, naming those that
 * do not), asking again every 15 s for those neither moving nor back (a
 * request is forgotten by a new coordinator). Without WAIT, exit 1 when
 * some request was never taken.
 */
static int fail_back(const char *node, const char *vms, bool wait, unsigned timeout_s)
{
	char list[VMCFG_NODE_VMS_MAX + 1], left[1024], *save = NULL;
	time_t start = time(NULL), end = start + timeout_s, asked_at = 0;
	bool first = true;
	uint32_t dest = 0;
	int rc;

	for (;;) {
		json_object *doc = fetch(WIRE_DOC_VMS, NULL, &rc);
		size_t used = 0;
		int refused = 0;
		bool ask = first || (time(NULL) - asked_at >= (wait ? 15 : 1));

		if (!doc)
			return rc;
		if (!dest)
			dest = (uint32_t)jint(host_of(doc, node), "nodeid");
		left[0] = '\0';
		snprintf(list, sizeof(list), "%s", vms);
		for (char *vm = strtok_r(list, ",", &save); vm; vm = strtok_r(NULL, ",", &save)) {
			const char *at = where_is(doc, vm);

			if (!at[0] || strcmp(at, node) == 0)
				continue; /* gone, stopped, or back */
			if (used < sizeof(left))
				used += (size_t)snprintf(left + used, sizeof(left) - used, "%s%s on %s",
							 used ? ", " : "", vm, at);
			if (!ask)
				continue;
			ctl_quiet = true;
			rc = vm_migrate_send(vm, dest);
			ctl_quiet = false;
			if (rc != HAVM_EXIT_OK)
				refused++;
			else if (first)
				printf("failback: %s from %s to %s requested\n", vm, at, node);
		}
		json_object_put(doc);
		if (ask)
			asked_at = time(NULL);
		if (!left[0]) {
			printf(first ? "failback: no VM to move back to %s\n"
				     : "failback: every VM is back on %s\n",
			       node);
			return HAVM_EXIT_OK;
		}
		first = false;
		if (!wait && (!refused || time(NULL) - start >= 30)) {
			if (!refused)
				return HAVM_EXIT_OK;
			fflush(stdout);
			fprintf(stderr, "havm: %s takes no VMs yet; not requested: %s (try again, or "
					"havm vm migrate)\n",
				node, left);
			return HAVM_EXIT_ERROR;
		}
		if (wait && time(NULL) >= end) {
			fflush(stdout);
			fprintf(stderr,
				"havm: not back on %s after %u s: %s (havm events on the coordinator "
				"say why)\n",
				node, timeout_s, left);
			return HAVM_EXIT_ERROR;
		}
		sleep(1);
	}
}

int cmd_node_maintenance(int argc, char **argv)
{
	const char *node = NULL, *what = NULL;
	bool protected_only = false, dry_run = false, force = false, wait = false, failback = false;
	unsigned timeout_s = 600;
	static char evacuated[VMCFG_NODE_VMS_MAX + 1];
	char text[VMCFG_NAME_MAX + VMCFG_NODE_VMS_MAX + 64], q[CLI_QUOTE_SIZE], done[160];
	json_object *doc;
	int rc, stuck;

	for (int i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			fputs(node_usage, stdout);
			return HAVM_EXIT_OK;
		} else if (strcmp(argv[i], "--protected-only") == 0) {
			protected_only = true;
		} else if (strcmp(argv[i], "--dry-run") == 0) {
			dry_run = true;
		} else if (strcmp(argv[i], "--force") == 0) {
			force = true;
		} else if (strcmp(argv[i], "--wait") == 0) {
			wait = true;
		} else if (strcmp(argv[i], "--failback") == 0) {
			failback = true;
		} else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
			char *end;
			unsigned long v = strtoul(argv[++i], &end, 10);
			if (*end || !argv[i][0] || v == 0 || v > 86400) {
				fprintf(stderr, "havm: --timeout takes seconds from 1 to 86400, not %s\n",
					cli_quote(q, sizeof(q), argv[i]));
				return HAVM_EXIT_USAGE;
			}
			timeout_s = (unsigned)v;
		} else if (!node && argv[i][0] != '-') {
			node = argv[i];
		} else if (!what && argv[i][0] != '-') {
			what = argv[i];
		} else {
			return cli_unexpected(argv[i], node_usage);
		}
	}
	if (!node || !what || (strcmp(what, "on") != 0 && strcmp(what, "off") != 0) ||
	    (strcmp(what, "off") == 0 && (protected_only || dry_run || (wait && !failback))) ||
	    (strcmp(what, "on") == 0 && failback)) {
		fputs(node_usage, stderr);
		return HAVM_EXIT_USAGE;
	}
	if (!vmcfg_name_ok(node)) {
		fprintf(stderr, "havm: no host named \"%s\"\n", cli_quote(q, sizeof(q), node));
		return HAVM_EXIT_NOT_FOUND;
	}
	doc = fetch(WIRE_DOC_VMS, NULL, &rc);
	if (!doc)
		return rc;
	if (!host_of(doc, node)) {
		json_object_put(doc);
		fprintf(stderr, "havm: no host named \"%s\" (havm node list shows them)\n", node);
		return HAVM_EXIT_NOT_FOUND;
	}
	/* A host out of the cluster leaving maintenance is fenced at once: it
	 * may be on the bench, or booting. */
	if (strcmp(what, "off") == 0 && !force && !host_in_cluster(node)) {
		json_object_put(doc);
		fprintf(stderr,
			"havm: %s is not in the cluster: out of maintenance it would be fenced "
			"at once; start it first, or add --force\n",
			node);
		return HAVM_EXIT_ERROR;
	}
	if (strcmp(what, "off") == 0) {
		char vms[VMCFG_NODE_VMS_MAX + 1];

		snprintf(vms, sizeof(vms), "%s", jstr(host_of(doc, node), "evacuated_vms"));
		json_object_put(doc);
		snprintf(text, sizeof(text), "node %s maintenance=off\n", node);
		snprintf(done, sizeof(done), "%s is back in service", node);
		rc = send_text(text, done);
		if (rc || !failback)
			return rc;
		return fail_back(node, vms, wait, timeout_s);
	}
	/* The protected VMs there now, for a failback later; when it is in
	 * maintenance already, the ones it had then. */
	if (jstr(host_of(doc, node), "evacuated_vms")[0]) {
		snprintf(evacuated, sizeof(evacuated), "%s", jstr(host_of(doc, node), "evacuated_vms"));
	} else {
		json_object *vl = jget(doc, "vms");
		size_t used = 0;

		evacuated[0] = '\0';
		for (size_t i = 0; vl && i < json_object_array_length(vl); i++) {
			json_object *o = json_object_array_get_idx(vl, i);
			const char *vm = jstr(o, "name");
			size_t need = strlen(vm) + (used ? 1 : 0);

			/* Stopped on purpose: nothing to bring back. */
			if (strcmp(jstr(o, "host"), node) != 0 ||
			    strcmp(jstr(o, "state"), "stopped") == 0)
				continue;
			if (used + need > VMCFG_NODE_VMS_MAX) {
				printf("note: too many VMs on %s to remember them all for a failback; "
				       "%s and later ones are left out\n",
				       node, vm);
				break;
			}
			used += (size_t)snprintf(evacuated + used, sizeof(evacuated) - used, "%s%s",
						 used ? "," : "", vm);
		}
	}
	json_object_put(doc);
	if (dry_run)
		printf("If %s went into maintenance now, its protected VMs would go:\n", node);
	stuck = check_room(node, dry_run, &rc);
	if (stuck < 0)
		return rc;
	if (dry_run)
		return stuck ? HAVM_EXIT_ERROR : HAVM_EXIT_OK;
	if (stuck && !force) {
		fflush(stdout); /* the VMs above, before the verdict */
		fprintf(stderr,
			"havm: the other hosts cannot take %d of %s's protected VMs (above); "
			"nothing changed. --force puts it in maintenance anyway (those VMs then "
			"stay on it)\n",
			stuck, node);
		return HAVM_EXIT_ERROR;
	}
	snprintf(text, sizeof(text), "node %s maintenance=%s%s%s\n", node,
		 protected_only ? "protected" : "on", evacuated[0] ? " vms=" : "", evacuated);
	snprintf(done, sizeof(done), "%s is in maintenance; its VMs are being moved off", node);
	rc = send_text(text, done);
	if (rc || !wait)
		return rc;
	return wait_empty(node, timeout_s);
}

int cmd_cluster(int argc, char **argv)
{
	const char *text;

	if (argc == 2 && cli_is_help(argv[1])) {
		fputs(cluster_usage, stdout);
		return HAVM_EXIT_OK;
	}
	if (argc != 3 || strcmp(argv[1], "maintenance") != 0 ||
	    (strcmp(argv[2], "on") != 0 && strcmp(argv[2], "off") != 0)) {
		fputs(cluster_usage, stderr);
		return HAVM_EXIT_USAGE;
	}
	text = strcmp(argv[2], "on") == 0 ? "property maintenance-mode=true\n"
					  : "property maintenance-mode=false\n";
	return send_text(text, strcmp(argv[2], "on") == 0
				       ? "cluster maintenance mode ON: no fencing, no VM started, "
					 "stopped or moved until `havm cluster maintenance off`"
				       : "cluster maintenance mode off: havmd acts again");
}
