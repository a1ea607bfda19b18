/*
 * vm_place.h: where each protected VM should run -- the pure planner the
 * coordinator uses to recover VMs and `havm plan --fail` uses to predict.
 * No I/O, no clock, no globals: the same input gives the same output, so a
 * coordinator that just took over decides as its predecessor would have.
 *
 * Input: the hosts (with what each can take now) and the protected VMs
 * (with where each runs now, if anywhere). Output: for each VM one verdict:
 * leave it (running, or stopped on purpose), start it on host H, or pending
 * with a reason an operator can read.
 *
 * Rules, in this order:
 *  1. Only eligible hosts take VMs (member of the quorate partition,
 *     libvirt answering and warmed, joined to the storage lockspace, not in
 *     maintenance); an ineligible host's reason is in why_not.
 *  2. A VM never goes to a host in its avoid list.
 *  3. Capacity is hard: memory (the host's free memory minus what this plan
 *     already put there must hold the VM's memory) and vCPUs (at most
 *     cpus * vcpu_ratio in all, running and planned).
 *  4. Anti-affinity is soft but strong: a VM goes to a host with no running
 *     or planned member of its group when any such host fits. When none
 *     does, it shares rather than stays pending: with the host with the
 *     fewest members of its group, so that a group still spreads evenly.
 *  5. Preference: the first host of its prefer list that fits wins (after 4).
 *  6. Otherwise spread: the host with the most free memory after the
 *     placements planned so far (ties: fewest VMs, then lowest node id).
 * VMs are placed highest priority first (ties: by name), at most
 * max_starts of them (the rest: pending "waiting for a start slot"), so
 * that when capacity is short the most important VMs get it. A VM that
 * fits nowhere takes no slot, and says why it fits nowhere even when the
 * slots are gone.
 *
 * Deterministic whatever the order of the input: ties fall to node ids and
 * names, and reasons list hosts by node id.
 *
 * Cost: one sort of the VMs, then O(VMs * hosts); 32 hosts x 2000 VMs plan
 * in about half a millisecond (tests/bench/bench_plan).
 */
#ifndef HAVM_VM_PLACE_H
#define HAVM_VM_PLACE_H

#include "vm_config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct place_host {
	uint32_t nodeid;
	char name[VMCFG_NAME_MAX + 1];
	bool eligible;
	char why_not[96];        /* when !eligible: "libvirt not answering", ... */
	uint64_t mem_free_mib;   /* free for VMs now (running VMs already out) */
	uint32_t cpus;           /* physical CPUs */
	uint32_t vcpus_used;     /* vCPUs of the VMs running there now */
	uint32_t n_vms;          /* VMs running there now */
};

enum place_where {
	PLACE_RUNNING = 0,       /* running on `host` (a host in the input) */
	PLACE_DOWN = 1,          /* runs nowhere: to start if wanted */
	PLACE_BLOCKED = 2,       /* must not be started now; `blocked` says why
				  * (its host is lost and not yet fenced,
				  * a start is in flight, in back-off...) */
};

struct place_vm {
	const struct vm_spec *spec;
	enum place_where where;
	uint32_t host;           /* RUNNING: where (node id) */
	char blocked[192];       /* BLOCKED: why */
	/* Hosts this VM must not be started on now, on top of its avoid list
	 * (e.g. the host where it just failed to start): node ids, 0-ended. */
	uint32_t exclude[4];
};

enum place_verdict {
	PLAN_KEEP = 0,           /* running, or stopped on purpose: nothing to do */
	PLAN_START = 1,          /* start on `host` */
	PLAN_PENDING = 2,        /* wanted but not started now: `reason` */
	PLAN_STOP = 3,           /* running but its state is stopped: stop it */
};

struct place_result {
	enum place_verdict verdict;
	uint32_t host;           /* START: where; KEEP of a running VM, STOP:
				  * where it runs; else 0 */
	char reason[200];        /* START: why there ("preferred host", "most
				  * free memory (N MiB)", "anti-affinity group
				  * G, then ..."); PENDING: why not ("no host has
				  * N MiB free (most: kvm2 M MiB)", "every
				  * eligible host is in its avoid list", "no
				  * eligible host (kvm2: lost)", "waiting for a
				  * start slot", or the BLOCKED text); KEEP:
				  * "running" or "stopped"; STOP: "its state is
				  * stopped" */
};

struct place_params {
	uint32_t max_starts;     /* starts in one plan; 0: no limit */
	uint32_t vcpu_ratio;     /* vCPUs per physical CPU; 0: 4 */
	uint32_t starts_in_flight; /* already running: they count against max_starts */
};

/*
 * Plan: OUT[i] for VMS[i]. HOSTS are all hosts known (ineligible ones too,
 * so that a running VM's host can be named). Running VMs are counted on
 * their hosts as given (the caller has put them in mem_free/vcpus_used/
 * n_vms already; the planner adds only what it plans). Returns the number
 * of PLAN_START verdicts.
 *
 * Verdicts: a stopped-state VM is KEEP "stopped" (DOWN or BLOCKED) or STOP
 * (RUNNING); a RUNNING VM is KEEP where it runs; a BLOCKED one PENDING
 * with its `blocked` text; a DOWN one START or PENDING by the rules above.
 * Running members of a group count on their host for anti-affinity (a
 * stopped-state one too, until it is stopped); BLOCKED ones count nowhere.
 * P NULL means all defaults. Any number of VMs and hosts (not bound to
 * VMCFG_VMS_MAX). Allocates a few arrays per call; when that fails nothing
 * starts (returns 0) and each VM that wants a start is PENDING "planner
 * out of memory" (the others get their verdicts as usual).
 */
size_t place_plan(const struct place_host *hosts, size_t n_hosts, const struct place_vm *vms,
		  size_t n_vms, const struct place_params *p, struct place_result *out);

/*
 * N+1: for each eligible host in turn, plan as if it failed (its running
 * VMs DOWN, the host ineligible, no start limit). Returns the most VMs left
 * PENDING by any one such failure (0: every protected VM would have a
 * place whichever host failed); *WORST_HOST is that host (0 when none),
 * NAMES (CAP bytes, NUL-terminated, truncated with "...") the names of the
 * VMs it would leave without a place, comma-separated, in input order.
 *
 * Counted: VMs that want to run and are left PENDING for want of a place,
 * including those that have none even without a failure; not BLOCKED VMs
 * (they wait for something else) nor stopped ones. P's max_starts and
 * starts_in_flight are ignored, its vcpu_ratio used. Ties go to the lowest
 * node id. With no eligible host there is nothing to fail: 0. When out of
 * memory it cannot tell, so it claims no safety: it returns the number of
 * VMs not stopped, *WORST_HOST 0 and NAMES "planner out of memory".
 */
size_t place_check_n1(const struct place_host *hosts, size_t n_hosts, const struct place_vm *vms,
		      size_t n_vms, const struct place_params *p, uint32_t *worst_host, char *names,
		      size_t cap);

/* "keep", "start", "pending", "stop". */
const char *place_verdict_name(enum place_verdict v);

#endif
