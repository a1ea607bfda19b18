/*
 * cmd_vm.c: `havm vm add|remove|list|show|start|stop` -- the protected VMs.
 *
 * Changes are checked here first (the XML is read and checked by this
 * process, with the caller's rights, so that its errors name the file),
 * then sent to havmd, which checks them again and has the cluster apply
 * them; havm returns once the change is applied and saved on this host.
 * Lists come from havmd as JSON documents (json-c here too), printed as
 * they are with --json, or as a table.
 */
#include "cli.h"
#include "cli_json.h"

#include "config.h"
#include "domain_xml.h"
#include "storage.h"
#include "vm_config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char vm_usage[] =
	"Usage: havm vm add NAME --xml PATH [--priority N] [--prefer NODE[,NODE...]]\n"
	"                 [--avoid NODE[,NODE...]] [--anti-affinity GROUP]\n"
	"                 [--max-restarts N] [--restart-window SEC] [--stopped]\n"
	"                 [-c CONFIG]\n"
	"       havm vm remove NAME\n"
	"       havm vm start NAME | havm vm stop NAME\n"
	"       havm vm migrate NAME NODE [--no-wait] [-c CONFIG]\n"
	"       havm vm list [--json]\n"
	"       havm vm show NAME [--json]\n"
	"Protect a VM (add), stop protecting it (remove), keep it running or stopped\n"
	"(start, stop), move one to another host while it runs (migrate: a live\n"
	"migration; havm waits until it runs there, at most 10 minutes, unless\n"
	"--no-wait), and see where each runs and why (list, show).\n"
	"PATH is the VM's libvirt domain XML, under vms.shared_dir of havm.conf;\n"
	"havm adds the VM's lease to it when it starts the VM. Exit codes: 0 ok,\n"
	"1 refused or failed (the message says why), 2 usage, 3 havmd not running,\n"
	"4 permission denied, 5 malformed reply, 6 no such VM or host. See havm(8).\n";

int doc_fetch(uint8_t kind, const char *arg, char **out, size_t *out_len)
{
	static uint8_t msg[HAVM_WIRE_MSG_MAX], reply[HAVM_WIRE_MSG_MAX];
	struct ctl_conn *c = NULL;
	char *buf = NULL;
	int rc;

	for (int attempt = 0; attempt < 5; attempt++) {
		uint64_t id = 0;
		uint32_t off = 0, total = 0;

		rc = c ? HAVM_EXIT_OK : ctl_open(&c);
		if (rc)
			return rc;
		do {
			struct wire_doc_request rq = { .kind = kind, .offset = off };
			struct wire_doc_reply rp;
			size_t len = 0;
			int n;

			snprintf(rq.arg, sizeof(rq.arg), "%s", arg ? arg : "");
			n = wire_doc_request_encode(msg, sizeof(msg), &rq);
			if (n < 0) {
				fprintf(stderr, "havm: argument too long\n");
				rc = HAVM_EXIT_USAGE;
				goto out;
			}
			rc = ctl_exchange(c, msg, (size_t)n, HAVM_MSG_DOC_REPLY, reply, &len);
			if (rc)
				goto out;
			if (wire_doc_reply_decode(reply, len, &rp)) {
				fprintf(stderr, "havm: malformed reply from havmd\n");
				rc = HAVM_EXIT_PROTOCOL;
				goto out;
			}
			if (off == 0) {
				free(buf);
				buf = malloc((size_t)rp.total + 1);
				if (!buf) {
					fprintf(stderr, "havm: out of memory\n");
					rc = HAVM_EXIT_ERROR;
					goto out;
				}
				id = rp.id;
				total = rp.total;
			} else if (rp.id != id || rp.total != total || rp.offset != off) {
				break; /* the document changed meanwhile: again */
			}
			memcpy(buf + off, rp.chunk, rp.len);
			off += rp.len;
			if (rp.len == 0 && off < total)
				break;
		} while (off < total);
		if (off == total) {
			buf[total] = '\0';
			*out = buf;
			*out_len = total;
			ctl_close(c);
			return HAVM_EXIT_OK;
		}
	}
	fprintf(stderr, "havm: the cluster kept changing while havm read it; try again\n");
	rc = HAVM_EXIT_ERROR;
out:
	free(buf);
	ctl_close(c);
	return rc;
}

