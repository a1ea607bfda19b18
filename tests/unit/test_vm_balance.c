/*
 * test_vm_balance.c: the CPU-load balancing planner, rule by rule from
 * hand-built clusters, then over randomised ones: every move checked
 * against a plain reimplementation of the rules (the same move, or the
 * same "none"), the input's order changes nothing, and a toy cluster that
 * applies each move and plans again settles without moving a VM back to a
 * host it left -- up to 32 hosts x 2000 VMs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka needs the headers above first */
#include <cmocka.h>

#include "vm_balance.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_VMS 2000
#define MAX_HOSTS 32

static struct vm_spec specs[MAX_VMS];
static struct bal_vm vms[MAX_VMS];
static struct bal_host hosts[MAX_HOSTS];
static size_t n_vms, n_hosts;
static struct bal_params prm;
static struct bal_move mv;
static char why[256];

static int reset(void **state)
{
	(void)state;
	memset(specs, 0, sizeof(specs));
	memset(vms, 0, sizeof(vms));
	memset(hosts, 0, sizeof(hosts));
	memset(&mv, 0xa5, sizeof(mv));
	memset(why, 'x', sizeof(why));
	n_vms = n_hosts = 0;
	prm = (struct bal_params){ .high_pct = 80, .min_gain_pct = 5 };
	return 0;
}

/* An eligible host kvmID with CPUS CPUs at PCT percent, 64 GiB free. */
static struct bal_host *add_host(uint32_t id, uint32_t cpus, uint32_t pct)
{
	struct bal_host *h = &hosts[n_hosts++];

	h->nodeid = id;
	snprintf(h->name, sizeof(h->name), "kvm%u", id);
	h->eligible = true;
	h->cpus = cpus;
	h->load_milli = pct * cpus * 10;
	h->mem_free_mib = 65536;
	return h;
}

static struct bal_host *add_hot(uint32_t id, uint32_t cpus, uint32_t pct)
{
	struct bal_host *h = add_host(id, cpus, pct);
	h->hot = true;
	return h;
}

/* A movable VM of 1 GiB and 1 vCPU on node HOST using LOAD milli-CPUs. */
static struct bal_vm *add_vm(const char *name, uint32_t host, uint32_t load)
{
	struct vm_spec *s = &specs[n_vms];
	struct bal_vm *v = &vms[n_vms++];

	snprintf(s->name, sizeof(s->name), "%s", name);
	s->memory_mib = 1024;
	s->vcpus = 1;
	v->spec = s;
	v->host = host;
	v->load_milli = load;
	v->movable = true;
	return v;
}

static struct vm_spec *spec_of(struct bal_vm *v)
{
	return (struct vm_spec *)v->spec;
}

static void prefer(struct bal_vm *v, const char *host)
{
	struct vm_spec *s = spec_of(v);
	snprintf(s->prefer[s->n_prefer++], sizeof(s->prefer[0]), "%s", host);
}

static void avoid(struct bal_vm *v, const char *host)
{
	struct vm_spec *s = spec_of(v);
	snprintf(s->avoid[s->n_avoid++], sizeof(s->avoid[0]), "%s", host);
}

static void group(struct bal_vm *v, const char *g)
{
	snprintf(spec_of(v)->group, sizeof(spec_of(v)->group), "%s", g);
}

static int plan(void)
{
	return balance_plan(hosts, n_hosts, vms, n_vms, &prm, &mv, why, sizeof(why));
}

#define assert_move(vm_index, from_id, to_id)                                                      \
	do {                                                                                       \
		assert_int_equal(plan(), 1);                                                       \
		assert_int_equal(mv.vm, vm_index);                                                 \
		assert_int_equal(mv.from, from_id);                                                \
		assert_int_equal(mv.to, to_id);                                                    \
	} while (0)

#define assert_none(text)                                                                          \
	do {                                                                                       \
		assert_int_equal(plan(), 0);                                                       \
		assert_string_equal(why, text);                                                    \
	} while (0)

/* --- load arithmetic -------------------------------------------------- */

static void above_is_strict_and_exact(void **state)
{
	struct bal_host *h;
	(void)state;
	h = add_host(1, 4, 80); /* 3200 of 4000: exactly 80% */
	assert_int_equal(balance_host_ppm(h), 800000);
	assert_false(balance_host_above(h, 80));
	h->load_milli++;
	assert_true(balance_host_above(h, 80));
	h = add_host(2, 3, 0);
	h->load_milli = 2401; /* 80.0333...% */
	assert_int_equal(balance_host_ppm(h), 800333);
	assert_true(balance_host_above(h, 80));
	h->cpus = 0;
	assert_false(balance_host_above(h, 0));
	assert_int_equal(balance_host_ppm(h), 0);
}

/* --- nothing to do ---------------------------------------------------- */

static void nothing_hot(void **state)
{
	(void)state;
	add_host(1, 4, 95); /* above, but not for the hold time yet */
	add_vm("a", 1, 1600);
	add_host(2, 4, 10);
	assert_none("no host above 80% for the hold time");
	reset(NULL);
	assert_none("no host above 80% for the hold time");
}

