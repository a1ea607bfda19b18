/*
 * vm_host.c: this host's libvirt, for the VM service (vm.h).
 *
 * - The monitor: a child process (virt_monitor_run) that talks to libvirtd
 *   and writes a report of the domains at every change and at least every
 *   VIRT_REPORT_MS. libvirt calls can hang (a stopped or wedged libvirtd),
 *   and only that child waits on them: the loop reads its pipe. No report
 *   for VM_LIBVIRT_STALE_MS means libvirt is not answering; that is shown
 *   and announced, and is never a reason to move a VM (the VMs are most
 *   likely still running: qemu does not need libvirtd to run).
 * - Jobs: the coordinator's starts and stops for this host, each a worker
 *   job (daemon/worker.h) with a deadline.
 * - The report (HAVM_MSG_VM_REPORT): the monitor's domains, with the
 *   starts and stops under way here, this host's capacity, whether it can
 *   take a leased VM now, and the configuration version it holds. Sent
 *   when it changes.
 */
#define _GNU_SOURCE 1 /* pipe2 */
#include "vm.h"

#include "clock.h"
#include "cluster.h"
#include "domain_xml.h"
#include "events.h"
#include "havmd.h"
#include "log.h"
#include "service.h"
#include "storage.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define VM_LIBVIRT_URI "qemu:///system"
#define STOP_GRACE_MS 30000
#define STARTED_HOLD_MS 10000 /* a started VM shown until the monitor lists it */
/* A live migration copies the guest's memory while it runs: minutes for a
 * big, busy guest on a slow link; past this it is given up (qemu cancels
 * it and the VM runs on at the source). */
#define MIGRATE_TIMEOUT_MS 600000

static int32_t on_monitor(int32_t fd, int32_t revents, void *data);

/* KILL: the child may still run (we close on it); false after its pipe
 * ended, when it has exited and the SIGCHLD handler may have reaped it
 * already (its pid could then be another process's). */
static void monitor_close(struct havmd *h, const char *why, bool kill_it)
{
	struct vm_state *v = &h->vm;

	if (v->monitor_fd >= 0) {
		qb_loop_poll_del(h->loop, v->monitor_fd);
		close(v->monitor_fd);
	}
	if (v->monitor_pid > 0 && kill_it)
		kill(v->monitor_pid, SIGKILL); /* reaped by the workers' SIGCHLD handler */
	v->monitor_fd = -1;
	v->monitor_pid = 0;
	v->linelen = 0;
	v->warm = false;
	v->monitor_restart_ms = clock_now_ms() + VM_MONITOR_RESTART_MS;
	if (v->libvirt_ok) {
		v->libvirt_ok = false;
		event_record(h, HAVM_EV_LIBVIRT_CHANGED, LOG_WARNING, h->cluster.local_nodeid, NULL,
			     "libvirt=lost reason=\"%s\"; VMs are not moved for this", why);
	}
	v->report_dirty = true;
}

static int monitor_spawn(struct havmd *h)
{
	struct vm_state *v = &h->vm;
	int fds[2];
	pid_t pid, parent = getpid();

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		int e = errno;
		close(fds[0]);
		close(fds[1]);
		return -e;
	}
	if (pid == 0) {
		/* The child: it must not outlive havmd, nor touch its loop. */
		sigset_t all;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		signal(SIGCHLD, SIG_DFL);
		signal(SIGPIPE, SIG_IGN);
		/* Nothing of havmd's (corosync, the control socket) in libvirt's
		 * hands: only the pipe, as descriptor 3. */
		if (fds[1] == 3 ? fcntl(3, F_SETFD, 0) < 0 : dup2(fds[1], 3) < 0)
			_exit(1);
		close_range(4, ~0U, 0);
		_exit(virt_monitor_run(VM_LIBVIRT_URI, 3) == 0 ? 0 : 1);
	}
	close(fds[1]);
	fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
	v->monitor_fd = fds[0];
	v->monitor_pid = pid;
	v->linelen = 0;
	memset(v->parser, 0, sizeof(*v->parser));
	if (qb_loop_poll_add(h->loop, QB_LOOP_MED, fds[0], POLLIN, h, on_monitor) < 0) {
		monitor_close(h, "cannot watch the monitor's pipe", true);
		return -EIO;
	}
	log_info("vm: libvirt monitor started pid=%ld uri=%s", (long)pid, VM_LIBVIRT_URI);
	return 0;
}

