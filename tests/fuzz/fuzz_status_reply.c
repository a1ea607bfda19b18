/* libFuzzer target: the status reply decoder (the CLI's input). */
#include "wire.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[HAVM_WIRE_MSG_MAX];
	static struct wire_status_reply m;

	if (wire_status_reply_decode(data, size, &m) == 0) {
		int len = wire_status_reply_encode(out, sizeof(out), &m);
		if (len != (int)size || memcmp(out, data, size) != 0)
			abort();
	}
	return 0;
}
