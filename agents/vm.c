/*
 * vm.c: the OCF resource agent havm/vm (OCF resource agent API 1.1), for
 * Pacemaker users: one KVM VM, started from its domain XML as a transient
 * libvirt domain, optionally with havm's sanlock lease, the way havmd
 * starts it (daemon/vm_host.c's job): lease_prepare, the <lease> added by
 * domain_xml_with_lease, virt_start, then proof through sanlock that the
 * VM's qemu holds the lease -- or the domain is destroyed and the start
 * fails. A VM that ran without its lease is one that could run twice.
 *
 * Pacemaker runs the agent once per action (argv[1]), parameters in
 * OCF_RESKEY_*; the exit code is the answer (vm_params.h, enum ocf_rc).
 * Messages go to stderr, which Pacemaker logs; the reason for a failure
 * on a line "ocf-exit-reason:...", which Pacemaker shows in crm_mon.
 * Every libvirt and sanlock call blocks: Pacemaker's operation timeout is
 * the limit.
 */
#include "vm_agent.h"

#include "clock.h"
#include "domain_xml.h"
#include "storage.h"
#include "virt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* How long a start waits for sanlock to list the lease on the qemu: the
 * lock driver acquires it before qemu's CPUs start, so it is there when
 * virt_start returns; the wait covers a pid file written a moment late
 * and a busy sanlock daemon. */
#define LEASE_PROOF_MS 5000
#define LEASE_PROOF_POLL_MS 200
#define ERR_LEN 1024

/* One run: the parameters and the domain they name. */
struct agent {
	struct vm_params p;
	char *xml; /* the config's text, NUL-terminated */
	size_t xml_len;
	struct domain_info info;
};

