/*
 * test_fence_agent_args.c: fence_havm_ipmi's option parsing without a BMC:
 * stdin and command line give the same result, defaults are the documented
 * ones, the cluster's own keys are ignored, and every malformed value,
 * unknown name or conflict is refused with a message that names it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "agent_args.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct agent_args args;
static char err[1024];

static int parse_text(const char *text)
{
	FILE *in = fmemopen((void *)text, strlen(text), "r");
	int rc;

	assert_non_null(in);
	agent_args_init(&args);
	err[0] = '\0';
	rc = agent_args_parse_stdin(&args, in, err, sizeof(err));
	fclose(in);
	return rc;
}

/* ARGV without argv[0], NULL-terminated. */
static int parse_argv(const char *const *av)
{
	char *argv[64];
	int argc = 0;

	argv[argc++] = (char *)"fence_havm_ipmi";
	for (; *av; av++)
		argv[argc++] = (char *)*av;
	argv[argc] = NULL;
	agent_args_init(&args);
	err[0] = '\0';
	return agent_args_parse_argv(&args, argc, argv, err, sizeof(err));
}

static void expect_error(int rc, const char *fragment)
{
	assert_int_equal(rc, -EINVAL);
	if (!strstr(err, fragment))
		fail_msg("message \"%s\" lacks \"%s\"", err, fragment);
}

static void defaults_are_documented(void **state)
{
	(void)state;
	assert_int_equal(parse_text(""), 0);
	assert_int_equal(args.action, AGENT_REBOOT);
	assert_int_equal(args.ipport, 623);
	assert_int_equal(args.cipher, 3);
	assert_int_equal(args.privilege, FENCE_IPMI_PRIV_OPERATOR);
	assert_int_equal(args.power_timeout_ms, 20000);
	assert_int_equal(args.power_wait_ms, 0);
	assert_int_equal(args.status_sleep_ms, 1000);
	assert_int_equal(args.ipmi_timeout_ms, 5000);
	assert_int_equal(args.delay_ms, 0);
	assert_int_equal(args.verbose, 0);
	assert_false(args.quiet);
}

static void stdin_full_set(void **state)
{
	(void)state;
	assert_int_equal(parse_text("# a comment\n"
				    "\n"
				    "action=off\n"
				    "ip=192.0.2.10\n"
				    "ipport=16230\n"
				    "username=admin\n"
				    "password=\"se=cret\"\n"
				    "lanplus=1\n"
				    "cipher=17\n"
				    "privlvl=ADMINISTRATOR\n"
				    "hexadecimal_kg=0x0A0b\n"
				    "method=onoff\n"
				    "power_timeout=7.5\n"
				    "power-wait=0.25\n"
				    "stonith_status_sleep=0.1\n"
				    "ipmi_timeout=2\n"
				    "delay=3\n"
				    "verbose=yes\n"
				    "  quiet=off  \n"),
			 0);
	assert_int_equal(args.action, AGENT_OFF);
	assert_string_equal(args.ip, "192.0.2.10");
	assert_int_equal(args.ipport, 16230);
	assert_string_equal(args.username, "admin");
	assert_string_equal(args.password, "se=cret");
	assert_int_equal(args.cipher, 17);
	assert_int_equal(args.privilege, FENCE_IPMI_PRIV_ADMIN);
	assert_int_equal(args.k_g_len, 2);
	assert_int_equal(args.k_g[0], 0x0a);
	assert_int_equal(args.k_g[1], 0x0b);
	assert_int_equal(args.power_timeout_ms, 7500);
	assert_int_equal(args.power_wait_ms, 250);
	assert_int_equal(args.status_sleep_ms, 100);
	assert_int_equal(args.ipmi_timeout_ms, 2000);
	assert_int_equal(args.delay_ms, 3000);
	assert_int_equal(args.verbose, 1);
	assert_false(args.quiet);
	assert_int_equal(agent_args_check(&args, err, sizeof(err)), 0);
}

