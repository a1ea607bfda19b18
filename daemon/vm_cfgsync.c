/*
 * vm_cfgsync.c: the cluster configuration (lib/vm_config.h) kept the same
 * on every host.
 *
 * - A change comes from a CLI on any host. That host checks it, and sends
 *   it to the group (HAVM_MSG_VMCFG, kind CHANGE) with the version it
 *   applies to. CPG delivers it to every member in the same order; each
 *   member applies it if it holds that version and its partition is
 *   quorate, and saves the result (vmcfg_save: temp file, fsync, rename,
 *   fsync of the directory) before anything else. Members that hold the
 *   same version get the same result (vmcfg_apply is deterministic); two
 *   changes made at once on two hosts: the first delivered wins, the
 *   second no longer applies to its version and its CLI is told to retry.
 * - The origin answers its CLI only once the change was applied and saved
 *   here: what a CLI was told is done is on disk on every member that
 *   applied it.
 * - Every member announces the version and hash it holds (in its VM
 *   report). When members differ (a host joined, or was away), the member
 *   holding the greatest (version, hash) -- the lowest node id among equals
 *   -- sends its whole configuration (kind FULL); a member with a lesser
 *   one takes it. A partition without quorum applies no change, so the
 *   quorate side's version is the greatest when they meet again.
 * - Changes are refused while the members differ, so that no change is
 *   applied to a version a newcomer does not hold.
 * Saving fsyncs a local file on the loop: a few hundred KiB to the local
 * disk (never the shared storage), like the fence history.
 */
#include "vm.h"

#include "clock.h"
#include "cluster.h"
#include "ctl_server.h"
#include "events.h"
#include "havmd.h"
#include "log.h"
#include "service.h"
#include "storage.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FULL_RESEND_MS 2000
#define PENDING_TIMEOUT_MS 30000

/* Quorate and settled: the membership and quorum views agree (a
 * coordinator is known). A change is applied, and a whole configuration
 * taken, only then: a partition without quorum must not move on. */
static int check_change(const struct havmd *h, const struct vmcfg_change *ch, char *err,
			size_t cap);

static bool quorate_now(const struct havmd *h)
{
	return h->cluster.up && h->cluster.quorate && h->cluster.coordinator != 0;
}

/*
 * A change needs the havmds of a majority of havm.conf's hosts in the
 * group, not only corosync's quorum: hosts where corosync runs without
 * havmd (stopped for an upgrade) hold no copy, and two changes made by
 * two minorities of havmds at different times would both be acknowledged
 * and one of them lost when the copies meet.
 */
static bool havmd_majority(const struct havmd *h)
{
	return h->cluster.n_cpg * 2 > h->cfg.n_hosts;
}

int vmcfg_sync_start(struct havmd *h)
{
	struct vm_state *v = &h->vm;
	char err[512];
	int rc;

	v->cfg = calloc(1, sizeof(*v->cfg));
	if (!v->cfg)
		return -ENOMEM;
	rc = vmcfg_load_file(VM_CFG_PATH, v->cfg, err, sizeof(err));
	if (rc == -ENOENT) {
		log_info("vm: no cluster configuration saved yet path=%s; taking the group's",
			 VM_CFG_PATH);
		memset(v->cfg, 0, sizeof(*v->cfg));
	} else if (rc < 0) {
		/* Kept aside, never overwritten: an operator may want it back.
		 * The group's copy (any member that applied the same changes)
		 * replaces it. */
		char aside[sizeof(VM_CFG_PATH) + 32];

		snprintf(aside, sizeof(aside), "%s.bad.%lld", VM_CFG_PATH, (long long)time(NULL));
		log_err("vm: cannot read the saved cluster configuration error=\"%s\"; kept as "
			"path=%s, taking the group's",
			rc == -EINVAL ? err : strerror(-rc), aside);
		if (rename(VM_CFG_PATH, aside) < 0)
			log_err("vm: cannot move it aside error=\"%s\"", strerror(errno));
		memset(v->cfg, 0, sizeof(*v->cfg));
	} else {
		log_info("vm: cluster configuration loaded version=%llu vms=%zu",
			 (unsigned long long)v->cfg->version, v->cfg->n_vms);
	}
	v->cfg_hash = vmcfg_hash(v->cfg);
	v->next_req_id = 1;
	return 0;
}

static void rx_reset(struct vm_rx *r)
{
	free(r->buf);
	*r = (struct vm_rx){ 0 };
}

