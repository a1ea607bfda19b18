/*
 * test_vm_place.c: the placement planner, rule by rule from hand-built
 * clusters, then its invariants over randomised clusters of 32 hosts and
 * hundreds of VMs (capacity, avoid lists, priority under short capacity,
 * anti-affinity, and that the input's order changes nothing).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "vm_place.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_VMS 1000
#define MAX_HOSTS 32

static struct vm_spec specs[MAX_VMS];
static struct place_vm vms[MAX_VMS];
static struct place_result out[MAX_VMS];
static struct place_host hosts[MAX_HOSTS];
static size_t n_specs, n_hosts;

static int reset(void **state)
{
	(void)state;
	memset(specs, 0, sizeof(specs));
	memset(vms, 0, sizeof(vms));
	memset(out, 0xa5, sizeof(out)); /* every verdict must be written */
	memset(hosts, 0, sizeof(hosts));
	n_specs = n_hosts = 0;
	return 0;
}

/* An eligible host kvmID with MEM MiB free and CPUS cpus, nothing on it. */
static struct place_host *add_host(uint32_t id, uint64_t mem, uint32_t cpus)
{
	struct place_host *h = &hosts[n_hosts++];

	h->nodeid = id;
	snprintf(h->name, sizeof(h->name), "kvm%u", id);
	h->eligible = true;
	h->mem_free_mib = mem;
	h->cpus = cpus;
	return h;
}

static void not_eligible(struct place_host *h, const char *why)
{
	h->eligible = false;
	snprintf(h->why_not, sizeof(h->why_not), "%s", why);
}

/* A protected VM, down, wanted. */
static struct place_vm *add_vm(const char *name, int32_t prio, uint32_t mem, uint32_t vcpus)
{
	struct vm_spec *s = &specs[n_specs];
	struct place_vm *v = &vms[n_specs++];

	snprintf(s->name, sizeof(s->name), "%s", name);
	s->priority = prio;
	s->memory_mib = mem;
	s->vcpus = vcpus;
	v->spec = s;
	v->where = PLACE_DOWN;
	return v;
}

static struct vm_spec *spec_of(struct place_vm *v)
{
	return (struct vm_spec *)v->spec;
}

static void prefer(struct place_vm *v, const char *host)
{
	struct vm_spec *s = spec_of(v);
	snprintf(s->prefer[s->n_prefer++], sizeof(s->prefer[0]), "%s", host);
}

static void avoid(struct place_vm *v, const char *host)
{
	struct vm_spec *s = spec_of(v);
	snprintf(s->avoid[s->n_avoid++], sizeof(s->avoid[0]), "%s", host);
}

static void group(struct place_vm *v, const char *g)
{
	snprintf(spec_of(v)->group, sizeof(spec_of(v)->group), "%s", g);
}

static void runs_on(struct place_vm *v, uint32_t host)
{
	v->where = PLACE_RUNNING;
	v->host = host;
}

static size_t plan_with(uint32_t max_starts, uint32_t ratio, uint32_t in_flight)
{
	struct place_params p = { .max_starts = max_starts,
				  .vcpu_ratio = ratio,
				  .starts_in_flight = in_flight };
	return place_plan(hosts, n_hosts, vms, n_specs, &p, out);
}

static size_t plan(void)
{
	return plan_with(0, 0, 0);
}

#define assert_start(i, h)                                                                         \
	do {                                                                                       \
		assert_int_equal(out[i].verdict, PLAN_START);                                      \
		assert_int_equal(out[i].host, h);                                                  \
	} while (0)

#define assert_pending(i, why)                                                                     \
	do {                                                                                       \
		assert_int_equal(out[i].verdict, PLAN_PENDING);                                    \
		assert_string_equal(out[i].reason, why);                                           \
	} while (0)

/* --- verdicts without placing ----------------------------------------- */

static void verdict_names(void **state)
{
	(void)state;
	assert_string_equal(place_verdict_name(PLAN_KEEP), "keep");
	assert_string_equal(place_verdict_name(PLAN_START), "start");
	assert_string_equal(place_verdict_name(PLAN_PENDING), "pending");
	assert_string_equal(place_verdict_name(PLAN_STOP), "stop");
	assert_string_equal(place_verdict_name((enum place_verdict)42), "unknown");
}

static void running_stopped_and_blocked(void **state)
{
	struct place_vm *v;
	(void)state;
	add_host(1, 65536, 16);
	runs_on(add_vm("run", 0, 1024, 1), 1);
	spec_of(add_vm("off", 0, 1024, 1))->stopped = true;
	v = add_vm("stopme", 0, 1024, 1);
	runs_on(v, 1);
	spec_of(v)->stopped = true;
	v = add_vm("blocked", 0, 1024, 1);
	v->where = PLACE_BLOCKED;
	snprintf(v->blocked, sizeof(v->blocked), "kvm2 is lost and not yet fenced");
	v = add_vm("blocked-off", 0, 1024, 1);
	v->where = PLACE_BLOCKED;
	spec_of(v)->stopped = true;
	v = add_vm("blocked-silent", 0, 1024, 1);
	v->where = PLACE_BLOCKED;

	assert_int_equal(plan(), 0);
	assert_int_equal(out[0].verdict, PLAN_KEEP);
	assert_int_equal(out[0].host, 1);
	assert_int_equal(out[1].verdict, PLAN_KEEP);
	assert_int_equal(out[1].host, 0);
	assert_string_equal(out[1].reason, "stopped");
	assert_int_equal(out[2].verdict, PLAN_STOP);
	assert_int_equal(out[2].host, 1);
	assert_pending(3, "kvm2 is lost and not yet fenced");
	assert_int_equal(out[4].verdict, PLAN_KEEP);
	assert_string_equal(out[4].reason, "stopped");
	assert_pending(5, "blocked");
}

