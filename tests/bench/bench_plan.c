/*
 * bench_plan.c: how long the placement planner takes on the largest
 * cluster havm plans for -- 32 hosts, 2000 protected VMs -- when one host
 * fails and all its VMs need a place (place_plan), and for the N+1 check
 * of the healthy cluster (place_check_n1: one plan per host).
 *
 * The cluster is generated from a fixed seed, so every run plans the same
 * thing: sizes from 512 MiB to 16 GiB (4 GiB on average), a third of the VMs in anti-affinity
 * groups, prefer and avoid lists, priorities, a few VMs stopped or
 * blocked. Hosts have 512 GiB and 64 CPUs (ratio 4) and are loaded to a
 * bit over half, so that one host's VMs fit on the others.
 *
 * A benchmark, not a test: it prints min/median/max in words and one line
 * "BENCH {json}" per measurement for machines, and asserts no timing.
 *
 *   tests/bench/bench_plan [RUNS]      (default 50)
 */
#include "vm_place.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HOSTS 32
#define VMS 2000
#define FAILED_HOST 7 /* node id of the host that fails */

static uint64_t rng = 0x2545f4914f6cdd1dULL;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t)((rng * 2685821657736338717ULL) >> 33) % n;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Sort SAMPLES and print them in words and as a BENCH line. */
static void report(const char *name, const char *what, double *samples, int runs)
{
	double median;

	qsort(samples, (size_t)runs, sizeof(*samples), cmp_double);
	median = runs % 2 ? samples[runs / 2] : (samples[runs / 2 - 1] + samples[runs / 2]) / 2;
	printf("%s, %d hosts x %d VMs: min %.3f ms, median %.3f ms, max %.3f ms (%d runs)\n", what,
	       HOSTS, VMS, samples[0], median, samples[runs - 1], runs);
	printf("BENCH {\"name\":\"%s\",\"hosts\":%d,\"vms\":%d,\"min_ms\":%.3f,"
	       "\"median_ms\":%.3f,\"max_ms\":%.3f}\n",
	       name, HOSTS, VMS, samples[0], median, samples[runs - 1]);
}

static void build_cluster(struct place_host *hosts, struct vm_spec *specs, struct place_vm *vms)
{
	/* Sizes as they come in practice: many small, few large. */
	static const uint32_t mem[] = { 512,  1024, 1024, 2048, 2048, 2048,
					4096, 4096, 4096, 8192, 16384 };
	static const uint32_t cpu[] = { 1, 1, 1, 1, 2, 2, 2, 2, 4, 4, 8 };

	for (uint32_t h = 0; h < HOSTS; h++) {
		hosts[h] = (struct place_host){ .nodeid = h + 1,
						.eligible = true,
						.mem_free_mib = 512 * 1024 - 16 * 1024,
						.cpus = 64 };
		snprintf(hosts[h].name, sizeof(hosts[h].name), "kvm%02u", h + 1);
	}
	for (uint32_t i = 0; i < VMS; i++) {
		struct vm_spec *s = &specs[i];
		struct place_vm *v = &vms[i];
		uint32_t size = rnd(sizeof(mem) / sizeof(mem[0])), h;

		memset(s, 0, sizeof(*s));
		memset(v, 0, sizeof(*v));
		snprintf(s->name, sizeof(s->name), "vm-%04u", i);
		s->priority = (int32_t)rnd(5) * 10 - 20;
		s->memory_mib = mem[size];
		s->vcpus = cpu[size];
		if (rnd(3) == 0)
			snprintf(s->group, sizeof(s->group), "group%02u", rnd(60));
		for (uint32_t k = rnd(5); k > 2; k--)
			snprintf(s->prefer[s->n_prefer++], sizeof(s->prefer[0]), "kvm%02u",
				 1 + rnd(HOSTS));
		for (uint32_t k = rnd(6); k > 3; k--)
			snprintf(s->avoid[s->n_avoid++], sizeof(s->avoid[0]), "kvm%02u",
				 1 + rnd(HOSTS));
		v->spec = s;
		v->where = PLACE_DOWN;
		if (rnd(50) == 0) {
			s->stopped = true;
			continue;
		}
		if (rnd(100) == 0) {
			v->where = PLACE_BLOCKED;
			snprintf(v->blocked, sizeof(v->blocked),
				 "in back-off after a failed start");
			continue;
		}
		/* Running on some host with room (most of them are). */
		h = rnd(HOSTS);
		if (hosts[h].mem_free_mib >= s->memory_mib) {
			hosts[h].mem_free_mib -= s->memory_mib;
			hosts[h].vcpus_used += s->vcpus;
			hosts[h].n_vms++;
			v->where = PLACE_RUNNING;
			v->host = hosts[h].nodeid;
		}
	}
}

int main(int argc, char **argv)
{
	static struct place_host hosts[HOSTS], failed[HOSTS];
	static struct vm_spec specs[VMS];
	static struct place_vm vms[VMS], recovery[VMS];
	static struct place_result out[VMS];
	struct place_params p = { .max_starts = 0, .vcpu_ratio = 4 };
	int runs = argc > 1 ? atoi(argv[1]) : 50;
	double *samples;
	size_t starts = 0, pending = 0, blocked = 0, moved = 0, worst_n = 0;
	uint32_t worst = 0;
	char names[256];

	if (runs < 1 || runs > 100000) {
		fprintf(stderr, "usage: %s [RUNS]\n", argv[0]);
		return 2;
	}
	samples = calloc((size_t)runs, sizeof(*samples));
	if (samples == NULL)
		return 1;
	build_cluster(hosts, specs, vms);

	/* The recovery: FAILED_HOST is lost (and fenced); its VMs are down. */
	memcpy(failed, hosts, sizeof(failed));
	failed[FAILED_HOST - 1].eligible = false;
	snprintf(failed[FAILED_HOST - 1].why_not, sizeof(failed[0].why_not), "lost");
	for (size_t i = 0; i < VMS; i++) {
		recovery[i] = vms[i];
		if (vms[i].where == PLACE_RUNNING && vms[i].host == FAILED_HOST) {
			recovery[i].where = PLACE_DOWN;
			moved++;
		}
	}
	for (int r = 0; r < runs; r++) {
		double t0 = now_ms();
		starts = place_plan(failed, HOSTS, recovery, VMS, &p, out);
		samples[r] = now_ms() - t0;
	}
	for (size_t i = 0; i < VMS; i++) {
		pending += out[i].verdict == PLAN_PENDING && recovery[i].where == PLACE_DOWN;
		blocked += recovery[i].where == PLACE_BLOCKED && !recovery[i].spec->stopped;
	}
	printf("recovery of kvm%02d: %zu VMs were on it; plan: %zu starts, %zu pending "
	       "for want of a place, %zu blocked\n",
	       FAILED_HOST, moved, starts, pending, blocked);
	report("plan_recovery", "place_plan, recovery of one failed host", samples, runs);

	for (int r = 0; r < runs; r++) {
		double t0 = now_ms();
		worst_n = place_check_n1(hosts, HOSTS, vms, VMS, &p, &worst, names, sizeof(names));
		samples[r] = now_ms() - t0;
	}
	if (worst_n == 0)
		printf("N+1: every VM has a place whichever host fails\n");
	else
		printf("N+1: worst host kvm%02u leaves %zu VMs without a place: %s\n", worst,
		       worst_n, names);
	report("plan_check_n1", "place_check_n1 (one plan per host)", samples, runs);
	free(samples);
	return 0;
}