static void hot_in_maintenance_is_no_source(void **state)
{
	(void)state;
	add_hot(1, 4, 95)->in_maintenance = true;
	add_vm("a", 1, 1600);
	add_host(2, 4, 10);
	assert_none("no host above 80% for the hold time (one hot host in maintenance)");
	add_hot(3, 4, 95)->in_maintenance = true;
	assert_none("no host above 80% for the hold time (hot hosts in maintenance only)");
	add_hot(4, 0, 0); /* no CPUs: no source either */
	assert_none("no host above 80% for the hold time (hot hosts in maintenance only)");
}

static void empty_hot_host(void **state)
{
	(void)state;
	add_hot(1, 4, 95);
	add_host(2, 4, 10);
	assert_none("no VM runs on kvm1");
}

static void idle_and_busy_vms_stay(void **state)
{
	(void)state;
	add_hot(1, 4, 95);
	add_host(2, 4, 10);
	add_vm("idle", 1, 0);
	add_vm("busy", 1, 1600)->movable = false;
	add_vm("idle2", 1, 0);
	assert_none("no VM of kvm1 can move now (1 busy or cooling down, 2 idle)");
	vms[1].movable = true;
	assert_move(1, 1, 2);
}

/* --- the move --------------------------------------------------------- */

static void one_hot_host_best_move(void **state)
{
	(void)state;
	add_hot(1, 4, 95);
	add_host(2, 4, 20);
	add_host(3, 4, 50);
	add_vm("a", 1, 1600); /* 40% of kvm1 */
	add_vm("b", 1, 800);
	add_vm("c", 1, 400);
	add_vm("d", 1, 1000);
	add_vm("elsewhere", 2, 800);
	/* a to kvm2 leaves 55% and 60%: no other pair does better (a to
	 * kvm3 would be 90%, d to kvm2 leaves kvm1 at 70%). */
	assert_move(0, 1, 2);
	assert_int_equal(mv.from_pct, 95);
	assert_int_equal(mv.from_pct_after, 55);
	assert_int_equal(mv.to_pct, 20);
	assert_int_equal(mv.to_pct_after, 60);
	assert_string_equal(mv.reason, "kvm1 at 95% for the hold time: a (40% of it) to kvm2 "
				       "(20% -> 60%), kvm1 to 55%");
}

static void most_relief_not_biggest_vm(void **state)
{
	(void)state;
	add_hot(1, 4, 95);
	add_host(2, 4, 0);
	add_vm("big", 1, 2800);   /* leaves 25% and 70%: max 70 */
	add_vm("small", 1, 1200); /* leaves 65% and 30%: max 65 */
	assert_move(1, 1, 2);
}

static void different_cpu_counts(void **state)
{
	(void)state;
	add_hot(1, 2, 95);   /* 1900 of 2000 */
	add_host(2, 16, 20); /* 3200 of 16000 */
	add_vm("a", 1, 800);
	assert_move(0, 1, 2);
	assert_int_equal(mv.from_pct_after, 55);
	assert_int_equal(mv.to_pct_after, 25); /* 4000 of 16000 */
	assert_string_equal(mv.reason, "kvm1 at 95% for the hold time: a (40% of it) to kvm2 "
				       "(20% -> 25%), kvm1 to 55%");
}

static void vm_claiming_more_than_its_host(void **state)
{
	(void)state;
	add_hot(1, 4, 85);
	add_host(2, 8, 10);
	add_vm("a", 1, 5000); /* smoothed apart: more than kvm1 shows */
	assert_move(0, 1, 2);
	assert_int_equal(mv.from_pct_after, 0);
	assert_int_equal(mv.to_pct_after, 72); /* 800 + 5000 of 8000 */
}

static void null_params_are_defaults(void **state)
{
	(void)state;
	add_hot(1, 4, 84);
	add_host(2, 4, 20);
	add_vm("a", 1, 160); /* 4 points: under the default 5 */
	assert_int_equal(balance_plan(hosts, n_hosts, vms, n_vms, NULL, &mv, why, sizeof(why)), 0);
	assert_string_equal(why, "no move gains 5 points on kvm1 (84%): best a to kvm2 leaves 80%");
	add_vm("b", 1, 400);
	assert_int_equal(balance_plan(hosts, n_hosts, vms, n_vms, NULL, &mv, why, sizeof(why)), 1);
	assert_int_equal(mv.vm, 1);
}

/* --- threshold and gain ----------------------------------------------- */

static void target_would_reach_threshold(void **state)
{
	(void)state;
	add_hot(1, 4, 95);
	add_host(2, 4, 60);
	add_host(3, 4, 40);
	add_vm("a", 1, 1600);
	/* kvm3 would end at exactly 80%: not below it. */
	assert_none("no host stays below 80% with a VM of kvm1 (closest: a to kvm3 at 80%)");
	hosts[2].load_milli--;
	assert_move(0, 1, 3);
	assert_int_equal(mv.to_pct_after, 79);
}