static void pending_answer(struct havmd *h, struct vm_pending *p, enum havm_status st,
			   const char *text, uint64_t version)
{
	if (st == HAVM_OK) {
		struct wire_vmcfg_reply m = { .state = WIRE_VMCFG_DONE, .version = version };
		uint8_t out[HAVM_WIRE_HDR_LEN + 16];
		int n = wire_vmcfg_reply_encode(out, sizeof(out), &m);
		if (n > 0)
			ctl_send_reply(h, p->conn, p->ipc_id, out, n);
	} else {
		ctl_reply_error(h, p->conn, p->ipc_id, st, text);
	}
	qb_ipcs_connection_unref(p->conn);
	*p = (struct vm_pending){ 0 };
}

static struct vm_pending *pending_find(struct havmd *h, uint64_t req_id)
{
	for (size_t i = 0; i < VM_PENDING_MAX; i++)
		if (h->vm.pending[i].used && h->vm.pending[i].req_id == req_id)
			return &h->vm.pending[i];
	return NULL;
}

void vmcfg_sync_stop(struct havmd *h)
{
	struct vm_state *v = &h->vm;

	for (size_t i = 0; i < VM_PENDING_MAX; i++)
		if (v->pending[i].used)
			pending_answer(h, &v->pending[i], HAVM_E_INTERNAL,
				       "havmd is stopping; see whether the change was made with "
				       "`havm configure show`",
				       0);
	for (size_t i = 0; i < WIRE_NODES_MAX; i++)
		rx_reset(&v->rx[i]);
	free(v->cfg);
	v->cfg = NULL;
}

/* Adopt NEW (a configuration now in force), save it, and tell. */
static int adopt(struct havmd *h, struct vm_config *nc, const char *why, uint32_t from)
{
	struct vm_state *v = &h->vm;
	uint64_t old = v->cfg->version;
	int rc;

	memcpy(v->cfg, nc, sizeof(*nc));
	v->cfg_hash = vmcfg_hash(v->cfg);
	rc = vmcfg_save(VM_CFG_PATH, v->cfg);
	if (rc < 0)
		log_err("vm: cannot save the cluster configuration path=%s version=%llu "
			"error=\"%s\"; it is in force here but would be lost if havmd restarts "
			"before the next change",
			VM_CFG_PATH, (unsigned long long)v->cfg->version, strerror(-rc));
	event_record(h, HAVM_EV_CONFIG_CHANGED, LOG_NOTICE, from, NULL,
		     "version=%llu previous=%llu vms=%zu %s", (unsigned long long)v->cfg->version,
		     (unsigned long long)old, v->cfg->n_vms, why);
	vm_host_report(h, false);
	services_facts_changed(h);
	return rc;
}

static const char *change_summary(const struct vmcfg_change *ch, char *buf, size_t cap)
{
	switch (ch->op) {
	case VMCFG_ADD:
		snprintf(buf, cap, "change=add vm=%s", ch->spec.name);
		break;
	case VMCFG_REMOVE:
		snprintf(buf, cap, "change=remove vm=%s", ch->spec.name);
		break;
	case VMCFG_STATE:
		snprintf(buf, cap, "change=state vm=%s state=%s", ch->spec.name,
			 ch->spec.stopped ? "stopped" : "started");
		break;
	case VMCFG_REPLACE:
		snprintf(buf, cap, "change=load vms=%zu", ch->all ? ch->all->n_vms : 0);
		break;
	case VMCFG_NODE:
		snprintf(buf, cap, "change=node node=%s maintenance=%s", ch->node.name,
			 ch->node.maint == VMCFG_MAINT_ALL	   ? "on"
			 : ch->node.maint == VMCFG_MAINT_PROTECTED ? "protected"
								   : "off");
		break;
	case VMCFG_PROPERTY:
		snprintf(buf, cap, "change=property maintenance-mode=%s",
			 ch->maintenance ? "true" : "false");
		break;
	}
	return buf;
}