/* Send a change's text (vmcfg_change_format) and wait until it is applied. */
int vm_change_send(const char *text, size_t len, uint64_t *version)
{
	static uint8_t msg[HAVM_WIRE_MSG_MAX], reply[HAVM_WIRE_MSG_MAX];
	struct ctl_conn *c = NULL;
	uint32_t off = 0;
	int rc = ctl_open(&c);

	if (rc)
		return rc;
	if (len > WIRE_BIG_TEXT_MAX) {
		fprintf(stderr, "havm: the configuration is too large (%zu bytes; at most %d)\n",
			len, WIRE_BIG_TEXT_MAX);
		ctl_close(c);
		return HAVM_EXIT_ERROR;
	}
	do {
		struct wire_vmcfg_request rq = { .total = (uint32_t)len, .offset = off };
		struct wire_vmcfg_reply rp;
		size_t rlen = 0;
		int n;

		rq.len = (uint32_t)(len - off > WIRE_CHUNK_MAX ? WIRE_CHUNK_MAX : len - off);
		rq.chunk = text + off;
		n = wire_vmcfg_request_encode(msg, sizeof(msg), &rq);
		if (n < 0) {
			fprintf(stderr, "havm: the change holds characters havm cannot send "
					"(only printable ASCII)\n");
			rc = HAVM_EXIT_USAGE;
			break;
		}
		rc = ctl_exchange(c, msg, (size_t)n, HAVM_MSG_VMCFG_REPLY, reply, &rlen);
		if (rc)
			break;
		if (wire_vmcfg_reply_decode(reply, rlen, &rp)) {
			fprintf(stderr, "havm: malformed reply from havmd\n");
			rc = HAVM_EXIT_PROTOCOL;
			break;
		}
		off += rq.len;
		if (rp.state == WIRE_VMCFG_DONE) {
			*version = rp.version;
			break;
		}
	} while (off < len);
	ctl_close(c);
	return rc;
}

/*
 * vm_change_send, tried again while havmd answers CONFLICT (another change
 * came first, or the hosts are synchronising after a change or a join):
 * quietly, for up to about 15 s, then with its message.
 */
int vm_change_send_retry(const char *text, size_t len, uint64_t *version)
{
	int rc = HAVM_EXIT_ERROR;

	for (int attempt = 0; attempt < 30; attempt++) {
		ctl_last_status = HAVM_OK;
		/* Only the CONFLICTs that are retried go unsaid: any other
		 * refusal (no such VM, no quorum, a bad host) ends the loop
		 * and must reach the operator. */
		ctl_quiet_conflict = attempt < 29;
		rc = vm_change_send(text, len, version);
		ctl_quiet_conflict = false;
		if (rc != HAVM_EXIT_ERROR || ctl_last_status != HAVM_E_CONFLICT)
			break;
		usleep(500 * 1000);
	}
	return rc;
}

static int send_change(const struct vmcfg_change *ch, const char *done)
{
	size_t len = 0;
	uint64_t version = 0;
	char *text = vmcfg_change_format(ch, &len);
	int rc;

	if (!text) {
		fprintf(stderr, "havm: out of memory\n");
		return HAVM_EXIT_ERROR;
	}
	rc = vm_change_send_retry(text, len, &version);
	free(text);
	if (rc == HAVM_EXIT_OK)
		printf("%s (configuration version %llu)\n", done, (unsigned long long)version);
	return rc;
}

