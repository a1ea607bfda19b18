/*
 * ctl_admit.c: see ctl_admit.h.
 */
#include "ctl_admit.h"

static struct ctl_uid_count *find(struct ctl_admit *a, uid_t uid)
{
	for (size_t i = 0; i < CTL_MAX_TOTAL; i++)
		if (a->uids[i].n > 0 && a->uids[i].uid == uid)
			return &a->uids[i];
	return NULL;
}

static struct ctl_uid_count *find_free(struct ctl_admit *a)
{
	for (size_t i = 0; i < CTL_MAX_TOTAL; i++)
		if (a->uids[i].n == 0)
			return &a->uids[i];
	return NULL;
}

enum ctl_verdict ctl_admit_take(struct ctl_admit *a, uid_t uid, bool member)
{
	struct ctl_uid_count *e;

	if (uid != 0 && !member)
		return CTL_DENY_NOT_MEMBER;
	if (uid == 0) {
		if (a->root >= CTL_MAX_ROOT)
			return CTL_DENY_UID_CAP;
		a->root++;
		return CTL_ADMIT;
	}
	e = find(a, uid);
	if (e && e->n >= CTL_MAX_PER_UID)
		return CTL_DENY_UID_CAP;
	if (a->members >= CTL_MAX_MEMBERS)
		return CTL_DENY_TOTAL_CAP;
	if (!e) {
		/* Cannot fail: fewer than CTL_MAX_MEMBERS connections leave a
		 * free entry among CTL_MAX_TOTAL. */
		e = find_free(a);
		if (!e)
			return CTL_DENY_TOTAL_CAP;
		e->uid = uid;
	}
	e->n++;
	a->members++;
	return CTL_ADMIT;
}

void ctl_admit_release(struct ctl_admit *a, uid_t uid)
{
	struct ctl_uid_count *e;

	if (uid == 0) {
		if (a->root > 0)
			a->root--;
		return;
	}
	e = find(a, uid);
	if (!e)
		return;
	e->n--;
	a->members--;
}

unsigned ctl_admit_count(const struct ctl_admit *a)
{
	return a->root + a->members;
}

const char *ctl_verdict_text(enum ctl_verdict v)
{
	switch (v) {
	case CTL_ADMIT:
		return "admitted";
	case CTL_DENY_NOT_MEMBER:
		return "not root and not in group haclient";
	case CTL_DENY_UID_CAP:
		return "too many connections from this uid";
	case CTL_DENY_TOTAL_CAP:
		return "too many connections from haclient members";
	}
	return "unknown";
}