static void on_change(struct havmd *h, const struct wire_vmcfg *head, const char *text,
		      size_t len)
{
	struct vm_state *v = &h->vm;
	bool mine = head->origin == h->cluster.local_nodeid;
	struct vm_pending *p = mine ? pending_find(h, head->req_id) : NULL;
	struct vmcfg_change ch;
	struct vm_config *nc = NULL;
	char err[512], sum[160];
	int rc;

	if (!quorate_now(h) || !havmd_majority(h)) {
		log_notice("vm: configuration change not applied: no quorum (or too few havmds) "
			   "here origin=%u",
			   head->origin);
		if (p)
			pending_answer(h, p, HAVM_E_REFUSED,
				       "quorum was lost before the change was applied; nothing "
				       "changed",
				       0);
		return;
	}
	if (head->version != v->cfg->version) {
		log_info("vm: configuration change not applied: it is for another version "
			 "origin=%u base=%llu ours=%llu",
			 head->origin, (unsigned long long)head->version,
			 (unsigned long long)v->cfg->version);
		if (p)
			pending_answer(h, p, HAVM_E_CONFLICT,
				       "the configuration changed meanwhile; nothing changed, try "
				       "again",
				       0);
		return;
	}
	rc = vmcfg_change_parse(text, len, &ch, err, sizeof(err));
	if (rc < 0) {
		log_warn("vm: dropped a malformed configuration change origin=%u error=\"%s\"",
			 head->origin, err);
		if (p)
			pending_answer(h, p, HAVM_E_INVALID, err, 0);
		return;
	}
	nc = malloc(sizeof(*nc));
	if (!nc) {
		/* Everyone else applies it: the sync hands it to us later. */
		log_err("vm: out of memory applying a configuration change");
		vmcfg_change_free(&ch);
		if (p)
			pending_answer(h, p, HAVM_E_INTERNAL, "out of memory in havmd", 0);
		return;
	}
	memcpy(nc, v->cfg, sizeof(*nc));
	rc = vmcfg_apply(nc, &ch, err, sizeof(err));
	if (rc < 0) {
		log_info("vm: configuration change refused origin=%u error=\"%s\"", head->origin,
			 err);
		if (p)
			pending_answer(h, p, rc == -ENOENT ? HAVM_E_NOTFOUND : HAVM_E_INVALID, err,
				       0);
	} else {
		int saved = adopt(h, nc, change_summary(&ch, sum, sizeof(sum)), head->origin);
		/* `havm vm start` is also how an operator says "try again" to a
		 * VM that failed: its restart history is forgotten. */
		if (ch.op == VMCFG_STATE && !ch.spec.stopped)
			vm_track_reset(h, ch.spec.name);
		/* Acknowledged only once on this host's disk. */
		if (p && saved < 0)
			pending_answer(h, p, HAVM_E_INTERNAL,
				       "the change is in force in the cluster but could not be "
				       "saved on this host; see havmd's log",
				       0);
		else if (p)
			pending_answer(h, p, HAVM_OK, NULL, v->cfg->version);
	}
	free(nc);
	vmcfg_change_free(&ch);
}

/* Whether (VA, HA) is newer than (VB, HB): the greater version, then hash. */
static bool newer(uint64_t va, uint64_t ha, uint64_t vb, uint64_t hb)
{
	return va > vb || (va == vb && ha > hb);
}

static void on_full(struct havmd *h, const struct wire_vmcfg *head, const char *text, size_t len)
{
	struct vm_state *v = &h->vm;
	struct vm_config *nc;
	char err[512], why[96];

	if (!newer(head->version, head->hash, v->cfg->version, v->cfg_hash))
		return;
	if (head->version == v->cfg->version)
		log_err("vm: two different cluster configurations of one version met "
			"version=%llu from_nodeid=%u; the one with the greater hash wins: check "
			"`havm configure show` (a change made while the hosts were apart may be "
			"lost)",
			(unsigned long long)head->version, head->origin);
	if (!quorate_now(h)) {
		log_info("vm: newer configuration from nodeid=%u not taken: no quorum here",
			 head->origin);
		return;
	}
	nc = malloc(sizeof(*nc));
	if (!nc) {
		log_err("vm: out of memory taking the group's configuration");
		return;
	}
	if (vmcfg_parse(text, len, true, nc, err, sizeof(err)) < 0 ||
	    nc->version != head->version || vmcfg_hash(nc) != head->hash) {
		log_warn("vm: dropped a malformed configuration from host=%u error=\"%s\"",
			 head->origin, err);
		free(nc);
		return;
	}
	{
		/* Checked as a change would be: a configuration naming hosts
		 * this havm.conf lacks, or XMLs outside the shared directory,
		 * is refused here too (and logged: the host that sent it has
		 * another havm.conf). */
		struct vmcfg_change ch = { .op = VMCFG_REPLACE, .all = nc };
		if (check_change(h, &ch, err, sizeof(err)) < 0) {
			log_err("vm: configuration from nodeid=%u refused: %s (is havm.conf the "
				"same on every host?)",
				head->origin, err);
			free(nc);
			return;
		}
	}
	snprintf(why, sizeof(why), "taken from nodeid=%u", head->origin);
	log_notice("vm: cluster configuration taken from the group nodeid=%u version=%llu "
		   "previous=%llu",
		   head->origin, (unsigned long long)nc->version,
		   (unsigned long long)v->cfg->version);
	adopt(h, nc, why, head->origin);
	free(nc);
}