/* Read PATH (a domain XML) and check it as havmd will. */
int vm_xml_check(const char *path, const char *shared_dir, const char *name, struct vm_spec *spec)
{
	const char *shared[1] = { shared_dir };
	struct domain_info info;
	char err[512], q[CLI_QUOTE_SIZE];
	struct stat st;
	char *buf;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "havm: cannot read %s: %s\n", cli_quote(q, sizeof(q), path),
			strerror(errno));
		if (fd >= 0)
			close(fd);
		return HAVM_EXIT_ERROR;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > DOMAIN_XML_MAX) {
		fprintf(stderr, "havm: %s is not a regular file of at most %d bytes\n",
			cli_quote(q, sizeof(q), path), DOMAIN_XML_MAX);
		close(fd);
		return HAVM_EXIT_ERROR;
	}
	buf = malloc((size_t)st.st_size + 1);
	n = buf ? read(fd, buf, (size_t)st.st_size) : -1;
	close(fd);
	if (n != st.st_size) {
		fprintf(stderr, "havm: cannot read %s\n", cli_quote(q, sizeof(q), path));
		free(buf);
		return HAVM_EXIT_ERROR;
	}
	if (domain_xml_read(buf, (size_t)n, shared, 1, &info, err, sizeof(err)) < 0) {
		fprintf(stderr, "havm: %s: %s\n", cli_quote(q, sizeof(q), path), err);
		free(buf);
		return HAVM_EXIT_ERROR;
	}
	free(buf);
	if (strcmp(info.name, name) != 0) {
		fprintf(stderr, "havm: %s names domain \"%s\", not \"%s\": a protected VM's name is "
				"its domain's\n",
			cli_quote(q, sizeof(q), path), info.name, name);
		return HAVM_EXIT_ERROR;
	}
	if (info.memory_mib > UINT32_MAX) {
		fprintf(stderr, "havm: %s: memory too large\n", cli_quote(q, sizeof(q), path));
		return HAVM_EXIT_ERROR;
	}
	spec->memory_mib = (uint32_t)info.memory_mib;
	spec->vcpus = info.vcpus;
	return HAVM_EXIT_OK;
}

/* havm.conf, for vms.shared_dir. */
int vm_load_config(const char *path, struct havm_config *cfg)
{
	char err[1024];

	if (config_load(path, cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "havm: %s\n", err);
		return HAVM_EXIT_ERROR;
	}
	if (!config_vms_on(cfg)) {
		fprintf(stderr, "havm: VM high availability is off: %s has no vms group (see "
				"havm.conf(5))\n",
			path);
		return HAVM_EXIT_ERROR;
	}
	return HAVM_EXIT_OK;
}

/* The operator's words for one key: the same text `configure load` reads. */
static int set_key(struct vm_spec *s, const char *key, const char *value)
{
	char line[2048], err[512];
	struct vm_config *one = calloc(1, sizeof(*one));
	int rc;

	if (!one) {
		fprintf(stderr, "havm: out of memory\n");
		return HAVM_EXIT_ERROR;
	}
	/* Parsed through the configuration's own parser: one rule for a
	 * value, whether it comes from the command line or from a file. */
	snprintf(line, sizeof(line), "vm %s xml=/x %s=%s\n", s->name, key, value);
	rc = vmcfg_parse(line, strlen(line), false, one, err, sizeof(err));
	if (rc == 0) {
		const struct vm_spec *p = &one->vms[0];
		if (strcmp(key, "priority") == 0)
			s->priority = p->priority;
		else if (strcmp(key, "prefer") == 0) {
			memcpy(s->prefer, p->prefer, sizeof(s->prefer));
			s->n_prefer = p->n_prefer;
		} else if (strcmp(key, "avoid") == 0) {
			memcpy(s->avoid, p->avoid, sizeof(s->avoid));
			s->n_avoid = p->n_avoid;
		} else if (strcmp(key, "anti-affinity") == 0)
			memcpy(s->group, p->group, sizeof(s->group));
		else if (strcmp(key, "max-restarts") == 0)
			s->max_restarts = p->max_restarts;
		else if (strcmp(key, "restart-window") == 0)
			s->restart_window_s = p->restart_window_s;
	}
	free(one);
	if (rc) {
		char q[CLI_QUOTE_SIZE];
		const char *msg = strstr(err, ": ");
		fprintf(stderr, "havm: --%s %s: %s\n", key, cli_quote(q, sizeof(q), value),
			msg ? msg + 2 : err);
		return HAVM_EXIT_USAGE;
	}
	return HAVM_EXIT_OK;
}