static void running_on_unknown_host_is_kept(void **state)
{
	(void)state;
	add_host(1, 65536, 16);
	runs_on(add_vm("far", 0, 1024, 1), 9);
	assert_int_equal(plan(), 0);
	assert_int_equal(out[0].verdict, PLAN_KEEP);
	assert_int_equal(out[0].host, 9);
}

static void no_vms_no_hosts(void **state)
{
	(void)state;
	assert_int_equal(plan(), 0);
	add_vm("lonely", 0, 1024, 1);
	assert_int_equal(plan(), 0);
	assert_pending(0, "no eligible host (no hosts known)");
}

/* --- rule 1: eligible hosts only ---------------------------------------- */

static void ineligible_hosts_take_nothing(void **state)
{
	(void)state;
	add_host(1, 4096, 8);
	not_eligible(add_host(2, 65536, 64), "in maintenance");
	add_vm("a", 0, 1024, 1);
	assert_int_equal(plan(), 1);
	assert_start(0, 1);
}

static void no_eligible_host_names_each_reason(void **state)
{
	(void)state;
	not_eligible(add_host(2, 65536, 64), "libvirt not answering");
	not_eligible(add_host(3, 65536, 64), "lost");
	add_vm("a", 0, 1024, 1);
	assert_int_equal(plan(), 0);
	assert_pending(0, "no eligible host (kvm2: libvirt not answering; kvm3: lost)");
}

static void no_eligible_host_reason_is_cut_with_dots(void **state)
{
	(void)state;
	for (uint32_t id = 1; id <= 20; id++)
		not_eligible(add_host(id, 65536, 64), "not joined to the storage lockspace");
	add_vm("a", 0, 1024, 1);
	assert_int_equal(plan(), 0);
	assert_int_equal(out[0].verdict, PLAN_PENDING);
	assert_true(strncmp(out[0].reason, "no eligible host (kvm1: not joined", 34) == 0);
	assert_non_null(strstr(out[0].reason, "; ...)"));
	assert_true(strlen(out[0].reason) < sizeof(out[0].reason));
}

/* --- rule 2: avoid lists and excluded hosts are hard ---------------------- */

static void avoid_is_hard(void **state)
{
	struct place_vm *v;
	(void)state;
	add_host(1, 65536, 64); /* the most memory... */
	add_host(2, 4096, 8);
	v = add_vm("a", 0, 1024, 1);
	avoid(v, "kvm1");  /* ...but avoided */
	prefer(v, "kvm1"); /* even when also preferred */
	assert_int_equal(plan(), 1);
	assert_start(0, 2);
}

static void avoid_every_host(void **state)
{
	struct place_vm *v;
	(void)state;
	add_host(1, 65536, 64);
	add_host(2, 65536, 64);
	not_eligible(add_host(3, 65536, 64), "lost");
	v = add_vm("a", 0, 1024, 1);
	avoid(v, "kvm1");
	avoid(v, "kvm2");
	avoid(v, "kvm-gone"); /* a name no host has is no constraint */
	assert_int_equal(plan(), 0);
	assert_pending(0, "every eligible host is in its avoid list");
}

static void exclude_is_hard(void **state)
{
	struct place_vm *v;
	(void)state;
	add_host(1, 65536, 64);
	add_host(2, 4096, 8);
	add_host(3, 2048, 8);
	v = add_vm("a", 0, 1024, 1);
	v->exclude[0] = 1; /* just failed to start there */
	assert_int_equal(plan(), 1);
	assert_start(0, 2);

	v->exclude[1] = 2;
	v->exclude[2] = 3;
	assert_int_equal(plan(), 0);
	assert_pending(0, "every eligible host is excluded for now (kvm1, kvm2, kvm3)");

	v->exclude[2] = 0; /* 0 ends the list: 3 is allowed again */
	v->exclude[3] = 3;
	assert_int_equal(plan(), 1);
	assert_start(0, 3);

	avoid(v, "kvm3");
	assert_int_equal(plan(), 0);
	assert_pending(0, "every eligible host is in its avoid list or excluded for now "
			  "(kvm1, kvm2)");
}

/* --- rule 3: capacity ----------------------------------------------------- */

static void memory_is_hard(void **state)
{
	(void)state;
	add_host(1, 1024, 64);
	add_host(2, 2048, 64);
	avoid(add_vm("big", 0, 4096, 1), "kvm3");
	add_host(3, 8192, 64); /* more, but avoided: not the "most" shown */
	assert_int_equal(plan(), 0);
	assert_pending(0, "no host has 4096 MiB free (most: kvm2 2048 MiB)");
}

static void planned_memory_counts(void **state)
{
	(void)state;
	add_host(1, 5000, 64);
	add_host(2, 4000, 64);
	add_vm("a", 0, 3000, 1);
	add_vm("b", 0, 3000, 1);
	add_vm("c", 0, 3000, 1);
	assert_int_equal(plan(), 2);
	assert_start(0, 1);
	assert_start(1, 2);
	assert_pending(2, "no host has 3000 MiB free (most: kvm1 2000 MiB)");
}

static void running_vms_are_already_out(void **state)
{
	(void)state;
	/* The caller has taken the running VM out of mem_free and
	 * vcpus_used: the planner must not take it again. */
	struct place_host *h = add_host(1, 1024, 1);
	h->vcpus_used = 3;
	h->n_vms = 1;
	runs_on(add_vm("big", 0, 60000, 3), 1);
	add_vm("small", 0, 1024, 1);
	assert_int_equal(plan(), 1);
	assert_start(1, 1);
}