int vmcfg_sync_on_cpg(struct havmd *h, const struct wire_vmcfg *m, uint32_t nodeid)
{
	struct vm_state *v = &h->vm;
	struct vm_rx *r = NULL;

	if (m->origin != nodeid)
		return -EBADMSG; /* a message speaks for its sender only */
	for (size_t i = 0; i < WIRE_NODES_MAX && !r; i++)
		if (v->rx[i].active && v->rx[i].from == nodeid)
			r = &v->rx[i];
	if (m->offset == 0) {
		if (!r)
			for (size_t i = 0; i < WIRE_NODES_MAX && !r; i++)
				if (!v->rx[i].active)
					r = &v->rx[i];
		if (!r)
			return -ENOSPC;
		rx_reset(r);
		r->buf = malloc((size_t)m->total + 1);
		if (!r->buf) {
			log_err("vm: out of memory receiving a configuration from nodeid=%u",
				nodeid);
			return 0;
		}
		r->active = true;
		r->from = nodeid;
		r->head = *m;
		r->head.chunk = NULL;
		r->total = m->total;
		r->since_ms = clock_now_ms();
	} else if (!r || r->head.kind != m->kind || r->head.version != m->version ||
		   r->head.req_id != m->req_id || r->total != m->total || r->got != m->offset) {
		/* A chunk out of its sequence: CPG keeps one sender's order, so
		 * the sender restarted; its next text starts at offset 0. */
		log_warn("vm: dropped a configuration chunk out of sequence nodeid=%u offset=%u",
			 nodeid, m->offset);
		if (r)
			rx_reset(r);
		return 0;
	}
	memcpy(r->buf + r->got, m->chunk, m->len);
	r->got += m->len;
	if (r->got < r->total)
		return 0;
	r->buf[r->total] = '\0';
	if (r->head.kind == WIRE_VMCFG_CHANGE)
		on_change(h, &r->head, r->buf, r->total);
	else
		on_full(h, &r->head, r->buf, r->total);
	rx_reset(r);
	return 0;
}

void vmcfg_sync_member_left(struct havmd *h, uint32_t nodeid)
{
	for (size_t i = 0; i < WIRE_NODES_MAX; i++)
		if (h->vm.rx[i].active && h->vm.rx[i].from == nodeid)
			rx_reset(&h->vm.rx[i]);
}

/* Send TEXT to the group in chunks. 0 or -errno (nothing more is sent
 * after a failure; receivers drop the partial text at the next offset 0). */
static int send_text(struct havmd *h, struct wire_vmcfg *m, const char *text, size_t len)
{
	static uint8_t buf[HAVM_WIRE_MSG_MAX];
	uint32_t off = 0;

	m->origin = h->cluster.local_nodeid;
	m->total = (uint32_t)len;
	do {
		uint32_t n = m->total - off > WIRE_CHUNK_MAX ? WIRE_CHUNK_MAX : m->total - off;
		int rc;

		m->offset = off;
		m->len = n;
		m->chunk = text + off;
		rc = wire_vmcfg_encode(buf, sizeof(buf), m);
		if (rc > 0)
			rc = cluster_send(h, buf, (size_t)rc);
		if (rc < 0)
			return rc;
		off += n;
	} while (off < m->total);
	return 0;
}

bool vmcfg_sync_agreed(const struct havmd *h)
{
	return vmcfg_sync_agreed_ex(h, false);
}

bool vmcfg_sync_agreed_ex(const struct havmd *h, bool fresh)
{
	const struct vm_state *v = &h->vm;

	for (size_t i = 0; i < h->cluster.n_cpg; i++) {
		uint32_t id = h->cluster.cpg_members[i];
		const struct vm_member *m = NULL;

		for (size_t k = 0; k < WIRE_NODES_MAX && !m; k++)
			if (v->members[k].have && v->members[k].nodeid == id)
				m = &v->members[k];
		/* FRESH: from this view only: a report kept from before we (or
		 * it) left and came back says nothing of what it holds now. */
		if (!m || (fresh && m->view_seq != v->view_seq) ||
		    m->r.cfg_version != v->cfg->version || m->r.cfg_hash != v->cfg_hash)
			return false;
	}
	return true;
}

