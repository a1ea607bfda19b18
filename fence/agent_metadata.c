/*
 * agent_metadata.c: fence_havm_ipmi's `--help` text and `-o metadata` XML,
 * both generated from the option table so they always match the parsers.
 *
 * The XML follows fence-agents' metadata.rng and the layout fencing.py
 * prints: a renamed option appears twice, the old name marked
 * deprecated="1" and the new one obsoletes="old", as pcs and crm expect.
 */
#include "agent_args.h"

#include <string.h>

static const char *const longdesc =
	"fence_havm_ipmi powers a host off and on through its BMC over IPMI 2.0 (RMCP+, "
	"lanplus), using FreeIPMI's library: no ipmitool process, no shell. It is havm's "
	"native IPMI fencing made available to Pacemaker. A fence is verified: after the power "
	"off, the agent reads the power state until it reads off, within power_timeout; only "
	"a verified off counts as success. The device controls one host, so give Pacemaker "
	"pcmk_host_list.";

/* Actions advertised to the cluster; list is accepted but, like fence_ipmilan's, not listed. */
static const char *const advertised[] = { "off",      "reboot",  "status",      "monitor",
					  "metadata", "manpage", "validate-all" };

static void xml_escaped(FILE *out, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&apos;", out); break;
		default: fputc(*s, out);
		}
	}
}

/* "-a, --ip=[ip]" or "--power-timeout=[seconds]" or "-v, --verbose". */
static void mixed(const struct agent_opt *o, char *buf, size_t size)
{
	char sh[8] = "";

	if (o->shortopt)
		snprintf(sh, sizeof(sh), "-%c, ", o->shortopt);
	if (o->arg)
		snprintf(buf, size, "%s--%s=[%s]", sh, o->longopt, o->arg);
	else
		snprintf(buf, size, "%s--%s", sh, o->longopt);
}

static void print_parameter(FILE *out, const struct agent_opt *o, const char *name,
			    const char *extra, bool required)
{
	char m[96];

	mixed(o, m, sizeof(m));
	fprintf(out, "\t<parameter name=\"%s\" unique=\"0\" required=\"%d\"%s>\n", name,
		required ? 1 : 0, extra);
	fputs("\t\t<getopt mixed=\"", out);
	xml_escaped(out, m);
	fputs("\" />\n", out);
	fprintf(out, "\t\t<content type=\"%s\"", o->type);
	if (o->def) {
		fputs(" default=\"", out);
		xml_escaped(out, o->def);
		fputc('"', out);
	}
	if (o->choices) {
		fputs(" >\n", out);
		for (int i = 0; o->choices[i]; i++)
			fprintf(out, "\t\t\t<option value=\"%s\" />\n", o->choices[i]);
		fputs("\t\t</content>\n", out);
	} else {
		fputs(" />\n", out);
	}
	fputs("\t\t<shortdesc lang=\"en\">", out);
	xml_escaped(out, o->shortdesc);
	fputs("</shortdesc>\n\t</parameter>\n", out);
}

void agent_print_metadata(FILE *out)
{
	fputs("<?xml version=\"1.0\" ?>\n", out);
	fprintf(out,
		"<resource-agent name=\"%s\" shortdesc=\"Fence agent for IPMI 2.0 BMCs "
		"(havm, FreeIPMI)\" >\n",
		AGENT_NAME);
	fputs("<longdesc>", out);
	xml_escaped(out, longdesc);
	fputs("</longdesc>\n<vendor-url></vendor-url>\n<parameters>\n", out);
	for (size_t i = 0; i < OPT_COUNT; i++) {
		const struct agent_opt *o = &agent_opts[i];
		char extra[96] = "";

		if (o->deprecated)
			snprintf(extra, sizeof(extra), " obsoletes=\"%s\"", o->deprecated);
		print_parameter(out, o, o->name, extra, o->required);
		if (o->deprecated)
			print_parameter(out, o, o->deprecated, " deprecated=\"1\"", false);
	}
	fputs("</parameters>\n<actions>\n", out);
	/* automatic="0": Pacemaker must not power a host on (unfence) by itself. */
	fputs("\t<action name=\"on\" automatic=\"0\"/>\n", out);
	for (size_t i = 0; i < sizeof(advertised) / sizeof(advertised[0]); i++)
		fprintf(out, "\t<action name=\"%s\" />\n", advertised[i]);
	fputs("</actions>\n</resource-agent>\n", out);
}

void agent_print_usage(FILE *out)
{
	fprintf(out, "Usage:\n\t%s [options]\n\t%s < name=value lines on stdin\nOptions:\n",
		AGENT_NAME, AGENT_NAME);
	for (size_t i = 0; i < OPT_COUNT; i++) {
		const struct agent_opt *o = &agent_opts[i];
		char m[96];

		mixed(o, m, sizeof(m));
		/* fencing.py's layout: descriptions in column 35, or after one space. */
		fprintf(out, "   %-31s%s%s", m, strlen(m) >= 31 ? " " : "", o->shortdesc);
		if (o->id == OPT_ACTION)
			fputs(": on, off, reboot, status, monitor, list, metadata, manpage, "
			      "validate-all",
			      out);
		if (o->def && strcmp(o->type, "boolean"))
			fprintf(out, " (default %s)", o->def);
		fputc('\n', out);
	}
	fputs("\nWithout arguments, options are read from stdin, one name=value a line,\n"
	      "named as in the metadata (ip=, username=, password_file= ...).\n"
	      "Exit status: 0 success; status: 0 on, 2 off; 1 any failure.\n",
	      out);
}
