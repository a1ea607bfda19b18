/*
 * vm_config.c: the cluster configuration (see vm_config.h): its text forms,
 * the changes every havmd applies in the same order, its hash and its state
 * file.
 *
 * One grammar, three dialects:
 *   operator  what `havm configure show` prints and `configure load` reads:
 *             no version, no slot=, memory= or vcpus=
 *   stored    vmcfg_format(internal) and the state file: `version N` first,
 *             slot=, memory= and vcpus= on every VM
 *   change    the VM lines of a CPG change (add, replace): no version;
 *             memory= and vcpus= required (the sender read them from the
 *             XML), slot= optional (assigned on apply)
 *
 * Everything but vmcfg_save and vmcfg_load_file is pure: the daemons of a
 * cluster stay identical only if the same change applied to the same
 * configuration gives the same bytes everywhere, whatever the host.
 */
#include "vm_config.h"
#include "vm_name.h"

#include "text_escape.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum vmcfg_form {
	FORM_OPERATOR,
	FORM_STORED,
	FORM_CHANGE
};

/* A logical line (continuations included) longer than this is an error:
 * the longest VM line is about 2.4 KiB, so this is garbage, not a VM. */
#define VMCFG_LINE_MAX (64 * 1024)
/*
 * Room for the longest line vmcfg_format_vm can write, whatever the spec
 * holds: "vm " and a name (66), xml= (1028), priority= (20), prefer= and
 * avoid= (2 * 520), anti-affinity= (78), max-restarts=, restart-window=
 * (2 * 26), state=stopped (14), slot=, memory=, vcpus= (3 * 18): < 2.4 KiB.
 */
#define VMCFG_VM_LINE_BUF 4096
#define VMCFG_MAX_RESTARTS_MAX 100
#define VMCFG_RESTART_WINDOW_MAX 86400 /* a day: past that, no window at all */
/* Far past any hypervisor's limit, and 1024 VMs' sum still fits 32 bits
 * (the planner adds vCPUs up in uint32_t). */
#define VMCFG_VCPUS_MAX 65535
/* How much of a word an error message quotes. */
#define VMCFG_SHOW_MAX 48

/* ---- names, paths, numbers -------------------------------------------- */

_Static_assert(VMCFG_NAME_MAX == VM_NAME_MAX, "one name rule (vm_name.h)");

bool vmcfg_name_ok(const char *name)
{
	return vm_name_ok(name);
}

/* Whether the char array FIELD (SIZE bytes) holds a valid name. */
static bool vmcfg_field_name_ok(const char *field, size_t size)
{
	size_t len = strnlen(field, size);

	return len < size && vm_name_n_ok(field, len);
}

/*
 * Why the domain XML path S (LEN bytes) is refused, or NULL. Absolute so
 * that every daemon reads the same file whatever its working directory; no
 * ".." component so that a path that looks as if it were on the shared
 * storage is; no space or control byte so that it stays one word of the
 * text form; no backslash, which at the end of a line would read as a
 * continuation.
 */
static const char *vmcfg_xml_why(const char *s, size_t len)
{
	if (len == 0)
		return "empty path";
	if (len > VMCFG_PATH_MAX)
		return "path longer than 1023 bytes";
	if (s[0] != '/')
		return "not an absolute path";
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch <= ' ' || ch == 0x7f)
			return "space or control character in the path";
		if (ch == '\\')
			return "backslash in the path";
	}
	for (size_t i = 0; i + 3 <= len; i++)
		if (memcmp(s + i, "/..", 3) == 0 && (i + 3 == len || s[i + 3] == '/'))
			return "\"..\" in the path";
	return NULL;
}

/*
 * A decimal number: digits only, no sign, no leading zero (010 is ten to
 * some readers and eight to others), no overflow. strtoull would take
 * spaces, a sign, "0x" and wrap "-1" to the largest value.
 */
static bool vmcfg_u64(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0 || (s[0] == '0' && len > 1))
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned int d;

		if (s[i] < '0' || s[i] > '9')
			return false;
		d = (unsigned int)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

/* A number in [MIN, MAX] (a leading '-' when MIN < 0). */
static bool vmcfg_number(const char *s, size_t len, int64_t min, int64_t max, int64_t *out)
{
	bool neg = len > 0 && s[0] == '-' && min < 0;
	uint64_t mag;
	int64_t v;

	if (!vmcfg_u64(s + neg, len - neg, &mag))
		return false;
	/* MIN and MAX are small here: anything past them is refused before
	 * it could overflow int64_t. */
	if (neg ? mag > (uint64_t)-min : mag > (uint64_t)max)
		return false;
	v = neg ? -(int64_t)mag : (int64_t)mag;
	if (v < min || v > max)
		return false;
	*out = v;
	return true;
}

/* Why the host list L (N names) is refused, or NULL; the name at fault in BAD. */
static const char *vmcfg_hosts_why(const char (*l)[VMCFG_NAME_MAX + 1], size_t n, size_t *bad)
{
	if (n > VMCFG_HOSTS_MAX)
		return "more than 8 hosts";
	for (size_t i = 0; i < n; i++) {
		*bad = i;
		if (!vmcfg_field_name_ok(l[i], sizeof(l[i])))
			return "bad host name";
		for (size_t j = 0; j < i; j++)
			if (strcmp(l[i], l[j]) == 0)
				return "host named twice";
	}
	return NULL;
}

/* The first host in both S's prefer and avoid lists, or NULL. */
static const char *vmcfg_prefer_avoid_overlap(const struct vm_spec *s)
{
	for (size_t i = 0; i < s->n_prefer && i < VMCFG_HOSTS_MAX; i++)
		for (size_t j = 0; j < s->n_avoid && j < VMCFG_HOSTS_MAX; j++)
			if (strcmp(s->prefer[i], s->avoid[j]) == 0)
				return s->prefer[i];
	return NULL;
}

void vmcfg_spec_init(struct vm_spec *s, const char *name)
{
	memset(s, 0, sizeof(*s));
	/* A name that does not fit is left out, not cut: cut, it could name
	 * another VM (a remove of "web1-long..." must not remove "web1-lo"). */
	if (name && strlen(name) <= VMCFG_NAME_MAX)
		memcpy(s->name, name, strlen(name) + 1);
	s->max_restarts = VMCFG_DEFAULT_MAX_RESTARTS;
	s->restart_window_s = VMCFG_DEFAULT_RESTART_WINDOW_S;
	s->slot = VMCFG_SLOT_NONE;
}

/* Index of NAME in C, or where it would go (negative: -(position + 1)). */
static long vmcfg_search(const struct vm_config *c, const char *name)
{
	size_t lo = 0, hi = c->n_vms;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int cmp = strcmp(c->vms[mid].name, name);

		if (cmp == 0)
			return (long)mid;
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -(long)lo - 1;
}

const struct vm_spec *vmcfg_find(const struct vm_config *c, const char *name)
{
	long at;

	if (!name)
		return NULL;
	at = vmcfg_search(c, name);
	return at >= 0 ? &c->vms[at] : NULL;
}

enum vmcfg_maint vmcfg_node_maint(const struct vm_config *c, const char *name)
{
	for (size_t i = 0; i < c->n_nodes && i < VMCFG_NODES_MAX; i++)
		if (strcmp(c->nodes[i].name, name) == 0)
			return c->nodes[i].maint;
	return VMCFG_MAINT_OFF;
}

/* ---- the scanner: words, logical lines, line numbers -------------------- */

struct vmcfg_scan {
	const char *text;
	size_t len;
	size_t pos;
	unsigned int line; /* physical line of pos, from 1 */
	bool at_start;     /* pos starts a logical line */
	size_t start;      /* where the current logical line began */
	unsigned int start_line;
	const char *file; /* errors read "FILE:N: " when set, else "line N: " */
	char *err;
	size_t errlen;
};

struct vmcfg_word {
	const char *s;
	size_t len;
	unsigned int line;
};

__attribute__((format(printf, 3, 4))) static int vmcfg_fail(struct vmcfg_scan *sc,
							    unsigned int line, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (sc->err && sc->errlen > 0) {
		if (sc->file)
			snprintf(sc->err, sc->errlen, "%s:%u: %s", sc->file, line, what);
		else
			snprintf(sc->err, sc->errlen, "line %u: %s", line, what);
	}
	return -EINVAL;
}

__attribute__((format(printf, 3, 4))) static void vmcfg_errf(char *err, size_t errlen,
							     const char *fmt, ...)
{
	va_list ap;

	if (err && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
}

/* vmcfg_errf that returns true, for vmcfg_spec_bad. */
__attribute__((format(printf, 3, 4))) static bool vmcfg_why(char *why, size_t cap, const char *fmt,
							    ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, cap, fmt, ap);
	va_end(ap);
	return true;
}