static void vcpus_are_hard(void **state)
{
	struct place_host *h;
	(void)state;
	h = add_host(1, 65536, 2); /* 8 vCPUs at the default ratio */
	h->vcpus_used = 6;
	add_vm("a", 0, 1024, 4);
	assert_int_equal(plan(), 0);
	assert_pending(0, "no host has room for 4 vCPUs (most: kvm1 2 of 8)");
	/* A ratio of 5 makes it 10: room for 4 more. */
	assert_int_equal(plan_with(0, 5, 0), 1);
	assert_start(0, 1);
	/* Ratio 1: already over (6 of 2); shown as none left. */
	assert_int_equal(plan_with(0, 1, 0), 0);
	assert_pending(0, "no host has room for 4 vCPUs (most: kvm1 0 of 2)");
}

static void planned_vcpus_count(void **state)
{
	(void)state;
	add_host(1, 65536, 1); /* 4 vCPUs */
	add_vm("a", 0, 1024, 2);
	add_vm("b", 0, 1024, 2);
	add_vm("c", 0, 1024, 1);
	assert_int_equal(plan(), 2);
	assert_start(0, 1);
	assert_start(1, 1);
	assert_pending(2, "no host has room for 1 vCPUs (most: kvm1 0 of 4)");
}

static void memory_here_vcpus_there(void **state)
{
	(void)state;
	add_host(1, 8192, 1)->vcpus_used = 4; /* memory, no vCPUs */
	add_host(2, 1024, 64);                /* vCPUs, no memory */
	add_vm("a", 0, 4096, 2);
	assert_int_equal(plan(), 0);
	assert_pending(0, "no host has both 4096 MiB and room for 2 vCPUs free");
}

/* --- rule 4: anti-affinity ------------------------------------------------- */

static void anti_affinity_beats_preference_and_memory(void **state)
{
	struct place_vm *v;
	(void)state;
	add_host(1, 65536, 64);
	add_host(2, 8192, 64);
	group(add_vm("web1", 0, 1024, 1), "web");
	runs_on(&vms[0], 1);
	v = add_vm("web2", 0, 1024, 1);
	group(v, "web");
	prefer(v, "kvm1");
	assert_int_equal(plan(), 1);
	assert_start(1, 2);
	assert_string_equal(out[1].reason, "anti-affinity group web, then most free memory "
					   "(8192 MiB)");
}

static void anti_affinity_counts_planned_members(void **state)
{
	(void)state;
	add_host(1, 65536, 64);
	add_host(2, 32768, 64);
	add_host(3, 16384, 64);
	group(add_vm("web1", 0, 1024, 1), "web");
	group(add_vm("web2", 0, 1024, 1), "web");
	group(add_vm("web3", 0, 1024, 1), "web");
	add_vm("zdb", 0, 1024, 1); /* no group: spread by memory */
	assert_int_equal(plan(), 4);
	assert_start(0, 1);
	assert_string_equal(out[0].reason, "most free memory (65536 MiB)");
	assert_start(1, 2);
	assert_string_equal(out[1].reason, "anti-affinity group web, then most free memory "
					   "(32768 MiB)");
	assert_start(2, 3);
	assert_start(3, 1);
}

static void anti_affinity_shares_when_unavoidable(void **state)
{
	(void)state;
	add_host(1, 65536, 64);
	add_host(2, 65536, 64);
	group(add_vm("web1", 0, 1024, 1), "web");
	group(add_vm("web2", 0, 1024, 1), "web");
	group(add_vm("web3", 0, 1024, 1), "web");
	group(add_vm("web4", 0, 1024, 1), "web");
	group(add_vm("web5", 0, 1024, 1), "web");
	/* Shares a host rather than staying pending, and spreads the group
	 * evenly while it shares. */
	assert_int_equal(plan(), 5);
	assert_start(0, 1);
	assert_start(1, 2);
	assert_start(2, 1);
	assert_start(3, 2);
	assert_start(4, 1);
	assert_string_equal(out[2].reason, "most free memory (64512 MiB); shares anti-affinity "
					   "group web (no host without it fits)");
}

static void anti_affinity_yields_to_capacity_and_avoid(void **state)
{
	struct place_vm *v;
	(void)state;
	add_host(1, 65536, 64);
	add_host(2, 65536, 64);
	add_host(3, 1024, 64);
	group(add_vm("web1", 0, 1024, 1), "web");
	runs_on(&vms[0], 1);
	v = add_vm("web2", 0, 2048, 1); /* kvm3 is free of web but too small */
	group(v, "web");
	avoid(v, "kvm2"); /* kvm2 is free of web but avoided */
	assert_int_equal(plan(), 1);
	assert_start(1, 1);
	assert_non_null(strstr(out[1].reason, "shares anti-affinity group web"));
}

static void groups_are_separate(void **state)
{
	(void)state;
	add_host(1, 65536, 64);
	add_host(2, 32768, 64);
	group(add_vm("web1", 0, 1024, 1), "web");
	runs_on(&vms[0], 1);
	group(add_vm("db1", 0, 1024, 1), "db");
	assert_int_equal(plan(), 1);
	assert_start(1, 1); /* another group's member does not repel it */
	assert_string_equal(out[1].reason, "most free memory (65536 MiB)");
}

static void stopped_state_member_still_counts_where_it_runs(void **state)
{
	struct place_vm *v;
	(void)state;
	add_host(1, 65536, 64);
	add_host(2, 32768, 64);
	v = add_vm("web1", 0, 1024, 1);
	group(v, "web");
	runs_on(v, 1);
	spec_of(v)->stopped = true; /* about to be stopped, still running */
	group(add_vm("web2", 0, 1024, 1), "web");
	assert_int_equal(plan(), 1);
	assert_int_equal(out[0].verdict, PLAN_STOP);
	assert_start(1, 2);
}

/* --- rule 5: preference ----------------------------------------------------- */