static void on_line(struct havmd *h, const char *line)
{
	struct vm_state *v = &h->vm;
	int rc = virt_report_feed(v->parser, line, v->virt);

	if (rc == 2) {
		v->warm = true;
		v->report_dirty = true;
		log_info("vm: libvirt warmed up");
	} else if (rc == 1) {
		v->have_virt = true;
		v->virt_ms = clock_now_ms();
		vm_load_update(h, v->virt_ms);
		if (!v->libvirt_ok) {
			v->libvirt_ok = true;
			event_record(h, HAVM_EV_LIBVIRT_CHANGED, LOG_NOTICE, h->cluster.local_nodeid,
				     NULL, "libvirt=answering domains=%zu", v->virt->n_doms);
		}
		v->report_dirty = true;
	} else if (rc < 0) {
		log_warn("vm: malformed line from the libvirt monitor; skipped");
	}
}

static int32_t on_monitor(int32_t fd, int32_t revents, void *data)
{
	struct havmd *h = data;
	struct vm_state *v = &h->vm;
	char buf[4096];
	ssize_t n;

	(void)revents;
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			log_warn("vm: the libvirt monitor ended; restarting it in %d ms",
				 VM_MONITOR_RESTART_MS);
			monitor_close(h, "monitor ended (libvirtd stopped or restarted?)", false);
			return 0;
		}
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] == '\n') {
				v->linebuf[v->linelen] = '\0';
				on_line(h, v->linebuf);
				v->linelen = 0;
			} else if (v->linelen < VIRT_LINE_MAX) {
				v->linebuf[v->linelen++] = buf[i];
			} else {
				/* Over-long: the parser sees it as malformed. */
				v->linebuf[v->linelen] = '\0';
			}
		}
	}
	if (v->report_dirty)
		vm_host_report(h, false);
	return 0;
}

int vm_host_start(struct havmd *h)
{
	struct vm_state *v = &h->vm;

	v->monitor_fd = -1;
	v->parser = calloc(1, sizeof(*v->parser));
	v->virt = calloc(1, sizeof(*v->virt));
	v->sent = calloc(1, sizeof(*v->sent));
	v->unleased = calloc(WIRE_VM_DOMS_MAX, sizeof(*v->unleased));
	v->load = calloc(WIRE_VM_DOMS_MAX, sizeof(*v->load));
	if (!v->parser || !v->virt || !v->sent || !v->unleased || !v->load)
		return -ENOMEM;
	return monitor_spawn(h);
}

void vm_host_stop(struct havmd *h)
{
	struct vm_state *v = &h->vm;

	if (v->monitor_fd >= 0 || v->monitor_pid > 0) {
		bool ok = v->libvirt_ok;
		v->libvirt_ok = false; /* no event while stopping */
		monitor_close(h, "havmd stopping", true);
		v->libvirt_ok = ok;
	}
	free(v->parser);
	free(v->virt);
	free(v->sent);
	if (v->leasecheck_job)
		worker_cancel(h, v->leasecheck_job);
	free(v->unleased);
	free(v->load);
	v->load = NULL;
	v->n_load = 0;
	v->parser = NULL;
	v->virt = NULL;
	v->sent = NULL;
	v->unleased = NULL;
	v->n_unleased = 0;
}

static struct vm_job *job_find(struct havmd *h, const char *vm)
{
	for (size_t i = 0; i < VM_JOBS_MAX; i++)
		if (h->vm.jobs[i].used && strcmp(h->vm.jobs[i].vm, vm) == 0)
			return &h->vm.jobs[i];
	return NULL;
}

static const struct virt_dom *virt_find(const struct vm_state *v, const char *name)
{
	if (!v->have_virt)
		return NULL;
	for (size_t i = 0; i < v->virt->n_doms; i++)
		if (v->virt->doms[i].state != VIRT_SHUTOFF && strcmp(v->virt->doms[i].name, name) == 0)
			return &v->virt->doms[i];
	return NULL;
}

