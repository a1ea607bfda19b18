/*
 * test_vm_config.c: the cluster configuration (lib/vm_config.h). The
 * parser refuses what it must, on the right line; every form reads back to
 * the bytes it was printed from; a change applies the same way everywhere
 * or not at all; and the state file is never torn, not even by a SIGKILL
 * in the middle of a save.
 *
 * fsync and rename are interposed below (the library is linked into this
 * program, so its calls land here) to make a save fail at the steps that
 * cannot be made to fail from outside when running as root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h> /* after the headers it needs */

#include "vm_config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* A vm_config is 2.3 MiB: static, not on the stack. */
static struct vm_config cfg, cfg2, saved;
static char err[512];

/* ---- failure injection -------------------------------------------------- */

static int fsync_fail;  /* errno for the next fsync calls, 0: the real one */
static int rename_fail; /* the same for rename */

int fsync(int fd)
{
	if (fsync_fail) {
		errno = fsync_fail;
		return -1;
	}
	return (int)syscall(SYS_fsync, fd);
}

int rename(const char *from, const char *to)
{
	if (rename_fail) {
		errno = rename_fail;
		return -1;
	}
	return renameat(AT_FDCWD, from, AT_FDCWD, to);
}

/* ---- helpers ---------------------------------------------------------- */

static void parse_ok(const char *text, bool internal, struct vm_config *c)
{
	int rc = vmcfg_parse(text, strlen(text), internal, c, err, sizeof(err));

	if (rc != 0)
		fail_msg("parse failed: %s\n--- text:\n%s", err, text);
}

static void assert_has(const char *s, const char *fragment)
{
	if (!strstr(s, fragment))
		fail_msg("\"%s\" does not contain \"%s\"", s, fragment);
}

/* FORMAT of C as a string the test owns. */
static char *fmt(const struct vm_config *c, bool internal)
{
	size_t len = 0;
	char *s = vmcfg_format(c, internal, &len);

	assert_non_null(s);
	assert_int_equal(strlen(s), len);
	return s;
}

/* A and B hold the same configuration: the same stored text. */
static void assert_same_config(const struct vm_config *a, const struct vm_config *b)
{
	char *x = fmt(a, true), *y = fmt(b, true);

	assert_string_equal(x, y);
	free(x);
	free(y);
}

static struct vm_spec spec(const char *name, uint32_t memory, uint32_t vcpus)
{
	struct vm_spec s;

	vmcfg_spec_init(&s, name);
	snprintf(s.xml, sizeof(s.xml), "/srv/shared/%s.xml", name);
	s.memory_mib = memory;
	s.vcpus = vcpus;
	return s;
}

static int apply(struct vm_config *c, const struct vmcfg_change *ch)
{
	return vmcfg_apply(c, ch, err, sizeof(err));
}

static int add(struct vm_config *c, const char *name)
{
	struct vmcfg_change ch = { .op = VMCFG_ADD, .spec = spec(name, 1024, 2) };

	return apply(c, &ch);
}

/* ---- parsing: errors -------------------------------------------------- */

struct bad_case {
	const char *text;
	bool internal;
	unsigned int line;
	const char *fragment;
};

static const struct bad_case bad_cases[] = {
	{ "vm\n", false, 1, "vm without a name" },
	{ "vm -a xml=/x\n", false, 1, "bad VM name \"-a\"" },
	{ "vm a.b/c xml=/x\n", false, 1, "bad VM name" },
	{ "vm a\n", false, 1, "vm a has no xml=" },
	{ "\n\nvm a xml=/x foo=1\n", false, 3, "unknown key \"foo\"" },
	{ "vm a xml=/x XML=/y\n", false, 1, "unknown key \"XML\"" },
	{ "vm a xml=/x priority=1 priority=2\n", false, 1, "priority= given twice" },
	{ "vm a xml=/x xml=/x\n", false, 1, "xml= given twice" },
	{ "vm a xml=/x priority=1001\n", false, 1, "not a whole number from -1000 to 1000" },
	{ "vm a xml=/x priority=-1001\n", false, 1, "priority=-1001: not a whole number" },
	{ "vm a xml=/x priority=abc\n", false, 1, "priority=abc" },
	{ "vm a xml=/x priority=+5\n", false, 1, "priority=+5" },
	{ "vm a xml=/x priority=07\n", false, 1, "priority=07" },
	{ "vm a xml=/x priority=1x\n", false, 1, "priority=1x" },
	{ "vm a xml=/x priority=--1\n", false, 1, "priority=--1" },
	{ "vm a xml=/x priority=\n", false, 1, "priority= has no value" },
	{ "vm a xml=/x max-restarts=101\n", false, 1, "from 0 to 100" },
	{ "vm a xml=/x max-restarts=-1\n", false, 1, "max-restarts=-1" },
	{ "vm a xml=/x max-restarts=18446744073709551616\n", false, 1, "max-restarts=" },
	{ "vm a xml=/x max-restarts=99999999999999999999999\n", false, 1, "max-restarts=" },
	{ "vm a xml=/x restart-window=0\n", false, 1, "from 1 to 86400" },
	{ "vm a xml=/x restart-window=86401\n", false, 1, "from 1 to 86400" },
	{ "vm a xml=/x state=running\n", false, 1, "not started or stopped" },
	{ "vm a xml=/x state=Stopped\n", false, 1, "not started or stopped" },
	{ "vm a xml=srv/a.xml\n", false, 1, "not an absolute path" },
	{ "vm a xml=/srv/../etc/a.xml\n", false, 1, "\"..\" in the path" },
	{ "vm a xml=/srv/..\n", false, 1, "in the path" },
	{ "vm a xml=/srv/a\\b.xml\n", false, 1, "backslash in the path" },
	{ "vm a xml=/x prefer=h1,,h2\n", false, 1, "prefer=: empty host name" },
	{ "vm a xml=/x prefer=h1,\n", false, 1, "prefer=: empty host name" },
	{ "vm a xml=/x avoid=,h1\n", false, 1, "avoid=: empty host name" },
	{ "vm a xml=/x prefer=h1,h2,h1\n", false, 1, "host \"h1\" named twice" },
	{ "vm a xml=/x prefer=h1,h2,h3,h4,h5,h6,h7,h8,h9\n", false, 1, "more than 8 hosts" },
	{ "vm a xml=/x avoid=h1,h_2!\n", false, 1, "bad host name \"h_2!\"" },
	{ "vm a xml=/x prefer=h1,h2 \\\n  avoid=h3,h2\n", false, 2,
	  "host h2 is in both prefer= and avoid=" },
	{ "vm a xml=/x anti-affinity=.web\n", false, 1, "bad group name" },
	{ "vm a xml=/x\nvm b xml=/y\nvm a xml=/z\nvm b xml=/w\n", false, 3, "vm a defined twice" },
	{ "vm b xml=/y\nvm a xml=/x\n#\nvm b xml=/w\nvm a xml=/z\n", false, 4,
	  "vm b defined twice" },
	{ "vm a xml=/x\nfrob a\n", false, 2, "unknown statement \"frob\"" },
	{ "vm a xml=/x slot=1\n", false, 1, "slot= is filled in by havm" },
	{ "vm a xml=/x memory=1024\n", false, 1, "memory= is filled in by havm" },
	{ "version 3\nvm a xml=/x\n", false, 1, "version is kept by havm" },
	{ "vm a xml=/x junk\n", false, 1, "\"junk\" is not key=value" },
	{ "vm a \\\n  xml=/x \\\n  bogus=1\n", false, 3, "unknown key \"bogus\"" },
	{ "vm a xml=/x \\", false, 1, "continues nothing" },
	{ "vm a xml=/x \\  \n", false, 1, "continues nothing" },
	{ "# a comment \\\nvm a\n", false, 2, "vm a has no xml=" },
	{ "vm a xml=/x\r\n", false, 1, "control character 0x0d (a CRLF line end?)" },
	{ "vm a xml=/x\n# bell \a\n", false, 2, "control character 0x07" },
	{ "vm a xml=/x\x7f\n", false, 1, "control character 0x7f" },
	/* internal (stored) form */
	{ "vm a xml=/x slot=0 memory=1 vcpus=1\n", true, 1, "begins with \"version N\"" },
	{ "", true, 1, "no \"version N\" line" },
	{ "# only\n# comments\n", true, 3, "no \"version N\" line" },
	{ "version 1\nversion 2\n", true, 2, "version given twice" },
	{ "version x\n", true, 1, "version needs a whole number" },
	{ "version\n", true, 1, "version needs a whole number" },
	{ "version -1\n", true, 1, "version needs a whole number" },
	{ "version 18446744073709551616\n", true, 1, "version needs a whole number" },
	{ "version 1 2\n", true, 1, "\"2\" after the version" },
	{ "version 1\nvm a xml=/x memory=1 vcpus=1\n", true, 2, "vm a has no slot=" },
	{ "version 1\nvm a xml=/x slot=0 vcpus=1\n", true, 2, "vm a has no memory=" },
	{ "version 1\nvm a xml=/x slot=0 memory=1\n", true, 2, "vm a has no vcpus=" },
	{ "version 1\nvm a xml=/x slot=0 memory=0 vcpus=1\n", true, 2, "memory=0" },
	{ "version 1\nvm a xml=/x slot=0 memory=4294967296 vcpus=1\n", true, 2, "memory=" },
	{ "version 1\nvm a xml=/x slot=0 memory=1 vcpus=65536\n", true, 2, "vcpus=" },
	{ "version 1\nvm a xml=/x slot=1024 memory=1 vcpus=1\n", true, 2, "from 0 to 1023" },
	{ "version 1\nvm a xml=/x slot=7 memory=1 vcpus=1\n\nvm b xml=/y slot=7 memory=1 "
	  "vcpus=1\n",
	  true, 4, "slot 7 of vm b is vm a's too" },
	{ "version 1\nvm a xml=/x slot=0 memory=1 vcpus=1 slot=1\n", true, 2,
	  "slot= given twice (first on line 2)" },
};

