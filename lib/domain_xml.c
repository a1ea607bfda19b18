/*
 * domain_xml.c: see domain_xml.h. The domain XML comes from shared storage
 * that an operator writes, so it is parsed as untrusted input: no network,
 * no DTD, no entities (a document with a DOCTYPE is refused before libxml2
 * reads its internal subset), libxml2's own error output kept quiet and its
 * first message returned instead.
 *
 * What is checked is what havm needs to be true for failover to be safe:
 * the VM's name (its lease key and libvirt name), its size (placement), and
 * that every disk is a path on the shared storage (a VM restarted on
 * another host must find the same disks there). libvirt checks the rest
 * when the domain starts.
 */
#include "domain_xml.h"

#include "text_escape.h"
#include "virt_int.h"

#include <ctype.h>
#include <errno.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlsave.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LEASE_LOCKSPACE "havm"
#define VCPUS_MAX 65535     /* above any hypervisor's limit; 1024 VMs' sum fits in 32 bits */
#define LEASE_PATH_MAX 1023 /* sanlock's path field, without the NUL */
#define MIB (UINT64_C(1) << 20)


/* ------------------------------------------------------------------ */
/* Parsing */

struct parse_guard {
	bool doctype;    /* a DOCTYPE was seen: the parse was stopped there */
	char first[160]; /* libxml2's first error, "line N: message" */
};

/*
 * SAX hook for <!DOCTYPE ...>, called before the internal subset is read:
 * stopping here means no entity declaration is ever parsed, so no entity
 * can be expanded (billion laughs, external entities), whatever libxml2's
 * defaults. A domain XML has no use for a DTD.
 */
static void refuse_doctype(void *ctx, const xmlChar *name, const xmlChar *external_id,
			   const xmlChar *system_id)
{
	xmlParserCtxtPtr ctxt = ctx;
	struct parse_guard *g = ctxt->_private;

	(void)name;
	(void)external_id;
	(void)system_id;
	g->doctype = true;
	xmlStopParser(ctxt);
}

/* Structured error hook: keeps the first message (later ones tend to be
 * consequences of it) and prints nothing. */
static void keep_first_error(void *ctx, xmlErrorPtr e)
{
	xmlParserCtxtPtr ctxt = ctx;
	struct parse_guard *g = ctxt->_private;
	size_t n;

	if (g->first[0] || !e || !e->message || e->level == XML_ERR_WARNING)
		return;
	snprintf(g->first, sizeof(g->first), "line %d: %s", e->line, e->message);
	n = strlen(g->first);
	while (n > 0 && (g->first[n - 1] == '\n' || g->first[n - 1] == ' '))
		g->first[--n] = '\0';
}

static bool is_el(const xmlNode *n, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE && n->ns == NULL &&
	       xmlStrEqual(n->name, (const xmlChar *)name);
}

/* The first child element NAME of PARENT, and how many there are. */
static xmlNodePtr child_el(const xmlNode *parent, const char *name, size_t *count)
{
	xmlNodePtr first = NULL;
	size_t n = 0;

	for (xmlNodePtr c = parent->children; c; c = c->next) {
		if (!is_el(c, name))
			continue;
		if (!first)
			first = c;
		n++;
	}
	if (count)
		*count = n;
	return first;
}