static uint8_t wire_state(enum virt_state s)
{
	switch (s) {
	case VIRT_RUNNING: return WIRE_VM_RUNNING;
	case VIRT_PAUSED: return WIRE_VM_PAUSED;
	case VIRT_SHUTOFF: return WIRE_VM_SHUTOFF;
	case VIRT_CRASHED: return WIRE_VM_CRASHED;
	case VIRT_OTHER: break;
	}
	return WIRE_VM_OTHER;
}

static void build_report(const struct havmd *h, bool lockspace, struct wire_vm_report *r)
{
	const struct vm_state *v = &h->vm;

	memset(r, 0, sizeof(*r));
	r->incarnation = h->incarnation;
	r->flags = (v->libvirt_ok ? WIRE_VM_REPORT_LIBVIRT : 0) | (v->warm ? WIRE_VM_REPORT_WARM : 0) |
		   (lockspace ? WIRE_VM_REPORT_LOCKSPACE : 0) |
		   (v->have_virt ? WIRE_VM_REPORT_LISTED : 0);
	r->cfg_version = v->cfg ? v->cfg->version : 0;
	r->cfg_hash = v->cfg_hash;
	if (v->have_virt) {
		r->cpus = v->virt->cpus;
		r->mem_total_mib = v->virt->mem_total_mib;
		r->mem_free_mib = v->virt->mem_free_mib;
		r->load_milli = v->host_load_pub;
		for (size_t i = 0; i < v->virt->n_doms && r->n_doms < WIRE_VM_DOMS_MAX; i++) {
			const struct virt_dom *d = &v->virt->doms[i];
			struct wire_vm_dom *w = &r->doms[r->n_doms];

			if (d->state == VIRT_SHUTOFF)
				continue; /* a defined domain that is off runs nowhere */
			snprintf(w->name, sizeof(w->name), "%s", d->name);
			w->state = wire_state(d->state);
			if (vm_leasecheck_unleased(h, d->name))
				w->flags = WIRE_VM_DOM_UNLEASED;
			w->memory_mib = d->memory_mib;
			w->vcpus = d->vcpus;
			w->cpu_milli = vm_load_dom(h, d->name);
			r->n_doms++;
		}
	}
	/* Jobs under way (and starts just done, until the monitor lists
	 * them): a coordinator must see them, or it would start them again. */
	for (size_t i = 0; i < VM_JOBS_MAX && r->n_doms < WIRE_VM_DOMS_MAX; i++) {
		const struct vm_job *j = &v->jobs[i];
		const struct vm_spec *s;
		struct wire_vm_dom *w = NULL;

		if (!j->used)
			continue;
		for (size_t k = 0; k < r->n_doms && !w; k++)
			if (strcmp(r->doms[k].name, j->vm) == 0)
				w = &r->doms[k];
		if (j->action == WIRE_VM_STOP) {
			if (w)
				w->state = WIRE_VM_STOPPING;
			continue;
		}
		if (j->action == WIRE_VM_MIGRATE)
			continue;
		if (w) {
			/* libvirt lists a domain it is starting (paused, its lease
			 * being acquired) before the start is done: starting until
			 * the job ends, or a coordinator would take it as running
			 * and send more starts than its limit. */
			if (j->worker_id)
				w->state = WIRE_VM_STARTING;
			continue;
		}
		w = &r->doms[r->n_doms++];
		snprintf(w->name, sizeof(w->name), "%s", j->vm);
		w->state = j->worker_id ? WIRE_VM_STARTING : WIRE_VM_RUNNING;
		s = v->cfg ? vmcfg_find(v->cfg, j->vm) : NULL;
		w->memory_mib = s ? s->memory_mib : 0;
		w->vcpus = s ? s->vcpus : 0;
	}
}

void vm_host_report(struct havmd *h, bool force)
{
	static struct wire_vm_report r;
	static uint8_t buf[HAVM_WIRE_MSG_MAX];
	struct vm_state *v = &h->vm;
	struct havmd_snapshot s;
	int n;

	if (!v->on || !v->sent || !h->cluster.up || !h->cluster.joined)
		return;
	services_snapshot(h, &s);
	build_report(h, s.storage.state == HAVM_STORAGE_JOINED, &r);
	r.seq = v->sent->seq;
	if (!force && memcmp(&r, v->sent, sizeof(r)) == 0) {
		v->report_dirty = false;
		return;
	}
	r.seq = ++v->report_seq;
	n = wire_vm_report_encode(buf, sizeof(buf), &r);
	if (n > 0)
		n = cluster_send(h, buf, (size_t)n);
	if (n < 0) {
		log_debug("vm: report not sent error=\"%s\"; retrying", strerror(-n));
		v->report_dirty = true;
		return;
	}
	memcpy(v->sent, &r, sizeof(r));
	v->report_dirty = false;
}