static void gain_too_small(void **state)
{
	(void)state;
	add_hot(1, 4, 84);
	add_host(2, 4, 20);
	add_vm("a", 1, 160); /* 84% -> 80%: 4 points */
	assert_none("no move gains 5 points on kvm1 (84%): best a to kvm2 leaves 80%");
	prm.min_gain_pct = 1;
	hosts[0].load_milli = 3202; /* 80.05% -> 79.95%: a tenth of a point */
	spec_of(&vms[0])->name[0] = 'b';
	vms[0].load_milli = 4;
	/* The words show floors (80 -> 79); the comparison is exact. */
	assert_none("no move gains 1 point on kvm1 (80%): best b to kvm2 leaves 79%");
	reset(NULL);
	add_hot(1, 4, 84);
	add_host(2, 4, 20);
	add_vm("a", 1, 160);
	prm.min_gain_pct = 4; /* exactly the gain: enough */
	assert_move(0, 1, 2);
}

static void gain_counts_the_target_too(void **state)
{
	(void)state;
	add_hot(1, 4, 90);
	add_host(2, 4, 60);
	add_vm("a", 1, 600); /* kvm1 to 75%, but kvm2 to 75%... */
	add_vm("b", 1, 700); /* kvm1 to 72.5%, kvm2 to 77.5% */
	prm.min_gain_pct = 16;
	/* max(75, 75) = 75 leaves 15 points, max(72, 77) 12: neither. */
	assert_none("no move gains 16 points on kvm1 (90%): best a to kvm2 leaves 75%");
	prm.min_gain_pct = 15;
	assert_move(0, 1, 2);
}

static void no_gain_at_all_even_with_zero_min(void **state)
{
	(void)state;
	/* The caller still says hot, but the figure has fallen to 50%:
	 * moving a would make kvm2 hotter than kvm1 was. */
	add_hot(1, 4, 50);
	add_host(2, 4, 40);
	add_vm("a", 1, 1200);
	prm.min_gain_pct = 0;
	assert_none("no move gains 0 points on kvm1 (50%): best a to kvm2 leaves 70%");
	hosts[1].load_milli = 3;
	/* 50% -> 20% and 30.07%: a gain. */
	assert_move(0, 1, 2);
}

static void gain_beats_threshold_in_the_why(void **state)
{
	(void)state;
	/* One pair over the threshold, one under it with too little gain:
	 * the why names the rule that stopped the pair that got furthest. */
	add_hot(1, 4, 84);
	add_host(2, 4, 77); /* 81% after */
	add_host(3, 4, 10);
	add_vm("a", 1, 160);
	assert_none("no move gains 5 points on kvm1 (84%): best a to kvm3 leaves 80%");
}

/* --- hard rules ------------------------------------------------------- */

static void avoid_is_hard(void **state)
{
	struct bal_vm *a;
	(void)state;
	add_hot(1, 4, 95);
	add_host(2, 4, 0);
	add_host(3, 4, 30);
	a = add_vm("a", 1, 1600);
	assert_move(0, 1, 2);
	avoid(a, "kvm2");
	assert_move(0, 1, 3);
	avoid(a, "kvm3");
	assert_none("no host can take any VM of kvm1 (of 2 VM-host pairs: 2 avoided)");
	avoid(add_vm("b", 1, 1600), "kvm2");
	assert_move(1, 1, 3);
}

static void anti_affinity_never_worse(void **state)
{
	struct bal_vm *a;
	(void)state;
	add_hot(1, 4, 95);
	add_host(2, 4, 0);
	add_host(3, 4, 40);
	a = add_vm("a", 1, 1600);
	group(a, "web");
	group(add_vm("w2", 2, 0), "web");
	/* kvm2 runs another member; kvm3 (80% after) is too hot. */
	assert_none("no host stays below 80% with a VM of kvm1 (closest: a to kvm3 at 80%)");
	hosts[2].load_milli = 0;
	assert_move(0, 1, 3);
	hosts[2].load_milli = 1600;
	/* kvm1 already runs another member: sharing with one on kvm2 is no
	 * worse than sharing with one here. */
	group(add_vm("w1", 1, 0), "web");
	assert_move(0, 1, 2);
	/* Two on kvm2: worse. */
	group(add_vm("w3", 2, 0), "web");
	assert_none("no host stays below 80% with a VM of kvm1 (closest: a to kvm3 at 80%)");
	hosts[2].eligible = false;
	assert_none("no host can take any VM of kvm1 (of 1 VM-host pair: 1 anti-affinity)");
	/* Other groups do not count. */
	group(&vms[1], "db");
	group(&vms[2], "db");
	group(&vms[3], "db");
	assert_move(0, 1, 2);
}