/* Parse XML into *DOC and check that its root is <domain>. */
static int parse_domain(const char *xml, size_t len, xmlDocPtr *doc, char *err, size_t errlen)
{
	struct parse_guard g = { 0 };
	xmlParserCtxtPtr ctxt;
	xmlNodePtr root;

	*doc = NULL;
	if (!xml || len == 0) {
		set_err(err, errlen, "the domain XML is empty");
		return -EINVAL;
	}
	if (len > DOMAIN_XML_MAX) {
		set_err(err, errlen, "the domain XML is %zu bytes, more than the %d allowed", len,
			DOMAIN_XML_MAX);
		return -EINVAL;
	}
	xmlInitParser();
	ctxt = xmlNewParserCtxt();
	if (!ctxt) {
		set_err(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ctxt->_private = &g;
	ctxt->sax->internalSubset = refuse_doctype;
	ctxt->sax->serror = keep_first_error;
	/* NONET: no fetching; no NOENT or DTDLOAD, so nothing is substituted
	 * or loaded; NOERROR/NOWARNING: libxml2 prints nothing itself. */
	*doc = xmlCtxtReadMemory(ctxt, xml, (int)len, NULL, NULL,
				 XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	xmlFreeParserCtxt(ctxt);
	if (g.doctype || (*doc && ((*doc)->intSubset || (*doc)->extSubset))) {
		set_err(err, errlen, "the domain XML has a DOCTYPE, which is not accepted");
		goto refused;
	}
	if (!*doc) {
		/* libxml2's message quotes the document (tag names): escaped. */
		char q[TEXT_ESCAPE_SIZE(sizeof(g.first))];
		set_err(err, errlen, "the domain XML is not well-formed: %s",
			g.first[0] ? text_escape(q, sizeof(q), g.first, sizeof(g.first))
				   : "unknown error");
		goto refused;
	}
	root = xmlDocGetRootElement(*doc);
	if (!is_el(root, "domain")) {
		set_err(err, errlen, "the root element is not <domain>");
		goto refused;
	}
	return 0;
refused:
	xmlFreeDoc(*doc);
	*doc = NULL;
	return -EINVAL;
}

/* ------------------------------------------------------------------ */
/* Values */

/* The text of N without leading and trailing blanks, malloc'ed; NULL for
 * no memory. */
static char *text_of(const xmlNode *n)
{
	xmlChar *c = xmlNodeGetContent(n);
	const char *s, *e;
	char *out;

	if (!c)
		return strdup("");
	s = (const char *)c;
	while (*s && isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	out = strndup(s, (size_t)(e - s));
	xmlFree(c);
	return out;
}

/* Decimal digits only (no sign, no blanks), within MAX. */
static bool parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		unsigned d;
		if (*s < '0' || *s > '9')
			return false;
		d = (unsigned)(*s - '0');
		if (v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

/*
 * Bytes per UNIT, libvirt's grammar for <memory unit=...>: none means KiB;
 * "b", "byte", "bytes"; or one of k m g t p e, alone or with "iB" (powers
 * of 1024) or with "B" (powers of 1000), case ignored as libvirt does.
 */
static bool unit_scale(const char *unit, uint64_t *scale)
{
	static const char powers[] = "kmgtpe";
	const char *p;
	uint64_t base;

	if (!unit || !*unit) {
		*scale = 1024;
		return true;
	}
	if (!strcasecmp(unit, "b") || !strcasecmp(unit, "byte") || !strcasecmp(unit, "bytes")) {
		*scale = 1;
		return true;
	}
	p = strchr(powers, tolower((unsigned char)unit[0]));
	if (!p || !*p)
		return false;
	if (unit[1] == '\0' || !strcasecmp(unit + 1, "ib"))
		base = 1024;
	else if (!strcasecmp(unit + 1, "b"))
		base = 1000;
	else
		return false;
	*scale = 1;
	for (const char *q = powers; q <= p; q++)
		*scale *= base; /* at most 1024^6 = 2^60: no overflow */
	return true;
}

static int read_memory(const xmlNode *root, uint64_t *mib, char *err, size_t errlen)
{
	size_t count;
	xmlNodePtr m = child_el(root, "memory", &count);
	xmlChar *unit;
	char *text;
	uint64_t v, scale, bytes;
	bool ok_unit, ok_value;

	if (!m) {
		set_err(err, errlen, "the domain XML has no <memory>");
		return -EINVAL;
	}
	if (count > 1) {
		set_err(err, errlen, "the domain XML has %zu <memory> elements", count);
		return -EINVAL;
	}
	unit = xmlGetNoNsProp(m, (const xmlChar *)"unit");
	text = text_of(m);
	if (!text) {
		xmlFree(unit);
		set_err(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ok_unit = unit_scale((const char *)unit, &scale);
	ok_value = parse_u64(text, UINT64_MAX, &v);
	if (!ok_unit) {
		char q[TEXT_ESCAPE_SIZE(32)];
		set_err(err, errlen, "<memory> has an unknown unit \"%s\"",
			text_escape(q, sizeof(q), (const char *)unit, 32));
	} else if (!ok_value) {
		char q[TEXT_ESCAPE_SIZE(32)];
		set_err(err, errlen, "<memory> is not a number: \"%s\"",
			text_escape(q, sizeof(q), text, 32));
	}
	xmlFree(unit);
	free(text);
	if (!ok_unit || !ok_value)
		return -EINVAL;
	if (v > UINT64_MAX / scale) {
		set_err(err, errlen, "<memory> is too large");
		return -EINVAL;
	}
	bytes = v * scale;
	if (bytes == 0) {
		set_err(err, errlen, "<memory> is 0");
		return -EINVAL;
	}
	/* Rounded up: placement must never count a VM smaller than it is. */
	*mib = bytes / MIB + (bytes % MIB != 0);
	return 0;
}

static int read_vcpus(const xmlNode *root, uint32_t *vcpus, char *err, size_t errlen)
{
	size_t count;
	xmlNodePtr n = child_el(root, "vcpu", &count);
	char *text;
	uint64_t v;
	bool ok;

	*vcpus = 1; /* libvirt's default */
	if (!n)
		return 0;
	if (count > 1) {
		set_err(err, errlen, "the domain XML has %zu <vcpu> elements", count);
		return -EINVAL;
	}
	text = text_of(n);
	if (!text) {
		set_err(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ok = parse_u64(text, VCPUS_MAX, &v) && v > 0;
	if (!ok) {
		char q[TEXT_ESCAPE_SIZE(32)];
		set_err(err, errlen, "<vcpu> is not a number from 1 to %d: \"%s\"", VCPUS_MAX,
			text_escape(q, sizeof(q), text, 32));
	}
	free(text);
	if (!ok)
		return -EINVAL;
	*vcpus = (uint32_t)v;
	return 0;
}

/* The name: required, exactly one, valid as a VM name. */
static int read_name(const xmlNode *root, char *name, size_t size, char *err, size_t errlen)
{
	size_t count;
	xmlNodePtr n = child_el(root, "name", &count);
	xmlChar *c;
	int rc = 0;

	if (!n) {
		set_err(err, errlen, "the domain XML has no <name>");
		return -EINVAL;
	}
	if (count > 1) {
		set_err(err, errlen, "the domain XML has %zu <name> elements", count);
		return -EINVAL;
	}
	/* Not trimmed: libvirt takes the name as it is written, so blanks
	 * around it would make another name than the one checked here. */
	c = xmlNodeGetContent(n);
	if (!c) {
		set_err(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (!vm_name_ok((const char *)c) || strlen((const char *)c) >= size) {
		char q[TEXT_ESCAPE_SIZE(64)];
		set_err(err, errlen,
			"the domain name \"%s\" is not a valid VM name "
			"([A-Za-z0-9][A-Za-z0-9._-], at most 63 characters)",
			text_escape(q, sizeof(q), (const char *)c, 64));
		rc = -EINVAL;
	} else {
		snprintf(name, size, "%s", (const char *)c);
	}
	xmlFree(c);
	return rc;
}

/* 32 hex digits, dashes allowed between them (libvirt accepts either
 * form); stored as written. */
static int read_uuid(const xmlNode *root, char *uuid, size_t size, char *err, size_t errlen)
{
	size_t count, digits = 0;
	xmlNodePtr n = child_el(root, "uuid", &count);
	char *text;
	bool ok = true;

	uuid[0] = '\0';
	if (!n)
		return 0;
	if (count > 1) {
		set_err(err, errlen, "the domain XML has %zu <uuid> elements", count);
		return -EINVAL;
	}
	text = text_of(n);
	if (!text) {
		set_err(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (const char *s = text; *s && ok; s++) {
		if (isxdigit((unsigned char)*s))
			digits++;
		else if (*s != '-' || s == text || s[1] == '\0')
			ok = false;
	}
	ok = ok && digits == 32 && strlen(text) < size;
	if (ok) {
		snprintf(uuid, size, "%s", text);
	} else {
		char q[TEXT_ESCAPE_SIZE(40)];
		set_err(err, errlen, "<uuid> is not a UUID: \"%s\"",
			text_escape(q, sizeof(q), text, 40));
	}
	free(text);
	return ok ? 0 : -EINVAL;
}

/* ------------------------------------------------------------------ */
/* Disks */

/* Whether PATH has a "." or ".." component (which would let a path that
 * starts with a shared directory point outside it). */
static bool has_dot_component(const char *path)
{
	const char *s = path;

	while (*s) {
		const char *e = strchr(s, '/');
		size_t n = e ? (size_t)(e - s) : strlen(s);
		if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
			return true;
		s += n;
		while (*s == '/')
			s++;
	}
	return false;
}

/*
 * Whether PATH is under directory DIR: it starts with DIR + "/" once DIR's
 * repeated and trailing slashes are removed, something follows, and no
 * component is "." or "..". A DIR that is not absolute matches nothing.
 * Symbolic links are not resolved: this is a pure check of the text (the
 * storage is another host's view as much as ours).
 */
static bool path_under(const char *path, const char *dir)
{
	size_t i = 0, j = 0;

	if (!dir || dir[0] != '/' || path[0] != '/' || has_dot_component(path))
		return false;
	/* Walk DIR with its slashes collapsed against PATH byte by byte. */
	while (dir[i]) {
		if (dir[i] == '/') {
			while (dir[i] == '/')
				i++;
			if (!dir[i])
				break; /* trailing slashes */
			if (path[j] != '/')
				return false;
			j++;
			continue;
		}
		if (path[j] != dir[i])
			return false;
		i++;
		j++;
	}
	/* PATH[j] must be the separator after DIR, with a name after it. */
	if (path[j] != '/')
		return false;
	while (path[j] == '/')
		j++;
	return path[j] != '\0';
}

static bool under_any(const char *path, const char *const *shared, size_t n_shared)
{
	for (size_t i = 0; i < n_shared; i++)
		if (path_under(path, shared[i]))
			return true;
	return false;
}

/*
 * One disk or backing store N: its type must be file or block, and the
 * path in each <source> under a shared directory. A <source> without the
 * path attribute (an empty cdrom) has nothing to check.
 */
static int check_storage(const xmlNode *n, const char *what, const char *const *shared,
			 size_t n_shared, char *err, size_t errlen)
{
	xmlChar *type = xmlGetNoNsProp(n, (const xmlChar *)"type");
	const char *attr;
	int rc = 0;

	if (!type || xmlStrEqual(type, (const xmlChar *)"file")) {
		attr = "file"; /* libvirt's default type */
	} else if (xmlStrEqual(type, (const xmlChar *)"block")) {
		attr = "dev";
	} else {
		char q[TEXT_ESCAPE_SIZE(32)];
		set_err(err, errlen, "%s type '%s' is not supported (only file and block)", what,
			text_escape(q, sizeof(q), (const char *)type, 32));
		xmlFree(type);
		return -EINVAL;
	}
	xmlFree(type);
	for (xmlNodePtr s = n->children; s && rc == 0; s = s->next) {
		xmlChar *path;
		if (!is_el(s, "source"))
			continue;
		path = xmlGetNoNsProp(s, (const xmlChar *)attr);
		if (path && !under_any((const char *)path, shared, n_shared)) {
			char q[TEXT_ESCAPE_SIZE(256)];
			set_err(err, errlen,
				"%s \"%s\" is not under a shared directory (or has a . or .. "
				"component)",
				what, text_escape(q, sizeof(q), (const char *)path, 256));
			rc = -EINVAL;
		}
		xmlFree(path);
	}
	return rc;
}

/*
 * Every <disk> (whatever its device: disk, cdrom, lun and floppy alike
 * must be found on the next host) and every backing store written in it.
 */
static int check_disks(const xmlNode *devices, const char *const *shared, size_t n_shared,
		       char *err, size_t errlen)
{
	for (xmlNodePtr d = devices->children; d; d = d->next) {
		const xmlNode *n;
		int rc;

		if (!is_el(d, "disk"))
			continue;
		rc = check_storage(d, "disk", shared, n_shared, err, errlen);
		/* An empty <backingStore/> (no type) ends the chain. */
		for (n = child_el(d, "backingStore", NULL); rc == 0 && n;
		     n = child_el(n, "backingStore", NULL)) {
			if (!xmlHasProp(n, (const xmlChar *)"type"))
				break;
			rc = check_storage(n, "backing store", shared, n_shared, err, errlen);
		}
		if (rc)
			return rc;
	}
	return 0;
}

/* The lockspace a <lease> names; malloc'ed, NULL for no memory. */
static char *lease_lockspace(const xmlNode *lease)
{
	xmlNodePtr ls = child_el(lease, "lockspace", NULL);

	return ls ? text_of(ls) : strdup("");
}

/* Every <lease>: a lease of another lockspace is someone else's, and a VM
 * holding two lock managers' leases is not one havm can move. */
static int check_leases(const xmlNode *devices, bool *has_lease, char *err, size_t errlen)
{
	for (xmlNodePtr l = devices->children; l; l = l->next) {
		char *ls;
		bool ours;

		if (!is_el(l, "lease"))
			continue;
		ls = lease_lockspace(l);
		if (!ls) {
			set_err(err, errlen, "out of memory");
			return -ENOMEM;
		}
		ours = strcmp(ls, LEASE_LOCKSPACE) == 0;
		if (!ours) {
			char q[TEXT_ESCAPE_SIZE(64)];
			set_err(err, errlen,
				"the domain XML has a lease in lockspace \"%s\"; only havm's "
				"own (\"" LEASE_LOCKSPACE "\") is accepted",
				text_escape(q, sizeof(q), ls, 64));
		}
		free(ls);
		if (!ours)
			return -EINVAL;
		*has_lease = true;
	}
	return 0;
}

int domain_xml_read(const char *xml, size_t len, const char *const *shared, size_t n_shared,
		    struct domain_info *out, char *err, size_t errlen)
{
	xmlDocPtr doc;
	xmlNodePtr root;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = parse_domain(xml, len, &doc, err, errlen);
	if (rc)
		return rc;
	root = xmlDocGetRootElement(doc);
	rc = read_name(root, out->name, sizeof(out->name), err, errlen);
	if (!rc)
		rc = read_uuid(root, out->uuid, sizeof(out->uuid), err, errlen);
	if (!rc)
		rc = read_memory(root, &out->memory_mib, err, errlen);
	if (!rc)
		rc = read_vcpus(root, &out->vcpus, err, errlen);
	/* libvirt reads ./devices/disk across every <devices>: so do we. */
	for (xmlNodePtr d = root->children; d && !rc; d = d->next) {
		if (!is_el(d, "devices"))
			continue;
		rc = check_disks(d, shared, n_shared, err, errlen);
		if (!rc)
			rc = check_leases(d, &out->has_lease, err, errlen);
	}
	xmlFreeDoc(doc);
	if (rc)
		memset(out, 0, sizeof(*out));
	return rc;
}

/* ------------------------------------------------------------------ */
/* Adding the lease */

static bool is_blank_text(const xmlNode *n)
{
	return n && n->type == XML_TEXT_NODE && xmlIsBlankNode(n);
}

/* Drop every havm lease in DEVICES, with the indentation before it. */
static int drop_our_leases(xmlNodePtr devices)
{
	xmlNodePtr next;

	for (xmlNodePtr l = devices->children; l; l = next) {
		char *ls;
		bool ours;

		next = l->next;
		if (!is_el(l, "lease"))
			continue;
		ls = lease_lockspace(l);
		if (!ls)
			return -ENOMEM;
		ours = strcmp(ls, LEASE_LOCKSPACE) == 0;
		free(ls);
		if (!ours)
			continue;
		if (is_blank_text(l->prev)) {
			xmlNodePtr blank = l->prev;
			xmlUnlinkNode(blank);
			xmlFreeNode(blank);
		}
		xmlUnlinkNode(l);
		xmlFreeNode(l);
	}
	return 0;
}

static xmlNodePtr new_lease(const char *name, const char *lease_path, uint64_t offset)
{
	char off[24];
	xmlNodePtr lease = xmlNewNode(NULL, (const xmlChar *)"lease");
	xmlNodePtr target;

	if (!lease)
		return NULL;
	snprintf(off, sizeof(off), "%llu", (unsigned long long)offset);
	/* xmlNewTextChild escapes the text; xmlNewProp's value is escaped
	 * when the document is written. */
	if (!xmlNewTextChild(lease, NULL, (const xmlChar *)"lockspace",
			     (const xmlChar *)LEASE_LOCKSPACE) ||
	    !xmlNewTextChild(lease, NULL, (const xmlChar *)"key", (const xmlChar *)name) ||
	    !(target = xmlNewChild(lease, NULL, (const xmlChar *)"target", NULL)) ||
	    !xmlNewProp(target, (const xmlChar *)"path", (const xmlChar *)lease_path) ||
	    !xmlNewProp(target, (const xmlChar *)"offset", (const xmlChar *)off)) {
		xmlFreeNode(lease);
		return NULL;
	}
	return lease;
}

/*
 * Put NODE last in PARENT, on a line of its own indented like PARENT's
 * first child element (or one step deeper than PARENT's closing tag) when
 * the document is indented: the XML an operator reads back (virsh
 * dumpxml) stays tidy. A document without line breaks gets none.
 */
static int append_indented(xmlNodePtr parent, xmlNodePtr node)
{
	xmlNodePtr last = parent->last, text;
	xmlChar *indent = NULL;

	if (!is_blank_text(last))
		return xmlAddChild(parent, node) ? 0 : -ENOMEM;
	for (xmlNodePtr c = parent->children; c; c = c->next) {
		if (c->type == XML_ELEMENT_NODE) {
			if (is_blank_text(c->prev))
				indent = xmlNodeGetContent(c->prev);
			break;
		}
	}
	if (!indent)
		indent = xmlStrcat(xmlNodeGetContent(last), (const xmlChar *)"  ");
	if (!indent)
		return -ENOMEM;
	/* NODE first, then the text before it: xmlAddPrevSibling merges a
	 * text node into a neighbouring one, which here is an element. */
	text = xmlNewText(indent);
	xmlFree(indent);
	if (!text)
		return -ENOMEM;
	xmlAddPrevSibling(last, node);
	xmlAddPrevSibling(node, text);
	return 0;
}

/* The document as text, without an XML declaration, in a malloc'ed buffer
 * (the caller frees it with free(), not xmlFree()). */
static char *serialise(xmlDocPtr doc, size_t *out_len)
{
	xmlBufferPtr buf = xmlBufferCreate();
	xmlSaveCtxtPtr save;
	char *out = NULL;
	long rc;

	if (!buf)
		return NULL;
	save = xmlSaveToBuffer(buf, "UTF-8", XML_SAVE_NO_DECL);
	if (!save) {
		xmlBufferFree(buf);
		return NULL;
	}
	rc = xmlSaveDoc(save, doc);
	if (xmlSaveClose(save) >= 0 && rc >= 0) {
		size_t n = (size_t)xmlBufferLength(buf);
		out = malloc(n + 1);
		if (out) {
			memcpy(out, xmlBufferContent(buf), n);
			out[n] = '\0';
			*out_len = n;
		}
	}
	xmlBufferFree(buf);
	return out;
}

char *domain_xml_with_lease(const char *xml, size_t len, const char *name, const char *lease_path,
			    uint64_t offset, size_t *out_len, char *err, size_t errlen)
{
	char xml_name[64];
	xmlDocPtr doc;
	xmlNodePtr root, devices, lease;
	char *out = NULL;

	*out_len = 0;
	if (!name || !vm_name_ok(name)) {
		set_err(err, errlen, "not a valid VM name");
		return NULL;
	}
	if (!lease_path || lease_path[0] != '/' || strlen(lease_path) > LEASE_PATH_MAX) {
		set_err(err, errlen, "the lease path must be absolute, at most %d bytes",
			LEASE_PATH_MAX);
		return NULL;
	}
	if (parse_domain(xml, len, &doc, err, errlen))
		return NULL;
	root = xmlDocGetRootElement(doc);
	if (read_name(root, xml_name, sizeof(xml_name), err, errlen))
		goto out;
	/* The lease's key is the VM's name: a domain of another name holding
	 * it would let two VMs' leases cross. */
	if (strcmp(xml_name, name) != 0) {
		set_err(err, errlen, "the domain XML names \"%s\", not \"%s\"", xml_name, name);
		goto out;
	}
	devices = NULL;
	for (xmlNodePtr d = root->children; d; d = d->next) {
		if (!is_el(d, "devices"))
			continue;
		if (!devices)
			devices = d;
		if (drop_our_leases(d))
			goto oom;
	}
	if (!devices) {
		devices = xmlNewNode(NULL, (const xmlChar *)"devices");
		if (!devices)
			goto oom;
		if (append_indented(root, devices)) {
			xmlFreeNode(devices);
			goto oom;
		}
	}
	lease = new_lease(name, lease_path, offset);
	if (!lease)
		goto oom;
	if (append_indented(devices, lease)) {
		xmlFreeNode(lease);
		goto oom;
	}
	out = serialise(doc, out_len);
	if (!out)
		goto oom;
	goto out;
oom:
	set_err(err, errlen, "out of memory");
out:
	xmlFreeDoc(doc);
	return out;
}
