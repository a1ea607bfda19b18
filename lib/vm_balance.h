/*
 * vm_balance.h: CPU-load balancing -- the pure planner behind "a host that
 * stays above the high CPU threshold sheds a VM by live migration". The
 * coordinator tracks how long each host has been above the threshold
 * (balance_host_above, its own clock) and passes `hot`; the planner picks
 * at most one move; the coordinator migrates, waits for fresh load figures
 * and plans again. No I/O, no clock, no globals: the same input gives the
 * same output whatever its order, so a coordinator that just took over
 * decides as its predecessor would have.
 *
 * Load: a host's share of its CPUs in use, in parts per million,
 *   ppm(host) = floor(load_milli * 1000 / cpus)       (1000000: all busy)
 * and its percentage floor(ppm / 10000). Every comparison is made on ppm
 * (integers, exact), so the guarantees below hold for what is compared.
 *
 * Rules for a move of VM v from S to T:
 *  1. S is hot (the caller's word) and not in maintenance; v runs there,
 *     is movable (running, no action under way, past its cooldown) and has
 *     load_milli > 0 (moving an idle VM gains nothing).
 *  2. T is eligible, not in maintenance, not hot, has CPUs, and is not
 *     S. Neither S nor T is at max_moves_per_host migrations under way
 *     (moves_in + moves_out: a host takes part in at most that many at
 *     once, in or out), and fewer than max_moves are under way in all.
 *  3. Capacity is hard, as in vm_place: T has v's memory free, and its
 *     vCPUs stay within cpus * vcpu_ratio.
 *  4. T is not in v's avoid list.
 *  5. Anti-affinity never gets worse: T runs no more other members of v's
 *     group than S does. Pairs of one group sharing a host change only by
 *     v's own pairs, so this is exactly "the move adds no shared pair":
 *     with none on S (the usual case) T must have none; a VM that already
 *     shares may move to a host where it shares as much or less.
 *  6. Threshold and gain: with S' and T' the ppm of S and T after the move
 *     (v's load taken from S, saturating at 0, and added to T),
 *         T' < high_pct * 10000                (T stays below the threshold)
 *         max(S', T') + min_gain_pct * 10000 <= ppm(S)
 *         max(S', T') < ppm(S)                 (even when min_gain_pct is 0)
 *     i.e. the hotter of the pair after the move is at least min_gain_pct
 *     points cooler than the source was.
 *
 * Why no ping-pong: T' < ppm(S) and S' < ppm(S), and T only gets hotter,
 * so every move replaces the source's load by two smaller ones: the hosts'
 * loads sorted hottest first decrease lexicographically with each move,
 * and with loads that do not change by themselves the moves stop. A target
 * ends below the threshold, so it cannot turn hot from this move; a VM
 * goes back to a host it left only if loads change on their own (and then
 * only after the caller's hold time: the hysteresis is `hot`).
 *
 * Which move: the hottest source first (ppm, then node id, then name);
 * when it has no valid move, the next. For one source, the move with the
 * lowest max(S', T') -- the most relief -- and among equals: a target
 * earlier in v's prefer list (listed before not listed), then the lower
 * VM priority (less important VMs move first), then less memory (a
 * cheaper migration), then the VM's name, then the target's node id.
 *
 * Not here: consolidation (emptying lightly loaded hosts below a low
 * threshold). It raises targets' loads, so it cannot use the potential
 * above; with both, a VM packed away could be balanced back. It wants its
 * own planner and argument.
 *
 * The gain is per move: on a large host of many light VMs no single move
 * may gain min_gain_pct points (one CPU of 64 is 1.6 points), and the host
 * then stays hot with "no move gains N points" -- by design, as a pass
 * that cannot show a clear gain is not worth a migration; lower
 * min_gain_pct for such hosts.
 *
 * Cost: sorts of hosts and VMs, then O(VMs on hot hosts * hosts), plus a
 * scan of a VM's group per candidate VM; 32 hosts x 2000 VMs with 9 hot
 * hosts plan in about 0.07 ms (tests/bench/bench_balance).
 */