static int vm_add(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "xml", required_argument, NULL, CLI_LONG + 'x' },
		{ "priority", required_argument, NULL, CLI_LONG + 'p' },
		{ "prefer", required_argument, NULL, CLI_LONG + 'P' },
		{ "avoid", required_argument, NULL, CLI_LONG + 'a' },
		{ "anti-affinity", required_argument, NULL, CLI_LONG + 'g' },
		{ "max-restarts", required_argument, NULL, CLI_LONG + 'm' },
		{ "restart-window", required_argument, NULL, CLI_LONG + 'w' },
		{ "stopped", no_argument, NULL, CLI_LONG + 's' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct havm_config cfg;
	const char *config = HAVM_CONFIG_DEFAULT_PATH, *xml = NULL;
	struct vmcfg_change ch = { .op = VMCFG_ADD };
	char q[CLI_QUOTE_SIZE];
	int c, rc;

	if (argc < 2 || argv[1][0] == '-') {
		if (argc >= 2 && cli_is_help(argv[1])) {
			fputs(vm_usage, stdout);
			return HAVM_EXIT_OK;
		}
		fprintf(stderr, "havm: vm add needs a NAME\n%s", vm_usage);
		return HAVM_EXIT_USAGE;
	}
	if (!vmcfg_name_ok(argv[1]) || strlen(argv[1]) > STORAGE_LEASE_NAME_MAX) {
		fprintf(stderr, "havm: invalid VM name \"%s\": letters, digits, '.', '_' and '-', "
				"starting with a letter or digit, at most %d characters (its lease "
				"is named after it)\n",
			cli_quote(q, sizeof(q), argv[1]), STORAGE_LEASE_NAME_MAX);
		return HAVM_EXIT_USAGE;
	}
	vmcfg_spec_init(&ch.spec, argv[1]);
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc - 1, argv + 1, ":c:h", opts, NULL)) != -1) {
		rc = HAVM_EXIT_OK;
		switch (c) {
		case CLI_LONG + 'x': xml = optarg; break;
		case CLI_LONG + 'p': rc = set_key(&ch.spec, "priority", optarg); break;
		case CLI_LONG + 'P': rc = set_key(&ch.spec, "prefer", optarg); break;
		case CLI_LONG + 'a': rc = set_key(&ch.spec, "avoid", optarg); break;
		case CLI_LONG + 'g': rc = set_key(&ch.spec, "anti-affinity", optarg); break;
		case CLI_LONG + 'm': rc = set_key(&ch.spec, "max-restarts", optarg); break;
		case CLI_LONG + 'w': rc = set_key(&ch.spec, "restart-window", optarg); break;
		case CLI_LONG + 's': ch.spec.stopped = true; break;
		case 'c': config = optarg; break;
		case 'h':
			fputs(vm_usage, stdout);
			return HAVM_EXIT_OK;
		default:
			return cli_bad_option(c, argv + 1, vm_usage);
		}
		if (rc)
			return rc;
	}
	if (optind < argc - 1)
		return cli_unexpected(argv[optind + 1], vm_usage);
	if (!xml) {
		fprintf(stderr, "havm: vm add needs --xml PATH (the VM's libvirt domain XML)\n%s",
			vm_usage);
		return HAVM_EXIT_USAGE;
	}
	if (xml[0] != '/' || strlen(xml) > VMCFG_PATH_MAX) {
		fprintf(stderr, "havm: --xml needs an absolute path of at most %d characters\n",
			VMCFG_PATH_MAX);
		return HAVM_EXIT_USAGE;
	}
	snprintf(ch.spec.xml, sizeof(ch.spec.xml), "%s", xml);
	rc = vm_load_config(config, &cfg);
	if (rc == HAVM_EXIT_OK)
		rc = vm_xml_check(xml, cfg.vms_shared_dir, ch.spec.name, &ch.spec);
	if (rc)
		return rc;
	return send_change(&ch, "VM protected");
}