/* Hand our configuration to members that hold an older one, if ours is
 * the greatest and no lower node id holds the same. */
static void full_sync(struct havmd *h, uint64_t now)
{
	struct vm_state *v = &h->vm;
	bool behind = false;
	struct wire_vmcfg m = { .kind = WIRE_VMCFG_FULL };
	char *text;
	size_t len;
	int rc;

	if (!h->cluster.up || now - v->full_sent_ms < FULL_RESEND_MS)
		return;
	for (size_t i = 0; i < h->cluster.n_cpg; i++) {
		uint32_t id = h->cluster.cpg_members[i];
		const struct vm_member *mm = NULL;

		if (id == h->cluster.local_nodeid)
			continue;
		for (size_t k = 0; k < WIRE_NODES_MAX && !mm; k++)
			if (v->members[k].have && v->members[k].nodeid == id)
				mm = &v->members[k];
		if (!mm)
			continue; /* no report yet: it announces once it has joined */
		if (newer(mm->r.cfg_version, mm->r.cfg_hash, v->cfg->version, v->cfg_hash))
			return; /* someone holds a newer one: it sends */
		if (mm->r.cfg_version == v->cfg->version && mm->r.cfg_hash == v->cfg_hash) {
			if (id < h->cluster.local_nodeid)
				return; /* an equal holder with a lower id sends */
			continue;
		}
		behind = true;
	}
	if (!behind || v->cfg->version == 0)
		return;
	text = vmcfg_format(v->cfg, true, &len);
	if (!text) {
		log_err("vm: out of memory formatting the configuration");
		return;
	}
	m.version = v->cfg->version;
	m.hash = v->cfg_hash;
	rc = send_text(h, &m, text, len);
	free(text);
	v->full_sent_ms = now;
	if (rc < 0)
		log_warn("vm: cannot send the configuration to the group error=\"%s\"; retrying",
			 strerror(-rc));
	else
		log_info("vm: sent the configuration to members holding an older one "
			 "version=%llu bytes=%zu",
			 (unsigned long long)m.version, len);
}

void vmcfg_sync_tick(struct havmd *h, uint64_t now)
{
	struct vm_state *v = &h->vm;

	for (size_t i = 0; i < VM_PENDING_MAX; i++)
		if (v->pending[i].used && now - v->pending[i].since_ms > PENDING_TIMEOUT_MS)
			pending_answer(h, &v->pending[i], HAVM_E_INTERNAL,
				       "the change was sent but did not come back from the group "
				       "in time; see whether it was made with `havm configure show`",
				       0);
	for (size_t i = 0; i < WIRE_NODES_MAX; i++)
		if (v->rx[i].active && now - v->rx[i].since_ms > PENDING_TIMEOUT_MS)
			rx_reset(&v->rx[i]);
	full_sync(h, now);
}

/* Names in prefer= and avoid= must be hosts of havm.conf; the VM's name
 * must fit a sanlock lease's (its lease is named after it). */
static int check_hosts(const struct havmd *h, const struct vm_spec *s, char *err, size_t cap)
{
	if (strlen(s->name) > STORAGE_LEASE_NAME_MAX) {
		snprintf(err, cap, "VM %s: a protected VM's name is at most %d characters (its "
			 "lease on the shared storage is named after it)",
			 s->name, STORAGE_LEASE_NAME_MAX);
		return -EINVAL;
	}
	for (size_t i = 0; i < s->n_prefer + s->n_avoid; i++) {
		const char *n = i < s->n_prefer ? s->prefer[i] : s->avoid[i - s->n_prefer];
		if (!config_host_by_name(&h->cfg, n)) {
			snprintf(err, cap, "VM %s: no host named \"%s\" in havm.conf", s->name, n);
			return -EINVAL;
		}
	}
	return 0;
}

/* The XML must be under vms.shared_dir: every host reads it from there. */
static int check_xml_path(const struct havmd *h, const struct vm_spec *s, char *err, size_t cap)
{
	const char *d = h->cfg.vms_shared_dir;
	size_t n = strlen(d);

	while (n > 1 && d[n - 1] == '/')
		n--;
	if (strncmp(s->xml, d, n) != 0 || s->xml[n] != '/') {
		snprintf(err, cap,
			 "VM %s: its XML %.150s is not under vms.shared_dir %.150s: every host must "
			 "read it from the shared storage",
			 s->name, s->xml, d);
		return -EINVAL;
	}
	return 0;
}

