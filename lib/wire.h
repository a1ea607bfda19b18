/*
 * wire.h: every message havm sends, in one place.
 *
 * Two channels carry them:
 *  - CPG, between the havmd of each host (node state broadcasts);
 *  - the control socket (libqb IPC), between the havm CLI and havmd.
 *
 * Every message starts with the same 12-byte header:
 *
 *   offset size field
 *   0      4    magic    0x4841564d ("HAVM")
 *   4      2    version  HAVM_WIRE_VERSION
 *   6      2    type     enum havm_msg_type
 *   8      4    length   whole message including this header
 *
 * All integers are big-endian with the widths shown in each encoder.
 * Strings are a 2-byte length followed by that many bytes, no NUL; each has
 * a maximum and must be printable ASCII. A receiver checks the header
 * (magic, version, type, length equal to the bytes received), every field's
 * bounds and range, and that nothing is left over; anything else is
 * rejected with -EBADMSG (malformed) or -EPROTONOSUPPORT (other version),
 * and the caller logs and drops it. A peer never makes us trust a length.
 *
 * This file has no dependencies beyond libc so that fuzz targets can build
 * it on its own.
 */
#ifndef HAVM_WIRE_H
#define HAVM_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HAVM_WIRE_MAGIC 0x4841564dU
#define HAVM_WIRE_VERSION 2 /* 2: VM reports with lease flags and CPU loads */
#define HAVM_WIRE_HDR_LEN 12
#define HAVM_WIRE_MSG_MAX 65536 /* also the IPC buffer size */

#define WIRE_NAME_MAX 63
#define WIRE_VERSION_STR_MAX 31
#define WIRE_TEXT_MAX 1023
#define WIRE_PATH_MAX 1023
#define WIRE_NODES_MAX 64
#define WIRE_EVENT_TYPE_MAX 31  /* "storage-heartbeat-changed" */
#define WIRE_EVENT_VM_MAX 127   /* a VM's name, escaped */
#define WIRE_EVENT_TEXT_MAX 511 /* an event's key=value details */
#define WIRE_EVENTS_MAX 1000    /* the most events one request may ask for */
#define WIRE_EVENTS_DEFAULT 50  /* what `havm events` asks for without -n */

/* Largest encoding of each message, for callers' buffers (a string costs
 * its 2-byte length plus its maximum). */
#define WIRE_STR_MAX_LEN(max) (2 + (max))
#define WIRE_NODE_STATE_MAX_LEN \
	(HAVM_WIRE_HDR_LEN + 4 + 1 + 8 + WIRE_STR_MAX_LEN(WIRE_NAME_MAX) + \
	 WIRE_STR_MAX_LEN(WIRE_VERSION_STR_MAX) + 8 + 1 + 8 + 2 + \
	 WIRE_NODES_MAX * (4 + 8 + 1 + 8 + 8 + 8))
#define WIRE_STATUS_NODE_MAX_LEN \
	(4 + 1 + 1 + 1 + 1 + 8 + WIRE_STR_MAX_LEN(WIRE_NAME_MAX) + WIRE_STR_MAX_LEN(WIRE_VERSION_STR_MAX))
#define WIRE_STATUS_REPLY_MAX_LEN \
	(HAVM_WIRE_HDR_LEN + WIRE_STR_MAX_LEN(WIRE_NAME_MAX) + 1 + 4 + 4 + 4 + 8 + 8 + 1 + 4 + \
	 WIRE_STR_MAX_LEN(WIRE_PATH_MAX) + 2 + WIRE_NODES_MAX * WIRE_STATUS_NODE_MAX_LEN)
#define WIRE_DEBUG_DUMP_REPLY_MAX_LEN (HAVM_WIRE_HDR_LEN + WIRE_STR_MAX_LEN(WIRE_PATH_MAX))
#define WIRE_ERROR_REPLY_MAX_LEN (HAVM_WIRE_HDR_LEN + 4 + WIRE_STR_MAX_LEN(WIRE_TEXT_MAX))
_Static_assert(WIRE_STATUS_REPLY_MAX_LEN <= HAVM_WIRE_MSG_MAX, "status reply fits a message");

