/*
 * Fuzz the TCP path: the input is the byte stream one connection delivers.
 *
 * It is split with wire_frame_next as the transport's inbound_process does:
 * frame after frame until more bytes would be needed or a declared length
 * is over FRAME_BYTES_MAX (the transport then closes the connection). Each
 * body is checked by fuzz_wire_body; a body that does not decode is dropped
 * and the stream goes on, as in the transport.
 */
#include "../../common/bounds.h"
#include "../../common/wire.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *stream = (const char *)data;
	size_t off = 0;

	for (;;) {
		const char *body;
		size_t body_len, used;
		int rc = wire_frame_next(stream + off, size - off, &body,
					 &body_len, &used);

		if (rc == 1 || rc == WIRE_ETOOBIG)
			break;
		fuzz_check(rc == 0);
		fuzz_check(body == stream + off + WIRE_FRAME_HEADER_BYTES);
		fuzz_check(body_len <= FRAME_BYTES_MAX);
		fuzz_check(used == WIRE_FRAME_HEADER_BYTES + body_len);
		fuzz_check(used <= size - off);
		fuzz_wire_body(body, body_len);
		off += used;
	}
	return 0;
}