static void memory_and_vcpus_are_hard(void **state)
{
	struct bal_host *h2;
	(void)state;
	add_hot(1, 4, 95);
	h2 = add_host(2, 4, 0);
	add_vm("a", 1, 1600);
	h2->mem_free_mib = 1023;
	assert_none("no host can take any VM of kvm1 (of 1 VM-host pair: 1 short of memory)");
	h2->mem_free_mib = 1024;
	assert_move(0, 1, 2);
	h2->vcpus_used = 16; /* 4 CPUs x 4 */
	assert_none("no host can take any VM of kvm1 (of 1 VM-host pair: 1 of vCPUs)");
	prm.vcpu_ratio = 5;
	assert_move(0, 1, 2);
	prm.vcpu_ratio = 0;
	h2->vcpus_used = 15;
	add_vm("b", 1, 1200);
	spec_of(&vms[1])->vcpus = 2;
	h2->mem_free_mib = 512;
	assert_none("no host can take any VM of kvm1 (of 2 VM-host pairs: 2 short of memory)");
	h2->mem_free_mib = 4096;
	/* b fits in memory but not in vCPUs; a fits: the count says so. */
	assert_move(0, 1, 2);
	h2->vcpus_used = 16;
	assert_none("no host can take any VM of kvm1 (of 2 VM-host pairs: 2 of vCPUs)");
}

static void targets_that_may_not_take(void **state)
{
	(void)state;
	add_hot(1, 4, 95);
	add_vm("a", 1, 1600);
	add_host(2, 4, 0)->eligible = false;
	add_host(3, 4, 0)->in_maintenance = true;
	add_hot(4, 4, 0); /* hot for the hold time, though the figure is low */
	add_host(5, 4, 0)->moves_in = 1;
	add_host(6, 0, 0);
	assert_none("no host can take any VM of kvm1 (no eligible host that is not hot, in "
		    "maintenance or at its migration limit); 1 other hot host: no move either");
	prm.max_moves_per_host = 2;
	prm.max_moves = 2;
	assert_move(0, 1, 5);
}

/* --- limits ----------------------------------------------------------- */

static void cluster_limit(void **state)
{
	(void)state;
	add_hot(1, 4, 95);
	add_host(2, 4, 0);
	add_vm("a", 1, 1600);
	prm.moves_in_flight = 1;
	assert_none("migration limit reached (1 under way)");
	prm.max_moves = 2;
	assert_move(0, 1, 2);
	prm.moves_in_flight = 3;
	assert_none("migration limit reached (3 under way)");
}

static void per_host_limit(void **state)
{
	(void)state;
	add_hot(1, 4, 95)->moves_out = 1;
	add_hot(3, 4, 90);
	add_host(2, 4, 0);
	add_vm("a", 1, 1600);
	add_vm("c", 3, 1600);
	prm.max_moves = 4;
	assert_move(1, 3, 2); /* kvm1 is hotter but busy */
	hosts[1].moves_in = 1;
	assert_none("every hot host is at its migration limit (kvm1: 1 under way); 1 other hot "
		    "host: no move either");
	prm.max_moves_per_host = 2;
	assert_move(0, 1, 2);
	hosts[2].moves_in = 2; /* the only target is busy now */
	assert_none("no host can take any VM of kvm1 (no eligible host that is not hot, in "
		    "maintenance or at its migration limit); 1 other hot host: no move either");
}

/* --- which move ------------------------------------------------------- */

static void hottest_source_first(void **state)
{
	(void)state;
	add_hot(1, 4, 85);
	add_hot(2, 4, 95);
	add_host(3, 4, 0);
	add_vm("a", 1, 1200);
	add_vm("b", 2, 1200);
	assert_move(1, 2, 3);
	hosts[0].load_milli = hosts[1].load_milli; /* equal: lower node id */
	assert_move(0, 1, 3);
	/* The hotter one has no move: the next one's is taken. */
	avoid(add_vm("c", 1, 1200), "kvm3");
	hosts[0].load_milli += 4;
	vms[0].movable = false;
	assert_move(1, 2, 3);
}

static void none_for_all_hot_hosts(void **state)
{
	(void)state;
	add_hot(1, 4, 85);
	add_hot(2, 4, 95);
	add_hot(3, 4, 90);
	add_host(4, 4, 79);
	add_vm("a", 1, 400);
	add_vm("b", 2, 400);
	add_vm("c", 3, 400);
	assert_none("no host stays below 80% with a VM of kvm2 (closest: b to kvm4 at 89%); 2 "
		    "other hot hosts: no move either");
}

static void ties_prefer_list(void **state)
{
	struct bal_vm *a;
	(void)state;
	add_hot(1, 4, 95);
	add_host(2, 4, 20);
	add_host(3, 4, 20);
	add_host(4, 4, 20);
	a = add_vm("a", 1, 1600);
	assert_move(0, 1, 2); /* equal: lowest node id */
	prefer(a, "kvm9");
	prefer(a, "kvm4");
	prefer(a, "kvm3");
	assert_move(0, 1, 4);  /* earlier in the list */
	hosts[3].load_milli++; /* a cooler pair beats preference */
	assert_move(0, 1, 3);
}