enum havm_msg_type {
	/* CPG */
	HAVM_MSG_NODE_STATE = 1,
	HAVM_MSG_FENCE_RESULT = 2,
	HAVM_MSG_FENCE_REQUEST = 3, /* an operator asked to fence a host */
	HAVM_MSG_TIEBREAK_LEASE = 4, /* a host got or lost the tiebreaker lease */
	HAVM_MSG_VMCFG = 5,      /* the cluster configuration: a change, or all of it */
	HAVM_MSG_VM_REPORT = 6,  /* a host's domains and capacity */
	HAVM_MSG_VM_ACTION = 7,  /* the coordinator asks a host to start or stop a VM */
	HAVM_MSG_VM_RESULT = 8,  /* how a host's action ended */
	HAVM_MSG_VM_REQUEST = 9, /* an operator asks the coordinator to migrate a VM */
	/* control socket: requests */
	HAVM_MSG_STATUS_REQ = 100,
	HAVM_MSG_DEBUG_DUMP_REQ = 101,
	HAVM_MSG_NODE_FENCE_REQ = 102, /* body: target node id */
	HAVM_MSG_EVENTS_REQ = 103,     /* body: how many of the newest events */
	HAVM_MSG_DOC_REQ = 104,        /* a document (configuration text, VM list, plan) */
	HAVM_MSG_VMCFG_REQ = 105,      /* a configuration change, in chunks */
	HAVM_MSG_VM_MIGRATE_REQ = 106, /* `havm vm migrate NAME NODE` */
	HAVM_MSG_ALERT_TEST_REQ = 107, /* `havm alert test`: body u32 count */
	/* control socket: replies */
	HAVM_MSG_STATUS_REPLY = 200,
	HAVM_MSG_DEBUG_DUMP_REPLY = 201,
	HAVM_MSG_NODE_FENCE_REPLY = 202, /* no body: the request went to the cluster */
	HAVM_MSG_EVENTS_REPLY = 203,
	HAVM_MSG_DOC_REPLY = 204,
	HAVM_MSG_VMCFG_REPLY = 205,
	HAVM_MSG_VM_MIGRATE_REPLY = 206, /* no body: the request went to the coordinator */
	HAVM_MSG_ALERT_TEST_REPLY = 207, /* no body: the events are recorded */
	HAVM_MSG_ERROR_REPLY = 299,
};

/* What a daemon says about itself. */
enum havm_daemon_state {
	HAVM_DAEMON_STARTING = 1,
	HAVM_DAEMON_RUNNING = 2,
	HAVM_DAEMON_STOPPING = 3,
};
#define HAVM_DAEMON_STATE_MAX HAVM_DAEMON_STOPPING

/* The shared storage as havmd on the answering host sees it. */
enum havm_storage_state {
	HAVM_STORAGE_OFF = 0,           /* no storage group in havm.conf */
	HAVM_STORAGE_PROBING = 1,       /* being checked */
	HAVM_STORAGE_MISSING = 2,       /* the path does not exist */
	HAVM_STORAGE_UNINITIALISED = 3, /* no havm lockspace there: havm storage init */
	HAVM_STORAGE_UNREACHABLE = 4,   /* I/O fails or hangs */
	HAVM_STORAGE_NO_SANLOCK = 5,    /* sanlock is not running on this host */
	HAVM_STORAGE_JOINING = 6,       /* joining the lockspace (about 20 s) */
	HAVM_STORAGE_JOINED = 7,        /* our heartbeat is being written */
	HAVM_STORAGE_FAILED = 8,        /* the join failed; retrying */
};
#define HAVM_STORAGE_STATE_MAX HAVM_STORAGE_FAILED

