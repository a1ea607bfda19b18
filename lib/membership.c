/* membership.c: see membership.h. */
#include "membership.h"

uint32_t membership_coordinator(const uint32_t *members, size_t n, bool quorate)
{
	uint32_t best = 0;

	if (!quorate)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (members[i] != 0 && (best == 0 || members[i] < best))
			best = members[i];
	return best;
}

bool membership_contains(const uint32_t *ids, size_t n, uint32_t nodeid)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i] == nodeid)
			return true;
	return false;
}
