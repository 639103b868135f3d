/*
 * Fuzz the keyed UDP and TCP paths (common/seal.h): the input is a
 * datagram or a frame's body as a peer with a keyring receives it.
 *
 * 1. The input as it came, an envelope or not, is opened with a keyring
 *    of two keys on both channels: no input can open (nobody here sealed
 *    it), so a success is a forgery and fails the target. Whatever the
 *    input, opening reads no byte past it and writes none past the body.
 * 2. The input as a body, sealed with the first key and opened again,
 *    comes back byte for byte, from the second key too when the keyring
 *    is turned round (a rotation's step 2); then it goes through the wire
 *    checks as the transport would hand it on (fuzz_wire_body).
 * 3. That envelope with one byte changed (which and how, from the input)
 *    does not open, and the replay rule refuses it once accepted.
 */
#include <string.h>

#include "../../common/bounds.h"
#include "../../common/keyring.h"
#include "../../common/seal.h"
#include "fuzz.h"

static struct keyring ring, turned;

static void setup(void)
{
	static int done;
	if (done)
		return;
	fuzz_check(seal_init() == 0);
	ring.count = 2;
	turned.count = 2;
	for (unsigned i = 0; i < KEYRING_KEY_BYTES; i++) {
		ring.keys[0][i] = turned.keys[1][i] = (unsigned char)(i * 7 + 1);
		ring.keys[1][i] = turned.keys[0][i] = (unsigned char)(i * 13 + 5);
	}
	done = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char env[FRAME_BYTES_MAX], body[FRAME_BYTES_MAX];
	struct seal_header h, got;
	struct seal_replay r;
	size_t env_len = 0, body_len = 0;
	unsigned idx = 9;

	setup();
	if (size > FRAME_BYTES_MAX)
		return 0;
	for (int ch = SEAL_DATAGRAM; ch <= SEAL_FRAME; ch++)
		fuzz_check(seal_open(&ring, (enum seal_channel)ch, data, size,
				     &got, body, sizeof(body), &body_len,
				     NULL) < 0);

	if (size > FRAME_BYTES_MAX - SEAL_OVERHEAD_BYTES)
		return 0;
	h.channel = size <= DATAGRAM_BYTES_MAX - SEAL_OVERHEAD_BYTES
			    ? SEAL_DATAGRAM : SEAL_FRAME;
	h.from = size > 0 ? data[0] : 1;
	h.to = size > 1 ? data[1] : 2;
	h.incarnation = size;
	h.counter = 1 + size;
	fuzz_check(seal_box(&ring, &h, NULL, data, size, env, sizeof(env),
			    &env_len) == 0);
	fuzz_check(env_len == size + SEAL_OVERHEAD_BYTES);
	fuzz_check(seal_open(&turned, h.channel, env, env_len, &got, body,
			     sizeof(body), &body_len, &idx) == 0);
	fuzz_check(idx == 1 && body_len == size &&
		   memcmp(body, data, size) == 0);
	fuzz_check(seal_open(&ring, h.channel, env, env_len, &got, body,
			     sizeof(body), &body_len, &idx) == 0);
	fuzz_check(idx == 0 && got.from == h.from && got.to == h.to &&
		   got.incarnation == h.incarnation &&
		   got.counter == h.counter && got.channel == h.channel);
	fuzz_wire_body((const char *)body, body_len);

	memset(&r, 0, sizeof(r));
	fuzz_check(seal_replay_check(&r, &got) == 0);
	seal_replay_accept(&r, &got);
	fuzz_check(seal_replay_check(&r, &got) == SEAL_EREPLAY);

	if (size > 0) {
		size_t at = (size_t)data[size - 1] * 257 % env_len;
		env[at] ^= (unsigned char)(data[0] | 1);
		fuzz_check(seal_open(&ring, h.channel, env, env_len, &got,
				     body, sizeof(body), &body_len,
				     NULL) < 0);
	}
	return 0;
}
