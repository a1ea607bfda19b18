/*
 * vm_metadata.c: the agent's meta-data, OCF resource agent API 1.1. Kept
 * to what resource-agents' ra-api-1.dtd accepts (tests/agents validate it
 * with xmllint), so that every version of crm and pcs reads it.
 *
 * Keep in step with vm_params.c (names, defaults, ranges), vm.c (actions)
 * and man/ocf_havm_vm.7.
 */
#include "vm_agent.h"

#include "havm-build.h"

static const char metadata_head[] =
	"<?xml version=\"1.0\"?>\n"
	"<!DOCTYPE resource-agent SYSTEM \"ra-api-1.dtd\">\n"
	"<resource-agent name=\"vm\" version=\"" PACKAGE_VERSION "\">\n"
	"<version>1.1</version>\n"
	"<longdesc lang=\"en\">\n"
	"Runs a KVM virtual machine through libvirt as a transient domain created from a\n"
	"domain XML file, the way havmd does. With lease_path, the domain gets havm's sanlock\n"
	"lease (lockspace havm, the VM slot lease_slot of havm's storage area), and a start\n"
	"succeeds only once sanlock says that the VM's qemu holds it: the VM then runs on at\n"
	"most one host even if the cluster's view of the hosts is wrong. The hosts must run\n"
	"sanlock, libvirt with lock_manager = \"sanlock\", and be joined to the lockspace havm.\n"
	"</longdesc>\n"
	"<shortdesc lang=\"en\">KVM virtual machine with an optional sanlock lease "
	"(havm)</shortdesc>\n";

static const char metadata_params[] =
	"<parameters>\n"
	"<parameter name=\"config\" unique=\"1\" required=\"1\">\n"
	"<longdesc lang=\"en\">Absolute path of the domain XML, on storage every host sees.\n"
	"Its name is the domain's; disks must be files or block devices.</longdesc>\n"
	"<shortdesc lang=\"en\">Domain XML file</shortdesc>\n"
	"<content type=\"string\"/>\n"
	"</parameter>\n"
	"<parameter name=\"hypervisor\">\n"
	"<longdesc lang=\"en\">libvirt URI of the local hypervisor. With lease_path it must be\n"
	"qemu:///system.</longdesc>\n"
	"<shortdesc lang=\"en\">Hypervisor URI</shortdesc>\n"
	"<content type=\"string\" default=\"" VM_DEFAULT_HYPERVISOR "\"/>\n"
	"</parameter>\n"
	"<parameter name=\"lease_path\">\n"
	"<longdesc lang=\"en\">havm's storage area (the file or block device `havm storage\n"
	"init` wrote). Without it no lease is added and nothing keeps the VM from running\n"
	"twice but the cluster itself.</longdesc>\n"
	"<shortdesc lang=\"en\">sanlock lease area</shortdesc>\n"
	"<content type=\"string\"/>\n"
	"</parameter>\n"
	"<parameter name=\"lease_slot\" unique=\"1\">\n"
	"<longdesc lang=\"en\">The VM's slot in the lease area, 0 to 1023 (offset (2 + slot)\n"
	"MiB). Required with lease_path; each VM needs its own.</longdesc>\n"
	"<shortdesc lang=\"en\">Lease slot</shortdesc>\n"
	"<content type=\"integer\"/>\n"
	"</parameter>\n"
	"<parameter name=\"migration_transport\">\n"
	"<longdesc lang=\"en\">How this host's libvirtd reaches the target's for a live\n"
	"migration: ssh, tls or tcp (qemu+TRANSPORT://TARGET/system).</longdesc>\n"
	"<shortdesc lang=\"en\">Migration transport</shortdesc>\n"
	"<content type=\"string\" default=\"ssh\"/>\n"
	"</parameter>\n"
	"<parameter name=\"migration_uri\">\n"
	"<longdesc lang=\"en\">URI for qemu's migration stream, %n standing for the target node's\n"
	"name (for example tcp://%n-migration.example.net). Default: libvirt's choice.</longdesc>\n"
	"<shortdesc lang=\"en\">Migration data URI</shortdesc>\n"
	"<content type=\"string\"/>\n"
	"</parameter>\n"
	"<parameter name=\"stop_timeout\">\n"
	"<longdesc lang=\"en\">Seconds the guest gets to shut down after an ACPI request before "
	"it\n"
	"is powered off. Default: the stop operation's timeout less 10 s (half of it for\n"
	"timeouts up to 20 s).</longdesc>\n"
	"<shortdesc lang=\"en\">Guest shutdown time</shortdesc>\n"
	"<content type=\"integer\"/>\n"
	"</parameter>\n"
	"<parameter name=\"unsafe_migration_for_tests\">\n"
	"<longdesc lang=\"en\">Migrate even when libvirt finds a disk that is not on storage it\n"
	"knows to be shared (VIR_MIGRATE_UNSAFE), as havm.conf's vms.unsafe_migration_for_tests:\n"
	"for test beds whose shared storage is a local directory, never for "
	"production.</longdesc>\n"
	"<shortdesc lang=\"en\">Skip libvirt's shared storage check (tests only)</shortdesc>\n"
	"<content type=\"boolean\" default=\"false\"/>\n"
	"</parameter>\n"
	"</parameters>\n";

static const char metadata_actions[] = "<actions>\n"
				       "<action name=\"start\" timeout=\"90s\"/>\n"
				       "<action name=\"stop\" timeout=\"90s\"/>\n"
				       "<action name=\"monitor\" timeout=\"30s\" interval=\"10s\" "
				       "depth=\"0\"/>\n"
				       "<action name=\"migrate_to\" timeout=\"120s\"/>\n"
				       "<action name=\"migrate_from\" timeout=\"60s\"/>\n"
				       "<action name=\"reload\" timeout=\"10s\"/>\n"
				       "<action name=\"validate-all\" timeout=\"10s\"/>\n"
				       "<action name=\"meta-data\" timeout=\"5s\"/>\n"
				       "</actions>\n"
				       "</resource-agent>\n";

void vm_metadata_print(FILE *out)
{
	fputs(metadata_head, out);
	fputs(metadata_params, out);
	fputs(metadata_actions, out);
}