/* S (LEN bytes, from the input) quoted for a message: escaped, cut. */
static const char *vmcfg_show(const char *s, size_t len, char *buf, size_t cap)
{
	char raw[VMCFG_SHOW_MAX + 2];
	size_t n = len < VMCFG_SHOW_MAX + 1 ? len : VMCFG_SHOW_MAX + 1;

	memcpy(raw, s, n);
	raw[n] = '\0';
	return text_escape(buf, cap, raw, VMCFG_SHOW_MAX);
}

#define SHOW_BUF TEXT_ESCAPE_SIZE(VMCFG_SHOW_MAX)

/*
 * Whether the byte at AT is a backslash that continues the line: only
 * blanks after it up to the newline. *NEXT: where the next line starts
 * (LEN when the text ends there).
 */
static bool vmcfg_continues(const struct vmcfg_scan *sc, size_t at, size_t *next)
{
	size_t i = at + 1;

	if (sc->text[at] != '\\')
		return false;
	while (i < sc->len && (sc->text[i] == ' ' || sc->text[i] == '\t'))
		i++;
	if (i < sc->len && sc->text[i] != '\n')
		return false;
	*next = i < sc->len ? i + 1 : i;
	return true;
}

/* A byte no text form holds: NUL, or a control other than tab and newline. */
static int vmcfg_bad_byte(struct vmcfg_scan *sc, unsigned char ch)
{
	if (ch == '\0')
		return vmcfg_fail(sc, sc->line, "NUL byte; the configuration is text");
	return vmcfg_fail(sc, sc->line, "control character 0x%02x%s", ch,
			  ch == '\r' ? " (a CRLF line end?)" : "");
}

static bool vmcfg_is_bad_byte(unsigned char ch)
{
	return (ch < ' ' && ch != '\t' && ch != '\n') || ch == 0x7f;
}

/*
 * The next word of the current logical line: 1 and *W; 0 at the end of
 * the logical line (a newline not continued, or the end of the text:
 * vmcfg_scan_done tells which); -EINVAL with the error. A word ends at a
 * blank, a newline or a continuing backslash; a word that begins with '#'
 * begins a comment, which runs to the end of its physical line (a
 * backslash in a comment continues nothing, as in the shell).
 */
static int vmcfg_next(struct vmcfg_scan *sc, struct vmcfg_word *w)
{
	const char *t = sc->text;

	if (sc->at_start) {
		sc->at_start = false;
		sc->start = sc->pos;
		sc->start_line = sc->line;
	}
	for (;;) {
		size_t next;

		if (sc->pos - sc->start > VMCFG_LINE_MAX)
			return vmcfg_fail(sc, sc->start_line, "line longer than 64 KiB");
		if (sc->pos >= sc->len)
			return 0;
		if (t[sc->pos] == ' ' || t[sc->pos] == '\t') {
			sc->pos++;
		} else if (t[sc->pos] == '\n') {
			sc->pos++;
			sc->line++;
			sc->at_start = true;
			return 0;
		} else if (t[sc->pos] == '#') {
			for (; sc->pos < sc->len && t[sc->pos] != '\n'; sc->pos++)
				if (vmcfg_is_bad_byte((unsigned char)t[sc->pos]))
					return vmcfg_bad_byte(sc, (unsigned char)t[sc->pos]);
		} else if (vmcfg_continues(sc, sc->pos, &next)) {
			if (next == sc->len)
				return vmcfg_fail(sc, sc->line,
						  "backslash at the end of the text continues "
						  "nothing");
			sc->pos = next;
			sc->line++;
		} else {
			break;
		}
	}
	w->s = t + sc->pos;
	w->line = sc->line;
	for (; sc->pos < sc->len; sc->pos++) {
		unsigned char ch = (unsigned char)t[sc->pos];
		size_t next;

		if (ch == ' ' || ch == '\t' || ch == '\n' || vmcfg_continues(sc, sc->pos, &next))
			break;
		if (vmcfg_is_bad_byte(ch))
			return vmcfg_bad_byte(sc, ch);
	}
	w->len = (size_t)(t + sc->pos - w->s);
	if (sc->pos - sc->start > VMCFG_LINE_MAX)
		return vmcfg_fail(sc, sc->start_line, "line longer than 64 KiB");
	return 1;
}

static bool vmcfg_scan_done(const struct vmcfg_scan *sc)
{
	return sc->pos >= sc->len;
}

static bool vmcfg_word_is(const struct vmcfg_word *w, const char *s)
{
	return w->len == strlen(s) && memcmp(w->s, s, w->len) == 0;
}

/* The end of the logical line, else an error naming the extra word. */
static int vmcfg_expect_end(struct vmcfg_scan *sc, const char *what)
{
	struct vmcfg_word w;
	char show[SHOW_BUF];
	int rc = vmcfg_next(sc, &w);

	if (rc <= 0)
		return rc;
	return vmcfg_fail(sc, w.line, "\"%s\" after %s", vmcfg_show(w.s, w.len, show, sizeof(show)),
			  what);
}

/* ---- one VM line ------------------------------------------------------ */

enum vmcfg_key {
	KEY_XML,
	KEY_PRIORITY,
	KEY_PREFER,
	KEY_AVOID,
	KEY_GROUP,
	KEY_MAX_RESTARTS,
	KEY_RESTART_WINDOW,
	KEY_STATE,
	KEY_SLOT,
	KEY_MEMORY,
	KEY_VCPUS,
	KEY_COUNT
};

/* The keys of a VM line, in the order vmcfg_format_vm prints them. */
static const struct {
	const char *name;
	bool internal;    /* filled in by havm: not in the operator's form */
	int64_t min, max; /* numbers */
} vmcfg_keys[KEY_COUNT] = {
	[KEY_XML] = { "xml", false, 0, 0 },
	[KEY_PRIORITY] = { "priority", false, VMCFG_PRIORITY_MIN, VMCFG_PRIORITY_MAX },
	[KEY_PREFER] = { "prefer", false, 0, 0 },
	[KEY_AVOID] = { "avoid", false, 0, 0 },
	[KEY_GROUP] = { "anti-affinity", false, 0, 0 },
	[KEY_MAX_RESTARTS] = { "max-restarts", false, 0, VMCFG_MAX_RESTARTS_MAX },
	[KEY_RESTART_WINDOW] = { "restart-window", false, 1, VMCFG_RESTART_WINDOW_MAX },
	[KEY_STATE] = { "state", false, 0, 0 },
	[KEY_SLOT] = { "slot", true, 0, VMCFG_VMS_MAX - 1 },
	[KEY_MEMORY] = { "memory", true, 1, UINT32_MAX },
	[KEY_VCPUS] = { "vcpus", true, 1, VMCFG_VCPUS_MAX },
};

/* prefer=a,b,c into L (*N names). */
static int vmcfg_parse_hosts(struct vmcfg_scan *sc, const struct vmcfg_word *w, const char *key,
			     const char *v, size_t vlen, char (*l)[VMCFG_NAME_MAX + 1], size_t *n)
{
	char show[SHOW_BUF];
	size_t i = 0;

	*n = 0;
	for (;;) {
		const char *comma = memchr(v + i, ',', vlen - i);
		size_t end = comma ? (size_t)(comma - v) : vlen;
		size_t elen = end - i;

		if (elen == 0)
			return vmcfg_fail(sc, w->line, "%s=: empty host name in the list", key);
		if (!vm_name_n_ok(v + i, elen))
			return vmcfg_fail(sc, w->line, "%s=: bad host name \"%s\"", key,
					  vmcfg_show(v + i, elen, show, sizeof(show)));
		if (*n == VMCFG_HOSTS_MAX)
			return vmcfg_fail(sc, w->line, "%s=: more than %d hosts", key,
					  VMCFG_HOSTS_MAX);
		for (size_t j = 0; j < *n; j++)
			if (strlen(l[j]) == elen && memcmp(l[j], v + i, elen) == 0)
				return vmcfg_fail(sc, w->line, "%s=: host \"%s\" named twice", key,
						  l[j]);
		memcpy(l[*n], v + i, elen);
		l[*n][elen] = '\0';
		(*n)++;
		if (!comma)
			return 0;
		i = end + 1;
	}
}

/* One key=value word W into S. */
static int vmcfg_parse_key(struct vmcfg_scan *sc, enum vmcfg_form form, const struct vmcfg_word *w,
			   struct vm_spec *s, unsigned int *seen_line)
{
	const char *eq = memchr(w->s, '=', w->len);
	char show[SHOW_BUF];
	const char *v, *name, *why;
	size_t klen, vlen;
	int64_t num;
	int k;

