/*
 * test_domain_xml.c: reading and checking a domain XML, and adding havm's
 * lease to it (lib/domain_xml.c), case by case. The lease tests read the
 * output back with libxml2 directly, so that they check the document and
 * not only its text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the headers above first. */
#include <cmocka.h>

#include <errno.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain_xml.h"

static const char *const shared[] = { "/srv/shared", "/dev/disk/by-id/" };
static char err[512];
static struct domain_info info;

static int rd(const char *xml)
{
	err[0] = '\0';
	return domain_xml_read(xml, strlen(xml), shared, 2, &info, err, sizeof(err));
}

/* A domain with NAME, MEMORY (the whole <memory> element) and DEVICES. */
static char *dom(const char *name, const char *memory, const char *devices)
{
	static char buf[8192];

	snprintf(buf, sizeof(buf),
		 "<domain type='kvm'>\n"
		 "  <name>%s</name>\n"
		 "  %s\n"
		 "  <os><type>hvm</type></os>\n"
		 "  <devices>\n"
		 "%s"
		 "  </devices>\n"
		 "</domain>\n",
		 name, memory, devices);
	return buf;
}

static char *with_disk(const char *disk)
{
	return dom("web1", "<memory unit='MiB'>32</memory>", disk);
}

static void assert_refused(const char *xml, const char *why)
{
	int rc = rd(xml);

	if (rc != -EINVAL || !strstr(err, why))
		fail_msg("rc=%d err=\"%s\", wanted -EINVAL with \"%s\"", rc, err, why);
	assert_string_equal(info.name, ""); /* nothing half-filled */
}

static void good_domain(void **state)
{
	const char *xml = "<?xml version='1.0' encoding='UTF-8'?>\n"
			  "<!-- a comment -->\n"
			  "<domain type='kvm'>\n"
			  "  <name>web1</name>\n"
			  "  <uuid>4dea22b3-1d52-d8f3-2516-782e98ab3fa0</uuid>\n"
			  "  <memory unit='KiB'>524288</memory>\n"
			  "  <currentMemory unit='KiB'>262144</currentMemory>\n"
			  "  <vcpu placement='static'>2</vcpu>\n"
			  "  <os><type arch='x86_64'>hvm</type></os>\n"
			  "  <devices>\n"
			  "    <disk type='file' device='disk'>\n"
			  "      <driver name='qemu' type='qcow2'/>\n"
			  "      <source file='/srv/shared/web1.qcow2'/>\n"
			  "      <target dev='vda' bus='virtio'/>\n"
			  "    </disk>\n"
			  "    <disk type='block' device='lun'>\n"
			  "      <source dev='/dev/disk/by-id/wwn-0x5000'/>\n"
			  "      <target dev='sda' bus='scsi'/>\n"
			  "    </disk>\n"
			  "    <disk type='file' device='cdrom'>\n"
			  "      <target dev='hdc' bus='ide'/>\n"
			  "    </disk>\n"
			  "    <interface type='network'><source network='default'/></interface>\n"
			  "  </devices>\n"
			  "</domain>\n";
	(void)state;
	assert_int_equal(rd(xml), 0);
	assert_string_equal(info.name, "web1");
	assert_string_equal(info.uuid, "4dea22b3-1d52-d8f3-2516-782e98ab3fa0");
	assert_int_equal(info.memory_mib, 512);
	assert_int_equal(info.vcpus, 2);
	assert_false(info.has_lease);
}

static void defaults(void **state)
{
	(void)state;
	/* No unit: KiB. No <vcpu>: 1. No <uuid>: "". No <devices>. */
	assert_int_equal(rd("<domain><name>a</name><memory>1024</memory></domain>"), 0);
	assert_string_equal(info.name, "a");
	assert_string_equal(info.uuid, "");
	assert_int_equal(info.memory_mib, 1);
	assert_int_equal(info.vcpus, 1);
	assert_false(info.has_lease);
}

