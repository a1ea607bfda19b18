/*
 * vm_load.c: this host's CPU load and each domain's, smoothed, for the
 * balancer and for status.
 *
 * A domain's load is the rate of its CPU time (libvirt's cpuTime, in the
 * monitor's report every second) in thousandths of a CPU; the host's is
 * the sum of its domains' (balance.load_source = "domains": what a host
 * gives its VMs, and what works on a test bed whose hosts share one
 * machine) or its /proc/stat busy time ("host": everything it runs).
 * Both are smoothed exponentially over balance.window_ms, so that one
 * busy second moves nothing.
 *
 * The values published in our report change at most every
 * LOAD_PUBLISH_MS: loads move every second, and a report each second
 * from every host would be mostly noise on the group.
 */
#include "vm.h"
#include "clock.h"
#include "havmd.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LOAD_PUBLISH_MS 5000
#define LOAD_WINDOW_DEFAULT_MS 30000

static struct vm_load_dom *find(struct vm_state *v, const char *name)
{
	for (size_t i = 0; i < v->n_load; i++)
		if (strcmp(v->load[i].name, name) == 0)
			return &v->load[i];
	return NULL;
}

/* One step of the exponential average towards RATE over DT_MS. */
static uint32_t smooth(uint32_t avg, uint64_t rate, uint64_t dt_ms, uint64_t window_ms, bool first)
{
	double a = (double)dt_ms / (double)window_ms;

	if (first)
		return rate > UINT32_MAX ? UINT32_MAX : (uint32_t)rate;
	if (a > 1.0)
		a = 1.0;
	return (uint32_t)((double)avg + a * ((double)rate - (double)avg) + 0.5);
}

/* /proc/stat's first line: busy and total jiffies of all CPUs. */
static int proc_stat(uint64_t *busy, uint64_t *total)
{
	unsigned long long f[10] = { 0 };
	char buf[512];
	ssize_t n;
	int fd = open("/proc/stat", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	if (sscanf(buf, "cpu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &f[0], &f[1],
		   &f[2], &f[3], &f[4], &f[5], &f[6], &f[7], &f[8], &f[9]) < 4)
		return -EINVAL;
	*total = 0;
	for (int i = 0; i < 8; i++) /* guest time is in user time already */
		*total += f[i];
	*busy = *total - f[3] - f[4]; /* less idle and iowait */
	return 0;
}

void vm_load_update(struct havmd *h, uint64_t now)
{
	struct vm_state *v = &h->vm;
	uint64_t window = h->cfg.balance_window_ms ? h->cfg.balance_window_ms : LOAD_WINDOW_DEFAULT_MS;
	uint64_t sum = 0;
	size_t kept = 0;

	if (!v->load || !v->have_virt)
		return;
	for (size_t i = 0; i < v->n_load; i++)
		v->load[i].seen = false;
	for (size_t i = 0; i < v->virt->n_doms; i++) {
		const struct virt_dom *d = &v->virt->doms[i];
		struct vm_load_dom *l;

		if (d->state == VIRT_SHUTOFF)
			continue;
		l = find(v, d->name);
		if (!l && v->n_load < WIRE_VM_DOMS_MAX) {
			l = &v->load[v->n_load++];
			*l = (struct vm_load_dom){ .cpu_ns = d->cpu_ns, .at_ms = now };
			snprintf(l->name, sizeof(l->name), "%s", d->name);
		}
		if (!l)
			continue;
		l->seen = true;
		if (now > l->at_ms && d->cpu_ns >= l->cpu_ns) {
			uint64_t dt = now - l->at_ms;
			/* ns per ms of wall time = millionths of a CPU; /1000: milli */
			uint64_t rate = (d->cpu_ns - l->cpu_ns) / dt / 1000;
			l->milli = smooth(l->milli, rate, dt, window, !l->have);
			l->have = true;
		}
		l->cpu_ns = d->cpu_ns;
		l->at_ms = now;
		sum += l->milli;
	}
	/* Forget domains gone (a new qemu starts its CPU time from zero). */
	for (size_t i = 0; i < v->n_load; i++)
		if (v->load[i].seen)
			v->load[kept++] = v->load[i];
	v->n_load = kept;

	if (h->cfg.balance_load_source == HAVM_LOAD_HOST) {
		uint64_t busy, total;
		if (proc_stat(&busy, &total) == 0) {
			if (v->proc_total && total > v->proc_total && busy >= v->proc_busy) {
				uint64_t rate = (busy - v->proc_busy) * 1000 * v->virt->cpus /
						(total - v->proc_total);
				v->host_load = smooth(v->host_load, rate, now - v->proc_ms, window,
						      !v->host_load_have);
				v->host_load_have = true;
			}
			v->proc_busy = busy;
			v->proc_total = total;
			v->proc_ms = now;
		}
	} else {
		v->host_load = sum > UINT32_MAX ? UINT32_MAX : (uint32_t)sum;
	}
	if (now - v->load_pub_ms >= LOAD_PUBLISH_MS) {
		v->load_pub_ms = now;
		v->host_load_pub = v->host_load;
		for (size_t i = 0; i < v->n_load; i++)
			v->load[i].pub = v->load[i].milli;
		v->report_dirty = true;
	}
}

uint32_t vm_load_dom(const struct havmd *h, const char *name)
{
	for (size_t i = 0; h->vm.load && i < h->vm.n_load; i++)
		if (strcmp(h->vm.load[i].name, name) == 0)
			return h->vm.load[i].pub;
	return 0;
}