	if (!eq)
		return vmcfg_fail(sc, w->line, "\"%s\" is not key=value",
				  vmcfg_show(w->s, w->len, show, sizeof(show)));
	klen = (size_t)(eq - w->s);
	v = eq + 1;
	vlen = w->len - klen - 1;
	for (k = 0; k < KEY_COUNT; k++)
		if (strlen(vmcfg_keys[k].name) == klen &&
		    memcmp(vmcfg_keys[k].name, w->s, klen) == 0)
			break;
	if (k == KEY_COUNT)
		return vmcfg_fail(sc, w->line, "unknown key \"%s\"",
				  vmcfg_show(w->s, klen, show, sizeof(show)));
	name = vmcfg_keys[k].name;
	if (vmcfg_keys[k].internal && form == FORM_OPERATOR)
		return vmcfg_fail(sc, w->line, "%s= is filled in by havm, not by the operator",
				  name);
	if (seen_line[k])
		return vmcfg_fail(sc, w->line, "%s= given twice (first on line %u)", name,
				  seen_line[k]);
	seen_line[k] = w->line;
	if (vlen == 0)
		return vmcfg_fail(sc, w->line, "%s= has no value", name);
	switch ((enum vmcfg_key)k) {
	case KEY_XML:
		why = vmcfg_xml_why(v, vlen);
		if (why)
			return vmcfg_fail(sc, w->line, "xml=%s: %s",
					  vmcfg_show(v, vlen, show, sizeof(show)), why);
		memcpy(s->xml, v, vlen);
		s->xml[vlen] = '\0';
		return 0;
	case KEY_PREFER: return vmcfg_parse_hosts(sc, w, name, v, vlen, s->prefer, &s->n_prefer);
	case KEY_AVOID: return vmcfg_parse_hosts(sc, w, name, v, vlen, s->avoid, &s->n_avoid);
	case KEY_GROUP:
		if (!vm_name_n_ok(v, vlen))
			return vmcfg_fail(sc, w->line, "anti-affinity=: bad group name \"%s\"",
					  vmcfg_show(v, vlen, show, sizeof(show)));
		memcpy(s->group, v, vlen);
		s->group[vlen] = '\0';
		return 0;
	case KEY_STATE:
		if (vlen == 7 && memcmp(v, "started", 7) == 0)
			s->stopped = false;
		else if (vlen == 7 && memcmp(v, "stopped", 7) == 0)
			s->stopped = true;
		else
			return vmcfg_fail(sc, w->line, "state=%s: not started or stopped",
					  vmcfg_show(v, vlen, show, sizeof(show)));
		return 0;
	case KEY_PRIORITY:
	case KEY_MAX_RESTARTS:
	case KEY_RESTART_WINDOW:
	case KEY_SLOT:
	case KEY_MEMORY:
	case KEY_VCPUS:
		if (!vmcfg_number(v, vlen, vmcfg_keys[k].min, vmcfg_keys[k].max, &num))
			return vmcfg_fail(
				sc, w->line, "%s=%s: not a whole number from %lld to %lld", name,
				vmcfg_show(v, vlen, show, sizeof(show)),
				(long long)vmcfg_keys[k].min, (long long)vmcfg_keys[k].max);
		if (k == KEY_PRIORITY)
			s->priority = (int32_t)num;
		else if (k == KEY_MAX_RESTARTS)
			s->max_restarts = (uint32_t)num;
		else if (k == KEY_RESTART_WINDOW)
			s->restart_window_s = (uint32_t)num;
		else if (k == KEY_SLOT)
			s->slot = (uint32_t)num;
		else if (k == KEY_MEMORY)
			s->memory_mib = (uint32_t)num;
		else
			s->vcpus = (uint32_t)num;
		return 0;
	case KEY_COUNT: break;
	}
	return vmcfg_fail(sc, w->line, "unknown key"); /* not reached */
}

/*
 * The rest of a `vm NAME key=value...` line (VM_WORD is "vm") into S.
 * Which keys are required or refused depends on FORM (see the top).
 */
static int vmcfg_parse_vm(struct vmcfg_scan *sc, enum vmcfg_form form,
			  const struct vmcfg_word *vm_word, struct vm_spec *s)
{
	unsigned int seen_line[KEY_COUNT] = { 0 };
	struct vmcfg_word w;
	char show[SHOW_BUF], name[VMCFG_NAME_MAX + 1];
	const char *both;
	int rc;

	rc = vmcfg_next(sc, &w);
	if (rc < 0)
		return rc;
	if (rc == 0)
		return vmcfg_fail(sc, vm_word->line, "vm without a name");
	if (!vm_name_n_ok(w.s, w.len))
		return vmcfg_fail(sc, w.line, "bad VM name \"%s\"",
				  vmcfg_show(w.s, w.len, show, sizeof(show)));
	memcpy(name, w.s, w.len);
	name[w.len] = '\0';
	vmcfg_spec_init(s, name);
	while ((rc = vmcfg_next(sc, &w)) > 0) {
		rc = vmcfg_parse_key(sc, form, &w, s, seen_line);
		if (rc < 0)
			return rc;
	}
	if (rc < 0)
		return rc;
	if (!seen_line[KEY_XML])
		return vmcfg_fail(sc, vm_word->line, "vm %s has no xml=", s->name);
	if (form == FORM_STORED && !seen_line[KEY_SLOT])
		return vmcfg_fail(sc, vm_word->line, "vm %s has no slot=", s->name);
	if (form != FORM_OPERATOR && !seen_line[KEY_MEMORY])
		return vmcfg_fail(sc, vm_word->line, "vm %s has no memory=", s->name);
	if (form != FORM_OPERATOR && !seen_line[KEY_VCPUS])
		return vmcfg_fail(sc, vm_word->line, "vm %s has no vcpus=", s->name);
	both = vmcfg_prefer_avoid_overlap(s);
	if (both)
		return vmcfg_fail(sc,
				  seen_line[KEY_PREFER] > seen_line[KEY_AVOID]
					  ? seen_line[KEY_PREFER]
					  : seen_line[KEY_AVOID],
				  "host %s is in both prefer= and avoid=", both);
	return 0;
}

/* ---- a whole configuration ------------------------------------------- */

struct vmcfg_name_line {
	const char *name;
	unsigned int line;
};

static int vmcfg_cmp_name_line(const void *a, const void *b)
{
	const struct vmcfg_name_line *x = a, *y = b;
	int cmp = strcmp(x->name, y->name);

	if (cmp != 0)
		return cmp;
	return x->line < y->line ? -1 : x->line > y->line;
}

static int vmcfg_cmp_spec(const void *a, const void *b)
{
	return strcmp(((const struct vm_spec *)a)->name, ((const struct vm_spec *)b)->name);
}

/*
 * Statements up to the end of the text into OUT: `vm` lines, and for the
 * stored form one `version` line before them. Then the checks that need
 * every VM (names and slots used once), and the VMs sorted by name.
 */
/* The KEY=VALUE word after W, on its line, into V (its value only). */
static int vmcfg_key_value(struct vmcfg_scan *sc, const struct vmcfg_word *w, const char *key,
			   struct vmcfg_word *v)
{
	size_t klen = strlen(key);
	int rc = vmcfg_next(sc, v);

	if (rc < 0)
		return rc;
	if (rc == 0 || v->len <= klen || memcmp(v->s, key, klen) != 0 || v->s[klen] != '=')
		return vmcfg_fail(sc, w->line, "%.*s takes %s=...", (int)w->len, w->s, key);
	v->s += klen + 1;
	v->len -= klen + 1;
	return 1;
}

static bool vmcfg_value_is(const struct vmcfg_word *v, const char *s)
{
	return v->len == strlen(s) && memcmp(v->s, s, v->len) == 0;
}

/* "property maintenance-mode=true|false" after W ("property"). */
static int vmcfg_parse_property(struct vmcfg_scan *sc, const struct vmcfg_word *w, bool *on)
{
	struct vmcfg_word v;
	char show[SHOW_BUF];
	int rc = vmcfg_key_value(sc, w, "maintenance-mode", &v);

	if (rc < 0)
		return rc;
	if (vmcfg_value_is(&v, "true"))
		*on = true;
	else if (vmcfg_value_is(&v, "false"))
		*on = false;
	else
		return vmcfg_fail(sc, w->line, "maintenance-mode is true or false, not \"%s\"",
				  vmcfg_show(v.s, v.len, show, sizeof(show)));
	return vmcfg_expect_end(sc, "property maintenance-mode=...");
}

/* An optional "vms=a,b" after a node's maintenance: names checked, kept
 * as written. */
static int vmcfg_parse_node_vms(struct vmcfg_scan *sc, const struct vmcfg_word *w,
				struct vm_node *n)
{
	struct vmcfg_scan save = *sc;
	struct vmcfg_word v;
	char show[SHOW_BUF];
	int rc = vmcfg_next(sc, &v);