static void first_preferred_host_that_fits(void **state)
{
	struct place_vm *v;
	(void)state;
	add_host(1, 65536, 64);
	add_host(2, 4096, 64);
	add_host(3, 1024, 64);
	v = add_vm("a", 0, 2048, 1);
	prefer(v, "nosuch"); /* unknown names are skipped */
	prefer(v, "kvm3");   /* too small */
	prefer(v, "kvm2");
	prefer(v, "kvm1");
	assert_int_equal(plan(), 1);
	assert_start(0, 2);
	assert_string_equal(out[0].reason, "preferred host");
}

static void preference_when_nothing_preferred_fits(void **state)
{
	struct place_vm *v;
	(void)state;
	add_host(1, 65536, 64);
	not_eligible(add_host(2, 65536, 64), "lost");
	v = add_vm("a", 0, 2048, 1);
	prefer(v, "kvm2");
	assert_int_equal(plan(), 1);
	assert_start(0, 1);
	assert_string_equal(out[0].reason, "most free memory (65536 MiB); no preferred host "
					   "available");
}

/* --- rule 6: spread ------------------------------------------------------ */

static void spread_by_free_memory_after_planned(void **state)
{
	(void)state;
	add_host(1, 10000, 64);
	add_host(2, 8000, 64);
	add_vm("a", 0, 3000, 1);
	add_vm("b", 0, 3000, 1);
	add_vm("c", 0, 3000, 1);
	assert_int_equal(plan(), 3);
	assert_start(0, 1); /* 10000 > 8000 */
	assert_start(1, 2); /* 7000 < 8000 */
	assert_start(2, 1); /* 7000 > 5000 */
	assert_string_equal(out[2].reason, "most free memory (7000 MiB)");
}

static void spread_ties_fewest_vms_then_lowest_id(void **state)
{
	(void)state;
	add_host(3, 8192, 64);
	add_host(2, 8192, 64)->n_vms = 5;
	add_host(1, 8192, 64)->n_vms = 5;
	add_vm("a", 0, 1024, 1);
	assert_int_equal(plan(), 1);
	assert_start(0, 3); /* fewest VMs */
	hosts[0].n_vms = 5;
	assert_int_equal(plan(), 1);
	assert_start(0, 1); /* lowest node id, whatever the input order */
}

static void spread_counts_planned_vms_in_ties(void **state)
{
	(void)state;
	add_host(1, 8192, 64);
	add_host(2, 7168, 64);
	add_vm("a", 0, 1024, 1); /* kvm1: 8192 -> 7168, one VM */
	add_vm("b", 0, 1024, 1); /* tie at 7168: kvm2 has fewer VMs */
	assert_int_equal(plan(), 2);
	assert_start(0, 1);
	assert_start(1, 2);
}

/* --- order, start slots --------------------------------------------------- */

static void priority_gets_short_capacity(void **state)
{
	(void)state;
	add_host(1, 4096, 64);
	add_vm("a-low", 0, 4096, 1);
	add_vm("b-high", 10, 4096, 1);
	add_vm("c-neg", -5, 1024, 1);
	assert_int_equal(plan(), 1);
	assert_pending(0, "no host has 4096 MiB free (most: kvm1 0 MiB)");
	assert_start(1, 1);
	assert_pending(2, "no host has 1024 MiB free (most: kvm1 0 MiB)");
}

static void equal_priority_by_name(void **state)
{
	(void)state;
	add_host(1, 4096, 64);
	add_vm("beta", 5, 4096, 1);
	add_vm("alpha", 5, 4096, 1);
	assert_int_equal(plan(), 1);
	assert_start(1, 1);
	assert_int_equal(out[0].verdict, PLAN_PENDING);
}

static void small_lower_priority_vm_takes_what_is_left(void **state)
{
	(void)state;
	add_host(1, 4096, 64);
	add_vm("big", 10, 8192, 1);
	add_vm("small", 0, 2048, 1);
	assert_int_equal(plan(), 1);
	assert_int_equal(out[0].verdict, PLAN_PENDING);
	assert_start(1, 1);
}

static void max_starts_caps_starts_by_priority(void **state)
{
	char name[16];
	(void)state;
	add_host(1, 65536, 64);
	for (int i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "vm%d", i);
		add_vm(name, i, 1024, 1);
	}
	assert_int_equal(plan_with(2, 0, 0), 2);
	assert_start(4, 1);
	assert_start(3, 1);
	for (int i = 0; i < 3; i++)
		assert_pending(i, "waiting for a start slot");
	/* One start already out: one more now. */
	assert_int_equal(plan_with(2, 0, 1), 1);
	assert_start(4, 1);
	assert_pending(3, "waiting for a start slot");
	/* As many out as allowed (or more): none. */
	assert_int_equal(plan_with(2, 0, 2), 0);
	assert_pending(4, "waiting for a start slot");
	assert_int_equal(plan_with(2, 0, 7), 0);
	/* 0: no limit. */
	assert_int_equal(plan_with(0, 0, 7), 5);
}

static void no_slot_and_no_room_says_no_room(void **state)
{
	(void)state;
	add_host(1, 4096, 64);
	add_vm("a", 10, 1024, 1);
	add_vm("b", 5, 8192, 1);
	add_vm("c", 0, 1024, 1);
	assert_int_equal(plan_with(1, 0, 0), 1);
	assert_start(0, 1);
	assert_pending(1, "no host has 8192 MiB free (most: kvm1 3072 MiB)");
	assert_pending(2, "waiting for a start slot");
}

static void unplaceable_vm_takes_no_slot(void **state)
{
	(void)state;
	add_host(1, 4096, 64);
	add_vm("a", 10, 8192, 1); /* first in order, fits nowhere */
	add_vm("b", 0, 1024, 1);
	assert_int_equal(plan_with(1, 0, 0), 1);
	assert_int_equal(out[0].verdict, PLAN_PENDING);
	assert_start(1, 1);
}

