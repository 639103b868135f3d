/*
 * Fuzz the Paxos lab's TCP path: the input is the byte stream one
 * connection delivers, split with wire_frame_next as the transport does.
 * Each body goes through wire_paxos_decode:
 *
 * - decoding twice over structs of different fill gives identical
 *   results, so every byte is written (callers may memcmp messages); on
 *   failure the struct is all zero and the code has a name;
 * - what decodes has a known type, a sender in 1..HOSTS_MAX, a ballot,
 *   bounded values and at most PAXOS_PROMISE_ENTRIES_MAX ascending
 *   entries;
 * - it re-encodes, never longer than the body it came from, alone and as
 *   a frame, and decodes back to the same message; encoding is a fixpoint.
 */
#include <string.h>

#include "../../common/bounds.h"
#include "../../common/wire.h"
#include "../../common/wire_paxos.h"
#include "fuzz.h"

static void check_decoded(const struct paxos_msg *m)
{
	fuzz_check(wire_paxos_type_name((int)m->type)[0] != '?');
	fuzz_check(m->from >= 1 && m->from <= HOSTS_MAX);
	fuzz_check(m->ballot >= 1);
	fuzz_check(m->value.len <= PAXOS_VALUE_BYTES_MAX);
	fuzz_check(m->entries_count <= PAXOS_PROMISE_ENTRIES_MAX);
	for (unsigned i = 1; i < m->entries_count; i++)
		fuzz_check(m->entries[i].slot > m->entries[i - 1].slot);
}

static void check_body(const char *body, size_t len)
{
	static struct paxos_msg a, b, c;
	static const struct paxos_msg zero;
	static char enc[FRAME_BYTES_MAX], enc2[FRAME_BYTES_MAX];
	static char frame[FRAME_BYTES_MAX + WIRE_FRAME_HEADER_BYTES];
	const char *got;
	size_t enc_len, enc2_len, frame_len, got_len, used;
	int rc;

	memset(&a, 0xa5, sizeof(a));
	memset(&b, 0x5a, sizeof(b));
	rc = wire_paxos_decode(body, len, &a);
	fuzz_check(wire_paxos_decode(body, len, &b) == rc);
	if (rc != 0) {
		fuzz_check(rc < 0 && wire_strerror(rc)[0] != '?');
		fuzz_check(memcmp(&a, &zero, sizeof(a)) == 0);
		fuzz_check(memcmp(&b, &zero, sizeof(b)) == 0);
		return;
	}
	fuzz_check(memcmp(&a, &b, sizeof(a)) == 0);
	check_decoded(&a);
	fuzz_check(wire_paxos_encode(&a, enc, sizeof(enc), &enc_len) == 0);
	fuzz_check(enc_len <= len);
	fuzz_check(wire_paxos_decode(enc, enc_len, &c) == 0);
	fuzz_check(memcmp(&a, &c, sizeof(a)) == 0);
	fuzz_check(wire_paxos_encode(&c, enc2, sizeof(enc2), &enc2_len) == 0);
	fuzz_check(enc2_len == enc_len && memcmp(enc, enc2, enc_len) == 0);
	fuzz_check(wire_paxos_encode_frame(&a, frame, sizeof(frame),
					   &frame_len) == 0);
	fuzz_check(frame_len == WIRE_FRAME_HEADER_BYTES + enc_len);
	fuzz_check(wire_frame_next(frame, frame_len, &got, &got_len,
				   &used) == 0);
	fuzz_check(got_len == enc_len && used == frame_len);
	fuzz_check(memcmp(got, enc, enc_len) == 0);
}

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
		fuzz_check(rc == 0 && used <= size - off);
		check_body(body, body_len);
		off += used;
	}
	return 0;
}