	if (rc < 0)
		return rc;
	if (rc == 0 || v.line != w->line || v.len < 4 || memcmp(v.s, "vms=", 4) != 0) {
		*sc = save; /* not ours: the end of the statement says what it is */
		return 0;
	}
	v.s += 4;
	v.len -= 4;
	if (v.len > VMCFG_NODE_VMS_MAX)
		return vmcfg_fail(sc, w->line, "vms=: more than %d characters", VMCFG_NODE_VMS_MAX);
	for (size_t i = 0; i <= v.len;) {
		const char *comma = memchr(v.s + i, ',', v.len - i);
		size_t end = comma ? (size_t)(comma - v.s) : v.len;

		if (end == i || !vm_name_n_ok(v.s + i, end - i))
			return vmcfg_fail(sc, w->line, "vms=: bad VM name \"%s\"",
					  vmcfg_show(v.s + i, end - i, show, sizeof(show)));
		i = end + 1;
	}
	memcpy(n->vms, v.s, v.len);
	n->vms[v.len] = '\0';
	return 0;
}

/* "node NAME maintenance=on|protected|off" after W ("node"). */
static int vmcfg_parse_node(struct vmcfg_scan *sc, const struct vmcfg_word *w, struct vm_node *n)
{
	struct vmcfg_word name, v;
	char show[SHOW_BUF];
	int rc = vmcfg_next(sc, &name);

	if (rc < 0)
		return rc;
	if (rc == 0)
		return vmcfg_fail(sc, w->line, "node without a host name");
	if (!vm_name_n_ok(name.s, name.len))
		return vmcfg_fail(sc, w->line, "bad host name \"%s\"",
				  vmcfg_show(name.s, name.len, show, sizeof(show)));
	memset(n, 0, sizeof(*n));
	memcpy(n->name, name.s, name.len);
	rc = vmcfg_key_value(sc, w, "maintenance", &v);
	if (rc < 0)
		return rc;
	rc = vmcfg_parse_node_vms(sc, w, n);
	if (rc < 0)
		return rc;
	if (vmcfg_value_is(&v, "on"))
		n->maint = VMCFG_MAINT_ALL;
	else if (vmcfg_value_is(&v, "protected"))
		n->maint = VMCFG_MAINT_PROTECTED;
	else if (vmcfg_value_is(&v, "off"))
		n->maint = VMCFG_MAINT_OFF;
	else
		return vmcfg_fail(sc, w->line, "maintenance is on, protected or off, not \"%s\"",
				  vmcfg_show(v.s, v.len, show, sizeof(show)));
	return vmcfg_expect_end(sc, "node NAME maintenance=...");
}

static int vmcfg_cmp_node(const void *a, const void *b)
{
	return strcmp(((const struct vm_node *)a)->name, ((const struct vm_node *)b)->name);
}

static int vmcfg_parse_body(struct vmcfg_scan *sc, enum vmcfg_form form, struct vm_config *out)
{
	/* On the stack (22 KiB), so that parsing allocates nothing and
	 * fails with -EINVAL only. */
	struct vmcfg_name_line names[VMCFG_VMS_MAX];
	uint16_t slot_owner[VMCFG_VMS_MAX];
	bool have_version = false;
	struct vmcfg_word w;
	char show[SHOW_BUF];
	int rc;

	bool have_property = false;
	unsigned int node_line[VMCFG_NODES_MAX * 2];
	char seen[VMCFG_NODES_MAX * 2][VMCFG_NAME_MAX + 1];
	size_t n_seen = 0;

	out->version = 0;
	out->maintenance = false;
	out->head_given = false;
	out->n_nodes = 0;
	out->n_vms = 0;
	for (;;) {
		rc = vmcfg_next(sc, &w);
		if (rc < 0)
			return rc;
		if (rc == 0) {
			if (vmcfg_scan_done(sc))
				break;
			continue; /* a blank or comment line */
		}
		if (vmcfg_word_is(&w, "version")) {
			struct vmcfg_word n;

			if (form == FORM_OPERATOR)
				return vmcfg_fail(sc, w.line,
						  "version is kept by havm, not given by the "
						  "operator");
			if (form == FORM_CHANGE)
				return vmcfg_fail(sc, w.line, "version in a change");
			if (have_version)
				return vmcfg_fail(sc, w.line, "version given twice");
			rc = vmcfg_next(sc, &n);
			if (rc < 0)
				return rc;
			if (rc == 0 || !vmcfg_u64(n.s, n.len, &out->version))
				return vmcfg_fail(sc, w.line, "version needs a whole number");
			rc = vmcfg_expect_end(sc, "the version");
			if (rc < 0)
				return rc;
			have_version = true;
			continue;
		}
		if (vmcfg_word_is(&w, "property")) {
			if (have_property)
				return vmcfg_fail(sc, w.line, "property maintenance-mode given twice");
			rc = vmcfg_parse_property(sc, &w, &out->maintenance);
			if (rc < 0)
				return rc;
			have_property = true;
			out->head_given = true;
			continue;
		}
		if (vmcfg_word_is(&w, "node")) {
			struct vm_node n;

			rc = vmcfg_parse_node(sc, &w, &n);
			if (rc < 0)
				return rc;
			out->head_given = true;
			for (size_t i = 0; i < n_seen; i++)
				if (strcmp(seen[i], n.name) == 0)
					return vmcfg_fail(sc, w.line,
							  "node %s given twice (first on line %u)",
							  n.name, node_line[i]);
			if (n_seen == VMCFG_NODES_MAX * 2)
				return vmcfg_fail(sc, w.line, "more than %d node lines",
						  VMCFG_NODES_MAX * 2);
			node_line[n_seen] = w.line;
			memcpy(seen[n_seen++], n.name, sizeof(n.name));
			if (n.maint == VMCFG_MAINT_OFF)
				continue; /* the default: nothing to keep */
			if (out->n_nodes == VMCFG_NODES_MAX)
				return vmcfg_fail(sc, w.line, "more than %d nodes", VMCFG_NODES_MAX);
			out->nodes[out->n_nodes++] = n;
			continue;
		}
		if (!vmcfg_word_is(&w, "vm"))
			return vmcfg_fail(sc, w.line,
					  "unknown statement \"%s\" (expected vm, node or property)",
					  vmcfg_show(w.s, w.len, show, sizeof(show)));
		if (form == FORM_STORED && !have_version)
			return vmcfg_fail(sc, w.line, "the stored form begins with \"version N\"");
		if (out->n_vms == VMCFG_VMS_MAX)
			return vmcfg_fail(sc, w.line, "more than %d VMs", VMCFG_VMS_MAX);
		names[out->n_vms].line = w.line;
		rc = vmcfg_parse_vm(sc, form, &w, &out->vms[out->n_vms]);
		if (rc < 0)
			return rc;
		out->n_vms++;
	}
	if (form == FORM_STORED && !have_version)
		return vmcfg_fail(sc, sc->line, "no \"version N\" line");

	/* Slots: each lease slot belongs to one VM, or two VMs would share a
	 * lease and each could keep the other from starting anywhere. */
	memset(slot_owner, 0, sizeof(slot_owner));
	for (size_t i = 0; i < out->n_vms; i++) {
		uint32_t slot = out->vms[i].slot;

		if (slot == VMCFG_SLOT_NONE)
			continue;
		if (slot_owner[slot])
			return vmcfg_fail(sc, names[i].line, "slot %u of vm %s is vm %s's too",
					  slot, out->vms[i].name,
					  out->vms[slot_owner[slot] - 1].name);
		slot_owner[slot] = (uint16_t)(i + 1);
	}

	/* Names: sorted with their lines, a VM named twice is next to its
	 * twin; the error names the first repeat in the text. */
	for (size_t i = 0; i < out->n_vms; i++)
		names[i].name = out->vms[i].name;
	qsort(names, out->n_vms, sizeof(*names), vmcfg_cmp_name_line);
	{
		unsigned int dup_line = 0;
		const char *dup = NULL;

		for (size_t i = 1; i < out->n_vms; i++)
			if (strcmp(names[i].name, names[i - 1].name) == 0 &&
			    (!dup || names[i].line < dup_line)) {
				dup = names[i].name;
				dup_line = names[i].line;
			}
		if (dup)
			return vmcfg_fail(sc, dup_line, "vm %s defined twice", dup);
	}
	/* No two names are equal now: the order is total, whatever qsort. */
	qsort(out->vms, out->n_vms, sizeof(out->vms[0]), vmcfg_cmp_spec);
	qsort(out->nodes, out->n_nodes, sizeof(out->nodes[0]), vmcfg_cmp_node);
	return 0;
}

static void vmcfg_scan_init(struct vmcfg_scan *sc, const char *text, size_t len, const char *file,
			    char *err, size_t errlen)
{
	*sc = (struct vmcfg_scan){ .text = text,
				   .len = len,
				   .line = 1,
				   .at_start = true,
				   .start_line = 1,
				   .file = file,
				   .err = err,
				   .errlen = errlen };
	if (err && errlen > 0)
		err[0] = '\0';
}

int vmcfg_parse(const char *text, size_t len, bool internal, struct vm_config *out, char *err,
		size_t errlen)
{
	struct vmcfg_scan sc;

	vmcfg_scan_init(&sc, text, len, NULL, err, errlen);
	return vmcfg_parse_body(&sc, internal ? FORM_STORED : FORM_OPERATOR, out);
}

