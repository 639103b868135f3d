/*
 * A msgpack cursor for the bank's messages: a writer into a fixed buffer
 * and a reader over untrusted bytes.
 *
 * The reader never allocates and never trusts a declared size: every
 * length is checked against the bytes actually present, so a 5-byte array
 * header claiming four billion elements costs nothing (msgpack-c's
 * unpacker would allocate for it first; msgpack-c issue #1013). It takes
 * only the formats the bank sends (integers, strings, binaries, arrays,
 * nil and booleans), and a value of the wrong type is an error, never a
 * conversion. Once any call fails the cursor stays failed, so a decoder
 * reads every field and checks once at the end. Every element's header
 * is read by the checks every codec shares (common/wire_walk.h): this
 * cursor only adds the bounds of each field.
 */
#ifndef BANK_MP_H
#define BANK_MP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mp_writer {
	uint8_t *buf;
	size_t cap;
	size_t len;
	bool failed;	/* out of room: the message does not fit */
};

void mp_writer_init(struct mp_writer *w, void *buf, size_t cap);
void mp_put_array(struct mp_writer *w, uint32_t count);
void mp_put_uint(struct mp_writer *w, uint64_t v);
void mp_put_int(struct mp_writer *w, int64_t v);
void mp_put_bool(struct mp_writer *w, bool v);
void mp_put_str(struct mp_writer *w, const char *s, size_t len);
void mp_put_bin(struct mp_writer *w, const void *b, size_t len);

struct mp_reader {
	const uint8_t *p;
	const uint8_t *end;
	bool failed;
};

void mp_reader_init(struct mp_reader *r, const void *buf, size_t len);
/* An array header whose count is within [min, max]; also at most the
 * bytes left, since every element takes one byte at least. */
bool mp_get_array(struct mp_reader *r, uint32_t min, uint32_t max,
		  uint32_t *count);
bool mp_get_uint(struct mp_reader *r, uint64_t max, uint64_t *v);
bool mp_get_int(struct mp_reader *r, int64_t *v);
bool mp_get_bool(struct mp_reader *r, bool *v);
/* A string or binary of at most max bytes: points into the buffer. */
bool mp_get_str(struct mp_reader *r, size_t max, const char **s,
		size_t *len);
bool mp_get_bin(struct mp_reader *r, size_t max, const uint8_t **b,
		size_t *len);
/* Whole message read, nothing failed and nothing left over. */
bool mp_done(const struct mp_reader *r);

#endif