static void null_params_are_defaults(void **state)
{
	(void)state;
	add_host(1, 65536, 1);
	add_vm("a", 0, 1024, 4);
	add_vm("b", 0, 1024, 1);
	assert_int_equal(place_plan(hosts, n_hosts, vms, n_specs, NULL, out), 1);
	assert_start(0, 1);
}

/* --- N+1 ------------------------------------------------------------------ */

static size_t n1(uint32_t *worst, char *names, size_t cap)
{
	struct place_params p = { .max_starts = 1, .starts_in_flight = 1 }; /* ignored */
	return place_check_n1(hosts, n_hosts, vms, n_specs, &p, worst, names, cap);
}

static void n1_cluster_that_survives(void **state)
{
	char names[256];
	uint32_t worst = 99;
	char name[16];
	(void)state;
	/* Three hosts, two VMs of 4 GiB on each, 8 GiB free each: whichever
	 * fails, its two VMs fit on the two others. */
	for (uint32_t id = 1; id <= 3; id++) {
		struct place_host *h = add_host(id, 8192, 16);
		h->n_vms = 2;
		h->vcpus_used = 4;
		for (int k = 0; k < 2; k++) {
			snprintf(name, sizeof(name), "vm%u-%d", id, k);
			runs_on(add_vm(name, 0, 4096, 2), id);
		}
	}
	not_eligible(add_host(4, 0, 16), "in maintenance"); /* never "fails" */
	assert_int_equal(n1(&worst, names, sizeof(names)), 0);
	assert_int_equal(worst, 0);
	assert_string_equal(names, "");
}

static void n1_cluster_that_does_not_survive(void **state)
{
	char names[256];
	uint32_t worst = 0;
	struct place_vm *v;
	(void)state;
	add_host(1, 2048, 64)->n_vms = 3;
	add_host(2, 8192, 64)->n_vms = 1;
	add_host(3, 4096, 64)->n_vms = 1;
	runs_on(add_vm("a", 0, 4096, 1), 1);
	runs_on(add_vm("b", 0, 4096, 1), 1);
	runs_on(add_vm("c", 0, 4096, 1), 1);
	runs_on(add_vm("d", 0, 8192, 1), 2);
	runs_on(add_vm("e", 0, 2048, 1), 3);
	v = add_vm("f", 0, 1024, 1); /* blocked: not about a place, not counted */
	v->where = PLACE_BLOCKED;
	/* kvm1 fails: a, b, c (12 GiB) into 8 + 4 GiB: all fit. kvm2 fails:
	 * d (8 GiB) fits nowhere: 1. kvm3 fails: e fits on kvm2. */
	assert_int_equal(n1(&worst, names, sizeof(names)), 1);
	assert_int_equal(worst, 2);
	assert_string_equal(names, "d");

	/* Take 6 GiB from kvm2: kvm1's failure now strands two of its VMs
	 * (a goes to kvm3, b and c nowhere). */
	hosts[1].mem_free_mib = 2048;
	assert_int_equal(n1(&worst, names, sizeof(names)), 2);
	assert_int_equal(worst, 1);
	assert_string_equal(names, "b, c");
	/* Cut to fit, with dots. */
	assert_int_equal(n1(&worst, names, 5), 2);
	assert_string_equal(names, "b, c");
	assert_int_equal(n1(&worst, names, 4), 2);
	assert_string_equal(names, "...");
	assert_int_equal(n1(&worst, names, 0), 2);
}

static void n1_names_are_cut_with_dots(void **state)
{
	char names[20];
	char name[16];
	uint32_t worst = 0;
	(void)state;
	add_host(1, 0, 64)->n_vms = 10;
	add_host(2, 0, 64);
	for (int i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "vm%02d", i);
		runs_on(add_vm(name, 0, 1024, 1), 1);
	}
	assert_int_equal(n1(&worst, names, sizeof(names)), 10);
	assert_int_equal(worst, 1);
	assert_string_equal(names, "vm00, vm01, ...");
}

static void n1_counts_what_has_no_place_already(void **state)
{
	char names[64];
	uint32_t worst = 0;
	struct place_vm *v;
	(void)state;
	add_host(1, 65536, 64);
	add_host(2, 65536, 64);
	add_vm("huge", 0, 100000, 1);        /* fits nowhere, failure or not */
	v = add_vm("resting", 0, 100000, 1); /* stopped: wants no place */
	spec_of(v)->stopped = true;
	v = add_vm("offwhenrunning", 0, 100000, 1);
	spec_of(v)->stopped = true;
	runs_on(v, 1);
	assert_int_equal(n1(&worst, names, sizeof(names)), 1);
	assert_int_equal(worst, 1); /* a tie: the lowest node id */
	assert_string_equal(names, "huge");
}

static void n1_without_eligible_hosts(void **state)
{
	char names[64];
	uint32_t worst = 5;
	(void)state;
	not_eligible(add_host(1, 65536, 64), "lost");
	add_vm("a", 0, 1024, 1);
	assert_int_equal(n1(&worst, names, sizeof(names)), 0);
	assert_int_equal(worst, 0);
}

/* --- out of memory ----------------------------------------------------- */

/* Failure injection: the planner allocates with calloc only; this one
 * fails the Nth call from now (glibc's own does the work). */
extern void *__libc_calloc(size_t n, size_t size);
static int calloc_fails_in = -1; /* -1: never */

void *calloc(size_t n, size_t size)
{
	if (calloc_fails_in == 0) {
		calloc_fails_in = -1;
		return NULL;
	}
	if (calloc_fails_in > 0)
		calloc_fails_in--;
	return __libc_calloc(n, size);
}

