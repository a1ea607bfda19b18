/*
 * virt_int.h: what domain_xml.c and virt.c share inside libhavmvirt.
 */
#ifndef HAVM_VIRT_INT_H
#define HAVM_VIRT_INT_H

#include "vm_name.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

/* A message into ERR (ERRLEN bytes; nothing when ERR is NULL). */
static inline void set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static inline void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

#endif