static void ties_priority_memory_name(void **state)
{
	struct bal_vm *x, *y, *z;
	(void)state;
	add_hot(1, 4, 95);
	add_host(2, 4, 20);
	x = add_vm("x", 1, 1600);
	y = add_vm("y", 1, 1600);
	z = add_vm("z", 1, 1600);
	assert_move(0, 1, 2); /* by name */
	spec_of(x)->memory_mib = 4096;
	assert_move(1, 1, 2); /* y: less memory than x, before z by name */
	spec_of(z)->memory_mib = 512;
	assert_move(2, 1, 2); /* less memory */
	spec_of(z)->priority = 10;
	spec_of(y)->priority = 10;
	assert_move(0, 1, 2); /* less important first, whatever its memory */
}

static void unknown_host_vm_is_left_alone(void **state)
{
	(void)state;
	add_hot(1, 4, 95);
	add_host(2, 4, 0);
	add_vm("far", 9, 1600);
	group(add_vm("a", 1, 1600), "web");
	group(&vms[0], "web"); /* runs nowhere known: counts nowhere */
	assert_move(1, 1, 2);
}

static void long_names_cut_the_reason(void **state)
{
	char n[VMCFG_NAME_MAX + 1];
	(void)state;
	memset(n, 'v', VMCFG_NAME_MAX);
	n[VMCFG_NAME_MAX] = '\0';
	add_hot(1, 4, 95);
	add_host(2, 4, 0);
	memset(hosts[0].name, 'h', VMCFG_NAME_MAX);
	memset(hosts[1].name, 't', VMCFG_NAME_MAX);
	add_vm(n, 1, 1600);
	assert_move(0, 1, 2);
	assert_int_equal(strlen(mv.reason), sizeof(mv.reason) - 1);
	assert_int_equal(balance_plan(hosts, n_hosts, vms, n_vms, &prm, &mv, why, 8), 1);
	vms[0].movable = false;
	assert_int_equal(balance_plan(hosts, n_hosts, vms, n_vms, &prm, &mv, why, 8), 0);
	assert_string_equal(why, "no VM o");
	assert_int_equal(balance_plan(hosts, n_hosts, vms, n_vms, &prm, &mv, NULL, 0), 0);
}

/* Failure injection: the planner allocates with calloc only. */
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

static void out_of_memory_moves_nothing(void **state)
{
	(void)state;
	add_hot(1, 4, 95);
	add_host(2, 4, 0);
	group(add_vm("a", 1, 1600), "web");
	for (int k = 0;; k++) {
		int rc;

		calloc_fails_in = k;
		rc = plan();
		if (calloc_fails_in == -1) { /* one failed */
			assert_int_equal(rc, -ENOMEM);
			assert_string_equal(why, "planner out of memory");
			continue;
		}
		calloc_fails_in = -1;
		assert_int_equal(rc, 1);
		assert_true(k > 5);
		break;
	}
}

/* --- randomised -------------------------------------------------------- */

static uint64_t rng;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t)((rng * 2685821657736338717ULL) >> 33) % n;
}

/*
 * A cluster of NH hosts and NV VMs from SEED: VMs spread in proportion
 * to the hosts' CPUs, loads that use about 45% of the cluster on average,
 * a third in groups, prefer and avoid lists, a few not movable, some hosts
 * ineligible or in maintenance; host figures are what their VMs use plus
 * a little. STEPS hosts are stepped hot: their VMs' loads doubled.
 */
static void random_cluster(uint64_t seed, size_t nh, size_t nv, size_t steps)
{
	static const uint32_t mem[] = { 512, 1024, 2048, 2048, 4096, 8192 };
	static const uint32_t cpus[] = { 16, 32, 32, 64 };

	uint64_t total = 0, avg;

	reset(NULL);
	rng = seed;
	for (size_t h = 0; h < nh; h++) {
		struct bal_host *b = add_host((uint32_t)(h + 1), cpus[rnd(4)], 0);

		b->mem_free_mib = 512 * 1024;
		b->load_milli = rnd(b->cpus * 50);
		b->eligible = rnd(16) != 0;
		b->in_maintenance = rnd(20) == 0;
		total += b->cpus;
	}
	avg = total * 1000 * 45 / 100 / nv;
	for (size_t i = 0; i < nv; i++) {
		char name[16];
		struct bal_vm *v;
		struct bal_host *b = hosts;
		uint32_t size = rnd(6), at = rnd((uint32_t)total);

		while (at >= b->cpus)
			at -= b++->cpus;
		snprintf(name, sizeof(name), "vm-%04zu", i);
		/* Most VMs light, one in ten busy (up to 3 CPUs): what makes a
		 * single move worth its points on a large host. */
		v = add_vm(name, b->nodeid,
			   rnd(10) ? rnd((uint32_t)(avg + 1)) : rnd((uint32_t)(6 * avg + 3000)));
		spec_of(v)->memory_mib = mem[size];
		spec_of(v)->vcpus = 1 + size / 2;
		spec_of(v)->priority = (int32_t)rnd(3) * 10;
		v->movable = rnd(20) != 0;
		if (rnd(3) == 0)
			snprintf(spec_of(v)->group, sizeof(spec_of(v)->group), "g%02u", rnd(40));
		for (uint32_t k = rnd(5); k > 2; k--)
			prefer(v, hosts[rnd((uint32_t)nh)].name);
		for (uint32_t k = rnd(6); k > 3; k--)
			avoid(v, hosts[rnd((uint32_t)nh)].name);
		b->mem_free_mib -= b->mem_free_mib >= v->spec->memory_mib ? v->spec->memory_mib : 0;
		b->vcpus_used += v->spec->vcpus;
	}
	for (size_t s = 0; s < steps; s++) {
		uint32_t id = 1 + rnd((uint32_t)nh);
		for (size_t i = 0; i < n_vms; i++)
			if (vms[i].host == id)
				vms[i].load_milli *= 2;
	}
	for (size_t i = 0; i < n_vms; i++)
		hosts[vms[i].host - 1].load_milli += vms[i].load_milli;
	for (size_t h = 0; h < n_hosts; h++)
		hosts[h].hot = balance_host_above(&hosts[h], prm.high_pct);
}

