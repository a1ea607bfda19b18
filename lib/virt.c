/*
 * virt.c: see virt.h. Three parts: the monitor child's loop and its
 * report writer, the report parser havmd runs on its loop (pure, no
 * libvirt), and the blocking operations for worker jobs, the CLI and the
 * OCF agent.
 *
 * Nothing here logs: the monitor runs in a child of havmd, where libqb's
 * logging (set up in the parent) is not ours to use, and the blocking
 * operations return libvirt's message in ERR for the caller to log. libvirt
 * itself is kept from printing to stderr by an error handler that stays
 * quiet.
 *
 * Error codes: -ENOTCONN when libvirtd at URI cannot be reached,
 * -EHOSTUNREACH when the migration's destination cannot, -ENOENT for no
 * such running domain, -EBUSY for a lease held elsewhere, -EEXIST for a
 * domain of that name already there, -EIO for any other libvirt failure.
 */
#include "virt.h"

#include "clock.h"
#include "virt_int.h"

#include <errno.h>
#include <fcntl.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define STOP_POLL_MS 100       /* how often virt_stop looks whether the guest is down */
#define KEEPALIVE_INTERVAL_S 5 /* a dead libvirtd ends the monitor after ~20 s */
#define KEEPALIVE_COUNT 3

/* libvirt's default handler prints every error to stderr; ours drops them
 * (each caller reads virGetLastErrorMessage itself). */
static void quiet_error(void *opaque, virErrorPtr e)
{
	(void)opaque;
	(void)e;
}

static void quiet_errors(void)
{
	virSetErrorFunc(NULL, quiet_error);
}

static const char *last_message(void)
{
	const char *m = virGetLastErrorMessage();

	return m ? m : "unknown libvirt error";
}

static void copy_err(char *err, size_t errlen)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", last_message());
}


/* ------------------------------------------------------------------ */
/* The monitor */

struct monitor {
	virConnectPtr conn;
	int fd;
	int timer;    /* libvirt event loop timeout, -1 none */
	uint64_t seq; /* of the last report written */
	int rc;       /* set by a callback: ends the loop */
	char *buf;    /* one report, written at once */
	size_t size;
};

#define REPORT_SIZE ((size_t)(VIRT_DOMS_MAX + 2) * VIRT_LINE_MAX)

static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		/* A non-blocking pipe that is full: wait for the reader, as a
		 * blocking one would (a reader that stops reading sees the
		 * reports come late, which is what they then are). */
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };
			if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
				return -errno;
			continue;
		}
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static enum virt_state state_of(int state, int reason)
{
	/* Blocked is running, waiting on a resource. */
	switch (state) {
	case VIR_DOMAIN_RUNNING:
	case VIR_DOMAIN_BLOCKED: return VIRT_RUNNING;
	case VIR_DOMAIN_PAUSED: return VIRT_PAUSED;
	case VIR_DOMAIN_CRASHED: return VIRT_CRASHED;
	case VIR_DOMAIN_SHUTOFF:
		return reason == VIR_DOMAIN_SHUTOFF_CRASHED ? VIRT_CRASHED : VIRT_SHUTOFF;
	default:
		/* nostate, being shut down, suspended to memory: none of them
		 * says whether the qemu process (and its lease) is there. */
		return VIRT_OTHER;
	}
}

/* A libvirt call failed: over a dead connection that ends the monitor; a
 * failure of one call skips one report (a late report says enough). */
static int call_failed(struct monitor *m)
{
	return virConnectIsAlive(m->conn) == 1 ? 0 : -ECONNRESET;
}