static int check_change(const struct havmd *h, const struct vmcfg_change *ch, char *err,
			size_t cap)
{
	if (ch->op == VMCFG_ADD)
		return check_hosts(h, &ch->spec, err, cap) ?: check_xml_path(h, &ch->spec, err, cap);
	/* Into maintenance: only a host of havm.conf. Out of it, any: a
	 * host removed from havm.conf while in maintenance must be able to
	 * leave it, and a whole configuration naming one (synchronised from
	 * a member) must apply, or the hosts would never agree again. */
	if (ch->op == VMCFG_NODE && ch->node.maint != VMCFG_MAINT_OFF &&
	    !config_host_by_name(&h->cfg, ch->node.name)) {
		snprintf(err, cap, "no host %s in havm.conf", ch->node.name);
		return -ENOENT;
	}
	if (ch->op == VMCFG_REPLACE)
		for (size_t i = 0; i < ch->all->n_vms; i++) {
			int rc = check_hosts(h, &ch->all->vms[i], err, cap)
					 ?: check_xml_path(h, &ch->all->vms[i], err, cap);
			if (rc)
				return rc;
		}
	return 0;
}

void vmcfg_sync_submit(struct havmd *h, qb_ipcs_connection_t *c, uint32_t ipc_id, const char *text,
		       size_t len)
{
	struct vm_state *v = &h->vm;
	struct vm_pending *p = NULL;
	struct vmcfg_change ch;
	struct vm_config *scratch;
	struct wire_vmcfg m = { .kind = WIRE_VMCFG_CHANGE };
	char err[512];
	int rc;

	if (h->cluster.coordinator == 0) {
		ctl_reply_error(h, c, ipc_id, HAVM_E_REFUSED,
				"this partition has no quorum (or its membership is settling): "
				"the configuration cannot change");
		return;
	}
	if (!havmd_majority(h)) {
		ctl_reply_error(h, c, ipc_id, HAVM_E_REFUSED,
				"havmd runs on too few hosts (a configuration change needs it on "
				"more than half of havm.conf's hosts): nothing changed");
		return;
	}
	if (!vmcfg_sync_agreed(h)) {
		/* CONFLICT: the CLI tries again by itself for a while (every
		 * change makes the hosts report their new version). */
		ctl_reply_error(h, c, ipc_id, HAVM_E_CONFLICT,
				"the hosts are synchronising the configuration (a change or a "
				"join under way); try again in a few seconds");
		return;
	}
	for (size_t i = 0; i < VM_PENDING_MAX && !p; i++)
		if (!v->pending[i].used)
			p = &v->pending[i];
	if (!p) {
		ctl_reply_error(h, c, ipc_id, HAVM_E_REFUSED,
				"too many configuration changes under way; try again");
		return;
	}
	if (vmcfg_change_parse(text, len, &ch, err, sizeof(err)) < 0) {
		ctl_reply_error(h, c, ipc_id, HAVM_E_INVALID, err);
		return;
	}
	rc = check_change(h, &ch, err, sizeof(err));
	/* Tried here first, so that a refusal is answered at once and only a
	 * change that applies goes to the group. */
	scratch = rc ? NULL : malloc(sizeof(*scratch));
	if (!rc && !scratch) {
		rc = -ENOMEM;
		snprintf(err, sizeof(err), "out of memory in havmd");
	}
	if (!rc) {
		memcpy(scratch, v->cfg, sizeof(*scratch));
		rc = vmcfg_apply(scratch, &ch, err, sizeof(err));
	}
	free(scratch);
	vmcfg_change_free(&ch);
	if (rc) {
		ctl_reply_error(h, c, ipc_id, rc == -ENOENT ? HAVM_E_NOTFOUND : HAVM_E_INVALID, err);
		return;
	}
	m.version = v->cfg->version;
	m.req_id = v->next_req_id++;
	rc = send_text(h, &m, text, len);
	if (rc < 0) {
		ctl_reply_error(h, c, ipc_id, HAVM_E_INTERNAL,
				rc == -EAGAIN ? "corosync is busy; nothing changed, try again"
					      : "cannot send the change to the group; nothing changed");
		return;
	}
	qb_ipcs_connection_ref(c);
	*p = (struct vm_pending){
		.used = true, .req_id = m.req_id, .conn = c, .ipc_id = ipc_id,
		.since_ms = clock_now_ms(),
	};
}
