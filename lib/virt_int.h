/*
 * virt_int.h: what domain_xml.c and virt.c share inside libhavmvirt.
 */
#ifndef HAVM_VIRT_INT_H
#define HAVM_VIRT_INT_H

#include <stdbool.h>

/*
 * Whether NAME is a VM name havm accepts: [A-Za-z0-9][A-Za-z0-9._-]{0,62},
 * the rule of vmcfg_name_ok (vm_config.h). Its own copy so that
 * libhavmvirt does not link the configuration code.
 */
bool virt_name_ok(const char *name);

#endif