/* ---- jobs --------------------------------------------------------------- */

struct start_arg {
	char vm[VMCFG_NAME_MAX + 1];
	char xml[VMCFG_PATH_MAX + 1];
	char shared[HAVM_PATH_MAX + 1];
	char lease_path[HAVM_PATH_MAX + 1];
	uint64_t offset;
	uint32_t host_id; /* ours in the lockspace: the node id */
	uint32_t grace_ms; /* stop: ACPI first, for this long; 0: power off at once */
	bool unsafe;       /* migrate: vms.unsafe_migration_for_tests */
	char dest_uri[HAVM_NAME_MAX * 4 + 64];     /* migrate: the other libvirtd */
	char migrate_uri[HAVM_NAME_MAX * 4 + 64];  /* migrate: qemu's stream */
	uint8_t action;
};

static int read_file(const char *path, char **out, size_t *len, char *err, size_t cap)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	char *buf;
	ssize_t n;
	size_t got = 0;

	if (fd < 0 || fstat(fd, &st) < 0) {
		int e = errno;
		snprintf(err, cap, "cannot open %.300s: %s", path, strerror(e));
		if (fd >= 0)
			close(fd);
		return -e;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > DOMAIN_XML_MAX) {
		snprintf(err, cap, "%.300s is not a regular file of at most %d bytes", path,
			 DOMAIN_XML_MAX);
		close(fd);
		return -EINVAL;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while (got < (size_t)st.st_size && (n = read(fd, buf + got, (size_t)st.st_size - got)) > 0)
		got += (size_t)n;
	close(fd);
	buf[got] = '\0';
	*out = buf;
	*len = got;
	return 0;
}

/* In the worker child: start the VM with its lease, or stop it. OUT gets
 * a message for the log and the coordinator. */
static int job_run(void *arg, void *out, size_t *len)
{
	const struct start_arg *a = arg;
	const char *shared[1] = { a->shared };
	char *msg = out, *xml = NULL, *lxml = NULL;
	struct domain_info info;
	size_t xlen = 0, llen = 0;
	int rc;

	msg[0] = '\0';
	if (a->action == WIRE_VM_MIGRATE) {
		rc = virt_migrate_ex(VM_LIBVIRT_URI, a->vm, a->dest_uri, a->migrate_uri, a->unsafe,
				     msg, 512);
		goto done;
	}
	if (a->action == WIRE_VM_STOP) {
		rc = a->grace_ms ? virt_stop(VM_LIBVIRT_URI, a->vm, a->grace_ms, msg, 512)
				 : virt_destroy(VM_LIBVIRT_URI, a->vm, msg, 512);
		if (rc == -ENOENT)
			rc = 0;
		goto done;
	}
	rc = read_file(a->xml, &xml, &xlen, msg, 512);
	if (rc)
		goto done;
	rc = domain_xml_read(xml, xlen, shared, 1, &info, msg, 512);
	if (rc)
		goto done;
	if (strcmp(info.name, a->vm) != 0) {
		snprintf(msg, 512, "%.300s names domain %s, not %s", a->xml, info.name, a->vm);
		rc = -EINVAL;
		goto done;
	}
	lxml = domain_xml_with_lease(xml, xlen, a->vm, a->lease_path, a->offset, &llen, msg, 512);
	if (!lxml) {
		rc = -EINVAL;
		goto done;
	}
	rc = virt_start(VM_LIBVIRT_URI, lxml, msg, 512);
	if (rc == 0) {
		/*
		 * Proof that the lease is held, by us: libvirt ignores a <lease>
		 * unless qemu.conf has lock_manager = "sanlock", and a VM
		 * running without its lease is one that could run twice.
		 */
		uint64_t owner = 0, gen = 0;
		int lr = lease_owner(a->lease_path, a->vm, a->offset, &owner, &gen);

		if (lr == 0 && owner != a->host_id) {
			virt_destroy(VM_LIBVIRT_URI, a->vm, NULL, 0);
			snprintf(msg, 512,
				 "started without holding its lease (owner %llu): is lock_manager = "
				 "\"sanlock\" set in this host's qemu.conf? (see conf/libvirt); "
				 "stopped it",
				 (unsigned long long)owner);
			rc = -ENOLCK;
		}
	}
done:
	free(xml);
	free(lxml);
	*len = strnlen(msg, 512) + 1;
	return rc;
}