static void command_line_equals_stdin(void **state)
{
	struct agent_args from_stdin;
	const char *av[] = { "-o", "status", "-a", "192.0.2.10", "-u", "16230", "-l", "admin",
			     "-p", "secret", "-P", "-C", "3", "-L", "user", "--power-timeout=9",
			     "--power-wait", "1", "--stonith-status-sleep=2", "--ipmi-timeout=3",
			     "--delay=4", "--hexadecimal-kg=ff", "-m", "onoff", NULL };

	(void)state;
	assert_int_equal(parse_text("action=status\nip=192.0.2.10\nipport=16230\n"
				    "login=admin\npasswd=secret\nlanplus=true\ncipher=3\n"
				    "privlvl=user\npower_timeout=9\npower_wait=1\n"
				    "stonith_status_sleep=2\nipmi_timeout=3\ndelay=4\n"
				    "hexadecimal_kg=FF\nmethod=onoff\n"),
			 0);
	from_stdin = args;
	assert_int_equal(parse_argv(av), 0);
	/* given[] differs only where the two spell an option differently: none here. */
	assert_memory_equal(&from_stdin, &args, sizeof(args));
}

static void deprecated_names_and_option_alias(void **state)
{
	(void)state;
	assert_int_equal(parse_text("option=monitor\nipaddr=bmc1\nlogin=u\npasswd_script=echo x\n"
				    "debug=/tmp/x\n"),
			 0);
	assert_int_equal(args.action, AGENT_MONITOR);
	assert_string_equal(args.ip, "bmc1");
	assert_string_equal(args.username, "u");
	assert_string_equal(args.password_script, "echo x");
	assert_string_equal(args.debug_file, "/tmp/x");
}

static void last_value_wins(void **state)
{
	(void)state;
	assert_int_equal(parse_text("ip=a\nipaddr=b\naction=off\naction=ON\n"), 0);
	assert_string_equal(args.ip, "b");
	assert_int_equal(args.action, AGENT_ON);
	assert_int_equal(parse_text("password=first\npasswd=second\n"), 0);
	assert_string_equal(args.password, "second");
	/* Two password files are one source: the last one. */
	assert_int_equal(parse_text("ip=a\npassword_file=/etc/a\npassword_file=/etc/b\n"), 0);
	assert_string_equal(args.password_file, "/etc/b");
	assert_int_equal(agent_args_check(&args, err, sizeof(err)), 0);
}

/* An earlier value is overridden, not checked: a bad one does not count. */
static void overridden_values_are_not_checked(void **state)
{
	(void)state;
	assert_int_equal(parse_text("ipport=abc\nipport=624\n"), 0);
	assert_int_equal(args.ipport, 624);
	assert_int_equal(parse_text("action=diag\nlanplus=0\nip=\naction=off\nlanplus=1\nip=b\n"),
			 0);
	assert_int_equal(args.action, AGENT_OFF);
	assert_string_equal(args.ip, "b");
	assert_int_equal(parse_text("username=seventeen_chars_xx\nlogin=admin\n"), 0);
	assert_string_equal(args.username, "admin");
}

/* The last value is the one checked, and the error names its line. */
static void last_value_errors_name_its_line(void **state)
{
	(void)state;
	expect_error(parse_text("ipport=623\nip=a\nipport=abc\n"),
		     "stdin line 3: ipport \"abc\" is not a port number");
	/* Among the last values, the first error in the file is reported. */
	expect_error(parse_text("ipport=1\ndelay=soon\nipport=port\n"),
		     "stdin line 2: delay \"soon\"");
	/* An unknown name is refused where it stands, even if values follow. */
	expect_error(parse_text("ip=a\npower_timout=1\nip=b\n"),
		     "stdin line 2: unknown parameter \"power_timout\"");
}

static void command_line_last_value_wins(void **state)
{
	const char *port[] = { "-u", "abc", "--ipport=624", NULL };
	const char *action[] = { "-o", "off", "--action", "status", "-o", "monitor", NULL };
	const char *bad_last[] = { "--ipport=624", "-u", "0", NULL };
	const char *password[] = { "-p", "wrong", "--password=right", NULL };
	const char *verbose[] = { "-v", "--verbose", "-v", NULL };

	(void)state;
	assert_int_equal(parse_argv(port), 0);
	assert_int_equal(args.ipport, 624);
	assert_int_equal(parse_argv(action), 0);
	assert_int_equal(args.action, AGENT_MONITOR);
	expect_error(parse_argv(bad_last), "-u/--ipport \"0\" is not a port number");
	assert_int_equal(parse_argv(password), 0);
	assert_string_equal(args.password, "right");
	/* -v still counts each time. */
	assert_int_equal(parse_argv(verbose), 0);
	assert_int_equal(args.verbose, 3);
}

