/* libFuzzer target: the control-socket request decoder (havmd's input
 * from any local peer in haclient). */
#include "wire.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wire_hdr h;
	uint16_t type;

	if (wire_request_decode(data, size, &type) == 0 && wire_hdr_decode(data, size, &h) != 0)
		abort(); /* a request accepted with a header the header check refuses */
	return 0;
}