/* A host's storage heartbeat (sanlock delta lease) as sanlock sees it. */
enum havm_heartbeat {
	HAVM_HB_UNKNOWN = 0, /* not known here (storage off, not joined yet) */
	HAVM_HB_LIVE = 1,    /* renewed recently */
	HAVM_HB_FAILING = 2, /* renewals stopped; not yet dead */
	HAVM_HB_DEAD = 3,    /* stopped long enough that sanlock calls it dead */
	HAVM_HB_NONE = 4,    /* never written (the host never joined) */
};
#define HAVM_HB_MAX HAVM_HB_NONE

/* Typed status codes carried in error replies. */
enum havm_status {
	HAVM_OK = 0,
	HAVM_E_BADMSG = 1,    /* the request was malformed */
	HAVM_E_UNKNOWN = 2,   /* unknown request type */
	HAVM_E_INTERNAL = 3,  /* havmd failed to do it; see its log */
	HAVM_E_UNAVAILABLE = 4, /* switched off by configuration */
	HAVM_E_VERSION = 5,   /* the request's wire version is not ours */
	HAVM_E_DENIED = 6,    /* the peer is neither root nor in haclient */
	HAVM_E_REFUSED = 7,   /* not allowed now (say, no quorum); the text says why */
	HAVM_E_NOTFOUND = 8,  /* no such host (or VM) */
	HAVM_E_INVALID = 9,   /* the request's content is invalid; the text says why */
	HAVM_E_CONFLICT = 10, /* the configuration changed meanwhile; try again */
};
#define HAVM_STATUS_MAX HAVM_E_CONFLICT

struct wire_hdr {
	uint32_t magic;
	uint16_t version;
	uint16_t type;
	uint32_t length;
};

/* HAVM_MSG_NODE_STATE: sent by a daemon on joining the group and whenever
 * its own state or the membership changes. */
/* What a daemon knows about one host's life (fence_plan.h, host_facts). */
#define WIRE_FACT_WATCHDOG 0x01 /* that incarnation's sanlock has a watchdog */
#define WIRE_FACT_FLAGS_ALL 0x01
struct wire_host_facts {
	uint32_t nodeid;
	uint64_t inc;        /* newest incarnation seen; 0: never */
	uint8_t flags;       /* WIRE_FACT_* */
	uint64_t generation; /* its sanlock lockspace generation; 0: unknown */
	uint64_t closed_inc; /* newest incarnation with a valid "off" record */
	uint64_t void_inc;   /* an "off" record for this one was found wrong */
};
#define WIRE_HOST_FACTS_LEN (4 + 8 + 1 + 8 + 8 + 8)

#define WIRE_NODE_STATE_WATCHDOG 0x01 /* the sender's sanlock runs with a watchdog */
#define WIRE_NODE_STATE_UNSAFE 0x02   /* storage.unsafe_no_watchdog_for_tests is on */
#define WIRE_NODE_STATE_FLAGS_ALL 0x03
struct wire_node_state {
	uint32_t nodeid;
	uint8_t state;       /* enum havm_daemon_state */
	uint64_t start_time; /* daemon start, seconds since the epoch */
	char name[WIRE_NAME_MAX + 1];
	char version[WIRE_VERSION_STR_MAX + 1];
	uint64_t incarnation; /* this start of havmd on this boot; never 0 */
	uint8_t flags;        /* WIRE_NODE_STATE_* */
	uint64_t generation;  /* our sanlock lockspace generation; 0: not joined */
	/* Everything the sender knows about every host's life, so that a
	 * daemon that joins (or a new coordinator) knows what it missed. */
	uint16_t n_facts;
	struct wire_host_facts facts[WIRE_NODES_MAX];
};

/* HAVM_MSG_FENCE_RESULT: the coordinator tells every member how a fence
 * ended; each appends it to its fence history in the same (CPG) order. */