static void cluster_keys_are_ignored(void **state)
{
	(void)state;
	assert_int_equal(parse_text("nodename=node1\nnodeid=3\nport=node1\nplug=node1\n"
				    "agent=fence_havm_ipmi\nname=dev\npcmk_host_list=node1\n"
				    "ip=b\n"),
			 0);
	assert_string_equal(args.ip, "b");
	assert_int_equal(agent_args_set(&args, "nodename", "x", err, sizeof(err)), 1);
}

static void unknown_names_are_errors(void **state)
{
	(void)state;
	expect_error(parse_text("ip=b\npower_timout=60\n"),
		     "stdin line 2: unknown parameter \"power_timout\"");
	expect_error(parse_text("ipmitool_path=/usr/bin/ipmitool\n"), "unknown parameter");
	expect_error(parse_text("just a line\n"), "stdin line 1: \"just a line\" is not name=value");
	expect_error(parse_text("=x\n"), "is not name=value");
}

static void bad_values_are_errors(void **state)
{
	(void)state;
	expect_error(parse_text("ipport=0\n"), "ipport \"0\" is not a port number");
	expect_error(parse_text("ipport=65536\n"), "not a port number");
	expect_error(parse_text("ipport=+1\n"), "not a port number");
	expect_error(parse_text("ipport=62 3\n"), "not a port number");
	expect_error(parse_text("ipport=\n"), "not a port number");
	expect_error(parse_text("cipher=4\n"), "not a supported cipher suite");
	expect_error(parse_text("cipher=-1\n"), "not a supported cipher suite");
	expect_error(parse_text("privlvl=root\n"), "is not one of callback");
	expect_error(parse_text("power_timeout=0\n"), "from 0.1 to 3600");
	expect_error(parse_text("power_timeout=1.2345\n"), "from 0.1 to 3600");
	expect_error(parse_text("power_timeout=1.\n"), "from 0.1 to 3600");
	expect_error(parse_text("power_timeout=.5\n"), "from 0.1 to 3600");
	expect_error(parse_text("power_timeout=5s\n"), "from 0.1 to 3600");
	expect_error(parse_text("power_timeout=99999999999999999999\n"), "from 0.1 to 3600");
	expect_error(parse_text("stonith_status_sleep=0.01\n"), "from 0.05 to 60");
	expect_error(parse_text("ipmi_timeout=0.05\n"), "from 0.1 to 600");
	expect_error(parse_text("delay=-1\n"), "from 0 to 3600");
	expect_error(parse_text("verbose=maybe\n"), "is not a boolean");
	expect_error(parse_text("hexadecimal_kg=abc\n"), "hexadecimal");
	expect_error(parse_text("hexadecimal_kg=zz\n"), "hexadecimal");
	expect_error(parse_text("hexadecimal_kg=00112233445566778899001122334455667788990011\n"),
		     "hexadecimal");
	expect_error(parse_text("username=seventeen_chars_xx\n"), "longer than 16 bytes");
	expect_error(parse_text("password=twenty_one_characters\n"), "longer than 20 bytes");
	expect_error(parse_text("ip=\n"), "ip is empty");
	expect_error(parse_text("action=diag\n"), "Failed: Unrecognised action 'diag'");
}

static void refused_choices_explain_why(void **state)
{
	(void)state;
	expect_error(parse_text("lanplus=0\n"), "IPMI 2.0 (lanplus) only");
	expect_error(parse_text("method=cycle\n"), "cannot be verified");
	expect_error(parse_text("method=other\n"), "is not onoff");
}

static void actions_all_parse(void **state)
{
	static const struct {
		const char *name;
		enum agent_action action;
	} cases[] = {
		{ "on", AGENT_ON },
		{ "OFF", AGENT_OFF },
		{ "reboot", AGENT_REBOOT },
		{ "status", AGENT_STATUS },
		{ "monitor", AGENT_MONITOR },
		{ "list", AGENT_LIST },
		{ "list-status", AGENT_LIST_STATUS },
		{ "metadata", AGENT_METADATA },
		{ "meta-data", AGENT_METADATA },
		{ "manpage", AGENT_MANPAGE },
		{ "validate-all", AGENT_VALIDATE_ALL },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		agent_args_init(&args);
		assert_int_equal(agent_args_set(&args, "action", cases[i].name, err, sizeof(err)), 0);
		assert_int_equal(args.action, cases[i].action);
	}
}

