/*
 * test_alert.c: what an alert script is told (lib/alert.c), which events a
 * host sends, and the rate limit with its summary.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "alert.h"

#include <string.h>
#include <syslog.h>

static const char *env_get(const struct alert_env *env, const char *key)
{
	size_t n = strlen(key);
	for (size_t i = 0; env->envp[i]; i++)
		if (strncmp(env->envp[i], key, n) == 0 && env->envp[i][n] == '=')
			return env->envp[i] + n + 1;
	return NULL;
}

static struct event_rec sample(void)
{
	struct event_rec e = { .seq = 42, .time_ms = 1795998237123ULL, .type = HAVM_EV_HOST_LOST,
			       .severity = LOG_NOTICE, .nodeid = 3 };
	strcpy(e.host, "kvm3");
	strcpy(e.vm, "");
	strcpy(e.text, "incarnation=7; not treated as dead until proven off");
	return e;
}

static void environment(void **state)
{
	static struct alert_env env;
	struct event_rec e = sample();
	size_t n = 0;

	(void)state;
	assert_int_equal(alert_env_build(&env, &e, "prod", "kvm1"), 0);
	assert_string_equal(env_get(&env, "HAVM_ALERT_KIND"), "host-lost");
	assert_string_equal(env_get(&env, "HAVM_ALERT_SEVERITY"), "notice");
	assert_string_equal(env_get(&env, "HAVM_ALERT_NODE"), "kvm3");
	assert_string_equal(env_get(&env, "HAVM_ALERT_NODEID"), "3");
	assert_string_equal(env_get(&env, "HAVM_ALERT_VM"), "");
	assert_string_equal(env_get(&env, "HAVM_ALERT_DESC"), e.text);
	assert_string_equal(env_get(&env, "HAVM_ALERT_TIMESTAMP"), "2026-11-30T00:23:57.123Z");
	assert_string_equal(env_get(&env, "HAVM_ALERT_TIMESTAMP_EPOCH"), "1795998237");
	assert_string_equal(env_get(&env, "HAVM_ALERT_TIMESTAMP_USEC"), "123000");
	assert_string_equal(env_get(&env, "HAVM_ALERT_SEQUENCE"), "42");
	assert_string_equal(env_get(&env, "HAVM_ALERT_CLUSTER"), "prod");
	assert_string_equal(env_get(&env, "HAVM_ALERT_FROM"), "kvm1");
	assert_string_equal(env_get(&env, "CRM_alert_kind"), "havm");
	assert_string_equal(env_get(&env, "CRM_alert_node"), "kvm3");
	assert_string_equal(env_get(&env, "CRM_alert_node_sequence"), "42");
	assert_non_null(env_get(&env, "PATH"));
	/* Nothing else: the script gets no environment of havmd's. */
	while (env.envp[n])
		n++;
	assert_int_equal(n, 19);
	/* The longest fields still fit. */
	memset(e.text, 'x', sizeof(e.text) - 1);
	e.text[sizeof(e.text) - 1] = '\0';
	memset(e.vm, 'v', sizeof(e.vm) - 1);
	e.vm[sizeof(e.vm) - 1] = '\0';
	assert_int_equal(alert_env_build(&env, &e, "prod", "kvm1"), 0);
	assert_int_equal(strlen(env_get(&env, "HAVM_ALERT_DESC")), sizeof(e.text) - 1);
}

static void who_sends(void **state)
{
	struct event_rec e = sample();

	(void)state;
	/* The coordinator sends every event; another host its own only. */
	assert_true(alert_wanted(&e, LOG_NOTICE, 1, true));
	assert_false(alert_wanted(&e, LOG_NOTICE, 1, false));
	assert_true(alert_wanted(&e, LOG_NOTICE, 3, false));
	e.nodeid = 0;
	assert_false(alert_wanted(&e, LOG_NOTICE, 3, false));
	assert_true(alert_wanted(&e, LOG_NOTICE, 3, true));
	/* Severity: notice and worse pass a notice threshold. */
	e.severity = LOG_INFO;
	assert_false(alert_wanted(&e, LOG_NOTICE, 3, true));
	e.severity = LOG_ERR;
	assert_true(alert_wanted(&e, LOG_WARNING, 3, true));
	assert_false(alert_wanted(&e, LOG_ERR - 1, 3, true));
}

static void rate_and_summary(void **state)
{
	struct alert_rate r = { .per_minute = 3 };
	uint64_t t = 1000000;

	(void)state;
	for (int i = 0; i < 3; i++)
		assert_true(alert_rate_take(&r, t + (uint64_t)i));
	for (int i = 0; i < 10000; i++)
		assert_false(alert_rate_take(&r, t + 10 + (uint64_t)i));
	assert_int_equal(r.suppressed, 10000);
	assert_int_equal(alert_rate_summary(&r, t + 59999), 0); /* not before the minute */
	assert_int_equal(alert_rate_summary(&r, t + 60000), 10000);
	assert_int_equal(r.suppressed, 0);
	assert_int_equal(alert_rate_summary(&r, t + 60001), 0);
	/* The summary took one of the new minute's three. */
	assert_true(alert_rate_take(&r, t + 60002));
	assert_true(alert_rate_take(&r, t + 60003));
	assert_false(alert_rate_take(&r, t + 60004));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(environment),
		cmocka_unit_test(who_sends),
		cmocka_unit_test(rate_and_summary),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