static void out_of_memory_starts_nothing_and_says_so(void **state)
{
	struct place_vm *v;
	size_t starts;
	int k;
	(void)state;
	add_host(1, 65536, 64);
	group(add_vm("a", 0, 1024, 1), "web");
	runs_on(add_vm("b", 0, 1024, 1), 1);
	v = add_vm("c", 0, 1024, 1);
	v->where = PLACE_BLOCKED;
	snprintf(v->blocked, sizeof(v->blocked), "in back-off");
	spec_of(add_vm("d", 0, 1024, 1))->stopped = true;
	/* Each allocation in turn fails, until the plan needs no more. */
	for (k = 0;; k++) {
		calloc_fails_in = k;
		starts = plan();
		if (calloc_fails_in == -1) { /* one failed */
			assert_int_equal(starts, 0);
			assert_pending(0, "planner out of memory");
		} else {
			calloc_fails_in = -1;
			assert_int_equal(starts, 1);
			assert_start(0, 1);
			break;
		}
		assert_int_equal(out[1].verdict, PLAN_KEEP);
		assert_int_equal(out[1].host, 1);
		assert_pending(2, "in back-off");
		assert_int_equal(out[3].verdict, PLAN_KEEP);
	}
	assert_true(k >= 10); /* it did fail some */
}

static void out_of_memory_n1_claims_no_safety(void **state)
{
	char names[64];
	uint32_t worst = 7;
	size_t n;
	int k;
	(void)state;
	add_host(1, 65536, 64);
	add_host(2, 65536, 64);
	runs_on(add_vm("a", 0, 1024, 1), 1);
	runs_on(add_vm("b", 0, 1024, 1), 2);
	spec_of(add_vm("c", 0, 1024, 1))->stopped = true;
	for (k = 0;; k++) {
		calloc_fails_in = k;
		n = place_check_n1(hosts, n_hosts, vms, n_specs, NULL, &worst, names,
				   sizeof(names));
		if (calloc_fails_in != -1) {
			calloc_fails_in = -1;
			break;
		}
		assert_int_equal(n, 2);
		assert_int_equal(worst, 0);
		assert_string_equal(names, "planner out of memory");
	}
	assert_int_equal(n, 0);
	assert_true(k >= 10);
}

/* --- randomised invariants ---------------------------------------------- */

static uint64_t rng_state;