static struct bal_host *host_by_id(uint32_t id)
{
	for (size_t h = 0; h < n_hosts; h++)
		if (hosts[h].nodeid == id)
			return &hosts[h];
	return NULL;
}

static bool names_host(const char (*list)[VMCFG_NAME_MAX + 1], size_t n, const char *name,
		       size_t *at)
{
	for (size_t k = 0; k < n; k++)
		if (strcmp(list[k], name) == 0) {
			*at = k;
			return true;
		}
	return false;
}

static size_t mates_on(size_t i, uint32_t id)
{
	size_t n = 0;

	if (vms[i].spec->group[0] == '\0')
		return 0;
	for (size_t j = 0; j < n_vms; j++)
		n += j != i && vms[j].host == id &&
		     strcmp(vms[j].spec->group, vms[i].spec->group) == 0;
	return n;
}

static uint64_t ppm(uint64_t load, uint32_t cpus)
{
	return load * 1000 / cpus;
}

/* The rules of vm_balance.h written out plainly: 1 and the move's VM,
 * target and key when VM I may go to T from its host; else 0. */
static bool ref_valid(size_t i, const struct bal_host *t, uint64_t *key)
{
	const struct bal_vm *v = &vms[i];
	const struct bal_host *s = host_by_id(v->host);
	uint64_t limit = (uint64_t)prm.max_moves_per_host ? prm.max_moves_per_host : 1;
	uint64_t ratio = prm.vcpu_ratio ? prm.vcpu_ratio : 4, s_after, t_after, k;
	size_t at;

	if (s == NULL || s == t || !v->movable || v->load_milli == 0)
		return false;
	if (!t->eligible || t->in_maintenance || t->hot || t->cpus == 0 ||
	    (uint64_t)t->moves_in + t->moves_out >= limit)
		return false;
	if (names_host(v->spec->avoid, v->spec->n_avoid, t->name, &at))
		return false;
	if (mates_on(i, t->nodeid) > mates_on(i, s->nodeid))
		return false;
	if (t->mem_free_mib < v->spec->memory_mib ||
	    (uint64_t)t->vcpus_used + v->spec->vcpus > t->cpus * ratio)
		return false;
	s_after = ppm(s->load_milli > v->load_milli ? s->load_milli - v->load_milli : 0, s->cpus);
	t_after = ppm((uint64_t)t->load_milli + v->load_milli, t->cpus);
	k = s_after > t_after ? s_after : t_after;
	if (t_after >= (uint64_t)prm.high_pct * 10000 || k >= balance_host_ppm(s) ||
	    k + (uint64_t)prm.min_gain_pct * 10000 > balance_host_ppm(s))
		return false;
	*key = k;
	return true;
}

static uint32_t ref_rank(size_t i, const struct bal_host *t)
{
	size_t at;
	return names_host(vms[i].spec->prefer, vms[i].spec->n_prefer, t->name, &at) ? (uint32_t)at
										    : 0xff;
}