enum havm_fence_result {
	HAVM_FENCE_OFF_VERIFIED = 1, /* a level powered it off, status read off */
	HAVM_FENCE_FAILED = 2,       /* every level failed; retrying */
	HAVM_FENCE_STORAGE_DEAD = 3, /* no power fence; sanlock reports it dead */
};
#define HAVM_FENCE_RESULT_MAX HAVM_FENCE_STORAGE_DEAD
struct wire_fence_result {
	uint32_t target;  /* node id of the fenced host */
	uint8_t result;   /* enum havm_fence_result */
	uint8_t level;    /* 1-based level that worked; 0 if none */
	uint64_t time;    /* seconds since the epoch, by the coordinator's clock */
	uint32_t elapsed_ms; /* from the host's loss until this result */
	uint64_t incarnation; /* the life of the host it is about; never 0 */
	char detail[WIRE_TEXT_MAX + 1]; /* devices used, or what failed */
};
#define WIRE_FENCE_RESULT_MAX_LEN \
	(HAVM_WIRE_HDR_LEN + 4 + 1 + 1 + 8 + 4 + 8 + WIRE_STR_MAX_LEN(WIRE_TEXT_MAX))

/* HAVM_MSG_TIEBREAK_LEASE: the sender's havmd says whether it holds the
 * tiebreaker lease (lib/storage.h). Sent when that changes and again when a
 * daemon joins the group; the quorum device's vote follows it
 * (lib/tiebreak_vote.h). NODEID must be the sender's own. */
struct wire_tiebreak_lease {
	uint32_t nodeid;
	uint8_t held; /* 1: held, 0: not (lost, released, never got it) */
};
#define WIRE_TIEBREAK_LEASE_LEN (HAVM_WIRE_HDR_LEN + 4 + 1)

/* One host in a status reply. */
#define WIRE_NODE_CONFIGURED   0x01 /* listed in havm.conf */
#define WIRE_NODE_MEMBER       0x02 /* in corosync's quorum membership */
#define WIRE_NODE_ONLINE       0x04 /* its havmd is in our CPG group */
#define WIRE_NODE_COORDINATOR  0x08
#define WIRE_NODE_LOCAL        0x10 /* the host answering */
#define WIRE_NODE_HAVE_STATE   0x20 /* we received its node state */
#define WIRE_NODE_FENCE_PENDING 0x40 /* lost, not proven off yet */
#define WIRE_NODE_FENCED       0x80 /* proven off (power or sanlock), not back */
#define WIRE_NODE_FLAGS_ALL    0xff
/* What fencing knows of a host's current life (wire_status_node.fence_info). */
#define WIRE_FENCE_INFO_KNOWN    0x01 /* its life is known (announced or recorded) */
#define WIRE_FENCE_INFO_WATCHDOG 0x02 /* that life announced a sanlock watchdog */
#define WIRE_FENCE_INFO_UNSAFE   0x04 /* its havmd runs unsafe_no_watchdog_for_tests */
#define WIRE_FENCE_INFO_GENERATION 0x08 /* that life announced its heartbeat's generation */
#define WIRE_FENCE_INFO_ALL      0x0f
struct wire_status_node {
	uint32_t nodeid;
	uint8_t flags;
	uint8_t fence_info;  /* WIRE_FENCE_INFO_* */
	uint8_t state;       /* enum havm_daemon_state, valid with HAVE_STATE */
	uint8_t heartbeat;   /* enum havm_heartbeat */
	uint64_t start_time;
	char name[WIRE_NAME_MAX + 1];
	char version[WIRE_VERSION_STR_MAX + 1];
};

#define WIRE_STATUS_COROSYNC_UP 0x01 /* havmd is connected to corosync */
#define WIRE_STATUS_QUORATE     0x02
#define WIRE_STATUS_SETTLING    0x04 /* membership views not yet agreeing */
#define WIRE_STATUS_FLAGS_ALL   0x07
struct wire_status_reply {
	char cluster_name[WIRE_NAME_MAX + 1];
	uint8_t flags;
	uint32_t local_nodeid;
	uint32_t coordinator; /* 0: none (no quorum) */
	uint32_t ring_nodeid; /* ring id as corosync reports it */
	uint64_t ring_seq;
	uint64_t now;         /* the daemon's clock, for uptimes */
	uint8_t storage;      /* enum havm_storage_state */
	uint32_t storage_for_s; /* seconds in that state (joining: the wait after a boot) */
	char storage_path[WIRE_PATH_MAX + 1];
	uint16_t n_nodes;
	struct wire_status_node nodes[WIRE_NODES_MAX];
};