static void command_line_errors(void **state)
{
	const char *unknown[] = { "--foo", NULL };
	const char *unknown_short[] = { "-x", NULL };
	const char *missing[] = { "-a", NULL };
	const char *missing_long[] = { "--ip", NULL };
	const char *plug[] = { "-n", "node1", NULL };
	const char *plug_long[] = { "--plug=node1", NULL };
	const char *extra[] = { "-o", "off", "stray", NULL };
	const char *bad_value[] = { "--ipport=abc", NULL };

	(void)state;
	expect_error(parse_argv(unknown), "unknown option --foo");
	expect_error(parse_argv(unknown_short), "unknown option -x");
	expect_error(parse_argv(missing), "option -a needs a value");
	expect_error(parse_argv(missing_long), "option --ip needs a value");
	expect_error(parse_argv(plug), "-n/--plug is not used");
	expect_error(parse_argv(plug_long), "-n/--plug is not used");
	expect_error(parse_argv(extra), "unexpected argument \"stray\"");
	expect_error(parse_argv(bad_value), "-u/--ipport \"abc\" is not a port number");
}

static void verbose_stacks_on_command_line(void **state)
{
	const char *av[] = { "-vvv", "-q", "-h", "-V", NULL };

	(void)state;
	assert_int_equal(parse_argv(av), 0);
	assert_int_equal(args.verbose, 3);
	assert_true(args.quiet);
	assert_true(args.help);
	assert_true(args.version);
}

static void checks_across_options(void **state)
{
	(void)state;
	assert_int_equal(parse_text("action=off\n"), 0);
	expect_error(agent_args_check(&args, err, sizeof(err)), "You have to enter fence address");
	assert_int_equal(parse_text("action=metadata\n"), 0);
	assert_int_equal(agent_args_check(&args, err, sizeof(err)), 0);
	assert_int_equal(parse_text("action=list\n"), 0);
	assert_int_equal(agent_args_check(&args, err, sizeof(err)), 0);
	assert_int_equal(parse_text("ip=a\npassword=x\npassword_file=/etc/p\n"), 0);
	expect_error(agent_args_check(&args, err, sizeof(err)), "only one of password");
	assert_int_equal(parse_text("ip=a\npasswd_script=x\npassword_file=/etc/p\n"), 0);
	expect_error(agent_args_check(&args, err, sizeof(err)), "only one of password");
}

static void long_lines_and_nul_are_errors(void **state)
{
	char *big = malloc(AGENT_LINE_MAX + 16);
	static const char nul[] = "ip=a\0b\n";
	FILE *in;

	(void)state;
	assert_non_null(big);
	memset(big, 'a', AGENT_LINE_MAX + 10);
	memcpy(big, "ip=", 3);
	big[AGENT_LINE_MAX + 10] = '\n';
	big[AGENT_LINE_MAX + 11] = '\0';
	expect_error(parse_text(big), "longer than");
	free(big);

	in = fmemopen((void *)nul, sizeof(nul) - 1, "r");
	assert_non_null(in);
	agent_args_init(&args);
	expect_error(agent_args_parse_stdin(&args, in, err, sizeof(err)), "NUL");
	fclose(in);
}

static void wipe_clears_secrets(void **state)
{
	(void)state;
	assert_int_equal(parse_text("password=secret\nhexadecimal_kg=ffff\n"), 0);
	agent_args_wipe(&args);
	assert_int_equal(args.password[0], 0);
	assert_int_equal(args.k_g[0], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults_are_documented),
		cmocka_unit_test(stdin_full_set),
		cmocka_unit_test(command_line_equals_stdin),
		cmocka_unit_test(deprecated_names_and_option_alias),
		cmocka_unit_test(last_value_wins),
		cmocka_unit_test(overridden_values_are_not_checked),
		cmocka_unit_test(last_value_errors_name_its_line),
		cmocka_unit_test(command_line_last_value_wins),
		cmocka_unit_test(cluster_keys_are_ignored),
		cmocka_unit_test(unknown_names_are_errors),
		cmocka_unit_test(bad_values_are_errors),
		cmocka_unit_test(refused_choices_explain_why),
		cmocka_unit_test(actions_all_parse),
		cmocka_unit_test(command_line_errors),
		cmocka_unit_test(verbose_stacks_on_command_line),
		cmocka_unit_test(checks_across_options),
		cmocka_unit_test(long_lines_and_nul_are_errors),
		cmocka_unit_test(wipe_clears_secrets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
