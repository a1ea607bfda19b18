/* libFuzzer target: the CPG tiebreaker lease decoder. */
#include "wire.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[HAVM_WIRE_MSG_MAX];
	struct wire_tiebreak_lease m;

	if (wire_tiebreak_lease_decode(data, size, &m) == 0) {
		int len = wire_tiebreak_lease_encode(out, sizeof(out), &m);
		if (len != (int)size || memcmp(out, data, size) != 0)
			abort();
	}
	return 0;
}
