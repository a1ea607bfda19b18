/*
 * ctl_admit.h: who may hold a connection to havmd's control socket, and how
 * many. Pure bookkeeping, tested directly; daemon/ctl_server.c feeds it the
 * kernel's credentials of each peer.
 *
 * Why caps: every libqb connection costs havmd descriptors and a receive
 * buffer. Without a bound, any local user could open thousands of idle
 * connections and leave havmd without descriptors for the operator's
 * `havm status`, password files, IPMI sockets or agent pipes, so that
 * fencing itself fails. Outsiders (neither root nor haclient) are refused
 * outright; each haclient uid has a small cap and all of them together a
 * larger one; root has a budget of its own that haclient members cannot
 * use up, so the operator is never locked out by them.
 */
#ifndef HAVM_CTL_ADMIT_H
#define HAVM_CTL_ADMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* A CLI command holds one connection for milliseconds; these leave room for
 * scripts and monitoring running side by side. */
#define CTL_MAX_PER_UID 16  /* one haclient uid */
#define CTL_MAX_MEMBERS 64  /* all haclient uids together */
#define CTL_MAX_ROOT 32     /* root, on its own budget */
#define CTL_MAX_TOTAL (CTL_MAX_MEMBERS + CTL_MAX_ROOT)

enum ctl_verdict {
	CTL_ADMIT,
	CTL_DENY_NOT_MEMBER, /* neither root nor in group haclient */
	CTL_DENY_UID_CAP,    /* this uid holds CTL_MAX_PER_UID (or root CTL_MAX_ROOT) */
	CTL_DENY_TOTAL_CAP,  /* haclient members hold CTL_MAX_MEMBERS */
};

struct ctl_uid_count {
	uid_t uid;
	unsigned n;
};

struct ctl_admit {
	struct ctl_uid_count uids[CTL_MAX_TOTAL]; /* n == 0: a free entry */
	unsigned members; /* connections of non-root uids */
	unsigned root;
};

/*
 * Judge a new connection of UID (MEMBER: root, or haclient among its
 * groups). On CTL_ADMIT the connection is counted; ctl_admit_release must
 * be called once when it goes.
 */
enum ctl_verdict ctl_admit_take(struct ctl_admit *a, uid_t uid, bool member);
void ctl_admit_release(struct ctl_admit *a, uid_t uid);
/* Connections held now (all uids). */
unsigned ctl_admit_count(const struct ctl_admit *a);
const char *ctl_verdict_text(enum ctl_verdict v);

#endif
