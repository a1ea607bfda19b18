/* libFuzzer target: the decoders of VM high availability (wire_vm.c),
 * each with a round trip: what decodes must encode to the same bytes. */
#include "wire.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ROUND_TRIP(T, dec, enc)                                                                    \
	do {                                                                                       \
		static T m;                                                                        \
		if (dec(data, size, &m) == 0) {                                                    \
			int len = enc(out, sizeof(out), &m);                                       \
			if (len != (int)size || memcmp(out, data, size) != 0)                      \
				abort();                                                           \
		}                                                                                  \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[HAVM_WIRE_MSG_MAX];

	ROUND_TRIP(struct wire_vmcfg, wire_vmcfg_decode, wire_vmcfg_encode);
	ROUND_TRIP(struct wire_vm_report, wire_vm_report_decode, wire_vm_report_encode);
	ROUND_TRIP(struct wire_vm_action, wire_vm_action_decode, wire_vm_action_encode);
	ROUND_TRIP(struct wire_vm_result, wire_vm_result_decode, wire_vm_result_encode);
	ROUND_TRIP(struct wire_doc_request, wire_doc_request_decode, wire_doc_request_encode);
	ROUND_TRIP(struct wire_doc_reply, wire_doc_reply_decode, wire_doc_reply_encode);
	ROUND_TRIP(struct wire_vmcfg_request, wire_vmcfg_request_decode, wire_vmcfg_request_encode);
	ROUND_TRIP(struct wire_vmcfg_reply, wire_vmcfg_reply_decode, wire_vmcfg_reply_encode);
	{
		static struct wire_vm_request m;
		static const uint16_t types[] = { HAVM_MSG_VM_REQUEST, HAVM_MSG_VM_MIGRATE_REQ };
		for (size_t i = 0; i < 2; i++)
			if (wire_vm_request_decode(data, size, types[i], &m) == 0) {
				int len = wire_vm_request_encode(out, sizeof(out), types[i], &m);
				if (len != (int)size || memcmp(out, data, size) != 0)
					abort();
			}
	}
	return 0;
}