/* The reference's move: the hottest usable source, then the key order. */
static bool ref_plan(size_t *best_vm, uint32_t *best_to)
{
	uint64_t limit = prm.max_moves_per_host ? prm.max_moves_per_host : 1;
	bool done[MAX_HOSTS] = { false };

	if (prm.moves_in_flight >= (prm.max_moves ? prm.max_moves : 1))
		return false;
	for (;;) {
		const struct bal_host *s = NULL;
		size_t bv = SIZE_MAX;
		const struct bal_host *bt = NULL;
		uint64_t bk = 0;

		for (size_t h = 0; h < n_hosts; h++) {
			const struct bal_host *c = &hosts[h];
			if (done[h] || !c->hot || c->in_maintenance || c->cpus == 0)
				continue;
			if (s == NULL || balance_host_ppm(c) > balance_host_ppm(s) ||
			    (balance_host_ppm(c) == balance_host_ppm(s) && c->nodeid < s->nodeid))
				s = c;
		}
		if (s == NULL)
			return false;
		done[s - hosts] = true;
		if ((uint64_t)s->moves_in + s->moves_out >= limit)
			continue;
		for (size_t i = 0; i < n_vms; i++) {
			if (vms[i].host != s->nodeid)
				continue;
			for (size_t h = 0; h < n_hosts; h++) {
				uint64_t k;
				const struct vm_spec *a = vms[i].spec, *b;
				bool better;

				if (!ref_valid(i, &hosts[h], &k))
					continue;
				if (bt == NULL) {
					better = true;
				} else if (k != bk) {
					better = k < bk;
				} else if (ref_rank(i, &hosts[h]) != ref_rank(bv, bt)) {
					better = ref_rank(i, &hosts[h]) < ref_rank(bv, bt);
				} else if (b = vms[bv].spec, a->priority != b->priority) {
					better = a->priority < b->priority;
				} else if (a->memory_mib != b->memory_mib) {
					better = a->memory_mib < b->memory_mib;
				} else if (strcmp(a->name, b->name) != 0) {
					better = strcmp(a->name, b->name) < 0;
				} else {
					better = hosts[h].nodeid < bt->nodeid;
				}
				if (better) {
					bv = i;
					bt = &hosts[h];
					bk = k;
				}
			}
		}
		if (bt != NULL) {
			*best_vm = bv;
			*best_to = bt->nodeid;
			return true;
		}
	}
}

/* Apply MV to the toy cluster: the VM's load, memory and vCPUs move. */
static void apply_move(void)
{
	struct bal_vm *v = &vms[mv.vm];
	struct bal_host *s = host_by_id(mv.from), *t = host_by_id(mv.to);

	s->load_milli -= s->load_milli > v->load_milli ? v->load_milli : s->load_milli;
	t->load_milli += v->load_milli;
	s->mem_free_mib += v->spec->memory_mib;
	t->mem_free_mib -= v->spec->memory_mib;
	s->vcpus_used -= v->spec->vcpus;
	t->vcpus_used += v->spec->vcpus;
	v->host = mv.to;
}

static void matches_reference(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 60; seed++) {
		size_t ref_vm = 0;
		uint32_t ref_to = 0;
		bool ref;
		int rc;

		random_cluster(seed * 7919, 6 + seed % 20, 40 + seed * 5, 1 + seed % 4);
		prm.min_gain_pct = (uint32_t)(seed % 7);
		prm.max_moves_per_host = (uint32_t)(seed % 3);
		hosts[seed % n_hosts].moves_in = (uint32_t)(seed % 2);
		ref = ref_plan(&ref_vm, &ref_to);
		rc = plan();
		assert_int_equal(rc, ref ? 1 : 0);
		if (ref) {
			assert_int_equal(mv.vm, ref_vm);
			assert_int_equal(mv.to, ref_to);
			assert_int_equal(mv.from, vms[ref_vm].host);
		}
	}
}

static void shuffle_all(void)
{
	for (size_t k = n_hosts; k > 1; k--) {
		size_t j = rnd((uint32_t)k);
		struct bal_host t = hosts[k - 1];
		hosts[k - 1] = hosts[j];
		hosts[j] = t;
	}
	for (size_t k = n_vms; k > 1; k--) {
		size_t j = rnd((uint32_t)k);
		struct bal_vm t = vms[k - 1];
		vms[k - 1] = vms[j];
		vms[j] = t;
	}
}

static void input_order_changes_nothing(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 40; seed++) {
		char name[VMCFG_NAME_MAX + 1], reason[sizeof(mv.reason)], first_why[sizeof(why)];
		uint32_t to;
		int rc;

		random_cluster(seed * 104729, 32, 400, 1 + seed % 5);
		prm.min_gain_pct = (uint32_t)(seed % 9);
		rc = plan();
		snprintf(name, sizeof(name), "%s", rc == 1 ? vms[mv.vm].spec->name : "");
		snprintf(reason, sizeof(reason), "%s", rc == 1 ? mv.reason : "");
		snprintf(first_why, sizeof(first_why), "%s", why);
		to = rc == 1 ? mv.to : 0;
		for (int r = 0; r < 5; r++) {
			shuffle_all();
			assert_int_equal(plan(), rc);
			if (rc == 1) {
				assert_string_equal(vms[mv.vm].spec->name, name);
				assert_int_equal(mv.to, to);
				assert_string_equal(mv.reason, reason);
			} else {
				assert_string_equal(why, first_why);
			}
		}
	}
}

/*
 * The coordinator's loop on a toy cluster whose loads change only by the
 * moves: plan, apply, recompute `hot` (no hold time here), again. It must
 * settle, every move must keep the rules' promise (the pair's max at least
 * min_gain points under the source's, the target below the threshold),
 * and no VM may go back to a host it left.
 */