static const char *action_name(uint8_t a)
{
	return a == WIRE_VM_START ? "start" : a == WIRE_VM_STOP ? "stop" : "migrate";
}

static void send_result(struct havmd *h, const struct vm_job *j, int rc, const char *msg)
{
	if (j->action_id == 0)
		return; /* our own job (isolation): no coordinator asked */
	static uint8_t buf[HAVM_WIRE_MSG_MAX];
	struct wire_vm_result r = { .id = j->action_id, .action = j->action, .rc = rc };
	int n;

	snprintf(r.vm, sizeof(r.vm), "%s", j->vm);
	/* The wire carries printable text only. */
	for (size_t i = 0; msg && msg[i] && i < WIRE_TEXT_MAX; i++)
		r.message[i] = (msg[i] >= 0x20 && msg[i] < 0x7f) ? msg[i] : '?',
		r.message[i + 1] = '\0';
	n = wire_vm_result_encode(buf, sizeof(buf), &r);
	if (n > 0)
		n = cluster_send(h, buf, (size_t)n);
	if (n < 0)
		log_warn("vm: cannot send the result of vm=%s error=\"%s\"; the coordinator "
			 "learns it from our report",
			 j->vm, strerror(-n));
}

static void on_job_done(struct havmd *h, void *ctx, int status, const void *out, size_t len)
{
	struct vm_job *j = ctx;
	const char *msg = len ? out : "";
	char text[WIRE_TEXT_MAX + 1];
	uint64_t took = clock_now_ms() - j->started_ms;

	snprintf(text, sizeof(text), "%.*s", (int)strnlen(msg, len), msg);
	if (status == -ETIMEDOUT)
		snprintf(text, sizeof(text), "libvirt did not answer within %u ms",
			 h->cfg.vms_start_timeout_ms);
	if (status == 0)
		log_info("vm: %s done vm=%s elapsed_ms=%llu", action_name(j->action), j->vm,
			 (unsigned long long)took);
	else
		log_warn("vm: %s failed vm=%s error=\"%s\" message=\"%s\" elapsed_ms=%llu",
			 action_name(j->action), j->vm, strerror(-status), text,
			 (unsigned long long)took);
	send_result(h, j, status, text);
	j->worker_id = 0;
	if (status == 0 && j->action == WIRE_VM_START)
		j->started_ms = clock_now_ms(); /* held as running until the monitor lists it */
	else
		*j = (struct vm_job){ 0 };
	h->vm.report_dirty = true;
	vm_host_report(h, false);
}

/* Start a job for ACTION on VM (ACTION_ID 0: our own, no result sent). */
/* Where host DEST's libvirtd is, for a live migration (vms.migration). */
static void migration_uris(const struct havmd *h, uint32_t dest, struct start_arg *a)
{
	static const char *const schemes[] = { "qemu+ssh", "qemu+tls", "qemu+tcp" };
	const struct havm_host *d = config_host_by_nodeid(&h->cfg, dest);
	const char *addr = d ? (d->address[0] ? d->address : d->name) : "";

	snprintf(a->dest_uri, sizeof(a->dest_uri), "%s://%s/system",
		 schemes[h->cfg.vms_migration], addr);
	snprintf(a->migrate_uri, sizeof(a->migrate_uri), "tcp://%s", addr);
	a->unsafe = h->cfg.vms_unsafe_migration;
}

