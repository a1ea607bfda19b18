/*
 * vm_agent.h: what the files of the OCF agent agents/vm share.
 */
#ifndef HAVM_AGENT_VM_AGENT_H
#define HAVM_AGENT_VM_AGENT_H

#include "vm_params.h"

#include <stdio.h>

/* The meta-data XML (vm_metadata.c). */
void vm_metadata_print(FILE *out);

#endif
