/*
 * bench_balance.c: the CPU-load balancer on the largest cluster havm plans
 * for -- 32 hosts, 2000 VMs -- in two measurements:
 *
 *  1. balance_plan on one snapshot with some hosts hot, RUNS times (the
 *     cost of one pass of the coordinator);
 *  2. a simulation of the coordinator's loop over a synthetic load trace:
 *     ticks of 10 s; every VM's load jitters by up to +-10% each tick;
 *     at tick 10 four hosts are stepped hot (their VMs' loads doubled). A
 *     host is `hot` after 3 ticks above the threshold (the hold time); a
 *     migration takes 1 tick per 4 GiB of the VM (at least 1), then the
 *     figures need a tick to be fresh, and a moved VM cools down 30 ticks.
 *     The planner runs every tick, its move is carried out, until nothing
 *     is hot or moving for 30 ticks (or 3000 ticks pass).
 *
 * The trace comes from a fixed seed, so every run does the same thing. It
 * prints plan times (min/median/max per call; in the loop, the calls made
 * while some host is hot), the migrations, how many
 * went back to a host their VM had left (with jitter and the hold time
 * this should stay 0), the hosts still hot, and one "BENCH {json}" line
 * per measurement. A benchmark, not a test: it asserts nothing.
 *
 *   tests/bench/bench_balance [RUNS [MIN_GAIN_PCT]]   (default 50, 5)
 */
#include "vm_balance.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HOSTS 32
#define VMS 2000
#define HIGH_PCT 80
#define HOLD_TICKS 3
#define COOLDOWN_TICKS 30
#define STEP_TICK 10
#define QUIET_TICKS 30
#define MAX_TICKS 3000

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

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

static struct bal_host hosts[HOSTS];
static struct vm_spec specs[VMS];
static struct bal_vm vms[VMS];
static uint32_t base_load[VMS]; /* the trace's level, before jitter */
static uint32_t cool_until[VMS];
static uint32_t left_mask[VMS]; /* bit h: the VM left node h + 1 */
static uint32_t above_for[HOSTS];

/* Sort SAMPLES and print them in words and as a BENCH line (EXTRA: more
 * JSON members, with their leading comma). */
static void report(const char *name, const char *what, double *samples, size_t n, const char *extra)
{
	double median;

	qsort(samples, n, sizeof(*samples), cmp_double);
	median = n % 2 ? samples[n / 2] : (samples[n / 2 - 1] + samples[n / 2]) / 2;
	printf("%s, %d hosts x %d VMs: min %.3f ms, median %.3f ms, max %.3f ms (%zu calls)\n",
	       what, HOSTS, VMS, samples[0], median, samples[n - 1], n);
	printf("BENCH {\"name\":\"%s\",\"hosts\":%d,\"vms\":%d,\"calls\":%zu,\"min_ms\":%.3f,"
	       "\"median_ms\":%.3f,\"max_ms\":%.3f%s}\n",
	       name, HOSTS, VMS, n, samples[0], median, samples[n - 1], extra);
}

/* 64-CPU hosts with 512 GiB; VMs sized as in bench_plan, most of them
 * light, one in seven busy (0.5 to 6 CPUs): about half the cluster's CPU
 * in use, spread unevenly. */
static void build_cluster(void)
{
	static const uint32_t mem[] = { 512,  1024, 1024, 2048, 2048, 2048,
					4096, 4096, 4096, 8192, 16384 };
	static const uint32_t cpu[] = { 1, 1, 1, 1, 2, 2, 2, 2, 4, 4, 8 };

	for (uint32_t h = 0; h < HOSTS; h++) {
		hosts[h] = (struct bal_host){ .nodeid = h + 1,
					      .eligible = true,
					      .cpus = 64,
					      .mem_free_mib = 512 * 1024 - 16 * 1024 };
		snprintf(hosts[h].name, sizeof(hosts[h].name), "kvm%02u", h + 1);
	}
	for (uint32_t i = 0; i < VMS; i++) {
		struct vm_spec *s = &specs[i];
		uint32_t size = rnd(sizeof(mem) / sizeof(mem[0])), h = rnd(HOSTS);

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
		base_load[i] = rnd(7) ? rnd(400) : 500 + rnd(5500);
		vms[i] = (struct bal_vm){ .spec = s, .host = h + 1, .movable = true };
		hosts[h].mem_free_mib -= s->memory_mib;
		hosts[h].vcpus_used += s->vcpus;
	}
}

/* One tick of the trace: each VM's load jitters around its level, the
 * hosts' figures are the sums, and `hot` follows the hold time. */
static void tick_loads(uint32_t tick, const struct bal_params *p)
{
	for (uint32_t h = 0; h < HOSTS; h++)
		hosts[h].load_milli = 0;
	for (uint32_t i = 0; i < VMS; i++) {
		uint32_t b = base_load[i];

		vms[i].load_milli = b - b / 10 + rnd(b / 5 + 1);
		vms[i].movable = tick >= cool_until[i];
		hosts[vms[i].host - 1].load_milli += vms[i].load_milli;
	}
	for (uint32_t h = 0; h < HOSTS; h++) {
		above_for[h] = balance_host_above(&hosts[h], p->high_pct) ? above_for[h] + 1 : 0;
		hosts[h].hot = above_for[h] >= HOLD_TICKS;
	}
}

static size_t count_hot(void)
{
	size_t n = 0;

	for (uint32_t h = 0; h < HOSTS; h++)
		n += hosts[h].hot;
	return n;
}