/* ---- text out --------------------------------------------------------- */

/* Appends into a fixed buffer; OVER once something did not fit. */
struct vmcfg_out {
	char *buf;
	size_t cap;
	size_t len;
	bool over;
};

static void vmcfg_put(struct vmcfg_out *o, const char *s, size_t n)
{
	if (o->over || o->cap - o->len <= n) {
		o->over = true;
		return;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

static void vmcfg_puts(struct vmcfg_out *o, const char *s)
{
	vmcfg_put(o, s, strlen(s));
}

/* A char array field: up to its NUL or its end, never past it. */
static void vmcfg_put_field(struct vmcfg_out *o, const char *field, size_t size)
{
	vmcfg_put(o, field, strnlen(field, size));
}

static void vmcfg_put_num(struct vmcfg_out *o, const char *key, long long v)
{
	char num[32];
	int n = snprintf(num, sizeof(num), " %s=%lld", key, v);

	vmcfg_put(o, num, (size_t)n);
}

static void vmcfg_put_hosts(struct vmcfg_out *o, const char *key,
			    const char (*l)[VMCFG_NAME_MAX + 1], size_t n)
{
	if (n == 0)
		return;
	vmcfg_puts(o, " ");
	vmcfg_puts(o, key);
	vmcfg_puts(o, "=");
	for (size_t i = 0; i < n && i < VMCFG_HOSTS_MAX; i++) {
		if (i > 0)
			vmcfg_puts(o, ",");
		vmcfg_put_field(o, l[i], sizeof(l[i]));
	}
}

/*
 * Keys in one fixed order, defaults left out (but xml=, always, and in
 * the internal form memory= and vcpus=, always): a configuration has one
 * text, so show -> load -> show gives the same bytes and the hash of equal
 * configurations is equal.
 */
int vmcfg_format_vm(const struct vm_spec *s, bool internal, char *buf, size_t cap)
{
	struct vmcfg_out o = { buf, cap, 0, false };

	if (cap > 0)
		buf[0] = '\0';
	vmcfg_puts(&o, "vm ");
	vmcfg_put_field(&o, s->name, sizeof(s->name));
	vmcfg_puts(&o, " xml=");
	vmcfg_put_field(&o, s->xml, sizeof(s->xml));
	if (s->priority != 0)
		vmcfg_put_num(&o, "priority", s->priority);
	vmcfg_put_hosts(&o, "prefer", s->prefer, s->n_prefer);
	vmcfg_put_hosts(&o, "avoid", s->avoid, s->n_avoid);
	if (s->group[0]) {
		vmcfg_puts(&o, " anti-affinity=");
		vmcfg_put_field(&o, s->group, sizeof(s->group));
	}
	if (s->max_restarts != VMCFG_DEFAULT_MAX_RESTARTS)
		vmcfg_put_num(&o, "max-restarts", s->max_restarts);
	if (s->restart_window_s != VMCFG_DEFAULT_RESTART_WINDOW_S)
		vmcfg_put_num(&o, "restart-window", s->restart_window_s);
	if (s->stopped)
		vmcfg_puts(&o, " state=stopped");
	if (internal) {
		/* Left out only in a change, where it is still to assign. */
		if (s->slot != VMCFG_SLOT_NONE)
			vmcfg_put_num(&o, "slot", s->slot);
		vmcfg_put_num(&o, "memory", s->memory_mib);
		vmcfg_put_num(&o, "vcpus", s->vcpus);
	}
	return o.over ? -ENOSPC : (int)o.len;
}

/* A growing malloc'ed text; NOMEM once an allocation failed. */
struct vmcfg_text {
	char *p;
	size_t len;
	size_t cap;
	bool nomem;
};

static void vmcfg_text_put(struct vmcfg_text *t, const char *s, size_t n)
{
	if (t->nomem)
		return;
	if (t->cap - t->len <= n) {
		size_t cap = t->cap ? t->cap : 4096;
		char *p;

		while (cap - t->len <= n)
			cap *= 2;
		p = realloc(t->p, cap);
		if (!p) {
			t->nomem = true;
			return;
		}
		t->p = p;
		t->cap = cap;
	}
	memcpy(t->p + t->len, s, n);
	t->len += n;
	t->p[t->len] = '\0';
}

static void vmcfg_text_puts(struct vmcfg_text *t, const char *s)
{
	vmcfg_text_put(t, s, strlen(s));
}

static const char *vmcfg_maint_name(enum vmcfg_maint m)
{
	return m == VMCFG_MAINT_ALL ? "on" : m == VMCFG_MAINT_PROTECTED ? "protected" : "off";
}

/* The property and node lines of C, K from 0 until it returns -1: line K
 * into LINE (CAP bytes), without its newline; its length. */
static int vmcfg_head_line(const struct vm_config *c, size_t k, char *line, size_t cap)
{
	if (c->maintenance) {
		if (k == 0)
			return snprintf(line, cap, "property maintenance-mode=true");
		k--;
	}
	if (k >= c->n_nodes || k >= VMCFG_NODES_MAX)
		return -1;
	return snprintf(line, cap, "node %s maintenance=%s%s%s", c->nodes[k].name,
			vmcfg_maint_name(c->nodes[k].maint), c->nodes[k].vms[0] ? " vms=" : "",
			c->nodes[k].vms);
}

/* The lines of C, each with its newline: property, nodes, VMs. */
static void vmcfg_text_vms(struct vmcfg_text *t, const struct vm_config *c, bool internal)
{
	char line[VMCFG_VM_LINE_BUF];
	int hn;

	for (size_t k = 0; (hn = vmcfg_head_line(c, k, line, sizeof(line))) >= 0; k++) {
		vmcfg_text_put(t, line, (size_t)hn);
		vmcfg_text_puts(t, "\n");
	}
	for (size_t i = 0; i < c->n_vms && i < VMCFG_VMS_MAX; i++) {
		int n = vmcfg_format_vm(&c->vms[i], internal, line, sizeof(line));

		if (n < 0) { /* cannot happen: see VMCFG_VM_LINE_BUF */
			t->nomem = true;
			return;
		}
		vmcfg_text_put(t, line, (size_t)n);
		vmcfg_text_puts(t, "\n");
	}
}

static char *vmcfg_text_end(struct vmcfg_text *t, size_t *len)
{
	if (!t->nomem && !t->p)
		vmcfg_text_put(t, "", 0);
	if (t->nomem) {
		free(t->p);
		return NULL;
	}
	if (len)
		*len = t->len;
	return t->p;
}

char *vmcfg_format(const struct vm_config *c, bool internal, size_t *len)
{
	struct vmcfg_text t = { 0 };

	if (internal) {
		char v[40];

		snprintf(v, sizeof(v), "version %llu\n", (unsigned long long)c->version);
		vmcfg_text_puts(&t, v);
	}
	vmcfg_text_vms(&t, c, internal);
	return vmcfg_text_end(&t, len);
}

/* ---- hash ------------------------------------------------------------- */

#define FNV64_OFFSET 14695981039346656037ULL
#define FNV64_PRIME 1099511628211ULL

static uint64_t vmcfg_fnv1a(uint64_t h, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= FNV64_PRIME;
	}
	return h;
}

/*
 * FNV-1a 64 of the stored form WITHOUT its version line: the VM lines,
 * each with its newline (an empty configuration hashes to the FNV offset
 * basis). The version is left out so that equal contents hash equal
 * whatever history led to them; daemons compare version and hash both.
 * Line by line, so that no allocation can fail.
 */
uint64_t vmcfg_hash(const struct vm_config *c)
{
	char line[VMCFG_VM_LINE_BUF];
	uint64_t h = FNV64_OFFSET;
	int m;

	for (size_t k = 0; (m = vmcfg_head_line(c, k, line, sizeof(line))) >= 0; k++) {
		h = vmcfg_fnv1a(h, line, (size_t)m);
		h = vmcfg_fnv1a(h, "\n", 1);
	}
	for (size_t i = 0; i < c->n_vms && i < VMCFG_VMS_MAX; i++) {
		int n = vmcfg_format_vm(&c->vms[i], true, line, sizeof(line));

		h = vmcfg_fnv1a(h, line, n < 0 ? 0 : (size_t)n);
		h = vmcfg_fnv1a(h, "\n", 1);
	}
	return h;
}

/* ---- changes ---------------------------------------------------------- */

/*
 * Why spec S cannot be in a configuration, into WHY; false when it can.
 * The same rules as the parser's (a change may come from code, not from
 * text). NEED_SIZE: memory and vcpus must be given.
 */
static bool vmcfg_spec_bad(const struct vm_spec *s, bool need_size, char *why, size_t cap)
{
	size_t xlen = strnlen(s->xml, sizeof(s->xml)), bad = 0;
	const char *r, *both;

	if (!vmcfg_field_name_ok(s->name, sizeof(s->name)))
		return vmcfg_why(why, cap, "bad VM name");
	if (xlen == sizeof(s->xml))
		return vmcfg_why(why, cap, "xml=: path not terminated");
	r = vmcfg_xml_why(s->xml, xlen);
	if (r)
		return vmcfg_why(why, cap, "xml=: %s", r);
	if (s->priority < VMCFG_PRIORITY_MIN || s->priority > VMCFG_PRIORITY_MAX)
		return vmcfg_why(why, cap, "priority=%d: not from %d to %d", (int)s->priority,
				 VMCFG_PRIORITY_MIN, VMCFG_PRIORITY_MAX);
	r = vmcfg_hosts_why(s->prefer, s->n_prefer, &bad);
	if (r)
		return vmcfg_why(why, cap, "prefer=: %s (host %zu)", r, bad + 1);
	r = vmcfg_hosts_why(s->avoid, s->n_avoid, &bad);
	if (r)
		return vmcfg_why(why, cap, "avoid=: %s (host %zu)", r, bad + 1);
	both = vmcfg_prefer_avoid_overlap(s);
	if (both)
		return vmcfg_why(why, cap, "host %s is in both prefer= and avoid=", both);
	if (s->group[0] && !vmcfg_field_name_ok(s->group, sizeof(s->group)))
		return vmcfg_why(why, cap, "anti-affinity=: bad group name");
	if (s->max_restarts > VMCFG_MAX_RESTARTS_MAX)
		return vmcfg_why(why, cap, "max-restarts=%u: more than %d", s->max_restarts,
				 VMCFG_MAX_RESTARTS_MAX);
	if (s->restart_window_s < 1 || s->restart_window_s > VMCFG_RESTART_WINDOW_MAX)
		return vmcfg_why(why, cap, "restart-window=%u: not from 1 to %d",
				 s->restart_window_s, VMCFG_RESTART_WINDOW_MAX);
	if (s->slot != VMCFG_SLOT_NONE && s->slot >= VMCFG_VMS_MAX)
		return vmcfg_why(why, cap, "slot=%u: not below %d", s->slot, VMCFG_VMS_MAX);
	if (s->vcpus > VMCFG_VCPUS_MAX)
		return vmcfg_why(why, cap, "vcpus=%u: more than %d", s->vcpus, VMCFG_VCPUS_MAX);
	if (need_size && (s->memory_mib == 0 || s->vcpus == 0))
		return vmcfg_why(why, cap, "memory= and vcpus= are needed (from its XML)");
	return false;
}

/* The length of C's stored form with its VM lines only, plus the version
 * line at its longest: what vmcfg_save would write at most. */
static size_t vmcfg_stored_len(const struct vm_config *c)
{
	char line[VMCFG_VM_LINE_BUF];
	size_t len = sizeof("version 18446744073709551615\n") - 1;
	int m;

	for (size_t k = 0; (m = vmcfg_head_line(c, k, line, sizeof(line))) >= 0; k++)
		len += (size_t)m + 1;
	for (size_t i = 0; i < c->n_vms; i++) {
		int n = vmcfg_format_vm(&c->vms[i], true, line, sizeof(line));

		len += (size_t)(n < 0 ? 0 : n) + 1;
	}
	return len;
}

static size_t vmcfg_spec_line_len(const struct vm_spec *s)
{
	char line[VMCFG_VM_LINE_BUF];
	int n = vmcfg_format_vm(s, true, line, sizeof(line));

	return (size_t)(n < 0 ? 0 : n) + 1;
}

/* Which slots C's VMs hold. */
static void vmcfg_slots_used(const struct vm_config *c, bool used[VMCFG_VMS_MAX])
{
	memset(used, 0, VMCFG_VMS_MAX * sizeof(used[0]));
	for (size_t i = 0; i < c->n_vms; i++)
		if (c->vms[i].slot < VMCFG_VMS_MAX)
			used[c->vms[i].slot] = true;
}

static uint32_t vmcfg_lowest_free(const bool used[VMCFG_VMS_MAX])
{
	uint32_t slot = 0;

	while (slot < VMCFG_VMS_MAX && used[slot])
		slot++;
	return slot;
}

static int vmcfg_apply_add(struct vm_config *c, const struct vm_spec *spec, char *err,
			   size_t errlen)
{
	bool used[VMCFG_VMS_MAX];
	char why[160];
	long at;
	uint32_t slot;

	if (vmcfg_spec_bad(spec, true, why, sizeof(why))) {
		vmcfg_errf(err, errlen, "add: %s", why);
		return -EINVAL;
	}
	at = vmcfg_search(c, spec->name);
	if (at >= 0) {
		vmcfg_errf(err, errlen, "add: vm %s exists", spec->name);
		return -EEXIST;
	}
	if (c->n_vms >= VMCFG_VMS_MAX) {
		vmcfg_errf(err, errlen, "add: all %d lease slots are in use", VMCFG_VMS_MAX);
		return -ENOSPC;
	}
	vmcfg_slots_used(c, used);
	slot = spec->slot;
	if (slot == VMCFG_SLOT_NONE) {
		slot = vmcfg_lowest_free(used);
	} else if (used[slot]) {
		vmcfg_errf(err, errlen, "add: slot %u is another VM's", slot);
		return -EINVAL;
	}
	if (vmcfg_stored_len(c) + vmcfg_spec_line_len(spec) > VMCFG_TEXT_MAX) {
		vmcfg_errf(err, errlen, "add: the configuration would be over %d bytes",
			   VMCFG_TEXT_MAX);
		return -ENOSPC;
	}
	at = -at - 1;
	memmove(&c->vms[at + 1], &c->vms[at], (c->n_vms - (size_t)at) * sizeof(c->vms[0]));
	c->vms[at] = *spec;
	c->vms[at].slot = slot;
	c->n_vms++;
	return 0;
}

static int vmcfg_apply_remove(struct vm_config *c, const char *name, char *err, size_t errlen)
{
	long at = vmcfg_search(c, name);

	if (at < 0) {
		vmcfg_errf(err, errlen, "remove: no vm %s", name);
		return -ENOENT;
	}
	memmove(&c->vms[at], &c->vms[at + 1], (c->n_vms - (size_t)at - 1) * sizeof(c->vms[0]));
	c->n_vms--;
	/* The freed entry is zeroed, so that configurations that went
	 * through the same changes are equal to the byte. */
	memset(&c->vms[c->n_vms], 0, sizeof(c->vms[0]));
	return 0;
}

/*
 * Replace C's VMs with ALL's. Everything is decided first (into the
 * arrays below) and C is written only once nothing can fail. Slots, in
 * this order: the slots ALL gives; an existing VM's own slot (its lease
 * must not move under a running VM); then, in name order, the lowest free
 * slot to each new VM. A slot wanted twice is an error, never a silent
 * move.
 */
static int vmcfg_apply_replace(struct vm_config *c, const struct vm_config *all, char *err,
			       size_t errlen)
{
	uint32_t slot[VMCFG_VMS_MAX], memory[VMCFG_VMS_MAX], vcpus[VMCFG_VMS_MAX];
	uint16_t owner[VMCFG_VMS_MAX]; /* index + 1 of the VM holding each slot */
	bool used[VMCFG_VMS_MAX];
	size_t n, len;
	char why[160];

	if (!all) {
		vmcfg_errf(err, errlen, "replace: no configuration");
		return -EINVAL;
	}
	n = all->n_vms;
	if (n > VMCFG_VMS_MAX) {
		vmcfg_errf(err, errlen, "replace: more than %d VMs", VMCFG_VMS_MAX);
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		const struct vm_spec *s = &all->vms[i];

		if (vmcfg_spec_bad(s, false, why, sizeof(why))) {
			vmcfg_errf(err, errlen, "replace: vm %zu: %s", i + 1, why);
			return -EINVAL;
		}
		/* Sorted, as struct vm_config always is; strictly, so no
		 * name comes twice (and new VMs get slots in name order). */
		if (i > 0 && strcmp(all->vms[i - 1].name, s->name) >= 0) {
			vmcfg_errf(err, errlen, "replace: vm %s %s", s->name,
				   strcmp(all->vms[i - 1].name, s->name) == 0
					   ? "comes twice"
					   : "is out of name order");
			return -EINVAL;
		}
	}
	for (size_t i = 0; i < n; i++) {
		const struct vm_spec *s = &all->vms[i];
		const struct vm_spec *old;

		old = vmcfg_find(c, s->name);
		memory[i] = s->memory_mib ? s->memory_mib : old ? old->memory_mib : 0;
		vcpus[i] = s->vcpus ? s->vcpus : old ? old->vcpus : 0;
		if (memory[i] == 0 || vcpus[i] == 0) {
			vmcfg_errf(err, errlen,
				   "replace: vm %s is new: memory= and vcpus= are needed", s->name);
			return -EINVAL;
		}
		slot[i] = s->slot;
		if (slot[i] == VMCFG_SLOT_NONE && old && old->slot < VMCFG_VMS_MAX)
			slot[i] = old->slot;
	}
	memset(owner, 0, sizeof(owner));
	/* Given slots first, then kept ones: a clash names who had it. */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < n; i++) {
			bool given = all->vms[i].slot != VMCFG_SLOT_NONE;

			if (slot[i] == VMCFG_SLOT_NONE || given != (pass == 0))
				continue;
			if (owner[slot[i]]) {
				vmcfg_errf(err, errlen,
					   "replace: vm %s and vm %s both want slot %u",
					   all->vms[owner[slot[i]] - 1].name, all->vms[i].name,
					   slot[i]);
				return -EINVAL;
			}
			owner[slot[i]] = (uint16_t)(i + 1);
		}
	for (size_t s = 0; s < VMCFG_VMS_MAX; s++)
		used[s] = owner[s] != 0;
	/* At most VMCFG_VMS_MAX VMs for as many slots: one is always free. */
	for (size_t i = 0; i < n; i++)
		if (slot[i] == VMCFG_SLOT_NONE) {
			slot[i] = vmcfg_lowest_free(used);
			used[slot[i]] = true;
		}
	len = sizeof("version 18446744073709551615\n") - 1;
	for (size_t i = 0; i < n; i++) {
		struct vm_spec s = all->vms[i];

		s.slot = slot[i];
		s.memory_mib = memory[i];
		s.vcpus = vcpus[i];
		len += vmcfg_spec_line_len(&s);
	}
	if (len > VMCFG_TEXT_MAX) {
		vmcfg_errf(err, errlen, "replace: the configuration would be over %d bytes",
			   VMCFG_TEXT_MAX);
		return -ENOSPC;
	}
	if (all->n_nodes > VMCFG_NODES_MAX) {
		vmcfg_errf(err, errlen, "replace: more than %d nodes", VMCFG_NODES_MAX);
		return -EINVAL;
	}
	for (size_t i = 0; i < all->n_nodes; i++)
		if (all->nodes[i].maint == VMCFG_MAINT_OFF || !vmcfg_name_ok(all->nodes[i].name) ||
		    (i > 0 && strcmp(all->nodes[i - 1].name, all->nodes[i].name) >= 0)) {
			vmcfg_errf(err, errlen, "replace: node %s: bad, twice or out of order",
				   all->nodes[i].name);
			return -EINVAL;
		}
	/* Nothing can fail from here on. */
	if (all->head_given) {
		c->maintenance = all->maintenance;
		if (c != all)
			memmove(c->nodes, all->nodes, all->n_nodes * sizeof(c->nodes[0]));
		c->n_nodes = all->n_nodes;
	}
	if (c != all)
		memmove(c->vms, all->vms, n * sizeof(c->vms[0]));
	if (n < c->n_vms)
		memset(&c->vms[n], 0, (c->n_vms - n) * sizeof(c->vms[0]));
	c->n_vms = n;
	for (size_t i = 0; i < n; i++) {
		c->vms[i].slot = slot[i];
		c->vms[i].memory_mib = memory[i];
		c->vms[i].vcpus = vcpus[i];
	}
	return 0;
}

