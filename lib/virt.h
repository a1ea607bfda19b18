/*
 * virt.h: havm's calls into libvirt. Every call here may block for as long
 * as libvirtd takes (a hung libvirtd: forever), so they run only in
 * havmd's child processes (the monitor child and worker jobs, which have
 * deadlines), in the OCF agent and in the CLI -- never on havmd's loop.
 *
 * The monitor child (virt_monitor_run) is how havmd follows libvirt: it
 * connects, warms libvirt up (the first domain start after libvirtd starts
 * pays a qemu capabilities probe of several seconds: the monitor asks for
 * the domain capabilities first, so that a failover never pays it),
 * registers for lifecycle events, and writes a report to FD whenever a
 * domain changes state and at least every VIRT_REPORT_MS. havmd reads the
 * reports off its loop's dispatch; a report that is late says libvirtd is
 * not answering.
 *
 * Report format (text lines, '\n'-terminated, each at most 256 bytes):
 *   begin SEQ cpus=N mem_total_mib=N mem_free_mib=N
 *   dom NAME STATE cpu_ns=N memory_mib=N vcpus=N
 *   end SEQ
 * STATE is one of running, paused, shutoff, crashed, other. SEQ counts up
 * from 1. At most VIRT_DOMS_MAX dom lines; names as libvirt gives them
 * (only names vm_config.h accepts are reported; others are counted in
 * `end SEQ skipped=N` -- see virt_report_parse).
 */
#ifndef HAVM_VIRT_H
#define HAVM_VIRT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VIRT_REPORT_MS 1000
#define VIRT_DOMS_MAX 1024
#define VIRT_LINE_MAX 256

enum virt_state {
	VIRT_OTHER = 0,
	VIRT_RUNNING = 1,
	VIRT_PAUSED = 2,
	VIRT_SHUTOFF = 3,
	VIRT_CRASHED = 4,
};

struct virt_dom {
	char name[64];
	enum virt_state state;
	uint64_t cpu_ns;
	uint32_t memory_mib;
	uint32_t vcpus;
};

struct virt_report {
	uint64_t seq;
	uint32_t cpus;
	uint64_t mem_total_mib, mem_free_mib;
	size_t n_doms;
	struct virt_dom doms[VIRT_DOMS_MAX];
	uint32_t skipped;          /* domains with names havm does not accept */
};

/*
 * In a child process: connect to URI (e.g. "qemu:///system"), warm up,
 * then report to FD until the connection breaks or a write fails. Returns
 * -errno then (the parent starts a new child after a pause); never returns
 * 0. Writes "warm" as a line of its own once the warm-up is done, before
 * the first report.
 */
int virt_monitor_run(const char *uri, int fd);

/*
 * Incremental parser of the report stream, for havmd's loop: feed it each
 * line (without '\n'). Returns 1 when LINE completed a report (*OUT then
 * holds it), 0 when more lines are needed, 2 for the "warm" line, -EINVAL
 * for a malformed line (the report in progress is dropped; parsing resumes
 * at the next "begin").
 */
struct virt_parser {
	bool in_report;
	struct virt_report cur;
};
int virt_report_feed(struct virt_parser *p, const char *line, struct virt_report *out);

const char *virt_state_name(enum virt_state s);

/*
 * Blocking operations (worker jobs, CLI, OCF agent). ERR gets libvirt's
 * message. 0 or -errno:
 *  virt_start: create a transient domain from XML (which carries its lease).
 *    -EBUSY when the lease is held elsewhere ("Failed to acquire lock"),
 *    -EEXIST when a domain of that name already runs here.
 *  virt_stop: ask the guest to shut down (ACPI), wait up to GRACE_MS, then
 *    destroy it; -ENOENT when no such domain runs here (a success for
 *    callers that want it stopped).
 *  virt_destroy: power it off at once (-ENOENT likewise).
 *  virt_migrate: live-migrate NAME to the libvirtd at DEST_URI (e.g.
 *    "qemu+tcp://kvm2/system"), with MIGRATE_URI for the data stream (e.g.
 *    "tcp://192.0.2.12"; NULL: libvirt's default), peer-to-peer off,
 *    persistent nothing (the domain is transient on both hosts).
 */
int virt_start(const char *uri, const char *xml, char *err, size_t errlen);
/* The state of domain NAME at URI: 0 and *STATE, -ENOENT when libvirt
 * knows no such domain (a transient domain that stopped), -ENOTCONN, -EIO.
 * For the OCF agent's monitor. */
/*
 * The pid of domain NAME's qemu under qemu:///system, from the pid file
 * libvirt keeps in VIRT_QEMU_PID_DIR while it runs (no libvirt call: for
 * asking sanlock whether that process holds the VM's lease). -errno when
 * there is none or it is not a pid.
 */
#define VIRT_QEMU_PID_DIR "/run/libvirt/qemu"
int virt_qemu_pid(const char *name);

int virt_domain_state(const char *uri, const char *name, enum virt_state *state, char *err,
		      size_t errlen);
int virt_stop(const char *uri, const char *name, uint32_t grace_ms, char *err, size_t errlen);
int virt_destroy(const char *uri, const char *name, char *err, size_t errlen);
int virt_migrate(const char *uri, const char *name, const char *dest_uri, const char *migrate_uri,
		 char *err, size_t errlen);
/* The same; UNSAFE skips libvirt's check that every disk is on storage it
 * knows to be shared (VIR_MIGRATE_UNSAFE): for test beds whose "shared"
 * storage is a local directory, never for production. */
int virt_migrate_ex(const char *uri, const char *name, const char *dest_uri,
		    const char *migrate_uri, bool unsafe, char *err, size_t errlen);

#endif