int main(int argc, char **argv)
{
	struct bal_params p = { .high_pct = HIGH_PCT, .min_gain_pct = 5, .vcpu_ratio = 4 };
	int runs = argc > 1 ? atoi(argv[1]) : 50;
	double *samples;
	size_t n_samples = 0, migrations = 0, back = 0, hot_peak = 0;
	uint32_t tick, quiet = 0, busy_until = 0, fresh_at = 0, stepped[4];
	struct bal_move mv, pending = { 0 };
	bool moving = false;
	char why[256], extra[160];

	if (argc > 2)
		p.min_gain_pct = (uint32_t)atoi(argv[2]);
	if (runs < 1 || runs > 100000 || p.min_gain_pct > 100) {
		fprintf(stderr, "usage: %s [RUNS [MIN_GAIN_PCT]]\n", argv[0]);
		return 2;
	}
	samples = calloc((size_t)(runs > MAX_TICKS ? runs : MAX_TICKS), sizeof(*samples));
	if (samples == NULL)
		return 1;
	build_cluster();
	for (int k = 0; k < 4; k++)
		stepped[k] = (uint32_t)(3 + 7 * k); /* kvm04, kvm11, kvm18, kvm25 */

	/* 1. One pass on a snapshot: the stepped hosts hot at once. */
	for (int k = 0; k < 4; k++)
		for (uint32_t i = 0; i < VMS; i++)
			if (vms[i].host == stepped[k] + 1)
				base_load[i] *= 2;
	tick_loads(0, &p);
	for (uint32_t h = 0; h < HOSTS; h++)
		hosts[h].hot = balance_host_above(&hosts[h], p.high_pct);
	printf("snapshot: %zu hosts above %u%%\n", count_hot(), p.high_pct);
	for (int r = 0; r < runs; r++) {
		double t0 = now_ms();
		int rc = balance_plan(hosts, HOSTS, vms, VMS, &p, &mv, why, sizeof(why));
		samples[r] = now_ms() - t0;
		if (r == 0)
			printf("  %s\n", rc == 1 ? mv.reason : why);
	}
	report("balance_plan", "balance_plan, one pass with hot hosts", samples, (size_t)runs, "");

	/* 2. The loop over the trace, from the unstepped cluster. */
	for (int k = 0; k < 4; k++)
		for (uint32_t i = 0; i < VMS; i++)
			if (vms[i].host == stepped[k] + 1)
				base_load[i] /= 2;
	memset(above_for, 0, sizeof(above_for));
	for (tick = 0; tick < MAX_TICKS && quiet < QUIET_TICKS; tick++) {
		double t0;
		bool hot;
		int rc;

		if (tick == STEP_TICK)
			for (int k = 0; k < 4; k++)
				for (uint32_t i = 0; i < VMS; i++)
					if (vms[i].host == stepped[k] + 1)
						base_load[i] *= 2;
		if (moving && tick >= busy_until) {
			/* The migration ends: the VM, its memory and vCPUs are
			 * on the target; the next figures are fresh. */
			struct bal_vm *v = &vms[pending.vm];
			struct bal_host *s = &hosts[pending.from - 1], *t = &hosts[pending.to - 1];

			s->mem_free_mib += v->spec->memory_mib;
			s->vcpus_used -= v->spec->vcpus;
			t->mem_free_mib -= v->spec->memory_mib;
			t->vcpus_used += v->spec->vcpus;
			s->moves_out = t->moves_in = 0;
			v->host = pending.to;
			p.moves_in_flight = 0;
			moving = false;
			fresh_at = tick + 1;
		}
		tick_loads(tick, &p);
		if (count_hot() > hot_peak)
			hot_peak = count_hot();
		if (moving || tick < fresh_at) {
			quiet = 0;
			continue; /* what the coordinator does: no plan on stale figures */
		}
		/* Timed only with a host hot: the other calls end at once. */
		hot = count_hot() > 0;
		t0 = now_ms();
		rc = balance_plan(hosts, HOSTS, vms, VMS, &p, &mv, why, sizeof(why));
		if (hot)
			samples[n_samples++] = now_ms() - t0;
		if (rc != 1) {
			quiet = count_hot() ? 0 : quiet + 1;
			continue;
		}
		quiet = 0;
		migrations++;
		if (left_mask[mv.vm] & (1u << (mv.to - 1)))
			back++;
		left_mask[mv.vm] |= 1u << (mv.from - 1);
		cool_until[mv.vm] = tick + COOLDOWN_TICKS;
		pending = mv;
		moving = true;
		busy_until = tick + 1 + vms[mv.vm].spec->memory_mib / 4096;
		hosts[mv.from - 1].moves_out = hosts[mv.to - 1].moves_in = 1;
		p.moves_in_flight = 1;
		if (migrations <= 5 || migrations % 10 == 0)
			printf("  tick %u: %s\n", tick, mv.reason);
	}
	printf("trace: %u ticks, %zu migrations (%zu back to a host their VM had left), "
	       "at most %zu hosts hot, %zu hot at the end%s%s\n",
	       tick, migrations, back, hot_peak, count_hot(), count_hot() ? ": " : "",
	       count_hot() ? why : "");
	snprintf(extra, sizeof(extra),
		 ",\"min_gain_pct\":%u,\"ticks\":%u,\"migrations\":%zu,\"moved_back\":%zu,"
		 "\"hot_at_end\":%zu",
		 p.min_gain_pct, tick, migrations, back, count_hot());
	report("balance_sim", "balance_plan in the simulated loop, with a host hot", samples,
	       n_samples ? n_samples : 1, extra);
	free(samples);
	return 0;
}