/* Set or clear host N's maintenance, keeping the nodes sorted. */
static int vmcfg_apply_node(struct vm_config *c, const struct vm_node *n, char *err, size_t errlen)
{
	size_t at = 0;

	if (!vmcfg_name_ok(n->name) || n->maint > VMCFG_MAINT_PROTECTED) {
		vmcfg_errf(err, errlen, "node: bad host name or maintenance");
		return -EINVAL;
	}
	while (at < c->n_nodes && strcmp(c->nodes[at].name, n->name) < 0)
		at++;
	if (at < c->n_nodes && strcmp(c->nodes[at].name, n->name) == 0) {
		if (n->maint != VMCFG_MAINT_OFF) {
			c->nodes[at] = *n;
			return 0;
		}
		memmove(&c->nodes[at], &c->nodes[at + 1], (c->n_nodes - at - 1) * sizeof(*n));
		c->n_nodes--;
		return 0;
	}
	if (n->maint == VMCFG_MAINT_OFF)
		return 0; /* not in maintenance: nothing to clear */
	if (c->n_nodes == VMCFG_NODES_MAX) {
		vmcfg_errf(err, errlen, "node: more than %d hosts in maintenance", VMCFG_NODES_MAX);
		return -ENOSPC;
	}
	memmove(&c->nodes[at + 1], &c->nodes[at], (c->n_nodes - at) * sizeof(*n));
	c->nodes[at] = *n;
	c->n_nodes++;
	return 0;
}

