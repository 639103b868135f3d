/*
 * Sealing: every message between keyed peers, authenticated and encrypted
 * with XChaCha20-Poly1305 (IETF), libsodium's crypto_aead_xchacha20poly1305_ietf.
 *
 * Pure byte work: a body in, an envelope out, and back. It does no I/O,
 * reads no clock and keeps no state; the only thing it may take from
 * outside is a random nonce (libsodium's randombytes_buf), when the
 * caller gives no salt. The keys come from a
 * struct keyring (common/keyring.h): the first key seals, every key is
 * tried on open.
 *
 * An envelope (all integers big-endian):
 *
 *   offset  bytes  field
 *   0       1      SEAL_MAGIC, 0xc1: a byte msgpack never uses, so an
 *                  unkeyed body (an array header first) is never taken
 *                  for an envelope, nor an envelope for a body
 *   1       1      SEAL_VERSION
 *   2       1      channel: SEAL_DATAGRAM (UDP) or SEAL_FRAME (TCP)
 *   3       1      0
 *   4       4      key id: the first bytes of the BLAKE2b hash of the
 *                  key that sealed it (keyring.h), so that a receiver
 *                  tries that key alone, and none when it has no such key
 *   8       2      sender's peer id
 *   10      2      recipient's peer id
 *   12      8      sender's incarnation (its life)
 *   20      8      counter: the sender's, one more for every envelope
 *                  of this life
 *   28      24     nonce: the sender's salt (16 random bytes drawn once
 *                  per process) and the counter; or 24 random bytes
 *   52      n      the body (a wire.h message), encrypted
 *   52+n    16     Poly1305 tag
 *
 * Bytes 0..27, the header, are the authenticated data: the sender, the
 * recipient, the sender's life, the counter and the channel cannot be
 * changed without the tag failing, so an envelope cannot be played to
 * another peer than the one it was sealed for, nor from UDP into TCP.
 * The receiver then checks that the recipient is itself and that the
 * body's sender and life are the header's (transport.c), and applies the
 * replay rule below.
 *
 * The replay rule: per sender, a receiver keeps the highest life it has
 * opened and, for that life, the highest counter per channel. An envelope
 * of an older life, or of the same life with a counter not above the
 * channel's highest, is dropped. A later life resets the counters.
 */
#ifndef ROLLCALL_SEAL_H
#define ROLLCALL_SEAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keyring.h"

#define SEAL_MAGIC 0xc1
#define SEAL_VERSION 1
#define SEAL_HEADER_BYTES 28
#define SEAL_NONCE_BYTES 24
#define SEAL_TAG_BYTES 16
#define SEAL_SALT_BYTES 16
/* What sealing adds to a body. */
#define SEAL_OVERHEAD_BYTES (SEAL_HEADER_BYTES + SEAL_NONCE_BYTES + \
			     SEAL_TAG_BYTES)

enum seal_channel {
	SEAL_DATAGRAM = 1,
	SEAL_FRAME = 2,
};
#define SEAL_CHANNEL_MAX 2

enum seal_error {
	SEAL_ETRUNCATED = -1,	/* shorter than an envelope */
	SEAL_EFORMAT = -2,	/* not an envelope of this version/channel */
	SEAL_EOPEN = -3,	/* no key of the keyring opens it */
	SEAL_ENOSPACE = -4,	/* output buffer too small */
	SEAL_EREPLAY = -5,	/* counter not above the last one opened */
	SEAL_EOLD_LIFE = -6,	/* a life older than the last one opened */
	SEAL_EINIT = -7,	/* libsodium could not start */
	SEAL_ENOKEY = -8,	/* sealed with a key not in the keyring */
};

/* What the header says: the authenticated data. */
struct seal_header {
	enum seal_channel channel;
	uint16_t from;
	uint16_t to;
	uint64_t incarnation;
	uint64_t counter;
};

/* Per sender, what the replay rule remembers. Zeroed: nothing seen. */
struct seal_replay {
	uint64_t incarnation;
	uint64_t counter[SEAL_CHANNEL_MAX + 1];
};

/* Start libsodium (idempotent). 0, or SEAL_EINIT. */
int seal_init(void);

/* Whether bytes look like an envelope (its first byte), not a body. */
bool seal_is_envelope(const void *bytes, size_t len);

/*
 * Seal len bytes of body under k's first key with header h into out (cap
 * bytes; len + SEAL_OVERHEAD_BYTES are needed); *out_len gets the size.
 * The nonce is salt and h->counter when salt is not NULL: the caller
 * draws the salt at random once and never seals two envelopes with one
 * counter (a nonce is then never used twice, whatever the key, and no
 * system call is made per envelope); else it is drawn at random.
 */
int seal_box(const struct keyring *k, const struct seal_header *h,
	     const unsigned char *salt, const void *body, size_t len,
	     void *out, size_t cap, size_t *out_len);

/*
 * Open the envelope of len bytes, expected on channel, with the key of k
 * its key id names (SEAL_ENOKEY when none does; two keys of one id, each
 * in turn). On success *h is its header, the body (len -
 * SEAL_OVERHEAD_BYTES bytes) is in body, and *key_index (when not NULL)
 * says which key opened it. Nothing in body is meaningful on failure.
 */
int seal_open(const struct keyring *k, enum seal_channel channel,
	      const void *in, size_t len, struct seal_header *h, void *body,
	      size_t cap, size_t *body_len, unsigned *key_index);

/* The replay rule: 0 when h is fresh for r, else SEAL_EREPLAY or
 * SEAL_EOLD_LIFE. seal_replay_accept records h once the message passed. */
int seal_replay_check(const struct seal_replay *r,
		      const struct seal_header *h);
void seal_replay_accept(struct seal_replay *r, const struct seal_header *h);

/* "no key opens it", ... for logs. */
const char *seal_strerror(int err);

#endif