static uint32_t rnd(uint32_t n)
{
	/* xorshift64*: fixed seeds, so a failure reproduces. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 2685821657736338717ULL) >> 33) % n;
}

static bool named(const char list[][VMCFG_NAME_MAX + 1], size_t n, const char *name)
{
	for (size_t k = 0; k < n; k++)
		if (strcmp(list[k], name) == 0)
			return true;
	return false;
}

static size_t host_index(uint32_t nodeid)
{
	for (size_t h = 0; h < n_hosts; h++)
		if (hosts[h].nodeid == nodeid)
			return h;
	return SIZE_MAX;
}

/* May VM I go to host H at all (not counting capacity)? */
static bool allowed(size_t i, size_t h)
{
	const struct place_vm *v = &vms[i];

	if (!hosts[h].eligible || named(v->spec->avoid, v->spec->n_avoid, hosts[h].name))
		return false;
	for (size_t e = 0; e < 4 && v->exclude[e] != 0; e++)
		if (v->exclude[e] == hosts[h].nodeid)
			return false;
	return true;
}

/* Does VM I come before VM J in the planner's order? */
static bool before(size_t i, size_t j)
{
	if (vms[i].spec->priority != vms[j].spec->priority)
		return vms[i].spec->priority > vms[j].spec->priority;
	return strcmp(vms[i].spec->name, vms[j].spec->name) < 0;
}

/* The host VM J is on when VM UPTO is placed (SIZE_MAX: once the plan is
 * carried out): where it runs, or where it starts if that comes first. */
static uint32_t occupies(size_t j, size_t upto)
{
	if (vms[j].where == PLACE_RUNNING)
		return vms[j].host;
	if (out[j].verdict == PLAN_START && (upto == SIZE_MAX || before(j, upto)))
		return out[j].host;
	return 0;
}

static void random_cluster(size_t n_vm)
{
	static const uint32_t sizes[] = { 512, 1024, 2048, 4096, 8192, 16384 };
	char name[32];

	reset(NULL);
	for (uint32_t id = 1; id <= MAX_HOSTS; id++) {
		struct place_host *h = add_host(id, 16384 + rnd(8) * 16384, 16 + rnd(4) * 16);
		if (rnd(10) == 0)
			not_eligible(h, "lost");
	}
	for (size_t i = 0; i < n_vm; i++) {
		struct place_vm *v;
		snprintf(name, sizeof(name), "vm%zu-%u", i, rnd(1000));
		v = add_vm(name, (int32_t)rnd(5) * 10 - 20, sizes[rnd(6)], 1 + rnd(8));
		if (rnd(3) == 0) {
			snprintf(name, sizeof(name), "g%u", rnd(20));
			group(v, name);
		}
		for (uint32_t k = rnd(3); k > 0; k--) {
			snprintf(name, sizeof(name), "kvm%u", 1 + rnd(MAX_HOSTS));
			prefer(v, name);
		}
		for (uint32_t k = rnd(3); k > 0; k--) {
			snprintf(name, sizeof(name), "kvm%u", 1 + rnd(MAX_HOSTS));
			avoid(v, name);
		}
		if (rnd(10) == 0)
			v->exclude[0] = 1 + rnd(MAX_HOSTS);
		switch (rnd(10)) {
		case 0: spec_of(v)->stopped = true; break;
		case 1: v->where = PLACE_BLOCKED; break;
		case 2:
		case 3: {
			/* Running: the caller has taken it out of its host. */
			struct place_host *h = &hosts[rnd(MAX_HOSTS)];
			if (h->mem_free_mib >= v->spec->memory_mib) {
				h->mem_free_mib -= v->spec->memory_mib;
				h->vcpus_used += v->spec->vcpus;
				h->n_vms++;
				runs_on(v, h->nodeid);
			}
			break;
		}
		default: break;
		}
	}
}

static void check_invariants(size_t starts, uint32_t max_starts)
{
	uint64_t mem[MAX_HOSTS] = { 0 }, cpu[MAX_HOSTS] = { 0 };
	size_t n_start = 0;

	for (size_t i = 0; i < n_specs; i++) {
		const struct place_vm *v = &vms[i];
		size_t h;

		assert_true(out[i].verdict <= PLAN_STOP);
		assert_true(strlen(out[i].reason) < sizeof(out[i].reason));
		if (v->spec->stopped)
			assert_int_equal(out[i].verdict,
					 v->where == PLACE_RUNNING ? PLAN_STOP : PLAN_KEEP);
		else if (v->where == PLACE_RUNNING)
			assert_int_equal(out[i].verdict, PLAN_KEEP);
		else if (v->where == PLACE_BLOCKED)
			assert_int_equal(out[i].verdict, PLAN_PENDING);
		else
			assert_true(out[i].verdict == PLAN_START || out[i].verdict == PLAN_PENDING);
		if (out[i].verdict != PLAN_START)
			continue;
		n_start++;
		h = host_index(out[i].host);
		assert_true(h != SIZE_MAX);
		assert_true(allowed(i, h)); /* eligible, not avoided, not excluded */
		mem[h] += v->spec->memory_mib;
		cpu[h] += v->spec->vcpus;
	}
	assert_int_equal(n_start, starts);
	if (max_starts != 0)
		assert_true(n_start <= max_starts);
	for (size_t h = 0; h < n_hosts; h++) {
		assert_true(mem[h] <= hosts[h].mem_free_mib);
		if (mem[h] > 0)
			assert_true(hosts[h].vcpus_used + cpu[h] <= (uint64_t)hosts[h].cpus * 4);
	}
	for (size_t a = 0; a < n_specs; a++) {
		const struct vm_spec *sa = vms[a].spec;

		if (out[a].verdict != PLAN_PENDING || vms[a].where != PLACE_DOWN)
			continue;
		if (strcmp(out[a].reason, "waiting for a start slot") == 0) {
			/* No VM after it in the order got a slot. */
			for (size_t b = 0; b < n_specs; b++)
				if (out[b].verdict == PLAN_START)
					assert_true(before(b, a));
			continue;
		}
		/* Pending for want of room: no host it may use has room even
		 * now that the plan is done (room only shrinks as it goes),
		 * and so no VM after it of its size or bigger started on one
		 * it could have used. */
		for (size_t h = 0; h < n_hosts; h++) {
			uint64_t mem_left = hosts[h].mem_free_mib - mem[h];
			int64_t cpu_left = (int64_t)hosts[h].cpus * 4 -
					   (int64_t)(hosts[h].vcpus_used + cpu[h]);
			if (allowed(a, h))
				assert_false(sa->memory_mib <= mem_left &&
					     (int64_t)sa->vcpus <= cpu_left);
		}
		for (size_t b = 0; b < n_specs; b++) {
			const struct vm_spec *sb = vms[b].spec;
			if (out[b].verdict != PLAN_START || !before(a, b))
				continue;
			if (sb->memory_mib >= sa->memory_mib && sb->vcpus >= sa->vcpus)
				assert_false(allowed(a, host_index(out[b].host)));
		}
	}
	/* Anti-affinity: a started VM shares its group on a host only if no
	 * host it may use was free of the group with room for it (room only
	 * shrinks and groups only grow, so the end state proves it). */
	for (size_t i = 0; i < n_specs; i++) {
		const struct vm_spec *s = vms[i].spec;
		size_t hi;
		bool shares = false;

		if (out[i].verdict != PLAN_START || s->group[0] == '\0')
			continue;
		hi = host_index(out[i].host);
		/* Shared when it was placed: with a member running there, or
		 * one placed there before it. */
		for (size_t j = 0; j < n_specs; j++)
			if (j != i && occupies(j, i) == hosts[hi].nodeid &&
			    strcmp(vms[j].spec->group, s->group) == 0)
				shares = true;
		if (!shares)
			continue;
		for (size_t h = 0; h < n_hosts; h++) {
			bool free_of_group = true;
			uint64_t mem_left = hosts[h].mem_free_mib - mem[h];
			int64_t cpu_left = (int64_t)hosts[h].cpus * 4 -
					   (int64_t)(hosts[h].vcpus_used + cpu[h]);
			if (!allowed(i, h))
				continue;
			for (size_t j = 0; j < n_specs; j++)
				if (occupies(j, SIZE_MAX) == hosts[h].nodeid &&
				    strcmp(vms[j].spec->group, s->group) == 0)
					free_of_group = false;
			assert_false(free_of_group && s->memory_mib <= mem_left &&
				     (int64_t)s->vcpus <= cpu_left);
		}
	}
}

static void randomised_invariants(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 40; seed++) {
		uint32_t max_starts = seed % 4 == 0 ? 50 : 0;
		size_t starts;

		rng_state = seed * 0x9e3779b97f4a7c15ULL;
		random_cluster(200 + rnd(600));
		starts = plan_with(max_starts, 0, seed % 8 == 0 ? 10 : 0);
		check_invariants(starts, seed % 8 == 0 ? 40 : max_starts);
	}
}

/* The same cluster given in another order plans the same: a coordinator
 * that just took over (and lists things differently) decides alike. */
