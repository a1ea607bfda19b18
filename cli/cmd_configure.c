/*
 * cmd_configure.c: `havm configure show|load` -- the whole cluster
 * configuration as text, crm-style. `show` prints what `load` reads back;
 * `load FILE` checks everything first (the file's syntax with its line
 * numbers, each VM's XML as `vm add` does) and replaces the configuration
 * in one change, or changes nothing.
 */
#include "cli.h"

#include "config.h"
#include "vm_config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char configure_usage[] =
	"Usage: havm configure show\n"
	"       havm configure load FILE [-c CONFIG]\n"
	"show prints the cluster configuration (the protected VMs and their rules) as\n"
	"text that load reads back; load checks all of FILE, then replaces the whole\n"
	"configuration with it in one change (VMs not in FILE are no longer protected;\n"
	"they keep running). Exit codes as for havm vm. See havm(8).\n";

static int show(void)
{
	char *text = NULL;
	size_t len = 0;
	int rc = doc_fetch(WIRE_DOC_CONFIG, NULL, &text, &len);

	if (rc)
		return rc;
	fwrite(text, 1, len, stdout);
	free(text);
	return HAVM_EXIT_OK;
}

static int load(const char *file, const char *config)
{
	static struct havm_config cfg;
	struct vmcfg_change ch = { .op = VMCFG_REPLACE };
	char q[CLI_QUOTE_SIZE], err[1024], *text, *out;
	struct stat st;
	size_t len = 0;
	uint64_t version = 0;
	ssize_t n;
	int fd, rc;

	rc = vm_load_config(config, &cfg);
	if (rc)
		return rc;
	fd = open(file, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > VMCFG_TEXT_MAX) {
		fprintf(stderr, "havm: cannot read %s: %s\n", cli_quote(q, sizeof(q), file),
			fd < 0 ? strerror(errno) : "not a regular file of at most 1 MiB");
		if (fd >= 0)
			close(fd);
		return HAVM_EXIT_ERROR;
	}
	text = malloc((size_t)st.st_size + 1);
	n = text ? read(fd, text, (size_t)st.st_size) : -1;
	close(fd);
	ch.all = calloc(1, sizeof(*ch.all));
	if (n != st.st_size || !ch.all) {
		fprintf(stderr, "havm: cannot read %s\n", cli_quote(q, sizeof(q), file));
		free(text);
		free(ch.all);
		return HAVM_EXIT_ERROR;
	}
	if (vmcfg_parse(text, (size_t)n, false, ch.all, err, sizeof(err)) < 0) {
		fprintf(stderr, "havm: %s:%s\n", cli_quote(q, sizeof(q), file),
			strncmp(err, "line ", 5) == 0 ? err + 5 : err);
		free(text);
		free(ch.all);
		return HAVM_EXIT_ERROR;
	}
	free(text);
	for (size_t i = 0; i < ch.all->n_vms; i++) {
		struct vm_spec *s = &ch.all->vms[i];
		rc = vm_xml_check(s->xml, cfg.vms_shared_dir, s->name, s);
		if (rc) {
			fprintf(stderr, "havm: nothing changed\n");
			free(ch.all);
			return rc;
		}
	}
	out = vmcfg_change_format(&ch, &len);
	free(ch.all);
	if (!out) {
		fprintf(stderr, "havm: out of memory\n");
		return HAVM_EXIT_ERROR;
	}
	/* Not retried: a load replaces everything, and one made on a
	 * configuration that changed meanwhile would undo that change. */
	rc = vm_change_send(out, len, &version);
	free(out);
	if (rc == HAVM_EXIT_OK)
		printf("configuration loaded (version %llu)\n", (unsigned long long)version);
	return rc;
}

int cmd_configure(int argc, char **argv)
{
	const char *config = HAVM_CONFIG_DEFAULT_PATH, *file = NULL;

	if (argc < 2 || cli_is_help(argv[1])) {
		fputs(configure_usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? HAVM_EXIT_USAGE : HAVM_EXIT_OK;
	}
	if (strcmp(argv[1], "show") == 0) {
		if (argc > 2)
			return cli_is_help(argv[2]) ? (fputs(configure_usage, stdout), HAVM_EXIT_OK)
						    : cli_unexpected(argv[2], configure_usage);
		return show();
	}
	if (strcmp(argv[1], "load") != 0)
		return cli_unexpected(argv[1], configure_usage);
	for (int i = 2; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			fputs(configure_usage, stdout);
			return HAVM_EXIT_OK;
		} else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
			config = argv[++i];
		} else if (!file && argv[i][0] != '-') {
			file = argv[i];
		} else {
			return cli_unexpected(argv[i], configure_usage);
		}
	}
	if (!file) {
		fprintf(stderr, "havm: configure load needs a FILE\n%s", configure_usage);
		return HAVM_EXIT_USAGE;
	}
	return load(file, config);
}
