/*
 * vm_name.h: the one rule for a VM's name, [A-Za-z0-9][A-Za-z0-9._-]{0,62}
 * (ASCII only, whatever the locale). Header-only, so that the wire
 * decoders (built alone for the fuzz targets), libhavmvirt (which does not
 * link the configuration code) and the configuration itself share it.
 */
#ifndef HAVM_VM_NAME_H
#define HAVM_VM_NAME_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#define VM_NAME_MAX 63 /* without the NUL */

/* Whether the LEN bytes at S are a valid name. */
static inline bool vm_name_n_ok(const char *s, size_t len)
{
	if (len == 0 || len > VM_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');

		if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-')))
			return false;
	}
	return true;
}

/* Whether the string S is a valid name. */
static inline bool vm_name_ok(const char *s)
{
	return s && vm_name_n_ok(s, strnlen(s, VM_NAME_MAX + 1));
}

#endif