/* HAVM_MSG_ALERT_TEST_REQ: record COUNT test events (1..WIRE_ALERT_TEST_MAX). */
#define WIRE_ALERT_TEST_MAX 10000
int wire_alert_test_encode(void *buf, size_t cap, uint32_t count);
int wire_alert_test_decode(const void *buf, size_t len, uint32_t *count);

/* HAVM_MSG_EVENTS_REQ: `havm events -n MAX`. */
struct wire_events_request {
	uint16_t max; /* 1..WIRE_EVENTS_MAX */
};
#define WIRE_EVENTS_REQUEST_LEN (HAVM_WIRE_HDR_LEN + 2)

/* One event of havmd's ring (lib/event_ring.h), as `havm events` gets it. */
struct wire_event {
	uint64_t seq;     /* per start of havmd; not 0 */
	uint64_t time_ms; /* wall clock of the recording host, ms since the epoch */
	uint8_t severity; /* syslog level, LOG_EMERG (0) to LOG_DEBUG (7) */
	uint32_t nodeid;  /* the host it is about; 0 if none */
	char type[WIRE_EVENT_TYPE_MAX + 1]; /* "quorum-lost": a-z, 0-9 and '-'; not empty */
	char host[WIRE_NAME_MAX + 1];       /* the host's name; "" if none (then nodeid 0 or unknown) */
	char vm[WIRE_EVENT_VM_MAX + 1];     /* "" if none */
	char text[WIRE_EVENT_TEXT_MAX + 1]; /* key=value details */
};
#define WIRE_EVENT_MAX_LEN \
	(8 + 8 + 1 + 4 + WIRE_STR_MAX_LEN(WIRE_EVENT_TYPE_MAX) + WIRE_STR_MAX_LEN(WIRE_NAME_MAX) + \
	 WIRE_STR_MAX_LEN(WIRE_EVENT_VM_MAX) + WIRE_STR_MAX_LEN(WIRE_EVENT_TEXT_MAX))

/*
 * HAVM_MSG_EVENTS_REPLY: the newest events, oldest first (seq increasing).
 * Events are of any size up to WIRE_EVENT_MAX_LEN, so how many fit in
 * HAVM_WIRE_MSG_MAX depends on them: havmd sends the newest that fit and
 * counts the rest of those asked for in CUT.
 */
struct wire_events_reply {
	uint32_t held;    /* events in havmd's ring now */
	uint64_t dropped; /* events dropped from the ring, oldest first, since havmd started */
	uint32_t cut;     /* asked for and held, but older than the reply had room for */
	uint16_t n_events;
	struct wire_event events[WIRE_EVENTS_MAX];
};
/* The reply without its events: each adds wire_event_len() bytes. */
#define WIRE_EVENTS_REPLY_FIXED_LEN (HAVM_WIRE_HDR_LEN + 4 + 8 + 4 + 2)
/* Any WIRE_EVENTS_REPLY_MIN_FIT events fit a reply, however long. */
#define WIRE_EVENTS_REPLY_MIN_FIT \
	((HAVM_WIRE_MSG_MAX - WIRE_EVENTS_REPLY_FIXED_LEN) / WIRE_EVENT_MAX_LEN)
_Static_assert(WIRE_EVENTS_REPLY_MIN_FIT >= WIRE_EVENTS_DEFAULT, "the default always fits");

struct wire_debug_dump_reply {
	char path[WIRE_PATH_MAX + 1]; /* blackbox file havmd wrote */
};

