/*
 * havmd.h: the daemon's one context, passed to every function.
 * No other mutable globals: that is what lets subsystems be tested alone.
 *
 * It holds every service's state, so it includes their headers (fence.h,
 * qdevice.h, storage_watch.h, tiebreak.h): each holds only its state
 * struct and its table entry, nothing another service could call
 * (daemon/service.h).
 */
#ifndef HAVMD_H
#define HAVMD_H

#include "alerts.h"
#include "config.h"
#include "ctl_admit.h"
#include "event_ring.h"
#include "fence.h"
#include "membership.h"
#include "nodes.h"
#include "qdevice.h"
#include "send_queue.h"
#include "ratelimit.h"
#include "storage_watch.h"
#include "tiebreak.h"
#include "vm.h"
#include "wire.h"
#include "worker.h"

#include <corosync/cpg.h>
#include <corosync/quorum.h>
#include <qb/qbipcs.h>
#include <qb/qbloop.h>
#include <stdbool.h>
#include <stdint.h>

/* Fixed paths, like corosync's and sanlock's: operators and the unit file
 * expect them whatever the install prefix. */
#define HAVM_STATE_DIR "/var/lib/havm"
#define HAVM_RUN_DIR "/run"
#define HAVM_IPC_NAME "havm"

/* The link to corosync: CPG group of havmd daemons plus quorum tracking. */
struct cluster {
	cpg_handle_t cpg;
	quorum_handle_t quorum;
	bool cpg_open, quorum_open, joined;
	bool up;              /* both handles open and the group joined */
	unsigned int failed_attempts;
	qb_loop_timer_handle reconnect_timer;
	bool settled;          /* last logged: both membership views agree */
	struct cpg_name group;
	uint32_t local_nodeid;
	bool has_quorum_provider; /* corosync runs votequorum (or another provider) */
	bool quorate;
	struct ring_id quorum_ring;
	struct ring_id cpg_ring;
	uint32_t cpg_members[WIRE_NODES_MAX];
	bool synced[WIRE_NODES_MAX]; /* announced since the last join (cluster_synced) */
	uint64_t last_join_ms;
	size_t n_cpg;
	uint32_t quorum_members[WIRE_NODES_MAX];
	size_t n_quorum;
	uint32_t coordinator; /* last computed, to log changes */
	uint64_t group_joins; /* daemons that joined the group so far */
	uint64_t confchgs;    /* CPG membership changes delivered so far */
};

/* A peer's socket, from the moment libqb accepts it (ctl_server.c). */
#define CTL_SOCKS_MAX (CTL_MAX_TOTAL + 32)
#define CTL_PENDING_OUTSIDER 2 /* sockets of a uid that may not talk to havmd */
struct ctl_sock {
	bool used;
	bool established; /* an admitted connection's, not still authenticating */
	bool shut;        /* shut down for never authenticating */
	int fd;
	uid_t uid;
	uint64_t since_ms;
};

struct ctl_server {
	qb_ipcs_service_t *service;
	gid_t haclient_gid;
	bool have_haclient;
	struct ctl_admit admit;          /* admitted connections per uid */
	struct ctl_sock socks[CTL_SOCKS_MAX];
	bool accepting;                  /* between accept and created */
	struct ratelimit refusal_log, cap_log;
	qb_loop_timer_handle sweep_timer;
	/* One request is handled at a time, from the loop: one set of buffers. */
	struct wire_status_reply status;
	struct wire_events_reply events;
	uint8_t body[HAVM_WIRE_MSG_MAX];
	uint8_t reply[HAVM_WIRE_MSG_MAX + 64]; /* + libqb's response header */
};

struct havmd {
	const char *config_path;
	struct havm_config cfg;
	qb_loop_t *loop;
	bool foreground;
	uint64_t start_time;
	uint64_t incarnation; /* this start of havmd (incarnation.c) */
	enum havm_daemon_state state;
	struct cluster cluster;
	struct send_queue sendq; /* reliable multicast for every service */
	struct node_states states;
	struct ctl_server ctl;
	struct workers workers;
	struct storage_watch storage;
	struct fence_state fence;
	struct tiebreak tiebreak; /* storage.tiebreaker: the lease */
	struct qdevice qdevice;   /* storage.tiebreaker: the vote */
	struct event_ring events; /* the newest events (daemon/events.h) */
	struct vm_state vm;       /* VM high availability (daemon/vm.h) */
	struct alerts_state alerts; /* alert scripts (daemon/alerts.h) */
};

#endif
