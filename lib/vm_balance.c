/*
 * vm_balance.c: the CPU-load balancing planner (see vm_balance.h).
 *
 * Every (VM, target) pair of the hottest source is tried against the rules
 * in order -- the hard ones (avoid, anti-affinity, memory, vCPUs), then the
 * threshold, then the gain -- and the best valid pair kept. A pair that
 * fails says at which rule, and the explanation of "no move" is the
 * furthest any pair got: an operator who reads "no move gains 5 points"
 * knows every hard rule had room, and one who reads "short of memory"
 * knows that is what to change.
 *
 * What depends only on the input is worked out once per call: host indices
 * by node id, the VMs of each host, the hosts sorted by name (avoid and
 * prefer lists are looked up by binary search, once per candidate VM) and
 * the members of each group (counted per host, once per candidate VM).
 * Ties fall to names and node ids, never to the input's order.
 */
#include "vm_balance.h"
#include "str_key.h"

#include "text_append.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NONE SIZE_MAX
#define PPM_PER_PCT 10000u
#define DEFAULT_HIGH_PCT 80
#define DEFAULT_MIN_GAIN_PCT 5
#define DEFAULT_VCPU_RATIO 4
#define RANK_NONE 0xff /* not in the prefer list: after every rank */

/* One (VM, target) pair tried, ranked by KEY first (see cand_before). */
struct cand {
	size_t vm; /* NONE: no pair yet */
	size_t to;
	uint64_t key;        /* max(S', T') for a valid move; T' when over */
	uint64_t from_after; /* S' (ppm) */
	uint64_t to_after;   /* T' (ppm) */
	uint32_t rank;       /* the target's rank in the VM's prefer list */
};

/* What the pairs of one source came to, for the move or the why. */
struct tally {
	size_t n_vms, busy, idle, tried;                /* the source's VMs */
	size_t pairs, avoided, grouped, no_mem, no_cpu; /* refused pairs */
	struct cand over;  /* T' would reach the threshold: the lowest T' */
	struct cand small; /* below it but gaining too little: the best */
	struct cand best;  /* valid: the move */
};

struct bal_ctx {
	const struct bal_host *hosts;
	size_t n_hosts;
	const struct bal_vm *vms;
	size_t n_vms;
	uint64_t high_ppm, gain_ppm, vcpu_ratio;
	uint32_t high_pct, min_gain_pct, per_host;

	size_t *sources; /* hot hosts, hottest first */
	size_t n_sources;
	size_t *vm_host;         /* per VM: its host's index, or NONE */
	size_t *on_first;        /* per host, +1: where its VMs start in on_host */
	size_t *on_host;         /* VM indices by host */
	size_t *by_group;        /* VMs with a group, by group name */
	size_t *grp_lo, *grp_hi; /* per VM: its group's range in by_group */
	struct str_key *names;   /* hosts by name */
	bool *target_ok;         /* per host: may take a VM at all (rule 2) */

	/* marks for the VM being tried, set and cleared around it */
	uint32_t *mates; /* per host: other members of its group there */
	uint8_t *banned; /* per host: in its avoid list */
	uint8_t *rank;   /* per host: 1 + its prefer rank; 0 */
};

uint64_t balance_host_ppm(const struct bal_host *h)
{
	return h->cpus ? (uint64_t)h->load_milli * 1000 / h->cpus : 0;
}

bool balance_host_above(const struct bal_host *h, uint32_t pct)
{
	return h->cpus && balance_host_ppm(h) > (uint64_t)pct * PPM_PER_PCT;
}

static uint64_t ppm_of(uint64_t load_milli, uint32_t cpus)
{
	return cpus ? load_milli * 1000 / cpus : 0;
}

static uint32_t pct_of(uint64_t ppm)
{
	return ppm / PPM_PER_PCT > UINT32_MAX ? UINT32_MAX : (uint32_t)(ppm / PPM_PER_PCT);
}

/* A host at its share of the migrations under way: neither end of another. */
static bool host_busy(const struct bal_ctx *c, const struct bal_host *h)
{
	return (uint64_t)h->moves_in + h->moves_out >= c->per_host;
}

