/* libFuzzer target: the events request decoder (havmd's input from any
 * haclient member) and the events reply decoder (the CLI's input): any
 * bytes are rejected or accepted without a crash, and what is accepted
 * re-encodes identically. */
#include "wire.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[HAVM_WIRE_MSG_MAX];
	static struct wire_events_reply m;
	struct wire_events_request rq;

	if (wire_events_request_decode(data, size, &rq) == 0) {
		int len = wire_events_request_encode(out, sizeof(out), &rq);
		if (len != (int)size || memcmp(out, data, size) != 0)
			abort();
	}
	if (wire_events_reply_decode(data, size, &m) == 0) {
		int len = wire_events_reply_encode(out, sizeof(out), &m);
		if (len != (int)size || memcmp(out, data, size) != 0)
			abort();
	}
	return 0;
}
