/*
 * Sealing with XChaCha20-Poly1305 (IETF). See seal.h for the envelope and
 * the replay rule.
 *
 * Why XChaCha20-Poly1305 and not AES-256-GCM: libsodium offers AES-GCM
 * only on CPUs with AES-NI and PCLMUL (crypto_aead_aes256gcm_is_available
 * is false elsewhere, on many ARM boards for one), while XChaCha20 runs
 * everywhere at a steady speed in constant time; and its 192-bit nonce
 * may be drawn at random for every message with no risk of a repeat,
 * where GCM's 96-bit nonce, drawn at random, is safe for about 2^32
 * messages a key and would otherwise need a counter kept unique across
 * restarts.
 */
#include <sodium.h>
#include <string.h>

#include "seal.h"

_Static_assert(SEAL_NONCE_BYTES == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
	       "seal.h: nonce size");
_Static_assert(SEAL_TAG_BYTES == crypto_aead_xchacha20poly1305_ietf_ABYTES,
	       "seal.h: tag size");
_Static_assert(KEYRING_KEY_BYTES == crypto_aead_xchacha20poly1305_ietf_KEYBYTES,
	       "keyring.h: key size");

int seal_init(void)
{
	return sodium_init() < 0 ? SEAL_EINIT : 0;
}

bool seal_is_envelope(const void *bytes, size_t len)
{
	return len > 0 && ((const unsigned char *)bytes)[0] == SEAL_MAGIC;
}

static void put_be(unsigned char *p, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		p[i] = (unsigned char)(v >> (8 * (bytes - 1 - i)));
}

static uint64_t get_be(const unsigned char *p, unsigned bytes)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < bytes; i++)
		v = (v << 8) | p[i];
	return v;
}

int seal_box(const struct keyring *k, const struct seal_header *h,
	     const unsigned char *salt, const void *body, size_t len,
	     void *out, size_t cap, size_t *out_len)
{
	unsigned char *o = out;
	unsigned long long clen = 0;

	if (k->count == 0)
		return SEAL_EOPEN;
	if (cap < SEAL_OVERHEAD_BYTES || len > cap - SEAL_OVERHEAD_BYTES)
		return SEAL_ENOSPACE;
	o[0] = SEAL_MAGIC;
	o[1] = SEAL_VERSION;
	o[2] = (unsigned char)h->channel;
	o[3] = 0;
	memcpy(o + 4, k->ids[0], KEYRING_ID_BYTES);
	put_be(o + 8, h->from, 2);
	put_be(o + 10, h->to, 2);
	put_be(o + 12, h->incarnation, 8);
	put_be(o + 20, h->counter, 8);
	if (salt != NULL) {
		memcpy(o + SEAL_HEADER_BYTES, salt, SEAL_SALT_BYTES);
		put_be(o + SEAL_HEADER_BYTES + SEAL_SALT_BYTES, h->counter, 8);
	} else {
		randombytes_buf(o + SEAL_HEADER_BYTES, SEAL_NONCE_BYTES);
	}
	crypto_aead_xchacha20poly1305_ietf_encrypt(
		o + SEAL_HEADER_BYTES + SEAL_NONCE_BYTES, &clen, body, len,
		o, SEAL_HEADER_BYTES, NULL, o + SEAL_HEADER_BYTES,
		k->keys[0]);
	*out_len = SEAL_HEADER_BYTES + SEAL_NONCE_BYTES + (size_t)clen;
	return 0;
}

int seal_open(const struct keyring *k, enum seal_channel channel,
	      const void *in, size_t len, struct seal_header *h, void *body,
	      size_t cap, size_t *body_len, unsigned *key_index)
{
	const unsigned char *i = in;
	const unsigned char *c = i + SEAL_HEADER_BYTES + SEAL_NONCE_BYTES;
	size_t clen;
	int rc = SEAL_ENOKEY;

	if (len < SEAL_OVERHEAD_BYTES)
		return SEAL_ETRUNCATED;
	if (i[0] != SEAL_MAGIC || i[1] != SEAL_VERSION || i[2] != channel ||
	    i[3] != 0)
		return SEAL_EFORMAT;
	clen = len - SEAL_HEADER_BYTES - SEAL_NONCE_BYTES;
	if (cap < clen - SEAL_TAG_BYTES)
		return SEAL_ENOSPACE;
	for (unsigned n = 0; n < k->count; n++) {
		unsigned long long blen = 0;
		if (memcmp(i + 4, k->ids[n], KEYRING_ID_BYTES) != 0)
			continue;
		rc = SEAL_EOPEN;
		if (crypto_aead_xchacha20poly1305_ietf_decrypt(
			    body, &blen, NULL, c, clen, i, SEAL_HEADER_BYTES,
			    i + SEAL_HEADER_BYTES, k->keys[n]) != 0)
			continue;
		h->channel = channel;
		h->from = (uint16_t)get_be(i + 8, 2);
		h->to = (uint16_t)get_be(i + 10, 2);
		h->incarnation = get_be(i + 12, 8);
		h->counter = get_be(i + 20, 8);
		*body_len = (size_t)blen;
		if (key_index)
			*key_index = n;
		return 0;
	}
	return rc;
}

int seal_replay_check(const struct seal_replay *r,
		      const struct seal_header *h)
{
	if (h->incarnation < r->incarnation)
		return SEAL_EOLD_LIFE;
	if (h->incarnation > r->incarnation)
		return 0;
	if (h->channel < 1 || h->channel > SEAL_CHANNEL_MAX)
		return SEAL_EREPLAY;
	return h->counter > r->counter[h->channel] ? 0 : SEAL_EREPLAY;
}

void seal_replay_accept(struct seal_replay *r, const struct seal_header *h)
{
	if (h->channel < 1 || h->channel > SEAL_CHANNEL_MAX ||
	    seal_replay_check(r, h) != 0)
		return;
	if (h->incarnation > r->incarnation) {
		memset(r->counter, 0, sizeof(r->counter));
		r->incarnation = h->incarnation;
	}
	r->counter[h->channel] = h->counter;
}

const char *seal_strerror(int err)
{
	switch (err) {
	case SEAL_ETRUNCATED: return "shorter than an envelope";
	case SEAL_EFORMAT: return "not an envelope of this version and channel";
	case SEAL_EOPEN: return "no key of the keyring opens it";
	case SEAL_ENOSPACE: return "no room";
	case SEAL_EREPLAY: return "replayed (counter not above the last)";
	case SEAL_EOLD_LIFE: return "from an older life of its sender";
	case SEAL_EINIT: return "libsodium could not start";
	case SEAL_ENOKEY: return "sealed with a key not in the keyring";
	default: return "?";
	}
}