#ifndef HAVM_VM_BALANCE_H
#define HAVM_VM_BALANCE_H

#include "vm_config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bal_host {
	uint32_t nodeid;
	char name[VMCFG_NAME_MAX + 1];
	/* May take VMs now, as place_host.eligible (member, libvirt
	 * answering, in the lockspace, not in maintenance). */
	bool eligible;
	bool in_maintenance;   /* never a source nor a target */
	uint32_t cpus;         /* physical CPUs; 0: neither source nor target */
	uint64_t mem_free_mib; /* as place_host (incoming migrations already out) */
	uint32_t vcpus_used;   /* vCPUs of the VMs there, incoming ones too */
	uint32_t load_milli;   /* smoothed CPU use; 1000 = one CPU busy */
	bool hot;              /* above high_pct for the hold time */
	uint32_t moves_out;    /* migrations under way from it */
	uint32_t moves_in;     /* migrations under way to it */
};

struct bal_vm {
	/* name, memory_mib, vcpus, prefer, avoid, group, priority */
	const struct vm_spec *spec;
	/* Node id where it runs; one not among the hosts: the VM is left
	 * alone and counts nowhere. */
	uint32_t host;
	uint32_t load_milli; /* its smoothed CPU use */
	bool movable;        /* running, no action under way, past its cooldown */
};

struct bal_params {
	uint32_t high_pct;           /* the high threshold, e.g. 80 */
	uint32_t min_gain_pct;       /* points the pair's max must drop by, e.g. 5 */
	uint32_t max_moves;          /* under way cluster-wide at most; 0: 1 */
	uint32_t max_moves_per_host; /* per host, in and out together; 0: 1 */
	uint32_t moves_in_flight;    /* under way now, cluster-wide */
	uint32_t vcpu_ratio;         /* vCPUs per physical CPU; 0: 4 */
};

struct bal_move {
	size_t vm;                         /* index into the VMs given */
	uint32_t from, to;                 /* node ids */
	uint32_t from_pct, from_pct_after; /* floor percentages */
	uint32_t to_pct, to_pct_after;
	/* "kvm1 at 95% for the hold time: web3 (40% of it) to kvm2
	 * (20% -> 40%), kvm1 to 55%" */
	char reason[160];
};

/*
 * Plan one move. Returns 1 and fills *OUT when a move is worth making now;
 * 0 when none is, with WHY (CAP bytes, NUL-terminated, cut if need be):
 *   "no host above 80% for the hold time"
 *   "migration limit reached (1 under way)"
 *   "every hot host is at its migration limit (kvm1: 1 under way)"
 *   "no VM of kvm1 can move now (3 busy or cooling down, 2 idle)"
 *   "no host can take any VM of kvm1 (no eligible host that is not hot,
 *    in maintenance or at its migration limit)"
 *   "no host can take any VM of kvm1 (of 12 VM-host pairs: 5 short of
 *    memory, 3 of vCPUs, 2 avoided, 2 anti-affinity)"
 *   "no host stays below 80% with a VM of kvm1 (closest: web3 to kvm2 at 85%)"
 *   "no move gains 5 points on kvm1 (95%): best web3 to kvm2 leaves 93%"
 * The explanation is the hottest usable source's, with "; N other hot
 * hosts: no move either" when there are more. -ENOMEM (WHY "planner out
 * of memory") when an allocation fails: nothing moves, the next pass
 * tries again. P NULL: high_pct 80, min_gain_pct 5, the other defaults.
 */
int balance_plan(const struct bal_host *hosts, size_t n_hosts, const struct bal_vm *vms,
		 size_t n_vms, const struct bal_params *p, struct bal_move *out, char *why,
		 size_t cap);

/* Whether H is above PCT percent now (ppm(H) > PCT * 10000), the test the
 * caller's hold-time tracking should use, so that it agrees with the
 * planner's arithmetic. A host without CPUs is never above. */
bool balance_host_above(const struct bal_host *h, uint32_t pct);

/* ppm(H) as defined above (0 for a host without CPUs). */
uint64_t balance_host_ppm(const struct bal_host *h);

#endif