static int vm_simple(int argc, char **argv, enum vmcfg_op op, bool stopped, const char *done)
{
	struct vmcfg_change ch = { .op = op };
	char q[CLI_QUOTE_SIZE];

	if (argc >= 2 && cli_is_help(argv[1])) {
		fputs(vm_usage, stdout);
		return HAVM_EXIT_OK;
	}
	if (argc < 2) {
		fprintf(stderr, "havm: vm %s needs a NAME\n%s", argv[0], vm_usage);
		return HAVM_EXIT_USAGE;
	}
	if (argc > 2)
		return cli_unexpected(argv[2], vm_usage);
	if (!vmcfg_name_ok(argv[1])) {
		fprintf(stderr, "havm: invalid VM name \"%s\"\n", cli_quote(q, sizeof(q), argv[1]));
		return HAVM_EXIT_USAGE;
	}
	vmcfg_spec_init(&ch.spec, argv[1]);
	ch.spec.stopped = stopped;
	return send_change(&ch, done);
}




#define UNLEASED_TEXT                                                                     \
	"RUNS WITHOUT ITS LEASE: sanlock cannot keep it from running twice (see havm "      \
	"events; `havm vm stop` then `havm vm start` gives it its lease)"


static void print_list(json_object *vms, const char *only)
{
	size_t n = vms ? json_object_array_length(vms) : 0;
	bool any = false;

	if (!only)
		printf("%-20s %-8s %-9s %-10s %8s %6s %4s  %s\n", "VM", "STATE", "STATUS", "HOST",
		       "PRIORITY", "MEMORY", "CPU", "WHY");
	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(vms, i);
		const char *host = jstr(o, "host")[0] ? jstr(o, "host") : jstr(o, "target");

		if (only && strcmp(jstr(o, "name"), only) != 0)
			continue;
		any = true;
		if (only) {
			json_object *pre = jget(o, "prefer"), *av = jget(o, "avoid");
			printf("VM %s\n  state %s, %s%s%s\n", jstr(o, "name"), jstr(o, "state"),
			       jstr(o, "status"), host[0] ? " on " : "", host);
			if (jstr(o, "reason")[0])
				printf("  why: %s\n", jstr(o, "reason"));
			if (jbool(o, "unleased"))
				printf("  %s\n", UNLEASED_TEXT);
			printf("  xml %s\n  lease slot %lld, memory %lld MiB, %lld vCPU(s), CPU %lld%% of "
			       "one\n",
			       jstr(o, "xml"), (long long)jint(o, "slot"),
			       (long long)jint(o, "memory_mib"), (long long)jint(o, "vcpus"),
			       (long long)jint(o, "cpu_pct"));
			printf("  priority %lld, max-restarts %lld within %lld s\n",
			       (long long)jint(o, "priority"), (long long)jint(o, "max_restarts"),
			       (long long)jint(o, "restart_window"));
			printf("  prefer %s\n  avoid %s\n  anti-affinity %s\n",
			       pre && json_object_array_length(pre)
				       ? json_object_to_json_string_ext(pre, JSON_C_TO_STRING_PLAIN)
				       : "-",
			       av && json_object_array_length(av)
				       ? json_object_to_json_string_ext(av, JSON_C_TO_STRING_PLAIN)
				       : "-",
			       jstr(o, "anti_affinity")[0] ? jstr(o, "anti_affinity") : "-");
			continue;
		}
		printf("%-20s %-8s %-9s %-10s %8lld %6lld %3lld%%  %s%s%s\n", jstr(o, "name"),
		       jstr(o, "state"), jstr(o, "status"), host[0] ? host : "-",
		       (long long)jint(o, "priority"), (long long)jint(o, "memory_mib"),
		       (long long)jint(o, "cpu_pct"),
		       jstr(o, "reason"), jbool(o, "unleased") && jstr(o, "reason")[0] ? "; " : "",
		       jbool(o, "unleased") ? UNLEASED_TEXT : "");
	}
	if (!only && n == 0)
		printf("(no protected VMs: havm vm add NAME --xml PATH)\n");
	(void)any;
}

