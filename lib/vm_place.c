/*
 * vm_place.c: the placement planner (see vm_place.h).
 *
 * One greedy pass over the VMs in priority order; each VM that wants a
 * start takes the best host for it given what the VMs before it took. That
 * is what makes "the most important VMs get the capacity" hold, and it
 * keeps the cost at O(VMs * hosts) after one sort: the coordinator plans
 * the recovery of a whole host (thousands of VMs) inside one turn of its
 * loop, and place_check_n1 runs that plan once per host.
 *
 * Everything that depends only on the input -- the order, group numbers,
 * host name numbers, the hosts each VM's avoid and prefer lists name --
 * is worked out once per call (plan_prepare) and shared by the N+1 check's
 * plans. A plan then needs no string comparison at all: the anti-affinity
 * count of (group, host) is an array lookup, and avoid/prefer are marks on
 * host name numbers set and cleared around each VM.
 */
#include "vm_place.h"
#include "str_key.h"

#include "text_append.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NONE SIZE_MAX
#define DEFAULT_VCPU_RATIO 4
#define RANK_NONE 0xff /* not in the prefer list: after every rank */

/* What place_prepare works out about one VM. */
struct vm_prep {
	uint32_t group;   /* 1 + its anti-affinity group's number; 0: none */
	size_t run_host;  /* RUNNING: its host's index; NONE: not a known host */
	uint8_t n_avoid;  /* host name numbers in avoid[] */
	uint8_t n_prefer; /* host name numbers in prefer[] (rank: its index) */
	uint32_t avoid[VMCFG_HOSTS_MAX];
	uint32_t prefer[VMCFG_HOSTS_MAX];
	uint8_t prefer_rank[VMCFG_HOSTS_MAX];
};

struct plan_ctx {
	const struct place_host *hosts;
	size_t n_hosts;
	const struct place_vm *vms;
	size_t n_vms;
	uint64_t vcpu_ratio;

	/* prepared once */
	size_t *order;          /* every VM: priority desc, name asc */
	struct vm_prep *prep;   /* per VM */
	uint32_t *host_name_id; /* per host: its name's number */
	size_t *by_node;        /* host indices by node id: reasons list hosts
				 * in this order, whatever the input's order */
	size_t n_names;
	size_t n_groups;

	/* one plan's state, reset by plan_run */
	uint32_t *count;       /* [group * n_hosts + host]: members there */
	int64_t *mem_left;     /* per host: MiB free after the planned starts */
	int64_t *vcpu_left;    /* per host: cpus * ratio - used - planned */
	uint64_t *vms_on;      /* per host: VMs running and planned */
	bool *eligible;        /* per host (the N+1 check turns one off) */
	uint8_t *banned_name;  /* per name: in the current VM's avoid list */
	uint8_t *rank_of_name; /* per name: 1 + rank in its prefer list; 0 */
};

/* What choose_host found out, for the reason text. */
struct choice {
	size_t host;          /* NONE: nothing fits */
	size_t host_no_group; /* the choice had anti-affinity not counted */
	uint32_t rank;        /* the chosen host's prefer rank, or RANK_NONE */
	uint32_t shared;      /* members of its group already on the host */
	int64_t mem_before;   /* the host's free memory before this VM */
};

const char *place_verdict_name(enum place_verdict v)
{
	switch (v) {
	case PLAN_KEEP: return "keep";
	case PLAN_START: return "start";
	case PLAN_PENDING: return "pending";
	case PLAN_STOP: return "stop";
	}
	return "unknown";
}

/* --- preparation ----------------------------------------------------- */

struct order_key {
	int32_t priority;
	const char *name;
	size_t i;
};

