/*
 * Fuzz the UDP path: the input is one datagram's payload.
 *
 * The transport receives into a DATAGRAM_BYTES_MAX buffer; a longer
 * datagram arrives cut short with UV_UDP_PARTIAL set and is dropped whole
 * (on_udp_read), so it never reaches the decoder. An input over the cap is
 * dropped here the same way rather than truncated. Everything else, the
 * empty datagram included, goes to wire_decode as one body.
 */
#include "../../common/bounds.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > DATAGRAM_BYTES_MAX)
		return 0;
	fuzz_wire_body((const char *)data, size);
	return 0;
}