static int vm_list(int argc, char **argv, bool show)
{
	const char *name = NULL;
	bool json = false;
	char *text = NULL, q[CLI_QUOTE_SIZE];
	size_t len;
	json_object *doc, *vms;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (cli_is_help(argv[i])) {
			fputs(vm_usage, stdout);
			return HAVM_EXIT_OK;
		} else if (show && !name && argv[i][0] != '-')
			name = argv[i];
		else
			return cli_unexpected(argv[i], vm_usage);
	}
	if (show && !name) {
		fprintf(stderr, "havm: vm show needs a NAME\n%s", vm_usage);
		return HAVM_EXIT_USAGE;
	}
	rc = doc_fetch(WIRE_DOC_VMS, NULL, &text, &len);
	if (rc)
		return rc;
	doc = json_tokener_parse(text);
	vms = doc ? jget(doc, "vms") : NULL;
	if (!doc || !vms || !json_object_is_type(vms, json_type_array)) {
		fprintf(stderr, "havm: malformed reply from havmd\n");
		json_object_put(doc);
		free(text);
		return HAVM_EXIT_PROTOCOL;
	}
	if (show) {
		json_object *found = NULL;
		for (size_t i = 0; i < json_object_array_length(vms) && !found; i++)
			if (strcmp(jstr(json_object_array_get_idx(vms, i), "name"), name) == 0)
				found = json_object_array_get_idx(vms, i);
		if (!found) {
			fprintf(stderr, "havm: no protected VM named \"%s\"\n",
				cli_quote(q, sizeof(q), name));
			rc = HAVM_EXIT_NOT_FOUND;
		} else if (json) {
			printf("%s\n", json_object_to_json_string_ext(found, JSON_C_TO_STRING_PRETTY));
		} else {
			print_list(vms, name);
		}
	} else if (json) {
		printf("%s\n", json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY));
	} else {
		print_list(vms, NULL);
	}
	json_object_put(doc);
	free(text);
	return rc;
}

/* Where VM NAME runs, per havmd's document: the host's name into HOST. */
static int vm_where(const char *name, char *host, size_t cap)
{
	char *text = NULL;
	size_t len;
	json_object *doc, *vms;
	int rc = doc_fetch(WIRE_DOC_VMS, NULL, &text, &len);

	host[0] = '\0';
	if (rc)
		return rc;
	doc = json_tokener_parse(text);
	free(text);
	vms = doc ? jget(doc, "vms") : NULL;
	for (size_t i = 0; vms && i < json_object_array_length(vms); i++) {
		json_object *o = json_object_array_get_idx(vms, i);
		if (strcmp(jstr(o, "name"), name) == 0 &&
		    (strcmp(jstr(o, "status"), "running") == 0 ||
		     strcmp(jstr(o, "status"), "paused") == 0))
			snprintf(host, cap, "%s", jstr(o, "host"));
	}
	json_object_put(doc);
	return HAVM_EXIT_OK;
}

int vm_migrate_send(const char *vm, uint32_t dest)
{
	struct wire_vm_request rq = { 0 };
	uint8_t msg[HAVM_WIRE_MSG_MAX], reply[HAVM_WIRE_MSG_MAX];
	size_t len = 0;
	int n;

	snprintf(rq.vm, sizeof(rq.vm), "%s", vm);
	rq.dest = dest;
	n = wire_vm_request_encode(msg, sizeof(msg), HAVM_MSG_VM_MIGRATE_REQ, &rq);
	if (n < 0) {
		fprintf(stderr, "havm: internal error encoding the request\n");
		return HAVM_EXIT_ERROR;
	}
	return ctl_call(msg, (size_t)n, HAVM_MSG_VM_MIGRATE_REPLY, reply, &len);
}