int vmcfg_apply(struct vm_config *c, const struct vmcfg_change *ch, char *err, size_t errlen)
{
	long at;
	int rc;

	if (err && errlen > 0)
		err[0] = '\0';
	if (c->version == UINT64_MAX) {
		vmcfg_errf(err, errlen, "the version would wrap");
		return -EINVAL;
	}
	switch (ch->op) {
	case VMCFG_ADD: rc = vmcfg_apply_add(c, &ch->spec, err, errlen); break;
	case VMCFG_REMOVE: rc = vmcfg_apply_remove(c, ch->spec.name, err, errlen); break;
	case VMCFG_STATE:
		at = vmcfg_search(c, ch->spec.name);
		if (at < 0) {
			vmcfg_errf(err, errlen, "state: no vm %s", ch->spec.name);
			return -ENOENT;
		}
		c->vms[at].stopped = ch->spec.stopped;
		rc = 0;
		break;
	case VMCFG_REPLACE: rc = vmcfg_apply_replace(c, ch->all, err, errlen); break;
	case VMCFG_NODE: rc = vmcfg_apply_node(c, &ch->node, err, errlen); break;
	case VMCFG_PROPERTY:
		c->maintenance = ch->maintenance;
		rc = 0;
		break;
	default: vmcfg_errf(err, errlen, "unknown change %d", (int)ch->op); return -EINVAL;
	}
	if (rc == 0)
		c->version++;
	return rc;
}

char *vmcfg_change_format(const struct vmcfg_change *ch, size_t *len)
{
	struct vmcfg_text t = { 0 };
	char line[VMCFG_VM_LINE_BUF];
	int n;

	switch (ch->op) {
	case VMCFG_ADD:
		n = vmcfg_format_vm(&ch->spec, true, line, sizeof(line));
		if (n < 0)
			return NULL;
		vmcfg_text_puts(&t, "add ");
		vmcfg_text_put(&t, line, (size_t)n);
		vmcfg_text_puts(&t, "\n");
		break;
	case VMCFG_REMOVE:
	case VMCFG_STATE:
		vmcfg_text_puts(&t, ch->op == VMCFG_REMOVE ? "remove " : "state ");
		vmcfg_text_put(&t, ch->spec.name, strnlen(ch->spec.name, sizeof(ch->spec.name)));
		if (ch->op == VMCFG_STATE)
			vmcfg_text_puts(&t, ch->spec.stopped ? " stopped" : " started");
		vmcfg_text_puts(&t, "\n");
		break;
	case VMCFG_REPLACE:
		if (!ch->all)
			return NULL;
		vmcfg_text_puts(&t, "replace\n");
		/* Said even when off: a text with a head line replaces the
		 * maintenance, one without keeps it. */
		if (ch->all->head_given && !ch->all->maintenance)
			vmcfg_text_puts(&t, "property maintenance-mode=false\n");
		vmcfg_text_vms(&t, ch->all, true);
		break;
	case VMCFG_NODE:
		if (!vmcfg_name_ok(ch->node.name) || ch->node.maint > VMCFG_MAINT_PROTECTED)
			return NULL;
		snprintf(line, sizeof(line), "node %s maintenance=%s%s%s\n", ch->node.name,
			 vmcfg_maint_name(ch->node.maint), ch->node.vms[0] ? " vms=" : "",
			 ch->node.vms);
		vmcfg_text_puts(&t, line);
		break;
	case VMCFG_PROPERTY:
		vmcfg_text_puts(&t, ch->maintenance ? "property maintenance-mode=true\n"
						    : "property maintenance-mode=false\n");
		break;
	default: return NULL;
	}
	return vmcfg_text_end(&t, len);
}

/* The name after "remove" or "state" into S. */
static int vmcfg_parse_change_name(struct vmcfg_scan *sc, const struct vmcfg_word *op,
				   struct vm_spec *s)
{
	struct vmcfg_word w;
	char show[SHOW_BUF], name[VMCFG_NAME_MAX + 1];
	int rc = vmcfg_next(sc, &w);

	if (rc < 0)
		return rc;
	if (rc == 0)
		return vmcfg_fail(sc, op->line, "%.*s without a VM name", (int)op->len, op->s);
	if (!vm_name_n_ok(w.s, w.len))
		return vmcfg_fail(sc, w.line, "bad VM name \"%s\"",
				  vmcfg_show(w.s, w.len, show, sizeof(show)));
	memcpy(name, w.s, w.len);
	name[w.len] = '\0';
	vmcfg_spec_init(s, name);
	return 0;
}

