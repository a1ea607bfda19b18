/* libFuzzer target: the error reply and debug-dump reply decoders. */
#include "wire.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[HAVM_WIRE_MSG_MAX];
	struct wire_error_reply e;
	struct wire_debug_dump_reply d;

	if (wire_error_reply_decode(data, size, &e) == 0) {
		int len = wire_error_reply_encode(out, sizeof(out), &e);
		if (len != (int)size || memcmp(out, data, size) != 0)
			abort();
	}
	if (wire_debug_dump_reply_decode(data, size, &d) == 0) {
		int len = wire_debug_dump_reply_encode(out, sizeof(out), &d);
		if (len != (int)size || memcmp(out, data, size) != 0)
			abort();
	}
	return 0;
}