static void input_order_changes_nothing(void **state)
{
	static struct place_result first[MAX_VMS];
	static struct place_vm shuffled[MAX_VMS];
	static struct place_host hshuf[MAX_HOSTS];
	static size_t pos[MAX_VMS];
	(void)state;
	for (uint64_t seed = 100; seed < 110; seed++) {
		size_t starts;

		rng_state = seed;
		random_cluster(500);
		starts = plan();
		memcpy(first, out, sizeof(first));
		for (size_t i = 0; i < n_specs; i++)
			pos[i] = i;
		for (size_t i = n_specs; i > 1; i--) {
			size_t j = rnd((uint32_t)i), t = pos[i - 1];
			pos[i - 1] = pos[j];
			pos[j] = t;
		}
		for (size_t i = 0; i < n_specs; i++)
			shuffled[i] = vms[pos[i]];
		for (size_t h = 0; h < n_hosts; h++)
			hshuf[h] = hosts[n_hosts - 1 - h];
		assert_int_equal(place_plan(hshuf, n_hosts, shuffled, n_specs, NULL, out), starts);
		for (size_t i = 0; i < n_specs; i++) {
			assert_int_equal(out[i].verdict, first[pos[i]].verdict);
			assert_int_equal(out[i].host, first[pos[i]].host);
			assert_string_equal(out[i].reason, first[pos[i]].reason);
		}
	}
}

/* N+1 agrees with planning each failure by hand. */
static void n1_matches_plans_by_hand(void **state)
{
	static struct place_vm failed[MAX_VMS];
	static struct place_host fh[MAX_HOSTS];
	char names[4096];
	(void)state;
	for (uint64_t seed = 200; seed < 204; seed++) {
		size_t worst_n = 0, got;
		uint32_t worst = 0, worst_id = 0;

		rng_state = seed;
		random_cluster(300);
		got = place_check_n1(hosts, n_hosts, vms, n_specs, NULL, &worst, names,
				     sizeof(names));
		for (size_t f = 0; f < n_hosts; f++) {
			size_t pending = 0;
			if (!hosts[f].eligible)
				continue;
			memcpy(fh, hosts, sizeof(fh));
			fh[f].eligible = false;
			for (size_t i = 0; i < n_specs; i++) {
				failed[i] = vms[i];
				if (failed[i].where == PLACE_RUNNING &&
				    failed[i].host == hosts[f].nodeid)
					failed[i].where = PLACE_DOWN;
			}
			place_plan(fh, n_hosts, failed, n_specs, NULL, out);
			for (size_t i = 0; i < n_specs; i++)
				pending += out[i].verdict == PLAN_PENDING &&
					   failed[i].where == PLACE_DOWN;
			if (pending > worst_n ||
			    (pending == worst_n && pending > 0 && hosts[f].nodeid < worst_id)) {
				worst_n = pending;
				worst_id = hosts[f].nodeid;
			}
		}
		assert_int_equal(got, worst_n);
		assert_int_equal(worst, worst_id);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(verdict_names, reset),
		cmocka_unit_test_setup(running_stopped_and_blocked, reset),
		cmocka_unit_test_setup(running_on_unknown_host_is_kept, reset),
		cmocka_unit_test_setup(no_vms_no_hosts, reset),
		cmocka_unit_test_setup(ineligible_hosts_take_nothing, reset),
		cmocka_unit_test_setup(no_eligible_host_names_each_reason, reset),
		cmocka_unit_test_setup(no_eligible_host_reason_is_cut_with_dots, reset),
		cmocka_unit_test_setup(avoid_is_hard, reset),
		cmocka_unit_test_setup(avoid_every_host, reset),
		cmocka_unit_test_setup(exclude_is_hard, reset),
		cmocka_unit_test_setup(memory_is_hard, reset),
		cmocka_unit_test_setup(planned_memory_counts, reset),
		cmocka_unit_test_setup(running_vms_are_already_out, reset),
		cmocka_unit_test_setup(vcpus_are_hard, reset),
		cmocka_unit_test_setup(planned_vcpus_count, reset),
		cmocka_unit_test_setup(memory_here_vcpus_there, reset),
		cmocka_unit_test_setup(anti_affinity_beats_preference_and_memory, reset),
		cmocka_unit_test_setup(anti_affinity_counts_planned_members, reset),
		cmocka_unit_test_setup(anti_affinity_shares_when_unavoidable, reset),
		cmocka_unit_test_setup(anti_affinity_yields_to_capacity_and_avoid, reset),
		cmocka_unit_test_setup(groups_are_separate, reset),
		cmocka_unit_test_setup(stopped_state_member_still_counts_where_it_runs, reset),
		cmocka_unit_test_setup(first_preferred_host_that_fits, reset),
		cmocka_unit_test_setup(preference_when_nothing_preferred_fits, reset),
		cmocka_unit_test_setup(spread_by_free_memory_after_planned, reset),
		cmocka_unit_test_setup(spread_ties_fewest_vms_then_lowest_id, reset),
		cmocka_unit_test_setup(spread_counts_planned_vms_in_ties, reset),
		cmocka_unit_test_setup(priority_gets_short_capacity, reset),
		cmocka_unit_test_setup(equal_priority_by_name, reset),
		cmocka_unit_test_setup(small_lower_priority_vm_takes_what_is_left, reset),
		cmocka_unit_test_setup(max_starts_caps_starts_by_priority, reset),
		cmocka_unit_test_setup(no_slot_and_no_room_says_no_room, reset),
		cmocka_unit_test_setup(unplaceable_vm_takes_no_slot, reset),
		cmocka_unit_test_setup(null_params_are_defaults, reset),
		cmocka_unit_test_setup(n1_cluster_that_survives, reset),
		cmocka_unit_test_setup(n1_cluster_that_does_not_survive, reset),
		cmocka_unit_test_setup(n1_names_are_cut_with_dots, reset),
		cmocka_unit_test_setup(n1_counts_what_has_no_place_already, reset),
		cmocka_unit_test_setup(n1_without_eligible_hosts, reset),
		cmocka_unit_test_setup(out_of_memory_starts_nothing_and_says_so, reset),
		cmocka_unit_test_setup(out_of_memory_n1_claims_no_safety, reset),
		cmocka_unit_test(randomised_invariants),
		cmocka_unit_test(input_order_changes_nothing),
		cmocka_unit_test(n1_matches_plans_by_hand),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