static void say(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(const char *level, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "havm-vm: %s: ", level);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* The reason Pacemaker shows for a failed action, and RC. */
static int fail(int rc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(int rc, const char *fmt, ...)
{
	va_list ap;

	fputs("ocf-exit-reason:", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return rc;
}

static const char *env_get(const char *key, void *ctx)
{
	char name[128];

	(void)ctx;
	snprintf(name, sizeof(name), "OCF_RESKEY_%s", key);
	return getenv(name);
}

/* The config file: -errno (ENOENT, EACCES: the storage is not there on
 * this host) or -EINVAL with ERR for a file that is not one we read. */
static int config_read(struct agent *a, char *err, size_t errlen)
{
	int fd = open(a->p.config, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	size_t got = 0;
	ssize_t n;

	if (fd < 0 || fstat(fd, &st) < 0) {
		int e = errno;
		snprintf(err, errlen, "cannot read config %.300s: %s", a->p.config, strerror(e));
		if (fd >= 0)
			close(fd);
		return -e;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > DOMAIN_XML_MAX) {
		snprintf(err, errlen, "config %.300s is not a regular file of at most %d bytes",
			 a->p.config, DOMAIN_XML_MAX);
		close(fd);
		return -EINVAL;
	}
	a->xml = malloc((size_t)st.st_size + 1);
	if (!a->xml) {
		close(fd);
		return -ENOMEM;
	}
	while (got < (size_t)st.st_size &&
	       ((n = read(fd, a->xml + got, (size_t)st.st_size - got)) > 0 ||
		(n < 0 && errno == EINTR)))
		if (n > 0)
			got += (size_t)n;
	close(fd);
	a->xml[got] = '\0';
	a->xml_len = got;
	return 0;
}

/*
 * Parameters, the config and, for the lease, its area: OCF_SUCCESS or the
 * code to exit with (a reason printed). Disks may be anywhere on the host
 * ("/" as the one shared directory): unlike havmd, the agent has no
 * havm.conf naming the shared storage; network disks are still refused.
 */
static int validate(struct agent *a)
{
	static const char *const any_dir[] = { "/" };
	char err[ERR_LEN];
	struct stat st;
	int rc = vm_params_read(&a->p, env_get, NULL, err, sizeof(err));

	if (rc)
		return fail(rc, "%s", err);
	rc = config_read(a, err, sizeof(err));
	if (rc == -ENOENT || rc == -EACCES || rc == -ENOTDIR)
		return fail(OCF_ERR_INSTALLED, "%s", err);
	if (rc)
		return fail(OCF_ERR_CONFIGURED, "%s", err);
	if (domain_xml_read(a->xml, a->xml_len, any_dir, 1, &a->info, err, sizeof(err)) < 0)
		return fail(OCF_ERR_CONFIGURED, "config %.300s: %s", a->p.config, err);
	if (a->p.lease_path) {
		if (strlen(a->info.name) > STORAGE_LEASE_NAME_MAX)
			return fail(OCF_ERR_CONFIGURED,
				    "domain name %s is longer than a lease name (%d bytes)",
				    a->info.name, STORAGE_LEASE_NAME_MAX);
		if (stat(a->p.lease_path, &st) < 0)
			return fail(OCF_ERR_INSTALLED, "lease_path %.300s: %s", a->p.lease_path,
				    strerror(errno));
	}
	return OCF_SUCCESS;
}

/* Whether the VM's qemu holds its lease, as sanlock says: 1, 0, or -errno
 * when that cannot be told (no pid file, sanlock not answering). */
static int lease_held(const struct agent *a)
{
	int pid = virt_qemu_pid(a->info.name);

	return pid > 0 ? lease_held_by_pid(pid, a->info.name) : pid;
}

/* Waits up to LEASE_PROOF_MS for a definite answer. */
static int lease_proof(const struct agent *a)
{
	uint64_t deadline = clock_now_ms() + LEASE_PROOF_MS;
	int held;

	while ((held = lease_held(a)) < 0 && clock_now_ms() < deadline)
		clock_sleep_ms(LEASE_PROOF_POLL_MS);
	return held;
}

/*
 * The domain's state as an OCF code: running, paused (a migration's
 * either end, an operator's suspend) or any state with a qemu behind it
 * is OCF_SUCCESS; shut off or unknown to libvirt OCF_NOT_RUNNING; crashed
 * OCF_ERR_GENERIC (Pacemaker then stops and starts it); libvirt not
 * answering OCF_ERR_GENERIC. With a lease, a running domain whose qemu
 * sanlock says holds no lease is a failure too: it could run twice.
 */
static int domain_status(const struct agent *a, bool check_lease)
{
	char err[ERR_LEN] = "";
	enum virt_state s = VIRT_OTHER;
	int rc = virt_domain_state(a->p.hypervisor, a->info.name, &s, err, sizeof(err));
	int held;

	if (rc == -ENOENT)
		return OCF_NOT_RUNNING;
	if (rc)
		return fail(OCF_ERR_GENERIC, "libvirt at %s: %s", a->p.hypervisor, err);
	switch (s) {
	case VIRT_SHUTOFF: return OCF_NOT_RUNNING;
	case VIRT_CRASHED: return fail(OCF_ERR_GENERIC, "domain %s crashed", a->info.name);
	case VIRT_PAUSED:
	case VIRT_OTHER: return OCF_SUCCESS;
	case VIRT_RUNNING: break;
	}
	if (!check_lease || !a->p.lease_path)
		return OCF_SUCCESS;
	held = lease_held(a);
	if (held == 0)
		return fail(OCF_ERR_GENERIC,
			    "domain %s runs without holding its lease (sanlock lists none on its "
			    "qemu): it could run on another host as well",
			    a->info.name);
	if (held < 0)
		say("warning", "domain %s: cannot tell whether its qemu holds its lease: %s",
		    a->info.name, storage_strerror(held));
	return OCF_SUCCESS;
}

static int action_monitor(struct agent *a)
{
	int rc = validate(a);

	/* A probe on a host that cannot see the config (storage not mounted
	 * yet, a host without the VM's storage): the domain cannot have been
	 * started from it here. */
	if ((rc == OCF_ERR_INSTALLED || rc == OCF_ERR_CONFIGURED) && a->p.probe)
		return OCF_NOT_RUNNING;
	if (rc)
		return rc;
	return domain_status(a, true);
}

static int action_start(struct agent *a)
{
	char err[ERR_LEN] = "";
	uint64_t offset = 0;
	char *lxml = NULL;
	const char *xml;
	size_t llen = 0;
	int rc = validate(a), held;

	if (rc)
		return rc;
	xml = a->xml;
	rc = domain_status(a, false);
	if (rc == OCF_SUCCESS) {
		say("info", "domain %s already runs", a->info.name);
		return OCF_SUCCESS;
	}
	if (rc != OCF_NOT_RUNNING) {
		/* Crashed (on_crash preserve): its qemu must go before a new one. */
		if (virt_destroy(a->p.hypervisor, a->info.name, err, sizeof(err)) < 0 &&
		    domain_status(a, false) != OCF_NOT_RUNNING)
			return fail(OCF_ERR_GENERIC, "cannot clear domain %s: %s", a->info.name,
				    err);
	}
	if (a->p.lease_path) {
		offset = STORAGE_VM_OFFSET(a->p.lease_slot);
		rc = lease_prepare(a->p.lease_path, a->info.name, offset);
		if (rc == -EBUSY)
			return fail(
				OCF_ERR_GENERIC,
				"lease slot %u of %s holds another VM's lease, owned by a host: "
				"give %s a slot of its own",
				a->p.lease_slot, a->p.lease_path, a->info.name);
		if (rc)
			return fail(OCF_ERR_GENERIC, "preparing lease slot %u of %s: %s",
				    a->p.lease_slot, a->p.lease_path, storage_strerror(rc));
		lxml = domain_xml_with_lease(a->xml, a->xml_len, a->info.name, a->p.lease_path,
					     offset, &llen, err, sizeof(err));
		if (!lxml)
			return fail(OCF_ERR_CONFIGURED, "adding the lease: %s", err);
		xml = lxml;
	}
	rc = virt_start(a->p.hypervisor, xml, err, sizeof(err));
	free(lxml);
	if (rc == -EEXIST && domain_status(a, false) == OCF_SUCCESS) {
		say("info", "domain %s already runs", a->info.name);
		return OCF_SUCCESS;
	}
	if (rc == -EBUSY)
		return fail(OCF_ERR_GENERIC, "domain %s: its lease is held by another host (%s)",
			    a->info.name, err);
	if (rc)
		return fail(OCF_ERR_GENERIC, "starting domain %s: %s", a->info.name, err);
	if (!a->p.lease_path) {
		say("info", "domain %s started (no lease)", a->info.name);
		return OCF_SUCCESS;
	}
	held = lease_proof(a);
	if (held == 1) {
		say("info", "domain %s started; its qemu holds lease slot %u of %s", a->info.name,
		    a->p.lease_slot, a->p.lease_path);
		return OCF_SUCCESS;
	}
	virt_destroy(a->p.hypervisor, a->info.name, NULL, 0);
	if (held == 0)
		return fail(OCF_ERR_GENERIC,
			    "domain %s started without holding its lease: is lock_manager = "
			    "\"sanlock\" set in this host's qemu.conf? Destroyed it",
			    a->info.name);
	return fail(OCF_ERR_GENERIC,
		    "domain %s started, but sanlock cannot say whether it holds its lease (%s): "
		    "destroyed it",
		    a->info.name, storage_strerror(held));
}

static int action_stop(struct agent *a)
{
	char err[ERR_LEN] = "";
	int rc = validate(a);

	/* Without the config there is no name to stop: the stop fails (and
	 * Pacemaker fences the host), since the agent cannot prove the
	 * domain is not running. */
	if (rc)
		return rc;
	/* virt_stop returns 0 only once libvirt reads the domain down. */
	rc = virt_stop(a->p.hypervisor, a->info.name, a->p.stop_grace_ms, err, sizeof(err));
	if (rc == 0 || rc == -ENOENT)
		return OCF_SUCCESS;
	return fail(OCF_ERR_GENERIC, "stopping domain %s: %s", a->info.name, err);
}

static int action_migrate_to(struct agent *a)
{
	const char *target = getenv("OCF_RESKEY_CRM_meta_migrate_target");
	char dest[VM_URI_MAX + 300], data[VM_URI_MAX + 300], err[ERR_LEN] = "";
	int rc = validate(a);

	if (rc)
		return rc;
	if (!target || !*target)
		return fail(OCF_ERR_ARGS, "migrate_to without OCF_RESKEY_CRM_meta_migrate_target");
	if (vm_dest_uri(a->p.hypervisor, a->p.transport, target, dest, sizeof(dest)) < 0)
		return fail(OCF_ERR_ARGS, "cannot make a libvirt URI for target \"%.200s\"",
			    target);
	if (a->p.migration_uri &&
	    vm_migration_uri(a->p.migration_uri, target, data, sizeof(data)) < 0)
		return fail(OCF_ERR_CONFIGURED, "migration_uri for target \"%.200s\" is too long",
			    target);
	rc = virt_migrate_ex(a->p.hypervisor, a->info.name, dest, a->p.migration_uri ? data : NULL,
			     a->p.unsafe_migration, err, sizeof(err));
	if (rc)
		return fail(OCF_ERR_GENERIC, "migrating domain %s to %s: %s", a->info.name, dest,
			    err);
	say("info", "domain %s migrated to %s", a->info.name, dest);
	return OCF_SUCCESS;
}

/* On the target, after migrate_to: the domain must run here, holding its
 * lease (libvirt's lock driver moves it with the VM). */
static int action_migrate_from(struct agent *a)
{
	int rc = validate(a), held;

	if (rc)
		return rc;
	rc = domain_status(a, false);
	if (rc == OCF_NOT_RUNNING)
		return fail(OCF_ERR_GENERIC, "domain %s did not arrive here", a->info.name);
	if (rc || !a->p.lease_path)
		return rc;
	held = lease_proof(a);
	if (held == 1)
		return OCF_SUCCESS;
	return fail(OCF_ERR_GENERIC, "domain %s arrived without holding its lease (%s)",
		    a->info.name,
		    held == 0 ? "sanlock lists none on its qemu" : storage_strerror(held));
}

static void usage(FILE *out)
{
	fprintf(out, "usage: vm {start|stop|monitor|migrate_to|migrate_from|reload|validate-all|"
		     "meta-data|usage}\n"
		     "Parameters in OCF_RESKEY_<name>; see ocf_havm_vm(7).\n");
}

int main(int argc, char **argv)
{
	struct agent a = { 0 };
	const char *action = argc > 1 ? argv[1] : NULL;
	int rc;

	if (argc != 2) {
		usage(stderr);
		return OCF_ERR_ARGS;
	}
	if (strcmp(action, "meta-data") == 0) {
		vm_metadata_print(stdout);
		return fflush(stdout) == 0 ? OCF_SUCCESS : OCF_ERR_GENERIC;
	}
	if (strcmp(action, "usage") == 0 || strcmp(action, "help") == 0) {
		usage(stdout);
		return OCF_SUCCESS;
	}
	if (strcmp(action, "start") == 0)
		rc = action_start(&a);
	else if (strcmp(action, "stop") == 0)
		rc = action_stop(&a);
	else if (strcmp(action, "monitor") == 0 || strcmp(action, "status") == 0)
		rc = action_monitor(&a);
	else if (strcmp(action, "migrate_to") == 0)
		rc = action_migrate_to(&a);
	else if (strcmp(action, "migrate_from") == 0)
		rc = action_migrate_from(&a);
	else if (strcmp(action, "validate-all") == 0 || strcmp(action, "reload") == 0)
		rc = validate(&a);
	else {
		usage(stderr);
		rc = OCF_ERR_UNIMPLEMENTED;
	}
	free(a.xml);
	return rc;
}