struct wire_error_reply {
	uint32_t status; /* enum havm_status */
	char message[WIRE_TEXT_MAX + 1];
};

/*
 * Encoders write into BUF of CAP bytes and return the message length, or
 * -EMSGSIZE if it does not fit, or -EINVAL if a field is out of range
 * (a too-long string, say): we never send what we would refuse to receive.
 * Decoders return 0 or -EBADMSG / -EPROTONOSUPPORT.
 */
int wire_hdr_decode(const void *buf, size_t len, struct wire_hdr *h);
/* Just the header and a request with no body (status, debug dump). */
int wire_request_encode(void *buf, size_t cap, enum havm_msg_type type);
int wire_request_decode(const void *buf, size_t len, uint16_t *type);

int wire_node_state_encode(void *buf, size_t cap, const struct wire_node_state *m);
int wire_node_state_decode(const void *buf, size_t len, struct wire_node_state *m);
/* HAVM_MSG_FENCE_REQUEST (CPG) and HAVM_MSG_NODE_FENCE_REQ (control socket)
 * share this body: the host to fence. */
struct wire_fence_request {
	uint32_t target;
};
int wire_fence_request_encode(void *buf, size_t cap, uint16_t type, const struct wire_fence_request *m);
int wire_fence_request_decode(const void *buf, size_t len, uint16_t type, struct wire_fence_request *m);
int wire_fence_result_encode(void *buf, size_t cap, const struct wire_fence_result *m);
int wire_fence_result_decode(const void *buf, size_t len, struct wire_fence_result *m);
const char *wire_fence_result_name(uint8_t result);
int wire_tiebreak_lease_encode(void *buf, size_t cap, const struct wire_tiebreak_lease *m);
int wire_tiebreak_lease_decode(const void *buf, size_t len, struct wire_tiebreak_lease *m);
int wire_status_reply_encode(void *buf, size_t cap, const struct wire_status_reply *m);
int wire_status_reply_decode(const void *buf, size_t len, struct wire_status_reply *m);
int wire_events_request_encode(void *buf, size_t cap, const struct wire_events_request *m);
int wire_events_request_decode(const void *buf, size_t len, struct wire_events_request *m);
/* The bytes E takes in an events reply, or -EINVAL if it could not be sent. */
int wire_event_len(const struct wire_event *e);
int wire_events_reply_encode(void *buf, size_t cap, const struct wire_events_reply *m);
int wire_events_reply_decode(const void *buf, size_t len, struct wire_events_reply *m);
int wire_debug_dump_reply_encode(void *buf, size_t cap, const struct wire_debug_dump_reply *m);
int wire_debug_dump_reply_decode(const void *buf, size_t len, struct wire_debug_dump_reply *m);
int wire_error_reply_encode(void *buf, size_t cap, const struct wire_error_reply *m);
int wire_error_reply_decode(const void *buf, size_t len, struct wire_error_reply *m);

/* A CPG message type this version knows (others come from a newer havmd). */
bool wire_cpg_type_known(uint16_t type);
const char *wire_daemon_state_name(uint8_t state);
const char *wire_storage_state_name(uint8_t state);
const char *wire_heartbeat_name(uint8_t hb);
const char *wire_status_text(uint32_t status);

/*
 * Messages of VM high availability (encoders and decoders in wire_vm.c).
 *
 * Texts carried whole (the cluster configuration, documents) are byte
 * strings of printable ASCII, '\n' and '\t': WIRE_CHUNK_MAX bytes per
 * message, so that every message stays under HAVM_WIRE_MSG_MAX; a longer
 * text goes in several messages of one sender, at increasing offsets.
 */
#define WIRE_CHUNK_MAX 49152
#define WIRE_BIG_TEXT_MAX (1024 * 1024) /* = VMCFG_TEXT_MAX */

