/*
 * str_key.h: a name with the index it came from, for sorting names with
 * qsort so that equal names sit together in input order: the planners
 * (vm_place.c, vm_balance.c) group VMs and hosts by name this way, and the
 * tie on the index keeps their output the same whatever qsort does.
 */
#ifndef HAVM_STR_KEY_H
#define HAVM_STR_KEY_H

#include <stddef.h>
#include <string.h>

struct str_key {
	const char *s;
	size_t i;
};

static inline int str_key_cmp(const void *a, const void *b)
{
	const struct str_key *x = a, *y = b;
	int c = strcmp(x->s, y->s);

	if (c != 0)
		return c;
	return x->i < y->i ? -1 : x->i > y->i;
}

#endif