static int vm_migrate(int argc, char **argv)
{
	static struct havm_config cfg;
	const char *config = HAVM_CONFIG_DEFAULT_PATH, *name = NULL, *node = NULL;
	const struct havm_host *dest;
	char q[CLI_QUOTE_SIZE], where[VMCFG_NAME_MAX + 1];
	bool wait = true;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			fputs(vm_usage, stdout);
			return HAVM_EXIT_OK;
		} else if (strcmp(argv[i], "--no-wait") == 0) {
			wait = false;
		} else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
			config = argv[++i];
		} else if (!name && argv[i][0] != '-') {
			name = argv[i];
		} else if (!node && argv[i][0] != '-') {
			node = argv[i];
		} else {
			return cli_unexpected(argv[i], vm_usage);
		}
	}
	if (!name || !node) {
		fprintf(stderr, "havm: vm migrate needs a NAME and a NODE\n%s", vm_usage);
		return HAVM_EXIT_USAGE;
	}
	if (!vmcfg_name_ok(name)) {
		fprintf(stderr, "havm: invalid VM name \"%s\"\n", cli_quote(q, sizeof(q), name));
		return HAVM_EXIT_USAGE;
	}
	rc = vm_load_config(config, &cfg);
	if (rc)
		return rc;
	dest = config_host_by_name(&cfg, node);
	if (!dest) {
		fprintf(stderr, "havm: no host named \"%s\" in %s\n", cli_quote(q, sizeof(q), node),
			config);
		return HAVM_EXIT_NOT_FOUND;
	}
	rc = vm_migrate_send(name, dest->nodeid);
	if (rc)
		return rc;
	if (!wait) {
		printf("migration of %s to %s requested (see havm vm show %s)\n", name, node, name);
		return HAVM_EXIT_OK;
	}
	for (int i = 0; i < 1200; i++) {
		usleep(500 * 1000);
		if (vm_where(name, where, sizeof(where)) == HAVM_EXIT_OK && strcmp(where, node) == 0) {
			printf("%s runs on %s\n", name, node);
			return HAVM_EXIT_OK;
		}
	}
	fprintf(stderr, "havm: %s does not run on %s after 10 minutes; see havm vm show %s and "
			"havm events on the coordinator\n",
		name, node, name);
	return HAVM_EXIT_ERROR;
}

int cmd_vm(int argc, char **argv)
{
	if (argc < 2 || cli_is_help(argv[1])) {
		fputs(vm_usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? HAVM_EXIT_USAGE : HAVM_EXIT_OK;
	}
	if (strcmp(argv[1], "add") == 0)
		return vm_add(argc - 1, argv + 1);
	if (strcmp(argv[1], "remove") == 0)
		return vm_simple(argc - 1, argv + 1, VMCFG_REMOVE, false, "VM no longer protected");
	if (strcmp(argv[1], "start") == 0)
		return vm_simple(argc - 1, argv + 1, VMCFG_STATE, false,
				 "VM to be running (see havm vm show)");
	if (strcmp(argv[1], "stop") == 0)
		return vm_simple(argc - 1, argv + 1, VMCFG_STATE, true,
				 "VM to be stopped (see havm vm show)");
	if (strcmp(argv[1], "migrate") == 0)
		return vm_migrate(argc - 1, argv + 1);
	if (strcmp(argv[1], "list") == 0)
		return vm_list(argc - 1, argv + 1, false);
	if (strcmp(argv[1], "show") == 0)
		return vm_list(argc - 1, argv + 1, true);
	return cli_unexpected(argv[1], vm_usage);
}