/* HAVM_MSG_VMCFG (CPG): one chunk of a change or of the whole configuration. */
enum wire_vmcfg_kind {
	WIRE_VMCFG_CHANGE = 1, /* vmcfg_change_format text; version = the base it applies to */
	WIRE_VMCFG_FULL = 2,   /* vmcfg_format stored form; version and hash its own */
};
struct wire_vmcfg {
	uint8_t kind;
	uint64_t version;
	uint64_t hash;     /* FULL: vmcfg_hash; CHANGE: 0 */
	uint32_t origin;   /* CHANGE: the node whose CLI asked; FULL: the sender */
	uint64_t req_id;   /* CHANGE: the origin's request number */
	uint32_t total;    /* the whole text's length, <= WIRE_BIG_TEXT_MAX */
	uint32_t offset;   /* this chunk's place in it */
	uint32_t len;      /* this chunk's length, <= WIRE_CHUNK_MAX */
	const char *chunk; /* decode: points into the message */
};
int wire_vmcfg_encode(void *buf, size_t cap, const struct wire_vmcfg *m);
int wire_vmcfg_decode(const void *buf, size_t len, struct wire_vmcfg *m);

/*
 * HAVM_MSG_VM_REPORT (CPG): a host's domains as its libvirt reports them,
 * and what it can take. Sent when anything in it changes.
 */
#define WIRE_VM_DOMS_MAX 600
enum wire_vm_state {
	WIRE_VM_OTHER = 0,
	WIRE_VM_RUNNING = 1,
	WIRE_VM_PAUSED = 2,
	WIRE_VM_SHUTOFF = 3,
	WIRE_VM_CRASHED = 4,
	WIRE_VM_STARTING = 5, /* a start job of this host is under way */
	WIRE_VM_STOPPING = 6, /* a stop job of this host is under way */
};
#define WIRE_VM_STATE_MAX WIRE_VM_STOPPING
#define WIRE_VM_REPORT_LIBVIRT 0x01   /* libvirt answers (the report is fresh) */
#define WIRE_VM_REPORT_WARM 0x02      /* libvirt warmed up: starts are fast */
#define WIRE_VM_REPORT_LOCKSPACE 0x04 /* joined the storage lockspace: leased VMs can start */
#define WIRE_VM_REPORT_LISTED 0x08    /* the domains come from libvirt (in this life) */
#define WIRE_VM_REPORT_FLAGS_ALL 0x0f
#define WIRE_VM_DOM_UNLEASED 0x01 /* runs, and its lease is not this host's (two checks) */
#define WIRE_VM_DOM_FLAGS_ALL 0x01
struct wire_vm_dom {
	char name[WIRE_NAME_MAX + 1];
	uint8_t state;
	uint8_t flags;
	uint32_t memory_mib;
	uint32_t vcpus;
	uint32_t cpu_milli;   /* its smoothed CPU use; 1000 = one CPU busy */
};
struct wire_vm_report {
	uint64_t incarnation;
	uint64_t seq;
	uint8_t flags;
	uint64_t cfg_version; /* the cluster configuration this host holds */
	uint64_t cfg_hash;
	uint32_t cpus;
	uint64_t mem_total_mib, mem_free_mib;
	uint32_t load_milli;  /* the host's smoothed CPU use (balance.load_source) */
	uint16_t n_doms;
	struct wire_vm_dom doms[WIRE_VM_DOMS_MAX];
};
int wire_vm_report_encode(void *buf, size_t cap, const struct wire_vm_report *m);
int wire_vm_report_decode(const void *buf, size_t len, struct wire_vm_report *m);
const char *wire_vm_state_name(uint8_t state);

/* HAVM_MSG_VM_ACTION (CPG): the coordinator asks TARGET to act on VM. */
enum wire_vm_action_kind {
	WIRE_VM_START = 1,
	WIRE_VM_STOP = 2,
	WIRE_VM_MIGRATE = 3, /* live, from TARGET (where it runs) to DEST */
};
struct wire_vm_action {
	uint64_t id;          /* unique per coordinator life: (incarnation, counter) */
	uint64_t coordinator_inc;
	uint32_t target;
	uint8_t action;
	uint32_t dest;        /* MIGRATE: where to; else 0 */
	uint64_t cfg_version; /* the configuration the decision was made on */
	char vm[WIRE_NAME_MAX + 1];
};
int wire_vm_action_encode(void *buf, size_t cap, const struct wire_vm_action *m);
int wire_vm_action_decode(const void *buf, size_t len, struct wire_vm_action *m);