struct unit_case {
	const char *unit; /* NULL: no attribute */
	const char *value;
	uint64_t mib;
};

static void memory_units(void **state)
{
	static const struct unit_case cases[] = {
		{ NULL, "2097152", 2048 },
		{ "", "2048", 2 }, /* empty: the default, KiB */
		{ "b", "1048576", 1 },
		{ "bytes", "1048577", 2 }, /* rounded up */
		{ "byte", "1", 1 },
		{ "KB", "1000", 1 },
		{ "k", "1024", 1 },
		{ "KiB", "1025", 2 },
		{ "kib", "2048", 2 }, /* case as libvirt ignores it */
		{ "MB", "1", 1 },     /* 10^6 bytes: less than a MiB, rounded up */
		{ "MB", "1000", 954 },
		{ "M", "32", 32 },
		{ "MiB", "32", 32 },
		{ "GB", "1", 954 },
		{ "G", "1", 1024 },
		{ "GiB", "4", 4096 },
		{ "TB", "1", 953675 },
		{ "T", "1", 1048576 },
		{ "TiB", "2", 2097152 },
		{ "PiB", "1", UINT64_C(1) << 30 },
		{ "EiB", "15", UINT64_C(15) << 40 },
		/* The largest byte count: 2^64 - 1 bytes is 2^44 MiB rounded up. */
		{ "b", "18446744073709551615", UINT64_C(1) << 44 },
		{ "KiB", " 1024 ", 1 }, /* blanks around the number */
		{ "KiB", "0001024", 1 },
	};
	char mem[128];
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (cases[i].unit)
			snprintf(mem, sizeof(mem), "<memory unit='%s'>%s</memory>", cases[i].unit,
				 cases[i].value);
		else
			snprintf(mem, sizeof(mem), "<memory>%s</memory>", cases[i].value);
		if (rd(dom("web1", mem, "")) != 0 || info.memory_mib != cases[i].mib)
			fail_msg("%s: err=\"%s\" mib=%llu, wanted %llu", mem, err,
				 (unsigned long long)info.memory_mib,
				 (unsigned long long)cases[i].mib);
	}
}