static void job_begin(struct havmd *h, uint8_t action, const char *vm, uint64_t action_id,
		      uint32_t grace_ms, uint32_t dest)
{
	static struct start_arg args[VM_JOBS_MAX]; /* read by the child: a copy */
	struct vm_state *v = &h->vm;
	const struct vm_spec *s = vmcfg_find(v->cfg, vm);
	struct vm_job *j = job_find(h, vm);
	size_t slot;
	int rc;

	if (j && j->worker_id) {
		/* Answered, so that a coordinator that took over does not wait
		 * for an outcome that would never come. */
		struct vm_job tmp = { .action_id = action_id, .action = action };
		snprintf(tmp.vm, sizeof(tmp.vm), "%s", vm);
		log_info("vm: action for vm=%s already under way here; refused", vm);
		send_result(h, &tmp, -EALREADY, "an action on it is under way on this host");
		return;
	}
	if (j)
		*j = (struct vm_job){ 0 }; /* a start held as running: superseded */
	for (slot = 0; slot < VM_JOBS_MAX && v->jobs[slot].used; slot++)
		;
	j = slot < VM_JOBS_MAX ? &v->jobs[slot] : NULL;
	if (j && action == WIRE_VM_START && s && s->stopped) {
		/* Decided on a configuration older than ours: the VM is to be
		 * stopped now. */
		struct vm_job tmp = { .action_id = action_id, .action = action };
		snprintf(tmp.vm, sizeof(tmp.vm), "%s", vm);
		send_result(h, &tmp, -ECANCELED, "the VM's state is stopped now");
		return;
	}
	if (!j || (action == WIRE_VM_START && !s)) {
		struct vm_job tmp = { .action_id = action_id, .action = action };
		snprintf(tmp.vm, sizeof(tmp.vm), "%s", vm);
		if (action_id)
			send_result(h, &tmp, j ? -ENOENT : -EAGAIN,
				    j ? "no such VM in this host's configuration"
				      : "too many VM jobs under way on this host");
		return;
	}
	*j = (struct vm_job){ .used = true, .action_id = action_id, .action = action,
			      .started_ms = clock_now_ms() };
	snprintf(j->vm, sizeof(j->vm), "%s", vm);
	args[slot] = (struct start_arg){ .action = action, .grace_ms = grace_ms };
	if (action == WIRE_VM_MIGRATE)
		migration_uris(h, dest, &args[slot]);
	snprintf(args[slot].vm, sizeof(args[slot].vm), "%s", vm);
	if (s) {
		snprintf(args[slot].xml, sizeof(args[slot].xml), "%s", s->xml);
		args[slot].offset = STORAGE_VM_OFFSET(s->slot);
	}
	snprintf(args[slot].shared, sizeof(args[slot].shared), "%s", h->cfg.vms_shared_dir);
	snprintf(args[slot].lease_path, sizeof(args[slot].lease_path), "%s", h->cfg.storage_path);
	args[slot].host_id = h->cluster.local_nodeid;
	rc = worker_start(h, action == WIRE_VM_START ? "vm start" : action == WIRE_VM_STOP ? "vm stop" : "vm migrate",
			  action == WIRE_VM_START  ? h->cfg.vms_start_timeout_ms
			  : action == WIRE_VM_STOP ? STOP_GRACE_MS + 15000
						   : MIGRATE_TIMEOUT_MS,
			  job_run, &args[slot], on_job_done, j, &j->worker_id);
	if (rc < 0) {
		if (action_id)
			send_result(h, j, rc, "cannot start a worker job on this host");
		*j = (struct vm_job){ 0 };
		return;
	}
	log_info("vm: %s vm=%s action=%llu", action == WIRE_VM_START  ? "starting"
					     : action == WIRE_VM_STOP ? "stopping"
								      : "migrating",
		 vm, (unsigned long long)action_id);
	v->report_dirty = true;
	vm_host_report(h, false);
}

void vm_host_on_action(struct havmd *h, const struct wire_vm_action *a, uint32_t from)
{
	if (a->target != h->cluster.local_nodeid)
		return;
	if (from != h->cluster.coordinator) {
		/* Only the coordinator acts; a stale one's request is dropped. */
		log_warn("vm: dropped an action not from the coordinator vm=%s from=%u "
			 "coordinator=%u",
			 a->vm, from, h->cluster.coordinator);
		return;
	}
	job_begin(h, a->action, a->vm, a->id, STOP_GRACE_MS, a->dest);
}

