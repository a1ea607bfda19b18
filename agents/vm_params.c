/*
 * vm_params.c: see vm_params.h. Every number is parsed in full and range
 * checked (no atoi): a typo in the CIB must fail validate-all, not become 0.
 */
#include "vm_params.h"

#include "storage.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static void set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* The value of KEY, NULL when absent or empty. */
static const char *value(vm_param_get get, void *ctx, const char *key)
{
	const char *v = get(key, ctx);

	return v && *v ? v : NULL;
}

/* Decimal digits only, from 0 to MAX. */
static bool uint_parse(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > max)
			return false;
	}
	*out = v;
	return true;
}

/* A host name or an address, as Pacemaker names nodes: letters, digits,
 * '.', '-', '_' and ':' (IPv6), not starting with '-'. Keeps anything that
 * would change a URI's meaning ('/', '@', '?', '%') out of it. */
static bool host_ok(const char *h)
{
	size_t n = strlen(h);

	if (n == 0 || n > 253 || h[0] == '-')
		return false;
	for (; *h; h++) {
		char c = *h;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '-' || c == '_' || c == ':'))
			return false;
	}
	return true;
}

/* HYPERVISOR split as DRIVER[+TRANSPORT]://[HOST]/PATH: the driver and the
 * path (from its '/', query included). */
/* A boolean as Pacemaker's crm_str_to_boolean reads one. */
static bool bool_parse(const char *s, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1", "y" };
	static const char *const no[] = { "false", "no", "off", "0", "n" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return true;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return true;
		}
	}
	return false;
}

static int uri_split(const char *uri, char *driver, size_t dlen, const char **path)
{
	const char *sep = strstr(uri, "://");
	size_t n;

	if (!sep || sep == uri)
		return -EINVAL;
	n = strcspn(uri, "+:");
	if (n == 0 || n >= dlen)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!((uri[i] >= 'a' && uri[i] <= 'z') || (uri[i] >= '0' && uri[i] <= '9')))
			return -EINVAL;
	memcpy(driver, uri, n);
	driver[n] = '\0';
	*path = strchr(sep + 3, '/');
	if (!*path)
		return -EINVAL;
	return 0;
}