/* Only blank and comment lines until the end of the text. */
static int vmcfg_expect_done(struct vmcfg_scan *sc, const char *what)
{
	int rc;

	do {
		rc = vmcfg_expect_end(sc, what);
		if (rc < 0)
			return rc;
	} while (!vmcfg_scan_done(sc));
	return 0;
}

int vmcfg_change_parse(const char *text, size_t len, struct vmcfg_change *out, char *err,
		       size_t errlen)
{
	struct vmcfg_scan sc;
	struct vmcfg_word w, st;
	char show[SHOW_BUF];
	int rc;

	memset(out, 0, sizeof(*out));
	vmcfg_scan_init(&sc, text, len, NULL, err, errlen);
	do {
		rc = vmcfg_next(&sc, &w);
		if (rc < 0)
			return rc;
	} while (rc == 0 && !vmcfg_scan_done(&sc));
	if (rc == 0)
		return vmcfg_fail(&sc, sc.line, "empty change");
	if (vmcfg_word_is(&w, "add")) {
		struct vmcfg_word vm;

		out->op = VMCFG_ADD;
		rc = vmcfg_next(&sc, &vm);
		if (rc < 0)
			return rc;
		if (rc == 0 || !vmcfg_word_is(&vm, "vm"))
			return vmcfg_fail(&sc, w.line, "add takes a vm line");
		rc = vmcfg_parse_vm(&sc, FORM_CHANGE, &vm, &out->spec);
		if (rc < 0)
			return rc;
		return vmcfg_expect_done(&sc, "the VM of an add");
	}
	if (vmcfg_word_is(&w, "remove")) {
		out->op = VMCFG_REMOVE;
		rc = vmcfg_parse_change_name(&sc, &w, &out->spec);
		if (rc < 0)
			return rc;
		return vmcfg_expect_done(&sc, "remove NAME");
	}
	if (vmcfg_word_is(&w, "state")) {
		out->op = VMCFG_STATE;
		rc = vmcfg_parse_change_name(&sc, &w, &out->spec);
		if (rc < 0)
			return rc;
		rc = vmcfg_next(&sc, &st);
		if (rc < 0)
			return rc;
		if (rc > 0 && vmcfg_word_is(&st, "stopped"))
			out->spec.stopped = true;
		else if (rc == 0 || !vmcfg_word_is(&st, "started"))
			return vmcfg_fail(&sc, w.line, "state NAME takes started or stopped");
		return vmcfg_expect_done(&sc, "state NAME started|stopped");
	}
	if (vmcfg_word_is(&w, "node")) {
		out->op = VMCFG_NODE;
		rc = vmcfg_parse_node(&sc, &w, &out->node);
		if (rc < 0)
			return rc;
		return vmcfg_expect_done(&sc, "node NAME maintenance=...");
	}
	if (vmcfg_word_is(&w, "property")) {
		out->op = VMCFG_PROPERTY;
		rc = vmcfg_parse_property(&sc, &w, &out->maintenance);
		if (rc < 0)
			return rc;
		return vmcfg_expect_done(&sc, "property maintenance-mode=...");
	}
	if (vmcfg_word_is(&w, "replace")) {
		out->op = VMCFG_REPLACE;
		rc = vmcfg_expect_end(&sc, "replace");
		if (rc < 0)
			return rc;
		out->all = malloc(sizeof(*out->all));
		if (!out->all)
			return vmcfg_fail(&sc, w.line, "out of memory");
		rc = vmcfg_parse_body(&sc, FORM_CHANGE, out->all);
		if (rc < 0)
			vmcfg_change_free(out);
		return rc;
	}
	return vmcfg_fail(&sc, w.line, "unknown change \"%s\"",
			  vmcfg_show(w.s, w.len, show, sizeof(show)));
}

void vmcfg_change_free(struct vmcfg_change *ch)
{
	free(ch->all);
	ch->all = NULL;
}

/* ---- the state file --------------------------------------------------- */

static int vmcfg_write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO; /* a regular file never does this; no endless loop */
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* fsync PATH's directory, so that the rename into it is on disk too. */
static int vmcfg_sync_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int fd, rc = 0;

	if (!slash)
		dir = strdup(".");
	else if (slash == path)
		dir = strdup("/");
	else
		dir = strndup(path, (size_t)(slash - path));
	if (!dir)
		return -ENOMEM;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

/* Whether TEXT, a stored form, parses: 0, -EINVAL or -ENOMEM. */
static int vmcfg_readable(const char *text, size_t len)
{
	struct vm_config *back = malloc(sizeof(*back));
	int rc;

	if (!back)
		return -ENOMEM;
	rc = vmcfg_parse(text, len, true, back, NULL, 0);
	free(back);
	return rc;
}

/*
 * The new text goes to PATH.tmp and is renamed over PATH only once it is
 * complete on disk: rename is atomic, so whenever the process or the host
 * dies, PATH holds the old configuration or the new one, whole. Until the
 * rename, PATH is not touched at all; a failure removes PATH.tmp.
 */
int vmcfg_save(const char *path, const struct vm_config *c)
{
	char *text, *tmp = NULL;
	size_t len;
	int fd = -1, rc;

	text = vmcfg_format(c, true, &len);
	if (!text)
		return -ENOMEM;
	/*
	 * What vmcfg_load_file would refuse is not written: a state file
	 * this daemon cannot read back would keep it from starting. Too big,
	 * or not valid (a slot never assigned, memory 0, a bad name put in
	 * by code): read back here, before anything is on disk.
	 */
	if (len > VMCFG_TEXT_MAX) {
		rc = -EFBIG;
		goto out;
	}
	rc = vmcfg_readable(text, len);
	if (rc < 0)
		goto out;
	tmp = malloc(strlen(path) + sizeof(".tmp"));
	if (!tmp) {
		rc = -ENOMEM;
		goto out;
	}
	snprintf(tmp, strlen(path) + sizeof(".tmp"), "%s.tmp", path);
	/* O_NOFOLLOW: a symlink planted at PATH.tmp is not written through. */
	fd = open(tmp, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (fd < 0) {
		rc = -errno;
		goto out; /* nothing of ours to remove */
	}
	/* 0640 whatever the umask, and whatever mode a stale PATH.tmp had. */
	if (fchmod(fd, 0640) < 0) {
		rc = -errno;
		goto fail;
	}
	rc = vmcfg_write_all(fd, text, len);
	if (rc < 0)
		goto fail;
	if (fsync(fd) < 0) {
		rc = -errno;
		goto fail;
	}
	rc = close(fd);
	fd = -1;
	if (rc < 0) {
		rc = -errno;
		goto fail;
	}
	if (rename(tmp, path) < 0) {
		rc = -errno;
		goto fail;
	}
	/* PATH is the new file from here on; without this fsync a power
	 * loss could still bring the old one back. */
	rc = vmcfg_sync_dir(path);
	goto out;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
out:
	free(tmp);
	free(text);
	return rc;
}

int vmcfg_load_file(const char *path, struct vm_config *c, char *err, size_t errlen)
{
	struct vmcfg_scan sc;
	struct stat st;
	size_t len = 0;
	char *buf = NULL;
	int fd, rc;

	c->version = 0;
	c->maintenance = false;
	c->n_nodes = 0;
	c->n_vms = 0;
	if (err && errlen > 0)
		err[0] = '\0';
	/* O_NONBLOCK: opening a FIFO must not wait for a writer; it is
	 * refused below like any other file that is not regular. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0) {
		rc = -errno;
		vmcfg_errf(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		vmcfg_errf(err, errlen, "%s: %s", path, strerror(-rc));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = -EINVAL;
		vmcfg_errf(err, errlen, "%s: not a regular file", path);
		goto out;
	}
	/* Read up to one byte past the limit: the size fstat gave may be old. */
	buf = malloc(VMCFG_TEXT_MAX + 1);
	if (!buf) {
		rc = -ENOMEM;
		vmcfg_errf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	while (len <= VMCFG_TEXT_MAX) {
		ssize_t n = read(fd, buf + len, VMCFG_TEXT_MAX + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			vmcfg_errf(err, errlen, "%s: %s", path, strerror(-rc));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > VMCFG_TEXT_MAX) {
		rc = -EFBIG;
		vmcfg_errf(err, errlen, "%s: more than %d bytes", path, VMCFG_TEXT_MAX);
		goto out;
	}
	vmcfg_scan_init(&sc, buf, len, path, err, errlen);
	rc = vmcfg_parse_body(&sc, FORM_STORED, c);
out:
	if (rc < 0) {
		c->version = 0;
		c->maintenance = false;
		c->n_nodes = 0;
		c->n_vms = 0;
	}
	free(buf);
	close(fd);
	return rc;
}