static void parse_errors_name_their_line(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *b = &bad_cases[i];
		char want[32];
		int rc;

		err[0] = '\0';
		rc = vmcfg_parse(b->text, strlen(b->text), b->internal, &cfg, err, sizeof(err));
		if (rc != -EINVAL)
			fail_msg("case %zu accepted (rc %d): %s", i, rc, b->text);
		snprintf(want, sizeof(want), "line %u: ", b->line);
		if (strncmp(err, want, strlen(want)) != 0)
			fail_msg("case %zu: \"%s\" is not on line %u", i, err, b->line);
		assert_has(err, b->fragment);
	}
}

static void nul_byte_is_refused(void **state)
{
	static const char text[] = "vm a xml=/x\nvm b xml=/y\0\n";

	(void)state;
	assert_int_equal(vmcfg_parse(text, sizeof(text) - 1, false, &cfg, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "line 2: NUL byte; the configuration is text");
	/* LEN, not the NUL, ends the text: the bytes after it are read too. */
	assert_int_equal(vmcfg_parse(text, 12, false, &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.n_vms, 1);
}

static void over_long_values_are_refused(void **state)
{
	char text[2048 + 64];
	char name[VMCFG_NAME_MAX + 2];

	(void)state;
	/* A path of 1023 bytes fits, 1024 does not. */
	memset(text, 0, sizeof(text));
	strcpy(text, "vm a xml=/");
	memset(text + strlen(text), 'p', VMCFG_PATH_MAX - 1);
	parse_ok(text, false, &cfg);
	assert_int_equal(strlen(cfg.vms[0].xml), VMCFG_PATH_MAX);
	strcat(text, "p");
	assert_int_equal(vmcfg_parse(text, strlen(text), false, &cfg, err, sizeof(err)), -EINVAL);
	assert_has(err, "path longer than 1023 bytes");

	/* Names: 63 bytes fit, 64 do not, as a VM, host or group. */
	memset(name, 'n', sizeof(name));
	name[VMCFG_NAME_MAX] = '\0';
	snprintf(text, sizeof(text), "vm %s xml=/x prefer=%s anti-affinity=%s\n", name, name, name);
	parse_ok(text, false, &cfg);
	name[VMCFG_NAME_MAX] = 'n';
	name[VMCFG_NAME_MAX + 1] = '\0';
	snprintf(text, sizeof(text), "vm %s xml=/x\n", name);
	assert_int_equal(vmcfg_parse(text, strlen(text), false, &cfg, err, sizeof(err)), -EINVAL);
	assert_has(err, "bad VM name");
	snprintf(text, sizeof(text), "vm a xml=/x avoid=%s\n", name);
	assert_int_equal(vmcfg_parse(text, strlen(text), false, &cfg, err, sizeof(err)), -EINVAL);
	assert_has(err, "avoid=: bad host name");
	snprintf(text, sizeof(text), "vm a xml=/x anti-affinity=%s\n", name);
	assert_int_equal(vmcfg_parse(text, strlen(text), false, &cfg, err, sizeof(err)), -EINVAL);
	assert_has(err, "bad group name");
	/* The message quotes a long word cut, never whole. */
	assert_true(strlen(err) < 200);
}

static void over_long_line_is_refused(void **state)
{
	size_t n = 70 * 1024;
	char *text = malloc(n + 32);

	(void)state;
	assert_non_null(text);
	/* A comment on line 2, continued lines starting on line 4. */
	strcpy(text, "vm a xml=/x\n#");
	memset(text + strlen(text), 'c', n);
	text[13 + n] = '\0';
	assert_int_equal(vmcfg_parse(text, strlen(text), false, &cfg, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "line 2: line longer than 64 KiB");

	strcpy(text, "\n\n\nvm a xml=/x");
	for (size_t len = strlen(text); len < n; len = strlen(text))
		strcat(text, " \\\n                   ");
	assert_int_equal(vmcfg_parse(text, strlen(text), false, &cfg, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "line 4: line longer than 64 KiB");
	free(text);
}

static void more_vms_than_slots_is_refused(void **state)
{
	size_t cap = (VMCFG_VMS_MAX + 1) * 32;
	char *text = malloc(cap);
	size_t len = 0;

	(void)state;
	assert_non_null(text);
	for (int i = 0; i < VMCFG_VMS_MAX; i++)
		len += (size_t)snprintf(text + len, cap - len, "vm v%04d xml=/x\n", i);
	assert_int_equal(vmcfg_parse(text, len, false, &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.n_vms, VMCFG_VMS_MAX);
	len += (size_t)snprintf(text + len, cap - len, "vm zz xml=/x\n");
	assert_int_equal(vmcfg_parse(text, len, false, &cfg, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "line 1025: more than 1024 VMs");
	free(text);
}

/* ---- parsing: what is accepted ---------------------------------------- */

static void comments_blanks_and_continuations(void **state)
{
	static const char text[] = "# the web tier\n"
				   "\n"
				   "   \t\n"
				   "vm web2 xml=/srv/shared/web2.xml   # trailing comment\n"
				   "vm web1 \\\n"
				   "\tstate=stopped \\   \n"
				   "\txml=/srv/a#b.xml prefer=kvm1,kvm2 avoid=kvm3 \\\n"
				   "    priority=-1000 anti-affinity=web max-restarts=0 \\\n"
				   "    restart-window=86400\n"
				   "vm last xml=/srv/last.xml"; /* no newline at the end */

	(void)state;
	parse_ok(text, false, &cfg);
	assert_int_equal(cfg.version, 0);
	assert_int_equal(cfg.n_vms, 3);
	/* Sorted by name, whatever the order in the text. */
	assert_string_equal(cfg.vms[0].name, "last");
	assert_string_equal(cfg.vms[1].name, "web1");
	assert_string_equal(cfg.vms[2].name, "web2");

	const struct vm_spec *w1 = vmcfg_find(&cfg, "web1");
	assert_non_null(w1);
	assert_string_equal(w1->xml, "/srv/a#b.xml"); /* '#' inside a word is no comment */
	assert_int_equal(w1->priority, -1000);
	assert_int_equal(w1->n_prefer, 2);
	assert_string_equal(w1->prefer[0], "kvm1");
	assert_string_equal(w1->prefer[1], "kvm2");
	assert_int_equal(w1->n_avoid, 1);
	assert_string_equal(w1->avoid[0], "kvm3");
	assert_string_equal(w1->group, "web");
	assert_int_equal(w1->max_restarts, 0);
	assert_int_equal(w1->restart_window_s, 86400);
	assert_true(w1->stopped);
	/* The operator's form leaves what havm fills in unset. */
	assert_int_equal(w1->slot, VMCFG_SLOT_NONE);
	assert_int_equal(w1->memory_mib, 0);
	assert_int_equal(w1->vcpus, 0);

	const struct vm_spec *w2 = vmcfg_find(&cfg, "web2");
	assert_non_null(w2);
	assert_int_equal(w2->priority, 0);
	assert_int_equal(w2->max_restarts, VMCFG_DEFAULT_MAX_RESTARTS);
	assert_int_equal(w2->restart_window_s, VMCFG_DEFAULT_RESTART_WINDOW_S);
	assert_false(w2->stopped);
	assert_string_equal(w2->group, "");
	assert_null(vmcfg_find(&cfg, "web3"));
	assert_null(vmcfg_find(&cfg, "web"));
	assert_null(vmcfg_find(&cfg, NULL));
}

static void empty_text_is_an_empty_configuration(void **state)
{
	(void)state;
	parse_ok("", false, &cfg);
	assert_int_equal(cfg.n_vms, 0);
	parse_ok("# nothing\n\n", false, &cfg);
	assert_int_equal(cfg.n_vms, 0);
	parse_ok("version 18446744073709551615\n", true, &cfg);
	assert_true(cfg.version == UINT64_MAX);
	assert_int_equal(cfg.n_vms, 0);
}

static void names(void **state)
{
	(void)state;
	assert_true(vmcfg_name_ok("a"));
	assert_true(vmcfg_name_ok("9"));
	assert_true(vmcfg_name_ok("web-1.prod_x"));
	assert_false(vmcfg_name_ok(""));
	assert_false(vmcfg_name_ok(NULL));
	assert_false(vmcfg_name_ok("-a"));
	assert_false(vmcfg_name_ok(".a"));
	assert_false(vmcfg_name_ok("_a"));
	assert_false(vmcfg_name_ok("a b"));
	assert_false(vmcfg_name_ok("a/b"));
	assert_false(vmcfg_name_ok("a=b"));
	assert_false(vmcfg_name_ok("\xc3\xa9"));
	assert_true(
		vmcfg_name_ok("123456789012345678901234567890123456789012345678901234567890123"));
	assert_false(
		vmcfg_name_ok("1234567890123456789012345678901234567890123456789012345678901234"));
}

/* ---- formatting ------------------------------------------------------- */

static void operator_form_round_trip(void **state)
{
	/* Keys in another order, defaults spelt out, state=started given. */
	static const char messy[] =
		"vm gamma priority=1000 xml=/srv/shared/gamma.xml restart-window=600 "
		"state=started max-restarts=3\n"
		"vm beta state=stopped restart-window=1 max-restarts=0 anti-affinity=db "
		"avoid=kvm3,kvm4 prefer=kvm2,kvm1 priority=-5 xml=/srv/shared/beta.xml\n"
		"vm alpha xml=/srv/shared/alpha.xml priority=0\n";
	char *a, *b;

	(void)state;
	parse_ok(messy, false, &cfg);
	a = fmt(&cfg, false);
	/* max-restarts=3 restart-window=600 are the defaults: gamma's line
	 * keeps them out. */
	assert_string_equal(a, "vm alpha xml=/srv/shared/alpha.xml\n"
			       "vm beta xml=/srv/shared/beta.xml priority=-5 prefer=kvm2,kvm1 "
			       "avoid=kvm3,kvm4 anti-affinity=db max-restarts=0 restart-window=1 "
			       "state=stopped\n"
			       "vm gamma xml=/srv/shared/gamma.xml priority=1000\n");
	/* show -> load -> show: the same bytes. */
	parse_ok(a, false, &cfg2);
	b = fmt(&cfg2, false);
	assert_string_equal(a, b);
	free(a);
	free(b);
}

static void stored_form_round_trip(void **state)
{
	static const char text[] =
		"version 42\n"
		"vm alpha xml=/srv/shared/alpha.xml slot=3 memory=2048 vcpus=2\n"
		"vm beta xml=/srv/shared/beta.xml priority=-5 prefer=kvm2,kvm1 avoid=kvm3 "
		"state=stopped slot=0 memory=4294967295 vcpus=65535\n";
	char *a, *b, *op;

	(void)state;
	parse_ok(text, true, &cfg);
	assert_int_equal(cfg.version, 42);
	assert_int_equal(cfg.vms[0].slot, 3);
	assert_int_equal(cfg.vms[1].slot, 0);
	assert_int_equal(cfg.vms[1].memory_mib, UINT32_MAX);
	a = fmt(&cfg, true);
	assert_string_equal(a, text);
	parse_ok(a, true, &cfg2);
	b = fmt(&cfg2, true);
	assert_string_equal(a, b);
	assert_same_config(&cfg, &cfg2);
	/* The operator's form of it leaves out version, slot, memory, vcpus. */
	op = fmt(&cfg, false);
	assert_string_equal(op, "vm alpha xml=/srv/shared/alpha.xml\n"
				"vm beta xml=/srv/shared/beta.xml priority=-5 prefer=kvm2,kvm1 "
				"avoid=kvm3 state=stopped\n");
	free(a);
	free(b);
	free(op);

	/* An empty configuration, both forms. */
	memset(&cfg, 0, sizeof(cfg));
	cfg.version = 7;
	a = fmt(&cfg, true);
	assert_string_equal(a, "version 7\n");
	free(a);
	a = fmt(&cfg, false);
	assert_string_equal(a, "");
	free(a);
}

static void format_vm_fits_or_says_so(void **state)
{
	struct vm_spec s = spec("web1", 512, 1);
	const char *want = "vm web1 xml=/srv/shared/web1.xml memory=512 vcpus=1";
	char buf[128];
	size_t n = strlen(want);

	(void)state;
	assert_int_equal(vmcfg_format_vm(&s, true, buf, sizeof(buf)), (int)n);
	assert_string_equal(buf, want);
	/* The NUL needs its byte too. */
	assert_int_equal(vmcfg_format_vm(&s, true, buf, n), -ENOSPC);
	assert_int_equal(vmcfg_format_vm(&s, true, buf, n + 1), (int)n);
	assert_int_equal(vmcfg_format_vm(&s, true, buf, 0), -ENOSPC);
	assert_int_equal(vmcfg_format_vm(&s, false, buf, sizeof(buf)),
			 (int)strlen("vm web1 xml=/srv/shared/web1.xml"));
	s.slot = 9;
	assert_int_equal(vmcfg_format_vm(&s, true, buf, sizeof(buf)), (int)n + 7);
	assert_string_equal(buf, "vm web1 xml=/srv/shared/web1.xml slot=9 memory=512 vcpus=1");
}

static void find_is_a_binary_search(void **state)
{
	char name[16];

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	for (int i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "vm%03d", (i * 7) % 300); /* any order */
		assert_int_equal(add(&cfg, name), 0);
	}
	for (size_t i = 1; i < cfg.n_vms; i++)
		assert_true(strcmp(cfg.vms[i - 1].name, cfg.vms[i].name) < 0);
	for (int i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "vm%03d", i);
		assert_ptr_equal(vmcfg_find(&cfg, name), &cfg.vms[i]);
	}
	assert_null(vmcfg_find(&cfg, "vm300"));
	assert_null(vmcfg_find(&cfg, "a"));
	assert_null(vmcfg_find(&cfg, "zz"));
}

/* ---- apply ------------------------------------------------------------ */

/* Apply CH to cfg, expecting RC, and for a failure the whole of cfg untouched. */
static void apply_fails(const struct vmcfg_change *ch, int rc, const char *fragment)
{
	memcpy(&saved, &cfg, sizeof(cfg));
	err[0] = '\0';
	assert_int_equal(apply(&cfg, ch), rc);
	assert_memory_equal(&saved, &cfg, sizeof(cfg));
	assert_has(err, fragment);
}

static void add_assigns_lowest_free_slot(void **state)
{
	struct vmcfg_change ch = { .op = VMCFG_ADD };

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	assert_int_equal(add(&cfg, "c"), 0);
	assert_int_equal(add(&cfg, "a"), 0);
	assert_int_equal(add(&cfg, "b"), 0);
	assert_int_equal(cfg.version, 3);
	assert_int_equal(vmcfg_find(&cfg, "c")->slot, 0);
	assert_int_equal(vmcfg_find(&cfg, "a")->slot, 1);
	assert_int_equal(vmcfg_find(&cfg, "b")->slot, 2);
	assert_int_equal(vmcfg_find(&cfg, "a")->memory_mib, 1024);

	/* A freed slot is the next one given. */
	ch.op = VMCFG_REMOVE;
	vmcfg_spec_init(&ch.spec, "a");
	assert_int_equal(apply(&cfg, &ch), 0);
	assert_int_equal(cfg.version, 4);
	assert_null(vmcfg_find(&cfg, "a"));
	assert_int_equal(add(&cfg, "d"), 0);
	assert_int_equal(vmcfg_find(&cfg, "d")->slot, 1);

	/* A slot the change gives is taken as it is, if free. */
	ch.op = VMCFG_ADD;
	ch.spec = spec("e", 1, 1);
	ch.spec.slot = 1023;
	assert_int_equal(apply(&cfg, &ch), 0);
	assert_int_equal(vmcfg_find(&cfg, "e")->slot, 1023);
	ch.spec = spec("f", 1, 1);
	ch.spec.slot = 0;
	apply_fails(&ch, -EINVAL, "slot 0 is another VM's");
	ch.spec.slot = 1024;
	apply_fails(&ch, -EINVAL, "slot=1024");
}

static void add_failures_leave_config_unchanged(void **state)
{
	struct vmcfg_change ch = { .op = VMCFG_ADD };

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	assert_int_equal(add(&cfg, "web1"), 0);
	assert_int_equal(add(&cfg, "web2"), 0);

	ch.spec = spec("web1", 1, 1);
	apply_fails(&ch, -EEXIST, "vm web1 exists");
	ch.spec = spec("new", 0, 1);
	apply_fails(&ch, -EINVAL, "memory= and vcpus= are needed");
	ch.spec = spec("new", 1, 0);
	apply_fails(&ch, -EINVAL, "memory= and vcpus= are needed");
	ch.spec = spec("-bad", 1, 1);
	apply_fails(&ch, -EINVAL, "bad VM name");
	ch.spec = spec("new", 1, 1);
	strcpy(ch.spec.xml, "relative.xml");
	apply_fails(&ch, -EINVAL, "not an absolute path");
	ch.spec = spec("new", 1, 1);
	ch.spec.priority = 1001;
	apply_fails(&ch, -EINVAL, "priority=1001");
	ch.spec = spec("new", 1, 1);
	ch.spec.max_restarts = 101;
	apply_fails(&ch, -EINVAL, "max-restarts=101");
	ch.spec = spec("new", 1, 1);
	ch.spec.restart_window_s = 0;
	apply_fails(&ch, -EINVAL, "restart-window=0");
	ch.spec = spec("new", 1, 1);
	ch.spec.n_prefer = 2;
	strcpy(ch.spec.prefer[0], "h1");
	strcpy(ch.spec.prefer[1], "h1");
	apply_fails(&ch, -EINVAL, "host named twice");
	ch.spec.n_prefer = 1;
	ch.spec.n_avoid = 1;
	strcpy(ch.spec.avoid[0], "h1");
	apply_fails(&ch, -EINVAL, "host h1 is in both prefer= and avoid=");
	ch.spec = spec("new", 1, 1);
	ch.spec.n_avoid = VMCFG_HOSTS_MAX + 1;
	apply_fails(&ch, -EINVAL, "more than 8 hosts");
	ch.spec = spec("new", 1, 1);
	strcpy(ch.spec.group, "a b");
	apply_fails(&ch, -EINVAL, "bad group name");
	ch.op = 99;
	apply_fails(&ch, -EINVAL, "unknown change 99");
	assert_int_equal(cfg.version, 2);
}

static void add_refused_when_full(void **state)
{
	char name[16];

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	for (int i = 0; i < VMCFG_VMS_MAX; i++) {
		snprintf(name, sizeof(name), "v%04d", i);
		assert_int_equal(add(&cfg, name), 0);
	}
	assert_int_equal(cfg.n_vms, VMCFG_VMS_MAX);
	for (int i = 0; i < VMCFG_VMS_MAX; i++)
		assert_int_equal(cfg.vms[i].slot, i);
	struct vmcfg_change ch = { .op = VMCFG_ADD, .spec = spec("zz", 1, 1) };
	apply_fails(&ch, -ENOSPC, "all 1024 lease slots are in use");
	/* ...but an existing name is still EEXIST, the more useful answer. */
	ch.spec = spec("v0000", 1, 1);
	apply_fails(&ch, -EEXIST, "exists");
}

static void too_large_a_configuration_is_refused(void **state)
{
	struct vmcfg_change ch = { .op = VMCFG_ADD };
	char name[16];
	int i, rc = 0;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	/* ~1.1 KiB a line: the 1 MiB stored form is full before the slots are. */
	for (i = 0; i < VMCFG_VMS_MAX && rc == 0; i++) {
		snprintf(name, sizeof(name), "v%04d", i);
		ch.spec = spec(name, 1, 1);
		memset(ch.spec.xml + 1, 'x', VMCFG_PATH_MAX - 1);
		ch.spec.xml[VMCFG_PATH_MAX] = '\0';
		rc = apply(&cfg, &ch);
	}
	assert_int_equal(rc, -ENOSPC);
	apply_fails(&ch, -ENOSPC, "over 1048576 bytes");
	assert_true(i > 900 && i < VMCFG_VMS_MAX);
	/* What apply took, save writes and load reads. */
	char *text = fmt(&cfg, true);
	assert_true(strlen(text) <= VMCFG_TEXT_MAX);
	free(text);
}

static void remove_and_state(void **state)
{
	struct vmcfg_change ch = { .op = VMCFG_STATE };

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	assert_int_equal(add(&cfg, "a"), 0);
	assert_int_equal(add(&cfg, "b"), 0);

	vmcfg_spec_init(&ch.spec, "b");
	ch.spec.stopped = true;
	assert_int_equal(apply(&cfg, &ch), 0);
	assert_true(vmcfg_find(&cfg, "b")->stopped);
	assert_false(vmcfg_find(&cfg, "a")->stopped);
	assert_int_equal(cfg.version, 3);
	/* The same state again is still a change: every daemon counts it. */
	assert_int_equal(apply(&cfg, &ch), 0);
	assert_int_equal(cfg.version, 4);
	ch.spec.stopped = false;
	assert_int_equal(apply(&cfg, &ch), 0);
	assert_false(vmcfg_find(&cfg, "b")->stopped);

	vmcfg_spec_init(&ch.spec, "nope");
	apply_fails(&ch, -ENOENT, "state: no vm nope");
	ch.op = VMCFG_REMOVE;
	apply_fails(&ch, -ENOENT, "remove: no vm nope");
	/* A name too long is not cut into another VM's name. */
	vmcfg_spec_init(&ch.spec,
			"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	assert_string_equal(ch.spec.name, "");
	apply_fails(&ch, -ENOENT, "no vm");

	vmcfg_spec_init(&ch.spec, "a");
	assert_int_equal(apply(&cfg, &ch), 0);
	vmcfg_spec_init(&ch.spec, "b");
	assert_int_equal(apply(&cfg, &ch), 0);
	assert_int_equal(cfg.n_vms, 0);
	assert_int_equal(cfg.version, 7);
	apply_fails(&ch, -ENOENT, "no vm b");
}

static void version_never_wraps(void **state)
{
	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	cfg.version = UINT64_MAX - 1;
	assert_int_equal(add(&cfg, "a"), 0);
	assert_true(cfg.version == UINT64_MAX);
	memcpy(&saved, &cfg, sizeof(cfg));
	assert_int_equal(add(&cfg, "b"), -EINVAL);
	assert_memory_equal(&saved, &cfg, sizeof(cfg));
}

/* configure load: existing VMs keep their slot, memory and vcpus; new
 * ones get the lowest free slots in name order; the rest go. */
static void replace_keeps_and_assigns_slots(void **state)
{
	struct vmcfg_change ch = { .op = VMCFG_REPLACE, .all = &cfg2 };

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	assert_int_equal(add(&cfg, "a"), 0); /* slot 0 */
	assert_int_equal(add(&cfg, "b"), 0); /* 1 */
	assert_int_equal(add(&cfg, "c"), 0); /* 2 */
	assert_int_equal(add(&cfg, "d"), 0); /* 3 */
	/* The operator's load: b goes, c and a change, z, e and f are new. */
	parse_ok("vm z xml=/z\n"
		 "vm c xml=/srv/c2.xml priority=9\n"
		 "vm f xml=/f\n"
		 "vm a xml=/a state=stopped\n"
		 "vm e xml=/e\n"
		 "vm d xml=/d\n",
		 false, &cfg2);
	/* The sender read the new VMs' XML; c's XML changed too. */
	assert_int_equal(cfg2.n_vms, 6); /* a c d e f z */
	cfg2.vms[3].memory_mib = 100;    /* e */
	cfg2.vms[3].vcpus = 1;
	cfg2.vms[4].memory_mib = 200; /* f */
	cfg2.vms[4].vcpus = 2;
	cfg2.vms[5].memory_mib = 300; /* z */
	cfg2.vms[5].vcpus = 3;
	cfg2.vms[1].memory_mib = 4096; /* c */
	assert_int_equal(apply(&cfg, &ch), 0);
	assert_int_equal(cfg.version, 5);

	char *text = fmt(&cfg, true);
	assert_string_equal(text, "version 5\n"
				  "vm a xml=/a state=stopped slot=0 memory=1024 vcpus=2\n"
				  "vm c xml=/srv/c2.xml priority=9 slot=2 memory=4096 vcpus=2\n"
				  "vm d xml=/d slot=3 memory=1024 vcpus=2\n"
				  "vm e xml=/e slot=1 memory=100 vcpus=1\n"
				  "vm f xml=/f slot=4 memory=200 vcpus=2\n"
				  "vm z xml=/z slot=5 memory=300 vcpus=3\n");
	free(text);

	/* The same change to the same configuration: the same bytes. */
	struct vm_config *other = malloc(sizeof(*other));
	assert_non_null(other);
	memset(other, 0, sizeof(*other));
	assert_int_equal(add(other, "a"), 0);
	assert_int_equal(add(other, "b"), 0);
	assert_int_equal(add(other, "c"), 0);
	assert_int_equal(add(other, "d"), 0);
	assert_int_equal(apply(other, &ch), 0);
	assert_same_config(other, &cfg);
	assert_true(vmcfg_hash(other) == vmcfg_hash(&cfg));
	free(other);

	/* An empty set removes every VM. */
	memset(&cfg2, 0, sizeof(cfg2));
	assert_int_equal(apply(&cfg, &ch), 0);
	assert_int_equal(cfg.n_vms, 0);
	assert_int_equal(cfg.version, 6);
}

static void replace_with_given_slots(void **state)
{
	struct vmcfg_change ch = { .op = VMCFG_REPLACE, .all = &cfg2 };

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	assert_int_equal(add(&cfg, "a"), 0); /* slot 0 */
	assert_int_equal(add(&cfg, "b"), 0); /* 1 */

	/* a moves to 5 as told; the new n gets a's old 0, the lowest free. */
	parse_ok("vm a xml=/a\nvm b xml=/b\nvm n xml=/n\n", false, &cfg2);
	cfg2.vms[0].slot = 5;
	cfg2.vms[2].memory_mib = 1;
	cfg2.vms[2].vcpus = 1;
	assert_int_equal(apply(&cfg, &ch), 0);
	assert_int_equal(vmcfg_find(&cfg, "a")->slot, 5);
	assert_int_equal(vmcfg_find(&cfg, "b")->slot, 1);
	assert_int_equal(vmcfg_find(&cfg, "n")->slot, 0);

	/* Two VMs given one slot. */
	parse_ok("vm a xml=/a\nvm b xml=/b\nvm n xml=/n\n", false, &cfg2);
	cfg2.vms[0].slot = 7;
	cfg2.vms[2].slot = 7;
	apply_fails(&ch, -EINVAL, "vm a and vm n both want slot 7");
	/* A slot given to one VM while another keeps it. */
	cfg2.vms[0].slot = VMCFG_SLOT_NONE; /* a keeps 5 */
	cfg2.vms[2].slot = 5;
	apply_fails(&ch, -EINVAL, "vm n and vm a both want slot 5");
	/* A new VM without memory, a bad spec, an unsorted or doubled set. */
	parse_ok("vm a xml=/a\nvm x xml=/x\n", false, &cfg2);
	apply_fails(&ch, -EINVAL, "vm x is new: memory= and vcpus= are needed");
	parse_ok("vm a xml=/a\nvm b xml=/b\n", false, &cfg2);
	cfg2.vms[1].restart_window_s = 0;
	apply_fails(&ch, -EINVAL, "restart-window=0");
	parse_ok("vm a xml=/a\nvm b xml=/b\n", false, &cfg2);
	strcpy(cfg2.vms[0].name, "c");
	apply_fails(&ch, -EINVAL, "vm b is out of name order");
	strcpy(cfg2.vms[0].name, "b");
	apply_fails(&ch, -EINVAL, "vm b comes twice");
	cfg2.n_vms = VMCFG_VMS_MAX + 1;
	apply_fails(&ch, -EINVAL, "more than 1024 VMs");
	ch.all = NULL;
	apply_fails(&ch, -EINVAL, "replace: no configuration");
	assert_int_equal(cfg.version, 3);
}

/* New VMs, however many and in whatever order they arrive, get slots in
 * name order, skipping those kept. */
static void replace_assigns_in_name_order(void **state)
{
	char text[4096];
	size_t len = 0;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	assert_int_equal(add(&cfg, "m"), 0); /* slot 0 */
	assert_int_equal(add(&cfg, "k"), 0); /* 1 */
	for (int i = 19; i >= 0; i--)
		len += (size_t)snprintf(text + len, sizeof(text) - len,
					"vm n%02d xml=/n memory=1 vcpus=1\n", i);
	len += (size_t)snprintf(text + len, sizeof(text) - len, "vm k xml=/k memory=1 vcpus=1\n");
	/* As a change: the stored form without version, slots left out. */
	assert_int_equal(vmcfg_parse(text, len, false, &cfg2, err, sizeof(err)), -EINVAL);
	struct vmcfg_change parsed;
	char *msg = malloc(len + 16);
	assert_non_null(msg);
	snprintf(msg, len + 16, "replace\n%s", text);
	assert_int_equal(vmcfg_change_parse(msg, strlen(msg), &parsed, err, sizeof(err)), 0);
	free(msg);
	assert_int_equal(apply(&cfg, &parsed), 0);
	vmcfg_change_free(&parsed);
	assert_null(parsed.all);
	assert_null(vmcfg_find(&cfg, "m"));
	assert_int_equal(vmcfg_find(&cfg, "k")->slot, 1);
	assert_int_equal(vmcfg_find(&cfg, "n00")->slot, 0);
	for (int i = 1; i < 20; i++) {
		char name[16];

		snprintf(name, sizeof(name), "n%02d", i);
		assert_int_equal(vmcfg_find(&cfg, name)->slot, i + 1);
	}
}

/* ---- changes as text -------------------------------------------------- */

static void change_round_trip(const struct vmcfg_change *ch, const char *want)
{
	struct vmcfg_change back;
	size_t len = 0;
	char *text = vmcfg_change_format(ch, &len), *again;

	assert_non_null(text);
	assert_int_equal(strlen(text), len);
	if (want)
		assert_string_equal(text, want);
	if (vmcfg_change_parse(text, len, &back, err, sizeof(err)) != 0)
		fail_msg("%s\n--- change:\n%s", err, text);
	assert_int_equal(back.op, ch->op);
	again = vmcfg_change_format(&back, NULL);
	assert_non_null(again);
	assert_string_equal(text, again);
	vmcfg_change_free(&back);
	free(text);
	free(again);
}

static void changes_as_text(void **state)
{
	struct vmcfg_change ch = { .op = VMCFG_ADD, .spec = spec("web1", 2048, 4) };

	(void)state;
	ch.spec.priority = 10;
	ch.spec.n_prefer = 2;
	strcpy(ch.spec.prefer[0], "kvm1");
	strcpy(ch.spec.prefer[1], "kvm2");
	strcpy(ch.spec.group, "web");
	change_round_trip(&ch, "add vm web1 xml=/srv/shared/web1.xml priority=10 "
			       "prefer=kvm1,kvm2 anti-affinity=web memory=2048 vcpus=4\n");
	ch.spec.slot = 12;
	change_round_trip(&ch, "add vm web1 xml=/srv/shared/web1.xml priority=10 "
			       "prefer=kvm1,kvm2 anti-affinity=web slot=12 memory=2048 vcpus=4\n");

	ch.op = VMCFG_REMOVE;
	vmcfg_spec_init(&ch.spec, "web1");
	change_round_trip(&ch, "remove web1\n");
	ch.op = VMCFG_STATE;
	ch.spec.stopped = true;
	change_round_trip(&ch, "state web1 stopped\n");
	ch.spec.stopped = false;
	change_round_trip(&ch, "state web1 started\n");

	ch.op = VMCFG_REPLACE;
	ch.all = &cfg2;
	parse_ok("version 9\n"
		 "vm a xml=/a slot=4 memory=1 vcpus=1\n"
		 "vm b xml=/b prefer=h1 state=stopped slot=0 memory=2 vcpus=2\n",
		 true, &cfg2);
	cfg2.vms[1].slot = VMCFG_SLOT_NONE;
	change_round_trip(&ch, "replace\n"
			       "vm a xml=/a slot=4 memory=1 vcpus=1\n"
			       "vm b xml=/b prefer=h1 state=stopped memory=2 vcpus=2\n");
	memset(&cfg2, 0, sizeof(cfg2));
	change_round_trip(&ch, "replace\n");

	ch.all = NULL;
	assert_null(vmcfg_change_format(&ch, NULL));
	ch.op = 0;
	assert_null(vmcfg_change_format(&ch, NULL));
}

static void change_parse_is_strict(void **state)
{
	static const struct {
		const char *text;
		const char *error;
	} cases[] = {
		{ "", "line 1: empty change" },
		{ "\n# nothing\n", "line 3: empty change" },
		{ "frob x\n", "line 1: unknown change \"frob\"" },
		{ "add\n", "line 1: add takes a vm line" },
		{ "add web1\n", "line 1: add takes a vm line" },
		{ "add vm a xml=/a vcpus=1\n", "line 1: vm a has no memory=" },
		{ "add vm a xml=/a memory=1\n", "line 1: vm a has no vcpus=" },
		{ "add vm a xml=/a memory=1 vcpus=1 version=2\n", "unknown key \"version\"" },
		{ "add vm a xml=/a memory=1 vcpus=1\nvm b xml=/b memory=1 vcpus=1\n",
		  "line 2: \"vm\" after the VM of an add" },
		{ "remove\n", "line 1: remove without a VM name" },
		{ "remove a b\n", "line 1: \"b\" after remove NAME" },
		{ "remove a\nremove b\n", "line 2: \"remove\" after remove NAME" },
		{ "remove a/b\n", "line 1: bad VM name" },
		{ "state a\n", "line 1: state NAME takes started or stopped" },
		{ "state a on\n", "line 1: state NAME takes started or stopped" },
		{ "state a stopped now\n", "\"now\" after state NAME" },
		{ "replace now\n", "line 1: \"now\" after replace" },
		{ "replace\nversion 3\n", "line 2: version in a change" },
		{ "replace\nvm a xml=/a memory=1 vcpus=1\nvm a xml=/a memory=1 vcpus=1\n",
		  "line 3: vm a defined twice" },
		{ "replace\nvm a xml=/a slot=3 memory=1 vcpus=1\nvm b xml=/b slot=3 memory=1 "
		  "vcpus=1\n",
		  "line 3: slot 3 of vm b is vm a's too" },
		{ "replace\nvm a xml=/a\n", "line 2: vm a has no memory=" },
		{ "remove a\0\n", "line 1: NUL byte" },
	};
	struct vmcfg_change ch;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = strlen(cases[i].text);

		if (strcmp(cases[i].text, "remove a") == 0)
			len += 2; /* the NUL case: its bytes past the NUL too */
		err[0] = '\0';
		if (vmcfg_change_parse(cases[i].text, len, &ch, err, sizeof(err)) != -EINVAL)
			fail_msg("change %zu accepted: %s", i, cases[i].text);
		assert_null(ch.all); /* nothing to free after a failure */
		assert_has(err, cases[i].error);
	}
	/* Trailing comments and blank lines are fine. */
	assert_int_equal(vmcfg_change_parse("remove a # gone\n\n", 17, &ch, err, sizeof(err)), 0);
	assert_int_equal(ch.op, VMCFG_REMOVE);
	assert_string_equal(ch.spec.name, "a");
}

/* ---- hash ------------------------------------------------------------- */

static uint64_t fnv1a(const char *s, size_t n)
{
	uint64_t h = 14695981039346656037ULL;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static void hash_is_fnv1a_of_the_stored_vm_lines(void **state)
{
	static const char text[] = "version 3\n"
				   "vm a xml=/a slot=0 memory=1 vcpus=1\n"
				   "vm b xml=/b priority=2 slot=1 memory=1 vcpus=1\n";
	uint64_t h;

	(void)state;
	parse_ok(text, true, &cfg);
	h = vmcfg_hash(&cfg);
	/* Documented: the stored form after its version line. */
	assert_true(h == fnv1a(strchr(text, '\n') + 1, strlen(strchr(text, '\n') + 1)));

	/* The version is not in it: same content, same hash. */
	memcpy(&cfg2, &cfg, sizeof(cfg));
	cfg2.version = 99;
	assert_true(vmcfg_hash(&cfg2) == h);
	/* Any field that is printed changes it. */
	cfg2.vms[1].priority = 3;
	assert_true(vmcfg_hash(&cfg2) != h);
	cfg2.vms[1].priority = 2;
	cfg2.vms[0].slot = 5;
	assert_true(vmcfg_hash(&cfg2) != h);
	cfg2.vms[0].slot = 0;
	cfg2.vms[0].memory_mib = 2;
	assert_true(vmcfg_hash(&cfg2) != h);
	cfg2.vms[0].memory_mib = 1;
	cfg2.vms[0].stopped = true;
	assert_true(vmcfg_hash(&cfg2) != h);
	cfg2.vms[0].stopped = false;
	assert_true(vmcfg_hash(&cfg2) == h);
	cfg2.n_vms = 1;
	assert_true(vmcfg_hash(&cfg2) != h);
	/* An empty configuration: FNV's offset basis. */
	cfg2.n_vms = 0;
	assert_true(vmcfg_hash(&cfg2) == 14695981039346656037ULL);

	/* Two daemons that applied the same changes agree. */
	memset(&cfg, 0, sizeof(cfg));
	memset(&cfg2, 0, sizeof(cfg2));
	assert_int_equal(add(&cfg, "x"), 0);
	assert_int_equal(add(&cfg, "y"), 0);
	assert_int_equal(add(&cfg2, "x"), 0);
	assert_int_equal(add(&cfg2, "y"), 0);
	assert_true(vmcfg_hash(&cfg) == vmcfg_hash(&cfg2));
}

/* ---- the state file --------------------------------------------------- */

static char dir[64];
static char path[128], tmp_path[160];

static void make_dir(void)
{
	strcpy(dir, "/tmp/test_vm_config.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/cluster.conf", dir);
	snprintf(tmp_path, sizeof(tmp_path), "%s.tmp", path);
}

static void remove_dir(void)
{
	struct stat st;

	unlink(path);
	if (lstat(tmp_path, &st) == 0 && S_ISDIR(st.st_mode))
		rmdir(tmp_path);
	else
		unlink(tmp_path);
	assert_int_equal(rmdir(dir), 0);
}

static void write_file(const char *p, const char *text)
{
	FILE *f = fopen(p, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void two_vms(struct vm_config *c, uint64_t version)
{
	memset(c, 0, sizeof(*c));
	assert_int_equal(add(c, "a"), 0);
	assert_int_equal(add(c, "b"), 0);
	c->version = version;
}

static void save_and_load(void **state)
{
	struct stat st;
	mode_t old_umask;

	(void)state;
	make_dir();
	/* None yet: a new host, an empty configuration. */
	memset(&cfg2, 0xff, sizeof(cfg2));
	assert_int_equal(vmcfg_load_file(path, &cfg2, err, sizeof(err)), -ENOENT);
	assert_int_equal(cfg2.version, 0);
	assert_int_equal(cfg2.n_vms, 0);

	two_vms(&cfg, 17);
	old_umask = umask(077);
	assert_int_equal(vmcfg_save(path, &cfg), 0);
	umask(old_umask);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640); /* whatever the umask */
	assert_int_equal(access(tmp_path, F_OK), -1);
	assert_int_equal(vmcfg_load_file(path, &cfg2, err, sizeof(err)), 0);
	assert_int_equal(cfg2.version, 17);
	assert_same_config(&cfg, &cfg2);

	/* A stale PATH.tmp (a crash mid-save): ignored, then overwritten. */
	write_file(tmp_path, "version 999\nvm torn xml=/to");
	assert_int_equal(chmod(tmp_path, 0666), 0);
	assert_int_equal(vmcfg_load_file(path, &cfg2, err, sizeof(err)), 0);
	assert_int_equal(cfg2.version, 17);
	cfg.version = 18;
	assert_int_equal(vmcfg_save(path, &cfg), 0);
	assert_int_equal(access(tmp_path, F_OK), -1);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(vmcfg_load_file(path, &cfg2, err, sizeof(err)), 0);
	assert_int_equal(cfg2.version, 18);
	remove_dir();
}

static void load_refuses_bad_files(void **state)
{
	char want[256], *big;
	int fd;

	(void)state;
	make_dir();
	/* Malformed: PATH:LINE: what. */
	write_file(path, "version 3\nvm a xml=/a slot=0 memory=1 vcpus=1\nvm b xml=/b\n");
	memset(&cfg, 0xff, sizeof(cfg));
	assert_int_equal(vmcfg_load_file(path, &cfg, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s:3: vm b has no slot=", path);
	assert_string_equal(err, want);
	assert_int_equal(cfg.n_vms, 0); /* never half a configuration */
	assert_int_equal(cfg.version, 0);
	/* The operator's form is not the stored form. */
	write_file(path, "vm a xml=/a\n");
	assert_int_equal(vmcfg_load_file(path, &cfg, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s:1: the stored form begins with", path);
	assert_has(err, want);
	unlink(path);

	/* A FIFO: refused at once, not waited on for a writer. */
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(vmcfg_load_file(path, &cfg, err, sizeof(err)), -EINVAL);
	assert_has(err, "not a regular file");
	unlink(path);
	/* A directory, a symlink. */
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(vmcfg_load_file(path, &cfg, err, sizeof(err)), -EINVAL);
	assert_has(err, "not a regular file");
	rmdir(path);
	write_file(tmp_path, "version 1\n");
	assert_int_equal(symlink(tmp_path, path), 0);
	assert_int_equal(vmcfg_load_file(path, &cfg, err, sizeof(err)), -ELOOP);
	unlink(path);
	unlink(tmp_path);

	/* Over VMCFG_TEXT_MAX: refused before parsing. */
	big = malloc(VMCFG_TEXT_MAX + 2);
	assert_non_null(big);
	memset(big, '#', VMCFG_TEXT_MAX + 1);
	big[VMCFG_TEXT_MAX + 1] = '\0';
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, big, VMCFG_TEXT_MAX + 1), VMCFG_TEXT_MAX + 1);
	close(fd);
	assert_int_equal(vmcfg_load_file(path, &cfg, err, sizeof(err)), -EFBIG);
	assert_has(err, "more than 1048576 bytes");
	free(big);
	remove_dir();
}

/* A save that fails at any step leaves PATH as it was and no PATH.tmp. */
static void failed_save_keeps_old_file(void **state)
{
	(void)state;
	make_dir();
	two_vms(&cfg, 5);
	assert_int_equal(vmcfg_save(path, &cfg), 0);
	cfg.version = 6;

	fsync_fail = EIO;
	assert_int_equal(vmcfg_save(path, &cfg), -EIO);
	fsync_fail = 0;
	assert_int_equal(access(tmp_path, F_OK), -1);
	assert_int_equal(vmcfg_load_file(path, &cfg2, err, sizeof(err)), 0);
	assert_int_equal(cfg2.version, 5);

	rename_fail = EXDEV;
	assert_int_equal(vmcfg_save(path, &cfg), -EXDEV);
	rename_fail = 0;
	assert_int_equal(access(tmp_path, F_OK), -1);
	assert_int_equal(vmcfg_load_file(path, &cfg2, err, sizeof(err)), 0);
	assert_int_equal(cfg2.version, 5);

	/* PATH.tmp that cannot be opened for writing: a directory, a symlink
	 * (not written through). */
	assert_int_equal(mkdir(tmp_path, 0700), 0);
	assert_int_equal(vmcfg_save(path, &cfg), -EISDIR);
	rmdir(tmp_path);
	assert_int_equal(symlink("/nonexistent-target", tmp_path), 0);
	assert_int_equal(vmcfg_save(path, &cfg), -ELOOP);
	unlink(tmp_path);
	assert_int_equal(vmcfg_load_file(path, &cfg2, err, sizeof(err)), 0);
	assert_int_equal(cfg2.version, 5);

	/* What load would refuse: a slot never assigned, memory 0. */
	cfg.vms[0].slot = VMCFG_SLOT_NONE;
	assert_int_equal(vmcfg_save(path, &cfg), -EINVAL);
	cfg.vms[0].slot = 0;
	cfg.vms[1].memory_mib = 0;
	assert_int_equal(vmcfg_save(path, &cfg), -EINVAL);
	cfg.vms[1].memory_mib = 1;
	assert_int_equal(access(tmp_path, F_OK), -1);
	assert_int_equal(vmcfg_load_file(path, &cfg2, err, sizeof(err)), 0);
	assert_int_equal(cfg2.version, 5);

	/* A directory that is not there. */
	assert_int_equal(vmcfg_save("/nonexistent-dir/cluster.conf", &cfg), -ENOENT);

	/* Too large for load to read back: not written. */
	memset(&cfg, 0, sizeof(cfg));
	cfg.n_vms = VMCFG_VMS_MAX;
	for (int i = 0; i < VMCFG_VMS_MAX; i++) {
		struct vm_spec *s = &cfg.vms[i];

		*s = spec("v", 1, 1);
		snprintf(s->name, sizeof(s->name), "v%04d", i);
		memset(s->xml + 1, 'x', VMCFG_PATH_MAX - 1);
		s->xml[VMCFG_PATH_MAX] = '\0';
		s->slot = (uint32_t)i;
	}
	assert_int_equal(vmcfg_save(path, &cfg), -EFBIG);
	assert_int_equal(access(tmp_path, F_OK), -1);
	assert_int_equal(vmcfg_load_file(path, &cfg2, err, sizeof(err)), 0);
	assert_int_equal(cfg2.version, 5);
	remove_dir();
}

/* The content written for version V: each VM's fields depend on V, and
 * the file spans a few pages, so that a torn file would show. */
static void crash_config(struct vm_config *c, uint64_t v)
{
	memset(c, 0, sizeof(*c));
	c->version = v;
	c->n_vms = 120;
	for (size_t i = 0; i < c->n_vms; i++) {
		struct vm_spec *s = &c->vms[i];

		vmcfg_spec_init(s, "x");
		snprintf(s->name, sizeof(s->name), "vm%03zu", i);
		snprintf(s->xml, sizeof(s->xml), "/srv/shared/vm%03zu-v%llu.xml", i,
			 (unsigned long long)v);
		s->priority = (int32_t)((v + i) % 1000);
		s->slot = (uint32_t)i;
		s->memory_mib = (uint32_t)(v % 100000) + 1;
		s->vcpus = 1;
	}
}

/*
 * A child saves versions N, N+1, ... as fast as it can and is SIGKILLed at
 * a random moment, 200 times. After each kill the file loads, complete,
 * and holds a version the child wrote, never older than the last one seen.
 * (SIGKILL keeps the page cache: this shows atomicity, not durability
 * across power loss, which is what the fsyncs are for.)
 */
static void killed_mid_save_never_tears(void **state)
{
	unsigned int seed = (unsigned int)time(NULL) ^ (unsigned int)getpid();
	uint64_t last = 1;
	int advanced = 0;

	(void)state;
	make_dir();
	crash_config(&cfg, 1);
	assert_int_equal(vmcfg_save(path, &cfg), 0);
	for (int it = 0; it < 200; it++) {
		int status;
		pid_t pid = fork();

		assert_true(pid >= 0);
		if (pid == 0) {
			for (uint64_t v = last + 1;; v++) {
				crash_config(&cfg, v);
				if (vmcfg_save(path, &cfg) < 0)
					_exit(2);
			}
		}
		usleep((useconds_t)(rand_r(&seed) % 4000));
		assert_int_equal(kill(pid, SIGKILL), 0);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		if (!WIFSIGNALED(status))
			fail_msg("iteration %d: the child stopped saving (status %d)", it, status);

		memset(&cfg2, 0, sizeof(cfg2));
		if (vmcfg_load_file(path, &cfg2, err, sizeof(err)) != 0)
			fail_msg("iteration %d (seed %u): %s", it, seed, err);
		if (cfg2.version < last)
			fail_msg("iteration %d: version %llu after %llu", it,
				 (unsigned long long)cfg2.version, (unsigned long long)last);
		crash_config(&cfg, cfg2.version);
		if (vmcfg_hash(&cfg) != vmcfg_hash(&cfg2) || cfg.n_vms != cfg2.n_vms)
			fail_msg("iteration %d: version %llu is not what was written", it,
				 (unsigned long long)cfg2.version);
		advanced += cfg2.version > last;
		last = cfg2.version;
	}
	print_message("crash test: %d of 200 kills after new versions, last version %llu\n",
		      advanced, (unsigned long long)last);
	assert_true(advanced > 0);
	remove_dir();
}


/* Maintenance: node and property lines, their changes, and their place
 * in the text, the hash and a replace. */
static void maintenance_lines(void **state)
{
	(void)state;
	static const char text[] = "vm b xml=/s/b.xml\n"
				   "node kvm2 maintenance=protected vms=b,c.1\n"
				   "property maintenance-mode=true\n"
				   "node kvm1 maintenance=on\n"
				   "node kvm3 maintenance=off\n";
	static const char shown[] = "property maintenance-mode=true\n"
				    "node kvm1 maintenance=on\n"
				    "node kvm2 maintenance=protected vms=b,c.1\n"
				    "vm b xml=/s/b.xml\n";
	struct vmcfg_change ch;
	size_t len;
	char *out;
	uint64_t h0, h1;

	assert_int_equal(vmcfg_parse(text, sizeof(text) - 1, false, &cfg, err, sizeof(err)), 0);
	assert_true(cfg.maintenance);
	assert_int_equal(cfg.n_nodes, 2);
	assert_int_equal(vmcfg_node_maint(&cfg, "kvm1"), VMCFG_MAINT_ALL);
	assert_int_equal(vmcfg_node_maint(&cfg, "kvm2"), VMCFG_MAINT_PROTECTED);
	assert_int_equal(vmcfg_node_maint(&cfg, "kvm3"), VMCFG_MAINT_OFF);
	assert_string_equal(cfg.nodes[1].vms, "b,c.1");
	out = vmcfg_format(&cfg, false, &len);
	assert_non_null(out);
	assert_string_equal(out, shown);
	free(out);

	/* Strict. */
	static const char *const bad[] = {
		"node kvm1\n", "node kvm1 maintenance=maybe\n", "node kvm1 maintenance=\n",
		"node\n", "node k@ maintenance=on\n", "node kvm1 maintenance=on extra\n",
		"node kvm1 maintenance=on\nnode kvm1 maintenance=off\n",
		"property maintenance-mode=yes\n", "property colour=red\n",
		"property maintenance-mode=true\nproperty maintenance-mode=false\n",
		"nodes kvm1\n",
		"node kvm1 maintenance=off\nnode kvm1 maintenance=on\n",
		"node kvm1 maintenance=on vms=\n", "node kvm1 maintenance=on vms=a,,b\n",
		"node kvm1 maintenance=on vms=a vms=b\n", "node kvm1 vms=a maintenance=on\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(vmcfg_parse(bad[i], strlen(bad[i]), false, &cfg2, err, sizeof(err)),
				 -EINVAL);
		assert_non_null(strstr(err, "line "));
	}

	/* The hash covers them; without them it is the VM lines' alone. */
	h0 = vmcfg_hash(&cfg);
	cfg.maintenance = false;
	h1 = vmcfg_hash(&cfg);
	assert_true(h0 != h1);

	/* Changes: as text and back, then applied. */
	memset(&ch, 0, sizeof(ch));
	ch.op = VMCFG_NODE;
	strcpy(ch.node.name, "kvm3");
	ch.node.maint = VMCFG_MAINT_ALL;
	out = vmcfg_change_format(&ch, &len);
	assert_string_equal(out, "node kvm3 maintenance=on\n");
	assert_int_equal(vmcfg_change_parse(out, len, &ch, err, sizeof(err)), 0);
	free(out);
	assert_int_equal(ch.op, VMCFG_NODE);
	cfg.version = 4;
	assert_int_equal(vmcfg_apply(&cfg, &ch, err, sizeof(err)), 0);
	assert_int_equal(cfg.version, 5);
	assert_int_equal(cfg.n_nodes, 3);
	assert_string_equal(cfg.nodes[2].name, "kvm3"); /* kept sorted */
	ch.node.maint = VMCFG_MAINT_OFF;
	strcpy(ch.node.name, "kvm1");
	assert_int_equal(vmcfg_apply(&cfg, &ch, err, sizeof(err)), 0);
	assert_int_equal(cfg.n_nodes, 2);
	assert_string_equal(cfg.nodes[0].name, "kvm2");
	assert_int_equal(vmcfg_apply(&cfg, &ch, err, sizeof(err)), 0); /* clear again: a no-op change */
	assert_int_equal(cfg.n_nodes, 2);
	assert_int_equal(cfg.version, 7);
	strcpy(ch.node.name, "bad name");
	assert_int_equal(vmcfg_apply(&cfg, &ch, err, sizeof(err)), -EINVAL);

	memset(&ch, 0, sizeof(ch));
	assert_int_equal(vmcfg_change_parse("property maintenance-mode=true\n", 31, &ch, err,
					    sizeof(err)),
			 0);
	assert_int_equal(ch.op, VMCFG_PROPERTY);
	assert_true(ch.maintenance);
	assert_int_equal(vmcfg_apply(&cfg, &ch, err, sizeof(err)), 0);
	assert_true(cfg.maintenance);
	assert_int_equal(vmcfg_change_parse("node kvm1 maintenance=on x\n", 27, &ch, err, sizeof(err)),
			 -EINVAL);

	/* A replace without node or property lines keeps them (a file of
	 * VMs does not end a maintenance); with any, replaces them all, and
	 * says so in its text even when all are off. */
	assert_int_equal(vmcfg_parse("", 0, false, &cfg2, err, sizeof(err)), 0);
	memset(&ch, 0, sizeof(ch));
	ch.op = VMCFG_REPLACE;
	ch.all = &cfg2;
	assert_int_equal(vmcfg_apply(&cfg, &ch, err, sizeof(err)), 0);
	assert_true(cfg.maintenance);
	assert_int_equal(cfg.n_nodes, 2);
	assert_int_equal(vmcfg_parse("property maintenance-mode=false\n", 31, false, &cfg2, err,
				     sizeof(err)),
			 0);
	assert_true(cfg2.head_given);
	out = vmcfg_change_format(&ch, &len);
	assert_non_null(strstr(out, "replace\nproperty maintenance-mode=false\n"));
	{
		struct vmcfg_change back;
		assert_int_equal(vmcfg_change_parse(out, len, &back, err, sizeof(err)), 0);
		assert_true(back.all->head_given);
		vmcfg_change_free(&back);
	}
	free(out);
	assert_int_equal(vmcfg_apply(&cfg, &ch, err, sizeof(err)), 0);
	assert_false(cfg.maintenance);
	assert_int_equal(cfg.n_nodes, 0);
	cfg.maintenance = true;
	cfg.nodes[0] = (struct vm_node){ .name = "kvm9", .maint = VMCFG_MAINT_ALL };
	cfg.n_nodes = 1;
	out = vmcfg_format(&cfg, true, &len);
	assert_int_equal(vmcfg_parse(out, len, true, &cfg2, err, sizeof(err)), 0);
	free(out);
	assert_true(cfg2.maintenance);
	assert_int_equal(cfg2.n_nodes, 1);
	assert_int_equal(vmcfg_hash(&cfg2), vmcfg_hash(&cfg));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_errors_name_their_line),
		cmocka_unit_test(nul_byte_is_refused),
		cmocka_unit_test(over_long_values_are_refused),
		cmocka_unit_test(over_long_line_is_refused),
		cmocka_unit_test(more_vms_than_slots_is_refused),
		cmocka_unit_test(comments_blanks_and_continuations),
		cmocka_unit_test(empty_text_is_an_empty_configuration),
		cmocka_unit_test(names),
		cmocka_unit_test(operator_form_round_trip),
		cmocka_unit_test(stored_form_round_trip),
		cmocka_unit_test(format_vm_fits_or_says_so),
		cmocka_unit_test(find_is_a_binary_search),
		cmocka_unit_test(add_assigns_lowest_free_slot),
		cmocka_unit_test(add_failures_leave_config_unchanged),
		cmocka_unit_test(add_refused_when_full),
		cmocka_unit_test(too_large_a_configuration_is_refused),
		cmocka_unit_test(remove_and_state),
		cmocka_unit_test(version_never_wraps),
		cmocka_unit_test(replace_keeps_and_assigns_slots),
		cmocka_unit_test(replace_with_given_slots),
		cmocka_unit_test(replace_assigns_in_name_order),
		cmocka_unit_test(changes_as_text),
		cmocka_unit_test(change_parse_is_strict),
		cmocka_unit_test(hash_is_fnv1a_of_the_stored_vm_lines),
		cmocka_unit_test(save_and_load),
		cmocka_unit_test(load_refuses_bad_files),
		cmocka_unit_test(failed_save_keeps_old_file),
		cmocka_unit_test(killed_mid_save_never_tears),
		cmocka_unit_test(maintenance_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