int vm_params_read(struct vm_params *p, vm_param_get get, void *ctx, char *err, size_t errlen)
{
	const char *slot = value(get, ctx, "lease_slot");
	const char *tr = value(get, ctx, "migration_transport");
	const char *st = value(get, ctx, "stop_timeout");
	const char *mt = value(get, ctx, "CRM_meta_timeout");
	const char *mi = value(get, ctx, "CRM_meta_interval");
	const char *unsafe = value(get, ctx, "unsafe_migration_for_tests");
	char driver[32];
	const char *path;
	uint64_t v;

	memset(p, 0, sizeof(*p));
	p->config = value(get, ctx, "config");
	p->hypervisor = value(get, ctx, "hypervisor");
	p->lease_path = value(get, ctx, "lease_path");
	p->migration_uri = value(get, ctx, "migration_uri");
	if (!p->hypervisor)
		p->hypervisor = VM_DEFAULT_HYPERVISOR;
	if (!p->config) {
		set_err(err, errlen, "parameter config (the domain XML's path) is required");
		return OCF_ERR_CONFIGURED;
	}
	if (p->config[0] != '/') {
		set_err(err, errlen, "config \"%.300s\" is not an absolute path", p->config);
		return OCF_ERR_CONFIGURED;
	}
	if (uri_split(p->hypervisor, driver, sizeof(driver), &path) < 0 ||
	    strlen(p->hypervisor) >= VM_URI_MAX) {
		set_err(err, errlen, "hypervisor \"%.300s\" is not a libvirt URI such as %s",
			p->hypervisor, VM_DEFAULT_HYPERVISOR);
		return OCF_ERR_CONFIGURED;
	}
	if (p->lease_path && p->lease_path[0] != '/') {
		set_err(err, errlen, "lease_path \"%.300s\" is not an absolute path",
			p->lease_path);
		return OCF_ERR_CONFIGURED;
	}
	if (p->lease_path && !slot) {
		set_err(err, errlen, "lease_slot is required with lease_path");
		return OCF_ERR_CONFIGURED;
	}
	if (!p->lease_path && slot) {
		set_err(err, errlen, "lease_slot is given without lease_path");
		return OCF_ERR_CONFIGURED;
	}
	if (slot) {
		if (!uint_parse(slot, STORAGE_VM_SLOTS - 1, &v)) {
			set_err(err, errlen, "lease_slot \"%.40s\" is not an integer from 0 to %d",
				slot, STORAGE_VM_SLOTS - 1);
			return OCF_ERR_CONFIGURED;
		}
		p->lease_slot = (uint32_t)v;
	}
	/* The lease is proved through the qemu's pid, from libvirt's pid file
	 * on this host: only the local system driver has one we know. */
	if (p->lease_path && !vm_hypervisor_is_local_system(p->hypervisor)) {
		set_err(err, errlen,
			"lease_path needs hypervisor %s (the lease is proved on this host's qemu), "
			"not \"%.300s\"",
			VM_DEFAULT_HYPERVISOR, p->hypervisor);
		return OCF_ERR_CONFIGURED;
	}
	if (!tr || strcmp(tr, "ssh") == 0) {
		p->transport = VM_TRANSPORT_SSH;
	} else if (strcmp(tr, "tls") == 0) {
		p->transport = VM_TRANSPORT_TLS;
	} else if (strcmp(tr, "tcp") == 0) {
		p->transport = VM_TRANSPORT_TCP;
	} else {
		set_err(err, errlen, "migration_transport \"%.40s\" is not ssh, tls or tcp", tr);
		return OCF_ERR_CONFIGURED;
	}
	if (p->migration_uri && strlen(p->migration_uri) >= VM_URI_MAX) {
		set_err(err, errlen, "migration_uri is longer than %d bytes", VM_URI_MAX - 1);
		return OCF_ERR_CONFIGURED;
	}
	if (unsafe && !bool_parse(unsafe, &p->unsafe_migration)) {
		set_err(err, errlen, "unsafe_migration_for_tests \"%.40s\" is not true or false",
			unsafe);
		return OCF_ERR_CONFIGURED;
	}
	if (mi) {
		if (!uint_parse(mi, UINT32_MAX, &v)) {
			set_err(err, errlen, "CRM_meta_interval \"%.40s\" is not milliseconds", mi);
			return OCF_ERR_CONFIGURED;
		}
		p->probe = v == 0;
	}
	if (st) {
		if (!uint_parse(st, VM_STOP_TIMEOUT_MAX_S, &v)) {
			set_err(err, errlen, "stop_timeout \"%.40s\" is not seconds from 0 to %u",
				st, VM_STOP_TIMEOUT_MAX_S);
			return OCF_ERR_CONFIGURED;
		}
		p->stop_grace_ms = (uint32_t)v * 1000u;
	} else if (mt) {
		if (!uint_parse(mt, UINT32_MAX, &v)) {
			set_err(err, errlen, "CRM_meta_timeout \"%.40s\" is not milliseconds", mt);
			return OCF_ERR_CONFIGURED;
		}
		/* The guest gets most of the operation's timeout; what is left
		 * is for the destroy after it (qemu's SIGTERM, then SIGKILL)
		 * and for libvirt, so that the agent answers before Pacemaker
		 * gives up on the stop (and fences the host). */
		p->stop_grace_ms = v > 20000 ? (uint32_t)(v - 10000) : (uint32_t)(v / 2);
	} else {
		p->stop_grace_ms = VM_STOP_GRACE_DEFAULT_MS;
	}
	return 0;
}

bool vm_hypervisor_is_local_system(const char *hypervisor)
{
	return strcmp(hypervisor, "qemu:///system") == 0;
}

int vm_dest_uri(const char *hypervisor, enum vm_transport transport, const char *target, char *out,
		size_t len)
{
	static const char *const names[] = {
		[VM_TRANSPORT_SSH] = "ssh", [VM_TRANSPORT_TLS] = "tls", [VM_TRANSPORT_TCP] = "tcp"
	};
	char driver[32];
	const char *path;
	int n;

	if (!target || !host_ok(target) || (unsigned)transport > VM_TRANSPORT_TCP ||
	    uri_split(hypervisor, driver, sizeof(driver), &path) < 0)
		return -EINVAL;
	/* An IPv6 address goes in brackets, as in any URI. */
	n = snprintf(out, len, strchr(target, ':') ? "%s+%s://[%s]%s" : "%s+%s://%s%s", driver,
		     names[transport], target, path);
	return n < 0 || (size_t)n >= len ? -EINVAL : 0;
}

int vm_migration_uri(const char *migration_uri, const char *target, char *out, size_t len)
{
	size_t o = 0;

	if (!target || !host_ok(target) || len == 0)
		return -EINVAL;
	for (const char *s = migration_uri; *s; s++) {
		const char *add = s;
		size_t n = 1;

		if (s[0] == '%' && s[1] == 'n') {
			add = target;
			n = strlen(target);
			s++;
		}
		if (o + n >= len)
			return -EINVAL;
		memcpy(out + o, add, n);
		o += n;
	}
	out[o] = '\0';
	return 0;
}
