/*
 * The wire codec's properties, checked on every body a fuzz target finds:
 *
 * - wire_decode writes every byte of the struct, padding included: it is
 *   decoded twice over different fill patterns and the results compared,
 *   so that callers may compare messages with memcmp. On failure it leaves
 *   the struct all zero.
 * - A message that decodes names a life: its incarnation is at least 1.
 * - Whatever decodes also encodes, alone and as a TCP frame of at most
 *   FRAME_BYTES_MAX, and decodes back to the same message.
 * - The encoder writes the shortest form, so a re-encoded message is never
 *   longer than any body that decoded to it (a message received in one
 *   datagram can be sent in one), and encoding is a fixpoint.
 */
#include <string.h>

#include "../../common/bounds.h"
#include "../../common/wire.h"
#include "fuzz.h"

#define FILL_A 0xa5
#define FILL_B 0x5a

/* Decode over a struct filled with pattern, so unwritten bytes show. */
static int decode_over(const char *body, size_t len, struct wire_msg *m,
		       int pattern)
{
	memset(m, pattern, sizeof(*m));
	return wire_decode(body, len, m);
}

static void check_zero(const struct wire_msg *m)
{
	static const struct wire_msg zero;

	fuzz_check(memcmp(m, &zero, sizeof(zero)) == 0);
}

/* The frame wraps exactly the body wire_encode wrote, and splits back. */
static void check_frame(const struct wire_msg *m, const char *body,
			size_t body_len)
{
	static char frame[FRAME_BYTES_MAX + WIRE_FRAME_HEADER_BYTES];
	const char *got;
	size_t frame_len, got_len, used;

	fuzz_check(wire_encode_frame(m, frame, sizeof(frame), &frame_len) == 0);
	fuzz_check(frame_len == WIRE_FRAME_HEADER_BYTES + body_len);
	fuzz_check(memcmp(frame + WIRE_FRAME_HEADER_BYTES, body, body_len) == 0);
	fuzz_check(wire_frame_next(frame, frame_len, &got, &got_len, &used) == 0);
	fuzz_check(got == frame + WIRE_FRAME_HEADER_BYTES);
	fuzz_check(got_len == body_len && used == frame_len);
}

void fuzz_wire_body(const char *body, size_t len)
{
	static char enc[FRAME_BYTES_MAX], enc2[FRAME_BYTES_MAX];
	struct wire_msg a, b, c;
	size_t enc_len, enc2_len;
	int rc;

	rc = decode_over(body, len, &a, FILL_A);
	fuzz_check(decode_over(body, len, &b, FILL_B) == rc);
	if (rc != 0) {
		fuzz_check(rc < 0 && wire_strerror(rc)[0] != '?');
		check_zero(&a);
		check_zero(&b);
		return;
	}
	fuzz_check(memcmp(&a, &b, sizeof(a)) == 0);
	fuzz_check(wire_type_name((int)a.type)[0] != '?');
	fuzz_check(a.incarnation >= 1);

	fuzz_check(wire_encode(&a, enc, sizeof(enc), &enc_len) == 0);
	fuzz_check(enc_len <= len);
	fuzz_check(decode_over(enc, enc_len, &c, FILL_B) == 0);
	fuzz_check(memcmp(&a, &c, sizeof(a)) == 0);
	fuzz_check(wire_encode(&c, enc2, sizeof(enc2), &enc2_len) == 0);
	fuzz_check(enc2_len == enc_len && memcmp(enc, enc2, enc_len) == 0);
	check_frame(&a, enc, enc_len);
}