/*
 * vms.isolation = "stop": without quorum for vms.isolation_grace_ms, stop
 * the protected VMs running here, which frees their leases: the quorate
 * side, which may be unable to fence us, can then start them. Done once
 * per loss of quorum; "freeze" leaves them running.
 */
static void isolation_check(struct havmd *h, uint64_t now)
{
	struct vm_state *v = &h->vm;
	unsigned n = 0;

	if (h->cluster.up && h->cluster.quorate) {
		v->noquorum_since_ms = 0;
		v->isolation_done = false;
		return;
	}
	if (!v->noquorum_since_ms)
		v->noquorum_since_ms = now;
	/* Cluster maintenance mode pauses this too: the quorate side would
	 * not restart what we stop. Should it have been switched off there
	 * meanwhile, the VMs' leases still decide where they run. */
	if (h->cfg.vms_isolation != HAVM_ISOLATION_STOP ||
	    now - v->noquorum_since_ms < h->cfg.vms_isolation_grace_ms || !v->have_virt ||
	    vm_cluster_maintenance(h))
		return;
	/* Every pass until none runs: a stop that failed (libvirt hung) is
	 * tried again, and a VM a start job brought up meanwhile is stopped
	 * too; a job under way for a VM is left to end first. */
	for (size_t i = 0; i < v->virt->n_doms; i++) {
		const struct virt_dom *d = &v->virt->doms[i];
		const struct vm_job *j = job_find(h, d->name);

		if (d->state == VIRT_SHUTOFF || !vmcfg_find(v->cfg, d->name) ||
		    (j && j->worker_id))
			continue;
		if (!v->isolation_done)
			event_record(h, HAVM_EV_VM_STOPPED, LOG_WARNING, h->cluster.local_nodeid,
				     d->name,
				     "reason=\"isolation: no quorum for %llu ms (vms.isolation = stop)\"",
				     (unsigned long long)(now - v->noquorum_since_ms));
		/* Powered off, not shut down: the quorate side is about to
		 * start it, and a guest ignoring ACPI would hold its lease
		 * for the whole grace. A fence would do the same. */
		job_begin(h, WIRE_VM_STOP, d->name, 0, 0, 0);
		n++;
	}
	if (n && !v->isolation_done)
		log_warn("vm: isolated: no quorum for %llu ms; powering off the protected VMs here "
			 "vms=%u",
			 (unsigned long long)(now - v->noquorum_since_ms), n);
	v->isolation_done = true;
}

void vm_host_tick(struct havmd *h, uint64_t now)
{
	struct vm_state *v = &h->vm;

	isolation_check(h, now);
	vm_leasecheck_tick(h, now);
	if (v->monitor_pid == 0 && now >= v->monitor_restart_ms)
		if (monitor_spawn(h) < 0)
			v->monitor_restart_ms = now + VM_MONITOR_RESTART_MS;
	if (v->libvirt_ok && now - v->virt_ms > VM_LIBVIRT_STALE_MS) {
		v->libvirt_ok = false;
		event_record(h, HAVM_EV_LIBVIRT_CHANGED, LOG_WARNING, h->cluster.local_nodeid, NULL,
			     "libvirt=unresponsive silent_ms=%llu; VMs are not moved for this",
			     (unsigned long long)(now - v->virt_ms));
		v->report_dirty = true;
	}
	/* A start held as running: the monitor lists it now, or the hold ends. */
	for (size_t i = 0; i < VM_JOBS_MAX; i++) {
		struct vm_job *j = &v->jobs[i];
		/* The hold times out only while libvirt answers: a hung libvirt
		 * lists nothing, and the VM most likely runs. */
		if (j->used && j->worker_id == 0 &&
		    ((virt_find(v, j->vm) && v->virt_ms > j->started_ms) ||
		     (v->libvirt_ok && v->virt_ms > j->started_ms + STARTED_HOLD_MS))) {
			*j = (struct vm_job){ 0 };
			v->report_dirty = true;
		}
	}
	/* Sent again now and then, changed or not: a member that missed it
	 * (a send that failed, a join) has it within seconds. */
	if (now - v->report_refresh_ms > 10000) {
		v->report_refresh_ms = now;
		vm_host_report(h, true);
	} else {
		vm_host_report(h, false);
	}
}