/* --- preparation ----------------------------------------------------- */

/* Hottest first; ties by node id, then name, so that the input's order
 * never decides (the index last only for a caller's duplicate). */
static int source_cmp(const void *a, const void *b, const struct bal_host *hosts)
{
	const struct bal_host *x = &hosts[*(const size_t *)a], *y = &hosts[*(const size_t *)b];
	uint64_t px = balance_host_ppm(x), py = balance_host_ppm(y);
	int d;

	if (px != py)
		return px > py ? -1 : 1;
	if (x->nodeid != y->nodeid)
		return x->nodeid < y->nodeid ? -1 : 1;
	d = strcmp(x->name, y->name);
	if (d != 0)
		return d;
	return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

/* qsort has no context argument: sort by insertion (32 hosts, and only
 * the hot ones). */
static void sort_sources(struct bal_ctx *c)
{
	for (size_t k = 1; k < c->n_sources; k++) {
		size_t v = c->sources[k], j = k;

		while (j > 0 && source_cmp(&v, &c->sources[j - 1], c->hosts) < 0) {
			c->sources[j] = c->sources[j - 1];
			j--;
		}
		c->sources[j] = v;
	}
}

struct node_key {
	uint32_t nodeid;
	size_t i;
};

static int node_key_cmp(const void *a, const void *b)
{
	const struct node_key *x = a, *y = b;

	if (x->nodeid != y->nodeid)
		return x->nodeid < y->nodeid ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* The index of the first host with NODEID in KEYS (sorted), or NONE. */
static size_t node_lookup(const struct node_key *keys, size_t n, uint32_t nodeid)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (keys[mid].nodeid < nodeid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && keys[lo].nodeid == nodeid ? keys[lo].i : NONE;
}

/* Each VM's host, and the VMs of each host (a counting sort; within a host
 * the input's order stays, which nothing depends on). */
static int prepare_hosts(struct bal_ctx *c)
{
	struct node_key *keys = calloc(c->n_hosts ? c->n_hosts : 1, sizeof(*keys));
	size_t *fill = calloc(c->n_hosts ? c->n_hosts : 1, sizeof(*fill));
	int rc = -1;

	if (keys == NULL || fill == NULL)
		goto out;
	for (size_t h = 0; h < c->n_hosts; h++)
		keys[h] = (struct node_key){ c->hosts[h].nodeid, h };
	qsort(keys, c->n_hosts, sizeof(*keys), node_key_cmp);
	for (size_t i = 0; i < c->n_vms; i++) {
		c->vm_host[i] = node_lookup(keys, c->n_hosts, c->vms[i].host);
		if (c->vm_host[i] != NONE)
			c->on_first[c->vm_host[i] + 1]++;
	}
	for (size_t h = 0; h < c->n_hosts; h++) {
		c->on_first[h + 1] += c->on_first[h];
		fill[h] = c->on_first[h];
	}
	for (size_t i = 0; i < c->n_vms; i++)
		if (c->vm_host[i] != NONE)
			c->on_host[fill[c->vm_host[i]]++] = i;
	for (size_t h = 0; h < c->n_hosts; h++)
		c->names[h] = (struct str_key){ c->hosts[h].name, h };
	qsort(c->names, c->n_hosts, sizeof(*c->names), str_key_cmp);
	rc = 0;
out:
	free(keys);
	free(fill);
	return rc;
}

/* The members of each group side by side in by_group, and each member's
 * range there. */
static int prepare_groups(struct bal_ctx *c)
{
	struct str_key *keys = calloc(c->n_vms ? c->n_vms : 1, sizeof(*keys));
	size_t n = 0;

	if (keys == NULL)
		return -1;
	for (size_t i = 0; i < c->n_vms; i++)
		if (c->vms[i].spec->group[0] != '\0')
			keys[n++] = (struct str_key){ c->vms[i].spec->group, i };
	qsort(keys, n, sizeof(*keys), str_key_cmp);
	for (size_t lo = 0, hi; lo < n; lo = hi) {
		for (hi = lo + 1; hi < n && strcmp(keys[hi].s, keys[lo].s) == 0; hi++)
			;
		for (size_t k = lo; k < hi; k++) {
			c->by_group[k] = keys[k].i;
			c->grp_lo[keys[k].i] = lo;
			c->grp_hi[keys[k].i] = hi;
		}
	}
	free(keys);
	return 0;
}

static void ctx_free(struct bal_ctx *c)
{
	free(c->sources);
	free(c->vm_host);
	free(c->on_first);
	free(c->on_host);
	free(c->by_group);
	free(c->grp_lo);
	free(c->grp_hi);
	free(c->names);
	free(c->target_ok);
	free(c->mates);
	free(c->banned);
	free(c->rank);
}

static int ctx_prepare(struct bal_ctx *c)
{
	size_t nh = c->n_hosts ? c->n_hosts : 1, nv = c->n_vms ? c->n_vms : 1;

	c->vm_host = calloc(nv, sizeof(*c->vm_host));
	c->on_first = calloc(nh + 1, sizeof(*c->on_first));
	c->on_host = calloc(nv, sizeof(*c->on_host));
	c->by_group = calloc(nv, sizeof(*c->by_group));
	c->grp_lo = calloc(nv, sizeof(*c->grp_lo));
	c->grp_hi = calloc(nv, sizeof(*c->grp_hi));
	c->names = calloc(nh, sizeof(*c->names));
	c->target_ok = calloc(nh, sizeof(*c->target_ok));
	c->mates = calloc(nh, sizeof(*c->mates));
	c->banned = calloc(nh, sizeof(*c->banned));
	c->rank = calloc(nh, sizeof(*c->rank));
	if (c->vm_host == NULL || c->on_first == NULL || c->on_host == NULL ||
	    c->by_group == NULL || c->grp_lo == NULL || c->grp_hi == NULL || c->names == NULL ||
	    c->target_ok == NULL || c->mates == NULL || c->banned == NULL || c->rank == NULL)
		return -1;
	if (prepare_hosts(c) < 0 || prepare_groups(c) < 0)
		return -1;
	for (size_t h = 0; h < c->n_hosts; h++) {
		const struct bal_host *t = &c->hosts[h];

		c->target_ok[h] = t->eligible && !t->in_maintenance && !t->hot && t->cpus > 0 &&
				  !host_busy(c, t);
	}
	return 0;
}

/* --- one source ------------------------------------------------------ */

/* Set (ON) or clear the marks of VM I: hosts named in its avoid and prefer
 * lists, and where the other members of its group run. */
static void mark_vm(struct bal_ctx *c, size_t i, bool on)
{
	const struct vm_spec *s = c->vms[i].spec;
	size_t na = s->n_avoid < VMCFG_HOSTS_MAX ? s->n_avoid : VMCFG_HOSTS_MAX;
	size_t np = s->n_prefer < VMCFG_HOSTS_MAX ? s->n_prefer : VMCFG_HOSTS_MAX;

	/* Two hosts of one name are both marked: the rules compare names. */
	for (size_t a = 0; a < na; a++) {
		struct str_key k = { s->avoid[a], 0 };
		size_t lo = 0, hi = c->n_hosts;

		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (str_key_cmp(&c->names[mid], &k) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (; lo < c->n_hosts && strcmp(c->names[lo].s, s->avoid[a]) == 0; lo++)
			c->banned[c->names[lo].i] = on;
	}
	for (size_t r = np; r-- > 0;) { /* the first of a name twice wins */
		struct str_key k = { s->prefer[r], 0 };
		size_t lo = 0, hi = c->n_hosts;

		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (str_key_cmp(&c->names[mid], &k) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (; lo < c->n_hosts && strcmp(c->names[lo].s, s->prefer[r]) == 0; lo++)
			c->rank[c->names[lo].i] = on ? (uint8_t)(r + 1) : 0;
	}
	if (s->group[0] == '\0')
		return;
	for (size_t k = c->grp_lo[i]; k < c->grp_hi[i]; k++) {
		size_t j = c->by_group[k];

		if (j != i && c->vm_host[j] != NONE) {
			if (on)
				c->mates[c->vm_host[j]]++;
			else
				c->mates[c->vm_host[j]] = 0;
		}
	}
}

/*
 * Whether pair A ranks before pair B: lower key, then a target earlier in
 * the VM's prefer list, lower VM priority, less memory, the VM's name, the
 * target's node id (indices last, only for a caller's duplicate names).
 */
static bool cand_before(const struct bal_ctx *c, const struct cand *a, const struct cand *b)
{
	const struct vm_spec *x, *y;
	int d;

	if (b->vm == NONE)
		return true;
	if (a->key != b->key)
		return a->key < b->key;
	if (a->rank != b->rank)
		return a->rank < b->rank;
	x = c->vms[a->vm].spec;
	y = c->vms[b->vm].spec;
	if (x->priority != y->priority)
		return x->priority < y->priority;
	if (x->memory_mib != y->memory_mib)
		return x->memory_mib < y->memory_mib;
	d = strcmp(x->name, y->name);
	if (d != 0)
		return d < 0;
	if (c->hosts[a->to].nodeid != c->hosts[b->to].nodeid)
		return c->hosts[a->to].nodeid < c->hosts[b->to].nodeid;
	if (a->vm != b->vm)
		return a->vm < b->vm;
	return a->to < b->to;
}

static void keep_if_before(const struct bal_ctx *c, struct cand *kept, const struct cand *a)
{
	if (cand_before(c, a, kept))
		*kept = *a;
}

/* Try VM I of source S on every target, into T. */
static void try_vm(struct bal_ctx *c, size_t s, size_t i, struct tally *t)
{
	const struct bal_host *src = &c->hosts[s];
	const struct bal_vm *v = &c->vms[i];
	uint64_t s_ppm = balance_host_ppm(src);
	/* The host's figure and the VM's are smoothed apart: a VM may claim
	 * more than its host shows, and the source then counts as idle. */
	uint64_t s_after = ppm_of(
		src->load_milli > v->load_milli ? src->load_milli - v->load_milli : 0, src->cpus);

	mark_vm(c, i, true);
	for (size_t h = 0; h < c->n_hosts; h++) {
		const struct bal_host *dst = &c->hosts[h];
		struct cand k = { .vm = i, .to = h, .from_after = s_after };

		if (!c->target_ok[h] || h == s)
			continue;
		t->pairs++;
		if (c->banned[h]) {
			t->avoided++;
			continue;
		}
		if (c->mates[h] > c->mates[s]) {
			t->grouped++;
			continue;
		}
		if (dst->mem_free_mib < v->spec->memory_mib) {
			t->no_mem++;
			continue;
		}
		if ((uint64_t)dst->vcpus_used + v->spec->vcpus >
		    (uint64_t)dst->cpus * c->vcpu_ratio) {
			t->no_cpu++;
			continue;
		}
		k.to_after = ppm_of((uint64_t)dst->load_milli + v->load_milli, dst->cpus);
		k.rank = c->rank[h] ? c->rank[h] - 1u : RANK_NONE;
		if (k.to_after >= c->high_ppm) {
			k.key = k.to_after;
			keep_if_before(c, &t->over, &k);
			continue;
		}
		k.key = k.to_after > s_after ? k.to_after : s_after;
		if (k.key >= s_ppm || k.key + c->gain_ppm > s_ppm) {
			keep_if_before(c, &t->small, &k);
			continue;
		}
		keep_if_before(c, &t->best, &k);
	}
	mark_vm(c, i, false);
}

static void try_source(struct bal_ctx *c, size_t s, struct tally *t)
{
	*t = (struct tally){ .over.vm = NONE, .small.vm = NONE, .best.vm = NONE };
	for (size_t k = c->on_first[s]; k < c->on_first[s + 1]; k++) {
		const struct bal_vm *v = &c->vms[c->on_host[k]];

		t->n_vms++;
		if (!v->movable)
			t->busy++;
		else if (v->load_milli == 0)
			t->idle++;
		else {
			t->tried++;
			try_vm(c, s, c->on_host[k], t);
		}
	}
}

/* --- the words ------------------------------------------------------- */

/* Append "N WHAT" to BUF when N is not 0, after a ", " if something is
 * there already (*FIRST tracks that). */
static void append_count(char *buf, size_t cap, bool *first, size_t n, const char *what)
{
	char num[32];

	if (n == 0)
		return;
	snprintf(num, sizeof(num), "%s%zu ", *first ? "" : ", ", n);
	text_append(buf, cap, num, what);
	*first = false;
}

/* Why source S has no move: the furthest rule any pair reached. */
static void explain_source(const struct bal_ctx *c, size_t s, const struct tally *t, char *why,
			   size_t cap)
{
	const char *sn = c->hosts[s].name;
	bool first = true;

	if (t->small.vm != NONE) {
		snprintf(why, cap,
			 "no move gains %" PRIu32 " point%s on %s (%" PRIu32
			 "%%): best %s to %s leaves %" PRIu32 "%%",
			 c->min_gain_pct, c->min_gain_pct == 1 ? "" : "s", sn,
			 pct_of(balance_host_ppm(&c->hosts[s])), c->vms[t->small.vm].spec->name,
			 c->hosts[t->small.to].name, pct_of(t->small.key));
	} else if (t->over.vm != NONE) {
		snprintf(why, cap,
			 "no host stays below %" PRIu32
			 "%% with a VM of %s (closest: %s to %s at %" PRIu32 "%%)",
			 c->high_pct, sn, c->vms[t->over.vm].spec->name, c->hosts[t->over.to].name,
			 pct_of(t->over.to_after));
	} else if (t->n_vms == 0) {
		snprintf(why, cap, "no VM runs on %s", sn);
	} else if (t->tried == 0) {
		snprintf(why, cap, "no VM of %s can move now (", sn);
		append_count(why, cap, &first, t->busy, "busy or cooling down");
		append_count(why, cap, &first, t->idle, "idle");
		text_append(why, cap, ")", "");
	} else if (t->pairs == 0) {
		snprintf(why, cap,
			 "no host can take any VM of %s (no eligible host that is not hot, in "
			 "maintenance or at its migration limit)",
			 sn);
	} else {
		char head[48];

		snprintf(why, cap, "no host can take any VM of %s (of ", sn);
		snprintf(head, sizeof(head), "%zu VM-host pair%s: ", t->pairs,
			 t->pairs == 1 ? "" : "s");
		text_append(why, cap, head, "");
		append_count(why, cap, &first, t->no_mem, "short of memory");
		append_count(why, cap, &first, t->no_cpu, "of vCPUs");
		append_count(why, cap, &first, t->avoided, "avoided");
		append_count(why, cap, &first, t->grouped, "anti-affinity");
		text_append(why, cap, ")", "");
	}
}

static void fill_move(const struct bal_ctx *c, size_t s, const struct cand *m, struct bal_move *out)
{
	const struct bal_host *src = &c->hosts[s], *dst = &c->hosts[m->to];
	const struct bal_vm *v = &c->vms[m->vm];
	char line[4 * (VMCFG_NAME_MAX + 1) + 128]; /* four names and the words */

	*out = (struct bal_move){ .vm = m->vm,
				  .from = src->nodeid,
				  .to = dst->nodeid,
				  .from_pct = pct_of(balance_host_ppm(src)),
				  .from_pct_after = pct_of(m->from_after),
				  .to_pct = pct_of(balance_host_ppm(dst)),
				  .to_pct_after = pct_of(m->to_after) };
	/* Long names cut the line (text_append), never overflow it. */
	snprintf(line, sizeof(line),
		 "%s at %" PRIu32 "%% for the hold time: %s (%" PRIu32 "%% of it) to %s (%" PRIu32
		 "%% -> %" PRIu32 "%%), %s to %" PRIu32 "%%",
		 src->name, out->from_pct, v->spec->name, pct_of(ppm_of(v->load_milli, src->cpus)),
		 dst->name, out->to_pct, out->to_pct_after, src->name, out->from_pct_after);
	text_append(out->reason, sizeof(out->reason), line, "");
}

/* --- the call -------------------------------------------------------- */

int balance_plan(const struct bal_host *hosts, size_t n_hosts, const struct bal_vm *vms,
		 size_t n_vms, const struct bal_params *p, struct bal_move *out, char *why,
		 size_t cap)
{
	struct bal_ctx c = { .hosts = hosts, .n_hosts = n_hosts, .vms = vms, .n_vms = n_vms };
	struct bal_params d = { .high_pct = DEFAULT_HIGH_PCT,
				.min_gain_pct = DEFAULT_MIN_GAIN_PCT };
	size_t maint = 0, first_busy = NONE, explained = NONE, others = 0;
	uint32_t max_moves;
	int rc = 0;

	if (p == NULL)
		p = &d;
	c.high_pct = p->high_pct;
	c.min_gain_pct = p->min_gain_pct;
	c.high_ppm = (uint64_t)p->high_pct * PPM_PER_PCT;
	c.gain_ppm = (uint64_t)p->min_gain_pct * PPM_PER_PCT;
	c.vcpu_ratio = p->vcpu_ratio ? p->vcpu_ratio : DEFAULT_VCPU_RATIO;
	c.per_host = p->max_moves_per_host ? p->max_moves_per_host : 1;
	max_moves = p->max_moves ? p->max_moves : 1;
	if (cap > 0)
		why[0] = '\0';

	c.sources = calloc(n_hosts ? n_hosts : 1, sizeof(*c.sources));
	if (c.sources == NULL)
		goto oom;
	for (size_t h = 0; h < n_hosts; h++) {
		if (!hosts[h].hot || hosts[h].cpus == 0)
			continue;
		if (hosts[h].in_maintenance)
			maint++;
		else
			c.sources[c.n_sources++] = h;
	}
	if (c.n_sources == 0) {
		snprintf(why, cap, "no host above %" PRIu32 "%% for the hold time", c.high_pct);
		if (maint > 0)
			text_append(why, cap,
				    maint == 1 ? " (one hot host in maintenance)"
					       : " (hot hosts in maintenance only)",
				    "");
		goto done;
	}
	/* Loads measured during a migration are not yet the loads after it:
	 * wait for it to end rather than pile moves on stale figures. */
	if (p->moves_in_flight >= max_moves) {
		snprintf(why, cap, "migration limit reached (%" PRIu32 " under way)",
			 p->moves_in_flight);
		goto done;
	}
	if (ctx_prepare(&c) < 0)
		goto oom;
	sort_sources(&c);
	for (size_t k = 0; k < c.n_sources; k++) {
		size_t s = c.sources[k];
		struct tally t;

		if (host_busy(&c, &hosts[s])) {
			if (first_busy == NONE)
				first_busy = s;
			else
				others++;
			continue;
		}
		try_source(&c, s, &t);
		if (t.best.vm != NONE) {
			fill_move(&c, s, &t.best, out);
			rc = 1;
			goto done;
		}
		if (explained == NONE) {
			explain_source(&c, s, &t, why, cap);
			explained = s;
		} else {
			others++;
		}
	}
	if (explained == NONE) {
		const struct bal_host *b = &hosts[first_busy];
		snprintf(why, cap,
			 "every hot host is at its migration limit (%s: %" PRIu64 " under way)",
			 b->name, (uint64_t)b->moves_in + b->moves_out);
	} else if (first_busy != NONE) {
		others++;
	}
	if (others > 0) {
		char more[64];
		snprintf(more, sizeof(more), "; %zu other hot host%s: no move either", others,
			 others == 1 ? "" : "s");
		text_append(why, cap, more, "");
	}
	goto done;
oom:
	snprintf(why, cap, "planner out of memory");
	rc = -ENOMEM;
done:
	ctx_free(&c);
	return rc;
}