static void memory_refused(void **state)
{
	static const struct {
		const char *mem, *why;
	} cases[] = {
		{ "", "no <memory>" },
		{ "<memory>0</memory>", "is 0" },
		{ "<memory unit='GiB'>0</memory>", "is 0" },
		{ "<memory></memory>", "not a number" },
		{ "<memory>-1</memory>", "not a number" },
		{ "<memory>+1</memory>", "not a number" },
		{ "<memory>1.5</memory>", "not a number" },
		{ "<memory>0x10</memory>", "not a number" },
		{ "<memory>1 024</memory>", "not a number" },
		{ "<memory>12abc</memory>", "not a number" },
		{ "<memory unit='KiBs'>1</memory>", "unknown unit" },
		{ "<memory unit='x'>1</memory>", "unknown unit" },
		{ "<memory unit='iB'>1</memory>", "unknown unit" },
		{ "<memory unit='kibb'>1</memory>", "unknown unit" },
		{ "<memory unit='Kb '>1</memory>", "unknown unit" },
		{ "<memory unit='Z'>1</memory>", "unknown unit" },
		/* Overflow: of the number itself, and of number times unit. */
		{ "<memory unit='b'>18446744073709551616</memory>", "not a number" },
		{ "<memory>99999999999999999999999</memory>", "not a number" },
		{ "<memory>18014398509481984</memory>", "too large" }, /* 2^54 KiB */
		{ "<memory unit='T'>16777216</memory>", "too large" }, /* 2^24 TiB */
		{ "<memory unit='EiB'>16</memory>", "too large" },
		{ "<memory unit='EB'>19</memory>", "too large" },
		{ "<memory>1</memory><memory>2</memory>", "2 <memory>" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_refused(dom("web1", cases[i].mem, ""), cases[i].why);
}

static void vcpus(void **state)
{
	(void)state;
	assert_int_equal(rd("<domain><name>a</name><memory>1024</memory>"
			    "<vcpu current='2'>4</vcpu></domain>"),
			 0);
	assert_int_equal(info.vcpus, 4);
	assert_int_equal(rd("<domain><name>a</name><memory>1024</memory>"
			    "<vcpu>65535</vcpu></domain>"),
			 0);
	assert_int_equal(info.vcpus, 65535);
	assert_refused("<domain><name>a</name><memory>1024</memory><vcpu>0</vcpu></domain>",
		       "<vcpu>");
	assert_refused("<domain><name>a</name><memory>1024</memory><vcpu>65536</vcpu></domain>",
		       "<vcpu>");
	assert_refused("<domain><name>a</name><memory>1024</memory><vcpu>two</vcpu></domain>",
		       "<vcpu>");
	assert_refused("<domain><name>a</name><memory>1024</memory><vcpu>-1</vcpu></domain>",
		       "<vcpu>");
	assert_refused("<domain><name>a</name><memory>1024</memory><vcpu>1</vcpu>"
		       "<vcpu>2</vcpu></domain>",
		       "2 <vcpu>");
}

static void names(void **state)
{
	static const char *const good[] = {
		"a",
		"A",
		"0",
		"web1",
		"web-1.example_2",
		"0abc",
		/* 63 characters, the longest */
		"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijk",
	};
	static const char *const bad[] = {
		"",
		"-web",
		".web",
		"_web",
		"web 1",
		" web1",
		"web1 ",
		"web/1",
		"web:1",
		"we\tb",
		"w\xc3\xa9"
		"b",
		"web&amp;1",
		"web&lt;1",
		/* 64 characters */
		"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijkl",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (rd(dom(good[i], "<memory>1024</memory>", "")) != 0)
			fail_msg("name \"%s\" refused: %s", good[i], err);
		assert_string_equal(info.name, good[i]);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_refused(dom(bad[i], "<memory>1024</memory>", ""), "not a valid VM name");
	assert_refused("<domain><memory>1024</memory></domain>", "no <name>");
	assert_refused("<domain><name>a</name><name>b</name><memory>1024</memory></domain>",
		       "2 <name>");
	/* A name in another namespace is not libvirt's <name>. */
	assert_refused("<domain xmlns:x='urn:x'><x:name>a</x:name><memory>1024</memory></domain>",
		       "no <name>");
}

static void uuids(void **state)
{
	(void)state;
	assert_int_equal(rd("<domain><name>a</name><uuid>4dea22b31d52d8f32516782e98ab3fa0</uuid>"
			    "<memory>1024</memory></domain>"),
			 0);
	assert_string_equal(info.uuid, "4dea22b31d52d8f32516782e98ab3fa0");
	assert_refused("<domain><name>a</name><uuid>4dea22b3</uuid><memory>1</memory></domain>",
		       "<uuid>");
	assert_refused("<domain><name>a</name><uuid>-4dea22b31d52d8f32516782e98ab3fa0</uuid>"
		       "<memory>1</memory></domain>",
		       "<uuid>");
	assert_refused("<domain><name>a</name><uuid>4dea22b3-1d52-d8f3-2516-782e98ab3fzz</uuid>"
		       "<memory>1</memory></domain>",
		       "<uuid>");
	assert_refused("<domain><name>a</name><uuid>4-d-e-a-2-2-b31d52d8f32516782e98ab3fa0</uuid>"
		       "<memory>1</memory></domain>",
		       "<uuid>");
}

static void disks_under_shared(void **state)
{
	static const char *const good[] = {
		"<disk type='file' device='disk'><source file='/srv/shared/a.img'/></disk>",
		"<disk device='disk'><source file='/srv/shared/a.img'/></disk>", /* default file */
		"<disk type='file'><source file='/srv/shared//sub/a.img'/></disk>",
		"<disk type='file'><source file='/srv/shared/..hidden'/></disk>",
		"<disk type='file'><source file='/srv/shared/a..b/c.'/></disk>",
		"<disk type='block' device='disk'><source dev='/dev/disk/by-id/x'/></disk>",
		"<disk type='file' device='cdrom'><source file='/srv/shared/i.iso'/></disk>",
		"<disk type='file' device='cdrom'><target dev='hdc'/></disk>", /* empty */
		"<disk type='file' device='floppy'><source file='/srv/shared/f.img'/></disk>",
		"<disk type='file'><source file='/srv/shared/top.qcow2'/>"
		"<backingStore type='file'><source file='/srv/shared/base.qcow2'/>"
		"<backingStore/></backingStore></disk>",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (rd(with_disk(good[i])) != 0)
			fail_msg("refused %s: %s", good[i], err);
}

static void disks_outside_shared(void **state)
{
	static const char *const bad[] = {
		"<disk type='file'><source file='/var/lib/libvirt/images/a.img'/></disk>",
		"<disk device='disk'><source file='/srv/a.img'/></disk>",
		/* The prefix only at a component boundary. */
		"<disk type='file'><source file='/srv/sharedX/a.img'/></disk>",
		"<disk type='file'><source file='/srv/shared'/></disk>",
		"<disk type='file'><source file='/srv/shared/'/></disk>",
		"<disk type='file'><source file='/srv/shared//'/></disk>",
		/* Tricks that start with the directory and leave it. */
		"<disk type='file'><source file='/srv/shared/../../etc/shadow'/></disk>",
		"<disk type='file'><source file='/srv/shared/sub/../../x'/></disk>",
		"<disk type='file'><source file='/srv/shared/./a.img'/></disk>",
		"<disk type='file'><source file='/srv/shared/a/..'/></disk>",
		"<disk type='file'><source file='/srv/shared/a/.'/></disk>",
		"<disk type='file'><source file='/srv/shared//../a'/></disk>",
		"<disk type='file'><source file='/srv//shared/a.img'/></disk>",
		"<disk type='file'><source file='srv/shared/a.img'/></disk>",
		"<disk type='file'><source file='a.img'/></disk>",
		"<disk type='file'><source file=''/></disk>",
		"<disk type='block'><source dev='/dev/sda'/></disk>",
		"<disk type='block'><source dev='/dev/disk/by-id'/></disk>",
		/* A second source, or a backing store, outside. */
		"<disk type='file'><source file='/srv/shared/a.img'/>"
		"<source file='/tmp/b.img'/></disk>",
		"<disk type='file'><source file='/srv/shared/top.qcow2'/>"
		"<backingStore type='file'><source file='/tmp/base.qcow2'/></backingStore></disk>",
		"<disk type='file'><source file='/srv/shared/top.qcow2'/>"
		"<backingStore type='file'><source file='/srv/shared/mid.qcow2'/>"
		"<backingStore type='block'><source dev='/dev/sdb'/></backingStore>"
		"</backingStore></disk>",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_refused(with_disk(bad[i]), "not under a shared directory");
}

static void other_disk_types_refused(void **state)
{
	(void)state;
	assert_refused(with_disk("<disk type='network' device='disk'>"
				 "<source protocol='rbd' name='pool/img'/></disk>"),
		       "disk type 'network' is not supported");
	assert_refused(with_disk("<disk type='volume'><source pool='p' volume='v'/></disk>"),
		       "disk type 'volume' is not supported");
	assert_refused(with_disk("<disk type='dir'><source dir='/srv/shared/d'/></disk>"),
		       "disk type 'dir' is not supported");
	assert_refused(with_disk("<disk type='file'><source file='/srv/shared/a'/>"
				 "<backingStore type='network'><source protocol='nbd'/>"
				 "</backingStore></disk>"),
		       "backing store type 'network' is not supported");
}

static void shared_dir_forms(void **state)
{
	const char *xml = with_disk("<disk type='file'><source file='/srv/shared/a.img'/></disk>");
	const char *const trailing[] = { "/srv/shared/" };
	const char *const doubled[] = { "//srv//shared//" };
	const char *const root[] = { "/" };
	const char *const relative[] = { "srv/shared" };
	const char *const longer[] = { "/srv/shared/a" };
	const char *const two[] = { "/nowhere", "/srv/shared" };
	(void)state;
	assert_int_equal(domain_xml_read(xml, strlen(xml), trailing, 1, &info, err, sizeof(err)),
			 0);
	assert_int_equal(domain_xml_read(xml, strlen(xml), doubled, 1, &info, err, sizeof(err)), 0);
	assert_int_equal(domain_xml_read(xml, strlen(xml), root, 1, &info, err, sizeof(err)), 0);
	assert_int_equal(domain_xml_read(xml, strlen(xml), two, 2, &info, err, sizeof(err)), 0);
	assert_int_equal(domain_xml_read(xml, strlen(xml), relative, 1, &info, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(domain_xml_read(xml, strlen(xml), longer, 1, &info, err, sizeof(err)),
			 -EINVAL);
	/* No shared directory: no disk is acceptable, a diskless VM is. */
	assert_int_equal(domain_xml_read(xml, strlen(xml), NULL, 0, &info, err, sizeof(err)),
			 -EINVAL);
	xml = dom("web1", "<memory>1024</memory>", "");
	assert_int_equal(domain_xml_read(xml, strlen(xml), NULL, 0, &info, err, sizeof(err)), 0);
}

static void every_devices_element_checked(void **state)
{
	(void)state;
	/* libvirt reads ./devices/disk across all of them. */
	assert_refused("<domain><name>a</name><memory>1024</memory><devices/>"
		       "<devices><disk type='file'><source file='/tmp/x'/></disk></devices>"
		       "</domain>",
		       "not under a shared directory");
}

static void leases(void **state)
{
	(void)state;
	assert_int_equal(
		rd(with_disk("<lease><lockspace>havm</lockspace><key>web1</key>"
			     "<target path='/srv/shared/havm' offset='1048576'/></lease>")),
		0);
	assert_true(info.has_lease);
	assert_refused(with_disk("<lease><lockspace>other</lockspace><key>web1</key>"
				 "<target path='/srv/shared/x' offset='0'/></lease>"),
		       "lockspace \"other\"");
	assert_refused(with_disk("<lease><lockspace>havm</lockspace><key>web1</key>"
				 "<target path='/a' offset='0'/></lease>"
				 "<lease><lockspace>HAVM</lockspace><key>web1</key>"
				 "<target path='/a' offset='0'/></lease>"),
		       "lockspace \"HAVM\"");
	assert_refused(with_disk("<lease><key>web1</key><target path='/a'/></lease>"),
		       "lockspace \"\"");
}

static void doctype_refused(void **state)
{
	static const char *const cases[] = {
		"<!DOCTYPE domain>\n<domain><name>a</name><memory>1024</memory></domain>",
		/* Billion laughs: refused before any entity is declared. */
		"<!DOCTYPE domain [\n"
		" <!ENTITY a \"aaaaaaaaaa\">\n"
		" <!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">\n"
		" <!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">\n"
		" <!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">\n"
		"]>\n"
		"<domain><name>a</name><memory>1024</memory><description>&d;</description>"
		"</domain>",
		/* An external entity: a file's content in the name. */
		"<!DOCTYPE domain [<!ENTITY x SYSTEM \"file:///etc/hostname\">]>\n"
		"<domain><name>&x;</name><memory>1024</memory></domain>",
		"<!DOCTYPE domain SYSTEM \"http://192.0.2.1/domain.dtd\">\n"
		"<domain><name>a</name><memory>1024</memory></domain>",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_refused(cases[i], "DOCTYPE");
}

static void malformed_refused(void **state)
{
	static const struct {
		const char *xml, *why;
	} cases[] = {
		{ "", "empty" },
		{ "<domain><name>a</name><memory>1024</memory>", "not well-formed" },
		{ "<domain><name>a</name></memory></domain>", "not well-formed" },
		{ "just text", "not well-formed" },
		{ "<domain><name>&undefined;</name><memory>1</memory></domain>",
		  "not well-formed" },
		{ "<domain><name>a</name></domain><domain/>", "not well-formed" },
		{ "<domain a='1' a='2'><name>a</name></domain>", "not well-formed" },
		{ "<foo><name>a</name><memory>1024</memory></foo>", "not <domain>" },
		{ "<d:domain xmlns:d='urn:x'><name>a</name><memory>1024</memory></d:domain>",
		  "not <domain>" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_refused(cases[i].xml, cases[i].why);
	/* libxml2's message names the tags, escaped like any untrusted text. */
	assert_int_equal(rd("<domain><n\xc3\xa9></x></domain>"), -EINVAL);
	assert_non_null(strstr(err, "line 1: "));
	assert_non_null(strstr(err, "n\\xc3\\xa9"));
	/* A NUL inside the given length. */
	const char nul[] = "<domain><name>a\0b</name><memory>1024</memory></domain>";
	assert_int_equal(domain_xml_read(nul, sizeof(nul) - 1, shared, 2, &info, err, sizeof(err)),
			 -EINVAL);
	/* LEN is what counts, not a NUL: a good document cut short. */
	const char *good = "<domain><name>a</name><memory>1024</memory></domain>";
	assert_int_equal(
		domain_xml_read(good, strlen(good) - 1, shared, 2, &info, err, sizeof(err)),
		-EINVAL);
	assert_int_equal(domain_xml_read(good, strlen(good), shared, 2, &info, err, sizeof(err)),
			 0);
}

static void too_big_refused(void **state)
{
	size_t n = DOMAIN_XML_MAX + 1;
	char *big = malloc(n + 1);
	const char *head = "<domain><name>a</name><memory>1024</memory><description>";
	const char *tail = "</description></domain>";
	(void)state;

	assert_non_null(big);
	memset(big, 'x', n);
	memcpy(big, head, strlen(head));
	memcpy(big + n - strlen(tail), tail, strlen(tail));
	big[n] = '\0';
	assert_int_equal(domain_xml_read(big, n, shared, 2, &info, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "more than"));
	/* One byte less is read. */
	memmove(big + strlen(head) + 1, big + strlen(head) + 2, n - strlen(head) - 2);
	assert_int_equal(domain_xml_read(big, n - 1, shared, 2, &info, err, sizeof(err)), 0);
	free(big);
}

static void error_buffer_bounds(void **state)
{
	char small[8];
	const char *xml = dom("bad name", "<memory>1</memory>", "");
	(void)state;

	memset(small, 'z', sizeof(small));
	assert_int_equal(domain_xml_read(xml, strlen(xml), shared, 2, &info, small, sizeof(small)),
			 -EINVAL);
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_int_equal(domain_xml_read(xml, strlen(xml), shared, 2, &info, NULL, 0), -EINVAL);
	/* Untrusted text comes back escaped: no control byte in a message. */
	xml = with_disk("<disk type='file'><source file='/tmp/a&#10;b&#9;c'/></disk>");
	assert_int_equal(rd(xml), -EINVAL);
	for (const char *s = err; *s; s++)
		assert_true(*s >= 0x20 && *s < 0x7f);
	assert_non_null(strstr(err, "a\\x0ab\\x09c"));
}

/* ------------------------------------------------------------------ */
/* domain_xml_with_lease */

static char *lease(const char *xml, const char *name, const char *path, uint64_t off, size_t *len)
{
	err[0] = '\0';
	return domain_xml_with_lease(xml, strlen(xml), name, path, off, len, err, sizeof(err));
}

/* Evaluate the XPath EXPR (a string or number) on the document OUT. */
static char *xpath_string(const char *out, const char *expr)
{
	xmlDocPtr doc = xmlReadMemory(out, (int)strlen(out), NULL, NULL, XML_PARSE_NONET);
	xmlXPathContextPtr ctx;
	xmlXPathObjectPtr r;
	char *s;

	assert_non_null(doc);
	ctx = xmlXPathNewContext(doc);
	assert_non_null(ctx);
	r = xmlXPathEvalExpression((const xmlChar *)expr, ctx);
	assert_non_null(r);
	s = (char *)xmlXPathCastToString(r);
	xmlXPathFreeObject(r);
	xmlXPathFreeContext(ctx);
	xmlFreeDoc(doc);
	return s;
}

static void assert_xpath(const char *out, const char *expr, const char *want)
{
	char *got = xpath_string(out, expr);

	if (strcmp(got, want) != 0)
		fail_msg("%s = \"%s\", wanted \"%s\" in:\n%s", expr, got, want, out);
	xmlFree(got);
}

/* OUT has exactly one lease, havm's, with these values, and reads back. */
static void assert_one_lease(const char *out, size_t len, const char *name, const char *path,
			     const char *offset)
{
	assert_int_equal(strlen(out), len);
	assert_xpath(out, "count(//lease)", "1");
	assert_xpath(out, "count(/domain/devices/lease)", "1");
	assert_xpath(out, "/domain/devices/lease/lockspace", "havm");
	assert_xpath(out, "/domain/devices/lease/key", name);
	assert_xpath(out, "/domain/devices/lease/target/@path", path);
	assert_xpath(out, "/domain/devices/lease/target/@offset", offset);
	assert_int_equal(rd(out), 0);
	assert_true(info.has_lease);
	assert_string_equal(info.name, name);
}

static void lease_added(void **state)
{
	size_t len;
	char *out;
	(void)state;

	out = lease(with_disk("    <disk type='file'><source file='/srv/shared/a'/></disk>\n"),
		    "web1", "/srv/shared/havm.leases", 3145728, &len);
	assert_non_null(out);
	assert_one_lease(out, len, "web1", "/srv/shared/havm.leases", "3145728");
	/* The rest is kept, and no XML declaration is added. */
	assert_xpath(out, "/domain/devices/disk/source/@file", "/srv/shared/a");
	assert_xpath(out, "/domain/memory", "32");
	assert_null(strstr(out, "<?xml"));
	/* Indented like its neighbour, on its own line. */
	assert_non_null(strstr(out, "</disk>\n    <lease>"));
	assert_non_null(strstr(out, "</lease>\n  </devices>"));
	free(out);
}

static void lease_replaced(void **state)
{
	size_t len;
	char *out;
	(void)state;

	out = lease(with_disk("    <lease><lockspace>havm</lockspace><key>old</key>"
			      "<target path='/old' offset='1'/></lease>\n"
			      "    <disk type='file'><source file='/srv/shared/a'/></disk>\n"
			      "    <lease>\n      <lockspace> havm </lockspace>\n"
			      "      <key>web1</key>\n"
			      "      <target path='/srv/shared/havm.leases' offset='2'/>\n"
			      "    </lease>\n"),
		    "web1", "/srv/shared/havm.leases", 1048576, &len);
	assert_non_null(out);
	assert_one_lease(out, len, "web1", "/srv/shared/havm.leases", "1048576");
	assert_null(strstr(out, "/old"));
	assert_null(strstr(out, "\n\n")); /* the dropped leases' lines went with them */
	free(out);
	/* Twice in a row gives the same document. */
	out = lease(with_disk(""), "web1", "/l", 7, &len);
	assert_non_null(out);
	char *again = lease(out, "web1", "/l", 7, &len);
	assert_non_null(again);
	assert_string_equal(out, again);
	free(again);
	free(out);
}

static void foreign_lease_kept(void **state)
{
	size_t len;
	char *out;
	(void)state;

	/* Not dropped (domain_xml_read refuses such XML before a start). */
	out = lease(with_disk("<lease><lockspace>other</lockspace><key>k</key>"
			      "<target path='/x' offset='0'/></lease>"),
		    "web1", "/l", 0, &len);
	assert_non_null(out);
	assert_xpath(out, "count(/domain/devices/lease)", "2");
	assert_xpath(out, "count(/domain/devices/lease[lockspace='havm'])", "1");
	free(out);
}

static void lease_devices_created(void **state)
{
	size_t len;
	char *out;
	(void)state;

	out = lease("<domain><name>web1</name><memory>1024</memory></domain>", "web1", "/l",
		    UINT64_MAX, &len);
	assert_non_null(out);
	assert_one_lease(out, len, "web1", "/l", "18446744073709551615");
	free(out);
	/* Two <devices>: the havm leases of both dropped, the new one in the
	 * first. */
	out = lease("<domain><name>web1</name><memory>1024</memory><devices/><devices>"
		    "<lease><lockspace>havm</lockspace><key>web1</key>"
		    "<target path='/o' offset='0'/></lease></devices></domain>",
		    "web1", "/l", 5, &len);
	assert_non_null(out);
	assert_xpath(out, "count(//lease)", "1");
	assert_xpath(out, "count(/domain/devices[1]/lease)", "1");
	free(out);
}

static void lease_path_escaped(void **state)
{
	size_t len;
	char *out;
	(void)state;

	out = lease(with_disk(""), "web1", "/srv/a'b\"c&d<e>", 0, &len);
	assert_non_null(out);
	assert_one_lease(out, len, "web1", "/srv/a'b\"c&d<e>", "0");
	free(out);
}

static void lease_refused(void **state)
{
	size_t len = 99;
	(void)state;

	assert_null(lease(with_disk(""), "web2", "/l", 0, &len));
	assert_non_null(strstr(err, "names \"web1\", not \"web2\""));
	assert_int_equal(len, 0);
	assert_null(lease(with_disk(""), "bad name", "/l", 0, &len));
	assert_non_null(strstr(err, "not a valid VM name"));
	assert_null(lease(with_disk(""), "web1", "relative/l", 0, &len));
	assert_non_null(strstr(err, "absolute"));
	assert_null(lease(with_disk(""), "web1", "", 0, &len));
	assert_null(lease("<!DOCTYPE domain><domain><name>web1</name></domain>", "web1", "/l", 0,
			  &len));
	assert_non_null(strstr(err, "DOCTYPE"));
	assert_null(lease("<domain><name>web1</name>", "web1", "/l", 0, &len));
	assert_non_null(strstr(err, "not well-formed"));
	assert_null(lease("<foo><name>web1</name></foo>", "web1", "/l", 0, &len));
	assert_null(lease("<domain><memory>1</memory></domain>", "web1", "/l", 0, &len));
	assert_non_null(strstr(err, "no <name>"));
	char path[1100];
	memset(path, 'a', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	assert_null(lease(with_disk(""), "web1", path, 0, &len));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(good_domain),
		cmocka_unit_test(defaults),
		cmocka_unit_test(memory_units),
		cmocka_unit_test(memory_refused),
		cmocka_unit_test(vcpus),
		cmocka_unit_test(names),
		cmocka_unit_test(uuids),
		cmocka_unit_test(disks_under_shared),
		cmocka_unit_test(disks_outside_shared),
		cmocka_unit_test(other_disk_types_refused),
		cmocka_unit_test(shared_dir_forms),
		cmocka_unit_test(every_devices_element_checked),
		cmocka_unit_test(leases),
		cmocka_unit_test(doctype_refused),
		cmocka_unit_test(malformed_refused),
		cmocka_unit_test(too_big_refused),
		cmocka_unit_test(error_buffer_bounds),
		cmocka_unit_test(lease_added),
		cmocka_unit_test(lease_replaced),
		cmocka_unit_test(foreign_lease_kept),
		cmocka_unit_test(lease_devices_created),
		cmocka_unit_test(lease_path_escaped),
		cmocka_unit_test(lease_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
