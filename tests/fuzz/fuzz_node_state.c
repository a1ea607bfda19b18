/* libFuzzer target: the CPG node-state decoder must reject or accept any
 * bytes without crashing, and what it accepts must re-encode identically. */
#include "wire.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[HAVM_WIRE_MSG_MAX];
	struct wire_node_state m;

	if (wire_node_state_decode(data, size, &m) == 0) {
		int len = wire_node_state_encode(out, sizeof(out), &m);
		if (len != (int)size || memcmp(out, data, size) != 0)
			abort();
	}
	return 0;
}