static size_t settle(size_t max_moves)
{
	static uint32_t left[MAX_VMS]; /* bit h: the VM left node h + 1 */
	size_t moves = 0;
	int rc;

	memset(left, 0, sizeof(left));
	while ((rc = plan()) == 1) {
		const struct bal_host *s = host_by_id(mv.from), *t = host_by_id(mv.to);
		uint64_t s_before = balance_host_ppm(s), s_after, t_after;

		assert_true(moves < max_moves);
		assert_true(s->hot);
		assert_false(t->hot);
		assert_int_equal(left[mv.vm] & (1u << (mv.to - 1)), 0);
		left[mv.vm] |= 1u << (mv.from - 1);
		apply_move();
		s_after = balance_host_ppm(s);
		t_after = balance_host_ppm(t);
		assert_true(t_after < (uint64_t)prm.high_pct * 10000);
		assert_true((s_after > t_after ? s_after : t_after) +
				    (uint64_t)prm.min_gain_pct * 10000 <=
			    s_before);
		assert_true((s_after > t_after ? s_after : t_after) < s_before);
		for (size_t h = 0; h < n_hosts; h++)
			hosts[h].hot = balance_host_above(&hosts[h], prm.high_pct);
		moves++;
	}
	assert_int_equal(rc, 0);
	return moves;
}

static void toy_cluster_settles_without_ping_pong(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 30; seed++) {
		size_t moves, ref_vm;
		uint32_t ref_to;

		random_cluster(seed * 31337, 8 + seed % 24, 100 + seed * 20, 1 + seed % 6);
		prm.min_gain_pct = (uint32_t)(seed % 6);
		/* A target ends below the threshold and loads do not change
		 * by themselves: it never turns hot, so each VM moves at
		 * most once. */
		moves = settle(n_vms);
		/* Settled means no valid move is left, not just none found. */
		assert_false(ref_plan(&ref_vm, &ref_to));
		(void)moves;
	}
}

static void cluster_32_hosts_2000_vms(void **state)
{
	size_t moves, ref_vm = 0, hot_before = 0, hot_after = 0;
	uint32_t ref_to = 0;
	(void)state;
	random_cluster(0x2545f4914f6cdd1dULL, 32, 2000, 5);
	for (size_t h = 0; h < n_hosts; h++)
		hot_before += hosts[h].hot && !hosts[h].in_maintenance;
	assert_true(hot_before > 0);
	assert_true(ref_plan(&ref_vm, &ref_to));
	assert_int_equal(plan(), 1);
	assert_int_equal(mv.vm, ref_vm);
	assert_int_equal(mv.to, ref_to);
	moves = settle(2000);
	assert_true(moves > 0);
	for (size_t h = 0; h < n_hosts; h++)
		hot_after += hosts[h].hot && !hosts[h].in_maintenance;
	assert_true(hot_after < hot_before);
	print_message("32 x 2000: %zu hot hosts, %zu moves, %zu still hot: %s\n", hot_before, moves,
		      hot_after, hot_after ? why : "-");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(above_is_strict_and_exact, reset),
		cmocka_unit_test_setup(nothing_hot, reset),
		cmocka_unit_test_setup(hot_in_maintenance_is_no_source, reset),
		cmocka_unit_test_setup(empty_hot_host, reset),
		cmocka_unit_test_setup(idle_and_busy_vms_stay, reset),
		cmocka_unit_test_setup(one_hot_host_best_move, reset),
		cmocka_unit_test_setup(most_relief_not_biggest_vm, reset),
		cmocka_unit_test_setup(different_cpu_counts, reset),
		cmocka_unit_test_setup(vm_claiming_more_than_its_host, reset),
		cmocka_unit_test_setup(null_params_are_defaults, reset),
		cmocka_unit_test_setup(target_would_reach_threshold, reset),
		cmocka_unit_test_setup(gain_too_small, reset),
		cmocka_unit_test_setup(gain_counts_the_target_too, reset),
		cmocka_unit_test_setup(no_gain_at_all_even_with_zero_min, reset),
		cmocka_unit_test_setup(gain_beats_threshold_in_the_why, reset),
		cmocka_unit_test_setup(avoid_is_hard, reset),
		cmocka_unit_test_setup(anti_affinity_never_worse, reset),
		cmocka_unit_test_setup(memory_and_vcpus_are_hard, reset),
		cmocka_unit_test_setup(targets_that_may_not_take, reset),
		cmocka_unit_test_setup(cluster_limit, reset),
		cmocka_unit_test_setup(per_host_limit, reset),
		cmocka_unit_test_setup(hottest_source_first, reset),
		cmocka_unit_test_setup(none_for_all_hot_hosts, reset),
		cmocka_unit_test_setup(ties_prefer_list, reset),
		cmocka_unit_test_setup(ties_priority_memory_name, reset),
		cmocka_unit_test_setup(unknown_host_vm_is_left_alone, reset),
		cmocka_unit_test_setup(long_names_cut_the_reason, reset),
		cmocka_unit_test_setup(out_of_memory_moves_nothing, reset),
		cmocka_unit_test(matches_reference),
		cmocka_unit_test(input_order_changes_nothing),
		cmocka_unit_test(toy_cluster_settles_without_ping_pong),
		cmocka_unit_test(cluster_32_hosts_2000_vms),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