/* HAVM_MSG_VM_RESULT (CPG): how the sender's action ID ended. */
struct wire_vm_result {
	uint64_t id;
	uint8_t action;
	int32_t rc; /* 0 or -errno */
	char vm[WIRE_NAME_MAX + 1];
	char message[WIRE_TEXT_MAX + 1];
};
int wire_vm_result_encode(void *buf, size_t cap, const struct wire_vm_result *m);
int wire_vm_result_decode(const void *buf, size_t len, struct wire_vm_result *m);

/* HAVM_MSG_VM_REQUEST (CPG) and HAVM_MSG_VM_MIGRATE_REQ (control socket):
 * move VM to DEST (live migration). The coordinator judges it again. */
struct wire_vm_request {
	char vm[WIRE_NAME_MAX + 1];
	uint32_t dest;
};
int wire_vm_request_encode(void *buf, size_t cap, uint16_t type, const struct wire_vm_request *m);
int wire_vm_request_decode(const void *buf, size_t len, uint16_t type, struct wire_vm_request *m);

/* HAVM_MSG_DOC_REQ (control socket): a chunk of a document. */
enum wire_doc_kind {
	WIRE_DOC_CONFIG = 1,  /* `havm configure show`: operator's text form */
	WIRE_DOC_VMS = 2,     /* `havm vm list|show`: JSON */
	WIRE_DOC_PLAN = 3,    /* `havm plan --fail ARG`: JSON */
	WIRE_DOC_BALANCE = 4, /* `havm balance --dry-run`: JSON */
};
#define WIRE_DOC_KIND_MAX WIRE_DOC_BALANCE
struct wire_doc_request {
	uint8_t kind;
	uint32_t offset;
	char arg[WIRE_TEXT_MAX + 1];
};
int wire_doc_request_encode(void *buf, size_t cap, const struct wire_doc_request *m);
int wire_doc_request_decode(const void *buf, size_t len, struct wire_doc_request *m);
/* HAVM_MSG_DOC_REPLY: ID identifies the document (a hash of all of it): a
 * client that gets chunks of two documents starts again. */
struct wire_doc_reply {
	uint64_t id;
	uint32_t total, offset, len;
	const char *chunk;
};
int wire_doc_reply_encode(void *buf, size_t cap, const struct wire_doc_reply *m);
int wire_doc_reply_decode(const void *buf, size_t len, struct wire_doc_reply *m);

/* HAVM_MSG_VMCFG_REQ (control socket): a chunk of a change's text
 * (vmcfg_change_format); havmd acts once it has all TOTAL bytes. */
struct wire_vmcfg_request {
	uint32_t total, offset, len;
	const char *chunk;
};
int wire_vmcfg_request_encode(void *buf, size_t cap, const struct wire_vmcfg_request *m);
int wire_vmcfg_request_decode(const void *buf, size_t len, struct wire_vmcfg_request *m);
/* HAVM_MSG_VMCFG_REPLY: MORE: send the next chunk; DONE: applied in the
 * cluster (VERSION is the configuration's new version) and saved here. */
enum wire_vmcfg_reply_state { WIRE_VMCFG_MORE = 1, WIRE_VMCFG_DONE = 2 };
struct wire_vmcfg_reply {
	uint8_t state;
	uint64_t version;
};
int wire_vmcfg_reply_encode(void *buf, size_t cap, const struct wire_vmcfg_reply *m);
int wire_vmcfg_reply_decode(const void *buf, size_t len, struct wire_vmcfg_reply *m);

#endif
