/* libFuzzer target: the CPG fence-result decoder. */
#include "wire.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[HAVM_WIRE_MSG_MAX];
	struct wire_fence_result m;

	if (wire_fence_result_decode(data, size, &m) == 0) {
		int len = wire_fence_result_encode(out, sizeof(out), &m);
		if (len != (int)size || memcmp(out, data, size) != 0)
			abort();
	}
	return 0;
}