static int order_key_cmp(const void *a, const void *b)
{
	const struct order_key *x = a, *y = b;
	int c;

	if (x->priority != y->priority)
		return x->priority > y->priority ? -1 : 1;
	c = strcmp(x->name, y->name);
	if (c != 0)
		return c;
	/* Two VMs of one name are a caller's bug, but the order stays total
	 * so that every coordinator still decides alike. */
	return x->i < y->i ? -1 : x->i > y->i;
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

/* The number of NAME among the sorted distinct host NAMES, or NONE. */
static size_t name_lookup(const char *const *names, size_t n, const char *name)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(names[mid], name);

		if (c == 0)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NONE;
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

static void plan_free(struct plan_ctx *c)
{
	free(c->order);
	free(c->prep);
	free(c->host_name_id);
	free(c->by_node);
	free(c->count);
	free(c->mem_left);
	free(c->vcpu_left);
	free(c->vms_on);
	free(c->eligible);
	free(c->banned_name);
	free(c->rank_of_name);
}

/* Host names to numbers, and each VM's avoid and prefer lists to them. */
static int prepare_names(struct plan_ctx *c)
{
	struct str_key *keys = calloc(c->n_hosts ? c->n_hosts : 1, sizeof(*keys));
	const char **names = calloc(c->n_hosts ? c->n_hosts : 1, sizeof(*names));
	int rc = -1;

	if (keys == NULL || names == NULL)
		goto out;
	for (size_t h = 0; h < c->n_hosts; h++)
		keys[h] = (struct str_key){ c->hosts[h].name, h };
	qsort(keys, c->n_hosts, sizeof(*keys), str_key_cmp);
	/* Two hosts of one name share a number: an avoid of that name bars
	 * both, as the rule compares names. */
	c->n_names = 0;
	for (size_t k = 0; k < c->n_hosts; k++) {
		if (c->n_names == 0 || strcmp(names[c->n_names - 1], keys[k].s) != 0)
			names[c->n_names++] = keys[k].s;
		c->host_name_id[keys[k].i] = (uint32_t)(c->n_names - 1);
	}
	for (size_t i = 0; i < c->n_vms; i++) {
		const struct vm_spec *s = c->vms[i].spec;
		struct vm_prep *p = &c->prep[i];
		size_t na = s->n_avoid < VMCFG_HOSTS_MAX ? s->n_avoid : VMCFG_HOSTS_MAX;
		size_t np = s->n_prefer < VMCFG_HOSTS_MAX ? s->n_prefer : VMCFG_HOSTS_MAX;

		/* A name no host has is no constraint (a host not yet
		 * configured, or gone): it is simply left out. */
		for (size_t a = 0; a < na; a++) {
			size_t id = name_lookup(names, c->n_names, s->avoid[a]);
			if (id != NONE)
				p->avoid[p->n_avoid++] = (uint32_t)id;
		}
		for (size_t r = 0; r < np; r++) {
			size_t id = name_lookup(names, c->n_names, s->prefer[r]);
			if (id != NONE) {
				p->prefer_rank[p->n_prefer] = (uint8_t)r;
				p->prefer[p->n_prefer++] = (uint32_t)id;
			}
		}
	}
	rc = 0;
out:
	free(keys);
	free(names);
	return rc;
}

/* Group names to numbers (1-based in prep; 0 is "no group"). */
static int prepare_groups(struct plan_ctx *c)
{
	struct str_key *keys = calloc(c->n_vms ? c->n_vms : 1, sizeof(*keys));
	size_t n = 0;

	if (keys == NULL)
		return -1;
	for (size_t i = 0; i < c->n_vms; i++)
		if (c->vms[i].spec->group[0] != '\0')
			keys[n++] = (struct str_key){ c->vms[i].spec->group, i };
	qsort(keys, n, sizeof(*keys), str_key_cmp);
	c->n_groups = 0;
	for (size_t k = 0; k < n; k++) {
		if (k == 0 || strcmp(keys[k - 1].s, keys[k].s) != 0)
			c->n_groups++;
		c->prep[keys[k].i].group = (uint32_t)c->n_groups;
	}
	free(keys);
	return 0;
}

static int prepare_order(struct plan_ctx *c)
{
	struct order_key *keys = calloc(c->n_vms ? c->n_vms : 1, sizeof(*keys));

	if (keys == NULL)
		return -1;
	for (size_t i = 0; i < c->n_vms; i++)
		keys[i] = (struct order_key){ c->vms[i].spec->priority, c->vms[i].spec->name, i };
	qsort(keys, c->n_vms, sizeof(*keys), order_key_cmp);
	for (size_t k = 0; k < c->n_vms; k++)
		c->order[k] = keys[k].i;
	free(keys);
	return 0;
}

static int prepare_running(struct plan_ctx *c)
{
	struct node_key *keys = calloc(c->n_hosts ? c->n_hosts : 1, sizeof(*keys));

	if (keys == NULL)
		return -1;
	for (size_t h = 0; h < c->n_hosts; h++)
		keys[h] = (struct node_key){ c->hosts[h].nodeid, h };
	qsort(keys, c->n_hosts, sizeof(*keys), node_key_cmp);
	for (size_t k = 0; k < c->n_hosts; k++)
		c->by_node[k] = keys[k].i;
	for (size_t i = 0; i < c->n_vms; i++)
		c->prep[i].run_host = c->vms[i].where == PLACE_RUNNING
					      ? node_lookup(keys, c->n_hosts, c->vms[i].host)
					      : NONE;
	free(keys);
	return 0;
}

/* Everything that depends on the input alone. 0, or -1 when out of
 * memory (C is then freed). */
static int plan_prepare(struct plan_ctx *c, const struct place_host *hosts, size_t n_hosts,
			const struct place_vm *vms, size_t n_vms, const struct place_params *p)
{
	size_t nh = n_hosts ? n_hosts : 1, nv = n_vms ? n_vms : 1;

	memset(c, 0, sizeof(*c));
	c->hosts = hosts;
	c->n_hosts = n_hosts;
	c->vms = vms;
	c->n_vms = n_vms;
	c->vcpu_ratio = p != NULL && p->vcpu_ratio != 0 ? p->vcpu_ratio : DEFAULT_VCPU_RATIO;
	c->order = calloc(nv, sizeof(*c->order));
	c->prep = calloc(nv, sizeof(*c->prep));
	c->host_name_id = calloc(nh, sizeof(*c->host_name_id));
	c->by_node = calloc(nh, sizeof(*c->by_node));
	c->mem_left = calloc(nh, sizeof(*c->mem_left));
	c->vcpu_left = calloc(nh, sizeof(*c->vcpu_left));
	c->vms_on = calloc(nh, sizeof(*c->vms_on));
	c->eligible = calloc(nh, sizeof(*c->eligible));
	c->banned_name = calloc(nh, sizeof(*c->banned_name));
	c->rank_of_name = calloc(nh, sizeof(*c->rank_of_name));
	if (c->order == NULL || c->prep == NULL || c->host_name_id == NULL || c->by_node == NULL ||
	    c->mem_left == NULL || c->vcpu_left == NULL || c->vms_on == NULL ||
	    c->eligible == NULL || c->banned_name == NULL || c->rank_of_name == NULL)
		goto fail;
	if (prepare_names(c) < 0 || prepare_groups(c) < 0 || prepare_order(c) < 0 ||
	    prepare_running(c) < 0)
		goto fail;
	/* Groups x hosts counters: at worst every VM its own group, which is
	 * 2000 x 32 x 4 bytes for the largest cluster planned for. */
	if (c->n_groups > 0 && nh > SIZE_MAX / sizeof(uint32_t) / c->n_groups)
		goto fail;
	c->count = calloc(c->n_groups ? c->n_groups * nh : 1, sizeof(*c->count));
	if (c->count == NULL)
		goto fail;
	return 0;
fail:
	plan_free(c);
	return -1;
}

/* --- one plan -------------------------------------------------------- */

static bool is_excluded(const struct place_vm *v, uint32_t nodeid)
{
	for (size_t e = 0; e < sizeof(v->exclude) / sizeof(v->exclude[0]); e++) {
		if (v->exclude[e] == 0)
			return false;
		if (v->exclude[e] == nodeid)
			return true;
	}
	return false;
}

static bool fits(const struct plan_ctx *c, size_t h, const struct vm_spec *s)
{
	return (int64_t)s->memory_mib <= c->mem_left[h] && (int64_t)s->vcpus <= c->vcpu_left[h];
}

/*
 * Is host A better than host B for a VM? The key, in order: fewer members
 * of its group (when G counts), better prefer rank, more free memory, fewer
 * VMs, lower node id. Counting group members (not just "none or some")
 * spreads a group as evenly as possible even when it must share.
 */
static bool better(const struct plan_ctx *c, size_t a, size_t b, uint32_t g, bool use_group)
{
	uint32_t ra, rb;

	if (b == NONE)
		return true;
	if (use_group && g != 0) {
		uint32_t ga = c->count[(size_t)(g - 1) * c->n_hosts + a];
		uint32_t gb = c->count[(size_t)(g - 1) * c->n_hosts + b];
		if (ga != gb)
			return ga < gb;
	}
	ra = c->rank_of_name[c->host_name_id[a]];
	rb = c->rank_of_name[c->host_name_id[b]];
	ra = ra ? ra - 1 : RANK_NONE;
	rb = rb ? rb - 1 : RANK_NONE;
	if (ra != rb)
		return ra < rb;
	if (c->mem_left[a] != c->mem_left[b])
		return c->mem_left[a] > c->mem_left[b];
	if (c->vms_on[a] != c->vms_on[b])
		return c->vms_on[a] < c->vms_on[b];
	return c->hosts[a].nodeid < c->hosts[b].nodeid;
}

/* Append "name: why" for each ineligible host, cut with "..." at CAP. */
static void append_ineligible(const struct plan_ctx *c, char *buf, size_t cap)
{
	const char *sep = " (";
	size_t shown = 0;

	for (size_t k = 0; k < c->n_hosts; k++) {
		size_t h = c->by_node[k];
		char item[VMCFG_NAME_MAX + 1 + sizeof(c->hosts[h].why_not) + 4];
		const struct place_host *ph = &c->hosts[h];

		if (c->eligible[h])
			continue;
		snprintf(item, sizeof(item), "%s: %s", ph->name,
			 ph->why_not[0] != '\0' ? ph->why_not : "not eligible");
		/* Room for the item and for the "; ...)" that may follow. */
		if (strlen(buf) + strlen(sep) + strlen(item) + 6 + 1 > cap) {
			text_append(buf, cap, shown ? "; ..." : " (...", ")");
			return;
		}
		text_append(buf, cap, sep, item);
		sep = "; ";
		shown++;
	}
	if (shown)
		text_append(buf, cap, ")", "");
}

/*
 * Why no host takes VM I (the avoid marks of choose_host still set): the
 * first rule that rules every eligible host out, with what an operator
 * would need to know to change it.
 */
static void explain_no_host(const struct plan_ctx *c, size_t i, char *buf, size_t cap)
{
	const struct place_vm *v = &c->vms[i];
	const struct vm_spec *s = v->spec;
	size_t n_elig = 0, n_avoided = 0, n_excluded = 0, n_allowed = 0, n_mem = 0, n_cpu = 0;
	size_t most_mem = NONE, most_cpu = NONE;
	char hosts[120] = "";

	for (size_t k = 0; k < c->n_hosts; k++) {
		size_t h = c->by_node[k];

		if (!c->eligible[h])
			continue;
		n_elig++;
		if (c->banned_name[c->host_name_id[h]]) {
			n_avoided++;
			continue;
		}
		if (is_excluded(v, c->hosts[h].nodeid)) {
			n_excluded++;
			text_append(hosts, sizeof(hosts), n_excluded > 1 ? ", " : "",
				    c->hosts[h].name);
			continue;
		}
		n_allowed++;
		if ((int64_t)s->memory_mib <= c->mem_left[h])
			n_mem++;
		if ((int64_t)s->vcpus <= c->vcpu_left[h])
			n_cpu++;
		if (most_mem == NONE || c->mem_left[h] > c->mem_left[most_mem])
			most_mem = h;
		if (most_cpu == NONE || c->vcpu_left[h] > c->vcpu_left[most_cpu])
			most_cpu = h;
	}
	buf[0] = '\0';
	if (n_elig == 0) {
		snprintf(buf, cap, "no eligible host");
		if (c->n_hosts == 0)
			text_append(buf, cap, " (no hosts known)", "");
		else
			append_ineligible(c, buf, cap);
	} else if (n_allowed == 0 && n_excluded == 0) {
		snprintf(buf, cap, "every eligible host is in its avoid list");
	} else if (n_allowed == 0) {
		snprintf(buf, cap, "%s",
			 n_avoided
				 ? "every eligible host is in its avoid list or excluded for now ("
				 : "every eligible host is excluded for now (");
		text_append(buf, cap, hosts, ")");
	} else if (n_mem == 0) {
		snprintf(buf, cap, "no host has %" PRIu32 " MiB free (most: %s %" PRId64 " MiB)",
			 s->memory_mib, c->hosts[most_mem].name, c->mem_left[most_mem]);
	} else if (n_cpu == 0) {
		int64_t left = c->vcpu_left[most_cpu];
		snprintf(buf, cap,
			 "no host has room for %" PRIu32 " vCPUs (most: %s %" PRId64 " of %" PRIu64
			 ")",
			 s->vcpus, c->hosts[most_cpu].name, left > 0 ? left : 0,
			 (uint64_t)c->hosts[most_cpu].cpus * c->vcpu_ratio);
	} else {
		snprintf(buf, cap,
			 "no host has both %" PRIu32 " MiB and room for %" PRIu32 " vCPUs free",
			 s->memory_mib, s->vcpus);
	}
}

/*
 * The host for VM I now (the rules of vm_place.h) into CH (CH->host NONE:
 * none fits; WHY_NONE, when not NULL, then says why). Leaves the per-name
 * marks clear for the next VM.
 */
static void choose_host(struct plan_ctx *c, size_t i, struct choice *ch, char *why_none, size_t cap)
{
	const struct place_vm *v = &c->vms[i];
	const struct vm_prep *p = &c->prep[i];
	size_t best = NONE, best_ng = NONE;

	for (size_t a = 0; a < p->n_avoid; a++)
		c->banned_name[p->avoid[a]] = 1;
	for (size_t r = p->n_prefer; r-- > 0;) /* the first of a name twice wins */
		c->rank_of_name[p->prefer[r]] = (uint8_t)(p->prefer_rank[r] + 1);
	for (size_t h = 0; h < c->n_hosts; h++) {
		if (!c->eligible[h] || c->banned_name[c->host_name_id[h]] ||
		    is_excluded(v, c->hosts[h].nodeid) || !fits(c, h, v->spec))
			continue;
		if (better(c, h, best, p->group, true))
			best = h;
		if (p->group != 0 && better(c, h, best_ng, p->group, false))
			best_ng = h;
	}
	*ch = (struct choice){ .host = best,
			       .host_no_group = p->group != 0 ? best_ng : best,
			       .rank = RANK_NONE };
	if (best != NONE) {
		uint32_t r = c->rank_of_name[c->host_name_id[best]];
		ch->rank = r ? r - 1 : RANK_NONE;
		ch->shared = p->group ? c->count[(size_t)(p->group - 1) * c->n_hosts + best] : 0;
		ch->mem_before = c->mem_left[best];
	} else if (why_none != NULL) {
		explain_no_host(c, i, why_none, cap);
	}
	for (size_t a = 0; a < p->n_avoid; a++)
		c->banned_name[p->avoid[a]] = 0;
	for (size_t r = 0; r < p->n_prefer; r++)
		c->rank_of_name[p->prefer[r]] = 0;
}

static void start_reason(const struct plan_ctx *c, size_t i, const struct choice *ch, char *buf,
			 size_t cap)
{
	const struct vm_spec *s = c->vms[i].spec;
	char why[64];

	if (ch->rank != RANK_NONE)
		snprintf(why, sizeof(why), "preferred host");
	else
		snprintf(why, sizeof(why), "most free memory (%" PRId64 " MiB)", ch->mem_before);
	buf[0] = '\0';
	if (ch->host != ch->host_no_group)
		snprintf(buf, cap, "anti-affinity group %s, then %s", s->group, why);
	else
		snprintf(buf, cap, "%s", why);
	/* "Not preferred" is news only when anti-affinity did not say why. */
	if (ch->rank == RANK_NONE && s->n_prefer > 0 && ch->host == ch->host_no_group)
		text_append(buf, cap, "; no preferred host available", "");
	if (ch->shared > 0) {
		text_append(buf, cap, "; shares anti-affinity group ", s->group);
		text_append(buf, cap, " (no host without it fits)", "");
	}
}

static void set_result(struct place_result *r, enum place_verdict v, uint32_t host,
		       const char *reason)
{
	r->verdict = v;
	r->host = host;
	snprintf(r->reason, sizeof(r->reason), "%s", reason);
}

/* Whether V wants a start (HOST_FAILED: the N+1 check has taken its host
 * away). */
static bool wants_start(const struct place_vm *v, bool host_failed)
{
	if (v->spec->stopped)
		return false;
	return v->where == PLACE_DOWN || (v->where == PLACE_RUNNING && host_failed);
}

/* The verdict of a VM that wants no start (no planning needed). */
static void fixed_verdict(const struct place_vm *v, struct place_result *r)
{
	if (v->where == PLACE_RUNNING) {
		if (v->spec->stopped)
			set_result(r, PLAN_STOP, v->host, "its state is stopped");
		else
			set_result(r, PLAN_KEEP, v->host, "running");
	} else if (v->spec->stopped) {
		set_result(r, PLAN_KEEP, 0, "stopped");
	} else if (v->where == PLACE_BLOCKED) {
		r->verdict = PLAN_PENDING;
		r->host = 0;
		snprintf(r->reason, sizeof(r->reason), "%.*s", (int)sizeof(v->blocked), v->blocked);
		if (r->reason[0] == '\0')
			snprintf(r->reason, sizeof(r->reason), "blocked");
	}
}

static void reset_hosts(struct plan_ctx *c, size_t failed)
{
	for (size_t h = 0; h < c->n_hosts; h++) {
		const struct place_host *ph = &c->hosts[h];
		uint64_t vcpus = (uint64_t)ph->cpus * c->vcpu_ratio;
		int64_t cap = vcpus > INT64_MAX / 2 ? INT64_MAX / 2 : (int64_t)vcpus;

		c->eligible[h] = ph->eligible && h != failed;
		c->mem_left[h] =
			ph->mem_free_mib > INT64_MAX ? INT64_MAX : (int64_t)ph->mem_free_mib;
		c->vcpu_left[h] = cap - (int64_t)ph->vcpus_used;
		c->vms_on[h] = ph->n_vms;
	}
	if (c->n_groups > 0)
		memset(c->count, 0, c->n_groups * c->n_hosts * sizeof(*c->count));
	/* Running members of a group count where they run (a stopped-state
	 * VM too: it runs until it is stopped). */
	for (size_t i = 0; i < c->n_vms; i++) {
		const struct vm_prep *p = &c->prep[i];
		if (p->group != 0 && p->run_host != NONE && p->run_host != failed)
			c->count[(size_t)(p->group - 1) * c->n_hosts + p->run_host]++;
	}
}

/*
 * One plan. FAILED: a host taken away (N+1), or NONE. BUDGET: starts
 * allowed. OUT: verdicts (NULL: none written, for the N+1 check).
 * PENDING (when not NULL) gets 1 for each VM that wanted a start and got
 * none. Returns the number of starts; *N_PENDING how many wanted one and
 * got none.
 */
static size_t plan_run(struct plan_ctx *c, size_t failed, uint64_t budget, struct place_result *out,
		       uint8_t *pending, size_t *n_pending)
{
	size_t starts = 0, n_pend = 0;
	char why[sizeof(out->reason)];

	reset_hosts(c, failed);
	/* Only place_plan asks for verdicts, and it fails no host. */
	if (out != NULL)
		for (size_t i = 0; i < c->n_vms; i++)
			if (!wants_start(&c->vms[i], false))
				fixed_verdict(&c->vms[i], &out[i]);
	for (size_t k = 0; k < c->n_vms; k++) {
		size_t i = c->order[k];
		const struct vm_spec *s = c->vms[i].spec;
		const struct vm_prep *p = &c->prep[i];
		struct choice ch;
		size_t h;

		if (!wants_start(&c->vms[i], failed != NONE && p->run_host == failed))
			continue;
		choose_host(c, i, &ch, out != NULL ? why : NULL, sizeof(why));
		h = ch.host;
		if (h == NONE || starts >= budget) {
			/* Out of start slots, a VM that could not go anywhere
			 * anyway says so rather than "waiting". */
			n_pend++;
			if (pending != NULL)
				pending[i] = 1;
			if (out != NULL)
				set_result(&out[i], PLAN_PENDING, 0,
					   h == NONE ? why : "waiting for a start slot");
			continue;
		}
		if (out != NULL) {
			start_reason(c, i, &ch, why, sizeof(why));
			set_result(&out[i], PLAN_START, c->hosts[h].nodeid, why);
		}
		c->mem_left[h] -= s->memory_mib;
		c->vcpu_left[h] -= s->vcpus;
		c->vms_on[h]++;
		if (p->group != 0)
			c->count[(size_t)(p->group - 1) * c->n_hosts + h]++;
		starts++;
	}
	if (n_pending != NULL)
		*n_pending = n_pend;
	return starts;
}

/* --- the calls --------------------------------------------------------- */

size_t place_plan(const struct place_host *hosts, size_t n_hosts, const struct place_vm *vms,
		  size_t n_vms, const struct place_params *p, struct place_result *out)
{
	struct plan_ctx c;
	uint64_t budget = UINT64_MAX;
	size_t starts;

	if (p != NULL && p->max_starts != 0)
		budget = p->max_starts > p->starts_in_flight
				 ? (uint64_t)p->max_starts - p->starts_in_flight
				 : 0;
	if (plan_prepare(&c, hosts, n_hosts, vms, n_vms, p) < 0) {
		/* No room to plan: nothing is started, and each VM that
		 * wants a start says why, so that status shows it; the
		 * next pass (a level-triggered loop) tries again. */
		for (size_t i = 0; i < n_vms; i++) {
			if (wants_start(&vms[i], false))
				set_result(&out[i], PLAN_PENDING, 0, "planner out of memory");
			else
				fixed_verdict(&vms[i], &out[i]);
		}
		return 0;
	}
	starts = plan_run(&c, NONE, budget, out, NULL, NULL);
	plan_free(&c);
	return starts;
}

/* NAMES of the VMs marked in PENDING, comma-separated; when they do not
 * all fit, as many as fit followed by ", ..." (or "..." alone). */
static void pending_names(const struct place_vm *vms, size_t n_vms, const uint8_t *pending,
			  char *names, size_t cap)
{
	size_t len = 0, last = NONE, all = 0;

	if (cap == 0)
		return;
	names[0] = '\0';
	for (size_t i = 0; i < n_vms; i++) {
		if (pending[i]) {
			all += (all ? 2 : 0) + strlen(vms[i].spec->name);
			last = i;
		}
	}
	if (all < cap)
		last = NONE; /* everything fits: no room kept for dots */
	for (size_t i = 0; i < n_vms; i++) {
		const char *sep = len ? ", " : "";
		size_t need;

		if (!pending[i])
			continue;
		need = strlen(sep) + strlen(vms[i].spec->name);
		/* A name goes in if it leaves room for the ", ..." that may
		 * follow it (the last name need not). */
		if (len + need + (i == last || last == NONE ? 0 : 5) + 1 <= cap) {
			snprintf(names + len, cap - len, "%s%s", sep, vms[i].spec->name);
			len += need;
			continue;
		}
		text_append(names, cap, len ? ", ..." : "...", "");
		return;
	}
}

size_t place_check_n1(const struct place_host *hosts, size_t n_hosts, const struct place_vm *vms,
		      size_t n_vms, const struct place_params *p, uint32_t *worst_host, char *names,
		      size_t cap)
{
	struct plan_ctx c;
	size_t worst = NONE, worst_n = 0;
	uint8_t *pending;

	*worst_host = 0;
	if (cap > 0)
		names[0] = '\0';
	pending = calloc(n_vms ? n_vms : 1, 1);
	if (pending == NULL || plan_prepare(&c, hosts, n_hosts, vms, n_vms, p) < 0) {
		/* Cannot tell, so claim no safety: every VM that wants to
		 * run counts as one that might find no place. */
		size_t n = 0;
		for (size_t i = 0; i < n_vms; i++)
			n += !vms[i].spec->stopped;
		if (cap > 0)
			snprintf(names, cap, "planner out of memory");
		free(pending);
		return n;
	}
	for (size_t h = 0; h < n_hosts; h++) {
		size_t n;

		if (!hosts[h].eligible)
			continue;
		plan_run(&c, h, UINT64_MAX, NULL, NULL, &n);
		if (n > worst_n ||
		    (n == worst_n && n > 0 && hosts[h].nodeid < hosts[worst].nodeid)) {
			worst = h;
			worst_n = n;
		}
	}
	if (worst != NONE) {
		/* Once more for the worst host, to name its VMs. */
		plan_run(&c, worst, UINT64_MAX, NULL, pending, NULL);
		*worst_host = hosts[worst].nodeid;
		pending_names(vms, n_vms, pending, names, cap);
	}
	plan_free(&c);
	free(pending);
	return worst_n;
}