static void append(struct monitor *m, size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void append(struct monitor *m, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(m->buf + *len, m->size - *len, fmt, ap);
	va_end(ap);
	/* REPORT_SIZE holds VIRT_DOMS_MAX + 2 lines of VIRT_LINE_MAX bytes, and
	 * no line here comes near that: never cut. */
	if (n > 0 && (size_t)n < m->size - *len)
		*len += (size_t)n;
}

/* One domain's line, or 1 when it is gone (not reported), -1 when libvirt
 * failed. */
static int report_domain(struct monitor *m, virDomainPtr d, const char *name, size_t *len)
{
	int state, reason;
	virDomainInfo info;
	uint64_t mib;

	if (virDomainGetState(d, &state, &reason, 0) < 0 || virDomainGetInfo(d, &info) < 0)
		return virGetLastErrorCode() == VIR_ERR_NO_DOMAIN ? 1 : -1;
	mib = ((uint64_t)info.memory + 1023) / 1024; /* KiB, rounded up like domain_xml */
	append(m, len, "dom %s %s cpu_ns=%llu memory_mib=%lu vcpus=%u\n", name,
	       virt_state_name(state_of(state, reason)), (unsigned long long)info.cpuTime,
	       (unsigned long)(mib > UINT32_MAX ? UINT32_MAX : mib), (unsigned)info.nrVirtCpu);
	return 0;
}

/* Gather and write one report. 0 when written or skipped, -errno to end
 * the monitor. */
static int report(struct monitor *m)
{
	virNodeInfo node;
	unsigned long long free_bytes;
	virDomainPtr *doms = NULL;
	size_t len = 0, n_doms = 0;
	uint32_t skipped = 0;
	int n, rc = 0;

	if (virNodeGetInfo(m->conn, &node) < 0 || node.cpus == 0)
		return call_failed(m);
	free_bytes = virNodeGetFreeMemory(m->conn);
	if (free_bytes == 0 && virGetLastErrorCode() != VIR_ERR_OK)
		return call_failed(m);
	/* All domains, not only active ones: a persistent domain an operator
	 * defined shows up shut off, and one that crashed says so. */
	n = virConnectListAllDomains(m->conn, &doms, 0);
	if (n < 0)
		return call_failed(m);
	append(m, &len, "begin %llu cpus=%u mem_total_mib=%llu mem_free_mib=%llu\n",
	       (unsigned long long)(m->seq + 1), node.cpus,
	       (unsigned long long)(node.memory / 1024), free_bytes / (1024 * 1024));
	for (int i = 0; i < n; i++) {
		const char *name = virDomainGetName(doms[i]);
		int r;

		/* A name havm would not accept is not one of its VMs; past
		 * VIRT_DOMS_MAX the parser would refuse the report: both are
		 * counted so that havmd can say so. */
		if (!name || !vm_name_ok(name) || n_doms == VIRT_DOMS_MAX) {
			skipped++;
			continue;
		}
		r = report_domain(m, doms[i], name, &len);
		if (r < 0) {
			rc = call_failed(m);
			goto out;
		}
		if (r == 0)
			n_doms++;
	}
	append(m, &len, "end %llu skipped=%u\n", (unsigned long long)(m->seq + 1), skipped);
	m->seq++;
	rc = write_all(m->fd, m->buf, len);
	len = 0;
out:
	for (int i = 0; i < n; i++)
		virDomainFree(doms[i]);
	free(doms);
	return rc;
}

static void on_timer(int timer, void *opaque)
{
	struct monitor *m = opaque;
	int rc;

	if (m->rc)
		return;
	rc = report(m);
	if (rc)
		m->rc = rc;
	/* Re-armed after each report, so an event's report also pushes the
	 * next periodic one back: at least one report per VIRT_REPORT_MS. */
	virEventUpdateTimeout(timer, VIRT_REPORT_MS);
}

/* Any lifecycle event: report now. Several events before the loop turns
 * again make one report (the timer fires once). */
static int on_lifecycle(virConnectPtr conn, virDomainPtr dom, int event, int detail, void *opaque)
{
	struct monitor *m = opaque;

	(void)conn;
	(void)dom;
	(void)event;
	(void)detail;
	virEventUpdateTimeout(m->timer, 0);
	return 0;
}

static void on_close(virConnectPtr conn, int reason, void *opaque)
{
	struct monitor *m = opaque;

	(void)conn;
	(void)reason;
	if (!m->rc)
		m->rc = -ECONNRESET;
}

int virt_monitor_run(const char *uri, int fd)
{
	struct monitor m = { .fd = fd, .timer = -1 };
	bool close_cb = false;
	int event_id = -1;
	char *caps;

	/* A write to a parent that is gone must fail with EPIPE (and end
	 * the monitor), not kill it silently. */
	signal(SIGPIPE, SIG_IGN);
	quiet_errors();
	/* Before the connection: libvirt only delivers events to
	 * connections opened once an event loop is registered. */
	if (virEventRegisterDefaultImpl() < 0)
		return -EIO;
	m.size = REPORT_SIZE;
	m.buf = malloc(m.size);
	if (!m.buf)
		return -ENOMEM;
	m.conn = virConnectOpen(uri);
	if (!m.conn) {
		free(m.buf);
		return -ENOTCONN;
	}
	/* The warm-up: asking for the domain capabilities makes libvirtd
	 * probe qemu now rather than at the first start. Its failure changes
	 * nothing for the monitor: the probe is only an optimisation. */
	caps = virConnectGetDomainCapabilities(m.conn, NULL, NULL, NULL, NULL, 0);
	free(caps);
	m.rc = write_all(fd, "warm\n", 5);
	if (m.rc)
		goto out;
	/* Keepalive: a libvirtd that stops answering closes the connection
	 * (on_close) instead of leaving the monitor waiting forever. Drivers
	 * without a daemon (test:///) support neither call: not an error. */
	virConnectSetKeepAlive(m.conn, KEEPALIVE_INTERVAL_S, KEEPALIVE_COUNT);
	close_cb = virConnectRegisterCloseCallback(m.conn, on_close, &m, NULL) == 0;
	/* The first report at once (timeout 0), then every VIRT_REPORT_MS. */
	m.timer = virEventAddTimeout(0, on_timer, &m, NULL);
	if (m.timer < 0) {
		m.rc = -EIO;
		goto out;
	}
	event_id =
		virConnectDomainEventRegisterAny(m.conn, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
						 VIR_DOMAIN_EVENT_CALLBACK(on_lifecycle), &m, NULL);
	if (event_id < 0) {
		m.rc = call_failed(&m) ? -ECONNRESET : -EIO;
		goto out;
	}
	while (!m.rc)
		if (virEventRunDefaultImpl() < 0)
			m.rc = -EIO;
out:
	if (event_id >= 0)
		virConnectDomainEventDeregisterAny(m.conn, event_id);
	if (m.timer >= 0)
		virEventRemoveTimeout(m.timer);
	if (close_cb)
		virConnectUnregisterCloseCallback(m.conn, on_close);
	virConnectClose(m.conn);
	free(m.buf);
	return m.rc;
}

/* ------------------------------------------------------------------ */
/* The report parser */

static const char *const state_names[] = {
	[VIRT_OTHER] = "other",     [VIRT_RUNNING] = "running", [VIRT_PAUSED] = "paused",
	[VIRT_SHUTOFF] = "shutoff", [VIRT_CRASHED] = "crashed",
};

const char *virt_state_name(enum virt_state s)
{
	if ((unsigned)s >= sizeof(state_names) / sizeof(state_names[0]))
		return "other";
	return state_names[s];
}

static bool state_parse(const char *s, enum virt_state *out)
{
	for (size_t i = 0; i < sizeof(state_names) / sizeof(state_names[0]); i++) {
		if (strcmp(s, state_names[i]) == 0) {
			*out = (enum virt_state)i;
			return true;
		}
	}
	return false;
}

/* Decimal as the writer prints it: digits, no sign, no leading zero,
 * from MIN to MAX. */
static bool num_parse(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s || (s[0] == '0' && s[1] != '\0'))
		return false;
	for (; *s; s++) {
		unsigned d;
		if (*s < '0' || *s > '9')
			return false;
		d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	if (v < min || v > max)
		return false;
	*out = v;
	return true;
}

/* TOK is KEY=N with N from MIN to MAX. */
static bool kv_parse(const char *tok, const char *key, uint64_t min, uint64_t max, uint64_t *out)
{
	size_t k = strlen(key);

	return strncmp(tok, key, k) == 0 && tok[k] == '=' && num_parse(tok + k + 1, min, max, out);
}

/* Split BUF in place at single spaces. The number of words, or -1 for an
 * empty word (leading, trailing or double space) or more than MAX. */
static int split(char *buf, char **words, int max)
{
	int n = 0;
	char *s = buf;

	for (;;) {
		char *sp = strchr(s, ' ');
		if (n == max)
			return -1;
		if (sp)
			*sp = '\0';
		if (*s == '\0')
			return -1;
		words[n++] = s;
		if (!sp)
			return n;
		s = sp + 1;
	}
}

static int parse_begin(struct virt_parser *p, char **w, int n)
{
	uint64_t seq, cpus, total, free_mib;

	if (n != 5 || !num_parse(w[1], 1, UINT64_MAX, &seq) ||
	    !kv_parse(w[2], "cpus", 1, UINT32_MAX, &cpus) ||
	    !kv_parse(w[3], "mem_total_mib", 0, UINT64_MAX, &total) ||
	    !kv_parse(w[4], "mem_free_mib", 0, UINT64_MAX, &free_mib))
		return -EINVAL;
	p->cur.seq = seq;
	p->cur.cpus = (uint32_t)cpus;
	p->cur.mem_total_mib = total;
	p->cur.mem_free_mib = free_mib;
	p->cur.n_doms = 0;
	p->cur.skipped = 0;
	p->in_report = true;
	return 0;
}

static int parse_dom(struct virt_parser *p, char **w, int n)
{
	struct virt_dom d = { 0 };
	uint64_t cpu_ns, mib, vcpus;

	if (n != 6 || !vm_name_ok(w[1]) || !state_parse(w[2], &d.state) ||
	    !kv_parse(w[3], "cpu_ns", 0, UINT64_MAX, &cpu_ns) ||
	    !kv_parse(w[4], "memory_mib", 0, UINT32_MAX, &mib) ||
	    !kv_parse(w[5], "vcpus", 0, UINT32_MAX, &vcpus))
		return -EINVAL;
	if (p->cur.n_doms == VIRT_DOMS_MAX)
		return -EINVAL;
	/* One host cannot run two domains of one name: a report that says
	 * so is not one to act on. */
	for (size_t i = 0; i < p->cur.n_doms; i++)
		if (strcmp(p->cur.doms[i].name, w[1]) == 0)
			return -EINVAL;
	snprintf(d.name, sizeof(d.name), "%s", w[1]); /* virt_name_ok: at most 63 */
	d.cpu_ns = cpu_ns;
	d.memory_mib = (uint32_t)mib;
	d.vcpus = (uint32_t)vcpus;
	p->cur.doms[p->cur.n_doms++] = d;
	return 0;
}

static int parse_end(struct virt_parser *p, char **w, int n, struct virt_report *out)
{
	uint64_t seq, skipped = 0;

	if (n < 2 || n > 3 || !num_parse(w[1], 1, UINT64_MAX, &seq) || seq != p->cur.seq)
		return -EINVAL;
	if (n == 3 && !kv_parse(w[2], "skipped", 0, UINT32_MAX, &skipped))
		return -EINVAL;
	p->cur.skipped = (uint32_t)skipped;
	/* Only the domains in use: the array is large. */
	out->seq = p->cur.seq;
	out->cpus = p->cur.cpus;
	out->mem_total_mib = p->cur.mem_total_mib;
	out->mem_free_mib = p->cur.mem_free_mib;
	out->n_doms = p->cur.n_doms;
	out->skipped = p->cur.skipped;
	memcpy(out->doms, p->cur.doms, p->cur.n_doms * sizeof(out->doms[0]));
	p->in_report = false;
	return 1;
}

int virt_report_feed(struct virt_parser *p, const char *line, struct virt_report *out)
{
	char buf[VIRT_LINE_MAX];
	char *w[8];
	size_t len = strlen(line);
	bool was_in = p->in_report;
	int n, rc = -EINVAL;

	/* Any malformed line drops the report in progress: set again below
	 * only by a good begin or dom line. */
	p->in_report = false;
	if (len >= VIRT_LINE_MAX) /* VIRT_LINE_MAX bytes with its '\n' */
		return -EINVAL;
	memcpy(buf, line, len + 1);
	n = split(buf, w, 8);
	if (n < 1)
		return -EINVAL;
	if (strcmp(w[0], "warm") == 0) {
		/* The first line of a monitor, never inside a report. */
		return n == 1 && !was_in ? 2 : -EINVAL;
	} else if (strcmp(w[0], "begin") == 0) {
		rc = parse_begin(p, w, n);
		/* A begin inside a report: the one before was cut short. This
		 * begin still starts the next. */
		if (rc == 0 && was_in)
			return -EINVAL;
		return rc;
	} else if (strcmp(w[0], "dom") == 0 && was_in) {
		p->in_report = true;
		rc = parse_dom(p, w, n);
	} else if (strcmp(w[0], "end") == 0 && was_in) {
		p->in_report = true;
		rc = parse_end(p, w, n, out);
	}
	if (rc < 0)
		p->in_report = false;
	return rc;
}

/* ------------------------------------------------------------------ */
/* Blocking operations */

static virConnectPtr connect_to(const char *uri, char *err, size_t errlen)
{
	virConnectPtr c;

	quiet_errors();
	c = virConnectOpen(uri);
	if (!c)
		copy_err(err, errlen);
	return c;
}

/*
 * The errno for libvirt's last error. Matched on the message as well as
 * the code: the lock driver's and the drivers' "already" errors have used
 * several codes across libvirt versions, while the messages have stayed.
 */
static int errno_of_last(virConnectPtr conn)
{
	int code = virGetLastErrorCode();
	const char *msg = last_message();

	if (code == VIR_ERR_RESOURCE_BUSY || strstr(msg, "acquire lock"))
		return -EBUSY; /* sanlock: "Failed to acquire lock: File exists" */
	if (code == VIR_ERR_DOM_EXIST || strstr(msg, "already exists") ||
	    strstr(msg, "already active") || strstr(msg, "already running"))
		return -EEXIST;
	if (code == VIR_ERR_NO_DOMAIN)
		return -ENOENT;
	if (conn && virConnectIsAlive(conn) != 1)
		return -ENOTCONN;
	return -EIO;
}

/* NAME if it runs here (any state but shut off), else NULL and *RC. */
static virDomainPtr lookup_active(virConnectPtr conn, const char *name, int *rc, char *err,
				  size_t errlen)
{
	virDomainPtr d = virDomainLookupByName(conn, name);
	int active;

	if (!d) {
		copy_err(err, errlen);
		*rc = errno_of_last(conn);
		return NULL;
	}
	active = virDomainIsActive(d);
	if (active == 1)
		return d;
	if (active == 0) {
		set_err(err, errlen, "domain '%s' is not running", name);
		*rc = -ENOENT;
	} else {
		copy_err(err, errlen);
		*rc = errno_of_last(conn);
	}
	virDomainFree(d);
	return NULL;
}

int virt_qemu_pid(const char *name)
{
	char path[sizeof(VIRT_QEMU_PID_DIR) + 256 + 8], buf[32];
	long pid;
	char *end;
	ssize_t n;
	int fd;

	if (snprintf(path, sizeof(path), "%s/%s.pid", VIRT_QEMU_PID_DIR, name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	errno = 0;
	pid = strtol(buf, &end, 10);
	if (errno || pid <= 0 || pid > INT32_MAX || (*end != '\0' && *end != '\n'))
		return -EINVAL;
	return (int)pid;
}

int virt_start(const char *uri, const char *xml, char *err, size_t errlen)
{
	virConnectPtr conn = connect_to(uri, err, errlen);
	virDomainPtr d;
	int rc = 0;

	if (!conn)
		return -ENOTCONN;
	/* Transient (CreateXML, no define): a domain that stops is gone, so
	 * no host keeps a stale definition that could be started by hand. */
	d = virDomainCreateXML(conn, xml, 0);
	if (d) {
		virDomainFree(d);
	} else {
		copy_err(err, errlen);
		rc = errno_of_last(conn);
		/* ENOENT here would be read as "not running": it is not. */
		if (rc == -ENOENT)
			rc = -EIO;
	}
	virConnectClose(conn);
	return rc;
}

int virt_domain_state(const char *uri, const char *name, enum virt_state *state, char *err,
		      size_t errlen)
{
	virConnectPtr conn = connect_to(uri, err, errlen);
	virDomainPtr d;
	int st, reason, rc = 0;

	if (!conn)
		return -ENOTCONN;
	d = virDomainLookupByName(conn, name);
	if (!d || virDomainGetState(d, &st, &reason, 0) < 0) {
		copy_err(err, errlen);
		rc = errno_of_last(conn);
		/* Only "no such domain" and a lost connection mean something to
		 * the caller; EBUSY or EEXIST cannot come from a lookup. */
		if (rc != -ENOENT && rc != -ENOTCONN)
			rc = -EIO;
	} else {
		*state = state_of(st, reason);
	}
	if (d)
		virDomainFree(d);
	virConnectClose(conn);
	return rc;
}

/* Power the domain off; gone already (or just now) counts as done. */
static int destroy(virConnectPtr conn, virDomainPtr d, char *err, size_t errlen)
{
	int code, rc;

	if (virDomainDestroy(d) == 0)
		return 0;
	/* Read before errno_of_last: its own calls reset libvirt's error. */
	code = virGetLastErrorCode();
	copy_err(err, errlen);
	rc = errno_of_last(conn);
	if (rc == -ENOENT || code == VIR_ERR_OPERATION_INVALID)
		return virDomainIsActive(d) == 1 ? -EIO : 0;
	return rc;
}

/* Whether D is down: shut off, or gone (a transient domain vanishes). */
static int is_down(virConnectPtr conn, virDomainPtr d)
{
	int state, reason;

	if (virDomainGetState(d, &state, &reason, 0) < 0)
		return errno_of_last(conn) == -ENOENT ? 1 : 0;
	return state == VIR_DOMAIN_SHUTOFF;
}

int virt_stop(const char *uri, const char *name, uint32_t grace_ms, char *err, size_t errlen)
{
	virConnectPtr conn = connect_to(uri, err, errlen);
	virDomainPtr d;
	uint64_t deadline;
	int rc = 0;

	if (!conn)
		return -ENOTCONN;
	d = lookup_active(conn, name, &rc, err, errlen);
	if (!d)
		goto out;
	deadline = clock_now_ms() + grace_ms;
	/* A guest that cannot be asked (the shutdown call fails) is
	 * destroyed at once: waiting would only delay its stop. */
	if (virDomainShutdown(d) == 0) {
		while (!is_down(conn, d) && clock_now_ms() < deadline)
			clock_sleep_ms(STOP_POLL_MS);
	}
	if (!is_down(conn, d))
		rc = destroy(conn, d, err, errlen);
	virDomainFree(d);
out:
	virConnectClose(conn);
	return rc;
}

int virt_destroy(const char *uri, const char *name, char *err, size_t errlen)
{
	virConnectPtr conn = connect_to(uri, err, errlen);
	virDomainPtr d;
	int rc = 0;

	if (!conn)
		return -ENOTCONN;
	d = lookup_active(conn, name, &rc, err, errlen);
	if (d) {
		rc = destroy(conn, d, err, errlen);
		virDomainFree(d);
	}
	virConnectClose(conn);
	return rc;
}

int virt_migrate(const char *uri, const char *name, const char *dest_uri, const char *migrate_uri,
		 char *err, size_t errlen)
{
	return virt_migrate_ex(uri, name, dest_uri, migrate_uri, false, err, errlen);
}

int virt_migrate_ex(const char *uri, const char *name, const char *dest_uri,
		    const char *migrate_uri, bool unsafe, char *err, size_t errlen)
{
	virConnectPtr conn = connect_to(uri, err, errlen);
	virTypedParameterPtr params = NULL;
	int nparams = 0, maxparams = 0, rc = 0;
	virDomainPtr d;

	if (!conn)
		return -ENOTCONN;
	d = lookup_active(conn, name, &rc, err, errlen);
	if (!d)
		goto out;
	if (migrate_uri && virTypedParamsAddString(&params, &nparams, &maxparams,
						   VIR_MIGRATE_PARAM_URI, migrate_uri) < 0) {
		copy_err(err, errlen);
		rc = -ENOMEM;
		goto out;
	}
	/*
	 * Peer to peer: the source's libvirtd drives the migration to the
	 * destination's itself, so it completes (or is rolled back, the VM
	 * running on at the source) even if this process dies halfway; a
	 * migration driven by a client that dies can leave the source paused
	 * without its lease. LIVE; neither PERSIST_DEST nor UNDEFINE_SOURCE,
	 * since havm's domains are transient on every host.
	 */
	if (virDomainMigrateToURI3(d, dest_uri, params, (unsigned)nparams,
				   VIR_MIGRATE_LIVE | VIR_MIGRATE_PEER2PEER |
					   (unsafe ? VIR_MIGRATE_UNSAFE : 0)) < 0) {
		copy_err(err, errlen);
		rc = errno_of_last(conn);
		if (rc == -ENOTCONN)
			rc = -EHOSTUNREACH; /* ours answered: the destination did not */
	}
out:
	virTypedParamsFree(params, nparams);
	if (d)
		virDomainFree(d);
	virConnectClose(conn);
	return rc;
}
